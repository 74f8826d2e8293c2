"""``simulate``: the whole run as one ``lax.scan`` over time steps."""

from __future__ import annotations

import math

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


def checkpoint_levels_for(n_steps: int, levels: int | tuple[int, ...] | None) -> tuple[int, ...]:
    """Sizes of the nested scans, outermost first; their product is >= n_steps.

    ``None`` picks the default: one level (a plain scan) below 1,000 steps, otherwise two
    levels of about sqrt(n_steps) each. An int ``k`` asks for ``k`` levels of about
    ``n_steps^(1/k)``; a tuple gives the sizes explicitly.
    """
    if levels is None:
        levels = 1 if n_steps < 1000 else 2
    if isinstance(levels, int):
        if levels < 1:
            raise ValueError(f"checkpoint_levels={levels} must be >= 1.")
        root = math.isqrt(n_steps)
        if levels == 2:  # prefer an exact factorisation (no padded steps) near sqrt(n)
            for d in sorted(range(max(1, root // 2), 2 * root + 2), key=lambda d: abs(d - root)):
                if n_steps % d == 0:
                    return (n_steps // d, d)
        sizes = []
        remaining = n_steps
        for k in range(levels, 0, -1):
            size = max(1, math.ceil(remaining ** (1.0 / k) - 1e-9))
            sizes.append(size)
            remaining = math.ceil(remaining / size)
        return tuple(sizes)
    given = tuple(int(x) for x in levels)
    if not given or min(given) < 1 or math.prod(given) < n_steps:
        raise ValueError(
            f"checkpoint_levels={levels}: give positive sizes whose product is at least the "
            f"number of steps ({n_steps})."
        )
    return given


def _nested_scan(body, state, xs, sizes):
    """``lax.scan`` over ``prod(sizes)`` steps as nested scans; every level but the innermost
    is rematerialised in reverse mode (multi-level gradient checkpointing)."""
    if len(sizes) == 1:
        return jax.lax.scan(body, state, xs)
    inner = sizes[1:]
    chunked = jax.tree_util.tree_map(
        lambda a: a.reshape((sizes[0], math.prod(inner)) + a.shape[1:]), xs
    )

    @jax.checkpoint
    def chunk(state, xs_chunk):
        return _nested_scan(body, state, xs_chunk, inner)

    final, ys = jax.lax.scan(chunk, state, chunked)
    return final, jax.tree_util.tree_map(lambda a: a.reshape((-1,) + a.shape[2:]), ys)


def simulate(
    system: System,
    initial: State | None = None,
    *,
    checkpoint_levels: int | tuple[int, ...] | None = None,
) -> Result:
    """Run the compiled model from ``t = 0`` to ``t_stop``; pure, so jit/grad/vmap apply.

    Args:
        system: from :func:`dendrax.compile` (change any leaf, e.g. with ``eqx.tree_at`` or a
            :class:`dendrax.ParameterMap`, to run other values without recompiling).
        initial: optional starting state (default: ``v_init`` and steady-state gates).
        checkpoint_levels: gradient checkpointing over time for reverse mode: ``1`` stores every
            step, ``2`` (the default from 1,000 steps on) stores about sqrt(n) states and
            recomputes the rest, ``k`` levels store about ``k n^(1/k)`` states for ``k - 1``
            extra forward passes; or a tuple of level sizes. The forward result is identical.
    """
    cable = cable_constants(system)
    state = initial_state(system) if initial is None else initial
    n = system.n_steps
    sizes = checkpoint_levels_for(n, checkpoint_levels)
    total = math.prod(sizes)
    current = system.stimuli.current_nA
    if total == n:

        def body(state, stim_nA):
            new = step(system, cable, state, stim_nA)
            return new, _sample(system, new)

        final, samples = _nested_scan(body, state, current, sizes)
    else:  # pad with steps that leave the state unchanged
        valid = jnp.arange(total) < n
        current = jnp.concatenate(
            [current, jnp.zeros((total - n,) + current.shape[1:], current.dtype)]
        )

        def body(state, x):
            stim_nA, ok = x
            new = step(system, cable, state, stim_nA)
            new = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), new, state)
            return new, _sample(system, new)

        final, samples = _nested_scan(body, state, (current, valid), sizes)
        samples = tuple(s[:n] for s in samples)
    first = _sample(system, state)
    traces = {
        key: jnp.concatenate([f[None], s]) for key, f, s in zip(system.records.keys, first, samples)
    }
    t = jnp.arange(system.n_steps + 1, dtype=system.dt_ms.dtype) * system.dt_ms
    return Result(t=t, traces=traces, final_state=final)
