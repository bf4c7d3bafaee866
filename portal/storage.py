"""File storage behind a tiny interface. ``LocalStorage`` keeps files under ``instance/uploads`` by random key.

A write goes to a temporary file, is fsynced and renamed into place, so a file is either whole or absent.
The caller writes the file first and commits the row after: a row never points at a missing file (a crash
in between leaves an orphan file, which ``flask storage check`` lists and ``--delete-orphans`` removes).
Files written in a transaction that rolls back are deleted, except when the rollback follows a failed commit:
the database may have committed before its answer was lost, so those are kept (orphans at worst).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.domain import NOTHING_SAVED


class StorageFull(OSError):
    """The storage could not take the file (disk full, quota): nothing was kept, and the person is told so."""

    unsaved = NOTHING_SAVED


@dataclass(frozen=True)
class Saved:
    key: str
    sha256: str
    size: int


class Storage(Protocol):
    def save(self, data: bytes) -> Saved: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def keys(self) -> list[str]: ...

    def modified(self, key: str) -> float: ...


class LocalStorage:
    """Files in a directory (a shared volume serves several machines), two-level fan-out by key."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError("bad storage key")
        return self.root / key[:2] / key

    def save(self, data: bytes) -> Saved:
        key = secrets.token_hex(16)
        path = self._path(key)
        tmp = path.with_name(f".{key}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # a new directory needs room on the disk too
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            raise StorageFull(f"The server could not store your file ({exc.strerror or exc}); please try again later.") from exc
        return Saved(key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data))

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.glob("??/*") if p.is_file() and not p.name.startswith("."))

    def modified(self, key: str) -> float:
        """When the file was written (seconds since the epoch)."""
        return self._path(key).stat().st_mtime


def storage() -> Storage:
    return current_app.extensions["portal.storage"]  # type: ignore[no-any-return]


# Files written during a unit of work are deleted again if it rolls back: row and file, or neither.
_NEW_KEYS = "portal.storage.new_keys"


def track_new(session: Session, store: Storage, key: str) -> None:
    session.info.setdefault(_NEW_KEYS, []).append((store, key))


_COMMITTING = "portal.storage.committing"
log = logging.getLogger(__name__)


@event.listens_for(Session, "before_commit")
def _committing(session: Session) -> None:
    session.info[_COMMITTING] = True


@event.listens_for(Session, "after_commit")
def _keep_new_files(session: Session) -> None:
    session.info.pop(_NEW_KEYS, None)
    session.info.pop(_COMMITTING, None)


@event.listens_for(Session, "after_rollback")
def _drop_new_files(session: Session) -> None:
    new = session.info.pop(_NEW_KEYS, [])
    if session.info.pop(_COMMITTING, False) and new:
        # The commit failed on its way (a connection lost at COMMIT): the rows may be in the database all the
        # same, and a row must never point at a missing file. Kept; `flask storage check` finds the orphans.
        log.warning("commit failed: kept %d new file(s) its rows may point at: %s", len(new), ", ".join(key for _, key in new))
        return
    for store, key in new:
        store.delete(key)


def init_app(app: Flask) -> None:
    root = app.config.get("UPLOAD_FOLDER") or os.path.join(app.instance_path, "uploads")
    app.extensions["portal.storage"] = LocalStorage(root)
