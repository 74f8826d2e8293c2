"""Parameters that vary in space: path distances from any origin, distribution expressions and
their evaluation per compartment (docs/distributions.md).

A distribution gives one value per selected compartment. It is a number (the same
everywhere), a sequence (one value per compartment, in the order of the selection's sorted
indices), a callable of the path distance ``d`` (µm), an expression string in ``d`` and
``dmax``, or a model-file object ``{"expression": ..., "origin": [branch, x], ...}``.

Path distances are measured along the cable (through the branch points, never straight
through space), from an origin point ``(branch, x)`` at arc length ``x · L`` of that branch,
to each compartment's centre. With ``sample="last_at_x1"`` the last compartment of every
branch is instead measured to the branch's far end (x = 1): this is what Hay et al. (2011)'s
NEURON loop ``for (x) { gbar(x) = f(distance(x)) }`` does, since the assignment at x = 1
lands in the last segment and overrides its centre value.
"""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..morphology._geometry import Geometry
from ..morphology._selection import Location

SAMPLES = ("centre", "last_at_x1")


class DistributionError(ValueError):
    """A distribution that cannot be evaluated; the message names the value and the fix."""


# --- path distances ----------------------------------------------------------------------


def as_origin(geometry: Geometry, origin: Any, where: str = "origin") -> tuple[int, float]:
    """``(branch, x)`` of an origin given as a Location, a tuple or a JSON list."""
    if isinstance(origin, Location):
        if origin.cell != 0:
            raise DistributionError(f"{where}={origin}: leave Location.cell 0 for one cell.")
        branch, x = origin.branch, origin.x
    elif isinstance(origin, (tuple, list)) and len(origin) == 2:
        branch, x = origin
    else:
        raise DistributionError(
            f"{where}={origin!r}: give a location (branch, x), e.g. (0, 0.5) for the soma "
            "centre or (k, 0) for the start of branch k."
        )
    if isinstance(branch, bool) or not isinstance(branch, (int, np.integer)):
        raise DistributionError(f"{where}: the branch must be an integer, got {branch!r}.")
    if not 0 <= int(branch) < geometry.n_branches:
        raise DistributionError(
            f"{where}: branch {branch} does not exist; this cell has branches "
            f"0..{geometry.n_branches - 1}."
        )
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise DistributionError(f"{where}: x must be a number in [0, 1], got {x!r}.")
    if not (np.isfinite(x) and 0.0 <= float(x) <= 1.0):
        raise DistributionError(f"{where}: x={x} is outside [0, 1].")
    return int(branch), float(x)


def _check_sample(sample: Any) -> str:
    if sample not in SAMPLES:
        raise DistributionError(
            f"sample={sample!r}: use 'centre' (every compartment at its centre) or "
            "'last_at_x1' (the last compartment of every branch at the branch's end, x = 1, "
            "as Hay et al. 2011's NEURON loop over x assigns)."
        )
    return sample


def path_distances(geometry: Geometry, origin: Any = None, sample: str = "centre") -> np.ndarray:
    """Path distance (µm) from ``origin`` to every compartment (flat order).

    Args:
        geometry: the cell's geometry.
        origin: a location ``(branch, x)`` (a point at arc length ``x · L`` of the branch), or
            None for the centre of the root branch (x = 0.5; the soma centre for SWC cells),
            the origin of :meth:`dendrax.Cell.select` (``distance_um``).
        sample: ``"centre"`` (to every compartment's centre) or ``"last_at_x1"`` (the last
            compartment of every branch to the branch's far end, x = 1).

    Children attached at 0 < parent_x < 1 start at the centre of the parent's compartment
    that contains parent_x (where NEURON connects them), as in
    :meth:`dendrax.Geometry.path_distance_um`, which this equals for ``origin=None``.
    """
    sample = _check_sample(sample)
    if origin is None and sample == "centre":
        return geometry.path_distance_um()
    ob, ox = (0, 0.5) if origin is None else as_origin(geometry, origin)
    branches = geometry.branches
    centres = [np.cumsum(b.length_um) - b.length_um / 2.0 for b in branches]
    totals = [b.total_length_um for b in branches]
    attach = [0.0] * len(branches)
    points: list[set[float]] = [{0.0, totals[k], *c.tolist()} for k, c in enumerate(centres)]
    for k in range(1, len(branches)):
        b, p = branches[k], branches[branches[k].parent]
        pos = b.parent_x * totals[b.parent]
        if 0.0 < b.parent_x < 1.0:
            pos = float(centres[b.parent][min(int(np.floor(b.parent_x * p.ncomp)), p.ncomp - 1)])
        attach[k] = pos
        points[b.parent].add(pos)
    origin_pos = ox * totals[ob]
    points[ob].add(origin_pos)
    pos_of = [np.array(sorted(s)) for s in points]
    first = np.concatenate([[0], np.cumsum([p.size for p in pos_of])]).astype(np.int64)
    n_nodes = int(first[-1])

    def node(k: int, pos: float) -> int:
        return int(first[k] + np.searchsorted(pos_of[k], pos))

    adjacency: list[list[tuple[int, float]]] = [[] for _ in range(n_nodes)]
    for k, along in enumerate(pos_of):
        for j, w in enumerate(np.diff(along).tolist()):
            a, c = int(first[k] + j), int(first[k] + j + 1)
            adjacency[a].append((c, w))
            adjacency[c].append((a, w))
    for k in range(1, len(branches)):
        a, c = node(k, 0.0), node(branches[k].parent, attach[k])
        adjacency[a].append((c, 0.0))
        adjacency[c].append((a, 0.0))
    dist = np.full(n_nodes, np.nan)
    start = node(ob, origin_pos)
    dist[start] = 0.0
    stack = [start]
    while stack:  # a tree: every node is reached once, along its unique path
        a = stack.pop()
        for c, w in adjacency[a]:
            if np.isnan(dist[c]):
                dist[c] = dist[a] + w
                stack.append(c)
    out = np.empty(geometry.n_compartments)
    for k, b in enumerate(branches):
        idx = first[k] + np.searchsorted(pos_of[k], centres[k])
        d = dist[idx]
        if sample == "last_at_x1":
            d[-1] = dist[node(k, totals[k])]
        out[geometry.offsets[k] : geometry.offsets[k] + b.ncomp] = d
    return out


# --- expressions -------------------------------------------------------------------------

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


def _minimum(*args):
    return functools.reduce(np.minimum, args)


def _maximum(*args):
    return functools.reduce(np.maximum, args)


# name: (function, smallest and largest number of arguments)
_FUNCTIONS: dict[str, tuple[Callable, int, int]] = {
    "exp": (np.exp, 1, 1),
    "log": (np.log, 1, 1),
    "sqrt": (np.sqrt, 1, 1),
    "abs": (np.abs, 1, 1),
    "where": (np.where, 3, 3),
    "min": (_minimum, 2, 99),
    "max": (_maximum, 2, 99),
}
NAMES = ("d", "dmax")
ALLOWED = (
    "numbers, the names d (path distance, µm) and dmax (the largest d over the selection), "
    "+ - * / **, unary -, comparisons < <= > >= == != (chainable: 685 < d < 885), and the "
    "functions exp log sqrt abs where(cond, a, b) min(a, b, ...) max(a, b, ...)"
)


def _parse(expression: str, where: str) -> ast.Expression:
    if not isinstance(expression, str) or not expression.strip():
        raise DistributionError(f"{where}: an expression must be a non-empty string.")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as e:
        col = (e.offset or 1) - 1
        raise DistributionError(
            f"{where}: expression {expression!r} is not valid syntax at column {col + 1} "
            f"(near {expression.strip()[col : col + 10]!r}); allowed are {ALLOWED}."
        ) from None
    _validate(tree.body, expression.strip(), where)
    return tree


def _refuse(node: ast.AST, source: str, where: str, what: str) -> DistributionError:
    token = ast.get_source_segment(source, node) or type(node).__name__
    return DistributionError(
        f"{where}: expression {source!r}: {what} {token!r} is not allowed; allowed are {ALLOWED}."
    )


def _validate(node: ast.AST, source: str, where: str) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _refuse(node, source, where, "the constant")
    elif isinstance(node, ast.Name):
        if node.id not in NAMES:
            kind = "the function" if node.id in _FUNCTIONS else "the name"
            raise _refuse(node, source, where, kind)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise _refuse(node, source, where, "the operator in")
        _validate(node.left, source, where)
        _validate(node.right, source, where)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub):
            raise _refuse(node, source, where, "the unary operator in")
        _validate(node.operand, source, where)
    elif isinstance(node, ast.Compare):
        if any(type(op) not in _COMPARE for op in node.ops):
            raise _refuse(node, source, where, "the comparison")
        _validate(node.left, source, where)
        for c in node.comparators:
            _validate(c, source, where)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            raise _refuse(node.func, source, where, "the call of")
        if node.keywords:
            raise _refuse(node, source, where, "keyword arguments in")
        _, lo, hi = _FUNCTIONS[node.func.id]
        if not lo <= len(node.args) <= hi:
            count = f"{lo}" if lo == hi else f"at least {lo}"
            raise DistributionError(
                f"{where}: expression {source!r}: {node.func.id}() takes {count} argument(s), "
                f"got {len(node.args)}."
            )
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise _refuse(a, source, where, "the starred argument")
            _validate(a, source, where)
    else:
        raise _refuse(node, source, where, "the construct")


def _evaluate(node: ast.AST, names: Mapping[str, np.ndarray]):
    if isinstance(node, ast.Constant):
        return np.float64(float(node.value))  # type: ignore[arg-type]  # floats: 9**9**9 overflows to inf instead of hanging
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, names), _evaluate(node.right, names))
    if isinstance(node, ast.UnaryOp):
        return -_evaluate(node.operand, names)
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, names)
        result = None
        for op, comp in zip(node.ops, node.comparators):
            right = _evaluate(comp, names)
            part = _COMPARE[type(op)](left, right)
            result = part if result is None else np.logical_and(result, part)
            left = right
        return result
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return _FUNCTIONS[node.func.id][0](*[_evaluate(a, names) for a in node.args])


def evaluate_expression(
    expression: str, d: Any, dmax: float | None = None, where: str = "expression"
) -> np.ndarray:
    """Evaluate ``expression`` (a string in ``d`` and ``dmax``, see :data:`ALLOWED`) at the
    distances ``d`` (µm). ``dmax`` defaults to ``max(d)``. Parsed with :mod:`ast`; nothing
    else is evaluated (no Python ``eval``)."""
    tree = _parse(expression, where)
    d = np.asarray(d, dtype=np.float64)
    if dmax is None:
        dmax = float(d.max()) if d.size else 0.0
    with np.errstate(all="ignore"):
        out = _evaluate(tree.body, {"d": d, "dmax": np.float64(dmax)})
    return np.broadcast_to(np.asarray(out, dtype=np.float64), d.shape).copy()


# --- distributions -----------------------------------------------------------------------

_SPEC_FIELDS = ("expression", "origin", "sample", "dmax")


def _locate(geometry: Geometry, indices: np.ndarray) -> Callable[[int], str]:
    branch_of = geometry.branch_of_compartment()

    def locate(i: int) -> str:
        comp = int(indices[i])
        b = int(branch_of[comp])
        return f"branch {b}, compartment {comp - int(geometry.offsets[b])}"

    return locate


def distribution_values(
    spec: Any,
    cell: Any,
    indices: Any,
    *,
    origin: Any = None,
    sample: str = "centre",
    dmax_over: Any = None,
    where: str = "value",
) -> np.ndarray:
    """One value per compartment of ``indices`` (float64, in that order) from a distribution.

    Args:
        spec: a number; a sequence or array with one value per compartment; a callable
            ``f(d) -> array`` of the path distances ``d`` (µm) of those compartments; an
            expression string in ``d`` and ``dmax`` (e.g. ``"0.0002*(-0.8696 +
            2.087*exp(3.6161*d/dmax))"``, ``"where(685 < d < 885, 0.0187, 0.000187)"``); or a
            model-file object ``{"expression": str, "origin": [branch, x], "sample":
            "centre"|"last_at_x1", "dmax": number}`` (all but ``expression`` optional; they
            override the keyword arguments).
        cell: the :class:`dendrax.Cell` (or anything with a ``geometry``).
        indices: flat compartment indices (a Selection's ``indices``).
        origin: where ``d`` is measured from: ``(branch, x)``, default the root's centre (as
            :meth:`dendrax.Cell.select`). Hay et al. (2011) measure from the apical root's
            start, ``(k, 0)``.
        sample: ``"centre"`` or ``"last_at_x1"`` (see :func:`path_distances`).
        dmax_over: the compartments over which ``dmax`` is the largest ``d`` (default
            ``indices``); e.g. all apical compartments when one branch is evaluated at a time.
        where: what is evaluated, for error messages (a model file's field).

    Raises:
        DistributionError: a value that is not finite, a sequence of the wrong length, an
            expression with a construct outside :data:`ALLOWED` (naming it).
    """
    geometry = cell.geometry if hasattr(cell, "geometry") else cell
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    n = idx.size
    if n and (idx.min() < 0 or idx.max() >= geometry.n_compartments):
        raise DistributionError(f"{where}: compartment indices outside this cell.")
    dmax = None
    if isinstance(spec, Mapping):
        extra = sorted(set(spec) - set(_SPEC_FIELDS))
        if extra or "expression" not in spec:
            raise DistributionError(
                f"{where}: a distribution object has the fields {list(_SPEC_FIELDS)} "
                f"('expression' required); got {sorted(spec)}."
            )
        origin = spec.get("origin", origin)
        sample = spec.get("sample", sample)
        if "dmax" in spec:
            dmax = spec["dmax"]
            if isinstance(dmax, bool) or not isinstance(dmax, (int, float)):
                raise DistributionError(f"{where}.dmax must be a number (µm), got {dmax!r}.")
        spec = spec["expression"]
        if not isinstance(spec, str):
            raise DistributionError(f"{where}.expression must be a string, got {spec!r}.")
    if isinstance(spec, bool):
        raise DistributionError(f"{where}: {spec!r} is not a number.")
    if isinstance(spec, (int, float, np.integer, np.floating)):
        values = np.full(n, float(spec))
    elif isinstance(spec, str) or callable(spec):
        if origin is not None:
            as_origin(geometry, origin, f"{where}: origin")
        d_all = path_distances(geometry, origin, _check_sample(sample))
        d = d_all[idx]
        if isinstance(spec, str):
            if dmax is None:
                over = idx if dmax_over is None else np.asarray(dmax_over, dtype=np.int64)
                dmax = float(d_all[over].max()) if over.size else 0.0
            values = evaluate_expression(spec, d, dmax, where)
        else:
            try:
                values = np.asarray(spec(d.copy()), dtype=np.float64)
            except Exception as e:  # the user's function: say which call failed
                raise DistributionError(
                    f"{where}: the function {getattr(spec, '__name__', spec)!r} failed on the "
                    f"path distances (a NumPy array of {n} values, µm): {e}"
                ) from e
            if values.shape not in ((), (n,)):
                raise DistributionError(
                    f"{where}: the function returned shape {values.shape}; it must return one "
                    f"value per compartment, shape ({n},), for the {n} distances it gets."
                )
            values = np.broadcast_to(values, (n,)).astype(np.float64)
    elif isinstance(spec, (Sequence, np.ndarray)):
        try:
            values = np.asarray(spec, dtype=np.float64)
        except (TypeError, ValueError):
            raise DistributionError(
                f"{where}: the values must be numbers, one per compartment."
            ) from None
        if values.shape != (n,):
            raise DistributionError(
                f"{where}: {values.size} values for {n} compartments; give one value per "
                "selected compartment, in the order of the selection's indices (branch by "
                "branch, increasing x)."
            )
    else:
        raise DistributionError(
            f"{where}={spec!r}: give a number, one value per compartment, a function of the "
            "path distance (µm), or an expression string such as '0.0002*exp(d/300)'."
        )
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        at = _locate(geometry, idx)(i)
        raise DistributionError(
            f"{where}: {int(bad.sum())} of {n} values are not finite (the first, {values[i]}, "
            f"at {at}). Check the expression or function (e.g. a division by dmax = 0 or the "
            "log of a negative number)."
        )
    return values
