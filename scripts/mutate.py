"""A small mutation run over the rules that guard the review (issue 17): does a test notice each change?

For each function of a target file, single-clause mutants are made from the AST and written into a copy of the
source tree (never into the working tree); the target's test subset runs against each with ``pytest -x``. A
mutant is *killed* when a test fails (or the run times out), *survived* when every test passes, *equivalent*
when it is listed in ``EQUIVALENT`` below with the reason it cannot change what anybody sees.

    .venv/bin/python scripts/mutate.py                      # every target, its own test subset
    .venv/bin/python scripts/mutate.py --target portal/permissions.py --function can_review
    .venv/bin/python scripts/mutate.py --list               # the mutants, without running them
    .venv/bin/python scripts/mutate.py --rev HEAD           # the product code of a commit (see --rev)

Operators: negate a condition (``if``, ``while``, conditional expression, comprehension filter); drop one
operand of ``and``/``or`` (and of ``&``/``|`` on arrays, of ``sa.and_``/``sa.or_``/``sa.union``, of a
``.where`` with several criteria); drop a ``not``; flip a comparison (``==``/``!=``, ``<``/``<=``,
``>``/``>=``, ``in``/``not in``, ``is``/``is not``, ``.in_``/``.not_in``, ``.is_``/``.is_not``); swap
``True``/``False`` and ``sa.true()``/``sa.false()``; a predicate (``-> bool``) returns ``True``/``False``;
``+``/``-`` and ``//``/``%`` swapped; a comprehension filter dropped; a call statement, ``continue`` or
``del`` removed; one rule removed from ``RULES``.

Dependency-free (the standard library and the project's own pytest). Runs on SQLite only: the mutant runs unset
``PORTAL_TEST_DATABASE_URL``. Prints a table and writes ``mutation/results.json`` in the style of
``bench/results.json`` (``{"<name>": {"value", "unit", "goal", "ok", ...}}``), with every mutant's outcome.
"""

from __future__ import annotations
import __future__

import argparse
import ast
import contextlib
import hashlib
import importlib
import io
import json
import os
import queue
import re
import select
import shutil
import signal
import subprocess  # nosec B404 - runs git and pytest, our own commands
import sys
import tarfile
import tempfile
import threading
import time
import tokenize
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "mutation" / "results.json"

# --- what is mutated, and the tests that must notice -----------------------------------------------------

# The tests that exercise the guards, the quickest to notice first: the guards' own tests (each written for a
# change nothing else noticed), the reviewing pages' permission matrix with the data that could leak, and the
# identities that conflicts follow (test_people). The conflict rules add their scenarios run through both
# implementations. A test that fails before any mutation makes no subset: the run refuses to start (--deselect).
MATRIX = "tests/views/test_reviewing.py::test_reviewing_pages_permission_matrix_with_data_that_could_leak"
# Who reads which field of a review (issue 21.4): the rule's table, and each audience on pages, letters, exports.
FIELDS = "tests/views/test_review_form.py::test_each_visibility_on_the_pages_the_letter_and_the_exports"
GUARD_TESTS = [
    "tests/unit/test_guards.py",
    "tests/unit/test_review_visibility.py",
    "tests/views/test_guards.py",
    MATRIX,
    FIELDS,
    "tests/views/test_people.py",
]
CONFLICT_TESTS = [
    "tests/unit/test_guards.py",
    "tests/unit/test_conflicts.py",
    "tests/views/test_people.py",
    "tests/views/test_guards.py",
]


@dataclass(frozen=True)
class Target:
    path: str
    functions: tuple[str, ...] | None  # None: every function of the file
    tests: tuple[str, ...]


CONFLICT_RULES = ("RULES", "gather", "reasons_of", "conflicted_pairs", "_equi_join")
# The reviewing services' visibility helpers: what a reader is told of a paper's people and papers.
REVIEWING_HELPERS = {
    "portal/services/discussion.py": ("display_name",),
    "portal/services/bidding.py": ("biddable",),
    "portal/services/reviews.py": ("unfinished_by_reviewer",),
    "portal/services/assignments.py": ("suspended_assignments",),
}
TARGETS = {
    "portal/permissions.py": Target("portal/permissions.py", None, tuple(GUARD_TESTS)),
    "portal/queries/conflicts.py": Target("portal/queries/conflicts.py", CONFLICT_RULES, tuple(CONFLICT_TESTS)),
    **{path: Target(path, functions, tuple(GUARD_TESTS)) for path, functions in REVIEWING_HELPERS.items()},
}

# Mutants that change no behaviour: (file, function, change[, the line it starts on]) -> why. A mutant listed
# here is not run. The change is as ``--list`` prints it; the line (stripped) is needed only where the same change
# occurs twice in a function. An entry that matches no mutant (the code changed) is reported.
_AUTHORED = (
    "chair_conflicted_ids includes authored_ids, which is is_author in SQL (the submitter, a linked row, a listed "
    "address): a paper's author is always in _chair_conflicts, so the clause adds nothing"
)
_FORGET = (
    "the request's cache holds chair_conflicted_ids, which its only caller, set_manager, does not change (it names a "
    "manager; authors and declared conflicts stay), and the view redirects right after"
)
_ACCOUNTS = (
    "which accounts' history is read is only a narrowing: history is looked up by the id of a reviewer, author or "
    "submitter in question, so reading more accounts (or all) gives the same facts"
)
_OVERRIDES = (
    "the chairs' overrides read for more papers or reviewers than asked: reasons_of and conflicted_pairs keep only "
    "the pairs asked for (as the comment beside the query says)"
)
_READ_OVERRIDES = (
    "sa.select(ConflictOverride.submission_id, ConflictOverride.reviewer_id, ConflictOverride.conflicted, ConflictOverride.note)"
)
_BY_PAPER = "_among(ConflictOverride.submission_id, sub_ids if isinstance(sub_ids, list) else None)"
_BY_REVIEWER = "_among(ConflictOverride.reviewer_id, reviewer_ids if isinstance(reviewer_ids, list) else None)"
_OVERRIDES_READ = f"{_READ_OVERRIDES}.where({_BY_PAPER}, {_BY_REVIEWER})"
_EMPTY_JOIN = (
    "a rule with no key on one side joins to nothing: the array join of an empty side returns empty arrays, so "
    "skipping it or not gives the same cells"
)
EQUIVALENT: dict[tuple[str, ...], str] = {
    # portal/permissions.py
    ("permissions.py", "can_download_revision", "can_view_submission(user, revision.submission) -> True"): (
        "its only caller, the download view, looks the revision up among the files of a submission it loaded "
        "through get_submission, i.e. one the user may view: the answer is can_view_submission's already"
    ),
    ("permissions.py", "can_extend_deadline", "is_chair(user) and not is_author(user, sub) -> (not is_author(user, sub))"): (
        "asked only on the submission's page and by the extension view, both behind get_submission (an author or a "
        "chair): for an author both are False, for a chair both are `not is_author`"
    ),
    (
        "permissions.py",
        "can_chair_paper",
        "sub.manager_id is not None and user.id == sub.manager_id -> (user.id == sub.manager_id)",
    ): ("a signed-in person has an id: `user.id == sub.manager_id` is never true while manager_id is None"),
    (
        "permissions.py",
        "can_chair_paper",
        "not is_author(user, sub) and sub.id not in _chair_conflicts(user) -> (sub.id not in _chair_conflicts(user))",
    ): _AUTHORED,
    (
        "permissions.py",
        "can_chair_paper",
        "is_chair(user) and not is_author(user, sub) and sub.id not in _chair_conflicts(user) "
        "-> (is_chair(user) and sub.id not in _chair_conflicts(user))",
    ): _AUTHORED,
    (
        "permissions.py",
        "chair_conflicted_ids",
        "sa.union(sa.select(sa.literal(user.email)), sa.select(UserEmail.email).where("
        "UserEmail.user_id == user.id)) -> sa.union(sa.select(UserEmail.email).where(UserEmail.user_id == user.id))",
    ): (
        "every confirmed address, the current one included, has a user_email row (address_confirmed writes it; the "
        "identities migration back-filled it) and only a confirmed account signs in; set_manager, the one caller "
        "about someone else, asks conflict_reasons first, which reads the current address too"
    ),
    ("permissions.py", "forget_chair_conflicts", "has_request_context() -> (not (has_request_context()))"): _FORGET,
    ("permissions.py", "forget_chair_conflicts", 'g.pop("chair_conflicts", None) -> pass'): _FORGET,
    (
        "permissions.py",
        "has_reviewed",
        "own is not None and own.review is not None and own.review.state == ReviewState.SUBMITTED "
        "-> (own.review is not None and own.review.state == ReviewState.SUBMITTED)",
    ): ("has_reviewed returns early unless can_review holds, which needs the assignment: own is never None here"),
    ("permissions.py", "require_sign_in", 'request.referrer or "" -> (request.referrer)'): (
        "evaluated only when _same_site(request.referrer) holds, i.e. when there is a referrer"
    ),
    (
        "permissions.py",
        "_same_site",
        "bool(url) and urlsplit(url).netloc == request.host -> (urlsplit(url).netloc == request.host)",
    ): ("urlsplit of a missing or empty referrer has an empty host, which is never the request's"),
    # portal/queries/conflicts.py
    ("conflicts.py", "RULES", 'Rule("account", "account", AUTHOR) -> (removed)'): (
        "a row is linked to an account only by an address that account confirmed, and every confirmed address is in "
        "the account's history, which gather gives the email rule (for the submitter, listed or not, too): the email "
        "rule finds every pair the account rule finds, with the same reason"
    ),
    (
        "conflicts.py",
        "gather",
        "not (isinstance(sub_ids, list) and isinstance(reviewer_ids, list)) "
        "-> (isinstance(sub_ids, list) and isinstance(reviewer_ids, list))",
    ): _ACCOUNTS,
    (
        "conflicts.py",
        "gather",
        "isinstance(sub_ids, list) and isinstance(reviewer_ids, list) -> (isinstance(reviewer_ids, list))",
    ): _ACCOUNTS,
    (
        "conflicts.py",
        "gather",
        "isinstance(sub_ids, list) and isinstance(reviewer_ids, list) -> (isinstance(sub_ids, list))",
    ): _ACCOUNTS,
    (
        "conflicts.py",
        "gather",
        "sa.select(SubmissionAuthor.user_id).where(in_subs, SubmissionAuthor.user_id.is_not(None)) "
        "-> sa.select(SubmissionAuthor.user_id).where(SubmissionAuthor.user_id.is_not(None))",
    ): _ACCOUNTS,
    (
        "conflicts.py",
        "gather",
        "sa.select(SubmissionAuthor.user_id).where(in_subs, SubmissionAuthor.user_id.is_not(None)) "
        "-> sa.select(SubmissionAuthor.user_id).where(in_subs)",
    ): _ACCOUNTS + " (a NULL in the union matches no id)",
    (
        "conflicts.py",
        "gather",
        "sa.select(Submission.submitter_id).where(_among(Submission.id, sub_ids), Submission.submitter_id"
        ".is_not(None)) -> sa.select(Submission.submitter_id).where(Submission.submitter_id.is_not(None))",
    ): _ACCOUNTS,
    (
        "conflicts.py",
        "gather",
        "sa.select(Submission.submitter_id).where(_among(Submission.id, sub_ids), Submission.submitter_id"
        ".is_not(None)) -> sa.select(Submission.submitter_id).where(_among(Submission.id, sub_ids))",
    ): _ACCOUNTS + " (a NULL in the union matches no id)",
    (
        "conflicts.py",
        "gather",
        "s.submitter_id is not None and s.submitter_id not in linked[s.id] -> (s.submitter_id not in linked[s.id])",
    ): (
        "a paper whose submitter's account is gone (NULL) then gets an account fact None, which no reviewer has, "
        "and no history: nothing matches"
    ),
    ("conflicts.py", "gather", 'paper["account"].append((s.id, s.submitter_id, "the submitter", s.submitter_id)) -> pass'): (
        "the unlisted submitter's addresses come from their history as email facts, so the email rule still finds "
        "them an author of the paper, with the same reason"
    ),
    (
        "conflicts.py",
        "gather",
        "True -> False",
        'known = history.get(u.id, {"email": [(u.email, True)], "inst": [(u.affiliation, True)]})',
    ): (
        "whether a reviewer's address or affiliation is the current one is not used (reasons show the reviewer's value as it is)"
    ),
    ("conflicts.py", "gather", "kind == ConflictKind.INSTITUTION and norm_institution(value) -> (norm_institution(value))"): (
        "after PERSON and DOMAIN the only kind left is INSTITUTION"
    ),
    (
        "conflicts.py",
        "gather",
        "kind == ConflictKind.INSTITUTION and norm_institution(value) -> (kind == ConflictKind.INSTITUTION)",
    ): (
        "an institution that normalises to nothing becomes the key '', which no affiliation on a paper has "
        "(add_affiliations skips empty ones)"
    ),
    ("conflicts.py", "gather", f"{_OVERRIDES_READ} -> {_READ_OVERRIDES}.where({_BY_REVIEWER})"): _OVERRIDES,
    ("conflicts.py", "gather", f"{_OVERRIDES_READ} -> {_READ_OVERRIDES}.where({_BY_PAPER})"): _OVERRIDES,
    ("conflicts.py", "gather", "isinstance(sub_ids, list) -> (not (isinstance(sub_ids, list)))"): _OVERRIDES,
    ("conflicts.py", "gather", "isinstance(reviewer_ids, list) -> (not (isinstance(reviewer_ids, list)))"): _OVERRIDES,
    ("conflicts.py", "reasons_of", "key in found and AUTHOR not in found[key] -> (AUTHOR not in found[key])"): (
        "found is a defaultdict: for a pair not found, found[key] makes an empty entry that the `del` removes at once"
    ),
    (
        "conflicts.py",
        "reasons_of",
        "v and k[0] in keep_subs and k[1] in keep_reviewers -> (k[0] in keep_subs and k[1] in keep_reviewers)",
    ): "add() never leaves an empty list: every entry has a reason",
    ("conflicts.py", "conflicted_pairs", "not left or not right -> (not right)"): _EMPTY_JOIN,
    ("conflicts.py", "conflicted_pairs", "not left or not right -> (not left)"): _EMPTY_JOIN,
    ("conflicts.py", "conflicted_pairs", "continue -> pass"): _EMPTY_JOIN,
    ("conflicts.py", "conflicted_pairs", "not c -> True"): (
        "an added conflict taken out with the lifted ones is put back by the union with `added` that follows"
    ),
}

# --- mutants -----------------------------------------------------------------------------------------------

FLIP = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
METHOD_FLIP = {"in_": "not_in", "not_in": "in_", "is_": "is_not", "is_not": "is_", "true": "false", "false": "true"}
SQL_BOOL = {"and_", "or_", "union", "union_all", "where"}
BINOP_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.FloorDiv: ast.Mod, ast.Mod: ast.FloorDiv}


@dataclass
class Mutant:
    target: str
    function: str
    line: int
    context: str  # the source line the change starts on, stripped
    operator: str
    original: str  # the source of the node changed, comments left out
    replacement: str  # what stands there in the mutant
    source: str = field(repr=False, default="")
    status: str = "pending"  # killed / survived / equivalent / timeout / error
    seconds: float = 0.0
    failed: str = ""  # the first test that failed
    reason: str = ""  # why it is equivalent

    @property
    def change(self) -> str:
        return f"{_squash(self.original)} -> {_squash(self.replacement)}"

    def matches(self, entry: tuple[str, ...]) -> bool:
        file, function, change, *line = entry
        return (file, function, change) == (Path(self.target).name, self.function, self.change) and line in ([], [self.context])

    @property
    def name(self) -> str:
        return f"{Path(self.target).name}:{self.line} {self.function} [{self.operator}]"


def _squash(text: str) -> str:
    """One line: runs of white space as one space, none inside brackets' edges or before a dot."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"([(\[{]) | (?=[)\]}.])", r"\1", text)
    return re.sub(r",(?=[)\]}])", "", text)


class _Source:
    """The file's text with node spans addressed by (line, column) as ``ast`` gives them (UTF-8 bytes)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode()
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.starts[node.lineno - 1] + node.col_offset, self.starts[node.end_lineno - 1] + node.end_col_offset)

    def line(self, node: ast.AST) -> str:
        return self.text.splitlines()[node.lineno - 1].strip()

    def code(self, node: ast.AST) -> str:
        """The node's source without its comments."""
        text = self.segment(node)
        lines = text.splitlines(keepends=True)
        with contextlib.suppress(tokenize.TokenError, IndentationError, SyntaxError):
            for token in reversed(list(tokenize.generate_tokens(io.StringIO(text).readline))):
                if token.type == tokenize.COMMENT:
                    (row, start), (_, end) = token.start, token.end
                    lines[row - 1] = lines[row - 1][:start] + lines[row - 1][end:]
        return "".join(lines)

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.data[start:end].decode()

    def replace(self, node: ast.AST, text: str) -> str:
        start, end = self.span(node)
        return (self.data[:start] + text.encode() + self.data[end:]).decode()


def _paren(node: ast.AST) -> str:
    return f"({ast.unparse(node)})"


def _annotations(tree: ast.AST) -> Iterator[ast.AST]:
    """The annotations in ``tree`` (never evaluated under ``from __future__ import annotations``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign):
            yield node.annotation
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            yield node.returns
        elif isinstance(node, ast.arg) and node.annotation is not None:
            yield node.annotation


def _is_not(node: ast.AST) -> bool:
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)


def _node_mutants(node: ast.AST, returns_bool: bool) -> Iterator[tuple[str, ast.AST, str]]:
    """(operator, node to replace, replacement text) for one node."""
    if isinstance(node, ast.BoolOp | ast.BinOp) and (isinstance(node, ast.BoolOp) or isinstance(node.op, ast.BitAnd | ast.BitOr)):
        values = node.values if isinstance(node, ast.BoolOp) else [node.left, node.right]
        for i in range(len(values)):
            rest = values[:i] + values[i + 1 :]
            kept = rest[0] if len(rest) == 1 else ast.BoolOp(op=node.op, values=rest)
            yield "drop-operand", node, _paren(kept)
    if isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAP:
        yield "swap-arith", node, _paren(ast.BinOp(node.left, BINOP_SWAP[type(node.op)](), node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "drop-not", node, _paren(node.operand)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in FLIP:
        yield "flip-compare", node, _paren(ast.Compare(node.left, [FLIP[type(node.ops[0])]()], node.comparators))
    if isinstance(node, ast.If | ast.While | ast.IfExp) and not _is_not(node.test):  # else: drop-not
        yield "negate-condition", node.test, f"(not {_paren(node.test)})"
    if isinstance(node, ast.comprehension):
        for cond in node.ifs:
            if not _is_not(cond):
                yield "negate-condition", cond, f"(not {_paren(cond)})"
            yield "drop-filter", cond, "True"
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield "swap-constant", node, str(not node.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        attr = node.func.attr
        if attr in METHOD_FLIP:
            flipped = ast.Call(ast.Attribute(node.func.value, METHOD_FLIP[attr], ast.Load()), node.args, node.keywords)
            yield "flip-sql", node, ast.unparse(flipped)
        if attr in SQL_BOOL and len(node.args) >= 2:
            for i in range(len(node.args)):
                dropped = ast.Call(node.func, node.args[:i] + node.args[i + 1 :], node.keywords)
                yield "drop-sql-operand", node, ast.unparse(dropped)
    constant = isinstance(node, ast.Return) and isinstance(node.value, ast.Constant)
    if isinstance(node, ast.Return) and returns_bool and node.value is not None and not constant:
        yield "return-true", node.value, "True"
        yield "return-false", node.value, "False"
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call | ast.Await):
        yield "drop-statement", node, "pass"
    if isinstance(node, ast.Continue | ast.Delete):
        yield "drop-statement", node, "pass"


def mutants_of(target: Target, root: Path, functions: list[str] | None = None) -> list[Mutant]:
    """Every mutant of the target's functions (those whose name contains one of ``functions``, if given)."""
    text = (root / target.path).read_text()
    src, tree = _Source(text), ast.parse(text)
    original = ast.dump(tree)
    units: list[tuple[str, ast.AST]] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            units.append((stmt.name, stmt))
        elif isinstance(stmt, ast.ClassDef):
            units += [(f"{stmt.name}.{f.name}", f) for f in stmt.body if isinstance(f, ast.FunctionDef)]
        elif isinstance(stmt, ast.Assign) and [ast.unparse(t) for t in stmt.targets] == ["RULES"]:
            units.append(("RULES", stmt))
    found: list[Mutant] = []
    seen: set[str] = set()
    for name, unit in units:
        if target.functions is not None and name not in target.functions:
            continue
        if functions and not any(f in name for f in functions):
            continue
        if name == "RULES":
            rules = unit.value
            for i, element in enumerate(rules.elts):
                kept = ast.Tuple(rules.elts[:i] + rules.elts[i + 1 :], ast.Load())
                found.append(
                    Mutant(
                        target.path,
                        name,
                        element.lineno,
                        src.line(element),
                        "drop-rule",
                        src.code(element),
                        "(removed)",
                        src.replace(rules, ast.unparse(kept)),
                    )
                )
            continue
        returns_bool = getattr(unit, "returns", None) is not None and ast.unparse(unit.returns) == "bool"
        body = unit.body[1:] if ast.get_docstring(unit) else unit.body
        annotations = {id(n) for stmt in body for a in _annotations(stmt) for n in ast.walk(a)}
        for node in (n for stmt in body for n in ast.walk(stmt)):
            if id(node) in annotations or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
                continue
            for operator, where, replacement in _node_mutants(node, returns_bool):
                mutated = src.replace(where, replacement)
                try:
                    dumped = ast.dump(ast.parse(mutated))
                except SyntaxError:  # pragma: no cover - an operator bug, not a mutant
                    print(f"skipped: {name}:{node.lineno} {operator} does not parse", file=sys.stderr)
                    continue
                if dumped == original or dumped in seen:  # no change, or the same as another mutant
                    continue
                seen.add(dumped)
                found.append(
                    Mutant(target.path, name, where.lineno, src.line(where), operator, src.code(where), replacement, mutated)
                )
    for entry, reason in EQUIVALENT.items():
        if entry[0] != Path(target.path).name or (functions and not any(f in entry[1] for f in functions)):
            continue
        matched = [m for m in found if m.matches(entry)]
        if len({m.context for m in matched}) > 1:
            raise SystemExit(f"EQUIVALENT entry {entry} matches {len(matched)} mutants: add the line it starts on")
        if not matched:
            print(f"warning: no mutant matches the EQUIVALENT entry {entry}: the code changed?", file=sys.stderr)
        for m in matched:
            m.status, m.reason = "equivalent", reason
    return found


# --- running -----------------------------------------------------------------------------------------------

IGNORE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "__pycache__",
    "*.egg-info",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "instance",
    "mutation",
    "test-results",
    "node_modules",
)


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout.strip()  # noqa: S603, S607


def make_tree(dest: Path, rev: str | None, extra: list[str]) -> None:
    """A copy of the project: the working tree, or the commit ``rev`` with the named test files that commit does
    not have taken from the working tree (tests not yet committed)."""
    if rev is None:
        shutil.copytree(ROOT, dest, ignore=IGNORE)
        return
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout  # noqa: S603, S607
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    for path in {t.split("::")[0] for t in extra}:
        if not (dest / path).exists() and (ROOT / path).exists():
            shutil.copyfile(ROOT / path, dest / path)


def pytest_args(tests: list[str], deselect: list[str]) -> list[str]:
    return [
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "--no-header",
        "-W",
        "ignore::pytest.PytestUnraisableExceptionWarning",
        *tests,
        *(a for d in deselect for a in ("--deselect", d)),
    ]


def child_env(tree: Path) -> dict[str, str]:
    """SQLite only; the tree's code first on the path (before the editable install of the working tree)."""
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_TEST_DATABASE_URL"}
    env["PYTHONPATH"] = str(tree)
    return env


RUNNING: set[int] = set()  # the process groups under way (pytest runs, workers)
STOP = threading.Event()


def stop(*_: object) -> None:
    """On Ctrl-C or SIGTERM: no new mutant, the processes under way killed, the temporary trees removed."""
    STOP.set()
    for pid in list(RUNNING):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    sys.exit(143)


def run_fresh(tree: Path, args: list[str], timeout: float) -> tuple[str, float, str]:
    """pytest in a new process: ('passed' | 'failed' | 'timeout', seconds, the first test that failed)."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "pytest", *args]
    with subprocess.Popen(  # noqa: S603
        command,
        cwd=tree,
        env=child_env(tree),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as proc:
        RUNNING.add(proc.pid)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # pytest and what it started (the PDF checker's server)
            proc.communicate()
            return "timeout", time.perf_counter() - start, ""
        finally:
            RUNNING.discard(proc.pid)
    seconds = time.perf_counter() - start
    if proc.returncode == 0:
        return "passed", seconds, ""
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", out, re.M)
    return "failed", seconds, failed[0] if failed else out.strip().splitlines()[-1] if out.strip() else "no output"


def write_mutant(tree: Path, path: str, text: str) -> None:
    """Write the file and drop its cached bytecode (a same-size rewrite within a second would reuse it)."""
    file = tree / path
    file.write_text(text)
    for cached in (file.parent / "__pycache__").glob(f"{file.stem}.*.pyc"):
        cached.unlink()


class Worker:
    """A process in one tree that imports the project once and runs the test subset against one mutant after
    another (``--worker``). Each mutant is applied in memory and only to the function mutated: its new code
    object replaces the original's, so every reference to the function (a view's default argument, a
    blueprint's guard, a Jinja global) runs the mutant; the original is put back after the run. A run that
    hangs is killed with its process, and the next mutant gets a new one."""

    def __init__(self, tree: Path, log: Path) -> None:
        self.tree, self.log = tree, log
        self.proc: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        with self.log.open("a") as log:
            proc = subprocess.Popen(  # noqa: S603
                [sys.executable, str(Path(__file__).resolve()), "--worker"],
                cwd=self.tree,
                env=child_env(self.tree),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                start_new_session=True,
            )
        RUNNING.add(proc.pid)
        return proc

    def run(self, args: list[str], timeout: float, mutant: Mutant | None = None) -> tuple[str, float, str]:
        """('passed' | 'failed' | 'timeout', seconds, the first test that failed)."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        start = time.perf_counter()
        request = {"args": args} | ({"path": mutant.target, "unit": mutant.function, "source": mutant.source} if mutant else {})
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        seconds = time.perf_counter() - start
        if not ready:
            self.close()
            return "timeout", seconds, ""
        if not line:
            self.close()
            return "failed", seconds, "the worker process died"
        answer = json.loads(line)
        return ("passed" if answer["rc"] == 0 else "failed"), seconds, answer["failed"]

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            RUNNING.discard(self.proc.pid)
            self.proc = None


def apply_mutant(path: str, unit: str, source: str) -> Callable[[], None]:
    """In the worker: put the mutated ``unit`` of ``path`` in place; returns what puts the original back."""
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    tree = ast.parse(source)
    owner: Any = module
    body = tree.body
    name = unit
    if "." in unit:  # a method
        cls, name = unit.split(".")
        owner = getattr(module, cls)
        body = next(n.body for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
    node = next(
        n
        for n in body
        if getattr(n, "name", None) == name or (isinstance(n, ast.Assign) and [ast.unparse(t) for t in n.targets] == [name])
    )
    filename = str(Path.cwd() / path)
    if isinstance(node, ast.Assign):  # a module constant (RULES)
        old_value = getattr(module, name)
        setattr(module, name, eval(compile(ast.Expression(node.value), filename, "eval"), vars(module)))  # noqa: S307 - our own mutant
        return lambda: setattr(module, name, old_value)
    code = compile(
        ast.Module(body=[node], type_ignores=[]), filename, "exec", flags=__future__.annotations.compiler_flag, dont_inherit=True
    )
    scratch = dict(vars(module))
    exec(code, scratch)  # noqa: S102 - our own mutant: the def statement, evaluated beside the module's names
    new, original = scratch[name], vars(owner)[name]
    saved = (original.__code__, original.__defaults__, original.__kwdefaults__)
    original.__code__, original.__defaults__, original.__kwdefaults__ = new.__code__, new.__defaults__, new.__kwdefaults__

    def undo() -> None:
        original.__code__, original.__defaults__, original.__kwdefaults__ = saved

    return undo


class Failures:
    """A pytest plugin noting the tests that failed."""

    def __init__(self) -> None:
        self.nodeids: list[str] = []

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.failed:
            self.nodeids.append(report.nodeid)

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.nodeids.append(report.nodeid or "collection")


def worker_main() -> int:
    """``--worker``: one JSON request a line on stdin ({"args", and "path", "unit", "source" for a mutant}), one
    answer a line ({"rc", "failed"}); pytest's own output goes to the log."""
    import pytest  # the project's own test runner, imported once

    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for line in sys.stdin:
        request = json.loads(line)
        failures = Failures()
        undo = apply_mutant(request["path"], request["unit"], request["source"]) if "source" in request else None
        try:
            rc = pytest.main(request["args"], plugins=[failures])
        finally:
            if undo:
                undo()
        first = failures.nodeids[0] if failures.nodeids else "" if rc == 0 else f"pytest exit {int(rc)}"
        answers.write(json.dumps({"rc": int(rc), "failed": first}) + "\n")
    return 0


def run_target(
    target: Target,
    mutants: list[Mutant],
    workers: queue.Queue[Worker],
    jobs: int,
    args: list[str],
    timeout: float,
    fresh: bool,
    confirm: bool,
) -> None:
    """Run the pending mutants; a survivor of an in-process run is run again in a new process (``confirm``)."""
    todo = [m for m in mutants if m.status == "pending"]

    def one(m: Mutant) -> None:
        if STOP.is_set():
            return
        worker = workers.get()
        try:
            if fresh:
                outcome, m.seconds, m.failed = _fresh(worker.tree, target, m, args, timeout)
            else:
                outcome, m.seconds, m.failed = worker.run(args, timeout, m)
                if outcome == "passed" and confirm and not STOP.is_set():
                    outcome, seconds, m.failed = _fresh(worker.tree, target, m, args, timeout)
                    m.seconds += seconds
                    if outcome != "passed":
                        m.failed = f"only in a new process: {m.failed}"
        finally:
            workers.put(worker)
        if STOP.is_set():
            return
        m.status = {"passed": "survived", "failed": "killed", "timeout": "timeout"}[outcome]
        mark = {"killed": "killed  ", "timeout": "timeout ", "survived": "SURVIVED"}[m.status]
        print(f"  {mark} {m.seconds:5.1f}s  {m.name}: {m.change}" + (f"  ({m.failed})" if m.failed else ""), flush=True)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, todo))


def _fresh(tree: Path, target: Target, m: Mutant, args: list[str], timeout: float) -> tuple[str, float, str]:
    original = (tree / target.path).read_text()
    try:
        write_mutant(tree, target.path, m.source)
        return run_fresh(tree, args, timeout)
    finally:
        write_mutant(tree, target.path, original)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="a file to mutate (default: all)")
    parser.add_argument("--function", action="append", help="only functions whose name contains this")
    parser.add_argument("--list", action="store_true", help="print the mutants without running them")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1: the machine is shared)")
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default: 3 x the clean run + 30)")
    parser.add_argument("--tests", nargs="+", help="the test subset instead of the target's own")
    parser.add_argument("--deselect", action="append", default=[], help="a test id left out of the subset")
    parser.add_argument(
        "--leave-out",
        action="append",
        default=[],
        metavar="FILE",
        help="a test file left out of the subset (what do the others notice?)",
    )
    parser.add_argument("--rev", help="mutate the product code of this commit (tests it lacks: the working tree's)")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="every mutant in a new process, written to the file (slow); by default in a worker process, in memory",
    )
    parser.add_argument("--no-confirm", dest="confirm", action="store_false", help="do not run a survivor again in a new process")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results (mutation/results.json)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main()

    targets = [TARGETS[t] for t in (args.target or TARGETS)]
    if args.rev:
        args.rev = git("rev-parse", args.rev)  # one commit for the whole run, however HEAD moves meanwhile
    commit = git("rev-parse", "--short", args.rev or "HEAD")
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        subsets = {t.path: [x for x in args.tests or t.tests if x.split("::")[0] not in args.leave_out] for t in targets}
        all_tests = sorted({x for subset in subsets.values() for x in subset})
        first = Path(tmp) / "tree0"
        make_tree(first, args.rev, all_tests)
        by_target = {t.path: mutants_of(t, first, args.function) for t in targets}
        if args.list:
            for target in targets:
                print(f"{target.path}: {len(by_target[target.path])} mutants")
                for m in by_target[target.path]:
                    note = f"\n      EQUIVALENT: {m.reason}" if m.reason else ""
                    print(f"  {m.name}: {m.change}\n      line: {m.context}{note}")
            return 0
        workers: queue.Queue[Worker] = queue.Queue()
        pool = [Worker(first, Path(tmp) / "worker0.log")]
        for i in range(1, args.jobs):
            make_tree(Path(tmp) / f"tree{i}", args.rev, all_tests)
            pool.append(Worker(Path(tmp) / f"tree{i}", Path(tmp) / f"worker{i}.log"))
        for w in pool:
            workers.put(w)
        sources = {t.path: digest(first / t.path) for t in targets}
        results: dict[str, dict] = {}
        polluted = []
        try:
            for target in targets:
                mutants = by_target[target.path]
                tests = [t for t in subsets[target.path] if (first / t.split("::")[0]).exists()]
                pytest = pytest_args(tests, args.deselect)
                print(f"\n{target.path} @ {commit}: {len(mutants)} mutants, tests: {' '.join(tests)}", flush=True)
                outcome, clean, failed = run_fresh(first, pytest, timeout=3600)
                if outcome != "passed":
                    print(f"the tests fail before any mutation ({failed}): fix them or --deselect them", file=sys.stderr)
                    return 2
                timeout = args.timeout or 3 * clean + 30
                print(f"  clean run {clean:.1f}s in a new process; timeout {timeout:.0f}s per mutant", flush=True)
                start = time.perf_counter()
                run_target(target, mutants, workers, args.jobs, pytest, timeout, args.fresh, args.confirm)
                seconds = time.perf_counter() - start
                if not args.fresh:  # a mutant must leave nothing behind in the worker: the clean run still passes
                    for w in pool:
                        outcome, _, failed = w.run(pytest, timeout)
                        if outcome != "passed":
                            polluted.append(f"{target.path}: {failed or outcome}")
                results[target.path] = summary(mutants, tests, args.deselect, clean, seconds, commit, args.fresh)
        finally:
            for w in pool:
                w.close()
        changed = [t.path for t in targets if args.rev is None and digest(ROOT / t.path) != sources[t.path]]
    print_table(results)
    print(f"\n{(time.perf_counter() - started) / 60:.1f} min in all, against {commit}")
    if changed:
        print(f"warning: {', '.join(changed)} changed in the working tree during the run; run again", file=sys.stderr)
    if polluted:
        print(
            f"warning: the clean run failed in a worker after the mutants ({'; '.join(polluted)}): a mutant left "
            "state behind, so a kill may be wrong; run again with --fresh",
            file=sys.stderr,
        )
    old = json.loads(args.json.read_text()) if args.json.exists() else {}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(old | {f"mutation {Path(p).name}": r for p, r in results.items()}, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0 if all(r["ok"] for r in results.values()) and not changed and not polluted else 1


def summary(
    mutants: list[Mutant], tests: list[str], deselect: list[str], clean: float, seconds: float, commit: str, fresh: bool
) -> dict:
    count = {s: sum(m.status == s for m in mutants) for s in ("killed", "timeout", "survived", "equivalent")}
    changing = count["killed"] + count["timeout"] + count["survived"]
    detected = count["killed"] + count["timeout"]

    def row(m: Mutant) -> dict:
        d = asdict(m)
        d.pop("source")
        return {"name": m.name, "change": m.change, "line": m.context} | {
            k: d[k] for k in ("status", "seconds", "failed", "reason") if d[k]
        }

    return {
        "value": round(100 * detected / changing, 1) if changing else 100.0,
        "unit": "% of behaviour-changing mutants killed",
        "goal": 100,
        "ok": detected == changing,
        "killed": detected,
        "behaviour_changing": changing,
        "equivalent": count["equivalent"],
        "survived": [f"{m.name}: {m.change}" for m in mutants if m.status == "survived"],
        "functions": sorted({m.function for m in mutants}),
        "tests": tests,
        "deselected": deselect,
        "clean_run_s": round(clean, 1),
        "run_s": round(seconds, 1),
        "commit": commit,
        "mode": "a new process for each mutant" if fresh else "in a worker process; survivors again in a new process",
        "mutants": [row(m) for m in mutants],
    }


def print_table(results: dict[str, dict]) -> None:
    print(f"\n{'target':34} {'killed':>7} {'of':>4} {'equiv':>6} {'survived':>9} {'score':>7} {'time':>7}")
    for path, r in results.items():
        print(
            f"{path:34} {r['killed']:>7} {r['behaviour_changing']:>4} {r['equivalent']:>6} {len(r['survived']):>9} "
            f"{r['value']:>6}% {r['run_s'] / 60:>5.1f}min"
        )
    for r in results.values():
        for s in r["survived"]:
            print(f"  survived: {s}")


if __name__ == "__main__":
    sys.exit(main())
