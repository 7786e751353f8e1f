"""Numba kernels of :class:`~gridworld_env.vector.LectureGridVectorEnv` (plain arrays in, plain arrays out).

Kept in their own module so that ``import gridworld_env`` does not import numba: the vector env
imports this module when the first one is created.  See :mod:`gridworld_env.vector` for the
dynamics, the autoreset rule and the random-number streams.
"""

import numpy as np
from numba import config, njit, prange

__all__ = ["max_threads", "reset_envs", "restart_ended", "step_parallel", "step_serial"]

_CHUNK = 1024  # envs per parallel task


@njit(cache=True)
def _mix64(z: np.uint64) -> np.uint64:
    """SplitMix64's output function: a bijection of the 64-bit integers with full avalanche."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def _uniform(rng: np.ndarray, i: int) -> float:
    """Advance env ``i``'s SplitMix64 state and return a double in ``[0, 1)`` (53 random bits)."""
    x = rng[i] + np.uint64(0x9E3779B97F4A7C15)
    rng[i] = x
    return (_mix64(x) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _start_state(rng: np.ndarray, i: int, starts: np.ndarray) -> int:
    """The start state of env ``i``'s next episode: ``starts[0]``, or uniform over ``starts``."""
    if starts.size == 1:
        return starts[0]
    return starts[np.uint64(_uniform(rng, i) * starts.size)]


@njit(cache=True, inline="always")
def _sample(k, u, prob, K):
    """The outcome index of state-action row ``k`` (its first outcome at ``k * K``) for the uniform ``u``.

    Inverse CDF, as ``LectureGridEnv.step``: the outcome is the number of cumulative probabilities
    ``prob[0] + ... + prob[m]`` (``m < K - 1``) that ``u`` reaches, counted without data-dependent
    branches (the CDF is nondecreasing).
    """
    k = k * np.uint64(K)
    acc = 0.0
    off = np.uint64(0)
    for m in range(K - 1):
        acc += prob[k + np.uint64(m)]
        off += np.uint64(u >= acc)
    return k + off


@njit(cache=True, inline="always")
def _advance(i, k, t, state, steps, trans, reward, max_steps, obs, rew, term, trunc):
    """Env ``i`` takes outcome ``k`` as step ``t`` of its episode: write its state and outputs; 1 if it ended, else 0.

    An ended episode of ``t`` steps is stored as ``steps[i] = ~t < 0``: the next step of a
    NEXT_STEP env resets it, :func:`restart_ended` resets it at once for SAME_STEP.
    """
    x = trans[k]
    s = x >> 1
    ended = (x & 1) != 0
    limit = t >= max_steps
    state[i] = s
    steps[i] = ~t if ended | limit else t
    obs[i] = s
    rew[i] = reward[k]
    term[i] = ended
    trunc[i] = limit
    return np.int64(ended | limit)


@njit(cache=True, inline="always")
def _autoreset(i, state, steps, rng, starts, obs, rew, term, trunc):
    """NEXT_STEP autoreset of env ``i`` (its last step ended the episode): start state, reward 0, no flags."""
    s = _start_state(rng, i, starts)
    state[i] = s
    steps[i] = 0
    obs[i] = s
    rew[i] = 0.0
    term[i] = False
    trunc[i] = False


@njit(cache=True, inline="always")
def step_block(lo, hi, actions, state, steps, rng, trans, prob, reward, K, starts, max_steps, obs, rew, term, trunc):
    """Step envs ``lo..hi-1`` (an autoreset if the env's last step ended its episode, else one transition).

    Returns the number of envs whose episode this step ended.

    ``steps[i]`` counts the steps of env ``i``'s episode; an ended episode of ``t`` steps is
    stored as ``~t = -t - 1 < 0`` (one array, not two, for "how long" and "ended").
    ``trans[k]`` packs outcome ``k``'s next state and whether it is absorbing,
    ``next_state << 1 | absorbing``: one load, not two dependent ones.  Every index is unsigned:
    numba then skips its negative-index wraparound (a third faster).

    The loop is written twice, for ``K == 1`` (no sampling) and ``K > 1``: numba does not
    unswitch the loop on ``K`` itself (one loop with the test inside is ~15% slower), so the two
    loops, kept apart on purpose, differ only in how the outcome ``k`` is chosen.  SAME_STEP's
    restart is a second pass (:func:`restart_ended`), not a branch in these loops: a mode test
    there, even one never taken, made the step 25x slower (measured).
    """
    n_ended = 0
    if K == 1:
        for j in range(lo, hi):
            i = np.uint64(j)
            t = steps[i]
            if t < 0:
                _autoreset(i, state, steps, rng, starts, obs, rew, term, trunc)
                continue
            k = np.uint64(state[i] * 4 + actions[i])
            n_ended += _advance(i, k, t + 1, state, steps, trans, reward, max_steps, obs, rew, term, trunc)
        return n_ended
    for j in range(lo, hi):
        i = np.uint64(j)
        t = steps[i]
        if t < 0:
            _autoreset(i, state, steps, rng, starts, obs, rew, term, trunc)
            continue
        k = _sample(np.uint64(state[i] * 4 + actions[i]), _uniform(rng, i), prob, K)
        n_ended += _advance(i, k, t + 1, state, steps, trans, reward, max_steps, obs, rew, term, trunc)
    return n_ended


@njit(cache=True)
def first_bad_action(actions: np.ndarray) -> int:
    """Index of the first action outside 0..3, or -1."""
    for i in range(actions.size):
        if np.uint64(actions[i]) > 3:  # a negative action wraps to a huge unsigned value
            return i
    return -1


@njit(cache=True)
def _all_valid(actions):
    """Whether every action is in 0..3: their bitwise OR (as unsigned) is <= 3, a vectorised scan."""
    bits = np.uint64(0)
    for i in range(actions.size):
        bits |= np.uint64(actions[i])
    return bits <= 3


@njit(cache=True)
def step_serial(actions, state, steps, rng, trans, prob, reward, K, starts, max_steps, obs, rew, term, trunc):
    """Step every env on one thread.

    Returns ``(bad, n_ended)``: the index of the first invalid action (then nothing is stepped) or
    -1, and the number of envs whose episode this step ended.
    """
    if not _all_valid(actions):
        return first_bad_action(actions), 0
    n_ended = step_block(
        0, actions.size, actions, state, steps, rng, trans, prob, reward, K, starts, max_steps, obs, rew, term, trunc
    )
    return -1, n_ended


@njit(cache=True, parallel=True)
def step_parallel(actions, state, steps, rng, trans, prob, reward, K, starts, max_steps, obs, rew, term, trunc):
    """:func:`step_serial` with the envs split over all numba threads (chunks of ``_CHUNK`` envs)."""
    if not _all_valid(actions):
        return first_bad_action(actions), 0
    n = actions.size
    n_ended = 0
    for c in prange((n + _CHUNK - 1) // _CHUNK):
        lo, hi = c * _CHUNK, min(n, (c + 1) * _CHUNK)
        n_ended += step_block(
            lo, hi, actions, state, steps, rng, trans, prob, reward, K, starts, max_steps, obs, rew, term, trunc
        )
    return -1, n_ended


@njit(cache=True)
def restart_ended(state, steps, rng, starts, obs, final):
    """SAME_STEP: restart every env whose episode the last step ended, its final state kept in ``final[i]``.

    Each env draws from its own random stream, so restarting here, after the whole step, draws
    the same numbers as restarting inside it.
    """
    for i in range(steps.size):
        if steps[i] < 0:
            final[i] = state[i]
            s = _start_state(rng, i, starts)
            state[i] = s
            steps[i] = 0
            obs[i] = s


@njit(cache=True)
def reset_envs(mask, seeds, seeded, state, steps, rng, starts, obs):
    """Reset the envs in ``mask`` (reseeding those with ``seeded``); write every env's state to ``obs``."""
    for i in range(mask.size):
        if mask[i]:
            if seeded[i]:
                rng[i] = _mix64(seeds[i])
            state[i] = _start_state(rng, i, starts)
            steps[i] = 0
        obs[i] = state[i]


def max_threads() -> int:
    """The number of threads numba's parallel kernels may use (``NUMBA_NUM_THREADS``)."""
    return int(config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
