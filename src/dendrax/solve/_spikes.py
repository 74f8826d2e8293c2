"""Spike detection (``NETWORK_FORMAT.md`` rule 1) and the spike history ring that carries
spikes to their delayed delivery (rules 2-3), with an optional surrogate gradient."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ._state import EventState
from ._system import Events

Array = jax.Array

NEURON_SPIKE_OFFSET_MS = 1e-10  # NetCon.record reports t_n + 1e-10 ms; its events carry it


class SurrogateSpike(eqx.Module):
    """A surrogate gradient for spike detection: the forward pass is NEURON's exact threshold
    test; the backward pass treats a spike as ``sigmoid(slope (v - threshold))``, so gradients
    reach the presynaptic voltage (and whatever moves it) through the events a spike sends.

    Args:
        slope: steepness (1/mV) of the sigmoid; larger is closer to the true step and noisier.
    """

    slope: float = eqx.field(static=True, default=1.0)

    def __post_init__(self):
        if not (self.slope > 0):
            raise ValueError(f"SurrogateSpike(slope={self.slope}) must be > 0 (1/mV).")

    def __call__(self, above: Array, x: Array) -> Array:
        smooth = jax.nn.sigmoid(self.slope * x)
        return above.astype(x.dtype) + smooth - jax.lax.stop_gradient(smooth)


def lags(events: Events, inbox_delay_ms: Array, dt_ms: Array) -> Array:
    """Steps between a spike at ``t_n`` and its delivery slot: ``ceil((d + 1e-10)/dt - 1/2)``
    (rule 3: the step whose start is nearest to ``t_n + 1e-10 + d``)."""
    lag = jnp.ceil((inbox_delay_ms + NEURON_SPIKE_OFFSET_MS) / dt_ms - 0.5).astype(jnp.int32)
    lag = eqx.error_if(
        lag,
        lag > events.ring_size - 1,
        "a connection delay exceeds the longest delay the System was compiled for; pass "
        "dendrax.compile(..., max_delay_ms=...) with the longest delay you will use",
    )
    return jnp.maximum(lag, 0)


def detect(events: Events, state: EventState, v: Array, step: Array) -> EventState:
    """Threshold crossings on ``V^n`` at the start of step ``n``: an armed detector whose
    voltage is above threshold (strictly) spikes and disarms; at or below threshold it
    re-arms. The spikes go into the history ring at slot ``n % ring_size``."""
    det = events.detectors
    vd = v[det.node]
    x = vd - det.threshold_mV
    above = x > 0
    if events.spike_gradient is None:
        spike = (above & state.armed).astype(v.dtype)
    else:
        spike = events.spike_gradient(above, x) * state.armed.astype(v.dtype)
    history = state.history.at[step % events.ring_size].set(spike)
    return EventState(armed=~above, history=history)
