"""Events arriving at point mechanisms (NMODL ``NET_RECEIVE``), delivered before the voltage
step, as NEURON's fixed-step integrator does (``NETWORK_FORMAT.md``, rule 3): from named
per-step event inputs, from artificial sources, and from spikes through the delay ring."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..mechanisms._base import PointMechanism
from ._ions import site_params
from ._state import EventState
from ._system import System

Array = jax.Array


def _apply(system, states, gi, w, count):
    group = system.mechanisms[gi]
    mechanism = group.mechanism
    assert isinstance(mechanism, PointMechanism)  # compile sends events to point groups only
    params = site_params(system, group)
    new = mechanism.on_event(states, params, w)
    arrived = count > 0
    out = {k: jnp.where(arrived, new[k], states[k]) for k in states}
    if system.events is None or system.events.spike_gradient is None:
        return out
    # A surrogate spike is 0 in the forward pass but has a derivative at every step, also where
    # no event arrives: keep the states there exactly, but let on_event's dependence on the
    # weight through in the backward pass (a term that is zero in the forward pass).
    stop = jax.lax.stop_gradient
    tangent = mechanism.on_event(stop(states), stop(params), w)
    return {k: jnp.where(arrived, out[k], out[k] + (tangent[k] - stop(tangent[k]))) for k in out}


def deliver_events(
    system: System,
    states: tuple[dict[str, Array], ...],
    weights: Array,
    source: tuple[tuple[Array, Array], ...] = (),
    ring: EventState | None = None,
    lag: tuple[Array, ...] = (),
    step: Array | None = None,
) -> tuple[dict[str, Array], ...]:
    """Apply every point mechanism's ``on_event`` where events arrive in this step.

    ``weights``: ``(n_event_names,)`` summed weight of the named event inputs in this step.
    ``source``: per inbox, ``(weights, counts)`` of its source columns in this step.
    ``ring``/``lag``/``step``: the spike history, per inbox the lag (steps) of its
    connections from detectors, and the step number. Sites without events keep their states
    exactly; several events in one step reach ``on_event`` once, with their summed weight.
    """
    incoming: dict[int, tuple[Array, Array]] = {}

    def add(gi, w, c):
        if gi in incoming:
            w0, c0 = incoming[gi]
            w, c = w0 + w, c0 + c
        incoming[gi] = (w, c)

    stim = system.stimuli
    for gi, instance, index in zip(stim.event_group, stim.event_instance, stim.event_index):
        n = system.mechanisms[gi].compartments.shape[0]
        w = jnp.zeros(n, weights.dtype).at[instance].add(weights[index])
        c = jnp.zeros(n, weights.dtype).at[instance].add((weights[index] != 0).astype(w.dtype))
        add(gi, w, c)
    events = system.events
    if events is not None:
        for k, inbox in enumerate(events.inboxes):
            n = system.mechanisms[inbox.group].compartments.shape[0]
            dtype = inbox.weight_uS.dtype
            w = jnp.zeros(n, dtype)
            c = jnp.zeros(n, dtype)
            if source and inbox.column_site.shape[0]:
                sw, sc = source[k]
                w = w.at[inbox.column_site].add(sw)
                c = c.at[inbox.column_site].add(sc)
            if ring is not None and step is not None and inbox.n_ring:
                r = inbox.n_ring
                slot = (step - lag[k]) % events.ring_size
                s = ring.history[slot, inbox.pre[:r]]
                w = w.at[inbox.site[:r]].add(inbox.weight_uS[:r] * s)
                c = c.at[inbox.site[:r]].add(jax.lax.stop_gradient(s))
            add(inbox.group, w, c)
    if not incoming:
        return states
    out = list(states)
    for gi, (w, c) in incoming.items():
        out[gi] = _apply(system, out[gi], gi, w, c)
    return tuple(out)
