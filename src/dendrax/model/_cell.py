"""The user-facing description of one cell: geometry, cable properties, mechanisms, stimuli and
recordings. It is mutable and cheap; :func:`dendrax.compile` turns it into an immutable System.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..mechanisms._base import Channel, PointMechanism
from ..morphology._geometry import BranchGeometry, Geometry
from ..morphology._selection import Location, Region, Selection
from . import _units
from ._distributions import DistributionError, distribution_values, path_distances
from ._stimuli import CurrentInput, IClamp, SEClamp, Waveform

DEFAULT_RA_OHM_CM = 35.4  # NEURON's default axial resistivity
DEFAULT_CM_UF_CM2 = 1.0  # NEURON's default specific capacitance


@dataclasses.dataclass(frozen=True)
class Insertion:
    """A channel on the compartments ``indices``; ``per_compartment[param]`` holds one value
    per compartment of ``indices`` (in that order) and overrides ``channel.values[param]``."""

    channel: Channel
    indices: np.ndarray
    per_compartment: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def parameter_values(self) -> dict[str, np.ndarray]:
        """Every parameter's value at every compartment of ``indices``, shape ``(n,)``."""
        n = self.indices.size
        out = {p: np.full(n, v) for p, v in self.channel.values.items()}
        out.update({p: np.asarray(v, dtype=np.float64) for p, v in self.per_compartment.items()})
        return out


@dataclasses.dataclass(frozen=True)
class Placement:
    stimulus: IClamp | Waveform | CurrentInput | SEClamp
    compartment: int
    key: str | None = None  # voltage clamps: the name that records their current


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
        _check_geometry_units(geometry)
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

    def path_distance_um(
        self, origin: Location | tuple[int, float] | None = None, sample: str = "centre"
    ) -> np.ndarray:
        """Path distance (µm) along the cable from ``origin`` to every compartment (flat order).

        Args:
            origin: a location ``(branch, x)``, the point at arc length ``x · L`` of that
                branch; None (default): the root's centre, the origin of
                :meth:`select` (``distance_um``). Hay et al. (2011) measure their apical
                distributions from the apical root's start, ``(k, 0)``.
            sample: ``"centre"`` (to every compartment's centre) or ``"last_at_x1"`` (the
                last compartment of every branch to the branch's end, x = 1, as Hay's NEURON
                loop ``for (x)`` assigns; docs/distributions.md).
        """
        try:
            return path_distances(self.geometry, origin, sample)
        except DistributionError as e:
            raise ValueError(f"path_distance_um: {e}") from None

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
        """Set axial resistivity (Ω·cm) and/or specific capacitance (µF/cm²) on a region.

        Values far outside 1-1e4 Ω·cm or 0.05-20 µF/cm² warn (:class:`dendrax.UnitWarning`).
        """
        idx = self._indices(where)
        if Ra_ohm_cm is not None:
            if not np.isfinite(Ra_ohm_cm) or Ra_ohm_cm <= 0:
                raise ValueError(f"Ra_ohm_cm={Ra_ohm_cm} must be a finite value > 0 Ω·cm.")
            _units.check_range("axial_resistivity", Ra_ohm_cm, "set_cable: Ra_ohm_cm")
            self.Ra_ohm_cm[idx] = Ra_ohm_cm
        if cm_uF_cm2 is not None:
            if not np.isfinite(cm_uF_cm2) or cm_uF_cm2 < 0:
                raise ValueError(f"cm_uF_cm2={cm_uF_cm2} must be a finite value >= 0 µF/cm².")
            _units.check_range("capacitance", cm_uF_cm2, "set_cable: cm_uF_cm2")
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
            kind = "voltage" if name == "erev_mV" else "concentration"
            _units.check_range(kind, value, f"set_ion({ion!r}): {name}")
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

    def insert(
        self,
        channel: Channel,
        where: Selection | Region | str | None = None,
        *,
        per_compartment: Mapping[str, Any] | None = None,
        origin: Location | tuple[int, float] | None = None,
        sample: str = "centre",
    ) -> Cell:
        """Insert a channel with its parameter values into a region (all if ``where`` is None).

        Inserting the same channel type again overrides its parameters where the regions overlap.

        Args:
            channel: the channel with its (uniform) parameter values, e.g. ``dendrax.HH()``.
            where: a Selection, a :class:`dendrax.Region`, a region or group name, or None.
            per_compartment: ``{param: values}`` for parameters that vary in space; they
                override the channel's value of that parameter. ``values`` is one value per
                selected compartment (in the order of the selection's sorted indices), a
                function ``f(d)`` of the path distances ``d`` (µm, a NumPy array) of those
                compartments returning one value per compartment, an expression string in
                ``d`` and ``dmax`` (the largest ``d`` over the selection), e.g.
                ``"0.0002*(-0.8696 + 2.087*exp(3.6161*d/dmax))"`` or
                ``"where(685 < d < 885, 0.0187, 0.000187)"``, or a model-file object
                ``{"expression": ..., "origin": [branch, x]}`` (docs/distributions.md).
            origin: where ``d`` is measured from, ``(branch, x)``; default the root's centre
                (as :meth:`select`). Hay et al. (2011) measure from the apical root's start.
            sample: ``"centre"`` (each compartment at its centre) or ``"last_at_x1"`` (the
                last compartment of every branch at the branch's end, x = 1, as Hay's NEURON
                code assigns).

        Values far outside their unit's physiological range (e.g. a conductance density
        above 10 S/cm²) warn with a :class:`dendrax.UnitWarning` (docs/units.md).
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
        idx = self._indices(where)
        mtype = type(channel)
        label = f"insert({mtype.__name__}, {_describe(where)}): "
        _units.check_mechanism_values(mtype, channel.values, label)
        varying: dict[str, np.ndarray] = {}
        if per_compartment is not None:
            if not isinstance(per_compartment, Mapping):
                raise TypeError(
                    f"insert(per_compartment={per_compartment!r}): give a dict "
                    "{parameter: values}."
                )
            for p, spec in per_compartment.items():
                if p not in mtype.parameters:
                    raise ValueError(
                        f"insert(per_compartment={{{p!r}: ...}}): {mtype.__name__} has no "
                        f"parameter {p!r}; its parameters are {sorted(mtype.parameters)}."
                    )
                if p in mtype.global_parameters:
                    raise ValueError(
                        f"insert(per_compartment={{{p!r}: ...}}): {mtype.__name__}.{p} is a "
                        f"NEURON GLOBAL, one value for the whole model; set it on the channel, "
                        f"{mtype.__name__}({p}=...), not per compartment."
                    )
                try:
                    values = distribution_values(
                        spec,
                        self,
                        idx,
                        origin=origin,
                        sample=sample,
                        where=f"insert(per_compartment={{{p!r}: ...}})",
                    )
                except DistributionError as e:
                    raise ValueError(str(e)) from None
                values.setflags(write=False)
                varying[p] = values
            _units.check_mechanism_values(mtype, varying, label, locate=self._locator(idx))
        self.insertions.append(Insertion(channel, idx, varying))
        return self

    def _locator(self, idx: np.ndarray) -> Callable[[int], str]:
        branch_of = self.geometry.branch_of_compartment()
        offsets = self.geometry.offsets

        def locate(i: int) -> str:
            b = int(branch_of[idx[i]])
            return f"branch {b}, compartment {int(idx[i]) - int(offsets[b])}"

        return locate

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
        _units.check_mechanism_values(mechanism, mechanism.values, f"place(key={key!r}): ")
        self.points.append(PointPlacement(mechanism, self.compartment(at), key, events))
        return self

    def stimulate(
        self,
        stimulus: IClamp | Waveform | CurrentInput | SEClamp,
        at: Location | tuple[int, float],
        key: str | None = None,
    ) -> Cell:
        """Inject a current clamp into the compartment at ``at``, or clamp its voltage
        (:class:`dendrax.SEClamp`). Stimuli add up.

        :class:`dendrax.CurrentInput` declares a current whose waveform is passed per call to
        :func:`dendrax.simulate` (``inputs={name: array}``). ``key`` names a voltage clamp
        (default ``"SEClamp_<k>"``) so that its current can be recorded with
        ``cell.record("i", at, mechanism=key)``.
        """
        if not isinstance(stimulus, (IClamp, Waveform, CurrentInput, SEClamp)):
            raise TypeError(
                f"stimulate() takes an IClamp, Waveform, CurrentInput or SEClamp, got {stimulus!r}."
            )
        _check_stimulus_units(stimulus)
        if key is not None and not isinstance(stimulus, SEClamp):
            raise ValueError(
                "stimulate(key=...) names a voltage clamp (SEClamp) for recording its current; "
                "current clamps take no key."
            )
        if isinstance(stimulus, SEClamp):
            if key is None:
                n = sum(isinstance(p.stimulus, SEClamp) for p in self.placements)
                key = f"SEClamp_{n}"
            if any(p.key == key for p in self.placements) or any(p.key == key for p in self.points):
                raise ValueError(f"stimulate(key={key!r}): this key is already used.")
        self.placements.append(Placement(stimulus, self.compartment(at), key))
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


def _describe(where: Any) -> str:
    """A short description of ``where`` for messages."""
    if where is None:
        return "everywhere"
    if isinstance(where, Selection):
        return where.description or f"{len(where)} compartments"
    if isinstance(where, Region):
        return where.describe()
    return repr(where)


def _check_geometry_units(geometry: Geometry) -> None:
    """Warn about diameters or lengths far outside µm ranges (:mod:`dendrax.model._units`)."""
    branch_of = geometry.branch_of_compartment()

    def locate(i: int) -> str:
        b = int(branch_of[i])
        name = geometry.branches[b].name
        return f"branch {b}{f' ({name!r})' if name else ''}, compartment {i - geometry.offsets[b]}"

    _units.check_range("diameter", geometry.flat("diam_um"), "geometry: diam_um", locate=locate)
    _units.check_range("length", geometry.flat("length_um"), "geometry: length_um", locate=locate)


def _check_stimulus_units(stimulus: Any) -> None:
    """Warn about currents far outside nA ranges and clamp levels far outside mV ones."""
    if isinstance(stimulus, IClamp):
        _units.check_range("current", stimulus.amp_nA, "stimulate: IClamp.amp_nA")
    elif isinstance(stimulus, Waveform):
        _units.check_range("current", stimulus.i_nA, "stimulate: Waveform.i_nA")
    elif isinstance(stimulus, SEClamp):
        for k in (1, 2, 3):
            amp = getattr(stimulus, f"amp{k}_mV")
            _units.check_range("voltage", amp, f"stimulate: SEClamp.amp{k}_mV")
