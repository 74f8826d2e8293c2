"""``simulate``: the whole run as one ``lax.scan`` over time steps."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ..model._system import System
from ._step import State, cable_constants, initial_state, step

Array = jax.Array


class Result(eqx.Module):
    """Recorded traces: ``t`` (ms, length n_steps+1 including t=0) and one array per key.

    ``result["v_soma"]`` gives a trace; ``result.keys()`` lists them; ``final_state`` holds
    the state after the last step (voltages in mV, mechanism states).
    """

    t: Array
    traces: dict[str, Array]
    final_state: State

    def __getitem__(self, key: str) -> Array:
        if key not in self.traces:
            raise KeyError(f"No recording {key!r}; recorded keys are {sorted(self.traces)}.")
        return self.traces[key]

    def keys(self):
        return self.traces.keys()


def _sample(system: System, state: State) -> tuple[Array, ...]:
    out = []
    for (kind, gi, name), pos in zip(system.records.sources, system.records.positions):
        out.append(state.v[pos] if kind == "v" else state.states[gi][name][pos])
    return tuple(out)


def simulate(system: System, initial: State | None = None) -> Result:
    """Run the compiled model from ``t = 0`` to ``t_stop``; pure, so jit/grad/vmap apply.

    Args:
        system: from :func:`dendrax.compile` (change any leaf, e.g. with ``eqx.tree_at``,
            to run other parameter values or stimuli without recompiling).
        initial: optional starting state (default: ``v_init`` and steady-state gates).
    """
    cable = cable_constants(system)
    state = initial_state(system) if initial is None else initial

    def body(state, stim_nA):
        new = step(system, cable, state, stim_nA)
        return new, _sample(system, new)

    final, samples = jax.lax.scan(body, state, system.stimuli.current_nA)
    first = _sample(system, state)
    traces = {
        key: jnp.concatenate([f[None], s]) for key, f, s in zip(system.records.keys, first, samples)
    }
    t = jnp.arange(system.n_steps + 1, dtype=system.dt_ms.dtype) * system.dt_ms
    return Result(t=t, traces=traces, final_state=final)
