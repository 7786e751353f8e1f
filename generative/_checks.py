"""Input checks shared by the modules of ``generative`` (private; one home for each rule).

Every check returns the value as a plain Python number and raises :class:`ValueError` naming the
option and the bad value (plain reprs).  Bools are not numbers and strings are not numbers:
both are refused wherever a number is expected.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["SEED_LIMIT", "check_fraction", "check_int", "check_number", "check_seed", "check_widths", "plain"]

#: Seeds are non-negative integers below 2**63 (they seed ``torch.Generator`` and NumPy's ``SeedSequence``).
SEED_LIMIT = 2**63


def plain(value: Any) -> Any:
    """``value`` with NumPy scalars turned into Python ones, for error messages (no ``np.int64(3)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(value: Any, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer ``minimum <= value (<= maximum)``; bools, floats and strings are refused."""
    if not _is_int(value) or value < minimum or (maximum is not None and value > maximum):
        if maximum is not None:
            what = f"an integer in [{minimum}, {maximum}]"
        else:
            what = {1: "a positive integer", 0: "a non-negative integer"}.get(minimum, f"an integer >= {minimum}")
        raise ValueError(f"{name} must be {what}, got {plain(value)!r}")
    return int(value)


def check_number(
    value: Any, name: str, *, positive: bool = False, nonnegative: bool = False, finite: bool = True
) -> float:
    """A real number (finite unless ``finite=False``), optionally ``> 0`` or ``>= 0``."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    f = float(value) if ok else math.nan
    if not ok or math.isnan(f) or (finite and not math.isfinite(f)):
        raise ValueError(f"{name} must be a finite number, got {plain(value)!r}")
    if positive and not f > 0:
        raise ValueError(f"{name} must be a positive number, got {plain(value)!r}")
    if nonnegative and not f >= 0:
        raise ValueError(f"{name} must be a non-negative number, got {plain(value)!r}")
    return f


def check_fraction(value: Any, name: str) -> float:
    """A number in ``[0, 1)`` (decay rates, EMA factors)."""
    f = check_number(value, name)
    if not 0.0 <= f < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {plain(value)!r}")
    return f


def check_seed(value: Any, name: str = "seed") -> int:
    """A seed: an integer in ``[0, 2**63)``."""
    if not _is_int(value) or not 0 <= value < SEED_LIMIT:
        raise ValueError(f"{name} must be an integer in [0, 2**63), got {plain(value)!r}")
    return int(value)


def check_widths(value: Any, name: str) -> tuple[int, ...]:
    """One or more positive integers (layer widths), as a tuple."""
    try:
        widths = tuple(value)
    except TypeError:
        widths = ()
    if not widths or not all(_is_int(w) and w >= 1 for w in widths):
        raise ValueError(f"{name} must be one or more positive integers, got {plain(value)!r}")
    return tuple(int(w) for w in widths)
