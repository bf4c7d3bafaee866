"""`flask --app portal` in a fresh clone, with no secret key and no BASE_URL: it lists its commands and every
command explains itself (--help), while no command runs and nothing serves."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import cli

from portal import create_app
from tests.conftest import ROOT, free_port

# `flask` itself, in a new interpreter, with the instance folder (where instance/config.py would be) moved to an
# empty one of the test's.
FLASK = (
    "import os, flask; "
    "flask.Flask.auto_find_instance_path = lambda self: os.environ['TEST_INSTANCE_PATH']; "
    "from flask.cli import main; main()"
)
COMMANDS = ["api", "assign", "backup", "content", "db", "demo", "emails", "limiter", "restore", "routes", "run", "shell"]
COMMANDS += ["storage", "tokens", "users", "worker"]
NO_KEY = "No secret key: set SECRET_KEY in instance/config.py (`make run` generates one) or PORTAL_SECRET_KEY in the environment."


def flask(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("PORTAL_", "FLASK_"))}
    env["TEST_INSTANCE_PATH"] = str(tmp_path / "instance")
    return subprocess.run(
        [sys.executable, "-c", FLASK, "--app", "portal", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def listed_commands(help_text: str) -> list[str]:
    section = help_text.split("\nCommands:\n", 1)[1]
    return [line.split()[0] for line in section.splitlines() if line.startswith("  ") and not line.startswith("   ")]


def test_flask_help_without_a_secret_key_lists_every_command(tmp_path: Path) -> None:
    result = flask(tmp_path, "--help")

    assert (result.returncode, result.stderr) == (0, "")
    assert listed_commands(result.stdout) == COMMANDS
    assert not (tmp_path / "instance" / "portal.sqlite3").exists()


def test_demo_help_without_a_secret_key_shows_its_options(tmp_path: Path) -> None:
    result = flask(tmp_path, "demo", "--help")

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("Usage: -c demo [OPTIONS]\n")
    assert "--reset" in result.stdout
    assert "--yes" in result.stdout


def test_a_command_without_a_secret_key_refuses_to_run(tmp_path: Path) -> None:
    result = flask(tmp_path, "demo")

    assert result.returncode == 1
    assert result.stderr == (
        f"Error: {NO_KEY} No BASE_URL: set PORTAL_BASE_URL in the environment (or BASE_URL in instance/config.py) to the "
        "site's public address, such as https://portal.example.org; links in mail are built from it (`make run` sets "
        "the local one).\n"
    )
    assert not (tmp_path / "instance" / "portal.sqlite3").exists()


def test_flask_run_without_a_secret_key_refuses_to_serve(tmp_path: Path) -> None:
    result = flask(tmp_path, "run", "--port", str(free_port()))

    assert result.returncode == 1
    assert result.stderr.endswith(f"RuntimeError: {NO_KEY}\n")
    assert "Running on" not in result.stdout + result.stderr


@pytest.fixture
def fresh_clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In this process: an empty instance folder, no PORTAL_* or FLASK_* variable (`flask` sets one, restored)."""
    for name in list(os.environ):
        if name.startswith(("PORTAL_", "FLASK_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")
    instance = tmp_path / "instance"
    instance.mkdir()
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    yield


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


@pytest.mark.usefixtures("fresh_clone")
def test_every_portal_command_help_works_without_a_secret_key() -> None:
    paths = list(command_paths(create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).cli))
    assert ("users", "create") in paths
    assert ("db", "upgrade") in paths
    runner = CliRunner()

    failed = {}
    for path in paths:
        result = runner.invoke(cli, ["--app", "portal", *path, "--help"])
        if result.exit_code != 0 or not result.output.startswith(f"Usage: flask {' '.join(path)} "):
            failed[path] = result.output or repr(result.exception)

    assert failed == {}
    assert len(paths) > 30
