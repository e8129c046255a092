# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from R's density.default and BinDist, src/library/stats/R/density.R and src/library/stats/src/massdist.c, R
# (GPL-2.0-or-later).
"""R's ``stats::density`` (default Gaussian kernel), ported faithfully and batched over rows.

The mode-based MR estimate (MBE) is the argmax of a weighted kernel density of the ratio
estimates as R's ``density.default`` computes it: not the exact kernel sum but R's fast
approximation, so the grid point that wins the argmax is the one R picks. The steps are those of
``density.default`` (R 4.2):

1. ``from = min(x) - cut*bw``, ``to = max(x) + cut*bw``, ``lo = from - 4*bw``, ``up = to + 4*bw``;
2. linear binning of the weights on ``n`` equally spaced points in ``[lo, up]`` into a
   zero-padded vector of length ``2n`` (C routine ``BinDist``);
3. kernel ordinates ``dnorm(kords, sd = bw)`` at ``kords = seq(0, 2*(up - lo), length.out = 2n)``
   with the upper half mirrored to negative distances (R's own spacing, slightly different from
   the bin spacing: a quirk kept on purpose);
4. circular convolution by FFT, ``Re(.)[1:n] / 2n`` clipped at 0;
5. linear interpolation (``approx``) from ``seq(lo, up, length.out = n)`` onto
   ``seq(from, to, length.out = n)``.

Every function takes ``x`` of shape ``(k,)`` or ``(B, k)`` and works row-wise, so the bootstrap of
the mode computes all its replicate densities with a handful of array operations.

References
----------
R Core Team. ``density.default`` and ``BinDist`` (src/library/stats/R/density.R,
src/library/stats/src/massdist.c), R 4.2.
Silverman BW (1986). Density Estimation for Statistics and Data Analysis. Chapman & Hall.
"""
from __future__ import annotations

import numpy as np

__all__ = ["r_seq", "bin_dist", "density", "density_mode", "density_modes"]

_SQRT_2PI = np.sqrt(2.0 * np.pi)
_CHUNK = 256  # rows per FFT batch: small enough for the CPU caches (2048 was 1.5x slower), bounded memory
_WINDOW = 24  # output points interpolated around a density's maximum (:func:`_argmax_points`)


def r_seq(start: np.ndarray, stop: np.ndarray, n: int) -> np.ndarray:
    """R's ``seq.int(from, to, length.out = n)`` (ends exact, symmetric fill), along a new last axis."""
    start = np.asarray(start, dtype=float)[..., None]
    stop = np.asarray(stop, dtype=float)[..., None]
    i = np.arange(n, dtype=float)
    by = (stop - start) / (n - 1)
    half = n // 2
    out = np.empty(np.broadcast_shapes(start.shape, stop.shape)[:-1] + (n,))
    out[..., :half] = start + i[:half] * by
    out[..., half:] = stop - (n - 1 - i[half:]) * by
    out[..., 0] = start[..., 0]
    out[..., -1] = stop[..., 0]
    return out


def _r_seq_at(start: np.ndarray, stop: np.ndarray, n: int, index: np.ndarray) -> np.ndarray:
    """``r_seq(start, stop, n)[r, index[r, :]]`` without the rest of the sequence, the same bits: ``start`` (``(B,)``),
    ``stop`` and ``index`` (``(B, m)`` ints in ``[0, n)``)."""
    start, stop = start[:, None], stop[:, None]
    by = (stop - start) / (n - 1)
    i = index.astype(float)
    out = np.where(index < n // 2, start + i * by, stop - (n - 1 - i) * by)
    out = np.where(index == 0, start, out)
    return np.where(index == n - 1, stop, out)


class _Binning:
    """Where each x falls on the grid ``seq(lo, up, length.out = n)``: R's ``BinDist`` indices."""

    def __init__(self, x: np.ndarray, lo: np.ndarray, up: np.ndarray, n: int):
        rows = x.shape[0]
        delta = (up - lo) / (n - 1)
        xpos = (x - lo[:, None]) / delta[:, None]
        ix = np.floor(xpos)
        self.fx = xpos - ix
        ix = ix.astype(np.int64)
        ok = np.isfinite(x)
        inside = ok & (ix >= 0) & (ix <= n - 2)
        self.use_left = inside | (ok & (ix == n - 1))
        self.use_right = inside | (ok & (ix == -1))
        base = (np.arange(rows, dtype=np.int64) * 2 * n)[:, None]
        # each x puts weight on its left and right grid point: both index sets in one bincount (one array of 2n
        # per row allocated, not two: at 10,000 bootstrap rows the second allocation cost more than the counting)
        self.index = np.concatenate([(base + np.clip(ix, 0, 2 * n - 1)).ravel(),
                                     (base + np.clip(ix + 1, 0, 2 * n - 1)).ravel()])
        self.shape = (rows, 2 * n)

    def weights(self, w: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        left = np.where(self.use_left, w * (1.0 - self.fx), 0.0).ravel()
        right = np.where(self.use_right, w * self.fx, 0.0).ravel()
        if out is None:
            y = np.bincount(self.index, weights=np.concatenate([left, right]), minlength=self.shape[0] * self.shape[1])
            return y.reshape(self.shape)
        out[...] = 0.0  # a reused buffer: no fresh pages to fault in (they cost more than the binning)
        flat = out.reshape(-1)
        np.add.at(flat, self.index[:left.size], left)
        np.add.at(flat, self.index[left.size:], right)
        return out


def bin_dist(x: np.ndarray, w: np.ndarray, lo: np.ndarray, up: np.ndarray, n: int) -> np.ndarray:
    """R's ``BinDist``: linear binning of weights ``w`` at ``x`` onto n points, padded to 2n.

    ``x`` and ``w`` are ``(B, k)``, ``lo`` and ``up`` ``(B,)``; returns ``(B, 2n)``.
    """
    return _Binning(x, lo, up, n).weights(np.broadcast_to(w, x.shape))


class _Interpolation:
    """R's ``approx(xgrid, ., v)`` (bisection interval, exact hits) for fixed sorted grids
    ``xgrid = seq(lo, up, length.out = n)`` (:func:`r_seq`), row-wise; ``v`` ``(B, m)``."""

    def __init__(self, lo: np.ndarray, up: np.ndarray, n: int, v: np.ndarray):
        rows = v.shape[0]
        step = (up - lo) / (n - 1)
        i = np.clip(np.floor((v - lo[:, None]) / step[:, None]).astype(np.int64), 0, n - 2)
        xi, xj = _r_seq_at(lo, up, n, i), _r_seq_at(lo, up, n, i + 1)
        move = np.where((xi > v) & (i > 0), -1, np.where((xj <= v) & (i < n - 2), 1, 0))
        if move.any():  # the arithmetic guess missed the bisection interval: fix those points
            i = i + move
            xi, xj = _r_seq_at(lo, up, n, i), _r_seq_at(lo, up, n, i + 1)
        self.i = (np.arange(rows, dtype=np.int64)[:, None] * n + i).ravel()
        self.shape = v.shape
        with np.errstate(invalid="ignore", divide="ignore"):
            self.t = ((v - xi) / (xj - xi)).ravel()
        self.hit_j = np.flatnonzero(v == xj)
        self.hit_i = np.flatnonzero(v == xi)

    def __call__(self, ygrid: np.ndarray) -> np.ndarray:
        flat = ygrid.ravel()
        yi, yj = flat[self.i], flat[self.i + 1]
        out = yi + (yj - yi) * self.t
        out[self.hit_j] = yj[self.hit_j]  # R returns the grid value on exact hits
        out[self.hit_i] = yi[self.hit_i]
        return out.reshape(self.shape)


def _kernel(lo: np.ndarray, up: np.ndarray, bw: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
    """Kernel ordinates ``dnorm(kords, sd = bw)`` at R's ``kords`` (length 2n), row-wise.

    ``kords = seq(0, 2 (up - lo), length.out = 2n)`` with its upper half replaced by the negated lower
    half; the density is even, so only ordinates 0..n are computed (as :func:`r_seq` and R compute those
    points) and the rest are their mirror image, the same numbers bit for bit at half the work.
    """
    span = 2.0 * (up - lo)
    by = span / (2 * n - 1)
    out = np.empty((lo.shape[0], 2 * n)) if out is None else out
    half = out[:, :n + 1]  # in place: the temporaries cost four times the exponentials
    np.multiply(np.arange(n + 1, dtype=float), by[:, None], out=half)  # r_seq's start + i by, with start 0
    half[:, n] = span - (2 * n - 1 - float(n)) * by  # r_seq's upper-half formula at i = n
    half /= bw[:, None]
    np.multiply(half, half, out=half)
    half *= -0.5  # exact: -0.5 z z as R has it
    np.exp(half, out=half)
    half /= _SQRT_2PI * bw[:, None]
    out[:, n + 1:] = half[:, n - 1:0:-1]
    return out


def _densities(x: np.ndarray, weight_sets: list, bw: np.ndarray, n: int, cut: float,
               n_out: int) -> tuple[np.ndarray, list]:
    """Grid and one density per weight set, sharing bins, kernel FFT and interpolation."""
    start = x.min(axis=1) - cut * bw
    stop = x.max(axis=1) + cut * bw
    lo = start - 4.0 * bw
    up = stop + 4.0 * bw
    kernel_fft = np.conj(np.fft.rfft(_kernel(lo, up, bw, n), axis=1))
    binning = _Binning(x, lo, up, n)
    grid = r_seq(start, stop, n_out)
    interp = _Interpolation(lo, up, n, grid)
    ys = []
    for w in weight_sets:
        y = binning.weights(np.broadcast_to(w, x.shape))
        conv = np.fft.irfft(np.fft.rfft(y, axis=1) * kernel_fft, n=2 * n, axis=1)
        ys.append(interp(np.maximum(conv[:, :n], 0.0)))  # irfft divides by 2n, as R's /length(y)
    return grid, ys


def _density_rows(x: np.ndarray, w: np.ndarray, bw: np.ndarray, n: int, cut: float,
                  n_out: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    grid, (y,) = _densities(x, [w], bw, n, cut, n if n_out is None else n_out)
    return grid, y


def _grid_size(n: int) -> int:
    """R: ``n <- max(n, 512); if (n > 512) n <- 2^ceiling(log2(n))``."""
    n = max(int(n), 512)
    return n if n == 512 else int(2 ** np.ceil(np.log2(n)))


def _prepare(x, weights, bw):
    x = np.asarray(x, dtype=float)
    single = x.ndim == 1
    x2 = np.atleast_2d(x)
    rows, k = x2.shape
    w = np.full((rows, k), 1.0 / k) if weights is None else np.broadcast_to(
        np.asarray(weights, dtype=float), (rows, k))
    bw = np.broadcast_to(np.asarray(bw, dtype=float), (rows,)).astype(float)
    if not np.all(np.isfinite(bw)) or np.any(bw <= 0):
        raise ValueError("bandwidth must be finite and > 0")
    return single, x2, w, bw


def density(x, weights=None, *, bw, n: int = 512, cut: float = 3.0
            ) -> tuple[np.ndarray, np.ndarray]:
    """``stats::density(x, weights = weights, bw = bw, n = n, cut = cut)``: grid ``x`` and ``y``.

    Parameters
    ----------
    x : array_like, shape (k,) or (B, k)
        Data; one density per row.
    weights : array_like, optional
        Shape (k,) or (B, k); R's default 1/k when None. Not renormalised (as R).
    bw : float or array_like (B,)
        Kernel standard deviation per row.
    n : int
        Grid points (R: ``max(n, 512)``, rounded up to a power of 2 above 512).
    """
    single, x2, w, bw = _prepare(x, weights, bw)
    grid, y = _density_rows(x2, w, bw, _grid_size(n), cut, n_out=int(n))  # R: approx onto n.user
    return (grid[0], y[0]) if single else (grid, y)


def density_mode(x, weights=None, *, bw, n: int = 512, cut: float = 3.0) -> np.ndarray | float:
    """The grid point of highest density, first one on ties (``x[y == max(y)][1]`` in R).

    Row-wise for ``(B, k)`` input, processed in chunks so that 10,000 replicates fit in memory.
    """
    return density_modes(x, [weights], bw=bw, n=n, cut=cut)[0]


def _argmax_points(c: np.ndarray, lo: np.ndarray, up: np.ndarray, start: np.ndarray, stop: np.ndarray,
                   n_out: int) -> np.ndarray:
    """The output grid point of highest density per row, first one on ties: ``x[y == max(y)][1]`` of R's
    ``density()`` whose binned, convolved values are ``c`` (``(B, n)``, clipped at 0), without interpolating
    every one of its ``n_out`` points.

    The :data:`_WINDOW` output points around the highest bin are interpolated; let ``L`` be their largest value.
    Each interpolated value lies between the two bin values around it, so an output point whose two bins are both
    below ``L`` cannot be the maximum: when every bin reaching ``L`` lies inside the window, so does the first
    maximum. A row where they do not (two near-equal modes) has all its points interpolated. The values compared
    are the ones :func:`density` gives, bit for bit.
    """
    rows, n = c.shape
    pick = np.arange(rows)
    if n_out <= _WINDOW:
        grid = r_seq(start, stop, n_out)
        return grid[pick, np.argmax(_Interpolation(lo, up, n, grid)(c), axis=1)]
    step, step_out = (up - lo) / (n - 1), (stop - start) / (n_out - 1)
    top = lo + np.argmax(c, axis=1) * step
    j0 = np.clip(np.round((top - start) / step_out).astype(np.int64) - _WINDOW // 2, 0, n_out - _WINDOW)
    v = _r_seq_at(start, stop, n_out, j0[:, None] + np.arange(_WINDOW))
    y = _Interpolation(lo, up, n, v)(c)
    i_best = np.argmax(y, axis=1)
    level = y[pick, i_best] * (1.0 - 4 * np.finfo(float).eps)  # an ulp of rounding in the interpolation
    reach = c >= level[:, None]
    first = lo + (np.argmax(reach, axis=1) - 1) * step
    last = lo + (n - np.argmax(reach[:, ::-1], axis=1)) * step
    inside = ((np.floor((first - start) / step_out) - 2 >= j0) | (j0 == 0)) & \
             ((np.ceil((last - start) / step_out) + 2 <= j0 + _WINDOW - 1) | (j0 == n_out - _WINDOW))
    best = v[pick, i_best]
    wide = np.flatnonzero(~inside)
    if wide.size:
        grid = r_seq(start[wide], stop[wide], n_out)
        y = _Interpolation(lo[wide], up[wide], n, grid)(c[wide])
        best[wide] = grid[np.arange(wide.size), np.argmax(y, axis=1)]
    return best


def density_modes(x, weight_sets, *, bw, n: int = 512, cut: float = 3.0) -> list:
    """:func:`density_mode` for several weight sets on the same data and bandwidths.

    The bins and the kernel's FFT are shared, so the simple and weighted mode of 10,000 bootstrap replicates cost
    little more than one of them; only the output points near each maximum are interpolated
    (:func:`_argmax_points`); the chunks of rows reuse their arrays.
    """
    single, x2, _, bw = _prepare(x, None, bw)
    rows, k = x2.shape
    n_grid, n_out = _grid_size(n), int(n)
    sets = [np.full(k, 1.0 / k) if w is None else np.broadcast_to(np.asarray(w, dtype=float),
                                                                   (rows, k)) for w in weight_sets]
    out = [np.empty(rows) for _ in sets]
    size = min(rows, _CHUNK)
    kernel, y, conv = np.empty((size, 2 * n_grid)), np.empty((size, 2 * n_grid)), np.empty((size, 2 * n_grid))
    kernel_fft, y_fft = np.empty((size, n_grid + 1), complex), np.empty((size, n_grid + 1), complex)
    for begin in range(0, rows, _CHUNK):
        sl = slice(begin, begin + _CHUNK)
        xs, b = x2[sl], bw[sl]
        m = xs.shape[0]
        start = xs.min(axis=1) - cut * b
        stop = xs.max(axis=1) + cut * b
        lo, up = start - 4.0 * b, stop + 4.0 * b
        np.fft.rfft(_kernel(lo, up, b, n_grid, out=kernel[:m]), axis=1, out=kernel_fft[:m])
        np.conjugate(kernel_fft[:m], out=kernel_fft[:m])
        binning = _Binning(xs, lo, up, n_grid)
        for res, w in zip(out, sets):
            binning.weights(np.broadcast_to(w if w.ndim == 1 else w[sl], xs.shape), out=y[:m])
            np.fft.rfft(y[:m], axis=1, out=y_fft[:m])
            y_fft[:m] *= kernel_fft[:m]
            np.fft.irfft(y_fft[:m], n=2 * n_grid, axis=1, out=conv[:m])
            c = np.maximum(conv[:m, :n_grid], 0.0)
            res[sl] = _argmax_points(c, lo, up, start, stop, n_out)
    return [float(r[0]) for r in out] if single else out
