"""Numba kernels of :class:`~gridworld_env.vector.LectureGridVectorEnv` (plain arrays in, plain arrays out).

Kept in their own module so that ``import gridworld_env`` does not import numba: the vector env
imports this module when the first one is created.  See :mod:`gridworld_env.vector` for the
dynamics, the autoreset rule and the random-number streams.
"""

import numpy as np
from numba import config, njit, prange

__all__ = ["max_threads", "reset_envs", "step_parallel", "step_serial"]

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
def step_block(lo, hi, actions, state, steps, rng, trans, prob, reward, K, starts, max_steps, obs, rew, term, trunc):
    """Step envs ``lo..hi-1``: an autoreset if the env's last step ended its episode, else one transition.

    ``steps[i]`` counts the steps of env ``i``'s episode; an ended episode of ``t`` steps is stored
    as ``~t = -t - 1 < 0`` (one array, not two, for "how long" and "ended").  ``trans[k]`` packs
    outcome ``k``'s next state and whether it is absorbing, ``next_state << 1 | absorbing``: one
    load, not two dependent ones.  Every index is unsigned: numba then skips its negative-index
    wraparound (a third faster).

    The loop is written out twice, for ``K == 1`` (no sampling; ~15% faster than one loop with a
    ``K`` test inside) and for ``K > 1``: numba neither unswitches the loop nor inlines a helper
    taking this many arrays without a large cost, so the two bodies differ only in how ``k`` is
    chosen.
    """
    if K == 1:
        for j in range(lo, hi):
            i = np.uint64(j)
            t = steps[i]
            if t < 0:  # autoreset: the previous step ended the episode
                s = _start_state(rng, i, starts)
                state[i] = s
                steps[i] = 0
                obs[i] = s
                rew[i] = 0.0
                term[i] = False
                trunc[i] = False
                continue
            k = np.uint64(state[i] * 4 + actions[i])
            x = trans[k]
            s = x >> 1
            ended = (x & 1) != 0
            t += 1
            limit = t >= max_steps
            state[i] = s
            steps[i] = ~t if ended | limit else t
            obs[i] = s
            rew[i] = reward[k]
            term[i] = ended
            trunc[i] = limit
        return
    for j in range(lo, hi):
        i = np.uint64(j)
        t = steps[i]
        if t < 0:  # autoreset: the previous step ended the episode
            s = _start_state(rng, i, starts)
            state[i] = s
            steps[i] = 0
            obs[i] = s
            rew[i] = 0.0
            term[i] = False
            trunc[i] = False
            continue
        # inverse CDF, as LectureGridEnv.step: the outcome is the number of cumulative
        # probabilities prob[0] + ... + prob[m] (m < K - 1) that u reaches, counted without
        # data-dependent branches (the CDF is nondecreasing)
        k = np.uint64(state[i] * 4 + actions[i]) * np.uint64(K)
        u = _uniform(rng, i)
        acc = 0.0
        off = np.uint64(0)
        for m in range(K - 1):
            acc += prob[k + np.uint64(m)]
            off += np.uint64(u >= acc)
        k += off
        x = trans[k]
        s = x >> 1
        ended = (x & 1) != 0
        t += 1
        limit = t >= max_steps
        state[i] = s
        steps[i] = ~t if ended | limit else t
        obs[i] = s
        rew[i] = reward[k]
        term[i] = ended
        trunc[i] = limit


@njit(cache=True)
def first_bad_action(actions: np.ndarray) -> int:
    """Index of the first action outside 0..3, or -1."""
    for i in range(actions.size):
        if np.uint64(actions[i]) > 3:  # a negative action wraps to a huge unsigned value
            return i
    return -1


@njit(cache=True)
def step_serial(actions, state, steps, rng, trans, prob, reward, K, starts, max_steps, obs, rew, term, trunc):
    """Step every env on one thread; returns the index of the first invalid action (nothing stepped) or -1."""
    # all actions in 0..3 exactly when their bitwise OR (as unsigned) is <= 3: a vectorised scan
    bits = np.uint64(0)
    for i in range(actions.size):
        bits |= np.uint64(actions[i])
    if bits > 3:
        return first_bad_action(actions)
    step_block(
        0, actions.size, actions, state, steps, rng, trans, prob, reward, K, starts, max_steps, obs, rew, term, trunc
    )
    return -1


@njit(cache=True, parallel=True)
def step_parallel(actions, state, steps, rng, trans, prob, reward, K, starts, max_steps, obs, rew, term, trunc):
    """:func:`step_serial` with the envs split over all numba threads."""
    # all actions in 0..3 exactly when their bitwise OR (as unsigned) is <= 3: a vectorised scan
    bits = np.uint64(0)
    for i in range(actions.size):
        bits |= np.uint64(actions[i])
    if bits > 3:
        return first_bad_action(actions)
    n = actions.size
    chunks = (n + _CHUNK - 1) // _CHUNK
    for c in prange(chunks):
        step_block(
            c * _CHUNK,
            min(n, (c + 1) * _CHUNK),
            actions,
            state,
            steps,
            rng,
            trans,
            prob,
            reward,
            K,
            starts,
            max_steps,
            obs,
            rew,
            term,
            trunc,
        )
    return -1


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
    return int(config.NUMBA_NUM_THREADS)
