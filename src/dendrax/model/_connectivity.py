"""Connectivity rules: which presynaptic elements connect to which postsynaptic cells.

Pure NumPy, run once at model-build time. A rule is a frozen dataclass with one method,
``pairs(pre_cells, post_cells, rng) -> (i, j)``: index arrays into the pre population (length
``n_pre``) and the post population (length ``n_post``), one entry per connection, sorted by
``(j, i)`` so that the same seed always gives the same edges in the same order.

``pre_cells[i]`` and ``post_cells[j]`` are global cell ids (>= 0). A pre that is an artificial
spike source (a NetStim, a spike list) has id -1 and never forms an autapse. An autapse is a pair
with ``pre_cells[i] == post_cells[j]``, a cell connected to itself; random rules leave them out
unless ``autapses=True``.

Per-connection values (weights in µS, delays in ms) come from :func:`resolve_values`, and
synapse locations drawn at random from a region from :func:`random_compartments` and
:func:`random_compartments_per_post`.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np

# Above this many (row, column) pairs the fixed-degree rules stop drawing one key per pair and
# sample each row's k columns by rejection instead (memory and time grow with the edges only).
_DENSE_PAIRS = 1 << 24

ValueSpec = float | np.ndarray | Sequence[float] | Callable[[np.random.Generator, int], np.ndarray]


def whole_number(owner: str, name: str, value: object) -> int:
    """``value`` as a non-negative ``int``; integral floats such as ``5.0`` are accepted."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise ValueError(f"{owner}: {name}={value!r} must be a non-negative whole number.")
    if not math.isfinite(float(value)) or float(value) != int(value) or value < 0:
        raise ValueError(f"{owner}: {name}={value!r} must be a non-negative whole number.")
    return int(value)


def _populations(rule: str, pre_cells: np.ndarray, post_cells: np.ndarray):
    arrays = []
    for side, cells, lowest in (("pre_cells", pre_cells, -1), ("post_cells", post_cells, 0)):
        a = np.asarray(cells)
        if a.ndim != 1 or not (a.size == 0 or np.issubdtype(a.dtype, np.integer)):
            raise ValueError(
                f"{rule}.pairs: {side} must be a 1-D array of integer cell ids "
                f"(got shape {a.shape}, dtype {a.dtype})."
            )
        a = a.astype(np.int64)
        if a.size and a.min() < lowest:
            bad = int(np.flatnonzero(a < lowest)[0])
            what = "-1 (a spike source) or a cell id >= 0" if lowest < 0 else "a cell id >= 0"
            raise ValueError(f"{rule}.pairs: {side}[{bad}]={a[bad]}; each entry must be {what}.")
        arrays.append(a)
    return arrays[0], arrays[1]


def _flag(owner: str, name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{owner}: {name}={value!r} must be True or False.")
    return bool(value)


def _self_counts(row_ids: np.ndarray, col_ids: np.ndarray) -> np.ndarray:
    """For every row, how many columns carry the same cell id (its possible autapses)."""
    s = np.sort(col_ids)
    return np.searchsorted(s, row_ids, "right") - np.searchsorted(s, row_ids, "left")


def _choose_per_row(
    rule: str,
    row_ids: np.ndarray,
    col_ids: np.ndarray,
    k: int,
    autapses: bool,
    duplicates: bool,
    rng: np.random.Generator,
    rows: str,
    cols: str,
) -> np.ndarray:
    """``(n_rows, k)`` column indices, each row sorted: k columns drawn uniformly for every row,
    without replacement unless ``duplicates``, skipping columns of the row's own cell id unless
    ``autapses``."""
    n_rows, n_cols = row_ids.size, col_ids.size
    n_self = np.zeros(n_rows, np.int64) if autapses else _self_counts(row_ids, col_ids)
    available = n_cols - n_self
    if k == 0 or n_rows == 0:
        return np.zeros((n_rows, k), np.int64)
    short = available < (1 if duplicates else k)
    if short.any():
        r = int(np.flatnonzero(short)[0])
        less = f", less {n_self[r]} autapse(s)" if n_self[r] else ""
        fixes = [] if duplicates else ["lower k", "set duplicates=True"]
        fixes += ["set autapses=True"] if n_self[r] else []
        fixes = fixes or [f"give a non-empty {cols[:-1]} population"]
        raise ValueError(
            f"{rule}(k={k}): {rows} {r} (cell id {row_ids[r]}) has only {available[r]} "
            f"available {cols} (of {n_cols}{less}); {' or '.join(fixes)}."
        )

    if duplicates:  # each entry independently uniform over the row's available columns
        out = rng.integers(0, n_cols, (n_rows, k))
        if not autapses:
            bad = np.flatnonzero(row_ids.repeat(k) == col_ids[out.ravel()])
            while bad.size:
                flat = out.reshape(-1)
                flat[bad] = rng.integers(0, n_cols, bad.size)
                bad = bad[row_ids[bad // k] == col_ids[flat[bad]]]
        return np.sort(out, axis=1)

    # Without replacement: by rejection of whole rows where that accepts most rows, otherwise
    # the k smallest of one uniform key per pair (blocks of rows bound the memory).
    accept = math.exp(-k * (k - 1) / (2 * n_cols)) * (1 - int(n_self.max()) / n_cols) ** k
    if n_rows * n_cols > _DENSE_PAIRS and accept > 0.5:
        out = np.empty((n_rows, k), np.int64)
        redo = np.arange(n_rows)
        while redo.size:
            draw = np.sort(rng.integers(0, n_cols, (redo.size, k)), axis=1)
            ok = ~(draw[:, 1:] == draw[:, :-1]).any(axis=1)
            if not autapses:
                ok &= ~(row_ids[redo, None] == col_ids[draw]).any(axis=1)
            out[redo[ok]] = draw[ok]
            redo = redo[~ok]
        return out
    out = np.empty((n_rows, k), np.int64)
    block = max(1, _DENSE_PAIRS // n_cols)
    for start in range(0, n_rows, block):
        stop = min(start + block, n_rows)
        keys = rng.random((stop - start, n_cols))
        if not autapses:
            keys[row_ids[start:stop, None] == col_ids[None, :]] = 2.0  # never among the k least
        if k < n_cols:
            out[start:stop] = np.sort(np.argpartition(keys, k - 1, axis=1)[:, :k], axis=1)
        else:  # k == n_cols (no column excluded): every column
            out[start:stop] = np.arange(n_cols)
    return out


class Connectivity(abc.ABC):
    """A connectivity rule (abstract). Subclasses implement :meth:`pairs`."""

    @abc.abstractmethod
    def pairs(
        self, pre_cells: np.ndarray, post_cells: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(i, j)``: int64 indices into ``pre_cells`` and ``post_cells`` of every connection,
        sorted by ``(j, i)``. ``pre_cells`` are cell ids (-1 for a spike source),
        ``post_cells`` cell ids (>= 0); ``rng`` draws whatever is random."""


def _sorted(i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((i, j))
    return i[order].astype(np.int64), j[order].astype(np.int64)


@dataclasses.dataclass(frozen=True)
class OneToOne(Connectivity):
    """Pre ``i`` to post ``i``, for every i; both populations must have the same size. Every pair
    is kept, so if pre and post are the same cells every connection is an autapse."""

    def pairs(self, pre_cells, post_cells, rng):
        pre, post = _populations("OneToOne", pre_cells, post_cells)
        if pre.size != post.size:
            raise ValueError(
                f"OneToOne needs as many pres as posts: got n_pre={pre.size} and "
                f"n_post={post.size}. Use AllToAll, Random, FixedInDegree or an EdgeList for "
                "populations of different sizes."
            )
        i = np.arange(pre.size, dtype=np.int64)
        return i, i.copy()


@dataclasses.dataclass(frozen=True)
class AllToAll(Connectivity):
    """Every pre to every post, except autapses unless ``autapses=True``."""

    autapses: bool = False

    def __post_init__(self) -> None:
        _flag("AllToAll", "autapses", self.autapses)

    def pairs(self, pre_cells, post_cells, rng):
        pre, post = _populations("AllToAll", pre_cells, post_cells)
        i = np.tile(np.arange(pre.size, dtype=np.int64), post.size)
        j = np.repeat(np.arange(post.size, dtype=np.int64), pre.size)
        if not self.autapses:
            keep = pre[i] != post[j]
            i, j = i[keep], j[keep]
        return i, j


@dataclasses.dataclass(frozen=True)
class Random(Connectivity):
    """Each (pre, post) pair independently with probability ``p`` (Bernoulli): no pair twice
    (unlike Jaxley's ``connectivity``, which samples with replacement). Autapses are left out
    unless ``autapses=True``; the other pairs keep probability exactly ``p``.

    Sampled by geometric skipping over the pairs in (post, pre) order: the gaps between
    connections are Geometric(p), so time and memory grow with the number of connections,
    not of pairs (2,000 x 2,000 at p = 0.25, one million connections, takes < 0.1 s).
    """

    p: float
    autapses: bool = False

    def __post_init__(self) -> None:
        ok = isinstance(self.p, (int, float, np.integer, np.floating)) and not isinstance(
            self.p, (bool, np.bool_)
        )
        if not ok or not 0.0 <= float(self.p) <= 1.0:
            raise ValueError(
                f"Random(p={self.p!r}): p is a connection probability and must lie in [0, 1]."
            )
        object.__setattr__(self, "p", float(self.p))
        _flag("Random", "autapses", self.autapses)

    def pairs(self, pre_cells, post_cells, rng):
        pre, post = _populations("Random", pre_cells, post_cells)
        n_pre, n_pairs = pre.size, pre.size * post.size
        if self.p == 0.0 or n_pairs == 0:
            flat = np.zeros(0, np.int64)
        elif self.p == 1.0:
            flat = np.arange(n_pairs, dtype=np.int64)
        else:
            mean = self.p * n_pairs
            chunk = int(mean + 6.0 * math.sqrt(mean * (1.0 - self.p)) + 16)
            pieces, last = [], -1
            while last < n_pairs:  # a second chunk is needed with probability ~1e-9
                pos = last + np.cumsum(rng.geometric(self.p, chunk))
                pieces.append(pos)
                last = int(pos[-1])
            flat = np.concatenate(pieces)
            flat = flat[flat < n_pairs]
        j, i = np.divmod(flat, n_pre) if n_pre else (flat, flat)
        if not self.autapses:
            keep = pre[i] != post[j]
            i, j = i[keep], j[keep]
        return i, j


@dataclasses.dataclass(frozen=True)
class FixedInDegree(Connectivity):
    """Every post receives exactly ``k`` connections from pres drawn uniformly: distinct pres
    unless ``duplicates=True`` (then drawn with replacement), never itself unless
    ``autapses=True``."""

    k: int
    autapses: bool = False
    duplicates: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", whole_number("FixedInDegree", "k", self.k))
        _flag("FixedInDegree", "autapses", self.autapses)
        _flag("FixedInDegree", "duplicates", self.duplicates)

    def pairs(self, pre_cells, post_cells, rng):
        pre, post = _populations("FixedInDegree", pre_cells, post_cells)
        cols = _choose_per_row(
            "FixedInDegree", post, pre, self.k, self.autapses, self.duplicates, rng, "post", "pres"
        )
        j = np.repeat(np.arange(post.size, dtype=np.int64), self.k)
        return cols.reshape(-1), j


@dataclasses.dataclass(frozen=True)
class FixedOutDegree(Connectivity):
    """Every pre makes exactly ``k`` connections to posts drawn uniformly: distinct posts unless
    ``duplicates=True``, never itself unless ``autapses=True``."""

    k: int
    autapses: bool = False
    duplicates: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", whole_number("FixedOutDegree", "k", self.k))
        _flag("FixedOutDegree", "autapses", self.autapses)
        _flag("FixedOutDegree", "duplicates", self.duplicates)

    def pairs(self, pre_cells, post_cells, rng):
        pre, post = _populations("FixedOutDegree", pre_cells, post_cells)
        cols = _choose_per_row(
            "FixedOutDegree", pre, post, self.k, self.autapses, self.duplicates, rng, "pre", "posts"
        )
        i = np.repeat(np.arange(pre.size, dtype=np.int64), self.k)
        return _sorted(i, cols.reshape(-1))


@dataclasses.dataclass(frozen=True, eq=False)
class FromMatrix(Connectivity):
    """A connection wherever ``matrix[i, j]`` is nonzero; shape ``(n_pre, n_post)``.

    :meth:`weights` gives the nonzero entries in the order of :meth:`pairs`, for use as the
    connections' weights (µS) or any other per-connection value. Compares by identity."""

    matrix: np.ndarray

    def __post_init__(self) -> None:
        m = np.asarray(self.matrix)
        if m.ndim != 2 or not (np.issubdtype(m.dtype, np.number) or m.dtype == np.bool_):
            raise ValueError(
                f"FromMatrix: matrix must be a 2-D numeric array of shape (n_pre, n_post) "
                f"(got shape {m.shape}, dtype {m.dtype})."
            )
        m = m.astype(np.float64)
        if not np.all(np.isfinite(m)):
            i, j = (int(x[0]) for x in np.nonzero(~np.isfinite(m)))
            raise ValueError(f"FromMatrix: matrix[{i}, {j}] is {m[i, j]}; entries must be finite.")
        m.setflags(write=False)
        object.__setattr__(self, "matrix", m)

    def pairs(self, pre_cells, post_cells, rng):
        pre, post = _populations("FromMatrix", pre_cells, post_cells)
        if self.matrix.shape != (pre.size, post.size):
            raise ValueError(
                f"FromMatrix: matrix has shape {self.matrix.shape}, but the populations need "
                f"(n_pre, n_post) = ({pre.size}, {post.size})."
            )
        j, i = np.nonzero(self.matrix.T)  # row-major over (j, i): already sorted by (j, i)
        return i.astype(np.int64), j.astype(np.int64)

    def weights(self) -> np.ndarray:
        """The nonzero entries (float64), in the order of :meth:`pairs`."""
        t = self.matrix.T
        return t[np.nonzero(t)].copy()


def _index_array(name: str, values: object) -> np.ndarray:
    a = np.asarray(values)
    if (
        a.ndim != 1
        or a.dtype == np.bool_
        or not (
            a.size == 0 or np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)
        )
    ):
        raise ValueError(
            f"EdgeList: {name} must be a 1-D array of integer indices "
            f"(got shape {a.shape}, dtype {a.dtype})."
        )
    if np.issubdtype(a.dtype, np.floating):
        bad = np.flatnonzero(~np.isfinite(a) | (a != np.round(a)))
        if bad.size:
            raise ValueError(f"EdgeList: {name}[{bad[0]}]={a[bad[0]]} is not an integer index.")
    a = a.astype(np.int64)
    if a.size and a.min() < 0:
        neg = int(np.flatnonzero(a < 0)[0])
        raise ValueError(f"EdgeList: {name}[{neg}]={a[neg]} is negative; indices count from 0.")
    a.setflags(write=False)
    return a


@dataclasses.dataclass(frozen=True, eq=False)
class EdgeList(Connectivity):
    """Explicit connections ``pre[c] -> post[c]``: indices into the pre and post populations.
    Repeated pairs are kept (each is its own connection) and autapses are not removed.

    :meth:`pairs` returns them sorted by (post, pre), stably; values given per edge in the
    list's own order are put in that order by ``values[edge_list.order()]``. Compares by
    identity."""

    pre: np.ndarray
    post: np.ndarray

    def __post_init__(self) -> None:
        pre, post = _index_array("pre", self.pre), _index_array("post", self.post)
        if pre.shape != post.shape:
            raise ValueError(
                f"EdgeList: pre and post must have the same length, one entry per connection "
                f"(got {pre.size} and {post.size})."
            )
        object.__setattr__(self, "pre", pre)
        object.__setattr__(self, "post", post)

    def order(self) -> np.ndarray:
        """The permutation that sorts the list by (post, pre): ``pairs() == (pre[o], post[o])``."""
        return np.lexsort((self.pre, self.post))

    def pairs(self, pre_cells, post_cells, rng):
        pre, post = _populations("EdgeList", pre_cells, post_cells)
        for name, idx, n in (("pre", self.pre, pre.size), ("post", self.post, post.size)):
            if idx.size and idx.max() >= n:
                bad = int(np.flatnonzero(idx >= n)[0])
                raise ValueError(
                    f"EdgeList: {name}[{bad}]={idx[bad]} is out of range; the {name} population "
                    f"has {n} elements (indices 0..{n - 1})."
                )
        o = self.order()
        return self.pre[o].copy(), self.post[o].copy()


def resolve_values(
    name: str,
    value: ValueSpec,
    n: int,
    rng: np.random.Generator,
    unit: str,
    *,
    minimum: float | None = None,
) -> np.ndarray:
    """Per-connection values (float64, shape ``(n,)``) from a scalar (the same for all), an
    array of length ``n``, or a callable ``f(rng, n)`` returning such an array (e.g.
    ``lambda rng, n: rng.lognormal(-6, 0.5, n)`` for weights in µS).

    Args:
        name: what the values are, for error messages (e.g. ``"weight_uS"``).
        unit: their unit, for error messages (e.g. ``"µS"``, ``"ms"``).
        minimum: if given, every value must be ``>= minimum`` (e.g. 0 for delays).
    """
    source = "the given array"
    if callable(value):
        value = value(rng, n)
        source = f"the callable {name}(rng, n={n})"
    a = np.asarray(value)
    if a.dtype == np.bool_ or not np.issubdtype(a.dtype, np.number):
        raise ValueError(f"{name}: {source} gave dtype {a.dtype}; give numbers ({unit}).")
    if np.iscomplexobj(a):
        raise ValueError(f"{name}: {source} gave complex values; give real numbers ({unit}).")
    if a.ndim == 0:
        a = np.full(n, float(a))
    elif a.shape != (n,):
        raise ValueError(
            f"{name}: {source} has shape {a.shape}; give a scalar or one value per connection, "
            f"shape ({n},)."
        )
    a = a.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] is {a[bad[0]]}; every value must be finite ({unit}).")
    if minimum is not None and a.size and a.min() < minimum:
        b = int(np.flatnonzero(a < minimum)[0])
        raise ValueError(f"{name}[{b}] = {a[b]} {unit} is below the minimum {minimum} {unit}.")
    return a


def _candidates(where: str, candidates: object) -> np.ndarray:
    """``candidates`` as int64 compartment indices; ``where`` names it in errors."""
    c = np.asarray(candidates)
    if c.ndim != 1 or not (c.size == 0 or np.issubdtype(c.dtype, np.integer)):
        raise ValueError(
            f"{where} must be a 1-D array of compartment indices "
            f"(got shape {c.shape}, dtype {c.dtype})."
        )
    if c.size == 0:
        raise ValueError(
            f"{where} is empty (no compartments to choose from); choose a non-empty region."
        )
    if c.min() < 0:
        raise ValueError(f"{where}: compartment indices must be >= 0 (got {c.min()}).")
    return c.astype(np.int64)


def random_compartments(candidates: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` compartments drawn uniformly, with replacement, from ``candidates`` (the compartment
    indices of a region of one cell template, e.g. its apical dendrite): one per connection.
    Indices are the template's own; add each post cell's offset to place them in a network.
    """
    c = _candidates("random_compartments: candidates", candidates)
    n = whole_number("random_compartments", "n", n)
    return c[rng.integers(0, c.size, n)]


def random_compartments_per_post(
    candidates: Sequence[np.ndarray], post: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One compartment per connection, uniform over the candidates of its post cell:
    ``candidates[post[c]]`` are the allowed compartment indices of connection c's post cell.
    Vectorised over connections (cells of different templates or regions)."""
    where = "random_compartments_per_post"
    arrays = [_candidates(f"{where}: candidates[{j}]", c) for j, c in enumerate(candidates)]
    post_idx = np.asarray(post)
    if post_idx.ndim != 1 or not (post_idx.size == 0 or np.issubdtype(post_idx.dtype, np.integer)):
        raise ValueError(f"{where}: post must be a 1-D integer array of post-cell indices.")
    if post_idx.size and (post_idx.min() < 0 or post_idx.max() >= len(arrays)):
        bad = int(np.flatnonzero((post_idx < 0) | (post_idx >= len(arrays)))[0])
        raise ValueError(
            f"{where}: post[{bad}]={post_idx[bad]} is out of range; candidates has "
            f"{len(arrays)} cells."
        )
    if not arrays:
        return np.zeros(0, np.int64)
    sizes = np.array([a.size for a in arrays], np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = np.concatenate(arrays)
    return flat[starts[post_idx] + rng.integers(0, sizes[post_idx])]
