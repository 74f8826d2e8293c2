"""The dynamic state of a simulation, and the initial state (NEURON's ``finitialize``)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ._ions import ion_environment, site_params
from ._mechanisms import write_concentrations
from ._system import System

Array = jax.Array


class EventState(eqx.Module):
    """Spike detection state: ``armed`` ``(n_det,)`` bool (a detector re-arms when its voltage
    is at or below threshold) and ``history`` ``(ring_size, n_det)``: the spikes (0/1) of the
    last ``ring_size`` steps, slot ``n % ring_size`` for step ``n``."""

    armed: Array
    history: Array


class State(eqx.Module):
    """Dynamic variables, a pytree.

    Attributes:
        v: ``(n_nodes,)`` node voltages (mV): compartments first, then zero-area junctions.
        states: per mechanism group (``system.mechanisms`` order), ``{state: (n_sites,)}``.
        conc: ``{ion: (n_comp,)}`` concentrations (mM) of ion pools that mechanisms write;
            empty until a model has such pools.
        events: spike detectors and the delay ring (:class:`EventState`); None without
            detectors.
        step: ``()`` int32, the number of steps taken.
    """

    v: Array
    states: tuple[dict[str, Array], ...]
    conc: dict[str, Array] = eqx.field(default_factory=dict)
    events: EventState | None = None
    step: Array = eqx.field(default_factory=lambda: jnp.zeros((), jnp.int32))


def initial_state(system: System) -> State:
    """NEURON's ``finitialize``: ``v = v_init`` on every node; written concentrations at their
    initial values; every mechanism's initial states for ``v_init`` (gates at their steady
    state), in NEURON's mechanism order, with the ion variables of that moment (Nernst
    potentials from the initial concentrations)."""
    dtype = system.length_um.dtype
    v = jnp.full(system.n_nodes, system.v_init_mV, dtype=dtype)
    env = dict(ion_environment(system, {k: system.ion_values[k] for k in system.ions.written}))
    for name in system.ions.current_reads:  # no current has flowed yet
        env[name] = jnp.zeros(system.n_comp, dtype)
    states: list = [None] * len(system.mechanisms)
    for gi in system.update_order:
        group = system.mechanisms[gi]
        vg = jnp.full(group.compartments.shape, system.v_init_mV, dtype=dtype)
        params = site_params(system, group, v, env)
        s = group.mechanism.init_states(vg, params, system.celsius)
        s = write_concentrations(group, s, env)
        states[gi] = {
            k: jnp.broadcast_to(jnp.asarray(s[k], dtype), vg.shape)
            for k in group.mechanism_type.states
        }
    conc = {k: jnp.asarray(env[k], dtype) for k in system.ions.written}
    events = None
    if system.events is not None:
        n_det = system.events.detectors.node.shape[0]
        events = EventState(
            armed=jnp.ones(n_det, bool),
            history=jnp.zeros((system.events.ring_size, n_det), dtype),
        )
    return State(v=v, states=tuple(states), conc=conc, events=events, step=jnp.zeros((), jnp.int32))
