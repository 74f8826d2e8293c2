"""Reading SWC files into a checked table of points.

SWC (Cannon et al. 1998, J. Neurosci. Methods 84:49-54; the NeuroMorpho.org standard) stores one
sample point per line as seven whitespace-separated columns::

    id  type  x  y  z  radius  parent_id

``x, y, z`` and ``radius`` are in µm; ``parent_id`` is -1 (any negative number) for the root. Type
ids 1 soma, 2 axon, 3 basal dendrite, 4 apical dendrite; any other id is kept as a region label
``"type_<id>"``. ``#`` starts a comment (whole line or the rest of a line); blank lines are
ignored.

Every problem is reported as :class:`SWCError` naming the file, the line and the fix.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

SWC_TYPE_LABELS = {1: "soma", 2: "axon", 3: "basal", 4: "apical"}


def type_label(swc_type: int) -> str:
    """Region label of an SWC type id: "soma", "axon", "basal", "apical" or "type_<id>"."""
    return SWC_TYPE_LABELS.get(int(swc_type), f"type_{int(swc_type)}")


class SWCError(ValueError):
    """An SWC file that cannot be read; the message names the file, the line and the fix."""


@dataclasses.dataclass(frozen=True)
class SWCPoints:
    """The points of one SWC file, in tree order (every parent before its children).

    Attributes:
        path: the file, for messages.
        ids: SWC sample ids, shape ``(n,)``.
        types: SWC type ids.
        xyz_um: coordinates (µm), shape ``(n, 3)``.
        radius_um: radii (µm), all > 0.
        parent: index (into these arrays) of every point's parent, -1 for the root (index 0).
        line: the 1-based line number of every point in the file.
    """

    path: str
    ids: np.ndarray
    types: np.ndarray
    xyz_um: np.ndarray
    radius_um: np.ndarray
    parent: np.ndarray
    line: np.ndarray

    @property
    def n_points(self) -> int:
        return int(self.ids.size)

    def where(self, index: int) -> str:
        """``"file.swc line 12 (id 7)"`` for messages."""
        return f"{self.path} line {int(self.line[index])} (id {int(self.ids[index])})"


def _fail(path: str, lineno: int, what: str, fix: str) -> SWCError:
    return SWCError(f"{path} line {lineno}: {what}. {fix}")


def _rows(path: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Split the text into data rows of 7 numbers; returns ``(values (n, 7), line numbers)``."""
    rows, lines = [], []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        body = raw.split("#", 1)[0].split()
        if not body:
            continue
        if len(body) != 7:
            raise _fail(
                path, lineno, f"expected 7 columns (id type x y z radius parent) but found "
                f"{len(body)}: {raw.strip()!r}",
                "Write one point per line as 7 whitespace-separated numbers; put notes after '#'.",
            )  # fmt: skip
        rows.append(body)
        lines.append(lineno)
    if not rows:
        raise SWCError(f"{path}: the file holds no points (only comments or blank lines).")
    try:
        values = np.array(rows, dtype=np.float64)
    except ValueError:
        for body, lineno in zip(rows, lines):
            for col, token in zip(("id", "type", "x", "y", "z", "radius", "parent"), body):
                try:
                    float(token)
                except ValueError:
                    raise _fail(
                        path, lineno, f"the {col} column holds {token!r}, which is not a number",
                        "Every column must be numeric.",
                    ) from None  # fmt: skip
        raise  # pragma: no cover - np.array failed for a reason float() accepts
    return values, np.asarray(lines, dtype=np.int64)


def _check_values(path: str, values: np.ndarray, lines: np.ndarray) -> None:
    bad = ~np.all(np.isfinite(values), axis=1)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise _fail(path, lines[k], "a value is not finite (nan or inf)", "Use finite numbers.")
    for col, name in ((0, "id"), (1, "type"), (6, "parent id")):
        bad = values[:, col] != np.round(values[:, col])
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise _fail(
                path, lines[k], f"the {name} {values[k, col]:g} is not an integer",
                f"Use whole numbers for the {name}.",
            )  # fmt: skip
    bad = values[:, 0] < 0
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise _fail(path, lines[k], f"the id {values[k, 0]:g} is negative", "Ids must be >= 0.")
    bad = values[:, 5] <= 0
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise _fail(
            path, lines[k], f"the radius is {values[k, 5]:g} µm",
            "Every radius must be > 0 µm; fix the reconstruction (e.g. give the point the "
            "radius of its neighbours).",
        )  # fmt: skip


def _link_parents(path: str, ids: np.ndarray, pids: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Index of every point's parent (-1 for roots), checking ids and parent ids."""
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    dup = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
    if dup.size:
        a, b = sorted(order[dup[0] : dup[0] + 2])
        raise _fail(
            path, lines[b], f"the id {ids[b]} is already used on line {lines[a]}",
            "Give every point a unique id.",
        )  # fmt: skip
    parent = np.full(ids.size, -1, dtype=np.int64)
    has = pids >= 0
    pos = np.searchsorted(sorted_ids, pids[has])
    pos = np.minimum(pos, ids.size - 1)
    found = sorted_ids[pos] == pids[has]
    if not found.all():
        k = int(np.flatnonzero(has)[np.flatnonzero(~found)[0]])
        raise _fail(
            path, lines[k], f"the parent id {pids[k]} does not exist in the file",
            "Point the parent column at an existing id, or use -1 for the root.",
        )  # fmt: skip
    parent[has] = order[pos]
    self_loop = np.flatnonzero(parent == np.arange(ids.size))
    if self_loop.size:
        k = int(self_loop[0])
        raise _fail(
            path, lines[k], f"the point {ids[k]} is its own parent",
            "Use -1 for the root or the id of another point.",
        )  # fmt: skip
    return parent


def _tree_order(path: str, ids: np.ndarray, parent: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """An order with every parent first: by id when parents have smaller ids (the standard
    case, also NEURON's order), else depth-first from the root with children by id."""
    roots = np.flatnonzero(parent < 0)
    if roots.size == 0:
        raise SWCError(
            f"{path}: no root point (a point whose parent id is -1), so the points form a cycle. "
            "Give the first point (the soma centre) the parent id -1."
        )
    if roots.size > 1:
        where = ", ".join(f"line {lines[r]}" for r in roots[:10])
        raise SWCError(
            f"{path}: {roots.size} root points (parent id -1) at {where}; an SWC file must hold "
            "one connected tree. Set each extra root's parent id to the point it belongs to, or "
            "split the file into one file per tree."
        )
    by_id = np.argsort(ids, kind="stable")
    rank = np.empty_like(by_id)
    rank[by_id] = np.arange(ids.size)
    if rank[roots[0]] == 0 and np.all(rank[parent[parent >= 0]] < rank[parent >= 0]):
        return by_id
    children: list[list[int]] = [[] for _ in range(ids.size)]
    for k in by_id:
        if parent[k] >= 0:
            children[parent[k]].append(int(k))
    order, stack = [], [int(roots[0])]
    while stack:
        k = stack.pop()
        order.append(k)
        stack.extend(reversed(children[k]))
    if len(order) != ids.size:
        seen = np.zeros(ids.size, dtype=bool)
        seen[order] = True
        k = int(min(np.flatnonzero(~seen), key=lambda i: lines[i]))
        raise _fail(
            path, lines[k], f"the point {ids[k]} is part of a cycle of parent ids that never "
            "reaches the root",
            "Follow the parent ids from this line and break the loop by fixing one parent id.",
        )  # fmt: skip
    return np.asarray(order, dtype=np.int64)


def parse_swc(path: str | os.PathLike) -> SWCPoints:
    """Read and check an SWC file (see the module docstring for the format).

    Raises:
        SWCError: a missing file, wrong number of columns, non-numeric or non-finite fields,
            non-integer ids, types or parent ids, duplicate ids, radius <= 0, a parent id that
            does not exist, a cycle, no root or several roots.
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        raise SWCError(f"SWC file {path!r} does not exist.") from None
    values, lines = _rows(path, text)
    _check_values(path, values, lines)
    ids = values[:, 0].astype(np.int64)
    pids = values[:, 6].astype(np.int64)
    pids[pids < 0] = -1
    parent = _link_parents(path, ids, pids, lines)
    order = _tree_order(path, ids, parent, lines)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    new_parent = parent[order]
    new_parent[new_parent >= 0] = rank[new_parent[new_parent >= 0]]
    return SWCPoints(
        path=path,
        ids=ids[order],
        types=values[order, 1].astype(np.int64),
        xyz_um=values[order, 2:5],
        radius_um=values[order, 5],
        parent=new_parent,
        line=lines[order],
    )
