"""Exact O(N) solvers for the symmetric tree-structured (Hines) matrix of the cable equation,
for a forest of any number of trees (one per cell).

Every solver eliminates children into parents (leaves first) and then substitutes back from the
roots (Hines 1984, Int. J. Biomed. Comput. 15:69-76); they differ in scheduling only. The
abstract base is :class:`AbstractTreeSolver`: a new solver is one new file in this package.

- :class:`HinesSequential` (default): one node at a time in a native XLA loop.
- :class:`HinesLevels`: rows of independent nodes, vectorised; meant for GPUs.

Trees are rooted at their centre when compiled (:func:`reroot_at_center`), so a cable has half
as many rows as compartments. :func:`solve_tree` gives every solver an exact derivative rule.
"""

from ._base import AbstractTreeSolver
from ._levels import HinesLevels, row_table
from ._ordering import reroot_at_center, topological_order
from ._sequential import HinesSequential
from ._solve import make_schedule, solve_tree, tree_matvec

TreeSolver = AbstractTreeSolver

__all__ = [
    "AbstractTreeSolver",
    "HinesLevels",
    "HinesSequential",
    "TreeSolver",
    "make_schedule",
    "reroot_at_center",
    "row_table",
    "solve_tree",
    "topological_order",
    "tree_matvec",
]
