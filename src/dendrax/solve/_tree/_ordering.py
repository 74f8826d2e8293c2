"""Orderings of a forest of trees (``parent[i] = -1`` marks a root), computed once in NumPy."""

from __future__ import annotations

import numpy as np


def _children(parent: np.ndarray) -> tuple[list[list[int]], list[int]]:
    n = parent.size
    children: list[list[int]] = [[] for _ in range(n)]
    roots: list[int] = []
    for i, p in enumerate(parent.tolist()):
        if p < 0:
            roots.append(i)
        elif p >= n:
            raise ValueError(f"parent[{i}]={p} is not a node (there are {n}).")
        else:
            children[p].append(i)
    return children, roots


def topological_order(parent: np.ndarray) -> np.ndarray:
    """Order the nodes so that every parent comes before its children (each tree root first,
    trees in the order of their roots). Any number of roots (a forest) is allowed."""
    parent = np.asarray(parent)
    n = parent.size
    children, roots = _children(parent)
    if n and not roots:
        raise ValueError("The cable graph has no root (parent = -1): it contains a cycle.")
    order: list[int] = []
    for root in roots:
        stack = [root]
        while stack:
            i = stack.pop()
            order.append(i)
            stack.extend(children[i][::-1])
    if len(order) != n:
        raise ValueError("The cable graph has a cycle (some nodes are reachable from no root).")
    return np.asarray(order, dtype=np.int32)


def reroot_at_center(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-root every tree of a forest at its centre (the middle of its longest path), halving
    the height of chains such as unbranched cables.

    Returns ``(new_parent, owner)``: ``owner[j]`` is the node whose edge to its old parent is
    the edge between ``j`` and ``new_parent[j]`` (``j`` itself unless the edge was flipped;
    -1 for the new roots).
    """
    parent = np.asarray(parent)
    n = parent.size
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for i, p in enumerate(parent.tolist()):
        if p >= 0:
            neighbours[i].append(p)
            neighbours[p].append(i)
    dist = np.full(n, -1)
    prev = np.full(n, -1)

    def bfs(start: int) -> list[int]:
        dist[start], prev[start] = 0, -1
        queue = [start]
        for u in queue:
            for w in neighbours[u]:
                if dist[w] < 0:
                    dist[w] = dist[u] + 1
                    prev[w] = u
                    queue.append(w)
        return queue

    new_parent = np.full(n, -1, dtype=np.int64)
    for root in np.flatnonzero(parent < 0).tolist():
        nodes = np.sort(bfs(root))  # ties go to the lowest node id
        far = int(nodes[np.argmax(dist[nodes])])
        dist[nodes] = -1
        bfs(far)
        end = int(nodes[np.argmax(dist[nodes])])
        path = [end]
        while path[-1] != far:
            path.append(int(prev[path[-1]]))
        centre = path[len(path) // 2]
        dist[nodes] = -1
        bfs(centre)
        new_parent[nodes] = prev[nodes]
        dist[nodes] = -1
    ids = np.arange(n)
    owner = np.where(parent == new_parent, ids, new_parent)
    owner[new_parent < 0] = -1
    return new_parent, owner.astype(np.int64)
