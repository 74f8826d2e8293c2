"""The user-facing description of one cell: geometry, cable properties, mechanisms, stimuli and
recordings. It is mutable and cheap; :func:`dendrax.compile` turns it into an immutable System.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..mechanisms._base import Channel, PointMechanism
from ..morphology._geometry import BranchGeometry, Geometry
from ..morphology._selection import Location, Region, Selection
from ._stimuli import CurrentInput, IClamp, Waveform

DEFAULT_RA_OHM_CM = 35.4  # NEURON's default axial resistivity
DEFAULT_CM_UF_CM2 = 1.0  # NEURON's default specific capacitance


@dataclasses.dataclass(frozen=True)
class Insertion:
    channel: Channel
    indices: np.ndarray


@dataclasses.dataclass(frozen=True)
class Placement:
    stimulus: IClamp | Waveform | CurrentInput
    compartment: int


@dataclasses.dataclass(frozen=True)
class PointPlacement:
    mechanism: PointMechanism
    compartment: int
    key: str
    events: str | None  # name of the event input that drives it, or None


@dataclasses.dataclass(frozen=True)
class IonSetting:
    """How one ion species is treated on some compartments (see :meth:`Cell.set_ion`)."""

    ion: str
    indices: np.ndarray
    mode: str  # "auto", "fixed" or "nernst"
    erev_mV: float | None
    ci0_mM: float | None
    co0_mM: float | None


@dataclasses.dataclass(frozen=True)
class Recording:
    key: str
    variable: str  # "v" or a state name
    mechanism: str | None  # channel name owning the state; None for "v"
    compartment: int


class Cell:
    """A neuron to simulate.

    Args:
        geometry: a :class:`Geometry` (e.g. from :func:`dendrax.read_swc` followed by
            discretisation) or a sequence of :class:`BranchGeometry`.

    Cable properties start at NEURON's defaults: Ra = 35.4 Ω·cm, cm = 1 µF/cm².
    """

    def __init__(self, geometry: Geometry | Sequence[BranchGeometry]) -> None:
        if not isinstance(geometry, Geometry):
            geometry = Geometry(tuple(geometry))
        self.geometry = geometry
        n = geometry.n_compartments
        self.Ra_ohm_cm = np.full(n, DEFAULT_RA_OHM_CM)
        self.cm_uF_cm2 = np.full(n, DEFAULT_CM_UF_CM2)
        self.insertions: list[Insertion] = []
        self.placements: list[Placement] = []
        self.recordings: list[Recording] = []
        self.points: list[PointPlacement] = []
        self.groups: dict[str, np.ndarray] = {}
        self.ion_settings: list[IonSetting] = []

    @classmethod
    def from_swc(cls, path, policy=None, *, convention=None) -> Cell:
        """A cell from an SWC file in one step (``dendrax.read_swc`` + ``to_geometry``).

        Args:
            path: the ``.swc`` file (coordinates and radii in µm).
            policy: compartments per branch: ``dendrax.NComp(n)``, ``MaxLength(um)`` or
                ``DLambda(...)`` (default ``DLambda()``, NEURON's d_lambda = 0.1 at 100 Hz).
            convention: ``dendrax.NeuronImport3d()`` (default, NEURON's sections and 3-D
                geometry) or ``dendrax.ReferenceConversion()``.
        """
        from ..morphology._morphology import read_swc

        return cls(read_swc(path).to_geometry(policy, convention=convention))

    # --- selecting -------------------------------------------------------------------------

    @property
    def n_compartments(self) -> int:
        return self.geometry.n_compartments

    def select(
        self,
        kind: str | Sequence[str] | None = None,
        branches: Sequence[int] | None = None,
        distance_um: tuple[float, float] | None = None,
        group: str | None = None,
    ) -> Selection:
        """Compartments matching every given criterion (all compartments if none is given).

        Args:
            kind: region label(s): "soma", "axon", "basal", "apical" or a custom label.
            branches: branch indices.
            distance_um: ``(lo, hi)``; path distance from the root's centre, lo <= d <= hi (µm).
            group: name of a group made with :meth:`add_group`.
        """
        region = Region(
            kind=kind if kind is None or isinstance(kind, str) else tuple(kind),
            branches=None if branches is None else tuple(int(b) for b in np.atleast_1d(branches)),
            distance_um=distance_um,
            group=group,
        )
        mask = self.region_mask(region)
        return Selection(np.flatnonzero(mask), region.describe())

    def add_group(self, name: str, where: Selection) -> None:
        """Name a selection so that model files and :meth:`select` can refer to it."""
        self.groups[name] = self._indices(where)

    def region_mask(self, region: Region) -> np.ndarray:
        """Boolean mask of the compartments of a declarative :class:`dendrax.Region`."""
        g = self.geometry
        return region.mask(
            g.kinds(), g.branch_of_compartment(), g.n_branches, g.path_distance_um(), self.groups
        )

    def _indices(self, where: Selection | Region | str | None) -> np.ndarray:
        if where is None:
            return np.arange(self.n_compartments)
        if isinstance(where, Region):
            return np.flatnonzero(self.region_mask(where))
        if isinstance(where, str):
            if where == "all":
                return np.arange(self.n_compartments)
            if where in self.groups:
                return self.groups[where]
            return self.select(kind=where).indices
        if isinstance(where, Selection):
            idx = where.indices
            if idx.size and (idx.min() < 0 or idx.max() >= self.n_compartments):
                raise ValueError("The selection does not belong to this cell (index out of range).")
            return idx
        raise TypeError(
            f"where={where!r}: expected a Selection (cell.select(...)), a dendrax.Region, a "
            "region name or None."
        )

    def compartment(self, at: Location | tuple[int, float]) -> int:
        """Flat index of the compartment at a location ``(branch, x)``."""
        if isinstance(at, tuple):
            at = Location(*at)
        if not isinstance(at, Location):
            raise TypeError(f"at={at!r}: expected Location(branch, x) or a (branch, x) tuple.")
        if at.cell != 0:
            raise ValueError(
                f"at={at}: a Cell is one cell; Location.cell addresses the cells of a compiled "
                "System (leave it 0 here)."
            )
        return self.geometry.compartment_index(at.branch, at.x)

    # --- building ----------------------------------------------------------------------------

    def set_cable(
        self,
        Ra_ohm_cm: float | None = None,
        cm_uF_cm2: float | None = None,
        where: Selection | str | None = None,
    ) -> Cell:
        """Set axial resistivity (Ω·cm) and/or specific capacitance (µF/cm²) on a region."""
        idx = self._indices(where)
        if Ra_ohm_cm is not None:
            if not np.isfinite(Ra_ohm_cm) or Ra_ohm_cm <= 0:
                raise ValueError(f"Ra_ohm_cm={Ra_ohm_cm} must be a finite value > 0 Ω·cm.")
            self.Ra_ohm_cm[idx] = Ra_ohm_cm
        if cm_uF_cm2 is not None:
            if not np.isfinite(cm_uF_cm2) or cm_uF_cm2 < 0:
                raise ValueError(f"cm_uF_cm2={cm_uF_cm2} must be a finite value >= 0 µF/cm².")
            self.cm_uF_cm2[idx] = cm_uF_cm2
        return self

    def set_ion(
        self,
        ion: str,
        where: Selection | Region | str | None = None,
        *,
        erev_mV: float | None = None,
        ci0_mM: float | None = None,
        co0_mM: float | None = None,
        mode: str = "auto",
    ) -> Cell:
        """Set an ion species' reversal potential (mV) and initial concentrations (mM) on a
        region (all compartments if ``where`` is None); later calls override earlier ones.

        ``mode`` says how the reversal potential is found, as NEURON's ``ion_style`` does:
        ``"auto"`` (NEURON's rule): computed from the concentrations with the Nernst equation,
        at the start of every step, wherever a mechanism writes a concentration of the ion
        (e.g. ``CaDynamics_E2`` writes ``cai``) or one reads a concentration of it, else the
        fixed ``erev_mV``; ``"fixed"``: always ``erev_mV``; ``"nernst"``: always computed.
        Unset values keep NEURON's defaults (``dendrax.mechanisms.SPECIES``).
        """
        if not isinstance(ion, str) or not ion.isidentifier():
            raise ValueError(f"set_ion(ion={ion!r}): give the ion's name, e.g. 'ca'.")
        if mode not in ("auto", "fixed", "nernst"):
            raise ValueError(f"set_ion(mode={mode!r}): use 'auto', 'fixed' or 'nernst'.")
        values = {"erev_mV": erev_mV, "ci0_mM": ci0_mM, "co0_mM": co0_mM}
        for name, value in values.items():
            if value is None:
                continue
            if not isinstance(value, (int, float, np.floating, np.integer)) or not np.isfinite(
                value
            ):
                raise ValueError(f"set_ion({name}={value!r}) must be a finite number.")
            if name != "erev_mV" and value <= 0:
                raise ValueError(
                    f"set_ion({name}={value}) must be > 0 mM (a concentration; the Nernst "
                    "potential needs its logarithm)."
                )
        if mode == "fixed" and (ci0_mM is not None or co0_mM is not None) and erev_mV is None:
            raise ValueError(
                "set_ion(mode='fixed') keeps the reversal potential fixed; give erev_mV (mV), "
                "or use mode='nernst' to compute it from ci0_mM/co0_mM."
            )
        self.ion_settings.append(
            IonSetting(
                ion,
                self._indices(where),
                mode,
                None if erev_mV is None else float(erev_mV),
                None if ci0_mM is None else float(ci0_mM),
                None if co0_mM is None else float(co0_mM),
            )
        )
        return self

    def insert(self, channel: Channel, where: Selection | Region | str | None = None) -> Cell:
        """Insert a channel with its parameter values into a region (all if ``where`` is None).

        Inserting the same channel type again overrides its parameters where the regions overlap.
        """
        if isinstance(channel, PointMechanism):
            raise TypeError(
                f"insert() is for density mechanisms; {type(channel).__name__} is a point "
                "mechanism: use cell.place(mechanism, at=(branch, x))."
            )
        if not isinstance(channel, Channel):
            raise TypeError(
                f"insert() takes a Channel instance such as dendrax.HH(), got {channel!r}."
            )
        self.insertions.append(Insertion(channel, self._indices(where)))
        return self

    def place(
        self,
        mechanism: PointMechanism,
        at: Location | tuple[int, float],
        key: str | None = None,
        events: str | None = None,
    ) -> Cell:
        """Place a point mechanism (current in nA, e.g. a synapse) in the compartment at ``at``.

        Several may share a compartment; their currents add up. ``key`` names the instance
        (for records; default ``"<name>_<k>"``); ``events`` names an event input: the summed
        event weight per step passed as ``simulate(system, inputs={events: w})`` reaches this
        instance's event hook (``on_event``), before the voltage step of that step.
        """
        if not isinstance(mechanism, PointMechanism):
            raise TypeError(
                f"place() takes a PointMechanism instance, got {mechanism!r}; insert density "
                "mechanisms (channels) with cell.insert()."
            )
        if key is None:
            key = f"{type(mechanism).name}_{len(self.points)}"
        if any(p.key == key for p in self.points):
            raise ValueError(f"place(key={key!r}): this key is already used; keys must be unique.")
        if events is not None and (not isinstance(events, str) or not events.isidentifier()):
            raise ValueError(
                f"place(events={events!r}): give a name made of letters, digits and _."
            )
        self.points.append(PointPlacement(mechanism, self.compartment(at), key, events))
        return self

    def stimulate(
        self, stimulus: IClamp | Waveform | CurrentInput, at: Location | tuple[int, float]
    ) -> Cell:
        """Inject a current clamp into the compartment at ``at``. Stimuli add up.

        :class:`dendrax.CurrentInput` declares a current whose waveform is passed per call to
        :func:`dendrax.simulate` (``inputs={name: array}``).
        """
        if not isinstance(stimulus, (IClamp, Waveform, CurrentInput)):
            raise TypeError(
                f"stimulate() takes an IClamp, Waveform or CurrentInput, got {stimulus!r}."
            )
        self.placements.append(Placement(stimulus, self.compartment(at)))
        return self

    def record(
        self,
        variable: str,
        at: Location | tuple[int, float],
        key: str | None = None,
        mechanism: str | None = None,
    ) -> Cell:
        """Record ``"v"`` (mV) or a mechanism state (e.g. ``"m"`` of ``"hh"``) at a location.

        ``mechanism`` may be omitted when exactly one mechanism at that compartment has a state
        of that name; the check happens when the cell is compiled. For a point mechanism give
        its ``key`` (from :meth:`place`) as ``mechanism``.
        """
        comp = self.compartment(at)
        if key is None:
            key = f"{variable}_{len(self.recordings)}"
        if any(r.key == key for r in self.recordings):
            raise ValueError(f"record(key={key!r}): this key is already used; keys must be unique.")
        if variable == "v" and mechanism is not None:
            raise ValueError("record('v', ...) takes no mechanism.")
        self.recordings.append(Recording(key, variable, mechanism, comp))
        return self
