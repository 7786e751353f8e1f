"""Numba stencil kernels of the grid planner (:mod:`planners.grid`): padded arrays in, arrays out.

A grid of ``nrow x ncol`` squares is stored padded with a ring of wall cells, ``W = ncol + 2``
cells a row, so the four neighbours of every real cell are ``s - W`` (up), ``s + W`` (down),
``s - 1`` (left), ``s + 1`` (right) and no index check is needed.  One byte per cell says
everything a sweep needs about it (``code``):

* bits 0-3 (``BLOCKED``): the move up / down / left / right bumps (a wall or the edge), so
  that outcome stays in the cell;
* bit 4 (``ABSORBING``): a wall, a terminal or a padding cell: value 0;
* bit 5 (``SPECIAL``): a live cell next to a terminal, whose expected rewards are not the
  grid's common ``R`` (entering a terminal pays its own reward); their ``rsa`` rows are in a
  small side table ``sp_rsa`` indexed like the sorted cell list ``sp_idx``.

The Bellman look-ahead is the general kernels' (:func:`planners._kernels.bellman_sweep`): with
``p0 = 1 - slip``, ``p1 = slip / 2`` and the outcome order (intended, perpendiculars) of
``gridworld_env.model``,

``q(s, a) = R(s, a) + gamma * ((p0 * v[t0] + p1 * v[t1]) + p1 * v[t2])``  (``slip > 0``),
``q(s, a) = R(s, a) + gamma * (1.0 * v[t0])``  (``slip == 0``),

``V(s) = max(max(max(q0, q1), q2), q3)``, and 0 on absorbing cells.  Cells next to a terminal
(special) compute exactly that.  Every other live cell has one reward ``R`` for all four
actions, and there the same value takes fewer operations, with no operation changed:
rounding to nearest is monotone, so each step ``y -> fl(c * y)`` (``c >= 0``) and
``y -> fl(y + c)`` is a non-decreasing function of ``y``, and for a non-decreasing ``h``,
``max(h(y1), h(y2)) = h(max(y1, y2))``.  Up and down share the sideways terms (``p1 * left``
then ``p1 * right``), left and right share ``p1 * up`` then ``p1 * down``, and all four share
``R + gamma * (.)``, so

``V(s) = R + gamma * max((p0 * max(u, d) + p1 * l) + p1 * r, (p0 * max(l, r) + p1 * u) + p1 * d)``

(``slip == 0``: ``R + gamma * (p0 * max(u, d, l, r))``): 6 products, 4 sums, 3 maxima and one
``R + gamma * (.)`` instead of 12, 8, 3 and four, and the same number.  Equal numbers, and the
same bits: two results of these monotone steps can be equal numbers with different bits only
as ``+0`` and ``-0``, and the last step ``fl(R + z)`` maps ``z = +0`` and ``z = -0`` to the
same bits unless ``R`` is ``-0.0`` (:class:`planners.grid.GridMDP` then makes every live cell
special).  For finite values; the values are checked finite on the way in.

A sweep streams the values in and out and the code byte: 17 bytes per cell (the neighbours'
values are re-read from cache).  Jacobi rows (``_jacobi_row``) are written branch-free
(selects instead of ifs) over the whole row with the common ``R``, so LLVM vectorises them;
the few special cells of the row are then recomputed with their own rewards.  The row's
change ``max |new - old|`` is taken in the same loop as an integer maximum of the changes'
IEEE bit patterns (for non-negative floats the order of the bits is the order of the values,
so it is the same number; an integer maximum vectorises where a floating-point one, whose
NaN rule depends on the order, does not; a NaN change, which the values being finite rules
out, would count as the largest).  On grids with few cells that bump, are absorbing or are
special (large open grids: :data:`planners.grid.PLAIN_MAX_IRREGULAR`) the rows are
select-free instead (``_jacobi_row_plain``): cut at the listed irregular and special cells,
each run between two cuts one loop computing its cells as if they had four live neighbours,
which they have, and the change alongside; the cut cells computed as above (without AVX-512's
mask registers, on AVX2, the selects and masks were two thirds of the loop's instructions).  In-place (Gauss-Seidel) sweeps cannot vectorise (each
cell needs its left neighbour's new value), so they are a scalar loop of their own
(``gs_sweep``) handling the special cells inline.  Grids of at least
:data:`PREFETCH_MIN_CELLS` padded cells prefetch the next row's code bytes and the value row
below it (:func:`_prefetch_next`), from the sweep's row loop: always in the Gauss-Seidel and
greedy sweeps, in the Jacobi sweeps when told (``prefetch``: where it pays depends on the
machine, :func:`planners.grid.jacobi_prefetch_default`).
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from ._kernels import _prefetch

__all__ = [
    "ABSORBING",
    "SPECIAL",
    "greedy_sweep",
    "gs_sweep",
    "jacobi_sweep",
    "jacobi_sweep_parallel",
    "jacobi_sweep_plain",
    "label_correcting",
    "line_sweep",
    "q_policy",
]

#: padded grids of at least this many cells prefetch the rows a Jacobi sweep reads next (smaller ones stay in
#: cache, where the prefetches are only extra instructions: about 8% at 300 x 300)
PREFETCH_MIN_CELLS = 1 << 16
ABSORBING = np.uint8(16)
SPECIAL = np.uint8(32)
# outcome directions of each action (intended, then the two perpendiculars), as gridworld_env.model
_OUT = np.array([[0, 2, 3], [1, 2, 3], [2, 0, 1], [3, 0, 1]], dtype=np.int64)


@intrinsic
def _bits(typingctx, x):  # pragma: no cover - compiled
    """The IEEE bit pattern of a float64 as an int64 (a bitcast: no operation on the value)."""
    if not isinstance(x, types.Float) or x.bitwidth != 64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(x), codegen


@intrinsic
def _from_bits(typingctx, b):  # pragma: no cover - compiled
    """The float64 whose IEEE bit pattern is the int64 ``b`` (the inverse of :func:`_bits`)."""
    if not isinstance(b, types.Integer) or b.bitwidth != 64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(b), codegen


def _bits_py(x: float) -> int:
    """:func:`_bits` when numba's JIT is disabled (the kernels run as Python)."""
    return int(np.array(x, dtype=np.float64).view(np.int64))


def _from_bits_py(b: int) -> float:
    """:func:`_from_bits` when numba's JIT is disabled."""
    return float(np.array(b, dtype=np.int64).view(np.float64))


if getattr(numba.config, "DISABLE_JIT", False):  # the intrinsics only exist compiled
    _bits = _bits_py  # type: ignore[assignment]
    _from_bits = _from_bits_py  # type: ignore[assignment]


@njit(cache=True, nogil=True, inline="always")
def _moves(vc, vu, vd, vl, vr, c, j):
    """The values the moves up, down, left, right of cell ``j`` lead to: the cell's own where one bumps.

    ``vc`` is the row's values, ``vu, vd, vl, vr`` the same row shifted up / down / left /
    right (views: one index for all loads, no wraparound checks), ``c`` its code bytes.
    Selects, no branches.
    """
    x = vc[j]
    cj = c[j]
    u, d, le, ri = vu[j], vd[j], vl[j], vr[j]
    return (
        x if (cj & 1) != 0 else u,
        x if (cj & 2) != 0 else d,
        x if (cj & 4) != 0 else le,
        x if (cj & 8) != 0 else ri,
    )


@njit(cache=True, nogil=True, inline="always")
def _q_row(vc, vu, vd, vl, vr, c, j, R0, R1, R2, R3, p0, p1, gamma, slippery):
    """``(q(s, 0), ..., q(s, 3))`` of cell ``j`` of a row, in the general kernel's arithmetic.

    Arguments as :func:`_moves`, and ``R0..R3`` the expected rewards.
    """
    u, d, le, ri = _moves(vc, vu, vd, vl, vr, c, j)
    if slippery:
        return (
            R0 + gamma * (p0 * u + p1 * le + p1 * ri),
            R1 + gamma * (p0 * d + p1 * le + p1 * ri),
            R2 + gamma * (p0 * le + p1 * u + p1 * d),
            R3 + gamma * (p0 * ri + p1 * u + p1 * d),
        )
    return R0 + gamma * (p0 * u), R1 + gamma * (p0 * d), R2 + gamma * (p0 * le), R3 + gamma * (p0 * ri)


@njit(cache=True, nogil=True, inline="always")
def _combine(u, d, le, ri, R, p0, p1, gamma, slippery):
    """``max_a q(s, a)`` of a cell with one reward ``R`` for all actions, from the values its moves
    up, down, left, right lead to: the maxima taken before the steps they pass through (the
    module docstring's argument; ``p0, p1, gamma >= 0``), the same number as
    ``_max4(_q_row(..., R, R, R, R, ...))`` and its bits (``R`` not ``-0.0``)."""
    if slippery:
        m = max((p0 * max(u, d) + p1 * le) + p1 * ri, (p0 * max(le, ri) + p1 * u) + p1 * d)
    else:
        m = p0 * max(max(u, d), max(le, ri))
    return R + gamma * m


@njit(cache=True, nogil=True, inline="always")
def _best(vc, vu, vd, vl, vr, c, j, R, p0, p1, gamma, slippery):
    """:func:`_combine` of cell ``j`` of a row (arguments as :func:`_moves`), bumps included."""
    u, d, le, ri = _moves(vc, vu, vd, vl, vr, c, j)
    return _combine(u, d, le, ri, R, p0, p1, gamma, slippery)


@njit(cache=True, nogil=True, inline="always")
def _prefetch_next(code, v, W, lo, hi, step):
    """Prefetch what the sweep of the next row (``step = 1``: the row below, ``-1``: the row above)
    will load first: its code bytes and the values of the row beyond it (the others are in cache).

    Measured at 1000 x 1000 (one core, after a STREAM triad has flushed the caches): the
    hardware prefetchers do not keep up with the row below (the one stream that comes from
    memory while the rows above are re-read from cache): 1.7 ms a sweep without this, 0.8 ms
    with it.  Addresses are clamped to the array; a prefetch is a hint and never faults.
    """
    last = code.shape[0] - 1
    for q in range(lo + step * W, hi + step * W + 64, 64):
        _prefetch(code, max(0, min(q, last)))
    for q in range(lo + 2 * step * W, hi + 2 * step * W + 8, 8):
        _prefetch(v, max(0, min(q, last)))


@njit(cache=True, nogil=True, inline="always")
def _max4(q):
    """``max_a q[a]`` taken in action order, as the general kernel does."""
    return max(max(max(q[0], q[1]), q[2]), q[3])


@njit(cache=True, nogil=True, inline="always")
def _views(v_in, v_out, code, W, lo, hi):
    """The row ``lo:hi`` of ``v_in`` with its four shifted copies, ``v_out``'s row, and the codes."""
    return (
        v_in[lo:hi],
        v_in[lo - W : hi - W],
        v_in[lo + W : hi + W],
        v_in[lo - 1 : hi - 1],
        v_in[lo + 1 : hi + 1],
        v_out[lo:hi],
        code[lo:hi],
    )


@njit(cache=True, nogil=True)
def _find(sp_idx, s):
    """The position of the first entry ``>= s`` of the sorted ``sp_idx`` (a bisection)."""
    lo, hi = 0, sp_idx.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if sp_idx[mid] < s:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True, inline="always")
def _special_cells(vc, vu, vd, vl, vr, out, c, lo, hi, k, sp_idx, sp_rsa, p0, p1, gamma, slippery):
    """Recompute the row's special cells (positions ``sp_idx[k:]`` below ``hi``) with their own rewards.

    ``k`` is the position of the row's first special cell in ``sp_idx``; returns the position
    after its last and the bits of the largest change among them.
    """
    top = 0
    while k < sp_idx.shape[0] and sp_idx[k] < hi:
        r = sp_rsa[k]
        j = sp_idx[k] - lo
        b = _max4(_q_row(vc, vu, vd, vl, vr, c, j, r[0], r[1], r[2], r[3], p0, p1, gamma, slippery))
        out[j] = b
        top = max(top, _bits(abs(b - vc[j])))
        k += 1
    return k, top


@njit(cache=True, nogil=True)
def _jacobi_row(code, W, lo, hi, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out):
    """``v_out[lo:hi] = (T v_in)[lo:hi]``; returns the row's ``max |change|``.

    Branch-free over the row with the common ``R`` (:func:`_best`; LLVM vectorises it), the
    change taken alongside as the maximum of its bit patterns (special cells left out); the
    row's special cells are then recomputed with their own rewards.
    """
    vc, vu, vd, vl, vr, out, c = _views(v_in, v_out, code, W, lo, hi)
    top = 0  # the bits of the largest change so far (non-negative floats: the bits order as the values)
    for j in range(hi - lo):
        cj = c[j]
        b = _best(vc, vu, vd, vl, vr, c, j, R, p0, p1, gamma, slippery)
        b = 0.0 if (cj & 16) != 0 else b
        out[j] = b
        d = _bits(abs(b - vc[j]))
        top = max(top, 0 if (cj & 32) != 0 else d)
    _k, t = _special_cells(
        vc, vu, vd, vl, vr, out, c, lo, hi, _find(sp_idx, lo), sp_idx, sp_rsa, p0, p1, gamma, slippery
    )
    return _from_bits(max(top, t))


@njit(cache=True, nogil=True, inline="always")
def _regular_run(vc, vu, vd, vl, vr, out, R, p0, p1, gamma, slippery, top):
    """``out = T v`` over a run of regular cells (four live neighbours, the common ``R``: :func:`_combine`,
    no selects); returns ``top`` raised to the bits of the run's largest change.

    The arguments are views of the run alone (:func:`_jacobi_row_plain`), so the loop counts from
    0: with a variable start, numba's negative-index wraparound stayed in the loop and LLVM
    gathered the loads instead of vectorising them (2.4 ns a cell instead of 1.2).
    """
    for j in range(out.shape[0]):
        b = _combine(vu[j], vd[j], vl[j], vr[j], R, p0, p1, gamma, slippery)
        out[j] = b
        top = max(top, _bits(abs(b - vc[j])))
    return top


@njit(cache=True, nogil=True)
def _jacobi_row_plain(code, W, lo, hi, R, sp_idx, sp_rsa, fx_idx, kf, ks, p0, p1, gamma, slippery, v_in, v_out):
    """:func:`_jacobi_row` for grids with few irregular cells (``GridMDP.fx_idx``, :data:`planners.grid.PLAIN_MAX_IRREGULAR`).

    The row is cut at its irregular cells (``fx_idx[kf:]`` below ``hi``: bumped or absorbing)
    and special cells (``sp_idx[ks:]``): each run of regular cells between them is one
    select-free loop (:func:`_regular_run`: a third of the instructions of :func:`_jacobi_row`'s
    loop, the change taken in the same loop), and each cut cell is computed as
    :func:`_jacobi_row` computes it.  Returns ``(max |change|, kf, ks)`` with the positions after
    the row's last irregular and special cells.
    """
    vc, vu, vd, vl, vr, out, c = _views(v_in, v_out, code, W, lo, hi)
    top = 0
    j0 = 0
    while True:
        nf = fx_idx[kf] if kf < fx_idx.shape[0] else hi
        nsp = sp_idx[ks] if ks < sp_idx.shape[0] else hi
        jb = min(min(nf, nsp), hi) - lo  # the next cut cell, or the row's end
        top = _regular_run(
            vc[j0:jb], vu[j0:jb], vd[j0:jb], vl[j0:jb], vr[j0:jb], out[j0:jb], R, p0, p1, gamma, slippery, top
        )
        if jb == hi - lo:
            return _from_bits(top), kf, ks
        if nf < nsp:  # the two lists are disjoint
            b = _best(vc, vu, vd, vl, vr, c, jb, R, p0, p1, gamma, slippery)
            b = 0.0 if (c[jb] & 16) != 0 else b
            out[jb] = b
            top = max(top, _bits(abs(b - vc[jb])))
            kf += 1
        else:  # the special cell alone: the row's special cells below lo + jb + 1
            ks, t = _special_cells(
                vc, vu, vd, vl, vr, out, c, lo, lo + jb + 1, ks, sp_idx, sp_rsa, p0, p1, gamma, slippery
            )
            top = max(top, t)
        j0 = jb + 1


@njit(cache=True, nogil=True, inline="always")
def _change(new, old):
    """``max |new - old|`` over a row, as :func:`_jacobi_row` takes it (vectorised: integer maximum of the bits)."""
    top = 0
    for j in range(new.shape[0]):
        top = max(top, _bits(abs(new[j] - old[j])))
    return _from_bits(top)


@njit(cache=True, nogil=True, inline="always")
def _select_rows(code, W, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out, first, last, prefetch):
    """Rows ``first .. last - 1`` of a Jacobi sweep by :func:`_jacobi_row`, prefetching ahead on
    large grids if ``prefetch``; returns their ``max |change|``."""
    res = 0.0
    pf = prefetch and code.shape[0] >= PREFETCH_MIN_CELLS
    for i in range(first, last):
        lo = i * W + 1
        if pf:  # here, not in the row's function: prefetches there slow its loop by half, even untaken
            _prefetch_next(code, v_in, W, lo, lo + W - 2, 1)
        res = max(res, _jacobi_row(code, W, lo, lo + W - 2, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out))
    return res


@njit(cache=True, nogil=True, inline="always")
def _plain_rows(code, W, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out, fx_idx, first, last, prefetch):
    """:func:`_select_rows` by :func:`_jacobi_row_plain` (its own loop: one row kind compiled per sweep)."""
    res = 0.0
    pf = prefetch and code.shape[0] >= PREFETCH_MIN_CELLS
    kf = _find(fx_idx, first * W)
    ks = _find(sp_idx, first * W)
    for i in range(first, last):
        lo = i * W + 1
        if pf:
            _prefetch_next(code, v_in, W, lo, lo + W - 2, 1)
        r, kf, ks = _jacobi_row_plain(
            code, W, lo, lo + W - 2, R, sp_idx, sp_rsa, fx_idx, kf, ks, p0, p1, gamma, slippery, v_in, v_out
        )
        res = max(res, r)
    return res


@njit(cache=True, nogil=True)
def jacobi_sweep(code, W, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out, prefetch):
    """One Jacobi Bellman sweep ``v_out = T v_in`` over the padded grid; returns ``max |change|``.

    Absorbing cells of ``v_in`` must hold 0 (their change is then 0, as in the general kernel).
    ``prefetch``: prefetch the next rows on grids of at least :data:`PREFETCH_MIN_CELLS` cells
    (a hint: the same values either way; ``planners.grid.GridMDP.prefetch`` says when it pays).
    """
    H = code.shape[0] // W
    return _select_rows(code, W, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out, 1, H - 1, prefetch)


@njit(cache=True, nogil=True)
def jacobi_sweep_plain(code, W, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out, fx_idx, prefetch):
    """:func:`jacobi_sweep` by select-free rows (:func:`_jacobi_row_plain`), ``fx_idx`` the sorted
    irregular cells (every bumped or absorbing cell of the real rows that is not special).
    The same values and change."""
    H = code.shape[0] // W
    return _plain_rows(code, W, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out, fx_idx, 1, H - 1, prefetch)


@njit(cache=True, nogil=True, parallel=True)
def jacobi_sweep_parallel(
    code, W, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out, fx_idx, plain, rows, prefetch
):
    """:func:`jacobi_sweep` (``plain``: :func:`jacobi_sweep_plain`) with blocks of ``rows`` rows across
    numba's threads (same values, same bits)."""
    H = code.shape[0] // W
    nb = (H - 2 + rows - 1) // rows
    blockres = np.zeros(max(nb, 1))
    for b in prange(nb):
        first = 1 + b * rows
        last = min(first + rows, H - 1)
        if plain:
            blockres[b] = _plain_rows(
                code, W, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out, fx_idx, first, last, prefetch
            )
        else:
            blockres[b] = _select_rows(
                code, W, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out, first, last, prefetch
            )
    return blockres.max()


@njit(cache=True, nogil=True)
def gs_sweep(code, W, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v, backward):
    """One in-place (Gauss-Seidel) sweep of ``v`` in row-major order (reversed if ``backward``).

    Kept apart from :func:`_jacobi_row` on purpose: each cell reads the new value of the cell
    before it, so the loop is scalar and the special cells are handled in order (a pointer
    walking ``sp_idx`` alongside), not fixed up afterwards.  Returns ``max |change|``.
    """
    H = code.shape[0] // W
    k = 0 if not backward else sp_idx.shape[0] - 1
    res = 0.0
    for t in range(1, H - 1):
        i = H - 1 - t if backward else t
        lo = i * W + 1
        vc, vu, vd, vl, vr, out, c = _views(v, v, code, W, lo, lo + W - 2)
        if code.shape[0] >= PREFETCH_MIN_CELLS:
            _prefetch_next(code, v, W, lo, lo + W - 2, -1 if backward else 1)
        for jj in range(W - 2):
            j = W - 3 - jj if backward else jj
            if (c[j] & 16) != 0:
                out[j] = 0.0
                continue
            if (c[j] & 32) != 0:
                while sp_idx[k] != lo + j:
                    k += -1 if backward else 1
                r = sp_rsa[k]
                b = _max4(_q_row(vc, vu, vd, vl, vr, c, j, r[0], r[1], r[2], r[3], p0, p1, gamma, slippery))
            else:
                b = _best(vc, vu, vd, vl, vr, c, j, R, p0, p1, gamma, slippery)
            res = max(res, abs(b - vc[j]))
            out[j] = b
    return res


@njit(cache=True, nogil=True)
def greedy_sweep(code, W, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out, pol):
    """:func:`jacobi_sweep` that also updates ``pol`` to a maximising action (:func:`_argmax`).

    Its own loop (the argmax is extra work the plain sweep should not do): selects, vectorised,
    then the special cells; absorbing cells get value 0 and action 0.  Returns ``max |change|``.
    """
    H = code.shape[0] // W
    pf = code.shape[0] >= PREFETCH_MIN_CELLS
    res = 0.0
    for i in range(1, H - 1):
        if pf:  # here, not in the row's function (see jacobi_sweep)
            _prefetch_next(code, v_in, W, i * W + 1, i * W + W - 1, 1)
        r = _greedy_row(code, W, i * W + 1, i * W + W - 1, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out, pol)
        res = max(res, r)
    return res


@njit(cache=True, nogil=True)
def _greedy_row(code, W, lo, hi, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v_in, v_out, pol):
    """One row of :func:`greedy_sweep`; returns its ``max |change|``."""
    vc, vu, vd, vl, vr, out, c = _views(v_in, v_out, code, W, lo, hi)
    pr = pol[lo:hi]
    for j in range(hi - lo):
        b, a = _argmax(_q_row(vc, vu, vd, vl, vr, c, j, R, R, R, R, p0, p1, gamma, slippery), c[j], pr[j])
        out[j] = b
        pr[j] = pr[j] if (c[j] & 32) != 0 else a  # special cells: decided below, from their own action
    k = _find(sp_idx, lo)
    while k < sp_idx.shape[0] and sp_idx[k] < hi:
        r = sp_rsa[k]
        j = sp_idx[k] - lo
        out[j], pr[j] = _argmax(
            _q_row(vc, vu, vd, vl, vr, c, j, r[0], r[1], r[2], r[3], p0, p1, gamma, slippery), c[j], pr[j]
        )
        k += 1
    return _change(out, vc)


@njit(cache=True, nogil=True, inline="always")
def _argmax(q, cj, cur):
    """``(max q, action)``: the current action ``cur`` unless another is strictly better (then the
    first best), so ties never undo a policy (policy iteration's rule); ``(0, 0)`` on absorbing
    cells.  Selects, no branches."""
    best = q[0]
    best = max(best, q[1])
    best = max(best, q[2])
    best = max(best, q[3])
    a = 3 if q[3] == best else 0
    a = 2 if q[2] == best else a
    a = 1 if q[1] == best else a
    a = 0 if q[0] == best else a
    qc = q[0] if cur == 0 else (q[1] if cur == 1 else (q[2] if cur == 2 else q[3]))  # selects: no stack tuple
    a = cur if qc == best else a
    absorbing = (cj & 16) != 0
    return (0.0 if absorbing else best), np.uint8(0 if absorbing else a)


@njit(cache=True, nogil=True)
def q_policy(code, W, R, sp_idx, sp_rsa, p0, p1, gamma, slippery, v, q, policy, tie_rtol, want_q):
    """Q-values (into ``q[S, 4]`` when ``want_q``) and greedy ``policy[S]`` of the padded ``v``.

    Real cells in row-major order; ties within ``tie_rtol * max(1, |best|)`` go to the lowest
    action (the rule of :func:`planners.solvers.greedy_policy`); absorbing cells: 0 and action 0.
    The Q-values equal the general :func:`planners._kernels.q_values` (which adds the outcomes
    to 0.0 first: the same number).
    """
    H = code.shape[0] // W
    ncol = W - 2
    for i in range(1, H - 1):
        lo = i * W + 1
        vc, vu, vd, vl, vr, _out, c = _views(v, v, code, W, lo, lo + ncol)
        k = _find(sp_idx, lo)
        for j in range(ncol):
            if (c[j] & 32) != 0:
                while sp_idx[k] != lo + j:
                    k += 1
                r = sp_rsa[k]
                qa = _q_row(vc, vu, vd, vl, vr, c, j, r[0], r[1], r[2], r[3], p0, p1, gamma, slippery)
            else:
                qa = _q_row(vc, vu, vd, vl, vr, c, j, R, R, R, R, p0, p1, gamma, slippery)
            if (c[j] & 16) != 0:
                qa = (0.0, 0.0, 0.0, 0.0)
            row = (i - 1) * ncol + j
            if want_q:
                q[row, 0], q[row, 1], q[row, 2], q[row, 3] = qa
            best = _max4(qa)
            thr = best - tie_rtol * max(1.0, abs(best))
            policy[row] = 0 if qa[0] >= thr else (1 if qa[1] >= thr else (2 if qa[2] >= thr else 3))


@njit(cache=True, nogil=True, fastmath=True)  # an evaluation sweep: exactness is the final Bellman step's job
def line_sweep(code, W, R, sp_idx, sp_rsa, p0, p1, gamma, pol, v, columns, backward, cp, dp):
    """One line Gauss-Seidel sweep of policy evaluation: each row (or column) solved exactly, in place.

    For the policy ``pol``, the cells of one line satisfy ``v = r_pol + gamma P_pol v`` with the
    values off the line held fixed: a tridiagonal system (bumps add to the diagonal, the
    in-line neighbours are the off-diagonals, the cross-line ones the right-hand side),
    diagonally dominant by ``1 - gamma``, solved by the Thomas algorithm.  Coefficients come
    branch-free from the action's direction probabilities (absorbing cells: the row of
    ``v = 0``).  Lines are taken top to bottom (left to right for ``columns``), or the reverse
    if ``backward``; ``cp``, ``dp`` are scratch of at least the line length.  Returns
    ``max |change|``.
    """
    H = code.shape[0] // W
    n_lines, L = (W - 2, H - 2) if columns else (H - 2, W - 2)
    step = W if columns else 1
    lo, hi, c1, c2 = (0, 1, 2, 3) if columns else (2, 3, 0, 1)
    o1, o2 = (-1, 1) if columns else (-W, W)
    # probability of each direction (up, down, left, right) under each action
    pd = np.array([[p0, 0.0, p1, p1], [0.0, p0, p1, p1], [p1, p1, p0, 0.0], [p1, p1, 0.0, p0]])
    res = 0.0
    for t in range(n_lines):
        i = n_lines - 1 - t if backward else t
        start = W + 1 + i if columns else (i + 1) * W + 1
        cprev, dprev = 0.0, 0.0
        for j in range(L):
            s = start + j * step
            c = code[s]
            live = 1.0 - ((c >> 4) & 1)
            pa = pd[pol[s]]
            blocked = pa[0] * (c & 1) + pa[1] * ((c >> 1) & 1) + pa[2] * ((c >> 2) & 1) + pa[3] * ((c >> 3) & 1)
            lower = -gamma * live * pa[lo] * (1 - ((c >> lo) & 1))
            upper = -gamma * live * pa[hi] * (1 - ((c >> hi) & 1))
            cross = pa[c1] * (1 - ((c >> c1) & 1)) * v[s + o1] + pa[c2] * (1 - ((c >> c2) & 1)) * v[s + o2]
            r = R if (c & 32) == 0 else sp_rsa[_find(sp_idx, s), pol[s]]
            rhs = live * (r + gamma * cross)
            den = 1.0 - gamma * live * blocked - lower * cprev
            cprev = upper / den  # dividing here, not by a reciprocal: one multiply less on the chain
            dprev = (rhs - lower * dprev) / den
            cp[j] = cprev
            dp[j] = dprev
        x = 0.0
        for j in range(L - 1, -1, -1):
            s = start + j * step
            x = dp[j] - cp[j] * x
            res = max(res, abs(x - v[s]))
            v[s] = x
    return res


@njit(cache=True, nogil=True)
def label_correcting(code, W, R, sp_idx, sp_rsa, gamma, p, v, pol, queue, max_pushes):
    """Values of the intended moves from the terminals outward (FIFO label correcting).

    As :func:`planners._kernels.label_correcting` on the grid's own arrays: terminals start
    at 0, live cells at ``-inf``; popping ``t`` relaxes each live neighbour ``m`` that moves
    into ``t`` (``m = t - offset(a)``, its move ``a`` not blocked) with
    ``R(m, a) + gamma * (p * v[t])``, and records ``pol[m] = a`` on each rise.  With ``p = 1``
    on a deterministic grid these are the exact values (each the return of a path); with
    ``p = 1 - slip`` the most likely outcome's values, and ``pol`` heads for the terminals even
    where those values have all rounded to one number (the first, nearest, setter wins).
    Walls and padding stay 0 and are never entered.  ``queue`` is int32 scratch of the padded
    size.  Returns ``finished``: whether the queue emptied within ``max_pushes`` insertions.
    """
    n = code.shape[0]
    inq = np.zeros(n, dtype=np.bool_)
    head = 0
    size = 0
    for s in range(n):
        v[s] = 0.0 if (code[s] & 16) != 0 else -np.inf
        pol[s] = 0
    for s in range(n):  # terminals: absorbing cells some live neighbour can enter
        if (code[s] & 16) != 0 and _enterable(code, W, s):
            queue[size] = s
            inq[s] = True
            size += 1
    off = (-W, W, -1, 1)
    pushes = 0
    while size > 0 and pushes <= max_pushes:
        t = queue[head]
        head = head + 1 if head + 1 < n else 0
        size -= 1
        inq[t] = False
        vt = v[t]
        for a in range(4):
            m = t - off[a]
            if m < 0 or m >= n or (code[m] & 16) != 0 or ((code[m] >> a) & 1) != 0:
                continue
            r = R if (code[m] & 32) == 0 else sp_rsa[_find(sp_idx, m), a]
            cand = r + gamma * (p * vt)
            if cand > v[m]:
                v[m] = cand
                pol[m] = a
                if not inq[m]:
                    inq[m] = True
                    tail = head + size
                    queue[tail if tail < n else tail - n] = m
                    size += 1
                    pushes += 1
    return size == 0


@njit(cache=True, nogil=True, inline="always")
def _enterable(code, W, s):
    """Whether some live neighbour of absorbing cell ``s`` can move into it (so ``s`` is a terminal)."""
    n = code.shape[0]
    off = (-W, W, -1, 1)
    for a in range(4):
        m = s - off[a]
        if 0 <= m < n and (code[m] & 16) == 0 and ((code[m] >> a) & 1) == 0:
            return True
    return False
