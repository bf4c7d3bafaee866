"""Backup and restore: ``flask --app portal backup DIR`` and ``flask --app portal restore DIR``.

A backup is a directory::

    manifest.json       when (UTC), the portal version, the Alembic revision, the database kind and tool, the
                        row count of every table, and every file with its size and sha256
    database.sqlite3    SQLite: a copy made with SQLite's online backup API (one consistent read)
    database.pgdump     PostgreSQL: ``pg_dump --data-only --format=custom`` of the snapshot our own transaction
                        exported, so the dump and the file list below see the same database
    files/ab/ab12...    the uploaded files the snapshot's ``stored_file`` rows name, in the upload folder's layout

The site keeps running. The list of files to copy is read from the snapshot itself, and the portal writes a
file before the row naming it commits, so every file the snapshot names is in storage; a file uploaded while
the backup runs belongs to a row the snapshot does not hold and is left out. The backup is written into a
hidden directory beside DIR and renamed to DIR at the end, so a half-written backup never looks complete.

A restore goes into an empty instance only (a migrated database without rows, an upload folder without other
files), at the same Alembic revision as the backup and the code. Every checksum is verified before anything
is written; then the files are put in place and the database loaded in one transaction. If the load fails the
files just written are removed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess  # pg_dump and pg_restore, with argument lists and never a shell  # nosec B404
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from portal.db import db
from portal.storage import LocalStorage, storage

FORMAT = "longllm-portal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FILES_DIR = "files"
CHUNK = 1 << 20
# Tables that are not the portal's data: the schema revision (checked, never copied) and SQLite's own.
SKIPPED_TABLES = re.compile(r"^(alembic_version|sqlite_.*)$")


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message says why. Nothing was left half done."""


@dataclass
class Snapshot:
    """What one consistent read of the database holds."""

    revision: str
    tables: dict[str, int]
    files: list[tuple[str, str, int]]  # storage key, recorded sha256, recorded size
    tool: str


# --- small helpers --------------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _file_path(root: Path, key: str) -> Path:
    """Where a storage key lives under ``root``: the upload folder's two-level layout. Keys are alphanumeric."""
    if not key.isalnum():
        raise BackupError(f"{key!r} is not a storage key.")
    return root / key[:2] / key


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_hashing(read: Callable[[int], bytes], target: Path) -> tuple[str, int]:
    """Copy a stream into ``target`` (fsynced); return the sha256 and size of the bytes written."""
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as out:
        while chunk := read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest(), size


def _hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _portal_version() -> str:
    try:
        return metadata.version("longllm-portal")
    except metadata.PackageNotFoundError:
        return "unknown"


def code_revision() -> str:
    """The head of the code's migrations (what ``flask db upgrade`` brings a database to)."""
    config = AlembicConfig()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    return ",".join(sorted(ScriptDirectory.from_config(config).get_heads()))


def _count_sql(table: str, schema: str = "") -> str:
    """``SELECT count(*)`` of a table the database's own catalogue named, quoted."""
    return f"SELECT count(*) FROM {schema}{_quote(table)}"  # noqa: S608 - a quoted catalogue name  # nosec B608


def _copy_sql(table: str, columns: str) -> str:
    """Copy an attached backup's table into ours (SQLite), by the quoted names of both catalogues."""
    return f"INSERT INTO main.{_quote(table)} ({columns}) SELECT {columns} FROM backup.{_quote(table)}"  # noqa: S608 - quoted catalogue names  # nosec


def _data_tables(names: Iterable[str]) -> list[str]:
    """The portal's tables among ``names``, parents before children (the models' order, then any others)."""
    names = {n for n in names if not SKIPPED_TABLES.match(n)}
    ordered = [t.name for t in db.metadata.sorted_tables if t.name in names]
    return ordered + sorted(names - set(ordered))


def _read_snapshot(query: Callable[[str], list[Any]], table_names: Iterable[str], tool: str) -> Snapshot:
    """Revision, row counts and the stored files, read inside the snapshot (``query`` runs SQL there)."""
    names = set(table_names)
    if "alembic_version" not in names or "stored_file" not in names:
        raise BackupError("The database is not migrated: run `flask --app portal db upgrade` first.")
    revision = ",".join(sorted(row[0] for row in query("SELECT version_num FROM alembic_version")))
    tables = {name: int(query(_count_sql(name))[0][0]) for name in _data_tables(names)}
    files = [
        (row[0], row[1], int(row[2])) for row in query("SELECT storage_key, sha256, size FROM stored_file ORDER BY storage_key")
    ]
    return Snapshot(revision, tables, files, tool)


# --- backup ---------------------------------------------------------------------------------------------


def _dump_sqlite(target: Path) -> Snapshot:
    """SQLite's online backup API copies the whole database in one step, from one read transaction: writers
    go on (the portal runs SQLite with a write-ahead log) and the copy is the database as of one instant."""
    raw = db.engine.raw_connection()
    try:
        copy = sqlite3.connect(target)
        try:
            raw.driver_connection.backup(copy)  # type: ignore[union-attr]
            # A plain rollback-journal file: opening the backup later writes nothing beside it.
            copy.execute("PRAGMA journal_mode=DELETE")

            def query(sql: str) -> list[Any]:
                return copy.execute(sql).fetchall()

            names = [r[0] for r in query("SELECT name FROM sqlite_master WHERE type = 'table'")]
            snapshot = _read_snapshot(query, names, f"SQLite {sqlite3.sqlite_version} online backup API")
        finally:
            copy.close()
    finally:
        raw.close()
    _fsync(target)
    return snapshot


def _pg_env(url: sa.URL) -> dict[str, str]:
    """libpq's environment for ``url`` (over the PG* variables the portal's own connection sees too): the
    password never appears on a command line."""
    env = dict(os.environ)
    for value, var in (
        (url.host, "PGHOST"),
        (url.port, "PGPORT"),
        (url.username, "PGUSER"),
        (url.password, "PGPASSWORD"),
        (url.database, "PGDATABASE"),
    ):
        if value is not None:
            env[var] = str(value)
    for key, var in (
        ("host", "PGHOST"),
        ("port", "PGPORT"),
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("options", "PGOPTIONS"),
        ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ):
        value = url.query.get(key)
        if value is not None:
            env[var] = value if isinstance(value, str) else value[0]
    env["PGAPPNAME"] = "portal-backup"
    return env


def _tool_version(path: str) -> str:
    """``pg_dump (PostgreSQL) 15.20``: what ``path --version`` prints."""
    result = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    return result.stdout.strip()


def _pg_tool(name: str, server_major: int) -> str:
    """``pg_dump`` or ``pg_restore`` at least as new as the server: Debian's versioned directory first, then PATH."""
    found = []
    for candidate in (f"/usr/lib/postgresql/{server_major}/bin/{name}", shutil.which(name)):
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        out = _tool_version(candidate)
        match = re.search(r"(\d+)(?:\.\d+)?", out)
        if match and int(match.group(1)) >= server_major:
            return candidate
        found.append(f"{candidate} ({out.strip() or 'no version'})")
    seen = f" (found {', '.join(found)})" if found else ""
    raise BackupError(
        f"No {name} for PostgreSQL {server_major} or newer{seen}: install the PostgreSQL client "
        f"(Debian: apt-get install postgresql-client-{server_major})."
    )


def _run_pg(args: list[str], url: sa.URL, what: str) -> None:
    # Our own argument list: the tool's path, fixed options, file paths; the password goes in the environment.
    result = subprocess.run(args, env=_pg_env(url), capture_output=True, text=True, check=False)  # noqa: S603  # nosec
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.stdout.strip()}")


def _server_major(conn: sa.Connection) -> int:
    return int(conn.scalar(sa.text("SHOW server_version_num"))) // 10000


def _dump_postgresql(target: Path) -> Snapshot:
    """One REPEATABLE READ transaction exports its snapshot; pg_dump reads that same snapshot while the
    transaction stays open, and the row counts and the file list are read in it too."""
    engine = db.engine
    reading = engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with reading as conn, conn.begin():
        snapshot_id = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
        schema = conn.scalar(sa.text("SELECT current_schema()"))
        major = _server_major(conn)
        pg_dump = _pg_tool("pg_dump", major)
        names = conn.scalars(
            sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s AND table_type = 'BASE TABLE'"),
            {"s": schema},
        ).all()
        snapshot = _read_snapshot(lambda sql: conn.exec_driver_sql(sql).all(), names, _tool_version(pg_dump))
        _run_pg(
            [
                pg_dump,
                "--format=custom",
                "--data-only",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot_id}",
                f"--schema={_quote(schema)}",
                f"--exclude-table={_quote(schema)}.alembic_version",
                f"--file={target}",
            ],
            engine.url,
            "pg_dump",
        )
    _fsync(target)
    return snapshot


def _copy_files(files: list[tuple[str, str, int]], target: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Copy the files the snapshot names; a missing one fails the backup, a changed one is kept with a warning."""
    store = storage()
    entries, missing, warnings = [], [], []
    for key, recorded_sha, recorded_size in files:
        path = _file_path(target, key)
        path.parent.mkdir(exist_ok=True)
        try:
            source = store.open(key)
        except (FileNotFoundError, ValueError):
            missing.append(key)
            continue
        with source:
            sha, size = _copy_hashing(source.read, path)
        if (sha, size) != (recorded_sha, recorded_size):
            warnings.append(
                f"The stored file {key} is not what was uploaded (its size or sha256 differs from the "
                "database's record); it is backed up as it is now."
            )
        entries.append({"key": key, "path": path.relative_to(target.parent).as_posix(), "size": size, "sha256": sha})
    if missing:
        raise BackupError(
            f"{len(missing)} file(s) the database refers to are missing from the upload folder: "
            f"{', '.join(missing)}. No backup was written."
        )
    return entries, warnings


def _fsync_tree(root: Path) -> None:
    for dirpath, _, _ in os.walk(root):
        _fsync(Path(dirpath))


def create_backup(directory: str | Path) -> dict[str, Any]:
    """Write a backup of the database and its files into ``directory`` (new or empty); return the manifest."""
    directory = Path(directory).absolute()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} is not an empty directory: a backup goes into a new or empty one.")
    kind = db.engine.dialect.name
    if kind not in DUMP_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {kind}.")
    directory.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{directory.name}.partial-", dir=directory.parent))  # mode 0700
    try:
        created_at = datetime.now(UTC)  # the real time, never a test's moved clock
        dump = work / DUMP_FILES[kind]
        snapshot = _dump_sqlite(dump) if kind == "sqlite" else _dump_postgresql(dump)
        (work / FILES_DIR).mkdir()
        files, warnings = _copy_files(snapshot.files, work / FILES_DIR)
        dump_sha, dump_size = _hash_file(dump)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": created_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "portal_version": _portal_version(),
            "alembic_revision": snapshot.revision,
            "database": {"kind": kind, "tool": snapshot.tool, "path": DUMP_FILES[kind], "size": dump_size, "sha256": dump_sha},
            "tables": snapshot.tables,
            "files": files,
            "warnings": warnings,
        }
        with open(work / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_tree(work)
        try:
            os.rename(work, directory)  # replaces an empty directory; refuses one that filled up meanwhile
        except OSError as exc:
            raise BackupError(f"{directory} could not take the backup: {exc.strerror or exc}.") from exc
        _fsync(directory.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


# --- restore --------------------------------------------------------------------------------------------


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{directory} holds no {MANIFEST}: it is not a complete backup.") from exc
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} cannot be read: {exc}.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not the manifest of a portal backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is in backup format {manifest.get('format_version')}; this portal reads format {FORMAT_VERSION}."
        )
    try:
        entries = [manifest["database"], *manifest["files"]]
        well_formed = (
            isinstance(manifest["alembic_revision"], str)
            and isinstance(manifest["tables"], dict)
            and manifest["database"]["kind"] in DUMP_FILES
            and all(isinstance(e["path"], str) and isinstance(e["sha256"], str) and isinstance(e["size"], int) for e in entries)
            and all(isinstance(e["key"], str) and e["key"].isalnum() for e in manifest["files"])
        )
    except (KeyError, TypeError) as exc:
        raise BackupError(f"{path} lacks {exc}: it is not a complete manifest.") from exc
    if not well_formed:
        raise BackupError(f"{path} is damaged: a field has the wrong type.")
    return manifest


def _database_state(conn: sa.Connection) -> tuple[str, dict[str, int]]:
    """The target database's revision and the row count of each of its tables."""
    revision = ",".join(sorted(MigrationContext.configure(conn).get_current_heads()))
    names = sa.inspect(conn).get_table_names()
    counts = {name: int(conn.scalar(sa.text(_count_sql(name)))) for name in _data_tables(names)}
    return revision, counts


def _check_target(manifest: dict[str, Any]) -> None:
    kind = db.engine.dialect.name
    theirs = manifest["database"]["kind"]
    if theirs != kind:
        raise BackupError(
            f"This backup holds a {theirs} database and this portal uses {kind}: restore it into a {theirs} database."
        )
    code = code_revision()
    if manifest["alembic_revision"] != code:
        raise BackupError(
            f"The backup is at database revision {manifest['alembic_revision']} (portal "
            f"{manifest['portal_version']}) and this code at {code}: restore it with the portal "
            "version that made it, then upgrade."
        )
    with db.engine.connect() as conn:
        revision, counts = _database_state(conn)
    if revision != code:
        raise BackupError(
            f"The database is at revision {revision or 'none'}, the code at {code}: run "
            "`flask --app portal db upgrade` on the new, empty database first."
        )
    occupied = {name: n for name, n in sorted(counts.items()) if n}
    if occupied:
        listed = ", ".join(f"{name} ({n})" for name, n in occupied.items())
        raise BackupError(
            f"The database is not empty: {listed} hold rows. A backup is restored only into a new, "
            "migrated, empty database; nothing was changed."
        )
    if sorted(counts) != sorted(manifest["tables"]):
        raise BackupError(f"The backup's tables differ from this database's: {sorted(set(counts) ^ set(manifest['tables']))}.")


def _verify(directory: Path, manifest: dict[str, Any]) -> list[str]:
    """Every file of the backup as the manifest records it; returns the problems (none: all verified)."""
    problems = []
    entries = [manifest["database"], *manifest["files"]]
    for entry in entries:
        path = directory / entry["path"]
        if not path.resolve().is_relative_to(directory.resolve()):
            problems.append(f"{entry['path']} lies outside the backup")
            continue
        try:
            sha, size = _hash_file(path)
        except FileNotFoundError:
            problems.append(f"{entry['path']} is missing")
            continue
        if (sha, size) != (entry["sha256"], entry["size"]):
            problems.append(f"{entry['path']} does not match its checksum")
    return problems


def _put_files(directory: Path, manifest: dict[str, Any], store: LocalStorage, written: list[Path]) -> None:
    """Copy the backup's files into the upload folder, each whole or absent (temporary name, then rename)."""
    for entry in manifest["files"]:
        path = _file_path(store.root, entry["key"])
        if path.is_file() and _hash_file(path) == (entry["sha256"], entry["size"]):
            continue  # put there by an earlier attempt that stopped before the database
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{entry['key']}.tmp")
        try:
            _verified_copy(directory, entry, tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        written.append(path)
    for folder in {p.parent for p in written}:
        _fsync(folder)


def _verified_copy(directory: Path, entry: dict[str, Any], target: Path) -> None:
    with open(directory / entry["path"], "rb") as source:
        if _copy_hashing(source.read, target) != (entry["sha256"], entry["size"]):
            raise BackupError(f"{entry['path']} changed while it was being restored.")


def _load_sqlite(dump: Path, manifest: dict[str, Any]) -> None:
    """Attach the copy and insert every table's rows, all in one write transaction (BEGIN IMMEDIATE), in which
    the database is checked empty once more and the row counts compared with the manifest before the commit."""
    raw = db.engine.raw_connection()
    conn: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
    level = conn.isolation_level
    conn.isolation_level = None  # our own BEGIN and COMMIT
    try:
        conn.execute("ATTACH DATABASE ? AS backup", (str(dump),))
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for name in _data_tables(manifest["tables"]):
                    if conn.execute(_count_sql(name, "main.")).fetchone()[0]:
                        raise BackupError(f"The database is no longer empty ({name} holds rows); nothing was changed.")
                    ours = [r[1] for r in conn.execute(f"PRAGMA main.table_info({_quote(name)})")]
                    theirs = {r[1] for r in conn.execute(f"PRAGMA backup.table_info({_quote(name)})")}
                    if set(ours) != theirs:
                        raise BackupError(f"The backup's table {name} has other columns than this database's.")
                    columns = ", ".join(_quote(c) for c in ours)
                    conn.execute(_copy_sql(name, columns))
                _check_counts(manifest, lambda name: conn.execute(_count_sql(name, "main.")).fetchone()[0])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.execute("DETACH DATABASE backup")
    finally:
        conn.isolation_level = level
        raw.close()


def _check_counts(manifest: dict[str, Any], count: Callable[[str], int]) -> None:
    loaded = {name: count(name) for name in manifest["tables"]}
    wrong = [f"{name} {loaded[name]} instead of {n}" for name, n in manifest["tables"].items() if loaded[name] != n]
    if wrong:
        raise BackupError(f"The loaded row counts differ from the manifest: {', '.join(wrong)}.")


def _load_postgresql(dump: Path, manifest: dict[str, Any]) -> None:
    """pg_restore in one transaction (all rows and the id sequences' positions, or nothing). The emptiness was
    checked just before, in another transaction: restore into a database nothing else writes to."""
    engine = db.engine
    with engine.connect() as conn:
        pg_restore = _pg_tool("pg_restore", _server_major(conn))
    if engine.url.database is None:
        raise BackupError("The database URL names no database.")
    _run_pg(
        [
            pg_restore,
            "--data-only",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            f"--dbname={engine.url.database}",
            str(dump),
        ],
        engine.url,
        "pg_restore",
    )


def restore_backup(directory: str | Path) -> dict[str, Any]:
    """Load the backup in ``directory`` into this (empty) instance; return its manifest."""
    directory = Path(directory).absolute()
    manifest = read_manifest(directory)
    _check_target(manifest)
    store = storage()
    if not isinstance(store, LocalStorage):
        raise BackupError("Restore writes into a local upload folder (LocalStorage) only.")
    foreign = set(store.keys()) - {entry["key"] for entry in manifest["files"]}
    if foreign:
        raise BackupError(
            f"The upload folder {store.root} already holds {len(foreign)} file(s) that are not in "
            "this backup: restore into an empty upload folder. Nothing was changed."
        )
    problems = _verify(directory, manifest)
    if problems:
        raise BackupError(f"The backup failed its checks ({'; '.join(problems)}). Nothing was changed.")
    written: list[Path] = []
    try:
        _put_files(directory, manifest, store, written)
        with tempfile.TemporaryDirectory(prefix="portal-restore-") as tmp:
            dump = Path(tmp) / manifest["database"]["path"]
            _verified_copy(directory, manifest["database"], dump)  # the bytes verified are the bytes loaded
            (_load_sqlite if manifest["database"]["kind"] == "sqlite" else _load_postgresql)(dump, manifest)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    if manifest["database"]["kind"] == "postgresql":  # committed by pg_restore: checked after, files stay
        with db.engine.connect() as conn:
            _check_counts(manifest, lambda name: int(conn.scalar(sa.text(_count_sql(name)))))
    return manifest


# --- commands -------------------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(directory: Path) -> None:
    """Write a consistent backup of the database and the uploaded files into DIRECTORY (new or empty).

    The site may keep running: the files copied are those the database snapshot refers to."""
    try:
        manifest = create_backup(directory)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    for warning in manifest["warnings"]:
        click.echo(f"Warning: {warning}", err=True)
    rows = sum(manifest["tables"].values())
    size = sum(f["size"] for f in manifest["files"])
    click.echo(
        f"Backup written to {directory}: {manifest['database']['kind']} database at revision "
        f"{manifest['alembic_revision']} ({rows} rows in {len(manifest['tables'])} tables), "
        f"{len(manifest['files'])} files ({_megabytes(size)})."
    )


@click.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_command(directory: Path) -> None:
    """Restore the backup in DIRECTORY into this instance: its database must be migrated and empty.

    Every file's checksum is verified before anything is written."""
    try:
        manifest = restore_backup(directory)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(manifest["tables"].values())
    click.echo(
        f"Restored the backup of {manifest['created_at']} (portal {manifest['portal_version']}): "
        f"{rows} rows in {len(manifest['tables'])} tables and {len(manifest['files'])} files, "
        "every checksum verified."
    )
