"""The Jinja sandbox for templates chairs write (decision letters, group mail), with a budget.

Jinja's own sandbox stops attribute tricks (``{{ title.__class__ }}``); this one is also immutable (a template
cannot append to a list or update a dict) and bounds what one ``render`` may cost, however the template is
written:

- **output**: no value a template builds, and not the text it renders, may be longer than ``max_output``
  characters (CHAIR_TEMPLATE_MAX_OUTPUT, 1 MB). Whatever could grow without bound is checked *before* it is
  built: the operators ``~ + * % **``, the filters and str methods that pad, repeat or insert (``center``,
  ``indent``, ``wordwrap``, ``format``, ``join``, ``replace``, ``batch``, ``slice``, ``urlize``, ``tojson``,
  ``ljust``, ``zfill``, ``expandtabs``, ``translate``, ...), format widths (``'%*s' % ...``, ``'{:>999999}'``),
  ``range`` and ``lipsum``. What grows by a small factor at most (``|e``, ``.upper()``) is checked after: every
  result of a call, a filter or an operator, every printed value and every block of text (a macro's, a
  ``{% set %}`` block's, the whole output) is measured.
- **time**: ``max_seconds`` of wall clock from the start of ``render`` (CHAIR_TEMPLATE_MAX_SECONDS, 2 s), checked at
  every loop iteration, call, filter, operator and printed value. One step works on values within the output
  budget, so it overruns by that one step at most (about a second, measured: ``|sort`` or ``|wordwrap(1)`` of
  the largest value allowed).
- **depth**: macros and recursive loops call themselves at most MAX_DEPTH deep (Python's own limit would be a
  crash, not a message), and a template nested too deeply to compile is refused.
- **numbers**: an integer has at most MAX_DIGITS digits (``x * x`` in a loop, ``1.5|round(10**9, 'floor')``).

Going over any of them raises ``BudgetExceeded``, a ``SecurityError`` (so a ``TemplateError``) whose message is
for the chair: "This template would produce more than 1 MB of text (line 3)."
"""

from __future__ import annotations

import inspect
import math
import re
import time
import types
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextvars import ContextVar
from functools import update_wrapper
from typing import Any

from flask import current_app, has_app_context
from jinja2 import Template, Undefined, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError
from jinja2.filters import make_attrgetter
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, LoopContext, Macro, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter
from jinja2.utils import Namespace, _PassArg, generate_lorem_ipsum, pass_context, pass_eval_context
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

DEFAULT_MAX_OUTPUT = 1_000_000  # characters: CHAIR_TEMPLATE_MAX_OUTPUT when the app does not say
DEFAULT_MAX_SECONDS = 2.0  # CHAIR_TEMPLATE_MAX_SECONDS when the app does not say
MAX_DEPTH = 50  # macro calls (and recursive loops, and values) nested in one another
MAX_DIGITS = 4_300  # the longest integer a template may make: Python's own limit for printing one
_MAX_BITS = math.ceil(MAX_DIGITS * math.log2(10))
_SMALL = 16  # what a value of another kind (None, a macro, a cycler) counts for: its text is short


class BudgetExceeded(SecurityError):
    """A chair's template went over its output, time, depth or number budget. The message is for the chair."""

    def __init__(self, reason: str, lineno: int | None = None) -> None:
        self.reason, self.lineno = reason, lineno
        super().__init__(f"{reason} (line {lineno})." if lineno else f"{reason}.")


def _amount(chars: int) -> str:
    if chars >= 1_000_000:
        return f"{chars / 1_000_000:.3g} MB"
    if chars >= 1_000:
        return f"{chars / 1_000:.3g} KB"
    return f"{chars:,} characters"


class Budget:
    """What one ``render`` may still spend: the output limit, the deadline, the depth reached."""

    __slots__ = ("deadline", "depth", "max_output", "max_seconds", "printed")

    def __init__(self, max_output: int, max_seconds: float) -> None:
        self.max_output, self.max_seconds = max_output, max_seconds
        self.deadline = time.monotonic() + max_seconds
        self.depth = 0
        self.printed = 0  # characters of every {{ value }} so far, wherever it went

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(
                f"This template would take longer than {self.max_seconds:g} "
                f"second{'s' if self.max_seconds != 1 else ''} to render"
            )

    def need(self, size: int | float) -> None:
        """Refuse to build (or keep) something of ``size`` characters past the output budget."""
        if size > self.max_output:
            raise self.too_long()

    def too_long(self) -> BudgetExceeded:
        return BudgetExceeded(f"This template would produce more than {_amount(self.max_output)} of text")

    def check(self, value: Any) -> Any:
        """``value``, if its text is within the output budget (and any number in it within MAX_DIGITS)."""
        if type(value) is str:
            self.need(len(value))
        elif isinstance(value, int) and value.bit_length() > _MAX_BITS:
            raise _too_many_digits()
        elif not isinstance(value, int | float):
            self.need(text_size(value, self.max_output))
        return value


def _too_many_digits() -> BudgetExceeded:
    return BudgetExceeded(f"This template would make a number of more than {MAX_DIGITS:,} digits")


def _too_deep() -> BudgetExceeded:
    return BudgetExceeded(f"This template nests its macros, loops or values more than {MAX_DEPTH} deep")


_TOO_DEEP_TO_COMPILE = "This template nests brackets, expressions or blocks too deeply to be read."


_current: ContextVar[Budget | None] = ContextVar("chair_template_budget", default=None)


def _budget() -> Budget:
    """The budget of the render under way; outside one (Jinja folding constants while it compiles), a fresh one
    with the default size and no clock."""
    return _current.get() or Budget(DEFAULT_MAX_OUTPUT, math.inf)


def text_size(value: Any, limit: int, _path: frozenset[int] = frozenset()) -> int:
    """About how many characters ``str(value)`` has: exact for strings, at least the items' texts plus their
    separators for lists, tuples, sets, dicts and namespaces. Stops counting once past ``limit``, so it takes
    at most ``limit`` steps however many times a list repeats one long string."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, int):
        return value.bit_length() * 3 // 10 + 2  # its digits and a sign, about
    if isinstance(value, float):
        return 24
    if isinstance(value, range | Undefined):
        return _SMALL
    if isinstance(value, Namespace):
        value = value._Namespace__attrs  # type: ignore[attr-defined]  # what its repr prints
    if not isinstance(value, Collection):
        return _SMALL
    if id(value) in _path:  # a namespace that holds itself prints as {...}
        return 5
    if len(_path) >= MAX_DEPTH:
        raise _too_deep()
    path = _path | {id(value)}
    total = 2
    pairs = value.items() if isinstance(value, Mapping) else ((item, None) for item in value)
    for key, item in pairs:
        total += 2 + text_size(key, limit - total, path)
        if item is not None:
            total += 2 + text_size(item, limit - total, path)
        if total > limit:
            break
    return total


def _int(value: Any) -> int:
    """A width or count as the call will see it; anything else counts as 0 (the call then fails on its own)."""
    return value if isinstance(value, int) else 0


# --- the operators and format strings -----------------------------------------------------------------

_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.DOTALL)
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?", re.DOTALL)


def _number(digits: str | None, limit: int) -> int:
    if not digits:
        return 0
    return int(digits) if len(digits) <= 18 else limit + 1


def _printf_size(fmt: str | bytes, values: Any, limit: int) -> int:
    """An upper bound of ``len(fmt % values)``: the format, every value's text, every width and precision
    (``*`` taking its number from the values, as Python does)."""
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    positional = list(values) if isinstance(values, tuple) else [values]
    total, index = len(fmt) + text_size(values, limit), 0
    for match in _PRINTF.finditer(text):
        width, precision, conversion = match.groups()
        if conversion == "%":
            continue
        for number in (width, precision):
            if number == "*":
                star = positional[index] if index < len(positional) else 0
                index += 1
                total += abs(_int(star))
            else:
                total += _number(number, limit)
        index += 1
        if total > limit:
            break
    return total


class _Measured:
    """``str.format`` in a template: every field within the budget before it is formatted, and the text so far."""

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self._total = len(format_string)
        return super().vformat(format_string, args, kwargs)  # type: ignore[misc]

    def format_field(self, value: Any, format_spec: str) -> str:
        budget = _budget()
        budget.tick()
        match = _SPEC.match(format_spec)
        width, precision = (
            (_number(match.group(1), budget.max_output), _number(match.group(2), budget.max_output)) if match else (0, 0)
        )
        budget.need(max(width, precision, text_size(value, budget.max_output)))
        text: str = super().format_field(value, format_spec)  # type: ignore[misc]
        self._total += len(text)
        budget.need(self._total)
        return text


class _MeasuredFormatter(_Measured, SandboxedFormatter):
    pass


class _MeasuredEscapeFormatter(_Measured, SandboxedEscapeFormatter):
    pass


# --- str methods, filters and globals that build: what each would build, before it does -------------------


def _replace_size(s: Any, old: Any, new: Any, count: Any) -> int:
    if not (isinstance(s, str | bytes) and isinstance(old, type(s)) and isinstance(new, type(s))):
        return 0  # the call fails on its own
    found = s.count(old) if old else len(s) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(s) + found * max(len(new) - len(old), 0)


def _joined(budget: Budget, items: Iterable[Any], sep_size: int) -> list[Any]:
    """``items`` as a list, refused as soon as joining them with a separator would go over the budget."""
    kept, total = [], -sep_size
    for n, item in enumerate(items):
        total += sep_size + text_size(item, budget.max_output)
        budget.need(total)
        if n % 1024 == 0:
            budget.tick()
        kept.append(item)
    return kept


def _str_method(budget: Budget, owner: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Check a call of a str (or bytes) method that could build something large; the arguments to call it with."""
    first = args[0] if args else None
    if name in ("ljust", "rjust", "center", "zfill"):
        budget.need(_int(first))
    elif name == "expandtabs":
        tabsize = first if args else kwargs.get("tabsize", 8)
        budget.need(len(owner) + owner.count("\t" if isinstance(owner, str) else b"\t") * max(_int(tabsize), 0))
    elif name == "replace" and len(args) >= 2:
        budget.need(_replace_size(owner, args[0], args[1], args[2] if len(args) > 2 else kwargs.get("count", -1)))
    elif name == "translate" and isinstance(first, Mapping):
        longest = max((text_size(v, budget.max_output) for v in first.values() if isinstance(v, str | bytes)), default=1)
        budget.need(len(owner) * max(longest, 1))
    elif name == "join" and args:
        return (_joined(budget, first, len(owner)), *args[1:])  # type: ignore[arg-type]
    return args


def _check_join(budget: Budget, context: Context, a: dict[str, Any]) -> None:
    items = a["value"]
    if a["attribute"] is not None:
        items = map(make_attrgetter(context.environment, a["attribute"]), items)
    a["value"], a["attribute"] = _joined(budget, items, text_size(a["d"], budget.max_output)), None


def _check_wordwrap(budget: Budget, context: Context, a: dict[str, Any]) -> None:
    s, wrap = a["s"], a["wrapstring"]
    if not isinstance(s, str):
        return
    # Two lines in a row take at least ``width`` characters of the text: a line ends where the next word does
    # not fit. So a paragraph makes at most 2 * len / width + 1 lines.
    lines = 2 * len(s) // max(_int(a["width"]), 1) + s.count("\n") + 2
    sep = text_size(wrap if wrap is not None else context.environment.newline_sequence, budget.max_output)
    budget.need(len(s) + lines * sep)


def _check_indent(budget: Budget, context: Context, a: dict[str, Any]) -> None:
    s, width = a["s"], a["width"]
    pad = len(width) if isinstance(width, str) else _int(width)
    budget.need(pad)
    if isinstance(s, str):
        budget.need(len(s) + (s.count("\n") + 1) * pad)


def _check_urlize(budget: Budget, context: Context, a: dict[str, Any]) -> None:
    value, extra = a["value"], text_size(a["target"] or "", budget.max_output) + text_size(a["rel"] or "", budget.max_output)
    if isinstance(value, str) and extra:
        budget.need(len(value) + len(value.split()) * extra)  # each word could become a link


def _check_tojson(budget: Budget, context: Context, a: dict[str, Any]) -> None:
    indent = a["indent"]
    width = len(indent) if isinstance(indent, str) else _int(indent)
    if width:  # every item on a line of its own, indented once per level
        budget.need(width)
        budget.need(text_size(a["value"], budget.max_output) * (1 + width * _nesting(a["value"])))


def _nesting(value: Any, depth: int = 0) -> int:
    if depth >= MAX_DEPTH:
        raise _too_deep()
    if isinstance(value, Mapping):
        value = value.values()
    elif isinstance(value, str | bytes) or not isinstance(value, Collection):
        return depth
    return max((_nesting(item, depth + 1) for item in value), default=depth + 1)


def _check_sum(budget: Budget, context: Context, a: dict[str, Any]) -> None:
    if not isinstance(a["start"], int | float):  # adding lists one by one copies them all again each time
        raise SecurityError("In a template, |sum adds numbers only.")


def _check_batch(budget: Budget, context: Context, a: dict[str, Any]) -> None:
    if a["fill_with"] is not None:  # the last batch is padded to linecount items
        budget.need(_int(a["linecount"]) * (2 + text_size(a["fill_with"], budget.max_output)))


def _check_slice(budget: Budget, context: Context, a: dict[str, Any]) -> None:
    fill = 0 if a["fill_with"] is None else 2 + text_size(a["fill_with"], budget.max_output)
    budget.need(_int(a["slices"]) * (4 + fill))  # one list per slice, however few the items


def _check_round(budget: Budget, context: Context, a: dict[str, Any]) -> None:
    if abs(_int(a["precision"])) > MAX_DIGITS:  # floor and ceil compute 10 ** precision
        raise _too_many_digits()


_FILTER_CHECKS: dict[str, Callable[[Budget, Context, dict[str, Any]], None]] = {
    "center": lambda budget, context, a: budget.need(_int(a["width"])),
    "format": lambda budget, context, a: budget.need(_printf_size(str(a["value"]), a["kwargs"] or a["args"], budget.max_output)),
    "replace": lambda budget, context, a: budget.need(_replace_size(str(a["s"]), str(a["old"]), str(a["new"]), a["count"])),
    "indent": _check_indent,
    "wordwrap": _check_wordwrap,
    "join": _check_join,
    "batch": _check_batch,
    "slice": _check_slice,
    "round": _check_round,
    "urlize": _check_urlize,
    "tojson": _check_tojson,
    "sum": _check_sum,
}


# Filters that make a list of their whole input: a range, a string or a generator (|map, |select) is measured
# as they read it, item by item as the list's text will be, and refused once that is over the budget.
_BUILDERS = frozenset(["list", "sort", "slice", "groupby", "unique"])


def _counted(items: Iterable[Any], budget: Budget) -> Iterator[Any]:
    total = 2
    for n, item in enumerate(items):
        total += 2 + text_size(item, budget.max_output)
        budget.need(total)
        if n % 1024 == 0:
            budget.tick()
        yield item


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` measured: its arguments, then what it would build (for the filters in _FILTER_CHECKS), then its
    result. The guard takes the context, which also keeps Jinja from running the filter while it compiles."""
    passes = _PassArg.from_obj(func)  # type: ignore[arg-type]
    check = _FILTER_CHECKS.get(name)
    signature = None
    if check is not None:  # the filter's own parameters, after what Jinja passes first (if they name it)
        signature = inspect.signature(func)
        if _PassArg.from_obj(inspect.unwrap(func)) is not None:  # type: ignore[arg-type]
            signature = signature.replace(parameters=list(signature.parameters.values())[1:])

    def guarded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.tick()
        for arg in (value, *args, *kwargs.values()):
            budget.check(arg)
        if name in _BUILDERS and not isinstance(value, list | tuple | Mapping | set | frozenset):
            value = _counted(value, budget)
        lead = (
            ()
            if passes is None
            else (context.eval_ctx,)
            if passes is _PassArg.eval_context
            else (context.environment,)
            if passes is _PassArg.environment
            else (context,)
        )
        if check is None:
            return budget.check(func(*lead, value, *args, **kwargs))
        bound = signature.bind(value, *args, **kwargs)  # type: ignore[union-attr]
        bound.apply_defaults()
        check(budget, context, bound.arguments)
        return budget.check(func(*lead, *bound.args, **bound.kwargs))

    update_wrapper(guarded, func)
    del guarded.__wrapped__  # type: ignore[attr-defined]
    return pass_context(guarded)


def _range(*args: int) -> range:
    """``range``, of at most as many numbers as the output budget has characters (a loop over them is free; a
    list of them is measured as it is made)."""
    numbers = range(*args)
    budget = _budget()
    budget.tick()
    try:
        budget.need(len(numbers))
    except OverflowError:  # longer than a C integer counts
        budget.need(math.inf)
    return numbers


_LIPSUM = inspect.signature(generate_lorem_ipsum)


def _lipsum(*args: Any, **kwargs: Any) -> str:
    a = _LIPSUM.bind(*args, **kwargs)
    a.apply_defaults()
    budget = _budget()
    budget.tick()
    budget.need(_int(a.arguments["n"]) * max(_int(a.arguments["min"]), _int(a.arguments["max"]), 0) * 16)
    return budget.check(generate_lorem_ipsum(*a.args, **a.kwargs))  # type: ignore[no-any-return]


# --- loops, concatenation and the output ------------------------------------------------------------


class _Guarded:
    """A loop's iterable, with the clock checked at every item; its length is the iterable's, if it has one."""

    __slots__ = ("_items",)

    def __init__(self, items: Any) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        budget = _budget()
        for item in self._items:
            budget.tick()
            yield item


def _loop_guard(items: Any) -> _Guarded:
    return _Guarded(items)


@pass_eval_context
def _concat_guard(eval_ctx: EvalContext, parts: list[Any]) -> str:
    """``a ~ b ~ c``, refused before joining if the result would go over the budget."""
    budget = _budget()
    budget.tick()
    total = 0
    for part in parts:
        total += text_size(part, budget.max_output)
        budget.need(total)
    return (markup_join if eval_ctx.autoescape else str_join)(parts)  # type: ignore[no-any-return]


def _join_output(parts: Iterable[str]) -> str:
    """The environment's ``concat``: the whole output, a macro's text, a ``{% set %}`` block's, counted as the
    pieces arrive, so none of them can go over the budget."""
    budget = _budget()
    kept: list[str] = []
    total = 0
    for part in parts:
        total += len(part)
        budget.need(total)
        budget.tick()
        kept.append(part)
    return "".join(kept)


def _finalize(value: Any) -> Any:
    """Every ``{{ value }}``, measured before Jinja turns it into text. All of them count, including those printed
    into a macro's or a ``{% set %}`` block's text (which keeps every piece until it is joined): a macro's text
    printed again counts again."""
    budget = _budget()
    budget.tick()
    budget.printed += len(value) if type(value) is str else text_size(value, budget.max_output)
    budget.need(budget.printed)
    return budget.check(value)


class _Guards(NodeTransformer):
    """Route every loop's iterable and every ``~`` through the budget (Jinja compiles both to plain Python)."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _internal_call("chair_loop", node.iter)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _internal_call("chair_concat", nodes.List(node.nodes, lineno=node.lineno))


def _internal_call(name: str, arg: nodes.Expr) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name, lineno=arg.lineno), [arg], [], None, None, lineno=arg.lineno)


# --- the environment ----------------------------------------------------------------------------------


def _line_of(exc: BaseException) -> int | None:
    """The template line an error was raised at (Jinja puts template frames into the traceback)."""
    line, tb = None, exc.__traceback__
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def error_line(exc: BaseException) -> int | None:
    """The template line an error raised while rendering came from, when Jinja's traceback tells it."""
    if isinstance(exc, BudgetExceeded):
        return exc.lineno
    return _line_of(exc)


class ChairTemplate(Template):
    environment: ChairSandbox

    def render(self, *args: Any, **kwargs: Any) -> str:
        """The text, within the environment's budget (the app's settings unless the environment has its own).
        Jinja's ``Template.render``, keeping hold of the output's generator to tell the line it had reached."""
        budget = Budget(*self.environment.limits())
        output = self.root_render_func(self.new_context(dict(*args, **kwargs)))  # runs nothing yet
        token = _current.set(budget)
        try:
            try:
                return _join_output(output)
            except Exception:
                self.environment.handle_exception()
        except BudgetExceeded as exc:
            raise BudgetExceeded(exc.reason, exc.lineno or _line_of(exc) or self._line_reached(output)) from exc
        except RecursionError as exc:
            raise BudgetExceeded(_too_deep().reason, _line_of(exc)) from exc
        except MemoryError as exc:  # nothing known should get here; if something does, say what it means
            raise budget.too_long() from exc
        finally:
            _current.reset(token)

    def _line_reached(self, output: Any) -> int | None:
        frame = getattr(output, "gi_frame", None)
        return self.get_corresponding_lineno(frame.f_lineno) if frame is not None else None


class ChairSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(["+", "-", "*", "/", "//", "%", "**"])
    template_class = ChairTemplate

    def __init__(self, *, max_output: int | None = None, max_seconds: float | None = None, **options: Any) -> None:
        super().__init__(finalize=_finalize, **options)
        self.max_output, self.max_seconds = max_output, max_seconds
        self.filters = {name: _guard_filter(name, func) for name, func in self.filters.items()}
        self.globals.update(range=_range, lipsum=_lipsum)
        self.concat = _join_output  # type: ignore[assignment]
        self.chair_loop, self.chair_concat = _loop_guard, _concat_guard

    def limits(self) -> tuple[int, float]:
        """(most characters, most seconds) of one render: this environment's own, else the app's settings."""
        config: Mapping[str, Any] = current_app.config if has_app_context() else {}
        return (
            self.max_output or config.get("CHAIR_TEMPLATE_MAX_OUTPUT") or DEFAULT_MAX_OUTPUT,
            self.max_seconds or config.get("CHAIR_TEMPLATE_MAX_SECONDS") or DEFAULT_MAX_SECONDS,
        )

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        try:
            tree = _Guards().visit(super()._parse(source, name, filename))
        except RecursionError:
            raise TemplateSyntaxError(_TOO_DEEP_TO_COMPILE, 1, name, filename) from None
        tree.set_environment(self)
        return tree  # type: ignore[no-any-return]

    def compile(
        self, source: Any, name: str | None = None, filename: str | None = None, raw: bool = False, defer_init: bool = False
    ) -> Any:
        try:
            return super().compile(source, name, filename, raw, defer_init)
        except (RecursionError, SyntaxError):  # Python's own limits on nesting, compiling the generated code
            raise TemplateSyntaxError(_TOO_DEEP_TO_COMPILE, 1, name, filename) from None

    def call_binop(self, context: Context, operator_name: str, left: Any, right: Any) -> Any:
        budget = _budget()
        budget.tick()
        if operator_name == "**":
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and right > 0
                and abs(left) > 1
                and right * (abs(left).bit_length() - 1) > _MAX_BITS
            ):
                raise _too_many_digits()
        elif operator_name == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | bytes | list | tuple) and isinstance(times, int):
                    budget.need(text_size(seq, budget.max_output) * max(times, 0))
            if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > _MAX_BITS + 1:
                raise _too_many_digits()
        elif operator_name == "+":
            if isinstance(left, str | bytes | list | tuple) and isinstance(right, str | bytes | list | tuple):
                budget.need(text_size(left, budget.max_output) + text_size(right, budget.max_output))
        elif operator_name == "%" and isinstance(left, str | bytes):
            budget.need(_printf_size(left, right, budget.max_output))
        return budget.check(self.binop_table[operator_name](left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if __obj is _loop_guard:
            return _Guarded(args[0])
        if __obj is _concat_guard:
            return _concat_guard(__context.eval_ctx, args[0])
        budget = _budget()
        budget.tick()
        owner, name = getattr(__obj, "__self__", None), getattr(__obj, "__name__", None)
        if isinstance(owner, str | bytes) and isinstance(name, str):
            args = _str_method(budget, owner, name, args, kwargs)
        elif owner is dict and name == "fromkeys" and args:
            value = args[1] if len(args) > 1 else None
            args = (_joined(budget, args[0], 4 + text_size(value, budget.max_output)), *args[1:])
        if not isinstance(__obj, Macro | LoopContext):
            return budget.check(super().call(__context, __obj, *args, **kwargs))
        if isinstance(__obj, LoopContext) and args:  # loop(children) in a recursive loop
            args = (_Guarded(args[0]), *args[1:])
        budget.depth += 1
        try:
            if budget.depth > MAX_DEPTH:
                raise _too_deep()
            return budget.check(super().call(__context, __obj, *args, **kwargs))
        finally:
            budget.depth -= 1

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """Jinja's own ``str.format`` wrapper, with the measuring formatter."""
        if not isinstance(value, types.MethodType | types.BuiltinMethodType) or value.__name__ not in ("format", "format_map"):
            return None
        f_self = value.__self__
        if not isinstance(f_self, str):
            return None
        str_type, is_format_map = type(f_self), value.__name__ == "format_map"
        formatter = (
            _MeasuredEscapeFormatter(self, escape=f_self.escape) if isinstance(f_self, Markup) else _MeasuredFormatter(self)
        )

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs:
                    raise TypeError("format_map() takes no keyword arguments")
                if len(args) != 1:
                    raise TypeError(f"format_map() takes exactly one argument ({len(args)} given)")
                kwargs, args = args[0], ()
            return str_type(formatter.vformat(f_self, args, kwargs))

        return update_wrapper(wrapper, value)


#: What a chair's template can raise while it renders, besides ``TemplateError`` (``{{ 1 / 0 }}``,
#: ``{{ 10.0 ** 400 }}``, ``{{ title + 1 }}``, ``{{ authors[99] }}``): each is the chair's mistake, told to them.
RUNTIME_ERRORS = (TemplateError, ArithmeticError, LookupError, TypeError, ValueError)


def chair_sandbox(
    undefined: type[Undefined] = Undefined,
    *,
    max_output: int | None = None,
    max_seconds: float | None = None,
    **options: Any,
) -> ChairSandbox:
    """The environment for chairs' templates; ``max_output``/``max_seconds`` override the app's settings, and
    ``options`` Jinja's (the system mails' templates read as the portal's own mail templates do, with
    ``trim_blocks`` and ``lstrip_blocks``)."""
    return ChairSandbox(
        **{"autoescape": False, "keep_trailing_newline": True, **options},
        undefined=undefined,
        max_output=max_output,
        max_seconds=max_seconds,
    )
