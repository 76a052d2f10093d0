"""An oslo.policy enforcer that remembers its decisions while its rules stay the same.

A decision is a pure function of the rule's name, the target, the caller's
credentials and the loaded rules (``enforce_new_defaults`` shapes the rules as they
load; oslo.policy 6 checks scope always). oslo.policy works it out again on every
call, a rule tree evaluated check by check, each through ``inspect.getfullargspec``:
about 200 us of a list request's CPU, twice a request.
Remembering it keyed by all of those inputs gives the same answer, never another
caller's: two callers share an entry only when every credential oslo.policy sees is
equal.

Current, not stale: every decision still starts with oslo.policy's own
``load_rules()``, which rereads a changed policy file or policy directory, and any
change to the rules (reassigned, set, cleared, a default registered) forgets every
decision. A decision worked out while the rules changed is not kept (a generation
count). Rules with an ``http:``/``https:`` check ask a server, whose answer may
change at any time: while any rule names one, nothing is remembered.

Bounded: at most ``[api] policy_decisions`` entries, least recently used first out,
so a tenant making up user ids cannot grow the process.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

from oslo_config import cfg
from oslo_policy import policy

# Matches ``http:``/``https:`` in a rule's text; a generic check whose value merely
# contains it also matches, which only turns remembering off (the safe side).
_EXTERNAL = re.compile(r"\bhttps?:")


class RememberingEnforcer(policy.Enforcer):
    def __init__(self, conf: cfg.ConfigOpts, size: int) -> None:
        # Set before oslo.policy's __init__, which assigns ``rules`` (the setter below).
        self._size = size
        self._lock = threading.Lock()
        self._memo: OrderedDict[Hashable, bool] = OrderedDict()
        self._generation = 0
        self._external = False
        self._counted = 0
        super().__init__(conf)

    @property
    def rules(self) -> policy.Rules:
        return self._rules

    @rules.setter
    def rules(self, rules: policy.Rules) -> None:
        self._rules = rules
        self._forget()

    def set_rules(self, rules: Any, overwrite: bool = True, use_conf: bool = False) -> None:
        # ``overwrite=False`` updates the rules in place, past the setter.
        super().set_rules(rules, overwrite=overwrite, use_conf=use_conf)
        self._forget()

    def register_default(self, default: policy.RuleDefault) -> None:
        super().register_default(default)
        self._forget()

    def _forget(self) -> None:
        with self._lock:
            self._forget_locked()

    def _forget_locked(self) -> None:
        self._generation += 1
        self._memo.clear()
        self._counted = len(self._rules)
        self._external = any(_EXTERNAL.search(str(check)) for check in self._rules.values())

    def decide(self, rule: str, target: Mapping[str, Any], creds: Mapping[str, Any]) -> bool:
        """``enforce(rule, target, creds)``, remembered."""
        self.load_rules()
        key = (rule, _frozen(target), _frozen(creds))
        try:
            hash(key)
        except TypeError:  # a value that cannot be a key: decided, not remembered
            return bool(self.enforce(rule, dict(target), dict(creds)))
        with self._lock:
            if len(self._rules) != self._counted:
                # load_rules() adds registered defaults missing from the rules in place.
                self._forget_locked()
            generation, remembered = self._generation, self._memo.get(key)
            if remembered is not None:
                self._memo.move_to_end(key)
                return remembered
            keep = self._size > 0 and not self._external
        decision = bool(self.enforce(rule, dict(target), dict(creds)))
        if keep:
            self._keep(key, generation, decision)
        return decision

    def _keep(self, key: Hashable, generation: int, decision: bool) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._memo[key] = decision
            if len(self._memo) > self._size:
                self._memo.popitem(last=False)


def _frozen(mapping: Mapping[str, Any]) -> Hashable:
    """A key equal only for equal mappings: lists (``roles``) become tuples."""
    return tuple(
        sorted(
            (name, tuple(value) if isinstance(value, list) else value)
            for name, value in mapping.items()
        )
    )
