"""The run folder's file system side (private): lock, strict JSON, temporaries, OS errors.

* :class:`RunLock` holds an OS file lock (``fcntl.flock``; ``msvcrt.locking`` on Windows) on
  ``<run>/.lock`` for the life of a training; a second training into the folder (or a
  ``--resume`` while it trains) fails at once with :class:`RunFolderError` naming the holder
  (pid, host, start time, written into the lock file).  The kernel releases the lock when the
  process ends in any way (exit, signal, crash, ``kill -9``), so a lock is never left stale.
* :func:`dumps` writes strict JSON (RFC 8259: no ``NaN``/``Infinity``; a non-finite float is
  written as ``null``); :func:`write_json` writes it atomically.
* :func:`clean_stale_temporaries` removes the ``.<name>.tmp-<pid>`` files that a process killed
  while writing left behind (the pid is no longer alive).
* :func:`os_error_message` turns an ``OSError`` (full disk, read-only folder, a file where the
  folder belongs) into one line naming the file and what is kept.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import socket
import time
from pathlib import Path
from typing import Any

__all__ = [
    "LOCK_NAME",
    "RunFolderError",
    "RunLock",
    "clean_stale_temporaries",
    "dumps",
    "os_error_message",
    "pid_alive",
    "write_json",
]

LOCK_NAME = ".lock"
_TMP = re.compile(r"^\..+\.tmp-(\d+)$")


class RunFolderError(ValueError):
    """A run folder that cannot be used: locked by another training, unwritable, full, or a file."""


# --------------------------------------------------------------------------------------------
# Strict JSON
# --------------------------------------------------------------------------------------------


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def dumps(obj: Any, **kw: Any) -> str:
    """``json.dumps`` giving strict JSON: non-finite floats become ``null`` (never ``NaN``)."""
    return json.dumps(_finite(obj), allow_nan=False, **kw)


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as strict, indented JSON to ``path`` atomically (temporary file, ``os.replace``)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(dumps(obj, indent=2) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


# --------------------------------------------------------------------------------------------
# Temporaries and OS errors
# --------------------------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine (True when it cannot be told)."""
    if os.name == "nt":  # pragma: no cover - os.kill(pid, 0) would terminate it on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def clean_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the ``.<name>.tmp-<pid>`` files in ``folder`` whose writer ``pid`` is dead; return them."""
    removed: list[Path] = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for p in folder.iterdir():
        m = _TMP.match(p.name)
        if m and p.is_file() and not pid_alive(int(m.group(1))):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def os_error_message(exc: OSError, run_dir: Path, kept: str) -> str:
    """One line for an ``OSError`` met while writing ``run_dir``; ``kept`` says what survives."""
    name = exc.filename or run_dir
    if exc.errno == errno.EEXIST or (exc.errno == errno.ENOTDIR and run_dir.is_file()):
        return f"--out {run_dir} is a file, not a folder; choose another --out"
    reason = {
        errno.ENOSPC: "the disk is full",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EDQUOT: "the disk quota is exhausted",
    }.get(exc.errno or 0, exc.strerror or str(exc))
    return f"cannot write {name}: {reason}; {kept}"


# --------------------------------------------------------------------------------------------
# The lock
# --------------------------------------------------------------------------------------------


class RunLock:
    """An exclusive, non-blocking OS lock on ``<run_dir>/.lock`` (a context manager).

    Raises :class:`RunFolderError` on entry when another process holds it (naming that
    process) or when the folder cannot be created.  The lock file stays in the folder (deleting
    it would let a third process lock a fresh file while the second still holds the old one).
    """

    def __init__(self, run_dir: str | os.PathLike) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_NAME
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock or raise :class:`RunFolderError`."""
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RunFolderError(os_error_message(exc, self.run_dir, "nothing was written")) from None
        if not _try_lock(fd):
            holder = _read_holder(fd)
            os.close(fd)
            raise RunFolderError(
                f"run folder {self.run_dir} is in use by another training ({holder}); "
                "wait for it to finish or choose another --out"
            )
        self._fd = fd
        info = f"pid {os.getpid()} on {socket.gethostname()}, started {time.strftime('%Y-%m-%d %H:%M:%S %z')}"
        try:
            os.ftruncate(fd, _HOLDER_OFFSET)
            os.lseek(fd, _HOLDER_OFFSET, os.SEEK_SET)
            os.write(fd, info.encode())
        except OSError:  # e.g. a full disk: the lock itself holds; only the holder's note is missing
            pass

    def release(self) -> None:
        """Release the lock (the kernel does it anyway when the process ends)."""
        if self._fd is not None:
            _unlock(self._fd)
            os.close(self._fd)
            self._fd = None


# fcntl.flock locks the whole file; msvcrt.locking locks byte 0, so the holder's note starts after it
_HOLDER_OFFSET = 1 if os.name == "nt" else 0


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, _HOLDER_OFFSET, os.SEEK_SET)
        text = os.read(fd, 4096).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "holder unknown: it has just taken the lock"


def _try_lock(fd: int) -> bool:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (BlockingIOError, PermissionError):
        return False
    return True


def _unlock(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)
