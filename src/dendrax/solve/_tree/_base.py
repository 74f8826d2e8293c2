"""The abstract tree solver: a precomputed schedule (NumPy, once) and an elimination (JAX).

A new solver is one new file: subclass :class:`AbstractTreeSolver` as a frozen dataclass,
implement :meth:`schedule` and :meth:`eliminate`; :func:`dendrax.solve._tree.solve_tree` gives it
exact derivatives, and ``compile(..., tree_solver=MySolver())`` uses it.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

Array = Any


class AbstractTreeSolver(abc.ABC):
    """Solves ``A x = b`` for the symmetric tree (Hines) matrix of a forest of cables.

    ``A`` has diagonal ``d`` and, for every non-root node ``i`` with parent ``p[i]``, the
    off-diagonal entries ``A[i, p] = A[p, i] = -g[i]`` (µS); ``g`` is 0 at every root.
    Subclasses are frozen dataclasses (hashable: they are static parts of a System).
    """

    @abc.abstractmethod
    def schedule(self, parent: np.ndarray) -> np.ndarray:
        """The solver's precomputed index table for the forest ``parent`` (an int array)."""

    @abc.abstractmethod
    def eliminate(self, d: Array, g: Array, b: Array, parent: Array, schedule: Array) -> Array:
        """The solution ``x`` (JAX arrays; no derivative rule needed, see ``solve_tree``)."""
