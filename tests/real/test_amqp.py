"""The AMQP bus and the notifier against the real RabbitMQ on 127.0.0.1:5672.

Every test uses its own topic, so parallel runs never take each other's messages.
The server runs in this process on oslo.messaging's threads, as in a conductor.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import kombu
import pytest

from moorage import exceptions
from moorage.conductor.lease import LeaseHeld
from moorage.config import CONF
from moorage.context import RequestContext
from moorage.notify import events, publisher
from moorage.rpc.amqp import AmqpTransport, RpcServer
from moorage.rpc.library import messaging, prepare
from tests.support.live import free_port

pytestmark = pytest.mark.real

URL = "rabbit://guest:guest@127.0.0.1:5672/"
KOMBU_URL = "amqp://guest:guest@127.0.0.1:5672//"
CTX = RequestContext(user_id="user-1", project_id="project-1", roles=("member",))


class FakeManager:
    """Shaped like ConductorManager: (ctx, **kwargs) methods with Magnum's names."""

    def __init__(self) -> None:
        self.casts: list[tuple[RequestContext, str]] = []
        self.cast_seen = threading.Event()
        self.shut_down = False

    def cluster_create(self, ctx: RequestContext, cluster_uuid: str) -> None:
        self.casts.append((ctx, cluster_uuid))
        self.cast_seen.set()

    def get_ca_certificate(self, ctx: RequestContext, cluster_uuid: str) -> str:
        return f"PEM of {cluster_uuid} for {ctx.project_id}"

    def sign_certificate(self, ctx: RequestContext, cluster_uuid: str, csr: str) -> str:
        raise exceptions.ResourceNotFound("Cluster", cluster_uuid)

    def rotate_ca_certificate(self, ctx: RequestContext, cluster_uuid: str) -> None:
        raise LeaseHeld(f"Cluster {cluster_uuid} is busy.")

    def credential_rotate(self, ctx: RequestContext, cluster_uuid: str) -> None:
        raise ValueError("a bug in the conductor")

    def shutdown(self, wait: bool = True) -> None:
        self.shut_down = True


def topic() -> str:
    return f"moorage-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def served() -> Iterator[tuple[FakeManager, AmqpTransport]]:
    name = topic()
    manager = FakeManager()
    server = RpcServer(manager, URL, topic=name)
    server.start()
    client = AmqpTransport(URL, topic=name, timeout=10, retries=1)
    yield manager, client
    client.cleanup()
    server.stop()


def test_cast_reaches_the_endpoint_with_the_context(
    served: tuple[FakeManager, AmqpTransport],
) -> None:
    manager, client = served
    client.cast(CTX, "cluster_create", cluster_uuid="c-1")
    assert manager.cast_seen.wait(10)
    ctx, cluster_uuid = manager.casts[0]
    assert cluster_uuid == "c-1"
    assert ctx.to_dict() == CTX.to_dict()


def test_call_returns_the_endpoints_answer(served: tuple[FakeManager, AmqpTransport]) -> None:
    _, client = served
    assert client.call(CTX, "get_ca_certificate", cluster_uuid="c-2") == "PEM of c-2 for project-1"


@pytest.mark.parametrize(
    ("method", "cls", "message"),
    [
        ("sign_certificate", exceptions.ResourceNotFound, "Cluster c-3 could not be found."),
        ("rotate_ca_certificate", LeaseHeld, "Cluster c-3 is busy."),
    ],
)
def test_typed_error_comes_back_as_the_same_class_and_message(
    served: tuple[FakeManager, AmqpTransport], method: str, cls: type, message: str
) -> None:
    _, client = served
    kwargs: dict[str, Any] = {"cluster_uuid": "c-3"}
    if method == "sign_certificate":
        kwargs["csr"] = "CSR"
    with pytest.raises(exceptions.MoorageError) as caught:
        client.call(CTX, method, **kwargs)
    assert type(caught.value) is cls
    assert str(caught.value) == message
    assert caught.value.text == message


def test_a_bug_is_no_typed_error_and_only_listed_methods_are_exposed(
    served: tuple[FakeManager, AmqpTransport],
) -> None:
    """A builtin error comes back as itself (the API answers 500), never as a 503."""
    manager, client = served
    with pytest.raises(ValueError, match="a bug in the conductor"):
        client.call(CTX, "credential_rotate", cluster_uuid="c-4")
    with pytest.raises(messaging.RemoteError, match="does not support RPC method shutdown"):
        client.call(CTX, "shutdown")
    assert not manager.shut_down


def test_call_with_no_server_is_unavailable_within_the_timeout() -> None:
    client = AmqpTransport(URL, topic=topic(), timeout=2, retries=1)
    started = time.monotonic()
    with pytest.raises(exceptions.ServiceUnavailable, match="No conductor answered"):
        client.call(CTX, "get_ca_certificate", cluster_uuid="c-5")
    assert 2 <= time.monotonic() - started < 6
    client.cleanup()


@pytest.mark.parametrize("kind", ["cast", "call"])
def test_unreachable_broker_is_unavailable_not_a_hang(kind: str) -> None:
    client = AmqpTransport(
        f"rabbit://guest:guest@127.0.0.1:{free_port()}/", topic=topic(), timeout=30, retries=1
    )
    started = time.monotonic()
    with pytest.raises(exceptions.ServiceUnavailable, match="unreachable"):
        getattr(client, kind)(CTX, "get_ca_certificate", cluster_uuid="c-6")
    assert time.monotonic() - started < 10
    client.cleanup()


@pytest.fixture
def notifications() -> Iterator[str]:
    """messagingv2 notifications on a topic of this test; the topic's name is yielded."""
    prepare()
    name = topic()
    group = "oslo_messaging_notifications"
    CONF.set_override("driver", ["messagingv2"], group=group)
    CONF.set_override("topics", [name], group=group)
    CONF.set_override("transport_url", URL, group=group)
    publisher.set_publisher(None)
    yield name
    current = publisher.current()
    if isinstance(current, publisher.MessagingPublisher):
        current.cleanup()
    publisher.set_publisher(None)
    for opt in ("driver", "topics", "transport_url"):
        CONF.clear_override(opt, group=group)


def read_one(queue: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The message and delivery info of one notification, taken off (and then removing) a queue."""
    with kombu.Connection(KOMBU_URL) as conn:
        channel = conn.channel()
        deadline = time.monotonic() + 10
        try:
            while (message := channel.basic_get(queue=queue, no_ack=True)) is None:
                assert time.monotonic() < deadline, f"nothing on {queue}"
                time.sleep(0.1)
        finally:
            channel.queue_delete(queue=queue)
        envelope = json.loads(message.body)
        return json.loads(envelope["oslo.message"]), dict(message.delivery_info)


@pytest.mark.parametrize(("outcome", "priority"), [("success", "INFO"), ("failure", "ERROR")])
def test_notification_goes_on_the_bus(notifications: str, outcome: str, priority: str) -> None:
    cluster = {"uuid": "c-7", "name": "k1", "status": "CREATE_COMPLETE", "node_count": 1}
    assert isinstance(publisher.current(), publisher.MessagingPublisher)
    events.emit(CTX, "create", outcome, cluster)
    message, delivery = read_one(f"{notifications}.{priority.lower()}")
    assert delivery["exchange"] == "magnum"
    assert message["event_type"] == "magnum.cluster.create"
    assert message["priority"] == priority
    assert message["publisher_id"] == f"container-infra.{CONF.host}"
    body = message["payload"]
    assert {"typeURI", "eventType", "id", "eventTime", "action", "outcome"} <= set(body)
    assert {"initiator", "observer", "target"} <= set(body)
    assert body["outcome"] == outcome
    assert body["initiator"]["project_id"] == "project-1"
    assert body["target"]["id"] == "c-7"
    assert body["target"]["attachments"][0]["content"]["status"] == "CREATE_COMPLETE"


def test_default_publisher_is_the_log() -> None:
    publisher.set_publisher(None)
    assert isinstance(publisher.current(), publisher.LogPublisher)
    publisher.set_publisher(None)
