"""Conventions: how a :class:`~dendrax.morphology.Morphology`'s 3-D points become cables.

Two are provided, as objects passed to :meth:`Morphology.to_geometry`:

- :class:`~dendrax.NeuronImport3d` (default): exactly the sections and the 3-D (frustum)
  geometry that NEURON's Import3d tool builds from the same file.
- :class:`~dendrax.ReferenceConversion`: the simpler cylinder conversion documented for the
  reference cases (soma as one cylinder of equal area, compartments as cylinders of the mean
  diameter).

Write another by subclassing :class:`Convention` and implementing :meth:`Convention.geometry`.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from ._discretize import DLambda, Policy
from ._geometry import Geometry

if TYPE_CHECKING:
    from ._morphology import Morphology


class Convention(abc.ABC):
    """Base class: turn a morphology into a discretised :class:`~dendrax.Geometry`."""

    @abc.abstractmethod
    def geometry(self, morphology: Morphology, policy: Policy) -> Geometry:
        """The discretised geometry; ``policy`` decides the compartment counts."""


def resolve(policy: Policy | None, convention: Convention | None) -> tuple[Policy, Convention]:
    """Apply the defaults (``DLambda()``, ``NeuronImport3d()``) and check the types."""
    from ._import3d import NeuronImport3d

    policy = DLambda() if policy is None else policy
    convention = NeuronImport3d() if convention is None else convention
    if not isinstance(policy, Policy):
        raise TypeError(
            f"policy={policy!r}: use dendrax.NComp(n), dendrax.MaxLength(um) or "
            "dendrax.DLambda(...)."
        )
    if not isinstance(convention, Convention):
        raise TypeError(
            f"convention={convention!r}: use dendrax.NeuronImport3d() or "
            "dendrax.ReferenceConversion()."
        )
    return policy, convention
