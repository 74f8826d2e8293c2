"""Run the CA1 network of benchmark 5 in dendrax (forward or gradient w.r.t. every connection
weight); print one JSON line. Optionally write the same network as a ``neuroref-network/1``
file for NEURON.

``python benchmarks/networks/run_ca1.py --cells 2000 [--in-degree 500] [--syn-per-cell 20]
[--tstop-ms 200] [--mode forward|grad] [--repeats 1] [--write-json net.json] [--spikes s.npz]``

The network (Python API): ``--cells`` copies of the CA1 template (``netmodels.ca1_template``:
``ca1_n120.swc`` to branch order ``--max-depth``, ``dx.MaxLength(--max-length-um)``; hh soma,
weak-hh dendrites; 46 compartments by default), a detector on every soma (0 mV), 80 % of the
cells excitatory, ``--syn-per-cell`` ExpSyn per cell (4/5 excitatory, tau 2 ms, e 0 mV, on
random apical compartments; 1/5 inhibitory, tau 5 ms, e -80 mV, on random basal compartments),
``dx.Random`` from the excitatory cells to the excitatory synapses and from the inhibitory
cells to the inhibitory ones with ``p`` set for ``--in-degree`` connections per cell on
average (2,000 cells x 500 = 1,000,000 connections), delays U(1, 5) ms, weights 1e-4 /
4e-4 µS, a somatic step per cell (onset U(0, 10) ms, amplitude U(0.2, 0.4) nA), 10 somatic
voltages recorded. dt 0.025 ms, backward Euler, float64.

Forward: ``jax.jit(dx.simulate)`` returning the whole Result (recordings and the spike raster).
Gradient: ``jax.value_and_grad`` of the mean squared deviation of the recorded voltages from
-65 mV w.r.t. the weight of every connection (``Events.inboxes[*].weight_uS``; spikes as
fixed events), two checkpoint levels (``--checkpoint-levels``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import _common as C  # noqa: E402
import _net  # noqa: E402,F401
import numpy as np  # noqa: E402

W_EXC, W_INH = 1e-4, 4e-4
AMP = (0.2, 0.4)
N_REC = 10


def build(dx, args, branches):
    from dendrax.io._model_json import cell_from_branches

    n = args.cells
    rng = np.random.default_rng(args.seed)
    tmpl = cell_from_branches(branches)
    net = dx.Network()
    pop = net.add_cells(tmpl, n, name="ca1")
    net.detect(pop, at=(0, 0.5), threshold_mV=0.0)
    inh = np.arange(n) % 5 == 0
    exc_cells, inh_cells = pop.cells[~inh], pop.cells[inh]
    n_e = max(args.syn_per_cell * 4 // 5, 1)
    n_i = max(args.syn_per_cell - n_e, 1)
    syn_e = net.place(
        dx.ExpSyn(tau=2.0, e=0.0),
        np.repeat(pop.cells, n_e),
        at="apical",
        name="exc",
        seed=args.seed,
    )
    syn_i = net.place(
        dx.ExpSyn(tau=5.0, e=-80.0),
        np.repeat(pop.cells, n_i),
        at="basal",
        name="inh",
        seed=args.seed + 1,
    )
    k = args.in_degree
    p_e = min(1.0, k / (n * n_e))  # 0.8 n pres x n n_e synapses -> 0.8 k n connections
    p_i = min(1.0, k / (n * n_i))

    def delays(rng, m):
        return np.round(rng.uniform(1.0, 5.0, m), 3)

    net.connect(
        dx.Population("exc", exc_cells),
        syn_e,
        dx.Random(p_e),
        weight_uS=W_EXC,
        delay_ms=delays,
        seed=args.seed + 2,
        name="e",
    )
    net.connect(
        dx.Population("inh", inh_cells),
        syn_i,
        dx.Random(p_i),
        weight_uS=W_INH,
        delay_ms=delays,
        seed=args.seed + 3,
        name="i",
    )
    onset = np.round(rng.uniform(0.0, 10.0, n), 3)
    amp = np.round(rng.uniform(*AMP, n), 4)
    for c in range(n):
        net.stimulate(dx.IClamp(float(onset[c]), 1e9, float(amp[c])), c, (0, 0.5))
    rec = np.linspace(0, n - 1, min(N_REC, n)).astype(int)
    for c in rec:
        net.record("v", int(c), (0, 0.5), f"v{c}")
    return net, [f"v{c}" for c in rec], (onset, amp)


def write_json(path, net, branches, args, stim) -> None:
    """The network as ``neuroref-network/1`` (templates; synapses by (branch, x, comp))."""
    import netmodels as M

    starts = np.cumsum([0] + [b["ncomp"] for b in branches])
    data = M.header(f"ca1_{args.cells}", "benchmark 5 CA1 network (run_ca1.py)", args.tstop_ms)
    data["templates"]["ca1"] = branches
    det = {**M.where(branches, 0, 0.5), "threshold_mV": 0.0}
    data["cells"] = [
        {"name": f"c{k}", "template": "ca1", "spike_detector": det} for k in range(net.n_cells)
    ]
    onset, amp = stim
    data["stimuli"] = [
        {
            "type": "iclamp",
            "cell": k,
            **M.where(branches, 0, 0.5),
            "delay_ms": float(onset[k]),
            "dur_ms": 1e9,
            "amp_nA": float(amp[k]),
        }
        for k in range(net.n_cells)
    ]
    for b in net.synapse_batches:
        tau, e = float(b.params["tau"][0]), float(b.params["e"][0])
        br = np.searchsorted(starts, b.compartments, side="right") - 1
        loc = b.compartments - starts[br]
        for c, bi, j in zip(b.cells, br, loc):
            n = branches[bi]["ncomp"]
            data["synapses"].append(
                {
                    "type": "expsyn",
                    "cell": int(c),
                    "branch": int(bi),
                    "x": round((int(j) + 0.5) / n, 10),
                    "comp": int(j),
                    "tau_ms": tau,
                    "e_mV": e,
                }
            )
    for cb in net.connection_batches:
        for i, s, w, d in zip(cb.pre, cb.synapse, cb.weight_uS, cb.delay_ms):
            data["connections"].append(
                {
                    "pre": {"cell": int(i)},
                    "synapse": int(s),
                    "delay_ms": float(d),
                    "weight_uS": float(w),
                }
            )
    for c, rec in net.recordings:
        data["recordings"].append(
            {"key": rec.key, "var": "v", "cell": int(c), **M.where(branches, 0, 0.5)}
        )
    Path(path).write_text(json.dumps(M._finish(data)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=2000)
    ap.add_argument("--in-degree", type=int, default=500)
    ap.add_argument("--syn-per-cell", type=int, default=20)
    ap.add_argument("--tstop-ms", type=float, default=200.0)
    ap.add_argument("--mode", choices=("forward", "grad"), default="forward")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--max-depth", type=int, default=5, help="branch orders kept (-1: all)")
    ap.add_argument("--max-length-um", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--write-json", help="also write the network as neuroref-network/1")
    ap.add_argument("--spikes", help="forward: write per-cell spike times (npz)")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument(
        "--checkpoint-levels",
        type=int,
        default=2,
        help="gradient checkpoint levels (simulate's default: 1 below 1,000 steps)",
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import netmodels

    import dendrax as dx

    import_s = time.perf_counter() - t0
    rss0 = C.rss_mib()
    t0 = time.perf_counter()
    branches = netmodels.ca1_template(
        None if args.max_depth < 0 else args.max_depth, args.max_length_um
    )
    net, keys, stim = build(dx, args, branches)
    t1 = time.perf_counter()
    system = dx.compile(net, 0.025, args.tstop_ms)
    jax.block_until_ready(system)
    t2 = time.perf_counter()
    n_steps = int(system.n_steps)
    result = {
        "simulator": "dendrax",
        "mode": args.mode,
        "n_cells": int(net.n_cells),
        "comps_per_cell": int(sum(b["ncomp"] for b in branches)),
        "n_compartments": int(system.n_comp),
        "n_synapses": int(net.n_synapses),
        "n_connections": int(net.n_connections),
        "n_steps": n_steps,
        "in_degree": args.in_degree,
        "syn_per_cell": args.syn_per_cell,
        "import_s": import_s,
        "rss_after_import_mib": rss0,
        "build_s": t1 - t0,
        "compile_system_s": t2 - t1,
        "rss_after_compile_system_mib": C.rss_mib(),
    }
    if args.write_json:
        tj = time.perf_counter()
        write_json(args.write_json, net, branches, args, stim)
        result["write_json_s"] = time.perf_counter() - tj
    if args.build_only:
        C.report(result)
        return
    if args.mode == "forward":
        fn, arg = jax.jit(dx.simulate), system
    else:

        def loss(ws):
            s = eqx.tree_at(lambda s: [ib.weight_uS for ib in s.events.inboxes], system, ws)
            res = dx.simulate(s, checkpoint_levels=args.checkpoint_levels)
            v = jnp.stack([res[k] for k in keys])
            return jnp.mean((v + 65.0) ** 2)

        fn = jax.jit(jax.value_and_grad(loss))
        arg = [ib.weight_uS for ib in system.events.inboxes]
    t0 = time.perf_counter()
    lowered = fn.lower(arg)
    t1 = time.perf_counter()
    compiled = lowered.compile()
    t2 = time.perf_counter()
    result.update(trace_s=t1 - t0, xla_compile_s=t2 - t1)
    t0 = time.perf_counter()
    out = jax.block_until_ready(compiled(arg))
    result["first_run_s"] = time.perf_counter() - t0
    times = C.time_repeats(lambda: jax.block_until_ready(compiled(arg)), args.repeats - 1)
    times = [result["first_run_s"]] + times  # compiled ahead: the first run is a run
    med = statistics.median(times)
    result["us_per_step"] = med / n_steps * 1e6
    result["ns_per_comp_step"] = med / (n_steps * result["n_compartments"]) * 1e9
    if args.mode == "forward":
        spikes = np.asarray(out.spikes)
        result["spikes_total"] = int(spikes.sum())
        result["rate_hz"] = float(spikes.sum() / net.n_cells / (args.tstop_ms / 1000.0))
        result["spikes_dtype"] = str(spikes.dtype)
        result["result_bytes"] = int(
            sum(np.asarray(x).nbytes for x in jax.tree_util.tree_leaves(out))
        )
        if args.spikes:
            cells = np.asarray(out.spike_cells)
            t = np.asarray(out.t)[: spikes.shape[0]]
            per = [t[spikes[:, k] > 0.5] for k in range(spikes.shape[1])]
            np.savez(
                args.spikes,
                cells=cells,
                counts=np.asarray([x.size for x in per]),
                **{f"cell{int(c)}": x for c, x in zip(cells, per)},
            )
    else:
        val, g = out
        flat = np.concatenate([np.ravel(np.asarray(x)) for x in g])
        result.update(
            loss=float(val),
            grad_size=int(flat.size),
            grad_norm=float(np.linalg.norm(flat)),
            grad_finite=bool(np.isfinite(flat).all()),
            grad_s=med,
        )
    C.report(result, None, times)


if __name__ == "__main__":
    main()
