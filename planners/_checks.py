"""Input checks of the planners, in one place: each returns the validated value or raises ValueError.

Messages name the argument and show the offending value as a plain Python repr (numpy scalars
are converted first, so a message reads ``got 0.5``, never ``got np.float64(0.5)``).  Bools are
not numbers and strings are not numbers: both are refused wherever a number is expected.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "check_finite",
    "check_gamma",
    "check_int",
    "check_policy",
    "check_real",
    "check_tol",
    "check_values",
    "plain",
]


def plain(x: Any) -> Any:
    """``x`` with numpy scalars turned into Python ones (for error messages)."""
    return x.item() if isinstance(x, np.generic) else x


def _real(x: Any, name: str, what: str) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be {what}, got {plain(x)!r}")
    return float(x)


def check_real(x: Any, name: str, what: str = "a real number") -> float:
    """A real number: not a bool, not a string (``what`` describes what is wanted in the message)."""
    return _real(x, name, what)


def check_finite(x: Any, name: str) -> float:
    """A finite real number (not a bool, not a string)."""
    val = _real(x, name, "a finite number")
    if not math.isfinite(val):
        raise ValueError(f"{name} must be a finite number, got {plain(x)!r}")
    return val


def check_gamma(gamma: Any) -> float:
    """A discount in ``[0, 1]``."""
    g = _real(gamma, "gamma", "a number in [0, 1]")
    if not 0.0 <= g <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {plain(gamma)!r}")
    return g


def check_tol(tol: Any, name: str = "tol") -> float:
    """A positive finite tolerance."""
    t = _real(tol, name, "a positive finite number")
    if not (t > 0.0 and math.isfinite(t)):
        raise ValueError(f"{name} must be a positive finite number, got {plain(tol)!r}")
    return t


def check_int(x: Any, name: str, minimum: int, maximum: int | None = None) -> int:
    """An integer (not a bool) in ``[minimum, maximum]``."""
    ok = not isinstance(x, (bool, np.bool_)) and isinstance(x, (int, np.integer))
    if not ok or x < minimum or (maximum is not None and x > maximum):
        rng = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
        raise ValueError(f"{name} must be an integer {rng}, got {plain(x)!r}")
    return int(x)


def check_values(v: Any, S: int, name: str = "v0") -> np.ndarray:
    """A finite float64 vector of shape ``(S,)`` (a fresh, writable, contiguous copy)."""
    arr = np.array(v, dtype=np.float64, copy=True)
    if arr.shape != (S,):
        raise ValueError(f"{name} must have shape ({S},), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, got {arr[~np.isfinite(arr)][:3].tolist()}")
    return np.ascontiguousarray(arr)


def check_policy(policy: Any, n_states: int, n_actions: int) -> np.ndarray:
    """A deterministic policy: ``(S,)`` integer actions in ``0..A-1`` (a fresh int64 copy)."""
    arr = np.asarray(policy)
    if arr.shape != (n_states,):
        raise ValueError(f"policy must have shape ({n_states},), got {arr.shape}")
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"policy must hold integer actions, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_actions):
        bad = int(np.flatnonzero((arr < 0) | (arr >= n_actions))[0])
        raise ValueError(f"policy[{bad}] = {arr[bad].item()} is not an action in 0..{n_actions - 1}")
    return np.array(arr, dtype=np.int64, order="C")  # a writable copy: one compiled kernel version
