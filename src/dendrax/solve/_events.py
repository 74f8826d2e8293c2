"""Events arriving at point mechanisms (NMODL ``NET_RECEIVE``), delivered before the voltage
step, as NEURON's fixed-step integrator does (``../NETWORK_FORMAT.md``, rule 3)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..mechanisms._base import PointMechanism
from ._ions import site_params
from ._system import System

Array = jax.Array


def deliver_events(
    system: System, states: tuple[dict[str, Array], ...], weights: Array
) -> tuple[dict[str, Array], ...]:
    """Apply every point mechanism's ``on_event`` where events arrive in this step.

    ``weights``: ``(n_event_names,)`` summed weight of the events of each named event input
    in this step (0 where none). Sites without events keep their states exactly.
    """
    stim = system.stimuli
    if not stim.event_group:
        return states
    out = list(states)
    for gi, instance, index in zip(stim.event_group, stim.event_instance, stim.event_index):
        group = system.mechanisms[gi]
        n = group.compartments.shape[0]
        w = jnp.zeros(n, weights.dtype).at[instance].add(weights[index])
        arrived = jnp.zeros(n, bool).at[instance].max(weights[index] != 0)
        mechanism = group.mechanism
        assert isinstance(mechanism, PointMechanism)  # compile groups event inputs so
        new = mechanism.on_event(out[gi], site_params(system, group), w)
        out[gi] = {k: jnp.where(arrived, new[k], out[gi][k]) for k in out[gi]}
    return tuple(out)
