r"""Proper policies: which states reach a terminal with probability 1, and how to choose actions that do.

A deterministic policy ``pi`` is *proper* from ``s`` when its Markov chain started in ``s``
enters a terminal state with probability 1.  In a finite chain that holds exactly when every
state reachable from ``s`` can itself reach a terminal (through outcomes of positive
probability), so two reverse breadth-first searches decide it in ``O(S K)``:
``reach`` = the states with a path to a terminal, then ``improper`` = the states with a path
into ``not reach``.

Among a set of allowed actions ``M(s)`` (at ``gamma = 1``: the actions tied at the optimum),
the states from which some policy using only ``M`` is proper form the largest set ``W`` with
``W = Reach_T(M_W)``, where ``M_W(s) = {a in M(s): every outcome of (s, a) stays in W}`` and
``Reach_T`` is the set that can reach a terminal using ``M_W`` (de Alfaro's almost-sure
reachability fixed point; start from all states, shrink until stable).  On ``W`` a proper
policy is built in layers outward from a seed set ``D`` (the terminals, plus states already
known proper): a state joins when some action of ``M_W`` has an outcome in the states joined
so far, and takes the one most likely to move into them (ties: the lowest index).  Every joined state then has a positive chance of
moving strictly closer to ``D`` at each step and never leaves ``W``, so the chain is absorbed
in ``D`` (and from there in a terminal) with probability 1: the policy is proper on ``W``.
Outside ``W`` no policy restricted to ``M`` is proper.
"""

from __future__ import annotations

import numpy as np

__all__ = ["almost_sure_actions", "improper_mask", "layered_policy"]


def layered_policy(
    ns: np.ndarray, pr: np.ndarray, allowed: np.ndarray, seeds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Reverse breadth-first layers from ``seeds`` over the outcomes of the ``allowed`` (S, A) pairs.

    A non-seed state joins when one of its allowed actions has a positive-probability outcome
    in the states joined before (seeds count as joined); it takes the action with the largest
    probability of moving into them (ties: the lowest index), so that the policy does not
    rely on unlikely outcomes (a slip) where a likely one gets closer.
    Vectorised per layer, ``O(S A K)`` in all.

    Returns
    -------
    joined : ndarray (S,) bool
        Seeds and every state that joined.
    choice : ndarray (S,) int64
        The action each joined non-seed state took (0 elsewhere).
    """
    S, A, K = ns.shape
    sa = np.repeat(np.arange(S * A, dtype=np.int64), K)  # (s, a) index of every outcome slot
    keep = (pr.reshape(-1) > 0) & np.repeat(allowed.reshape(-1), K)
    succ, sa = ns.reshape(-1)[keep].astype(np.int64), sa[keep]
    by_succ = np.argsort(succ, kind="stable")
    pred_sa = sa[by_succ]  # predecessors (s, a), grouped by successor
    start = np.zeros(S + 1, dtype=np.int64)
    np.cumsum(np.bincount(succ, minlength=S), out=start[1:])
    joined = seeds.copy()
    choice = np.zeros(S, dtype=np.int64)
    frontier = np.flatnonzero(seeds)
    while frontier.size:
        lo, hi = start[frontier], start[frontier + 1]
        counts = hi - lo
        total = int(counts.sum())
        if total == 0:
            break
        pos = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
        cand = np.unique(pred_sa[pos])
        cand = cand[~joined[cand // A]]
        if cand.size == 0:
            break
        # per state, the action most likely to move into the joined states (ties: the lowest index)
        mass = (pr.reshape(S * A, K)[cand] * joined[ns.reshape(S * A, K)[cand]]).sum(axis=1)
        cand = cand[np.lexsort((cand, -mass, cand // A))]
        states = cand // A
        first = np.ones(cand.size, dtype=bool)
        first[1:] = states[1:] != states[:-1]
        frontier = states[first]
        choice[frontier] = cand[first] - frontier * A
        joined[frontier] = True
    return joined, choice


def improper_mask(ns: np.ndarray, pr: np.ndarray, term: np.ndarray, policy: np.ndarray) -> np.ndarray:
    """``(S,)`` bool: the live states from which ``policy`` fails to reach a terminal with probability 1."""
    S, A, _K = ns.shape
    allowed = np.zeros((S, A), dtype=bool)
    allowed[np.arange(S), policy] = True
    allowed[term] = False
    reach, _ = layered_policy(ns, pr, allowed, term)
    bad, _ = layered_policy(ns, pr, allowed, ~reach)
    return bad & ~term


def almost_sure_actions(ns: np.ndarray, pr: np.ndarray, term: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """``M_W`` of the module docstring: the allowed actions that keep a proper policy possible.

    Returns the ``(S, A)`` mask of allowed actions of the states in ``W`` whose every outcome
    stays in ``W`` (``W`` itself: the terminals and the states with any action left).
    """
    S = ns.shape[0]
    live_allowed = allowed & ~term[:, None]
    inside = np.ones(S, dtype=bool)
    while True:
        stays = ((pr == 0) | inside[ns]).all(axis=2)  # (S, A): every outcome in W
        act = live_allowed & stays & inside[:, None]
        reach, _ = layered_policy(ns, pr, act, term)
        if (reach == inside).all():
            return act
        inside = reach
