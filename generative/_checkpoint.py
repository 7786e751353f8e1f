"""Checkpoint files (private): atomic writes, a SHA-256 checksum, verified loads.

A checkpoint is a ``torch.save`` dict (loaded with ``weights_only=True``) holding the keys of
:data:`REQUIRED_KEYS` and ``"checksum"``: the SHA-256 of every other entry, fed in a fixed order
(dict keys sorted by ``repr``; each tensor as its dtype, shape and raw bytes; every other value
as its ``repr``).  :func:`load_checkpoint` recomputes it, so a bit flip, a truncated or edited
file, or weights swapped by hand are refused with one line, as are non-finite weights and
missing keys.

:func:`save_checkpoint_atomic` serialises to memory first (``torch.save`` reports a full disk
as an opaque ``RuntimeError``; a plain ``write`` raises ``OSError(ENOSPC)``), writes a
temporary file beside the target, ``fsync``s it and renames it over the target
(``os.replace``), so a crash at any moment leaves the old checkpoint or the new one.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "CHECKPOINT_NAME",
    "FORMAT",
    "REQUIRED_KEYS",
    "checksum",
    "load_checkpoint",
    "nonfinite_tensors",
    "resolve_checkpoint",
    "save_checkpoint_atomic",
]

CHECKPOINT_NAME = "checkpoint.pt"
FORMAT = 2  # 2: with "checksum"; 1 (no checksum) is still read, with a warning
REQUIRED_KEYS = (
    "format",
    "method",
    "step",
    "elapsed",
    "train_config",
    "method_config",
    "data_info",
    "modules",
    "optimizers",
    "extra",
    "rng",
    "accum",
    "world_size",
)


def _feed(h: Any, obj: Any) -> None:
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous().reshape(-1)
        h.update(f"T{t.dtype}{tuple(obj.shape)}:".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    elif isinstance(obj, dict):
        h.update(f"D{len(obj)}:".encode())
        for k in sorted(obj, key=repr):
            h.update(repr(k).encode() + b"=")
            _feed(h, obj[k])
    elif isinstance(obj, (list, tuple)):
        h.update(f"L{len(obj)}:".encode())
        for v in obj:
            _feed(h, v)
    else:
        h.update(f"{type(obj).__name__}:{obj!r};".encode())


def checksum(obj: dict[str, Any]) -> str:
    """SHA-256 (hex) of every entry of a checkpoint dict but ``"checksum"``, in a fixed order."""
    h = hashlib.sha256()
    _feed(h, {k: v for k, v in obj.items() if k != "checksum"})
    return h.hexdigest()


def nonfinite_tensors(states: dict[str, Any], prefix: str = "") -> list[str]:
    """Names (``module.tensor``) of the floating-point tensors in nested ``states`` holding NaN or inf."""
    bad = []
    for k, v in states.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            bad += nonfinite_tensors(v, name + ".")
        elif isinstance(v, torch.Tensor) and v.is_floating_point() and not bool(torch.isfinite(v).all()):
            bad.append(name)
    return bad


def save_checkpoint_atomic(obj: dict[str, Any], path: str | os.PathLike) -> Path:
    """``torch.save(obj)`` (with its checksum added) to a temporary file beside ``path``, ``fsync``, ``os.replace``.

    A crash at any moment leaves either the old file or the new one, never a torn file; a full
    disk raises ``OSError(ENOSPC)`` and leaves the old file.
    """
    path = Path(path)
    obj = {**obj, "checksum": checksum(obj)}
    buf = io.BytesIO()
    torch.save(obj, buf)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(buf.getbuffer())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    try:  # make the rename itself durable
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:  # pragma: no cover - e.g. Windows
        pass
    return path


def resolve_checkpoint(path: str | os.PathLike) -> Path:
    """A checkpoint file, or a run folder's ``checkpoint.pt``; ValueError when there is none."""
    p = Path(path)
    if p.is_dir():
        p = p / CHECKPOINT_NAME
    if not p.is_file():
        raise ValueError(
            f"no checkpoint at {path} (expected a checkpoint file or a run folder holding {CHECKPOINT_NAME})"
        )
    return p


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load and verify a checkpoint (file or run folder): format, keys, checksum, finite weights.

    Raises
    ------
    ValueError
        One line naming the file and the problem.
    """
    p = resolve_checkpoint(path)
    try:
        ck = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"cannot read checkpoint {p} (damaged or not a checkpoint): {first}") from None
    if not isinstance(ck, dict) or ck.get("format") not in (1, FORMAT):
        raise ValueError(f"{p} is not a generative checkpoint (format {FORMAT})")
    missing = [k for k in REQUIRED_KEYS if k not in ck]
    if missing:
        raise ValueError(f"checkpoint {p} lacks the entries {missing}: it is incomplete or not written by generative")
    for k in ("modules", "optimizers", "extra", "train_config", "method_config", "data_info", "accum"):
        if not isinstance(ck[k], dict):
            raise ValueError(f"checkpoint {p}: entry {k!r} must be a dict, got {type(ck[k]).__name__}")
    if ck["format"] == 1:
        warnings.warn(f"checkpoint {p} predates checksums (format 1): its integrity cannot be verified", stacklevel=3)
    elif ck.get("checksum") != checksum(ck):
        raise ValueError(f"checkpoint {p} fails its SHA-256 checksum: the file was damaged or edited")
    bad = nonfinite_tensors(ck["modules"]) + nonfinite_tensors(ck["extra"], "extra.")
    if bad:
        raise ValueError(f"checkpoint {p} holds non-finite weights (NaN or inf) in {', '.join(bad[:5])}")
    return ck
