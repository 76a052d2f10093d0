#!/bin/bash
# A real Keystone on loopback for the tests (and for trying Moorage with Keystone).
#
#   scripts/setup-keystone.sh install   only the venv (.venv-keystone: keystone + gunicorn, from PyPI)
#   scripts/setup-keystone.sh start     install, configure, start and populate (the default)
#   scripts/setup-keystone.sh stop      stop the Keystone of KEYSTONE_STATE
#
# start is idempotent: a Keystone already answering for KEYSTONE_STATE is reused and
# the users, projects and catalog entries are created only when missing.
#
# Environment:
#   KEYSTONE_STATE     state dir (keystone.conf, SQLite DB, fernet keys, logs, pid)
#                      default ~/.local/state/moorage-keystone
#   KEYSTONE_PORT      loopback port Keystone listens on (default 5111)
#   KEYSTONE_ADMIN_PASSWORD   password of the bootstrap user "admin" (default admin-secret)
#   KEYSTONE_PASSWORD  password of every other user it creates (default secret)
#   MOORAGE_ENDPOINT   catalog URL of the container-infra service
#                      (default http://127.0.0.1:9511/v1)
#
# What it creates (roles: Keystone's admin ⇒ member ⇒ reader, plus service):
#   admin (admin of project admin; bootstrap), moorage (service user of project
#   service, role service: validates tokens), a-member / a-reader in project-a,
#   b-member / b-reader in project-b, and the container-infra service "magnum"
#   with public, internal and admin endpoints MOORAGE_ENDPOINT in RegionOne.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv-keystone"
state=${KEYSTONE_STATE:-$HOME/.local/state/moorage-keystone}
port=${KEYSTONE_PORT:-5111}
admin_password=${KEYSTONE_ADMIN_PASSWORD:-admin-secret}
password=${KEYSTONE_PASSWORD:-secret}
endpoint=${MOORAGE_ENDPOINT:-http://127.0.0.1:9511/v1}
url="http://127.0.0.1:$port"
conf="$state/keystone.conf"
pidfile="$state/keystone.pid"

install() {
  if [ -f "$venv/.installed" ]; then return 0; fi
  echo "setup-keystone: installing keystone and gunicorn into $venv"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q keystone gunicorn
  touch "$venv/.installed"
}

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

answering() {
  "$venv/bin/python" - "$url/v3" <<'EOF'
import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=1).status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}

configure() {
  mkdir -p "$state"
  chmod 700 "$state"
  cat >"$conf" <<EOF
[DEFAULT]
log_file = $state/keystone.log
[database]
connection = sqlite:///$state/keystone.sqlite
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = $state/fernet-keys
[fernet_receipts]
key_repository = $state/fernet-keys
[credential]
key_repository = $state/credential-keys
[identity]
# Test users only: cheap password hashes keep every login fast.
password_hash_rounds = 4
EOF
  local manage=("$venv/bin/keystone-manage" --config-file "$conf")
  local owner=(--keystone-user "$(id -un)" --keystone-group "$(id -gn)")
  "${manage[@]}" db_sync
  [ -d "$state/fernet-keys" ] || "${manage[@]}" fernet_setup "${owner[@]}"
  [ -d "$state/credential-keys" ] || "${manage[@]}" credential_setup "${owner[@]}"
  "${manage[@]}" bootstrap --bootstrap-password "$admin_password" \
    --bootstrap-admin-url "$url/v3" --bootstrap-internal-url "$url/v3" \
    --bootstrap-public-url "$url/v3" --bootstrap-region-id RegionOne
}

start() {
  install
  if running && answering; then
    echo "setup-keystone: Keystone already running on $url"
  else
    configure
    echo "setup-keystone: starting Keystone on $url"
    # Keystone parses sys.argv with oslo.config, so it must not see gunicorn's arguments.
    cat >"$state/keystone_wsgi.py" <<'PY'
import sys

sys.argv = sys.argv[:1]
from keystone.server import wsgi  # noqa: E402

application = wsgi.initialize_public_application()
PY
    OS_KEYSTONE_CONFIG_FILES="$conf" "$venv/bin/gunicorn" --daemon --no-control-socket \
      --bind "127.0.0.1:$port" --workers 2 --timeout 60 --pid "$pidfile" \
      --chdir "$state" --access-logfile "$state/access.log" \
      --error-logfile "$state/gunicorn.log" keystone_wsgi:application
    for _ in $(seq 1 300); do
      if answering; then break; fi
      sleep 0.2
    done
    if ! answering; then
      echo "setup-keystone: Keystone did not start" >&2
      tail -n 20 "$state/gunicorn.log" "$state/keystone.log" >&2 || true
      stop
      return 1
    fi
  fi
  populate
  echo "setup-keystone: ready: $url/v3 (state $state)"
}

populate() {
  KS_URL="$url/v3" KS_ADMIN_PASSWORD="$admin_password" KS_PASSWORD="$password" \
    KS_ENDPOINT="$endpoint" "$venv/bin/python" - <<'EOF'
import os

from keystoneauth1 import session
from keystoneauth1.identity import v3

auth = v3.Password(
    auth_url=os.environ["KS_URL"], username="admin", password=os.environ["KS_ADMIN_PASSWORD"],
    user_domain_id="default", system_scope="all",
)
ks = session.Session(auth=auth)
base = os.environ["KS_URL"]


def find(kind, key, **match):
    query = "&".join(f"{k}={v}" for k, v in match.items() if k in ("name", "type"))
    rows = ks.get(f"{base}/{kind}?{query}").json()[key]
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)


def ensure(kind, key, body_key, **fields):
    found = find(kind, key, **{k: v for k, v in fields.items() if k in ("name", "type", "domain_id", "service_id", "interface")})
    if found is None:
        found = ks.post(f"{base}/{kind}", json={body_key: fields}).json()[body_key]
    return found


roles = {name: ensure("roles", "roles", "role", name=name) for name in ("admin", "member", "reader", "service")}
projects = {
    name: ensure("projects", "projects", "project", name=name, domain_id="default")
    for name in ("service", "project-a", "project-b")
}
users = {
    ("moorage", "service", "service"),
    ("a-member", "project-a", "member"),
    ("a-reader", "project-a", "reader"),
    ("b-member", "project-b", "member"),
    ("b-reader", "project-b", "reader"),
}
for name, project, role in sorted(users):
    user = ensure("users", "users", "user", name=name, domain_id="default",
                  password=os.environ["KS_PASSWORD"])
    ks.put(f"{base}/projects/{projects[project]['id']}/users/{user['id']}/roles/{roles[role]['id']}")

service = ensure("services", "services", "service", name="magnum", type="container-infra",
                 description="Container Infrastructure Management Service (Moorage)")
for interface in ("public", "internal", "admin"):
    found = find("endpoints", "endpoints", service_id=service["id"], interface=interface)
    body = {"service_id": service["id"], "interface": interface,
            "url": os.environ["KS_ENDPOINT"], "region_id": "RegionOne"}
    if found is None:
        ks.post(f"{base}/endpoints", json={"endpoint": body})
    elif found["url"] != body["url"]:
        ks.patch(f"{base}/endpoints/{found['id']}", json={"endpoint": {"url": body["url"]}})
print("setup-keystone: projects project-a, project-b; users a-member, a-reader, b-member, "
      f"b-reader, moorage; container-infra endpoint {os.environ['KS_ENDPOINT']}")
EOF
}

stop() {
  if running; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 100); do running || break; sleep 0.1; done
    echo "setup-keystone: stopped"
  fi
}

case "${1:-start}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 [install|start|stop]" >&2; exit 2 ;;
esac
