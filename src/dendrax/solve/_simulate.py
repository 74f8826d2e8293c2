"""``simulate``: the whole run as one ``lax.scan`` over time steps (with multi-level gradient
checkpointing), compiled once per System structure and cached."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import equinox as eqx
import jax
import jax.numpy as jnp

from ._cable import cable_constants
from ._events import deliver_events
from ._inputs import drive_per_step
from ._records import in_key_order, sample
from ._spikes import lags
from ._state import State, initial_state
from ._step import step_recorded
from ._system import System

Array = jax.Array


class Result(eqx.Module):
    """Recorded traces: ``t`` (ms, length n_steps+1 including t=0) and one column per key.

    ``result["v_soma"]`` gives a trace (for batched results, the leading axes are the batch,
    then time); ``result.keys()`` lists the keys; ``result.data`` holds every trace as
    ``(..., n_steps + 1, n_records)``; ``final_state`` is the State after the last step
    (voltages in mV, mechanism states).

    For a network with spike detectors, ``spikes`` is ``(..., n_steps, n_detectors)``: 1 where
    detector ``j`` (on cell ``spike_cells[j]``) spiked at ``t[n]`` (NEURON's rule: the first
    sample above threshold, checked at the start of each step, so a crossing that first shows
    at the last sample is not reported); :meth:`spike_times` and :meth:`raster` read it.
    """

    t: Array
    data: Array
    final_state: State
    record_keys: tuple[str, ...] = eqx.field(static=True)
    spikes: Array | None = None
    spike_cells: Array | None = None

    def spike_times(self, cell: int):
        """Spike times (ms, NumPy) of ``cell``'s detector, for an unbatched result."""
        import numpy as np

        if self.spikes is None or self.spike_cells is None:
            raise ValueError("This simulation has no spike detectors (network.detect(...)).")
        cells = np.asarray(self.spike_cells)
        hits = np.flatnonzero(cells == cell)
        if hits.size == 0:
            raise ValueError(
                f"cell {cell} has no spike detector; cells with detectors: {cells.tolist()}."
            )
        spikes = np.asarray(self.spikes)
        if spikes.ndim != 2:
            raise ValueError(
                f"spike_times() reads one simulation; this result is batched "
                f"(spikes {spikes.shape}): index the batch first, e.g. result.spikes[0]."
            )
        t = np.asarray(self.t)[: spikes.shape[0]]
        return t[spikes[:, hits[0]] > 0.5]

    def raster(self):
        """``(times_ms, cells)``: every detected spike of an unbatched result, in time order."""
        import numpy as np

        if self.spikes is None or self.spike_cells is None:
            raise ValueError("This simulation has no spike detectors (network.detect(...)).")
        spikes = np.asarray(self.spikes)
        if spikes.ndim != 2:
            raise ValueError(
                f"raster() reads one simulation; this result is batched ({spikes.shape})."
            )
        n, j = np.nonzero(spikes > 0.5)
        t = np.asarray(self.t)[n]
        return t, np.asarray(self.spike_cells)[j]

    def __getitem__(self, key: str) -> Array:
        try:
            i = self.record_keys.index(key)
        except ValueError:
            raise KeyError(
                f"No recording {key!r}; recorded keys are {sorted(self.record_keys)}."
            ) from None
        return self.data[..., i]

    def keys(self) -> tuple[str, ...]:
        return self.record_keys

    @property
    def traces(self) -> dict[str, Array]:
        """``{key: trace}`` for every recording."""
        return {k: self.data[..., i] for i, k in enumerate(self.record_keys)}


STORED_VALUES_ONE_LEVEL = 20_000_000  # ~160 MB of float64 per stored trajectory


def checkpoint_levels_for(
    n_steps: int, levels: int | tuple[int, ...] | None, state_size: int = 0
) -> tuple[int, ...]:
    """Sizes of the nested scans, outermost first; their product is >= n_steps.

    ``None`` picks the default: one level (a plain scan) below 1,000 steps, unless storing
    every step's state (``state_size`` values) would exceed ``STORED_VALUES_ONE_LEVEL`` values
    (a large network); otherwise two levels of about sqrt(n_steps) each. An int ``k`` asks
    for ``k`` levels of about ``n_steps^(1/k)``; a tuple gives the sizes explicitly.
    """
    if levels is None:
        small = n_steps * state_size <= STORED_VALUES_ONE_LEVEL
        levels = 1 if n_steps < 1000 and small else 2
    if isinstance(levels, int):
        if levels < 1:
            raise ValueError(f"checkpoint_levels={levels} must be >= 1.")
        root = math.isqrt(n_steps)
        if levels == 2:  # prefer an exact factorisation (no padded steps) near sqrt(n)
            for d in range(root, max(1, root // 2) - 1, -1):
                if n_steps % d == 0 and d > 1:
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
    return final, jax.tree_util.tree_map(
        lambda a: a.reshape((a.shape[0] * a.shape[1],) + a.shape[2:]), ys
    )


def _run(
    system: System,
    inputs: Mapping | None,
    initial: State | None,
    checkpoint_levels: int | tuple[int, ...] | None,
) -> Result:
    cable = cable_constants(system)
    drive, init = drive_per_step(system, inputs)
    state = initial_state(system) if initial is None else initial
    if initial is None and init:  # events with delivery time 0 act during finitialize
        no_named = jnp.zeros(len(system.stimuli.event_names), system.dt_ms.dtype)
        state = eqx.tree_at(
            lambda s: s.states, state, deliver_events(system, state.states, no_named, init)
        )
    events = system.events
    lag: tuple[Array, ...] = ()
    if events is not None:
        lag = tuple(lags(events, ib.delay_ms[: ib.n_ring], system.dt_ms) for ib in events.inboxes)

    def observe(old: State, new: State, d, recorded):
        values = sample(system, new, old, d, recorded)
        if new.events is None or events is None:
            return values
        row = new.events.history[(new.step - 1) % events.ring_size]
        return values, row

    n = system.n_steps
    state_size = sum(int(x.size) for x in jax.tree_util.tree_leaves(state))
    sizes = checkpoint_levels_for(n, checkpoint_levels, state_size)
    total = math.prod(sizes)
    if total == n:

        def body(state, d):
            new, recorded = step_recorded(system, cable, state, d, lag)
            return new, observe(state, new, d, recorded)

        final, samples = _nested_scan(body, state, drive, sizes)
    else:  # pad with steps that leave the state unchanged
        valid = jnp.arange(total) < n
        drive = jax.tree_util.tree_map(
            lambda a: jnp.concatenate([a, jnp.zeros((total - n,) + a.shape[1:], a.dtype)]), drive
        )

        def body(state, x):
            d, ok = x
            new, recorded = step_recorded(system, cable, state, d, lag)
            new = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), new, state)
            return new, observe(state, new, d, recorded)

        final, samples = _nested_scan(body, state, (drive, valid), sizes)
        samples = jax.tree_util.tree_map(lambda a: a[:n], samples)
    spikes = spike_cells = None
    if events is not None:
        samples, spikes = samples
        spike_cells = events.detectors.cell
    first = sample(system, state, state, jax.tree_util.tree_map(lambda a: a[0], drive))
    data = in_key_order(system, jnp.concatenate([first[None], samples]))
    t = jnp.arange(n + 1, dtype=system.dt_ms.dtype) * system.dt_ms
    return Result(
        t=t,
        data=data,
        final_state=final,
        record_keys=system.records.keys,
        spikes=spikes,
        spike_cells=spike_cells,
    )


_run_jit = eqx.filter_jit(_run)


def simulate(
    system: System,
    inputs: Mapping | None = None,
    *,
    initial: State | None = None,
    checkpoint_levels: int | tuple[int, ...] | None = None,
) -> Result:
    """Run the compiled model from ``t = 0`` to ``t_stop``; pure, so jit/grad/vmap apply.

    The compiled program is cached (``equinox.filter_jit``): calling ``simulate`` again on a
    System of the same structure (e.g. other parameter values) reuses it, also in a plain
    Python loop. Inside your own ``jax.jit``/``grad``/``vmap`` it is traced as part of them.

    Args:
        system: from :func:`dendrax.compile` (change any leaf, e.g. with a
            :class:`dendrax.ParameterMap` or ``eqx.tree_at``, to run other values without
            recompiling).
        inputs: the model's named inputs, ``{name: array}``: for every
            :class:`dendrax.CurrentInput` the injected current (nA) per step, shape
            ``(n_steps,)`` (the value applies over step ``t_n -> t_n + dt``, as at its
            midpoint, ``system.step_midpoints_ms()``), and for every event input the summed
            event weight (µS) arriving in each step. ``jax.vmap`` over it runs a batch.
        initial: optional starting :class:`dendrax.State` (default: ``v_init`` everywhere and
            mechanisms at their steady state).
        checkpoint_levels: gradient checkpointing over time for reverse mode: ``1`` stores every
            step, ``2`` (the default from 1,000 steps on, or when storing every step would
            hold more than 2e7 values, e.g. a large network) stores about sqrt(n) states and
            recomputes the rest, ``k`` levels store about ``k n^(1/k)`` states for ``k - 1``
            extra forward passes; or a tuple of level sizes. The forward result is identical.
    """
    if not isinstance(system, System):
        raise TypeError(
            f"simulate() takes a System from dendrax.compile(cell), got {type(system).__name__}."
        )
    if isinstance(inputs, State):
        warnings.warn(
            "simulate(system, state) is deprecated: pass the starting state as "
            "simulate(system, initial=state); the second argument is now `inputs`.",
            DeprecationWarning,
            stacklevel=2,
        )
        inputs, initial = None, inputs
    return _run_jit(system, inputs, initial, checkpoint_levels)
