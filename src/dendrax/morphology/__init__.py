"""Cell geometry: branches, compartments, SWC import and discretisation."""

from ._convention import Convention
from ._discretize import Cables, DLambda, MaxLength, NComp, Policy
from ._geometry import BranchGeometry, Geometry
from ._import3d import NeuronImport3d
from ._morphology import Branch, Morphology, read_swc
from ._reference import ReferenceConversion
from ._soma import SomaStyle
from ._swc import SWCError, SWCPoints, parse_swc

__all__ = [
    "Branch",
    "BranchGeometry",
    "Cables",
    "Convention",
    "DLambda",
    "Geometry",
    "MaxLength",
    "Morphology",
    "NComp",
    "NeuronImport3d",
    "Policy",
    "ReferenceConversion",
    "SWCError",
    "SWCPoints",
    "SomaStyle",
    "parse_swc",
    "read_swc",
]
