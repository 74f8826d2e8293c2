"""The geometry of Hay et al. (2011)'s L5 pyramidal cell template (``L5PCtemplate.hoc``,
ModelDB 139653) on an SWC reconstruction: NEURON's Import3d sections, Hay's compartment count
``nseg = 1 + 2 int(L/40)`` and the reconstructed axon replaced by a 60 µm stub.

Hay E, Hill S, Schürmann F, Markram H, Segev I (2011) PLoS Comput Biol 7:e1002107. The rules
are also written out in ``../shared/reference/FORMAT_V2.md`` section 9.
"""

from __future__ import annotations

import dataclasses
import os
from importlib import resources

import numpy as np

from ..morphology._discretize import Cables, Policy
from ..morphology._edit import remove_regions
from ..morphology._geometry import BranchGeometry, Geometry
from ..morphology._import3d import NeuronImport3d
from ..morphology._morphology import read_swc

BUNDLED_SWC = "l5pc_with_axon.swc"
STUB_LENGTH_UM = 30.0  # each of the two stub sections (Hay's replaceAxon)
STUB_DIAM_UM = 1.0


@dataclasses.dataclass(frozen=True)
class HayNseg(Policy):
    """Hay's ``geom_nseg``: ``nseg = 1 + 2 int(L / length_um)`` per section (``length_um``
    = 40 µm in the template): odd counts, one compartment for sections shorter than 40 µm."""

    length_um: float = 40.0

    def ncomp(self, cables: Cables) -> np.ndarray:
        length = np.asarray(cables.length_um, dtype=np.float64)
        return (1 + 2 * np.trunc(length / self.length_um)).astype(np.int64)


def bundled_swc_path():
    """A context manager giving the path of the bundled ``l5pc_with_axon.swc``
    (``dendrax/data``; provenance in ``dendrax/data/PROVENANCE.md``)."""
    return resources.as_file(resources.files("dendrax") / "data" / BUNDLED_SWC)


def hay_geometry(
    swc: str | os.PathLike | None = None,
    *,
    stub_diam_um: float = STUB_DIAM_UM,
    nseg_length_um: float = 40.0,
) -> Geometry:
    """The cell's geometry as Hay's template builds it in NEURON.

    1. ``swc`` (default: the bundled ``l5pc_with_axon.swc``) is read with NEURON's Import3d
       convention (:class:`~dendrax.NeuronImport3d`: the same sections, names and 3-D areas and
       axial resistances as NEURON's Import3d);
    2. every section gets ``nseg = 1 + 2 int(L/40)`` (:class:`HayNseg`);
    3. the reconstructed axon (SWC type 2) and everything below it is removed, and two
       sections of 30 µm length and ``stub_diam_um`` diameter, one compartment each, are
       attached: ``axon[0]`` at the soma's centre (``soma(0.5)``, Hay's ``connect axon(0),
       soma(0.5)``) and ``axon[1]`` at the far end of ``axon[0]``.

    Hay's ``replaceAxon`` takes the stub diameters from the reconstructed axon (the first axon
    section's, and that of the first section beyond 60 µm); the default here is 1 µm for
    both, as ``FORMAT_V2.md`` section 9 describes the reference cells.

    Returns:
        A :class:`~dendrax.Geometry` whose branch names are NEURON's section names
        (``soma[0]``, ``dend[k]``, ``apic[k]``, ``axon[0]``, ``axon[1]``).
    """
    if swc is None:
        with bundled_swc_path() as path:
            morphology = read_swc(path)
    else:
        morphology = read_swc(swc)
    geometry = morphology.to_geometry(HayNseg(nseg_length_um), convention=NeuronImport3d())
    if any(b.kind == "axon" for b in geometry.branches):
        geometry = remove_regions(geometry, "axon")
    soma = [k for k, b in enumerate(geometry.branches) if b.kind == "soma"]
    if not soma or soma[0] != 0:
        raise ValueError(
            f"hay_geometry({swc!r}): the SWC file has no soma (type 1 points) at its root; "
            "Hay's template attaches the axon stub to the soma."
        )
    n = geometry.n_branches
    ncomp = 1 + 2 * int(STUB_LENGTH_UM / nseg_length_um)  # Hay's rule for the stub, too
    stub = [
        BranchGeometry.cylinder(
            STUB_LENGTH_UM, stub_diam_um, ncomp, parent=0, parent_x=0.5, kind="axon", name="axon[0]"
        ),
        BranchGeometry.cylinder(
            STUB_LENGTH_UM, stub_diam_um, ncomp, parent=n, parent_x=1.0, kind="axon", name="axon[1]"
        ),
    ]
    return Geometry(geometry.branches + tuple(stub))
