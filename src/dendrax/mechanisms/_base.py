"""The mechanism contract: density mechanisms (channels, mA/cm²) and point mechanisms (nA, µS).

A mechanism class declares its parameters (with defaults and units) and its states, and
implements pure functions of JAX arrays; an instance carries parameter values for one insertion.
The engine groups all instances of one class and calls these functions once per step on the
arrays of every site that carries the class (gather -> compute -> scatter-add), so one code path
serves density channels, point processes and synapses:

- ``init_states(v, params, celsius) -> {state: array}``: initial states (default: the steady
  state of :meth:`gates`).
- ``update(v, states, params, dt, celsius) -> {state: array}``: advance the states by ``dt`` (ms)
  at the new voltage ``v`` (mV); default: exponential Euler on :meth:`gates` (NMODL ``cnexp``).
- ``current(v, states, params, celsius)``: the total membrane current, outward positive (mA/cm²
  for density mechanisms, nA for point mechanisms); the engine linearises it in ``v`` exactly
  (a JVP), which is NEURON's implicit step with ``di/dv``.
- ``species_currents(...) -> {species: current}``: the same current split by ion species
  (``"na"``, ``"k"``, ``"ca"``, ... and :data:`NONSPECIFIC`), the hook through which a mechanism
  writes ion currents (NMODL ``USEION ... WRITE``). Implement either this or :meth:`current`;
  the other follows.
- ``ion_reads``: the ion variables a mechanism reads (NMODL ``USEION ... READ``), e.g.
  ``("ena",)``, ``("cai", "cao")`` or ``("ica",)``: the engine puts their values at every site
  into ``params`` under these names (mV for reversal potentials, mM for concentrations, and
  for ``i<ion>`` the compartment's total current of that ion at the start of the step, mA/cm²).
  In ``update``, a concentration read is the value after every earlier writer's update in
  this step (NEURON's mechanism order, see ``order_name``).
- ``ion_writes``: concentrations the mechanism integrates (NMODL ``USEION ca WRITE cai``):
  ``update`` returns their new values (mM) under these names next to the states, and
  ``init_states`` may (otherwise the ion's initial concentration stays). They live once per
  compartment in ``State.conc``; a reversal potential of that ion is then computed with the
  Nernst equation (``dendrax.mechanisms.nernst``) at the start of every step.
- ``nonspecific_current``: NEURON's name of the :data:`NONSPECIFIC` part (``i`` for pas,
  ``ihcn`` for Ih); species currents are recordable as ``i<ion>`` (``ina``, ``ica``, ...).
- ``assigned`` / ``assigned_values(v, states, params, celsius)``: other recordable quantities
  of the BREAKPOINT block (e.g. the conductance ``gNaTa_t``, S/cm²), evaluated like the
  currents at the start of the step.
- ``global_parameters``: parameters that are NEURON GLOBALs (one value per model, e.g. Ih's
  ``ehcn``); model files set them under ``globals``.
- ``ion_valences``: ``{ion: valence}`` for ions that are not na, k or ca (NMODL ``VALENCE``).
- ``observe(states, params) -> {name: array}``: recordable quantities derived from the states
  (names listed in ``derived``), e.g. Exp2Syn's conductance ``g = B - A``.
- point mechanisms only: ``on_event(states, params, weight) -> states``, what NMODL calls
  ``NET_RECEIVE``: applied in the step an event arrives, before the voltage step.

``params`` and ``states`` are dicts of arrays with one entry per site. Sites may repeat (two
synapses on one compartment); their currents add up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import equinox as eqx

from ._gates import exponential_euler
from ._ions import check_ion_reads, check_ion_writes

Array = Any
NONSPECIFIC = "nonspecific"  # NMODL NONSPECIFIC_CURRENT: carried by no tracked ion species


class Mechanism(eqx.Module):
    """Abstract base of every mechanism; subclass :class:`Channel` or :class:`PointMechanism`.

    Class attributes to set:
        name: short unique name (NEURON's ``SUFFIX`` or ``POINT_PROCESS``), used in model files
            and records.
        parameters: ``{param: (default, unit)}``.
        states: names of the state variables.

    ``Mechanism(**values)`` overrides defaults; unknown names raise a ``ValueError`` that lists
    the valid ones. ``values`` holds every parameter (floats).
    """

    name: ClassVar[str] = ""
    parameters: ClassVar[Mapping[str, tuple[float, str]]] = {}
    states: ClassVar[tuple[str, ...]] = ()
    ion_reads: ClassVar[tuple[str, ...]] = ()
    ion_writes: ClassVar[tuple[str, ...]] = ()
    derived: ClassVar[tuple[str, ...]] = ()
    assigned: ClassVar[tuple[str, ...]] = ()
    nonspecific_current: ClassVar[str] = "i"
    global_parameters: ClassVar[tuple[str, ...]] = ()
    ion_valences: ClassVar[Mapping[str, int]] = {}
    # NEURON updates mechanisms in the order nrnivmodl registers them (sorted file names, after
    # the built-ins); it matters where one reads a concentration another writes in the same
    # step. Empty: ``name``.
    order_name: ClassVar[str] = ""
    current_unit: ClassVar[str] = ""

    values: dict[str, float]

    def __init__(self, **values: float) -> None:
        cls = type(self)
        if not cls.name:
            raise TypeError(f"{cls.__name__} must set the class attribute `name`.")
        if cls.current is Mechanism.current and cls.species_currents is Mechanism.species_currents:
            raise TypeError(
                f"{cls.__name__} must implement current() or species_currents() (the membrane "
                f"current, {cls.current_unit or 'mA/cm² or nA'}, outward positive)."
            )
        check_ion_reads(cls.__name__, cls.ion_reads, cls.parameters)
        check_ion_writes(cls.__name__, cls.ion_writes, cls.states)
        unknown = sorted(set(values) - set(cls.parameters))
        if unknown:
            raise ValueError(
                f"{cls.__name__} has no parameter(s) {unknown}; valid parameters are "
                f"{sorted(cls.parameters)}."
            )
        merged = {k: float(d) for k, (d, _) in cls.parameters.items()}
        for k, v in values.items():
            try:
                merged[k] = float(v)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{cls.__name__}: parameter {k!r} must be a number, got {v!r}."
                ) from None
            if not math.isfinite(merged[k]):
                raise ValueError(f"{cls.__name__}: parameter {k!r} must be finite.")
        self.values = merged

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.values.items())
        return f"{type(self).__name__}({args})"

    # --- physics: pure functions of arrays; override these -----------------------------------

    def gates(self, v: Array, params: Mapping[str, Array], celsius: Array) -> dict:
        """``{state: (inf, tau_ms)}`` at voltage ``v`` (mV). Override for gated mechanisms."""
        return {}

    def current(
        self, v: Array, states: Mapping[str, Array], params: Mapping[str, Array], celsius: Array
    ) -> Array:
        """Total membrane current, outward positive (default: the sum of species_currents)."""
        total = None
        for i in self.species_currents(v, states, params, celsius).values():
            total = i if total is None else total + i
        return total

    def species_currents(
        self, v: Array, states: Mapping[str, Array], params: Mapping[str, Array], celsius: Array
    ) -> dict[str, Array]:
        """The current by ion species (default: all of it non-specific)."""
        return {NONSPECIFIC: self.current(v, states, params, celsius)}

    def observe(self, states: Mapping[str, Array], params: Mapping[str, Array]) -> dict:
        """Recordable quantities derived from the states, ``{name: array}`` for every name in
        ``derived`` (default: none)."""
        return {}

    @classmethod
    def current_name(cls, species: str) -> str:
        """NEURON's name of the current of ``species`` (a key of :meth:`species_currents`):
        ``i<ion>``, or ``nonspecific_current`` for :data:`NONSPECIFIC`."""
        return cls.nonspecific_current if species == NONSPECIFIC else "i" + species

    def assigned_values(
        self, v: Array, states: Mapping[str, Array], params: Mapping[str, Array], celsius: Array
    ) -> dict[str, Array]:
        """``{name: array}`` for every name in ``assigned`` (default: none), at ``v`` (mV)."""
        return {}

    def init_states(
        self, v: Array, params: Mapping[str, Array], celsius: Array
    ) -> dict[str, Array]:
        """Initial states: steady state at ``v``. Override for states that are not gates."""
        g = self.gates(v, params, celsius)
        missing = [s for s in self.states if s not in g]
        if missing:
            raise NotImplementedError(
                f"{type(self).__name__}: states {missing} have no (inf, tau) in gates(); "
                "override init_states() and update() for them."
            )
        return {s: g[s][0] for s in self.states}

    def update(
        self,
        v: Array,
        states: Mapping[str, Array],
        params: Mapping[str, Array],
        dt: Array,
        celsius: Array,
    ) -> dict[str, Array]:
        """Advance the states by ``dt`` (ms) at voltage ``v``: exponential Euler on the gates."""
        if not self.states:
            return {}
        g = self.gates(v, params, celsius)
        return {s: exponential_euler(states[s], g[s][0], g[s][1], dt) for s in self.states}


class Channel(Mechanism):
    """A density mechanism (ion channel, leak): current in mA/cm² of membrane, outward positive,
    parameters per unit area (conductances in S/cm²). Inserted on regions with
    :meth:`dendrax.Cell.insert`. Subclass it to write your own (docs/channels.md)."""

    current_unit: ClassVar[str] = "mA/cm²"


DensityMechanism = Channel


class PointMechanism(Mechanism):
    """A point mechanism (point process, synapse): current in nA, outward positive (so a
    depolarising synaptic current is negative), conductances in µS. Placed at locations with
    :meth:`dendrax.Cell.place`; several may share a compartment.

    :meth:`on_event` is the event hook (NMODL ``NET_RECEIVE``): the engine calls it, before the
    voltage step, at every site where events arrive in that step, with their summed ``weight``
    (µS for conductance synapses). The default ignores events. When several events arrive in
    one step the hook is called once with their summed weight, which is exact for event
    handlers linear in the weight (ExpSyn, Exp2Syn and most NMODL synapses).
    """

    current_unit: ClassVar[str] = "nA"
    # whether a connection onto it may carry a negative weight (conductance synapses: no)
    negative_weights: ClassVar[bool] = True
    # graded synapses: the engine passes the presynaptic voltage (mV) as ``params["v_pre"]``
    presynaptic: ClassVar[bool] = False

    def on_event(
        self, states: Mapping[str, Array], params: Mapping[str, Array], weight: Array
    ) -> dict[str, Array]:
        """States after receiving events of total ``weight`` at every site (default: unchanged)."""
        return dict(states)
