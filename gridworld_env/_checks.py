"""Input checks of :mod:`gridworld_env`, in one place (validation happens once, at the boundary).

Every check returns the value as a plain Python ``int`` / ``float`` / ``bool`` or raises a
``ValueError`` (or the subclass passed as ``error``) whose one-line message names the argument and
shows the offending value as plain Python would print it (:func:`plain`: ``'+'``, not
``np.str_('+')``).  Bools are not numbers and strings are not numbers: ``True`` is refused where a
number belongs, ``"0.2"`` as well.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "MAX_TILE_SIZE",
    "MIN_TILE_SIZE",
    "check_bool",
    "check_float",
    "check_int",
    "check_probability",
    "check_tile_size",
    "plain",
]

#: Smallest and largest pixels per square the renderer draws (the env and the demos check the same bounds).
MIN_TILE_SIZE = 4
MAX_TILE_SIZE = 1024


def plain(value: Any) -> str:
    """``repr`` of ``value`` with numpy scalars shown as the Python values they hold (``'+'``, ``3``, ``0.5``).

    >>> plain(np.str_("+")), plain([np.int64(3), (np.float64(0.5),)]), plain({"E": np.True_})
    ("'+'", '[3, (0.5,)]', "{'E': True}")
    """
    return repr(_python(value))


def _python(value: Any) -> Any:
    """``value`` with numpy scalars (also inside lists, tuples and dicts) replaced by Python scalars."""
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(_python(v) for v in value) if type(value) in (list, tuple) else value
    if type(value) is dict:
        return {_python(k): _python(v) for k, v in value.items()}
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_int(
    name: str,
    value: Any,
    minimum: int | None = None,
    maximum: int | None = None,
    error: type[ValueError] = ValueError,
) -> int:
    """``value`` as an ``int`` in ``[minimum, maximum]`` (either bound optional); bools, floats and strings refused."""
    if not _is_int(value) or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise error(f"{name} must be an integer{_bounds(minimum, maximum)}, got {plain(value)}")
    return int(value)


def check_float(
    name: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    error: type[ValueError] = ValueError,
) -> float:
    """``value`` as a finite ``float`` in ``[minimum, maximum]``; NaN, infinities, bools and strings refused."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    val = float(value) if ok else math.nan
    if not math.isfinite(val) or (minimum is not None and val < minimum) or (maximum is not None and val > maximum):
        raise error(f"{name} must be a finite number{_bounds(minimum, maximum)}, got {plain(value)}")
    return val


def check_probability(name: str, value: Any, error: type[ValueError] = ValueError) -> float:
    """``value`` as a ``float`` in ``[0, 1]`` (:func:`check_float` with those bounds)."""
    return check_float(name, value, 0.0, 1.0, error)


def check_bool(name: str, value: Any, error: type[ValueError] = ValueError) -> bool:
    """``value`` as a ``bool``: only ``True``, ``False`` and numpy bools are accepted (not 0, 1 or strings)."""
    if not isinstance(value, (bool, np.bool_)):
        raise error(f"{name} must be True or False, got {plain(value)}")
    return bool(value)


def check_tile_size(value: Any) -> int:
    """Pixels per square: an integer in ``[MIN_TILE_SIZE, MAX_TILE_SIZE]``."""
    return check_int("tile_size", value, MIN_TILE_SIZE, MAX_TILE_SIZE)


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" in [{minimum:g}, {maximum:g}]"
    if minimum is not None:
        return f" >= {minimum:g}"
    if maximum is not None:
        return f" <= {maximum:g}"
    return ""
