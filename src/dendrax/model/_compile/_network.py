"""Lower a :class:`~dendrax.model._network.Network`: its cells as a forest, its synapses as
point-mechanism batches, and its detectors, sources and connections as the System's
:class:`~dendrax.solve._system.Events` (NumPy, vectorised over cells and connections)."""

from __future__ import annotations

import dataclasses
import math
from functools import partial

import jax.numpy as jnp
import numpy as np

from ...solve._gap import plan_gap_junctions
from ...solve._spikes import NEURON_SPIKE_OFFSET_MS, SurrogateSpike
from ...solve._system import Detectors, Events, GapJunctions, Inbox, System
from .._cell import Recording
from .._network import Network
from .._sources import NetStim, SpikeInput
from ._arrays import ints
from ._mechanisms import PointBatch


def _lag(delay_ms: np.ndarray, dt_ms: float) -> np.ndarray:
    return np.maximum(np.ceil((delay_ms + NEURON_SPIKE_OFFSET_MS) / dt_ms - 0.5), 0).astype(int)


def lower_network(net: Network, options, ion_values, max_delay_ms, spike_gradient) -> System:
    from . import lower

    if net.n_cells == 0:
        raise ValueError("The network has no cells; add some with network.add_cells(cell, n).")
    if spike_gradient is not None and not isinstance(spike_gradient, SurrogateSpike):
        raise TypeError(
            f"spike_gradient={spike_gradient!r}: give None or dendrax.SurrogateSpike(slope)."
        )
    cells = [b.template for b in net.blocks for _ in range(b.n)]
    names = net.cell_names()
    batches = [
        PointBatch(type(b.mechanism), np.zeros(0, np.int64), b.params, True)
        for b in net.synapse_batches
    ]
    sizes = np.asarray([c.n_compartments for c in cells], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    batches = [
        dataclasses.replace(pb, compartments=b.compartments + offsets[b.cells])
        for pb, b in zip(batches, net.synapse_batches)
    ]
    for k, pre_cells, pre_comps in net.graded_links:
        batches[k] = graded_batch(batches[k], pre_comps + offsets[pre_cells], options.dt_ms)

    def recordings(groups, point_position, batch_position):
        recs = [
            (c, dataclasses.replace(rec, key=f"{names[c]}.{rec.key}"))
            for c, cell in enumerate(cells)
            for rec in cell.recordings
        ]
        recs += net.recordings
        for key, variable, syn in net.synapse_recordings:
            b = _batch_of(net, syn)
            batch = net.synapse_batches[b]
            k = syn - batch.first
            c = int(batch.cells[k])
            gi, sites = batch_position[b]
            point_position[(c, f"#syn{syn}")] = (gi, int(sites[k]))
            recs.append((c, Recording(key, variable, f"#syn{syn}", int(batch.compartments[k]))))
        return recs

    stimuli = [(p, int(p.compartment + offsets[c])) for c, p in net.stimuli]

    def events(groups, batch_position, offsets):
        return build_events(net, options, batch_position, offsets, max_delay_ms, spike_gradient)

    populations = (
        tuple(b.name for b in net.blocks),
        np.repeat(np.arange(len(net.blocks)), [b.n for b in net.blocks]),
    )
    gaps = None if not net.gap_batches else partial(build_gap_junctions, net, options.dtype)
    return lower(
        cells, options, ion_values, batches, recordings, stimuli, events, populations, gaps
    )


def build_gap_junctions(net: Network, dtype, parent, offsets) -> GapJunctions:
    """The network's gap junctions between global nodes, with the solver's plan."""
    cells = np.concatenate([b.cells for b in net.gap_batches])
    nodes = np.concatenate([b.compartments for b in net.gap_batches]) + offsets[cells]
    g = jnp.asarray(np.concatenate([b.g_uS for b in net.gap_batches]), dtype=dtype)
    return plan_gap_junctions(nodes[:, 0], nodes[:, 1], g, parent, offsets)


def _batch_of(net: Network, syn: int) -> int:
    firsts = np.asarray([b.first for b in net.synapse_batches])
    return int(np.searchsorted(firsts, syn, side="right") - 1)


def build_events(
    net: Network, options, batch_position, offsets, max_delay_ms, spike_gradient
) -> Events:
    dt = options.dt_ms
    dtype = options.dtype
    t_stop = dt * options.n_steps
    n_syn = net.n_synapses
    # where every synapse lives: (group, site)
    syn_group = np.full(n_syn, -1, np.int64)
    syn_site = np.full(n_syn, -1, np.int64)
    syn_cell = np.full(n_syn, -1, np.int64)
    for b, batch in enumerate(net.synapse_batches):
        gi, sites = batch_position[b]
        ids = np.arange(batch.first, batch.first + batch.cells.size)
        syn_group[ids] = gi
        syn_site[ids] = sites
        syn_cell[ids] = batch.cells
    # detectors: one per cell at most
    det_of_cell = np.full(net.n_cells, -1, np.int64)
    det_of_cell[net.detector_cell] = np.arange(net.detector_cell.size)
    detectors = Detectors(
        cell=ints(net.detector_cell),
        node=ints(net.detector_compartment + offsets[net.detector_cell]),
        threshold_mV=jnp.asarray(net.detector_threshold, dtype=dtype),
    )
    batches = net.connection_batches
    cat = (
        (lambda xs, t: np.concatenate(xs).astype(t)) if batches else (lambda xs, t: np.zeros(0, t))
    )
    from_source: np.ndarray = cat([np.full(b.pre.size, b.from_source) for b in batches], bool)
    pre = cat([b.pre for b in batches], np.int64)
    syn = cat([b.synapse for b in batches], np.int64)
    weight = cat([b.weight_uS for b in batches], np.float64)
    names = sorted({b.name for b in batches})
    label = cat([np.full(b.pre.size, names.index(b.name)) for b in batches], np.int64)
    delay = cat([b.delay_ms for b in batches], np.float64)
    cell_pre = pre[~from_source]
    missing = cell_pre[det_of_cell[cell_pre] < 0]
    if missing.size:
        raise ValueError(
            f"connect(): cell {int(missing[0])} sends connections but has no spike detector; "
            "add one with network.detect(cells, at=(branch, x), threshold_mV=...)."
        )
    # fixed source events, computed once per source
    source_times = [
        np.zeros(0) if isinstance(s, SpikeInput) else np.asarray(s.event_times(t_stop), float)
        for s in net.sources
    ]
    spike_names: dict[str, list[int]] = {}
    for j, s in enumerate(net.sources):
        if isinstance(s, SpikeInput):
            spike_names.setdefault(s.name, []).append(j)
    row_of_source = np.full(len(net.sources), -1, np.int64)
    for rows in spike_names.values():
        row_of_source[rows] = np.arange(len(rows))

    ring_lag = _lag(delay[~from_source], dt)
    longest = int(ring_lag.max()) if ring_lag.size else 0
    if max_delay_ms is not None:
        if not (math.isfinite(max_delay_ms) and max_delay_ms >= 0):
            raise ValueError(f"max_delay_ms={max_delay_ms} must be a finite delay >= 0 (ms).")
        asked = int(_lag(np.asarray([float(max_delay_ms)]), dt)[0])
        if asked < longest:
            raise ValueError(
                f"max_delay_ms={max_delay_ms}: the network has a delay of "
                f"{delay[~from_source].max():g} ms; give at least that."
            )
        longest = asked

    inboxes = []
    for gi in sorted({int(g) for g in syn_group[syn]}):
        mine = np.flatnonzero(syn_group[syn] == gi)
        order = np.concatenate([mine[~from_source[mine]], mine[from_source[mine]]])
        n_ring = int((~from_source[mine]).sum())
        site = syn_site[syn[order]]
        src = order[n_ring:]
        cols, column = np.unique(site[n_ring:], return_inverse=True)
        source_column = np.concatenate([np.full(n_ring, -1), column]).astype(np.int64)
        # fixed events: one per (connection, event of its source)
        src_ids = pre[src]
        counts = np.asarray([source_times[s].size for s in src_ids], np.int64)
        local = n_ring + np.arange(src.size)
        ev_conn = np.repeat(local, counts)
        ev_time = np.concatenate([source_times[s] for s in src_ids]) if src.size else np.zeros(0)
        is_netstim = np.asarray([isinstance(net.sources[s], NetStim) for s in src_ids], bool)
        ev_init = np.repeat(is_netstim, counts)
        inputs = sorted(
            {net.sources[s].name for s in src_ids if isinstance(net.sources[s], SpikeInput)}
        )
        input_conn, input_row = [], []
        for name in inputs:
            hit = np.asarray(
                [
                    isinstance(net.sources[s], SpikeInput) and net.sources[s].name == name
                    for s in src_ids
                ],
                dtype=bool,
            )
            input_conn.append(ints(local[hit]))
            input_row.append(ints(row_of_source[src_ids[hit]]))
        inboxes.append(
            Inbox(
                group=gi,
                n_ring=n_ring,
                spike_inputs=tuple(inputs),
                weight_uS=jnp.asarray(weight[order], dtype=dtype),
                delay_ms=jnp.asarray(delay[order], dtype=dtype),
                site=ints(site),
                pre=ints(np.concatenate([det_of_cell[pre[order[:n_ring]]], np.full(src.size, -1)])),
                source_column=ints(source_column),
                column_site=ints(cols),
                source_time_ms=jnp.asarray(ev_time, dtype=dtype),
                source_conn=ints(ev_conn),
                source_at_init=jnp.asarray(ev_init, bool),
                input_conn=tuple(input_conn),
                input_row=tuple(input_row),
                pre_cell=ints(np.where(from_source[order], -1, pre[order])),
                pre_source=ints(np.where(from_source[order], pre[order], -1)),
                post_cell=ints(syn_cell[syn[order]]),
                label=ints(label[order]),
                conn_id=ints(order),
            )
        )
    return Events(
        ring_size=longest + 1,
        spike_inputs=tuple((k, len(v)) for k, v in sorted(spike_names.items())),
        spike_gradient=spike_gradient,
        connection_names=tuple(names),
        detectors=detectors,
        inboxes=tuple(inboxes),
    )


def graded_batch(batch: PointBatch, pre_compartments: np.ndarray, dt_ms: float) -> PointBatch:
    """A batch of graded synapses (``Network.connect_graded``): the global compartment each one
    reads ``v_pre`` from, no event input, and the time step (ms) in the parameter a mechanism
    names as its ``time_step_parameter`` (JaxleyIonotropicSynapse's initial state needs it)."""
    params = dict(batch.params)
    name = getattr(batch.mechanism_type, "time_step_parameter", None)
    if name is not None:
        params[name] = np.full(pre_compartments.size, float(dt_ms))
    return dataclasses.replace(
        batch,
        params=params,
        receives_events=False,
        pre_compartments=np.asarray(pre_compartments, np.int64),
    )
