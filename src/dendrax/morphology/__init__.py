"""Cell geometry: branches, compartments, SWC import and discretisation."""

from ._geometry import BranchGeometry, Geometry

__all__ = ["BranchGeometry", "Geometry"]
