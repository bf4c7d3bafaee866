"""MkDocs hook: the settings table of docs/admin/settings.md, generated from portal/config.py.

portal/config.py is read with ``ast``, never imported (the docs build needs none of the portal's dependencies).
Each key of ``class Config`` is a row: its name, its default, and its description, which is the ``#:`` comment
lines just above it plus a ``#:`` comment at the end of its line. A ``#: Default: ...`` line gives the default in
words; otherwise the value is shown as it is written in an environment variable (``true``, ``null`` as "unset",
JSON for lists and dicts), with the expression beside it when it is computed (``64 * 1024 * 1024``).
"""

from __future__ import annotations

import ast
import io
import json
import operator
import tokenize
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "portal" / "config.py"
MARKER = "<!-- settings-table -->"

_DOC = "#:"
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Pow: operator.pow}


class Setting(NamedTuple):
    key: str
    default: str  # Markdown
    description: str  # Markdown, one line


def _doc_comments(source: str) -> dict[int, str]:
    """The text of every ``#:`` comment, by line number."""
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and token.string.startswith(_DOC):
            found[token.start[0]] = token.string[len(_DOC) :].strip()
    return found


def _evaluate(node: ast.expr) -> Any:
    """The value of a literal or of arithmetic on numbers; ValueError for anything else."""
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right)):
            raise ValueError("arithmetic on numbers only")
        return _OPERATORS[type(node.op)](left, right)
    return ast.literal_eval(node)


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, str):
        return f"`{value}`"
    return f"`{json.dumps(value)}`"


def _default(node: ast.expr | None, source: str) -> str:
    if node is None:
        return "unset"
    written = ast.get_source_segment(source, node) or ""
    try:
        value = _evaluate(node)
    except ValueError:
        return f"`{written}`"
    shown = _show(value)
    if isinstance(node, ast.BinOp):
        shown += f" (`{written}`)"
    return shown


def read_settings(path: Path = CONFIG) -> list[Setting]:
    """Every key of ``class Config`` in ``path``, in the order written, with its default and description."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    docs = _doc_comments(source)
    config = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == "Config")
    settings = []
    for statement in config.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign):
            target, value = statement.target, statement.value
        else:
            continue
        if not isinstance(target, ast.Name) or not target.id.isupper():
            continue
        # The comment lines just above the statement (plain ones included, so a note may sit between the doc
        # comment and the key), of which the #: ones are its description.
        above = []
        line = statement.lineno - 1
        while line >= 1 and lines[line - 1].strip().startswith("#"):
            if line in docs:
                above.append(docs[line])
            line -= 1
        parts = [*reversed(above)]
        if statement.end_lineno in docs:  # a #: comment at the end of its line
            parts.append(docs[statement.end_lineno])
        default = None
        description = []
        for part in parts:
            if part.startswith("Default:"):
                default = part.removeprefix("Default:").strip()
            else:
                description.append(part)
        text = " ".join(description).strip()
        if text and text[0].islower():
            text = text[0].upper() + text[1:]
        if text and not text.endswith("."):
            text += "."
        settings.append(Setting(target.id, default or _default(value, source), text))
    return settings


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def settings_table(path: Path = CONFIG) -> str:
    """The Markdown table of every setting: key, default, what it does."""
    rows = ["| key | default | what it does |", "|---|---|---|"]
    rows += [f"| `{s.key}` | {_cell(s.default)} | {_cell(s.description)} |" for s in read_settings(path)]
    return "\n".join(rows)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs's hook: the marker in a page becomes the table."""
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, settings_table())
    return markdown
