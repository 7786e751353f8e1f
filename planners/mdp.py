"""The tabular MDP every planner works on: a validated, compact array model.

For ``S`` states, ``A`` actions and at most ``K`` outcomes per state-action pair, a
:class:`TabularMDP` holds

* ``next_state[S, A, K]`` (int32): the successor of each outcome;
* ``prob[S, A, K]`` (float64): its probability (each ``prob[s, a]`` sums to 1 within 1e-9;
  unused outcome slots have probability 0);
* ``reward[S, A, K]`` (float64): the reward received on that outcome;
* ``terminal[S]`` (bool): the absorbing states, whose value is 0 by definition: the episode
  ends on entering one (or, for a grid's walls, is never in one), so their rows of the arrays
  are never used by a planner.  For a gridworld this is the model's ``absorbing`` mask,
  terminal squares *and* walls; ``mdp.grid.terminal`` keeps the terminal squares alone.

This is the state-action-pair formulation of QuantEcon's ``DiscreteDP`` with a fixed outcome
width: memory ``O(S A K)`` instead of the ``O(A S^2)`` of a dense ``P[A, S, S]``, and the same
arrays the gridworld env samples its steps from (:meth:`TabularMDP.from_env` wraps them
without copying).  Converters: :meth:`TabularMDP.from_dense` / :meth:`TabularMDP.to_dense`
for the common ``P[A, S, S]``, ``R[S, A]`` (or ``R[S, A, S]``) format, dense or scipy.sparse.

>>> import numpy as np
>>> P = np.array([[[0.5, 0.5], [0.0, 1.0]],    # action 0
...               [[1.0, 0.0], [0.0, 1.0]]])   # action 1
>>> R = np.array([[1.0, 0.0], [0.0, 0.0]])
>>> mdp = TabularMDP.from_dense(P, R)
>>> mdp.n_states, mdp.n_actions, mdp.n_outcomes, mdp.terminal.tolist()
(2, 2, 2, [False, True])
>>> np.array_equal(mdp.to_dense()[0], P)
True
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

__all__ = ["MDPError", "TabularMDP"]

_PROB_ATOL = 1e-9


class MDPError(ValueError):
    """An MDP's arrays (or the env or matrices it is built from) are invalid."""


def _frozen(a: np.ndarray) -> np.ndarray:
    if a.flags.writeable:
        a.setflags(write=False)
    return a


class TabularMDP:
    """A finite MDP as compact outcome arrays (see the module docstring).

    Parameters
    ----------
    next_state : array_like of int, shape (S, A, K)
        Successor state of each outcome, in ``0..S-1``.
    prob : array_like of float, shape (S, A, K)
        Outcome probabilities: non-negative, each ``prob[s, a]`` summing to 1 within 1e-9.
    reward : array_like of float, shape (S, A, K)
        Finite reward of each outcome.
    terminal : array_like of bool, shape (S,)
        Absorbing states (value 0): terminal states, and states no episode is ever in (a
        grid's walls).  Named ``terminal`` because that is how every planner treats them.

    Attributes
    ----------
    grid : object or None
        The grid description of the model the MDP was built from (:meth:`from_env`), if any.

    Raises
    ------
    MDPError
        If a shape, dtype or value is invalid; the message names the offending entry.

    Notes
    -----
    The arrays are stored C-contiguous and read-only (int32, float64, float64, bool); arrays
    that already have that form are used without copying.  A model built by :meth:`from_dense`
    from rewards ``R[S, A]`` keeps them as ``(S, A)`` and materializes :attr:`reward` on first
    access (the same array: ``R[s, a]`` on the used slots, 0 on the others); the solvers that
    read only :attr:`expected_reward` never build it.
    """

    __slots__ = ("__dict__", "_reward", "_reward_sa", "next_state", "prob", "terminal")
    grid: Any = None

    def __init__(self, next_state: Any, prob: Any, reward: Any, terminal: Any) -> None:
        ns = np.asarray(next_state)
        pr = np.asarray(prob)
        rw = np.asarray(reward)
        term = np.asarray(terminal)
        if ns.ndim != 3:
            raise MDPError(f"next_state must have shape (S, A, K), got shape {ns.shape}")
        S, A, K = ns.shape
        if S < 1 or A < 1 or K < 1:
            raise MDPError(f"next_state must have S, A, K >= 1, got shape {ns.shape}")
        for name, arr in (("prob", pr), ("reward", rw)):
            if arr.shape != ns.shape:
                raise MDPError(f"{name} must have the shape of next_state {ns.shape}, got {arr.shape}")
        if term.shape != (S,):
            raise MDPError(f"terminal must have shape ({S},), got {term.shape}")
        if ns.dtype.kind not in "iu":
            if ns.dtype.kind == "f" and np.all(np.isfinite(ns)) and np.all(ns == np.round(ns)):
                ns = ns.astype(np.int64)
            else:
                raise MDPError(f"next_state must hold integers, got dtype {ns.dtype}")
        if S >= 2**31:
            raise MDPError(f"at most 2**31 - 1 states are supported, got {S}")
        if ns.size and (ns.min() < 0 or ns.max() >= S):
            bad = np.argwhere((ns < 0) | (ns >= S))[0]
            raise MDPError(f"next_state{tuple(bad.tolist())} = {ns[tuple(bad)]} is out of range 0..{S - 1}")
        if term.dtype != np.bool_:
            if term.dtype.kind in "iu" and np.isin(term, (0, 1)).all():
                term = term.astype(bool)
            else:
                raise MDPError(f"terminal must be a boolean mask, got dtype {term.dtype}")
        for name, arr in (("prob", pr), ("reward", rw)):
            if arr.dtype.kind not in "fiub":
                raise MDPError(f"{name} must hold real numbers, got dtype {arr.dtype}")
        pr = np.ascontiguousarray(pr, dtype=np.float64)
        rw = np.ascontiguousarray(rw, dtype=np.float64)
        if not np.isfinite(rw).all():
            bad = np.argwhere(~np.isfinite(rw))[0]
            raise MDPError(f"reward{tuple(bad.tolist())} = {rw[tuple(bad)]} is not finite")
        if not (pr >= 0).all():  # also catches NaN
            bad = np.argwhere(~(pr >= 0))[0]
            raise MDPError(f"prob{tuple(bad.tolist())} = {pr[tuple(bad)]} is not a probability (must be >= 0)")
        total = pr.sum(axis=2)
        off = np.abs(total - 1.0) > _PROB_ATOL
        if off.any():
            s, a = np.argwhere(off)[0]
            raise MDPError(f"prob[{s}, {a}] sums to {float(total[s, a])!r}, not 1 (tolerance {_PROB_ATOL})")
        self.next_state = _frozen(np.ascontiguousarray(ns, dtype=np.int32))
        self.prob = _frozen(pr)
        self._reward: np.ndarray | None = _frozen(rw)
        self._reward_sa: np.ndarray | None = None
        self.terminal = _frozen(np.ascontiguousarray(term, dtype=np.bool_))

    # ----------------------------------------------------------------- sizes
    @property
    def n_states(self) -> int:
        """Number of states ``S``."""
        return self.next_state.shape[0]

    @property
    def n_actions(self) -> int:
        """Number of actions ``A``."""
        return self.next_state.shape[1]

    @property
    def n_outcomes(self) -> int:
        """Outcome slots per state-action pair ``K``."""
        return self.next_state.shape[2]

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(S, A, K)``."""
        S, A, K = self.next_state.shape
        return S, A, K

    def __repr__(self) -> str:
        S, A, K = self.shape
        return f"TabularMDP(n_states={S}, n_actions={A}, n_outcomes={K}, n_terminal={int(self.terminal.sum())})"

    # -------------------------------------------------------- derived arrays
    @property
    def reward(self) -> np.ndarray:
        """``(S, A, K)`` reward of each outcome (read-only; 0 on the unused slots of a :meth:`from_dense` model)."""
        rw = self._reward
        if rw is None:
            assert self._reward_sa is not None
            rw = self._reward = _frozen(_outcome_rewards(self.prob, self._reward_sa))
        return rw

    @cached_property
    def expected_reward(self) -> np.ndarray:
        """``(S, A)`` expected immediate reward ``sum_k prob * reward`` (read-only, cached)."""
        if self._reward is None and self._reward_sa is not None:
            # the same sums, block by block, without building the (S, A, K) reward array
            S, A, K = self.shape
            rsa, pr = self._reward_sa, self.prob
            r = np.empty((S, A))
            step = max(1, _BLOCK_SLOTS // (A * K))
            buf = np.empty((min(step, S), A, K))
            for lo in range(0, S, step):
                hi = min(S, lo + step)
                r[lo:hi] = _expected(pr[lo:hi], _outcome_rewards(pr[lo:hi], rsa[lo:hi], buf[: hi - lo]))
        else:
            r = _expected(self.prob, self.reward)
        return _frozen(np.ascontiguousarray(r))

    @cached_property
    def is_deterministic(self) -> bool:
        """True when every non-terminal state-action pair has one outcome of probability exactly 1."""
        live = ~self.terminal
        return bool((self.prob[live].max(axis=2) == 1.0).all())

    # ---------------------------------------------------------- constructors
    @classmethod
    def from_env(cls, env: Any) -> TabularMDP:
        """Build the MDP of a Gymnasium env (wrapped or not), or of a model object directly.

        Three kinds of source are understood:

        * a model: any object with ``next_state``, ``prob``, ``reward`` arrays ``(S, A, K)``
          and an ``absorbing`` mask ``(S,)`` (gridworld_env's ``GridModel``), or an env whose
          unwrapped env has one as ``model`` (LectureGrid): its arrays are used as they are,
          no copy and no ``P`` dict; the absorbing states (a grid's walls and terminal
          squares) are the MDP's ``terminal`` states.  When the model also describes a grid
          (``shape``, ``wall``, ``terminal``, ``terminal_reward``, ``living_reward``,
          ``slip``), it is kept as :attr:`grid` (read by grid-aware backends of
          :func:`planners.solve` and by the CLI's printing);
        * a toy-text env exposing ``P[s][a] = [(prob, next_state, reward, terminated), ...]``
          (FrozenLake, CliffWalking, Taxi).  Outcomes are padded to the longest list with
          probability-0 self-loops.  A state is terminal when some transition enters it with
          ``terminated=True`` (FrozenLake's holes and goal, CliffWalking's goal, Taxi's
          delivered states): the episode ends there, so its value is 0 whatever its own row
          of ``P`` says (CliffWalking's goal row leads back into the grid).  States whose every
          outcome is a zero-reward self-loop are terminal too (they are worth 0 anyway).
          ``terminated`` belongs to a transition, ``terminal`` to a state: a state entered
          with ``terminated=True`` anywhere counts as terminal for every transition into it.
          Taxi is the one toy-text env where this matters, for its passenger-at-destination
          states entered by driving, which no episode reaches without the final drop-off.

        Raises
        ------
        MDPError
            If the source is none of these, or if its spaces are not ``Discrete``.

        Examples
        --------
        >>> import gymnasium as gym
        >>> mdp = TabularMDP.from_env(gym.make("FrozenLake-v1"))
        >>> mdp, mdp.grid is None
        (TabularMDP(n_states=16, n_actions=4, n_outcomes=3, n_terminal=5), True)
        >>> env = gym.make("gridworld_env:LectureGrid-v0")
        >>> m = env.unwrapped.model
        >>> TabularMDP.from_env(m).grid is m and TabularMDP.from_env(env).prob is m.prob
        True
        """
        base = getattr(env, "unwrapped", env)
        model = base if _is_model(base) else getattr(base, "model", None)
        if model is not None and _is_model(model):
            mdp = cls(model.next_state, model.prob, model.reward, model.absorbing)
            if all(hasattr(model, n) for n in _GRID_FIELDS):
                mdp.grid = model
            return mdp
        P = getattr(base, "P", None)
        if not isinstance(P, dict):
            raise MDPError(
                f"cannot build a TabularMDP from {type(base).__name__}: it is neither a model (next_state, prob, "
                "reward, absorbing) nor an env with such a `model` or a toy-text `P` dict"
            )
        return cls._from_toy_text(P, base)

    @classmethod
    def _from_toy_text(cls, P: dict, base: Any) -> TabularMDP:
        S = _discrete_n(getattr(base, "observation_space", None), "observation_space", len(P))
        A = _discrete_n(getattr(base, "action_space", None), "action_space", len(P[next(iter(P))]) if P else 0)
        if len(P) != S:
            raise MDPError(f"P has {len(P)} states but the observation space has {S}")
        K = 1
        for s in range(S):
            row = P.get(s)
            if row is None or len(row) != A:
                raise MDPError(f"P[{s}] must map each of the {A} actions to a list of outcomes, got {row!r}")
            for a in range(A):
                K = max(K, len(row[a]))
        ns = np.repeat(np.arange(S, dtype=np.int64), A * K).reshape(S, A, K)
        pr = np.zeros((S, A, K))
        rw = np.zeros((S, A, K))
        done_in = np.zeros(S, dtype=bool)
        for s in range(S):
            row = P[s]
            for a in range(A):
                for k, outcome in enumerate(row[a]):
                    if len(outcome) != 4:
                        raise MDPError(
                            f"P[{s}][{a}][{k}] must be (prob, next_state, reward, terminated), got {outcome!r}"
                        )
                    p, n, r, d = outcome
                    ns[s, a, k], pr[s, a, k], rw[s, a, k] = n, p, r
                    if d and p > 0:
                        done_in[int(n)] = True
        mdp_terminal = done_in | _zero_self_loops(ns, pr, rw)
        return cls(ns, pr, rw, mdp_terminal)

    @classmethod
    def from_dense(cls, P: Any, R: Any, terminal: Any = None) -> TabularMDP:
        """Build from transition matrices ``P[A, S, S]`` and rewards ``R[S, A]`` or ``R[S, A, S]``.

        Parameters
        ----------
        P : array_like (A, S, S), or a sequence of A (S, S) matrices (dense or scipy.sparse)
            ``P[a][s, t]`` is the probability of moving from ``s`` to ``t`` under action ``a``.
        R : array_like (S, A) or (S, A, S) (dense, or for (S, A) scipy.sparse)
            Expected reward of taking ``a`` in ``s``, or the reward of the transition
            ``(s, a, t)``.
        terminal : array_like of bool (S,), optional
            Terminal states.  By default, the states whose every action is a certain self-loop
            with reward 0 (they are worth 0 under any discount).

        Returns
        -------
        TabularMDP
            With ``K`` the largest number of non-zero entries in a row of ``P``.
        """
        mats = _as_matrices(P)
        S = mats[0].shape[0]
        if S >= 2**31:
            raise MDPError(f"at most 2**31 - 1 states are supported, got {S}")
        for a, m in enumerate(mats):
            if m.shape != (S, S):
                raise MDPError(f"P[{a}] must be a square (S, S) matrix with S={S}, got shape {m.shape}")
        mdp = _from_dense_one_pass(cls, mats, R, terminal, FAST_FILL_NNZ)
        return mdp if mdp is not None else cls._from_dense_general(mats, R, terminal)

    @classmethod
    def _from_dense_general(cls, mats: list[Any], R: Any, terminal: Any) -> TabularMDP:
        """:meth:`from_dense` in NumPy, through the validating constructor (every input, every error)."""
        A = len(mats)
        S = mats[0].shape[0]
        entries = []
        K = 1
        for a, m in enumerate(mats):
            counts, c, v = _nonzeros(m)
            if v.size and not np.isfinite(v).all():
                raise MDPError(f"P[{a}] holds a non-finite probability")
            K = max(K, int(counts.max()) if counts.size else 1)
            entries.append((counts, c, v))
        # Row s of action a holds its non-zero entries in slots 0..counts[s]-1, in column order:
        # the mask "slot < count" enumerates those slots row by row, the order of (c, v).
        ns = np.empty((S, A, K), dtype=np.int32)
        ns[...] = np.arange(S, dtype=np.int32)[:, None, None]  # unused slots: self-loops, probability 0
        pr = np.zeros((S, A, K))
        slots = np.arange(K)
        for a, (counts, c, v) in enumerate(entries):
            used = slots[None, :] < counts[:, None]
            ns[:, a, :][used] = c
            pr[:, a, :][used] = v
        Rd = R.toarray() if hasattr(R, "toarray") else np.asarray(R, dtype=float)
        rw = np.zeros((S, A, K))  # rewards of unused slots are irrelevant; keep them 0
        if Rd.shape == (S, A):
            np.copyto(rw, Rd[:, :, None], where=pr > 0)
        elif Rd.shape == (S, A, S):
            np.copyto(rw, np.take_along_axis(Rd, ns.astype(np.intp), axis=2), where=pr > 0)
        else:
            raise MDPError(f"R must have shape (S, A) = {(S, A)} or (S, A, S) = {(S, A, S)}, got {Rd.shape}")
        if terminal is None:
            terminal = _zero_self_loops(ns, pr, rw)
        return cls(ns, pr, rw, terminal)

    def to_dense(self, sparse: bool = False, reward: str = "sa") -> tuple[Any, np.ndarray]:
        """The MDP as ``(P, R)`` matrices, the inverse of :meth:`from_dense`.

        Terminal states become certain zero-reward self-loops (so the matrices have the same
        values under any discount, and :meth:`from_dense` finds the same terminal states).

        Parameters
        ----------
        sparse : bool
            Return ``P`` as a list of A ``scipy.sparse.csr_matrix`` instead of an (A, S, S) array.
        reward : {"sa", "sas"}
            ``R`` as expected rewards ``(S, A)`` or per transition ``(S, A, S)`` (the
            probability-weighted mean reward of the outcomes reaching each successor).

        Returns
        -------
        P : ndarray (A, S, S) or list of csr_matrix
        R : ndarray (S, A) or (S, A, S)
        """
        if reward not in ("sa", "sas"):
            raise MDPError(f"reward must be 'sa' or 'sas', got {reward!r}")
        S, A, K = self.shape
        ns = self.next_state.astype(np.int64)
        pr = self.prob.copy()
        rw = self.reward.copy()
        t = self.terminal
        ns[t] = np.arange(S)[t, None, None]
        pr[t] = 0.0
        pr[t, :, 0] = 1.0
        rw[t] = 0.0
        rows = np.broadcast_to(np.arange(S)[:, None, None], (S, A, K))
        if sparse:
            from scipy import sparse as sp

            P: Any = []
            for a in range(A):
                m = sp.csr_matrix((pr[:, a].ravel(), (rows[:, a].ravel(), ns[:, a].ravel())), shape=(S, S))
                m.eliminate_zeros()
                m.sum_duplicates()
                P.append(m)
        else:
            P = np.zeros((A, S, S))
            acts = np.broadcast_to(np.arange(A)[None, :, None], (S, A, K))
            np.add.at(P, (acts, rows, ns), pr)
        if reward == "sa":
            return P, np.einsum("sak,sak->sa", pr, rw)
        num = np.zeros((S, A, S))
        acts = np.broadcast_to(np.arange(A)[None, :, None], (S, A, K))
        np.add.at(num, (rows, acts, ns), pr * rw)
        den = np.zeros((S, A, S))
        np.add.at(den, (rows, acts, ns), pr)
        return P, np.divide(num, den, out=np.zeros_like(num), where=den > 0)


_MODEL_FIELDS = ("next_state", "prob", "reward", "absorbing")
_GRID_FIELDS = ("shape", "wall", "terminal", "terminal_reward", "living_reward", "slip")


def _is_model(obj: Any) -> bool:
    return obj is not None and all(hasattr(obj, n) for n in _MODEL_FIELDS)


def _discrete_n(space: Any, what: str, fallback: int) -> int:
    if space is None:
        return fallback
    n = getattr(space, "n", None)
    if n is None:
        raise MDPError(f"the env's {what} must be Discrete, got {space!r}")
    return int(n)


#: :meth:`TabularMDP.from_dense` fills models with at least this many stored entries in one
#: numba pass (:func:`_from_dense_one_pass`); smaller ones in NumPy, where loading the kernel
#: would cost more than the fill
FAST_FILL_NNZ = 1 << 20
#: outcome slots per block when :attr:`TabularMDP.expected_reward` is summed without the reward array
_BLOCK_SLOTS = 1 << 16


def _outcome_rewards(pr: np.ndarray, rsa: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``(S, A, K)`` rewards ``rsa[s, a]`` on the slots of positive probability, 0 elsewhere."""
    from . import _sparse_kernels as SK  # only models of the one-pass fill get here: numba is loaded

    rw = np.empty(pr.shape) if out is None else out
    SK.outcome_rewards(pr, rsa, rw)
    return rw


def _expected(pr: np.ndarray, rw: np.ndarray) -> np.ndarray:
    """``sum_k pr * rw`` over the last axis (one expression for every caller: the same bits)."""
    if pr.shape[2] == 1:
        return pr[:, :, 0] * rw[:, :, 0]
    return np.einsum("sak,sak->sa", pr, rw)


def _csr_triple(m: Any, S: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(indptr int64, indices, data float64)`` of a canonical CSR form of ``m`` (stored zeros may remain)."""
    if hasattr(m, "indptr"):
        if m.dtype.kind not in "fiub":
            return None
        if not m.has_canonical_format:
            m = m.copy()
            m.sum_duplicates()
            m.eliminate_zeros()
            m.sort_indices()
        return np.asarray(m.indptr, dtype=np.int64), m.indices, np.asarray(m.data, dtype=float)
    r, c = np.nonzero(m)
    indptr = np.zeros(S + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=S), out=indptr[1:])
    return indptr, c, m[r, c]


def _from_dense_one_pass(cls: Any, mats: list[Any], R: Any, terminal: Any, min_nnz: int) -> TabularMDP | None:
    """:meth:`TabularMDP.from_dense` for rewards ``(S, A)``: each ``P[a]`` written into the arrays in one pass.

    Returns None (the caller takes the general path, which raises the exact error) for rewards
    ``(S, A, S)``, fewer than ``min_nnz`` stored entries, an input of unusual dtype, or any
    value the validating constructor would refuse or might refuse (a row sum near the edge of
    the tolerance).  Otherwise the arrays are those of the general path, bit for bit; the
    reward array is left to :attr:`TabularMDP.reward` to build on first access.
    """
    A = len(mats)
    S = mats[0].shape[0]
    if S < 1 or sum(int(m.nnz) if hasattr(m, "nnz") else m.size for m in mats) < min_nnz:
        return None
    try:
        Rd = R.toarray() if hasattr(R, "toarray") else np.asarray(R, dtype=float)
    except (TypeError, ValueError):
        return None
    if Rd.shape != (S, A) or Rd.dtype.kind not in "fiub":
        return None
    rsa = np.array(Rd, dtype=np.float64, order="C")  # a copy: the model must not follow later edits of R
    if not np.isfinite(rsa).all():
        return None
    term = None
    if terminal is not None:
        term = np.asarray(terminal)
        if term.shape != (S,) or term.dtype != np.bool_:
            return None
    triples = []
    for m in mats:
        t = _csr_triple(m, S)
        if t is None:
            return None
        triples.append(t)
    from . import _sparse_kernels as SK

    # the most non-zero entries in a row: the most stored ones, unless some stored entries are zeros
    K = max(1, *(SK.csr_max_nonzeros(ip, d) if (d == 0).any() else int(np.diff(ip).max()) for ip, _, d in triples))
    # a row whose sum, added in slot order, is within this of 1 passes the constructor's check
    # whatever the order NumPy adds it in (K additions move a sum near 1 by < 1e-15 K)
    atol = _PROB_ATOL - 1e-15 * K
    if atol <= 0.0:
        return None
    ns = np.empty((S, A, K), dtype=np.int32)
    pr = np.empty((S, A, K))
    zero_loop = np.ones(S, dtype=bool)
    for a, (ip, ind, d) in enumerate(triples):
        if not SK.fill_from_csr(ip, ind, d, a, rsa, ns, pr, zero_loop, atol):
            return None
    mdp: TabularMDP = cls.__new__(cls)
    mdp.next_state = _frozen(ns)
    mdp.prob = _frozen(pr)
    mdp._reward = None
    mdp._reward_sa = _frozen(rsa)
    mdp.terminal = _frozen(zero_loop if term is None else np.ascontiguousarray(term))
    return mdp


def _zero_self_loops(ns: np.ndarray, pr: np.ndarray, rw: np.ndarray) -> np.ndarray:
    """States whose every used outcome is a self-loop with reward 0."""
    S = ns.shape[0]
    me = np.arange(S)[:, None, None]
    ok = (pr == 0) | ((ns == me) & (rw == 0))
    return ok.all(axis=(1, 2))


def _as_matrices(P: Any) -> list[Any]:
    if hasattr(P, "ndim") and not hasattr(P, "tocsr") and np.asarray(P).ndim == 3:
        arr = np.asarray(P, dtype=float)
        return [arr[a] for a in range(arr.shape[0])]
    if isinstance(P, np.ndarray) and P.dtype == object:
        P = list(P)
    if isinstance(P, (list, tuple)) and P:
        out = []
        for a, m in enumerate(P):
            if hasattr(m, "tocsr"):
                out.append(m.tocsr())
            else:
                arr = np.asarray(m, dtype=float)
                if arr.ndim != 2:
                    raise MDPError(f"P[{a}] must be a 2-D (S, S) matrix, got shape {arr.shape}")
                out.append(arr)
        return out
    raise MDPError(f"P must be an (A, S, S) array or a sequence of (S, S) matrices, got {type(P).__name__}")


def _nonzeros(m: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row counts and the row-major (column, value) of the non-zero entries of a (sparse) matrix.

    A scipy.sparse matrix in canonical CSR form (sorted, no duplicates) with no stored zeros is
    read without a copy; otherwise a canonical copy is made (duplicates summed, zeros dropped).
    """
    if hasattr(m, "tocsr"):
        m = m.tocsr()
        if not m.has_canonical_format or (m.data == 0).any():
            m = m.copy()
            m.sum_duplicates()
            m.eliminate_zeros()
            m.sort_indices()
        return np.diff(m.indptr), m.indices, np.asarray(m.data, dtype=float)
    r, c = np.nonzero(m)
    return np.bincount(r, minlength=m.shape[0]), c, m[r, c]
