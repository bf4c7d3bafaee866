"""The Jinja sandbox for templates chairs write (decision letters, group mail): no attribute tricks (Jinja's
own sandbox), and no multiplication or power that would build a huge string, list or number and take the
worker's memory with it (``{{ 'x' * 10**10 }}``)."""

from __future__ import annotations

import operator
from typing import Any

from jinja2 import Undefined
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

MAX_ITEMS = 100_000  # the longest string or list a template may build by multiplying
MAX_EXPONENT = 64


class ChairSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"the power {right} is too large for a template")
            return operator.pow(left, right)
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * max(times, 0) > MAX_ITEMS:
                raise SecurityError(f"a template may not build more than {MAX_ITEMS:,} characters or items")
        return operator.mul(left, right)


def chair_sandbox(undefined: type[Undefined] = Undefined) -> ChairSandbox:
    return ChairSandbox(autoescape=False, undefined=undefined, keep_trailing_newline=True)
