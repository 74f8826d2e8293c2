"""Sampling the recorded variables: one gather for every voltage and one per (mechanism
group, state) pair, however many recordings there are."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ._ions import site_params
from ._state import State
from ._system import System

Array = jax.Array


def sample(system: System, state: State) -> Array:
    """``(n_rec,)`` values of every recording, in the System's internal (grouped) order."""
    rec = system.records
    parts = [state.v[rec.v_nodes]]
    for (gi, name), pos in zip(rec.state_sources, rec.state_positions):
        states = state.states[gi]
        if name not in states:  # a derived quantity (Mechanism.observe), e.g. Exp2Syn's g
            group = system.mechanisms[gi]
            states = group.mechanism.observe(states, site_params(system, group))
        parts.append(states[name][pos])
    return jnp.concatenate(parts) if len(parts) > 1 else parts[0]


def in_key_order(system: System, samples: Array) -> Array:
    """Reorder ``(..., n_rec)`` samples to the order of ``system.records.keys``."""
    return samples[..., system.records.order]
