"""A counter-based random stream for the kernels: SplitMix64 (Steele, Lea & Flood 2014).

Each stream is one ``uint64`` word in an array; a draw adds the golden-ratio increment
``0x9E3779B97F4A7C15`` and mixes the result (two xor-shift-multiply rounds), so every agent and
every env copy has its own independent, reproducible stream, the same in the batched kernel and
in the Python path (both call these functions).  ``uniform`` keeps the top 53 bits:
``u = (z >> 11) * 2**-53`` in ``[0, 1)``.

The ``k``-th draw of a stream that starts at word ``w`` is ``mix(w + k * GOLDEN)``: a kernel may
keep the word in a register, compute a draw with :func:`unit` and advance the word by
``GOLDEN`` per draw it consumes (:mod:`learners._fastq` does), which is the same stream.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["GOLDEN", "mix", "randint", "seed_streams", "uniform", "unit"]

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


@njit(cache=True)
def mix(z: np.uint64) -> np.uint64:
    """SplitMix64's output function of the counter word ``z`` (two xor-shift-multiply rounds)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def unit(z: np.uint64) -> float:
    """The uniform draw in ``[0, 1)`` of counter word ``z``: ``(mix(z) >> 11) * 2**-53``."""
    return float(mix(z) >> _S11) * _INV53


@njit(cache=True, inline="always")
def _next(state: np.ndarray, i: int) -> np.uint64:
    z = state[i] + GOLDEN
    state[i] = z
    return mix(z)


@njit(cache=True, inline="always")
def uniform(state: np.ndarray, i: int) -> float:
    """A uniform draw in ``[0, 1)`` from stream ``state[i]`` (advances it)."""
    return float(_next(state, i) >> _S11) * _INV53


@njit(cache=True, inline="always")
def randint(state: np.ndarray, i: int, n: int) -> int:
    """A uniform integer in ``0..n-1`` from stream ``state[i]`` (``floor(u * n)``)."""
    k = int(uniform(state, i) * n)
    return k if k < n else n - 1


def seed_streams(seed: int, n_agents: int) -> np.ndarray:
    """``(n_agents, 2)`` uint64 start words: column 0 the agent's stream, column 1 its env's.

    Agent ``i`` of seed ``seed`` gets the same words whatever ``n_agents`` is, so agent 0 of a
    batch replays ``learn(..., seed=seed)``.
    """
    out = np.empty((n_agents, 2), dtype=np.uint64)
    for i in range(n_agents):
        out[i] = np.random.SeedSequence([int(seed), i]).generate_state(2, np.uint64)
    return out
