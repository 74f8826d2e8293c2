"""One time step as a pipeline of pure stages, in NEURON's fixed-step order:
events -> ion potentials -> membrane currents -> cable solve -> mechanism states."""

from __future__ import annotations

import equinox as eqx
import jax

from ._cable import Cable, cable_solve
from ._currents import membrane_currents
from ._events import deliver_events
from ._ions import ion_environment
from ._mechanisms import advance_mechanisms
from ._spikes import detect
from ._state import State
from ._system import System

Array = jax.Array


class Drive(eqx.Module):
    """The external input of one step: injected currents (nA) at the stimulus sites, the
    summed weights of the events arriving at each named event input, and the voltage clamps'
    command (mV) and on/off (1/0) at the step midpoint."""

    current_nA: Array  # (n_sites,)
    event_weights: Array  # (n_event_names,)
    source: tuple[tuple[Array, Array], ...] = ()  # per inbox: (weights, counts) per column
    clamp_vc_mV: Array | None = None  # (n_clamp,)
    clamp_on: Array | None = None  # (n_clamp,)


def step(
    system: System, cable: Cable, state: State, drive: Drive, lag: tuple[Array, ...] = ()
) -> State:
    """Advance the state by one time step (see :func:`step_recorded`)."""
    return step_recorded(system, cable, state, drive, lag)[0]


def step_recorded(
    system: System, cable: Cable, state: State, drive: Drive, lag: tuple[Array, ...] = ()
) -> tuple[State, tuple[dict, dict]]:
    """Advance the state by one time step ``dt`` (ms): detect spikes on ``V^n``, deliver the
    events due in this step, compute the ion potentials (Nernst from the concentrations of
    ``t_n``), the membrane currents at ``V^n``, solve the voltage, advance the mechanisms
    (``NETWORK_FORMAT.md``, "Events and time stepping"; ``FORMAT_V2.md`` section 7). ``lag``:
    per inbox, the delivery lag (steps) of its connections from detectors.

    Also returns what the recordings of this step need from its start: the recorded groups'
    currents and assigned values, and the ion variables (``solve._records``)."""
    events = state.events
    if system.events is not None and events is not None:
        events = detect(system.events, events, state.v, state.step)
    mech = deliver_events(
        system, state.states, drive.event_weights, drive.source, events, lag, state.step
    )
    env = ion_environment(system, state.conc)
    probe: dict = {}
    i, g, totals = membrane_currents(system, cable, state.v, mech, env, probe)
    v = cable_solve(
        system, cable, state.v, i, g, drive.current_nA, drive.clamp_vc_mV, drive.clamp_on
    )
    mech, conc = advance_mechanisms(system, mech, v, {**env, **totals})
    new = State(v=v, states=mech, conc=conc, events=events, step=state.step + 1)
    return new, (probe, env)
