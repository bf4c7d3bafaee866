"""The documentation: the settings table generated from portal/config.py names every key with a description,
today's benchmark figures come from bench/results.json, and the README's links lead to files that exist.
``mkdocs build --strict`` (in make test) checks the links between the pages themselves."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

from portal.config import Config

ROOT = Path(__file__).resolve().parents[2]


def _hook(name: str) -> ModuleType:
    """A hook of docs/hooks/ loaded from its file, as MkDocs loads it (it is not a package of the portal)."""
    module_name = f"docs_hook_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, ROOT / "docs" / "hooks" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


def test_settings_table_names_every_key_of_config_with_a_description() -> None:
    settings = _hook("settings")
    keys = [name for name in vars(Config) if name.isupper()]
    rows = settings.read_settings()
    assert [row.key for row in rows] == keys
    assert [row.key for row in rows if not row.description.strip()] == []
    assert [row.key for row in rows if not row.default.strip()] == []
    table = settings.settings_table().splitlines()
    assert table[:2] == ["| key | default | what it does |", "|---|---|---|"]
    assert [line.split("|")[1].strip() for line in table[2:]] == [f"`{key}`" for key in keys]


def test_settings_table_reads_doc_comments_defaults_and_values(tmp_path: Path) -> None:
    config = tmp_path / "config.py"
    config.write_text(
        "import os\n"
        "NOT_IN_CONFIG = 1\n"
        "class Config:\n"
        "    # A note for the reader of the code, not for the table.\n"
        "    #: Where the files go.\n"
        "    #: Default: `instance/uploads`\n"
        "    FOLDER: str | None = None\n"
        "    # Limits.\n"
        "    #: Seconds a form stays valid\n"
        "    # (a plain note between the description and the key).\n"
        "    LIMIT = 8 * 3600  #: (8 hours)\n"
        "    MAIL_PORT = 25  #: the SMTP port\n"
        "    #: Sent with every engine.\n"
        "    OPTIONS = {'pool_pre_ping': True, 'sizes': [1, 2]}\n"
        "    #: A computed value.\n"
        "    HOME = os.path.join('a', 'b')\n"
        "    UNSET: str | None = None  #: nothing by default\n"
        "    lower_case = 'not a setting'\n",
        encoding="utf-8",
    )
    rows = [tuple(row) for row in _hook("settings").read_settings(config)]
    assert rows == [
        ("FOLDER", "`instance/uploads`", "Where the files go."),
        ("LIMIT", "`28800` (`8 * 3600`)", "Seconds a form stays valid (8 hours)."),
        ("MAIL_PORT", "`25`", "The SMTP port."),
        ("OPTIONS", '`{"pool_pre_ping": true, "sizes": [1, 2]}`', "Sent with every engine."),
        ("HOME", "`os.path.join('a', 'b')`", "A computed value."),
        ("UNSET", "unset", "Nothing by default."),
    ]


def test_settings_table_escapes_pipes_in_cells(tmp_path: Path) -> None:
    config = tmp_path / "config.py"
    config.write_text("class Config:\n    #: One | two.\n    CHOICE = 'a|b'\n", encoding="utf-8")
    assert _hook("settings").settings_table(config).splitlines()[2] == "| `CHOICE` | `a\\|b` | One \\| two. |"


def test_settings_page_and_benchmarks_page_keep_their_markers() -> None:
    assert _hook("settings").MARKER in (ROOT / "docs" / "admin" / "settings.md").read_text(encoding="utf-8")
    assert _hook("bench").MARKER in (ROOT / "docs" / "dev" / "benchmarks.md").read_text(encoding="utf-8")


def test_settings_hook_replaces_only_its_marker() -> None:
    settings = _hook("settings")
    page = f"# Settings\n\n{settings.MARKER}\n\nAfter.\n"
    rendered = settings.on_page_markdown(page, page=None, config=None, files=None)
    assert rendered == f"# Settings\n\n{settings.settings_table()}\n\nAfter.\n"
    assert settings.on_page_markdown("# Other\n", page=None, config=None, files=None) == "# Other\n"


def test_bench_table_without_results_says_to_run_make_bench(tmp_path: Path) -> None:
    assert _hook("bench").results_table(tmp_path / "results.json") == "No results yet: run `make bench`."


def test_bench_table_shows_each_figure_of_results(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(
        json.dumps(
            {
                "assign_neurips_s": {"value": 7.9, "unit": "s", "goal": 10, "ok": True},
                "assign_neurips_peak_mb": {"value": 1306.2, "unit": "MB", "goal": 2000, "ok": True},
                "public_rps_ratio": {"value": 0.55, "unit": "ratio", "goal": 0.6, "ok": False},
            }
        ),
        encoding="utf-8",
    )
    lines = _hook("bench").results_table(results).splitlines()
    assert lines[0].startswith("Measured by `make bench` (results.json written ")
    assert lines[2:] == [
        "| figure | value | unit | goal | ok |",
        "|---|--:|---|--:|---|",
        "| `assign_neurips_s` | 7.9 | s | 10 | met |",
        "| `assign_neurips_peak_mb` | 1,306.2 | MB | 2,000 | met |",
        "| `public_rps_ratio` | 0.55 | ratio | 0.6 | **missed** |",
    ]


def test_bench_table_with_an_unreadable_file_says_so(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text("{not json", encoding="utf-8")
    assert _hook("bench").results_table(results).startswith("No results yet: run `make bench`. (`results.json` could not")


def test_readme_links_lead_to_files_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    local = [target.split("#")[0] for target in targets if not re.match(r"[a-z]+:", target)]
    assert local, "the README links into docs/"
    assert [target for target in local if not (ROOT / target).is_file()] == []
