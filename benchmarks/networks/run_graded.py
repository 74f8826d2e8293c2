"""Run the graded-synapse network in dendrax or Jaxley 0.14: forward or gradient w.r.t. every
synaptic weight; print one JSON line.

``python benchmarks/networks/run_graded.py --sim dendrax|jaxley --mode forward|grad
[--cells 1000] [--p 0.1] [--tstop-ms 100] [--repeats 3] [--traces out.npz]``

The network: ``--cells`` single-compartment HH cells (a 20 x 20 µm cylinder; Jaxley's ``HH``
and dendrax's ``dx.HH`` with hh.mod's standard values, 6.3 °C), every ordered pair of distinct
cells connected with probability ``--p`` by a graded synapse from the pre cell's voltage into
the post cell (the same boolean matrix in both, from ``--seed``), Jaxley's
``IonotropicSynapse`` (gS 1e-4 µS, e_syn 0 mV, k_minus 0.025, v_th -35 mV, delta 10 mV, s
starting at 0.2) and dendrax's ``JaxleyIonotropicSynapse`` (the same equations and initial
state; ``Network.connect_graded`` with an ``EdgeList``), a 0.3 nA step from 5 ms into every
10th cell, the voltage of every 100th cell recorded; dt 0.025 ms, backward Euler, float64.

Jaxley: ``jx.Network`` of the cells, ``jx.connect.connectivity_matrix_connect`` with the
matrix, ``jax.jit(jx.integrate)``; gradient: ``edge("all").make_trainable("IonotropicSynapse_gS")``
(one value per synapse; its set-up takes ~30 ms per synapse, 126 s for 4,056, so by default the
same per-synapse values go in through ``edge("all").data_set("IonotropicSynapse_gS", w)``, the
traced route Jaxley offers, ``--jaxley-params``) and ``jx.integrate(...,
checkpoint_lengths=[80, 50])`` (4,000 steps).
dendrax: ``jax.jit(dx.simulate)``; gradient w.r.t. the synapse group's ``gS`` array (one per
synapse, swapped in with ``eqx.tree_at``) with two checkpoint levels
(``--checkpoint-levels``; ``simulate``'s default is one level below 1,000 steps). Loss:
mean over the recorded traces of (v + 65 mV)^2. Compiled ahead (``trace_s``:
``jax.jit(f).lower``, ``xla_compile_s``: ``.compile()``), then ``run_s`` / ``grad_s``: the
median of ``--repeats`` calls. Peak memory: the parent reads the process's ``ru_maxrss``
(``os.wait4``); run forward and gradient in separate processes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import _common as C  # noqa: E402
import _net  # noqa: E402,F401
import numpy as np  # noqa: E402

RADIUS_UM, LENGTH_UM = 10.0, 20.0
SYN = {"gS": 1e-4, "e_syn": 0.0, "k_minus": 0.025, "v_th": -35.0, "delta": 10.0}
STIM = (5.0, 0.3)  # onset (ms), amplitude (nA), to every 10th cell
V_TARGET = -65.0


def matrix(n: int, p: float, seed: int) -> np.ndarray:
    m = np.random.default_rng(seed).random((n, n)) < p
    np.fill_diagonal(m, False)
    return m


def stim_cells(n: int) -> np.ndarray:
    return np.arange(0, n, 10)


def rec_cells(n: int) -> np.ndarray:
    return np.arange(0, n, 100) if n >= 100 else np.arange(0, n, max(n // 10, 1))


def stim_per_step(n_steps: int, dt: float) -> np.ndarray:
    t_mid = (np.arange(n_steps) + 0.5) * dt
    return np.where(t_mid >= STIM[0], STIM[1], 0.0)


# --- dendrax --------------------------------------------------------------------------------


def dendrax_model(n, p, seed, tstop, dt):
    import dendrax as dx

    try:
        from dendrax.mechanisms.synapses import JaxleyIonotropicSynapse as Syn
    except ImportError as e:  # the graded synapses are newer than this script's first version
        raise SystemExit(f"this dendrax has no graded synapses ({e}); run a newer commit") from e
    m = matrix(n, p, seed)
    cell = dx.Cell([dx.BranchGeometry.cylinder(LENGTH_UM, 2 * RADIUS_UM, 1, kind="soma")])
    cell.insert(dx.HH())
    net = dx.Network()
    pop = net.add_cells(cell, n, name="hh")
    pre, post = np.nonzero(m)
    net.connect_graded(
        pop,
        pop,
        Syn(**SYN),
        at_pre=(0, 0.5),
        at_post=(0, 0.5),
        rule=dx.EdgeList(pre, post),
        name="graded",
    )
    for k in stim_cells(n):
        net.stimulate(dx.IClamp(STIM[0], 1e9, STIM[1]), int(k), (0, 0.5))
    for k in rec_cells(n):
        net.record("v", int(k), (0, 0.5), f"v{k}")
    system = dx.compile(net, dt, tstop)
    gi = next(i for i, g in enumerate(system.mechanisms) if g.mechanism_type is Syn)
    return dx, system, gi, int(m.sum())


def run_dendrax(args, result):
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    t0 = time.perf_counter()
    dx, system, gi, n_syn = dendrax_model(args.cells, args.p, args.seed, args.tstop_ms, args.dt)
    result["build_s"] = time.perf_counter() - t0
    result["n_synapses"] = n_syn
    result["n_compartments"] = int(system.n_comp)
    keys = [f"v{k}" for k in rec_cells(args.cells)]

    def traces(system):
        res = dx.simulate(system)
        return jnp.stack([res[k] for k in keys])

    if args.mode == "forward":
        fn = jax.jit(traces)
        arg = system
    else:
        w0 = system.mechanisms[gi].params["gS"]

        def loss(w):
            s = eqx.tree_at(lambda s: s.mechanisms[gi].params["gS"], system, w)
            res = dx.simulate(s, checkpoint_levels=args.checkpoint_levels)
            v = jnp.stack([res[k] for k in keys])
            return jnp.mean((v - V_TARGET) ** 2)

        fn = jax.jit(jax.value_and_grad(loss))
        arg = w0
    return fn, arg, jax


# --- Jaxley ---------------------------------------------------------------------------------


def run_jaxley(args, result):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import jaxley as jx
    from jaxley.channels import HH
    from jaxley.connect import connectivity_matrix_connect
    from jaxley.synapses import IonotropicSynapse

    n, dt = args.cells, args.dt
    n_steps = int(round(args.tstop_ms / dt))
    t0 = time.perf_counter()
    m = matrix(n, args.p, args.seed)
    comp = jx.Compartment()
    cell = jx.Cell([jx.Branch(comp, ncomp=1)], parents=[-1])
    net = jx.Network([cell for _ in range(n)])
    net.insert(HH())
    net.set("radius", RADIUS_UM)
    net.set("length", LENGTH_UM)
    net.set("axial_resistivity", 100.0)
    net.set("capacitance", 1.0)
    net.set("v", -65.0)
    connectivity_matrix_connect(net.cell("all"), net.cell("all"), IonotropicSynapse(), m)
    for k, v in SYN.items():
        net.set(f"IonotropicSynapse_{k}", v)
    net.init_states()
    net.cell(list(stim_cells(n))).branch(0).comp(0).stimulate(
        stim_per_step(n_steps, dt), verbose=False
    )
    net.cell(list(rec_cells(n))).branch(0).comp(0).record("v", verbose=False)
    if args.mode == "grad" and args.jaxley_params == "make_trainable":
        net.IonotropicSynapse.edge("all").make_trainable("IonotropicSynapse_gS", verbose=False)
    result["build_s"] = time.perf_counter() - t0
    result["n_synapses"] = int(m.sum())
    result["n_edges"] = int(len(net.edges))
    result["n_compartments"] = int(len(net.nodes))
    params = net.get_parameters()

    if args.mode == "forward":

        def fwd(params):
            return jx.integrate(
                net, params=params, delta_t=dt, t_max=args.tstop_ms, solver="bwd_euler"
            )

        return jax.jit(fwd), params, jax

    ck = args.jaxley_checkpoint
    result["checkpoint_lengths"] = ck
    result["jaxley_params"] = args.jaxley_params
    if args.jaxley_params == "make_trainable":

        def loss(params):
            v = jx.integrate(
                net,
                params=params,
                delta_t=dt,
                t_max=args.tstop_ms,
                solver="bwd_euler",
                checkpoint_lengths=ck,
            )
            return jnp.mean((v - V_TARGET) ** 2)

        return jax.jit(jax.value_and_grad(loss)), params, jax
    w0 = jnp.full(int(m.sum()), SYN["gS"])
    # data_set outside jit (its indices must stay concrete); only "val" is traced
    state0 = net.IonotropicSynapse.edge("all").data_set("IonotropicSynapse_gS", w0, None)

    def loss_w(w):
        state = [{**state0[0], "val": w}]
        v = jx.integrate(
            net,
            param_state=state,
            delta_t=dt,
            t_max=args.tstop_ms,
            solver="bwd_euler",
            checkpoint_lengths=ck,
        )
        return jnp.mean((v - V_TARGET) ** 2)

    return jax.jit(jax.value_and_grad(loss_w)), w0, jax


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim", choices=("dendrax", "jaxley"), required=True)
    ap.add_argument("--mode", choices=("forward", "grad"), default="forward")
    ap.add_argument("--cells", type=int, default=1000)
    ap.add_argument("--p", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tstop-ms", type=float, default=100.0)
    ap.add_argument("--dt", type=float, default=0.025)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--checkpoint-levels",
        type=int,
        default=2,
        help="dendrax checkpoint levels (2, like Jaxley's two checkpoint_lengths; "
        "simulate's own default is 1 level below 1,000 steps)",
    )
    ap.add_argument(
        "--jaxley-checkpoint",
        type=int,
        nargs="+",
        default=None,
        help="Jaxley checkpoint_lengths (default: two levels, product = steps)",
    )
    ap.add_argument(
        "--jaxley-params",
        choices=("data_set", "make_trainable"),
        default="data_set",
        help="how Jaxley gets one gS per synapse (make_trainable: minutes per "
        "thousand synapses to set up)",
    )
    ap.add_argument("--traces", help="write the recorded traces (forward) or the gradient (npz)")
    args = ap.parse_args()
    n_steps = int(round(args.tstop_ms / args.dt))
    if args.jaxley_checkpoint is None:
        a = int(round(np.sqrt(n_steps)))
        while n_steps % a:
            a -= 1
        args.jaxley_checkpoint = [n_steps // a, a]  # 4,000 steps: [80, 50]
    t0 = time.perf_counter()
    result: dict = {
        "simulator": args.sim,
        "mode": args.mode,
        "n_cells": args.cells,
        "p": args.p,
        "n_steps": n_steps,
    }
    fn, arg, jax = (run_dendrax if args.sim == "dendrax" else run_jaxley)(args, result)
    result["import_and_build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    lowered = fn.lower(arg)
    t1 = time.perf_counter()
    compiled = lowered.compile()
    t2 = time.perf_counter()
    result.update(trace_s=t1 - t0, xla_compile_s=t2 - t1, compile_s=t2 - t0)
    t0 = time.perf_counter()
    out = jax.block_until_ready(compiled(arg))
    result["first_run_s"] = time.perf_counter() - t0
    with C.PeakMemory() as mem:
        times = C.time_repeats(lambda: jax.block_until_ready(compiled(arg)), args.repeats - 1)
    times = [result["first_run_s"]] + times  # compiled ahead: the first call is a plain run
    result["run_peak_mib"] = mem.peak_mib
    med = statistics.median(times)
    result["us_per_step"] = med / n_steps * 1e6
    if args.mode == "forward":
        v = np.asarray(out)
        result["trace_shape"] = list(v.shape)
        result["spikes_recorded"] = int(((v[:, :-1] < 0) & (v[:, 1:] >= 0)).sum())
        if args.traces:
            np.savez(args.traces, v=v)
    else:
        val, g = out
        flat = np.concatenate([np.ravel(np.asarray(x)) for x in jax.tree_util.tree_leaves(g)])
        result.update(
            loss=float(val),
            grad_norm=float(np.linalg.norm(flat)),
            grad_size=int(flat.size),
            grad_finite=bool(np.isfinite(flat).all()),
        )
        result["grad_s"] = med
        if args.traces:
            np.savez(args.traces, grad=flat, loss=float(val))
    result["version"] = (
        __import__("jaxley").__version__
        if args.sim == "jaxley"
        else __import__("dendrax").__version__
    )
    C.report(result, None, times)


if __name__ == "__main__":
    main()
