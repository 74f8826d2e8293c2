"""Hay et al. (2011)'s layer-5b pyramidal cell: built from the bundled SWC, checked against
NEURON, and its 20 channel densities fitted by gradient descent and by CMA-ES.

1. **Model.** ``dendrax.models.hay_l5pc()``: the bundled ``l5pc_with_axon.swc`` with NEURON's
   Import3d sections, ``nseg = 1 + 2 int(L/40)``, the axon replaced by a 60 µm stub and
   ``L5PCbiophys3`` (regional densities, the apical Ih gradient and Ca hot zone); 34 °C,
   v_init -80 mV, dt 0.025 ms (docs/hay_l5pc.md).
2. **Against NEURON.** The protocols of ``tests/validation/hay/hay_neuron.py`` (a 0.793 nA
   somatic step; Hay's BAC protocol, a 1.9 nA 5 ms somatic pulse and 5 ms later an EPSP-shaped
   current at 620 µm on the apical tree, with Hay's 0.5 nA EPSP and with a 0.8 nA one, with and
   without the pulse; three short fit protocols) are simulated and compared with the NEURON
   traces stored in ``tests/validation/hay/hay_neuron.npz`` (same model, built in NEURON from
   the same rules with the project's own mod files): max |dV| and spike times.
3. **Fit.** The 20 conductance densities (10 somatic, 8 apical of which Ih, Ca_HVA and
   Ca_LVAst scale Hay's distributions, 2 basal) are fitted to the NEURON recording of the
   three fit protocols (soma and dendrite), from a start perturbed by random factors in
   [1/2, 2] (fixed seed), each density bounded to [1/10, 10] x its published value on a log
   scale (``Sigmoid`` of the logarithm). The loss (mV²) is the trace MSE plus
   ``feature_weight`` x the MSE of 5 ms window means and standard deviations. The gradient fit
   is ``dendrax.fit`` (Adam on ``jax.value_and_grad`` under ``jit``); CMA-ES (the ``cma``
   package, ``pip install cma``) minimises the same loss in the same unconstrained space from
   the same start, with the same wall time (and a cap on simulations).

One "simulation" is one evaluation of the loss: the three fit protocols, batched with
``jax.vmap``. Times exclude JIT compilation (reported separately).

Run: ``python examples/hay_l5pc.py`` (about an hour on two shared CPU cores), ``--quick``
(one short protocol, a few optimiser steps; < 2 min, used by tests/test_example_hay.py), or
``--no-fit``. Writes ``examples/results/hay_l5pc.json``, ``hay_l5pc.png`` (traces against
NEURON) and ``hay_l5pc_fit.png`` (``results/quick/`` with ``--quick``). ``--figures`` redraws
both figures from that JSON without refitting (the comparison is simulated again, and the fit
protocols once at each fitted set of densities; a few minutes).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

import dendrax as dx
from dendrax.mechanisms import hay
from dendrax.models import BIOPHYS3, COMPILE_OPTIONS, apical_site, epsp_current, hay_l5pc

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "tests" / "validation" / "hay" / "hay_neuron.npz"
RESULTS = Path(__file__).resolve().parent / "results"
DT_MS = 0.025
SITE_DISTANCE_UM = 620.0

# The fitted densities: (region, SUFFIX, parameter); apical Ih, Ca_HVA, Ca_LVAst are the scale
# factors of Hay's distributions (docs/hay_l5pc.md).
FITTED = tuple(
    [
        ("soma", s)
        for s in (
            "NaTa_t",
            "Nap_Et2",
            "K_Pst",
            "K_Tst",
            "SKv3_1",
            "SK_E2",
            "Ca_HVA",
            "Ca_LVAst",
            "Ih",
            "pas",
        )
    ]
    + [
        ("apical", s)
        for s in ("NaTa_t", "SKv3_1", "SK_E2", "Im", "pas", "Ih", "Ca_HVA", "Ca_LVAst")
    ]
    + [("basal", "Ih"), ("basal", "pas")]
)
CHANNEL = {m.name: m for m in hay.MECHANISMS} | {"pas": dx.Pas}
PARAMETER = {"pas": "g"} | {m.name: p for m in hay.MECHANISMS for p in m.parameters if "bar" in p}
DISTRIBUTED = ("Ih", "Ca_HVA", "Ca_LVAst")


@dataclasses.dataclass(frozen=True)
class Settings:
    """What to compare and the optimisers' budgets."""

    compare: tuple[str, ...] = (
        "step",
        "bac",
        "bac_ca",
        "epsp_ca",
        "fit_step",
        "fit_bac",
        "fit_hyper",
    )
    fit: bool = True
    fit_protocols: tuple[str, ...] = ("fit_step", "fit_bac", "fit_hyper")
    fit_t_stop_ms: float | None = None  # None: the protocols' own length (80 ms)
    seed: int = 0
    start_factor: float = 2.0  # start: published x random factors in [1/f, f] (log-uniform)
    bound_factor: float = 10.0  # bounds: published / b .. published x b
    adam_steps: int = 80
    learning_rate: float = 0.1
    feature_window_ms: float = 5.0
    feature_weight: float = 10.0
    cma_sigma0: float = 0.5
    cma_popsize: int | None = None  # None: cma's default 4 + 3 ln(n) = 12 for 20 parameters
    cma_max_sims: int = 3000
    cma_max_seconds: float | None = None  # None: the gradient fit's wall time


QUICK = Settings(
    compare=(),  # the fit protocol at the published values is compared instead (fit section)
    fit_protocols=("fit_bac",),
    fit_t_stop_ms=40.0,
    adam_steps=3,
    cma_popsize=4,
    cma_max_sims=8,
)


# --- reference, model, protocols ----------------------------------------------------------------


def load_reference(path: Path = REFERENCE) -> dict:
    """The NEURON traces (``tests/validation/hay/hay_neuron.py``) and their ``meta``."""
    with np.load(path) as z:
        ref = {k: z[k] for k in z.files}
    ref["meta"] = json.loads(str(ref.pop("meta_json")))
    return ref


def build_cell() -> tuple[dx.Cell, tuple[int, float]]:
    """Hay's L5PC with two current inputs (soma centre, the apical site at 620 µm) and the
    voltage recorded at both."""
    cell = hay_l5pc()
    site = apical_site(cell, SITE_DISTANCE_UM)
    cell.stimulate(dx.CurrentInput("i_soma"), at=(0, 0.5))
    cell.stimulate(dx.CurrentInput("i_dend"), at=site)
    cell.record("v", at=(0, 0.5), key="soma")
    cell.record("v", at=site, key="dend")
    return cell, site


def protocol_currents(protocol: dict, n_steps: int) -> dict[str, np.ndarray]:
    """The protocol's currents (nA) at the step midpoints, as NEURON samples them."""
    mid = (np.arange(n_steps) + 0.5) * DT_MS
    soma = sum((dx.IClamp(*step).at(mid) for step in protocol["soma"]), np.zeros(n_steps))
    dend = sum((epsp_current(mid, *e) for e in protocol["epsp"]), np.zeros(n_steps))
    return {"i_soma": soma, "i_dend": dend}


def compile_protocols(cell: dx.Cell, protocols: list[dict], t_stop_ms: float):
    """One System of ``t_stop_ms`` and the protocols' currents stacked, ``{name: (P, n)}``."""
    system = dx.compile(cell, DT_MS, t_stop_ms, **COMPILE_OPTIONS)
    currents = [protocol_currents(p, system.n_steps) for p in protocols]
    inputs = {k: jnp.asarray(np.stack([c[k] for c in currents])) for k in ("i_soma", "i_dend")}
    return system, inputs


@eqx.filter_jit
def simulate_batch(system: dx.System, inputs: dict) -> jax.Array:
    """Soma and dendrite voltage (mV), shape (protocols, 2, n_steps + 1)."""

    def one(i):
        result = dx.simulate(system, i)
        return jnp.stack([result["soma"], result["dend"]])

    return jax.vmap(one)(inputs)


# --- 2. against NEURON --------------------------------------------------------------------------


def compare_with_neuron(cell: dx.Cell, ref: dict, names: tuple[str, ...]) -> dict:
    """Simulate the protocols ``names`` (grouped by length) and compare with NEURON."""
    meta = ref["meta"]
    by_length: dict[float, list[str]] = {}
    for name in names:
        by_length.setdefault(meta["protocols"][name]["tstop"], []).append(name)
    out = {}
    for t_stop, group in by_length.items():
        protocols = [meta["protocols"][n] for n in group]
        system, inputs = compile_protocols(cell, protocols, t_stop)
        t0 = time.perf_counter()
        traces = np.asarray(simulate_batch(system, inputs))
        first_call_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        jax.block_until_ready(simulate_batch(system, inputs))
        run_s = time.perf_counter() - t0
        t = np.arange(system.n_steps + 1) * DT_MS
        for name, tr, protocol in zip(group, traces, protocols):
            first = round(protocol["store_from"] / DT_MS)
            row: dict = {"t_stop_ms": t_stop, "compared_from_ms": protocol["store_from"]}
            for k, key in enumerate(("soma", "dend")):
                if f"{name}__{key}" in ref:
                    row[f"max_abs_dv_{key}_mV"] = float(
                        np.max(np.abs(tr[k, first:] - ref[f"{name}__{key}"]))
                    )
            mine = dx.spike_times(t, tr[0])
            theirs = ref[f"{name}__spikes__soma"]
            row["spikes_dendrax_ms"] = [round(float(s), 4) for s in mine]
            row["spikes_neuron_ms"] = [round(float(s), 4) for s in theirs]
            row["max_spike_time_difference_ms"] = (
                float(np.max(np.abs(mine - theirs)))
                if mine.size == theirs.size and mine.size
                else (0.0 if mine.size == theirs.size else None)
            )
            row["batch_first_call_s"] = first_call_s
            row["batch_run_s"] = run_s
            row["traces"] = tr  # for the figure; dropped from the JSON
            out[name] = row
    return out


# --- 3. the fit ---------------------------------------------------------------------------------


def pname(region: str, suffix: str) -> str:
    return f"{suffix}_{region}"


def published() -> dict[str, float]:
    """The fitted densities' published values (S/cm²; for the distributed ones, the scale)."""
    return {pname(r, s): BIOPHYS3[r][s][PARAMETER[s]] for r, s in FITTED}


@dataclasses.dataclass(frozen=True)
class Problem:
    system: dx.System
    inputs: dict
    target: jax.Array  # (protocols, 2, n_steps + 1), NEURON, mV
    pmap: dx.ParameterMap
    shapes: dict  # the distributed densities per compartment at their published values
    truth: dict[str, float]
    transforms: dict[str, dx.Transform]
    t_stop_ms: float
    protocols: tuple[str, ...]


def build_problem(cell: dx.Cell, ref: dict, settings: Settings) -> Problem:
    meta = ref["meta"]
    protocols = [meta["protocols"][n] for n in settings.fit_protocols]
    t_stop = settings.fit_t_stop_ms or protocols[0]["tstop"]
    if any(p["tstop"] < t_stop or p["store_from"] != 0 for p in protocols):
        raise ValueError("the fit protocols must be stored from t = 0 and last t_stop_ms")
    system, inputs = compile_protocols(cell, protocols, t_stop)
    n = system.n_steps + 1
    target = jnp.asarray(
        np.stack(
            [
                np.stack([ref[f"{name}__soma"][:n], ref[f"{name}__dend"][:n]])
                for name in settings.fit_protocols
            ]
        )
    )
    trainables = [
        dx.Trainable(
            pname(r, s),
            (CHANNEL[s], PARAMETER[s]),
            where=r,
            sharing=dx.PerCompartment() if (r == "apical" and s in DISTRIBUTED) else dx.Shared(),
        )
        for r, s in FITTED
    ]
    pmap = dx.ParameterMap(system, trainables)
    init = pmap.init()
    truth = published()
    shapes = {
        pname("apical", s): init[pname("apical", s)] / truth[pname("apical", s)]
        for s in DISTRIBUTED
    }
    b = settings.bound_factor
    transforms: dict[str, dx.Transform] = {k: dx.LogSigmoid(v / b, v * b) for k, v in truth.items()}
    return Problem(
        system, inputs, target, pmap, shapes, truth, transforms, t_stop, settings.fit_protocols
    )


def apply(problem: Problem, params: dict) -> dx.System:
    """The System with the densities ``params`` (S/cm², one number each)."""
    values = {
        k: problem.shapes[k] * v if k in problem.shapes else jnp.reshape(v, (1,))
        for k, v in params.items()
    }
    return problem.pmap.apply(problem.system, values)


def features(traces: jax.Array, window: int) -> jax.Array:
    """Mean and standard deviation (mV) of windows of ``window`` samples (sample 0 dropped)."""
    x = traces[..., 1:]
    x = x[..., : (x.shape[-1] // window) * window].reshape(*x.shape[:-1], -1, window)
    return jnp.stack([x.mean(-1), jnp.sqrt(x.var(-1) + 1e-6)], axis=-1)


def loss_from_traces(traces, target, settings: Settings):
    """Trace MSE + feature_weight x window-feature MSE (mV²)."""
    window = round(settings.feature_window_ms / DT_MS)
    trace_mse = jnp.mean((traces - target) ** 2)
    feature_mse = jnp.mean((features(traces, window) - features(target, window)) ** 2)
    return trace_mse + settings.feature_weight * feature_mse


def make_loss(problem: Problem, settings: Settings, with_traces: bool = False):
    """``loss(params)`` (params physical, one number per density), pure JAX; with
    ``with_traces``, ``(loss, traces)``."""

    def loss(params):
        traces = simulate_batch(apply(problem, params), problem.inputs)
        value = loss_from_traces(traces, problem.target, settings)
        return (value, traces) if with_traces else value

    return loss


def perturbed_start(problem: Problem, settings: Settings) -> dict:
    rng = np.random.default_rng(settings.seed)
    f = math.log(settings.start_factor)
    return strong({k: v * math.exp(rng.uniform(-f, f)) for k, v in sorted(problem.truth.items())})


def strong(params: dict) -> dict:
    """float64 arrays that are not weakly typed: a Python float is traced as a weak type, and
    a jitted function called with both would compile twice."""
    return {k: jnp.asarray(v, dtype=jnp.float64) for k, v in params.items()}


def to_u(problem: Problem, params: dict) -> dict:
    return {k: problem.transforms[k].inverse(v) for k, v in params.items()}


def from_u(problem: Problem, u: dict) -> dict:
    return {k: problem.transforms[k].forward(v) for k, v in u.items()}


def fit_gradient(problem: Problem, start: dict, settings: Settings) -> dict:
    """``dendrax.fit`` with Adam (cosine-decaying learning rate) in the unconstrained space.
    Each step is one ``value_and_grad`` (one "gradient evaluation"); the first step's time
    includes the JIT compilation, which is estimated as its excess over the median step."""
    loss = make_loss(problem, settings)
    schedule = optax.cosine_decay_schedule(settings.learning_rate, settings.adam_steps, 0.1)
    stamps: list[float] = []
    t0 = time.perf_counter()

    def callback(step, value, params):
        stamps.append(time.perf_counter() - t0)

    result = dx.fit(
        loss,
        start,
        optax.adam(schedule),
        steps=settings.adam_steps,
        parameter_map=problem.transforms,
        progress=False,
        callback=callback,
    )
    steps = np.diff(np.concatenate([[0.0], stamps]))
    per_step = float(np.median(steps[1:])) if steps.size > 1 else float(steps[0])
    compile_s = max(float(steps[0]) - per_step, 0.0)
    elapsed = [s - compile_s for s in stamps]
    return {
        "params": {k: float(np.asarray(v)) for k, v in result.params.items()},
        "losses": [float(x) for x in result.history],
        "elapsed_s": elapsed,
        "final_loss": float(result.best_loss),
        "gradient_evaluations": len(result.history),
        "wall_s": elapsed[-1],
        "compile_s": compile_s,
        "per_gradient_evaluation_s": per_step,
    }


def fit_cma(problem: Problem, start: dict, settings: Settings, loss, max_seconds: float) -> dict:
    """CMA-ES (``cma``) from the same start in the same unconstrained space, on the same loss
    (``loss``: the jitted ``make_loss(..., with_traces=True)``), one candidate after the other."""
    import cma

    x0, unravel = ravel_pytree(to_u(problem, start))

    def evaluate(x):
        value = float(loss(from_u(problem, unravel(jnp.asarray(x, x0.dtype))))[0])
        return value if math.isfinite(value) else 1e12

    t0 = time.perf_counter()
    evaluate(np.asarray(x0))  # compile
    compile_s = time.perf_counter() - t0
    options = {"seed": settings.seed + 1, "verbose": -9, "tolfun": 0.0, "tolx": 0.0}
    if settings.cma_popsize is not None:
        options["popsize"] = settings.cma_popsize
    es = cma.CMAEvolutionStrategy(np.asarray(x0), settings.cma_sigma0, options)
    n_sims, best, best_x = 0, math.inf, np.asarray(x0)
    sims, bests, elapsed = [], [], []
    t0 = time.perf_counter()
    while n_sims < settings.cma_max_sims and (not elapsed or elapsed[-1] < max_seconds):
        candidates = es.ask()
        values = [evaluate(c) for c in candidates]
        es.tell(candidates, values)
        n_sims += len(candidates)
        i = int(np.argmin(values))
        if values[i] < best:
            best, best_x = values[i], np.asarray(candidates[i])
        sims.append(n_sims)
        bests.append(best)
        elapsed.append(time.perf_counter() - t0)
    params = from_u(problem, unravel(jnp.asarray(best_x, x0.dtype)))
    return {
        "params": {k: float(np.asarray(v)) for k, v in params.items()},
        "popsize": es.popsize,
        "simulations": sims,
        "best_losses": bests,
        "elapsed_s": elapsed,
        "final_loss": best,
        "wall_s": elapsed[-1],
        "compile_s": compile_s,
        "per_simulation_s": elapsed[-1] / n_sims,
    }


def relative_errors(truth: dict, params: dict) -> dict[str, float]:
    return {k: abs(params[k] - v) / v for k, v in truth.items()}


def first_reaching(costs, losses, level):
    hits = np.flatnonzero(np.minimum.accumulate(np.asarray(losses)) <= level)
    return None if hits.size == 0 else costs[int(hits[0])]


def run_fit(cell: dx.Cell, ref: dict, settings: Settings) -> tuple[dict, dict]:
    problem = build_problem(cell, ref, settings)
    start = perturbed_start(problem, settings)
    loss_jit = eqx.filter_jit(make_loss(problem, settings, with_traces=True))
    truth = strong(problem.truth)
    t0 = time.perf_counter()
    value_true, traces_true = jax.block_until_ready(loss_jit(truth))
    compile_forward_s = time.perf_counter() - t0
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        jax.block_until_ready(loss_jit(truth))
        times.append(time.perf_counter() - t0)
    t_forward = min(times)
    value_start = float(loss_jit(start)[0])
    traces_true = np.asarray(traces_true)
    target = np.asarray(problem.target)
    against_neuron = {
        f"max_abs_dv_{key}_mV": float(np.max(np.abs(traces_true[:, k] - target[:, k])))
        for k, key in enumerate(("soma", "dend"))
    }
    gd = fit_gradient(problem, start, settings)
    try:
        import cma  # noqa: F401
    except ImportError:
        cma_run = None
    else:
        budget = settings.cma_max_seconds or gd["wall_s"]
        cma_run = fit_cma(problem, start, settings, loss_jit, budget)
    truth = problem.truth
    start_f = {k: float(v) for k, v in start.items()}
    summary: dict = {
        "protocols": list(problem.protocols),
        "t_stop_ms": problem.t_stop_ms,
        "n_parameters": len(truth),
        "published": truth,
        "loss_at_published_mV2": float(value_true),
        "published_against_neuron": against_neuron,
        "forward_loss_first_call_s": compile_forward_s,
        "start": {
            "params": start_f,
            "loss_mV2": value_start,
            "relative_errors": relative_errors(truth, start_f),
        },
        "forward_loss_s": t_forward,
        "gradient": {k: v for k, v in gd.items() if k not in ("losses", "elapsed_s")}
        | {
            "relative_errors": relative_errors(truth, gd["params"]),
            "gradient_over_forward": gd["per_gradient_evaluation_s"] / t_forward,
            "curve": {"loss_mV2": gd["losses"], "elapsed_s": gd["elapsed_s"]},
        },
    }
    if cma_run is not None:
        summary["cma_es"] = {
            k: v for k, v in cma_run.items() if k not in ("simulations", "best_losses", "elapsed_s")
        } | {
            "n_simulations": cma_run["simulations"][-1],
            "relative_errors": relative_errors(truth, cma_run["params"]),
            "curve": {
                "simulations": cma_run["simulations"],
                "best_loss_mV2": cma_run["best_losses"],
                "elapsed_s": cma_run["elapsed_s"],
            },
            "to_reach_gradient_final_loss": {
                "simulations": first_reaching(
                    cma_run["simulations"], cma_run["best_losses"], gd["final_loss"]
                ),
                "wall_s": first_reaching(
                    cma_run["elapsed_s"], cma_run["best_losses"], gd["final_loss"]
                ),
            },
        }
        summary["gradient"]["to_reach_cma_final_loss"] = {
            "gradient_evaluations": first_reaching(
                list(range(1, len(gd["losses"]) + 1)), gd["losses"], cma_run["final_loss"]
            ),
            "wall_s": first_reaching(gd["elapsed_s"], gd["losses"], cma_run["final_loss"]),
        }
    return summary, {"problem": problem, "loss_jit": loss_jit}


# --- figures ------------------------------------------------------------------------------------


def plot_comparison(comparison: dict, ref: dict, path: Path) -> None:
    """Left: NEURON (thick, light) and dendrax (thin) voltages; right: |dendrax - NEURON|."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(comparison)
    fig, axes = plt.subplots(len(names), 2, figsize=(11, 1.9 * len(names)), squeeze=False)
    for row, name in zip(axes, names):
        c = comparison[name]
        tr = c["traces"]
        first = round(c["compared_from_ms"] / DT_MS)
        t = np.arange(tr.shape[-1]) * DT_MS
        ax = row[0]
        for k, key in enumerate(("soma", "dend")):
            if f"{name}__{key}" not in ref:
                continue
            theirs = ref[f"{name}__{key}"]
            mine = tr[k, first : first + theirs.size]
            tt = t[first : first + theirs.size]
            ax.plot(tt, theirs, lw=3, alpha=0.3, color=f"C{k}", label=f"{key}, NEURON")
            ax.plot(tt, mine, lw=0.8, color=f"C{k}", label=f"{key}, dendrax")
            row[1].semilogy(tt, np.abs(mine - theirs) + 1e-16, lw=0.6, color=f"C{k}", label=key)
        ax.set_title(name, fontsize="small", loc="left")
        ax.set_ylabel("V (mV)")
        ax.legend(frameon=False, fontsize="x-small", loc="upper right", ncol=2)
        row[1].set_ylabel("|dV| (mV)")
        row[1].set_ylim(1e-16, 1e-7)
        row[1].legend(frameon=False, fontsize="x-small", loc="upper right", ncol=2)
    axes[0, 0].set_title(f"{names[0]}: membrane potential", fontsize="small", loc="left")
    axes[0, 1].set_title("|dendrax - NEURON| (1e-16 added for the log scale)", fontsize="small")
    for ax in axes[-1]:
        ax.set_xlabel("time (ms)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_fit(summary: dict, target: np.ndarray, fitted: dict[str, np.ndarray], path: Path) -> None:
    """Top two rows: the NEURON target (thick, light) and the fitted traces (soma, dendrite)
    of every fit protocol; bottom: best loss against wall time, and fitted / published."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    protocols = summary["protocols"]
    n_prot = len(protocols)
    n_col = max(n_prot, 2)
    fig = plt.figure(figsize=(4.2 * n_col, 9.5))
    grid = fig.add_gridspec(3, n_col)
    t = np.arange(target.shape[-1]) * DT_MS
    styles = {"gradient (Adam)": ("C3", "--"), "CMA-ES": ("k", ":")}
    for p, name in enumerate(protocols):
        for k, key in enumerate(("soma", "dendrite (620 µm)")):
            ax = fig.add_subplot(grid[k, p])
            ax.plot(t, target[p, k], lw=3, alpha=0.3, color=f"C{k}", label="NEURON, published")
            for label, traces in fitted.items():
                color, ls = styles[label]
                ax.plot(t, traces[p, k], lw=0.9, ls=ls, color=color, label=label)
            ax.set_title(f"{name}, {key}", fontsize="small", loc="left")
            ax.set_ylabel("V (mV)")
            ax.set_xlabel("time (ms)")
            if p == 0 and k == 0:
                ax.legend(frameon=False, fontsize="x-small")
    ax = fig.add_subplot(grid[2, 0])
    g = summary["gradient"]
    ax.semilogy(
        g["curve"]["elapsed_s"],
        np.minimum.accumulate(g["curve"]["loss_mV2"]),
        color="C3",
        label=f"gradient (Adam), {g['gradient_evaluations']} steps",
    )
    if "cma_es" in summary:
        c = summary["cma_es"]
        ax.semilogy(
            c["curve"]["elapsed_s"],
            c["curve"]["best_loss_mV2"],
            color="k",
            label=f"CMA-ES, {c['n_simulations']} simulations",
        )
    ax.semilogy([0.0], [summary["start"]["loss_mV2"]], "o", color="C7", label="start")
    ax.set_xlabel("wall time (s), compilation excluded")
    ax.set_ylabel("best loss so far (mV²)")
    ax.set_title("loss", fontsize="small", loc="left")
    ax.legend(frameon=False, fontsize="x-small")
    ax = fig.add_subplot(grid[2, 1:])
    names = list(summary["published"])
    x = np.arange(len(names))
    rows = [("start", summary["start"]["params"], "C7", "o")]
    rows.append(("gradient (Adam)", g["params"], "C3", "v"))
    if "cma_es" in summary:
        rows.append(("CMA-ES", summary["cma_es"]["params"], "k", "^"))
    for j, (label, params, color, marker) in enumerate(rows):
        ratio = [params[k] / summary["published"][k] for k in names]
        ax.scatter(x + 0.2 * (j - 1), ratio, s=14, color=color, marker=marker, label=label)
    b = summary.get("bound_factor", 10.0)
    ax.axhline(1.0, color="0.5", lw=0.8)
    ax.set_yscale("log")
    ax.set_ylim(1 / b, b)
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("fitted / published density")
    ax.set_title(f"densities (bounds 1/{b:g} to {b:g} x published)", fontsize="small", loc="left")
    ax.legend(frameon=False, fontsize="x-small", ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def fitted_traces(loss_jit, summary: dict) -> dict[str, np.ndarray]:
    """The fit protocols simulated at the gradient fit's and CMA-ES's best densities
    (``loss_jit``: the jitted ``make_loss(..., with_traces=True)``)."""
    out = {"gradient (Adam)": np.asarray(loss_jit(strong(summary["gradient"]["params"]))[1])}
    if "cma_es" in summary:
        out["CMA-ES"] = np.asarray(loss_jit(strong(summary["cma_es"]["params"]))[1])
    return out


def redraw_figures(out_dir: Path) -> dict:
    """Both figures from ``out_dir/hay_l5pc.json`` without refitting: the comparison protocols
    are simulated again (a few minutes), the fit figure takes its curves and densities from the
    JSON and simulates the fit protocols once at each fitted set. The JSON is not rewritten."""
    path = out_dir / "hay_l5pc.json"
    if not path.exists():
        raise FileNotFoundError(f"--figures: {path} does not exist; run the example first.")
    report = json.loads(path.read_text())
    saved = report["settings"]
    settings = Settings(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved.items()})
    ref = load_reference()
    cell, _ = build_cell()
    comparison = compare_with_neuron(cell, ref, settings.compare)
    for name, row in comparison.items():
        for k, v in row.items():
            if k.startswith("max_abs_dv"):
                print(f"{name:10s} {k}: {v:.3g} (JSON: {report['comparison'][name][k]:.3g})")
    if comparison:
        plot_comparison(comparison, ref, out_dir / "hay_l5pc.png")
    if "fit" in report:
        summary = report["fit"] | {"bound_factor": settings.bound_factor}
        problem = build_problem(cell, ref, settings)
        loss_jit = eqx.filter_jit(make_loss(problem, settings, with_traces=True))
        fitted = fitted_traces(loss_jit, summary)
        plot_fit(summary, np.asarray(problem.target), fitted, out_dir / "hay_l5pc_fit.png")
    return report


# --- main ---------------------------------------------------------------------------------------


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (< 2 min)")
    parser.add_argument("--no-fit", action="store_true", help="only compare with NEURON")
    parser.add_argument(
        "--figures",
        action="store_true",
        help="only redraw both figures from the results JSON in the output directory "
        "(no fit; reruns the comparison and one simulation per fitted set, a few minutes)",
    )
    parser.add_argument("--out", type=Path, help="output directory")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else Settings()
    if args.no_fit:
        settings = dataclasses.replace(settings, fit=False)
    out_dir = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.figures:
        return redraw_figures(out_dir)

    ref = load_reference()
    cell, site = build_cell()
    site_name = cell.geometry.branches[site[0]].name
    if site_name != ref["meta"]["site"]["section"]:
        raise RuntimeError(f"site {site_name} differs from NEURON's {ref['meta']['site']}")
    comparison = compare_with_neuron(cell, ref, settings.compare)
    report: dict = {
        "settings": dataclasses.asdict(settings),
        "model": {
            "n_compartments": cell.n_compartments,
            "n_branches": cell.geometry.n_branches,
            "site": {"branch": site_name, "x": site[1], "distance_um": SITE_DISTANCE_UM},
            "neuron": ref["meta"]["neuron_version"],
        },
        "comparison": {
            name: {k: v for k, v in row.items() if k != "traces"}
            for name, row in comparison.items()
        },
    }
    if comparison:
        plot_comparison(comparison, ref, out_dir / "hay_l5pc.png")
    for name, row in report["comparison"].items():
        dv = ", ".join(f"{k[11:15]} {v:.2g}" for k, v in row.items() if k.startswith("max_abs_dv"))
        print(f"{name:10s} max|dV| (mV): {dv}; spikes {row['spikes_dendrax_ms']}")
    if settings.fit:
        summary, extra = run_fit(cell, ref, settings)
        report["fit"] = summary
        problem = extra["problem"]
        fitted = fitted_traces(extra["loss_jit"], summary)
        plot_fit(
            summary | {"bound_factor": settings.bound_factor},
            np.asarray(problem.target),
            fitted,
            out_dir / "hay_l5pc_fit.png",
        )
        g = summary["gradient"]
        print(
            f"fit: start loss {summary['start']['loss_mV2']:.4g} mV², gradient "
            f"{g['final_loss']:.4g} after {g['gradient_evaluations']} evaluations "
            f"({g['wall_s']:.1f} s)"
        )
        if "cma_es" in summary:
            c = summary["cma_es"]
            print(
                f"      CMA-ES {c['final_loss']:.4g} after {c['n_simulations']} simulations "
                f"({c['wall_s']:.1f} s)"
            )
    (out_dir / "hay_l5pc.json").write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
