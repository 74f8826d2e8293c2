"""Seconds per training step of the evidence-integration network, dendrax against Jaxley 0.14,
side by side in one run.

``python benchmarks/tasks/bench_evidence_jaxley.py [--quick] [--batch 16] [--dtype float32]
[--dt 0.1] [--repeats 3] [--out DIR]``

The network is the one of ``examples/evidence_integration.py`` (its ``FULL`` settings: 20
single-compartment HH cells, 16 excitatory and 4 inhibitory, all-to-all graded synapses, 2
passive readouts, 520 ms trials at dt 0.1 ms = 5,200 steps), built twice:

- dendrax: the example's own ``build_model`` with ``JaxleyIonotropicSynapse`` (Jaxley's
  equations and initial state ``s = 0.2``, so both simulators compute the same thing) in place
  of ``GradedSynapse``, trained quantities ``gS`` through the example's ``ParameterMap``;
- Jaxley: ``jx.Network`` of the same cells (``HH`` in the recurrent cells, ``Leak`` with
  g = 1e-4 S/cm², e = -65 mV in the readouts; radius 10 µm, length 20 µm, 1 µF/cm²),
  ``IonotropicSynapse`` edges from ``connectivity_matrix_connect`` with the same pairs, reversal
  0 / -75 mV, the example's ``v_th``, ``delta`` and ``k_minus``.

One training step is ``jax.value_and_grad`` of the example's loss (softmax cross-entropy of
the readouts' mean voltage in the response window) for one batch of trials, ``jax.vmap`` over
the batch, with respect to every trained quantity: the 420 synaptic conductances (softplus of
the optimiser's values), the 40 input weights and the 20 tonic currents (the input currents
are built from them inside the function; Jaxley gets them through ``data_stimulate``, and the
conductances through ``data_set``, its traced route). Checkpointing: dendrax's default for
``simulate`` (two levels from 1,000 steps), Jaxley ``checkpoint_lengths`` of two levels whose
product is the number of steps (65 x 80 at 5,200). Every simulator runs in its own fresh
process (import, build, compile, then ``--repeats`` timed steps on the same batch), and the
processes alternate ``--rounds`` times (dendrax, Jaxley, dendrax, Jaxley, ...) so that a
change in the machine's load hits both; reported: the median over every timed step of wall
time, and of process CPU time (which a busy machine disturbs less), and the load average
around every process. The parent checks
that the two computed the same loss and gradient (relative differences) and writes the times,
the ratio dendrax / Jaxley and the provenance to ``benchmarks/tasks/results.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
ROOT = BENCH.parent
EXAMPLE = ROOT / "examples" / "evidence_integration.py"
sys.path[:0] = [str(BENCH), str(BENCH / "networks")]
import _net  # noqa: E402
import _provenance as P  # noqa: E402

QUICK = {"n_rec": 8, "n_inh": 2, "stim_ms": 80.0, "response_ms": 20.0, "batch": 4}


def load_example():
    spec = importlib.util.spec_from_file_location("evidence_integration", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def two_levels(n: int) -> list[int]:
    """Two checkpoint lengths with product n (the factor pair closest to sqrt(n))."""
    a = int(round(n**0.5))
    while n % a:
        a -= 1
    return [n // a, a]


def problem(ev, s):
    """The shared inputs: initial unconstrained parameters (the example's seeded
    initialisation) and one batch of trials (seed 123)."""
    import numpy as np

    model = ev.build_model(s)
    u = ev.init_params(model, s)
    x, y = ev.make_trials(np.random.default_rng(123), s.batch, s)
    return model, u, x, y


def load_problem(args):
    """The shared inputs as written by the ``problem`` child: (u, x, y, arrays)."""
    import numpy as np

    init = np.load(Path(args.workdir) / "problem.npz")
    u = {
        "syn": {"g_rec": init["u_g_rec"], "g_out": init["u_g_out"]},
        "w_in": init["u_w_in"],
        "bias": init["u_bias"],
    }
    return u, init["x"], init["y"], init


def synapse_pairs(ev, s):
    """(pre, post) cell of every synapse of the example's network, in the order of the
    ParameterMap's two trainables (g_rec: onto recurrent cells, g_out: onto readouts)."""
    import numpy as np

    net = ev.build_network(s)
    pre = np.concatenate([p for _, p, _ in net.graded_links])
    post = np.concatenate([b.cells for b in net.synapse_batches])
    onto_rec = post < s.n_rec
    return (pre[onto_rec], post[onto_rec]), (pre[~onto_rec], post[~onto_rec])


# --- dendrax ----------------------------------------------------------------------------------


def run_dendrax(args, s, ev) -> tuple[dict, dict]:
    import jax
    import jax.numpy as jnp
    import numpy as np

    from dendrax.mechanisms.synapses import JaxleyIonotropicSynapse

    def make_synapse(e):
        return JaxleyIonotropicSynapse(
            gS=1e-4, e_syn=e, v_th=s.syn_v_th_mV, delta=s.syn_delta_mV, k_minus=s.syn_k_minus
        )

    t0 = time.perf_counter()
    model = ev.build_model(s, make_synapse, (JaxleyIonotropicSynapse, "gS"))
    build_s = time.perf_counter() - t0
    u, x, y, _ = load_problem(args)
    u = jax.tree_util.tree_map(jnp.asarray, u)
    x, y = jnp.asarray(x), jnp.asarray(y)

    def loss(u):
        return ev.loss_and_accuracy(model, u, x, y)[0]

    step = jax.jit(jax.value_and_grad(loss))
    out = time_it(step, u, args.repeats)
    value, grad = out.pop("result")
    g = {k: np.asarray(v) for k, v in grad["syn"].items()}
    g.update(w_in=np.asarray(grad["w_in"]), bias=np.asarray(grad["bias"]))
    return {"build_s": build_s, "n_steps": int(model.system.n_steps), **out}, {
        "loss": float(value),
        **g,
    }


# --- Jaxley -----------------------------------------------------------------------------------


def run_jaxley(args, s, ev) -> tuple[dict, dict]:
    import jax

    if s.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import jaxley as jx
    import numpy as np
    import optax
    from jaxley.channels import HH, Leak
    from jaxley.connect import connectivity_matrix_connect
    from jaxley.synapses import IonotropicSynapse

    # the example's trial set and initial parameters, computed by dendrax's module in a child
    # process (this one must not import dendrax: it switches on float64 globally)
    u, x, y, init = load_problem(args)
    n_rec, n_cells = s.n_rec, s.n_rec + 2
    n_exc = s.n_rec - s.n_inh
    t0 = time.perf_counter()
    comp = jx.Compartment()
    cell = jx.Cell(jx.Branch(comp, ncomp=1), parents=[-1])
    net = jx.Network([cell for _ in range(n_cells)])
    net.cell(list(range(n_rec))).insert(HH())
    net.cell([n_rec, n_rec + 1]).insert(Leak())
    net.set("radius", 10.0)
    net.set("length", 20.0)
    net.set("capacitance", 1.0)
    net.set("axial_resistivity", 100.0)
    net.cell([n_rec, n_rec + 1]).set("Leak_gLeak", 1e-4)
    net.cell([n_rec, n_rec + 1]).set("Leak_eLeak", -65.0)
    net.set("v", -65.0)
    # the same pairs as dendrax: every (pre, post) of g_rec, then of g_out
    pairs = [tuple(map(np.asarray, init[k])) for k in ("pairs_rec", "pairs_out")]
    edge_of = {}  # (pre, post) -> Jaxley edge index
    for pre, post in pairs:
        for lo, hi in ((0, n_exc), (n_exc, n_rec)):
            pre_ids = list(range(lo, hi))
            post_ids = sorted(set(post.tolist()))
            m = np.zeros((len(pre_ids), len(post_ids)), bool)
            for a, b in zip(pre.tolist(), post.tolist()):
                if lo <= a < hi:
                    m[a - lo, post_ids.index(b)] = True
            first = len(net.edges)
            connectivity_matrix_connect(
                net.cell(pre_ids), net.cell(post_ids), IonotropicSynapse(), m
            )
            i, j = np.nonzero(m)
            for k, (a, b) in enumerate(zip(i, j)):
                edge_of[(pre_ids[a], post_ids[b])] = first + k
    inh_edges = [e for (a, _), e in edge_of.items() if a >= n_exc]
    net.set("IonotropicSynapse_v_th", s.syn_v_th_mV)
    net.set("IonotropicSynapse_delta", s.syn_delta_mV)
    net.set("IonotropicSynapse_k_minus", s.syn_k_minus)
    net.IonotropicSynapse.edge(inh_edges).set("IonotropicSynapse_e_syn", ev.E_INH_MV)
    net.init_states()
    for c in (n_rec, n_rec + 1):
        net.cell(c).branch(0).comp(0).record("v", verbose=False)
    order = [np.array([edge_of[(a, b)] for a, b in zip(*p)]) for p in pairs]
    edge_index = np.concatenate(order)  # dendrax's synapse k is Jaxley's edge edge_index[k]
    build_s = time.perf_counter() - t0

    n_steps = int(round(s.t_stop_ms / s.dt_ms))
    t_mid = (np.arange(n_steps) + 0.5) * s.dt_ms
    step_bin = np.where(t_mid < s.stim_ms, np.floor(t_mid / s.bin_ms).astype(int), -1)
    t = np.arange(n_steps + 1) * s.dt_ms
    window = jnp.asarray((t > s.stim_ms + 1e-9).astype(float))
    ck = two_levels(n_steps)
    w0 = jnp.zeros(len(net.edges))
    # data_set outside jit (its indices stay concrete); only "val" is traced
    state0 = net.IonotropicSynapse.edge("all").data_set("IonotropicSynapse_gS", w0, None)
    stim_view = net.cell(list(range(n_rec))).branch(0).comp(0)
    x, y = jnp.asarray(x), jnp.asarray(y)
    u = jax.tree_util.tree_map(jnp.asarray, u)
    scale = s.current_scale_nA
    sb = jnp.asarray(step_bin)

    def readout(g_edges, w_in, bias, xi):
        per_bin = xi @ w_in.T  # (n_bins, n_rec) nA
        stim = jnp.where(sb[:, None] >= 0, per_bin[jnp.maximum(sb, 0)], 0.0) + bias
        data_stimuli = stim_view.data_stimulate(stim.T, None)
        state = [{**state0[0], "val": g_edges}]
        v = jx.integrate(
            net,
            param_state=state,
            data_stimuli=data_stimuli,
            delta_t=s.dt_ms,
            solver="bwd_euler",
            checkpoint_lengths=ck,
        )  # (2, n_steps + 1)
        return jnp.sum(v * window, axis=-1) / jnp.sum(window)

    def loss(u):
        g = jnp.concatenate(
            [jax.nn.softplus(u["syn"]["g_rec"]), jax.nn.softplus(u["syn"]["g_out"])]
        )
        g_edges = jnp.zeros(len(net.edges)).at[edge_index].set(g)
        w_in, bias = u["w_in"] * scale, u["bias"] * scale
        v = jax.vmap(lambda xi: readout(g_edges, w_in, bias, xi))(x)
        logits = v / s.temperature_mV
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, y))

    step = jax.jit(jax.value_and_grad(loss))
    out = time_it(step, u, args.repeats)
    value, grad = out.pop("result")
    g = {k: np.asarray(v) for k, v in grad["syn"].items()}
    g.update(w_in=np.asarray(grad["w_in"]), bias=np.asarray(grad["bias"]))
    return {
        "build_s": build_s,
        "n_steps": n_steps,
        "n_edges": int(len(net.edges)),
        "checkpoint_lengths": ck,
        **out,
    }, {"loss": float(value), **g}


# --- timing, child and parent -----------------------------------------------------------------


def time_it(fn, arg, repeats: int) -> dict:
    import jax

    t0 = time.perf_counter()
    compiled = fn.lower(arg).compile()
    compile_s = time.perf_counter() - t0
    result = jax.block_until_ready(compiled(arg))  # a first run (caches, allocations)
    wall, cpu = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        jax.block_until_ready(compiled(arg))
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "compile_s": compile_s,
        "step_s": statistics.median(wall),
        "step_s_all": wall,
        "step_cpu_s": statistics.median(cpu),
        "step_cpu_s_all": cpu,
        "result": result,
    }


def child(args) -> None:
    import numpy as np

    if args.child == "problem":  # the shared inputs, written by dendrax's module
        ev = load_example()
        s = settings(ev, args)
        model, u, x, y = problem(ev, s)
        (rec, out) = synapse_pairs(ev, s)
        np.savez(
            Path(args.workdir) / "problem.npz",
            x=x,
            y=y,
            u_g_rec=np.asarray(u["syn"]["g_rec"]),
            u_g_out=np.asarray(u["syn"]["g_out"]),
            u_w_in=np.asarray(u["w_in"]),
            u_bias=np.asarray(u["bias"]),
            pairs_rec=np.stack(rec),
            pairs_out=np.stack(out),
        )
        print(json.dumps({"n_synapses": int(rec[0].size + out[0].size)}))
        return
    if args.child == "dendrax":
        ev = load_example()
    else:  # only the dataclass and constants: importing the example would import dendrax
        ev = load_settings_only()
    s = settings(ev, args)
    run = run_dendrax if args.child == "dendrax" else run_jaxley
    t0 = time.perf_counter()
    result, arrays = run(args, s, ev)
    np.savez(Path(args.workdir) / f"{args.child}.npz", **arrays)
    import jax

    result.update(
        simulator=args.child,
        version=__import__("jaxley" if args.child == "jaxley" else "dendrax").__version__,
        jax=jax.__version__,
        dtype=s.dtype,
        loss=arrays["loss"],
        total_s=time.perf_counter() - t0,
    )
    print(json.dumps(result))


def load_settings_only():
    """The example's Settings and constants without importing dendrax (for the Jaxley child):
    the module's source up to its first dendrax use is plain dataclasses."""
    import types

    src = EXAMPLE.read_text(encoding="utf-8")
    head = src.split("# --- the task", 1)[0]
    head = head.replace("import dendrax as dx\n", "").replace(
        "from dendrax.mechanisms.synapses import GradedSynapse\n", ""
    )
    module = types.ModuleType("evidence_settings")
    sys.modules[module.__name__] = module
    exec(compile(head, str(EXAMPLE), "exec"), module.__dict__)
    return module


def settings(ev, args):
    s = ev.FULL
    changes = dict(QUICK) if args.quick else {}
    changes.update(dtype=args.dtype)
    if args.batch:
        changes["batch"] = args.batch
    if args.dt:
        changes["dt_ms"] = args.dt
    return dataclasses.replace(s, **changes)


def rel_diff(a, b) -> float:
    import numpy as np

    a, b = np.ravel(a), np.ravel(b)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-300))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="8 + 2 cells, 100 ms, batch 4")
    ap.add_argument("--batch", type=int, help="trials per step (default: the example's, 16)")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--dt", type=float, help="time step (ms; default: the example's, 0.1)")
    ap.add_argument("--repeats", type=int, default=3, help="timed steps per process")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved processes per simulator")
    ap.add_argument("--sims", nargs="+", choices=("dendrax", "jaxley"),
                    default=["dendrax", "jaxley"])  # fmt: skip
    ap.add_argument("--out", help="write results.json here (default benchmarks/tasks)")
    ap.add_argument("--platform", default="cpu")
    ap.add_argument("--child", choices=("problem", "dendrax", "jaxley"), help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    import numpy as np

    prov, t_start = P.provenance("task-evidence-jaxley"), time.perf_counter()
    work = _net.workdir(args.workdir)
    env = _net.child_env(args.platform)
    base = [sys.executable, str(Path(__file__).resolve()), "--workdir", str(work),
            "--dtype", args.dtype, "--repeats", str(args.repeats)]  # fmt: skip
    base += ["--quick"] if args.quick else []
    base += ["--batch", str(args.batch)] if args.batch else []
    base += ["--dt", str(args.dt)] if args.dt else []
    runs: dict = {"problem": _net.run_child(base + ["--child", "problem"], 1800, env)}
    rounds: list = []  # interleaved: dendrax, Jaxley, dendrax, Jaxley, ...
    for k in range(args.rounds):
        for sim in args.sims:
            print(f"round {k + 1}/{args.rounds}: {sim} ...", flush=True)
            load0 = P.loadavg()
            r = _net.run_child(base + ["--child", sim], 7200, env)
            r.update(sim=sim, round=k, loadavg_start=load0, loadavg_end=P.loadavg())
            rounds.append(r)
            if "error" in r:
                print("   ", r["error"], flush=True)
                continue
            print(f"    step {r['step_s']:.3f} s (cpu {r['step_cpu_s']:.3f} s), compile "
                  f"{r['compile_s']:.1f} s, loss {r['loss']:.6f}", flush=True)  # fmt: skip
    for sim in args.sims:  # every timed repeat of every round; the median of them all
        mine = [r for r in rounds if r["sim"] == sim]
        failed = [r for r in mine if "error" in r]
        if failed:
            runs[sim] = failed[0]
            continue
        runs[sim] = {
            **mine[-1],
            "step_s": statistics.median([t for r in mine for t in r["step_s_all"]]),
            "step_cpu_s": statistics.median([t for r in mine for t in r["step_cpu_s_all"]]),
            "step_s_per_round": [r["step_s"] for r in mine],
            "step_cpu_s_per_round": [r["step_cpu_s"] for r in mine],
            "compile_s_per_round": [r["compile_s"] for r in mine],
        }
    runs["rounds"] = rounds
    agreement = {}
    files = {sim: work / f"{sim}.npz" for sim in ("dendrax", "jaxley")}
    if all(f.exists() for f in files.values()) and not any("error" in runs[k] for k in args.sims):
        a, b = np.load(files["dendrax"]), np.load(files["jaxley"])
        agreement = {k: rel_diff(a[k], b[k]) for k in ("loss", "g_rec", "g_out", "w_in", "bias")}
    d, j = runs.get("dendrax", {}), runs.get("jaxley", {})
    ratio = _net.ratio(d.get("step_s"), j.get("step_s"))
    ratio_cpu = _net.ratio(d.get("step_cpu_s"), j.get("step_cpu_s"))
    s = settings(load_settings_only(), args)
    results = {
        "provenance": prov,
        "quick": args.quick,
        "config": {
            "n_rec": s.n_rec,
            "n_inh": s.n_inh,
            "readouts": 2,
            "t_stop_ms": s.t_stop_ms,
            "dt_ms": s.dt_ms,
            "batch": s.batch,
            "dtype": s.dtype,
            "repeats": args.repeats,
            "rounds": args.rounds,
            "platform": args.platform,
        },
        "runs": runs,
        "agreement_rel": agreement,
        "ratio_dendrax_over_jaxley": ratio,
        "ratio_cpu_dendrax_over_jaxley": ratio_cpu,
        "goal": "dendrax <= 0.5 x Jaxley seconds per training step",
        "goal_met": None if ratio is None else bool(ratio <= 0.5),
    }
    P.finish(prov, t_start)
    out = Path(args.out) if args.out else HERE
    out.mkdir(parents=True, exist_ok=True)
    stored = P.store_run(results, BENCH / "results" if not args.out else out)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(render(results))
    print(f"wrote {out / 'results.json'} and {stored}")


def render(results: dict) -> str:
    c, runs = results["config"], results["runs"]
    rows = []
    for sim in ("dendrax", "jaxley"):
        r = runs.get(sim)  # medians over every round's repeats
        if not r:
            continue
        if "error" in r:
            rows.append([sim, r["error"][:60], "", "", ""])
            continue
        rows.append([sim, _net.fmt(r["step_s"]), _net.fmt(r["step_cpu_s"]),
                     _net.fmt(r["compile_s"]), _net.fmt(r["loss"], ".6f")])  # fmt: skip
    lines = [
        f"Evidence-integration training step: {c['n_rec']} + 2 cells, {c['t_stop_ms']:g} ms at "
        f"dt {c['dt_ms']:g} ms, batch {c['batch']}, {c['dtype']}",
        "",
        _net.table(["simulator", "s / step (wall)", "s / step (CPU)", "compile s", "loss"], rows),
        "",
        f"dendrax / Jaxley: {_net.fmt(results['ratio_dendrax_over_jaxley'])} (wall), "
        f"{_net.fmt(results['ratio_cpu_dendrax_over_jaxley'])} (CPU); goal <= 0.5",
    ]
    if results["agreement_rel"]:
        agree = ", ".join(f"{k} {v:.1e}" for k, v in results["agreement_rel"].items())
        lines.append(f"same computation (max relative difference): {agree}")
    lines.append(_net.provenance_line(results))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
