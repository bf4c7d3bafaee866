"""The sandbox for chairs' templates: every way a template can build text (padding filters, format widths, str
methods, concatenation, ranges and lists, loops, macros, numbers) hits one output budget and one time budget with a
message for the chair, before it takes the worker's memory or time; ordinary templates render as plain Jinja does.

On the code before the budget, each attack below either built its gigabyte (``''|center(10**9)`` rendered a
1,000,000,000-character letter; ``.replace``, ``~`` doubling, ``|join`` and ``|batch`` ran out of memory), ran until
killed (nested loops, a macro calling itself twice, ``x * x`` in a loop, ``|round(10**9, 'floor')``), or raised an
error that is a 500 for the letters page (``range(10**12)``: OverflowError; a macro calling itself:
RecursionError)."""

from __future__ import annotations

import time
import tracemalloc

import pytest
from flask import Flask
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from portal.sandbox import BudgetExceeded, chair_sandbox

TOO_LONG = "This template would produce more than 1 MB of text (line 1)."
S = "{% set s = 'x' * 100000 %}"  # 100 KB: ten of it is the budget


def refused(source: str, **limits: float) -> str:
    """The message a template is refused with."""
    with pytest.raises(BudgetExceeded) as excinfo:
        chair_sandbox(**limits).from_string(source).render(title="A title", name="Ann")  # type: ignore[arg-type]
    return str(excinfo.value)


def peak_mb(source: str) -> float:
    """The most memory a refused template's render takes, in MB (with time enough: tracing slows it down)."""
    template = chair_sandbox(max_seconds=60).from_string(source)
    tracemalloc.start()
    try:
        with pytest.raises(BudgetExceeded):
            template.render(title="A title", name="Ann")
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def assert_too_long(source: str) -> None:
    assert refused(source) == TOO_LONG
    # Refused before it was built, or as soon as it passed 1 MB: never the gigabyte asked for. (A list's Python
    # objects take up to about eight times its text: 125,000 short strings.)
    assert peak_mb(source) < 10


# --- the output budget --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''|center(10**9) }}",
        "{{ 'a'|indent(10**9, true) }}",
        "{{ ('a\\n' * 1000)|indent('y' * 10000) }}",
        S + "{{ ('a ' * 50000)|wordwrap(1, wrapstring=s) }}",
        "{{ '%999999999s'|format('x') }}",
        "{{ [1]|batch(10**9, 'x')|list|length }}",
        "{{ [1]|slice(10**9)|list|length }}",
        "{{ [1, [2, [3]]]|tojson(indent=10**9) }}",
        S + "{{ ('www.a.com ' * 20)|urlize(target=s) }}",
        S + "{% for i in range(20) %}{{ s|truncate(99000, true) }}{% endfor %}",
    ],
)
def test_padding_filters_hit_the_output_budget(source: str) -> None:
    assert_too_long(source)


@pytest.mark.parametrize(
    "source",
    [
        "{{ '%*s' % (10**9, 'x') }}",
        "{{ '%999999999s' % 'x' }}",
        "{{ '%.999999999f' % 1.0 }}",
        "{{ '{:>999999999}'.format('x') }}",
        "{{ '{0:{1}}'.format('x', 10**9) }}",
        "{{ '{:.999999999f}'.format(1.0) }}",
        "{{ '{a:>999999999}'.format_map({'a': 'x'}) }}",
        "{{ ('{:>999999999}'|safe).format('x') }}",
        S + "{{ '{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}'.format(s) }}",
    ],
)
def test_format_widths_hit_the_output_budget(source: str) -> None:
    assert_too_long(source)


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'x'.ljust(10**9) }}",
        "{{ 'x'.rjust(10**9) }}",
        "{{ 'x'.center(10**9) }}",
        "{{ '1'.zfill(10**9) }}",
        "{{ '\t'.expandtabs(10**9) }}",
        S + "{{ s.replace('x', s) }}",
        S + "{{ s.translate({120: s}) }}",
        S + "{{ s.join(range(100000)|map('string')) }}",
        "{{ ('x'|safe).center(10**9) }}",
        "{{ 'x'.encode().center(10**9) }}",
    ],
)
def test_string_methods_hit_the_output_budget(source: str) -> None:
    assert_too_long(source)


@pytest.mark.parametrize(
    "source",
    [
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        S + "{% set s = s ~ s %}" * 15,
        "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
        S + "{% set ns = namespace(s='') %}{% for i in range(100) %}{% set ns.s = 'ab' ~ s ~ ns.s %}{% endfor %}",
        "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
        "{{ 'x' * 10**9 }}",
        S + "{{ [s] * 11 }}",
    ],
)
def test_concatenation_and_doubling_hit_the_output_budget(source: str) -> None:
    assert_too_long(source)


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(10**12) %}{% endfor %}",
        "{{ range(10**12)|list|length }}",
        "{{ range(10**6)|list|length }}",  # a million numbers fit in a loop, not in a list's text
        "{{ range(10**6)|map('string')|list|length }}",
        "{{ ('x' * 999999)|list|length }}",
        S + "{{ range(100000)|join(s) }}",
        S + "{{ {}.fromkeys(range(100), s) }}",
        "{{ lipsum(10**6)|length }}",
    ],
)
def test_big_ranges_joins_and_lists_hit_the_output_budget(source: str) -> None:
    assert_too_long(source)


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}",
        "{% for i in range(10**6) %}two characters{% endfor %}",
        "{% set b %}{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}{% endset %}{{ b|length }}",
        "{% macro m() %}{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}{% endmacro %}{{ m()|length }}",
        S + "{{ (s, s, s, s, s, s, s, s, s, s, s) }}",
        S + "{% set j = joiner(s ~ s ~ s ~ s) %}{{ j() }}{{ j() }}{{ j() }}{{ j() }}",  # the first j() is ''
    ],
)
def test_what_a_template_prints_hits_the_output_budget(source: str) -> None:
    assert_too_long(source)


def test_the_output_budget_is_a_limit_not_an_estimate() -> None:
    env = chair_sandbox()
    assert len(env.from_string("{{ 'x' * 1000000 }}").render()) == 1_000_000
    assert len(env.from_string("{% for i in range(10) %}{{ 'x' * 100000 }}{% endfor %}").render()) == 1_000_000
    with pytest.raises(BudgetExceeded, match=r"^This template would produce more than 1 MB of text \(line 1\)\.$"):
        env.from_string("{{ 'x' * 1000001 }}").render()
    with pytest.raises(BudgetExceeded, match=r"^This template would produce more than 1 MB of text \(line 2\)\.$"):
        env.from_string("{{ 'x' * 999999 }}\n{{ title }}").render(title="!")


# --- the time budget ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{% for i in range(10**6) %}{% for j in range(10**6) %}{% endfor %}{% endfor %}",
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
        "{% set d = {}.fromkeys(range(20000)) %}{% for i in range(100000) %}{{ d|dictsort|length }}{% endfor %}",
        "{% set t = title * 20 %}{% for a in t %}{% for b in t %}{% for c in t %}{% for d in t %}{% endfor %}{% endfor %}"
        "{% endfor %}{% endfor %}",
        "{% for i in range(10**6) %}{% for j in range(10**6) %}{{ 'ab'.upper() }}{% endfor %}{% endfor %}",
    ],
)
def test_loops_and_calls_hit_the_time_budget(source: str) -> None:
    started = time.monotonic()
    assert refused(source, max_seconds=0.3) == "This template would take longer than 0.3 seconds to render (line 1)."
    assert time.monotonic() - started < 1.5  # stopped soon after the budget, not when the work ends


def test_the_time_budget_is_per_render() -> None:
    template = chair_sandbox(max_seconds=0.3).from_string("{% for i in range(2000) %}{{ i }}{% endfor %}")
    with pytest.raises(BudgetExceeded):
        chair_sandbox(max_seconds=0.3).from_string(
            "{% for i in range(10**6) %}{% for j in range(10**6) %}{% endfor %}{% endfor %}"
        ).render()
    time.sleep(0.35)  # longer than the budget since the environment was made: each render has its own clock
    assert len(template.render()) == len("".join(map(str, range(2000))))


# --- depth and numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}",
        "{% macro f(n) %}{% if n %}{% call f(n - 1) %}{% endcall %}{% endif %}{{ caller() if caller }}{% endmacro %}{{ f(60) }}",
    ],
)
def test_recursion_is_refused_with_a_message(source: str) -> None:
    assert refused(source) == "This template nests its macros, loops or values more than 50 deep (line 1)."


def test_recursion_within_the_depth_renders() -> None:
    countdown = "{% macro f(n) %}{{ n }}{% if n %} {{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"
    assert chair_sandbox().from_string(countdown).render() == " ".join(str(n) for n in range(40, -1, -1))


def test_a_template_nested_too_deeply_to_read_is_a_syntax_error() -> None:
    with pytest.raises(TemplateSyntaxError) as excinfo:
        chair_sandbox().from_string("{{ " + "(" * 300 + "1" + ")" * 300 + " }}")
    assert excinfo.value.message == "This template nests brackets, expressions or blocks too deeply to be read."


@pytest.mark.parametrize(
    "source",
    [
        "{% set ns = namespace(x=3) %}{% for i in range(40) %}{% set ns.x = ns.x * ns.x %}{% endfor %}",
        "{{ 2 ** 15000 }}",
        "{{ (2 ** 14000) * (2 ** 14000) }}",
        "{{ 1.5|round(10**9, 'floor') }}",
        "{{ 5|round(-10**9) }}",
    ],
)
def test_numbers_are_bounded(source: str) -> None:
    assert refused(source) == "This template would make a number of more than 4,300 digits (line 1)."


def test_lists_and_dicts_cannot_be_changed_in_place() -> None:
    env = chair_sandbox()
    with pytest.raises(SecurityError, match=r"^access to attribute 'extend' of 'list' object is unsafe\.$"):
        env.from_string("{% set a = [1] %}{% for i in range(40) %}{{ a.extend(a) }}{% endfor %}").render()
    with pytest.raises(SecurityError, match=r"^In a template, \|sum adds numbers only\.$"):
        env.from_string("{{ range(100000)|batch(1)|sum(start=[])|length }}").render()


# --- what chairs write keeps working --------------------------------------------------------------------

CONTEXT = {
    "title": "Ring Attention",
    "number": 7,
    "authors": "Ann Author, Ben Bauthor",
    "note": "Well done.\nSee you.",
    "reviews": "Reviewer 1:\n" + "A good paper with long experiments. " * 300,
    "workshop": "LongLLM 2024",
}


@pytest.mark.parametrize(
    "source",
    [
        "{{ title|upper }}|{{ title|center(30) }}|{{ reviews|wordwrap(72) }}|{{ note|indent(4, true) }}",
        "{% for w in title.split() %}{{ loop.index }}/{{ loop.length }}:{{ w }}{% if not loop.last %}, {% endif %}{% endfor %}",
        "{% macro m(x) %}<{{ x }}>{{ caller() if caller else '' }}{% endmacro %}{{ m(title) }}{% call m(1) %}in{% endcall %}",
        "{{ '%s #%d, %-10s|' % (title, number, 'x') }}{{ '{:>10}|{:.2f}'.format(title[:5], 3.14159) }}{{ '%05.1f'|format(2.5) }}",
        "{{ authors ~ ' / ' ~ number ~ ' / ' ~ (number * 3) ~ (number ** 2) ~ (number // 2) ~ (number % 5) ~ (10 / 4) }}",
        "{% set ns = namespace(t=0) %}{% for i in range(10) %}{% set ns.t = ns.t + i %}{% endfor %}{{ ns.t }}",
        "{{ range(5)|join(', ') }} {{ [3, 1, 2]|sort|list }} {{ {'b': 1, 'a': 2}|dictsort }} {{ [1, 2, 3]|sum }} {{ 'ab' * 3 }}",
        "{% for r in [[1, 2], [3]] recursive %}[{% if r is iterable %}{{ loop(r) }}{% else %}{{ r }}{% endif %}]{% endfor %}",
        "{{ 'a\tb'.expandtabs(4) }}{{ 'x'.ljust(5) }}|{{ '7'.zfill(3) }}{{ title.replace('a', 'A') }}{{ '-'.join(['a', 'b']) }}",
        "{{ reviews|truncate(40) }} {{ reviews|wordcount }} {{ title|replace('Ring', 'R') }} {{ [1, 2, 3, 4, 5]|batch(2, 0)|list }}",  # noqa: E501
        "{{ [1, 2, 3]|slice(2)|list }} {{ missing }}|{{ missing|default('d') }}|{{ 3.14159|round(2) }}|{{ 2.5|round(0, 'floor') }}",  # noqa: E501
        "{% set x %}block {{ title }}{% endset %}{{ x|upper }}{% filter upper %}filtered {{ number }}{% endfilter %}",
        "{{ {'a': [1, 2]}|tojson }}{{ {'a': [1, 2]}|tojson(indent=2) }}{{ {'a': 1}|pprint }}{{ '%(a)s'|format(a=1) }}",
        "{{ [title, number]|join('|') }}{{ ('a', 'b') + ('c',) }}{{ [1] + [2] }}{{ 'é'.encode('utf-8') }}{{ (reviews * 2)|length }}",  # noqa: E501
        "{% for a, b in {'k': 'v'}.items() %}{{ a }}={{ b }}{% else %}none{% endfor %}{% for x in [] %}{% else %}empty{% endfor %}",  # noqa: E501
        "{{ 'x' * 1000 }}{{ 'a.io b@c.org www.example.org'|urlize }}{{ (reviews ~ reviews)|length }}{{ 2 ** 64 }}{{ -5 // 2 }}",
    ],
)
def test_ordinary_templates_render_as_in_plain_jinja(source: str) -> None:
    plain = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
    assert chair_sandbox().from_string(source).render(**CONTEXT) == plain.from_string(source).render(**CONTEXT)


def test_a_strict_sandbox_still_names_the_unknown_placeholder() -> None:
    env = chair_sandbox(StrictUndefined)
    for source in ("{{ nmae }}", "{{ nmae ~ 'x' }}", "{% for x in nmae %}{% endfor %}", "{{ nmae|upper }}"):
        with pytest.raises(UndefinedError, match=r"^'nmae' is undefined$"):
            env.from_string(source).render(name="Ann")


def test_the_budget_comes_from_the_apps_settings() -> None:
    app = Flask(__name__)
    app.config.update(CHAIR_TEMPLATE_MAX_OUTPUT=1000, CHAIR_TEMPLATE_MAX_SECONDS=0.25)
    template = chair_sandbox().from_string("{{ 'x' * n }}")
    with app.app_context():
        assert template.render(n=1000) == "x" * 1000
        with pytest.raises(BudgetExceeded, match=r"^This template would produce more than 1 KB of text \(line 1\)\.$"):
            template.render(n=1001)
        with pytest.raises(BudgetExceeded, match=r"^This template would take longer than 0.25 seconds to render"):
            chair_sandbox().from_string(
                "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
                "{% endfor %}{% endfor %}{% endfor %}"
            ).render()
    assert template.render(n=1001) == "x" * 1001  # outside the app: the default, 1 MB
