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


# numpy.random.SeedSequence's hash (O'Neill's seed_seq_fe: a pool of four 32-bit words), reproduced
# with NumPy arrays over all agents at once, instead of one SeedSequence object per agent (and
# without numba: nothing to compile).  The hash constants evolve independently of the data.
_M32 = 0xFFFFFFFF
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715


def _hashmix(v: np.ndarray, h: int) -> tuple[np.ndarray, int]:
    v = (v ^ np.uint64(h)) & np.uint64(_M32)
    h = (h * _MULT_A) & _M32
    v = (v * np.uint64(h)) & np.uint64(_M32)
    return v ^ (v >> np.uint64(16)), h


def _mix32(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r: np.ndarray = np.subtract(np.uint64(_MIX_L) * x, np.uint64(_MIX_R) * y, dtype=np.uint64)  # wraps mod 2**64
    r &= np.uint64(_M32)
    return r ^ (r >> np.uint64(16))


def _seed_words(words: list[int], n: int) -> np.ndarray:
    """Row ``i``: ``SeedSequence(words + [i]).generate_state(2, uint64)`` for 32-bit ``words``."""
    ent = [np.full(n, w, dtype=np.uint64) for w in words] + [np.arange(n, dtype=np.uint64)]
    zero = np.zeros(n, dtype=np.uint64)
    h = _INIT_A
    pool = []
    for k in range(4):
        v, h = _hashmix(ent[k] if k < len(ent) else zero, h)
        pool.append(v)
    for src in range(4):
        for dst in range(4):
            if src != dst:
                v, h = _hashmix(pool[src], h)
                pool[dst] = _mix32(pool[dst], v)
    for src in range(4, len(ent)):
        for dst in range(4):
            v, h = _hashmix(ent[src], h)
            pool[dst] = _mix32(pool[dst], v)
    hb = _INIT_B
    out = []
    for k in range(4):
        v = pool[k] ^ np.uint64(hb)
        hb = (hb * _MULT_B) & _M32
        v = (v * np.uint64(hb)) & np.uint64(_M32)
        out.append(v ^ (v >> np.uint64(16)))
    return np.stack([out[0] | (out[1] << np.uint64(32)), out[2] | (out[3] << np.uint64(32))], axis=1)


def seed_streams(seed: int, n_agents: int) -> np.ndarray:
    """``(n_agents, 2)`` uint64 start words: column 0 the agent's stream, column 1 its env's.

    Row ``i`` is ``np.random.SeedSequence([seed, i]).generate_state(2, np.uint64)`` (computed for
    all agents at once, tested against numpy's), so agent ``i`` of seed ``seed`` gets the same words
    whatever ``n_agents`` is and agent 0 of a batch replays ``learn(..., seed=seed)``.
    """
    seed = int(seed)
    if seed < 0 or n_agents >= 2**32:  # numpy's own refusal (negative), or agent indices of two words
        out = np.empty((n_agents, 2), dtype=np.uint64)
        for i in range(n_agents):
            out[i] = np.random.SeedSequence([seed, i]).generate_state(2, np.uint64)
        return out
    words = [seed & _M32]
    while seed >> 32:
        seed >>= 32
        words.append(seed & _M32)
    return _seed_words(words, n_agents)
