"""Fit 13 parameters of a reconstructed pyramidal cell by gradient descent, and compare with
CMA-ES on the same loss.

The cell is the bundled rat neocortical pyramidal cell ``c91662.swc`` (soma, axon, basal and
apical dendrites; 354 compartments by the d_lambda rule with d_lambda = 0.5) with NEURON's
``hh`` channel in every region. The trainable parameters are ``gnabar``, ``gkbar`` and ``gl``
(S/cm²) in each of the four regions and the leak reversal potential ``el`` (mV) of the whole
cell: 13 values, each behind a bound (a ``Sigmoid`` on a log scale for the conductances, a
linear one for ``el``).

1. A target is simulated with known ("true") parameters under three current-clamp protocols
   (a hyperpolarising and a depolarising step into the soma, a depolarising step into the
   apical trunk), recording the membrane potential (mV) at five sites.
2. The gradient fit starts from a random point inside the bounds (fixed seed) and minimises
   the loss with ``jax.value_and_grad`` under ``jit`` in the unconstrained space: Adam first,
   then L-BFGS (both from optax).
3. CMA-ES (the ``cma`` package) starts from the same point in the same space and minimises the
   same loss, its population evaluated in one ``jax.vmap``-batched call per generation, until
   it reaches the loss the gradient fit reached (or a budget of simulations / time).

The loss (mV²) is the mean squared error of the traces plus ``feature_weight`` times the mean
squared error of window features (mean and standard deviation of every trace in 5 ms windows),
which are smooth in the spike times and keep the fit out of the flat regions that plain trace
MSE has when spikes are misplaced.

One "simulation" is one evaluation of the loss: all three protocols (batched with ``vmap``).
Times exclude JIT compilation (each function is compiled and run once before timing).

Run: ``python examples/fit_pyramidal_cell.py`` (10-20 minutes on two CPU cores), or
``--quick`` for a small smoke run (a coarse cell, 12 ms, tiny budgets). Writes
``examples/results/fit_pyramidal_cell.{json,png}`` (``results/quick/`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from importlib import resources
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

import dendrax as dx

REGIONS = ("soma", "axon", "basal", "apical")
DENSITIES = ("gnabar", "gkbar", "gl")  # fitted per region

# Parameters that make the target: channel densities (S/cm²) per region, and the leak reversal
# potential (mV), one value for the whole cell.
TRUE_DENSITIES = {
    "soma": {"gnabar": 0.12, "gkbar": 0.036, "gl": 3.0e-4},
    "axon": {"gnabar": 0.25, "gkbar": 0.05, "gl": 2.0e-4},
    "basal": {"gnabar": 0.03, "gkbar": 0.01, "gl": 1.0e-4},
    "apical": {"gnabar": 0.04, "gkbar": 0.012, "gl": 1.5e-4},
}
TRUE_EL_MV = -64.0

# Physiological ranges, the same in every region (conductances searched on a log scale).
BOUNDS = {
    "gnabar": (0.005, 0.5),
    "gkbar": (0.001, 0.2),
    "gl": (2.0e-5, 2.0e-3),
    "el": (-80.0, -50.0),
}
LOG_SCALED = ("gnabar", "gkbar", "gl")


@dataclasses.dataclass(frozen=True)
class Settings:
    """Problem size and optimiser budgets."""

    d_lambda: float = 0.5  # NEURON's d_lambda rule at 100 Hz: larger = fewer compartments
    t_stop_ms: float = 40.0
    dt_ms: float = 0.025
    stim_delay_ms: float = 5.0
    stim_dur_ms: float = 30.0
    amps_nA: tuple[float, float, float] = (-0.3, 0.6, 0.6)  # soma -, soma +, apical +
    seed: int = 0
    init_range: float = 2.0  # initial unconstrained values uniform in [-r, r]
    adam_steps: int = 100  # first phase: Adam, robust far from the optimum
    adam_learning_rate: float = 0.1
    gd_max_evaluations: int = 500  # Adam steps + L-BFGS gradient evaluations
    gd_stop_loss: float = 1e-3  # mV²: stop when the loss is this low (trace RMS ~0.03 mV)
    cma_sigma0: float = 1.0
    cma_popsize: int | None = None  # None: cma's default 4 + 3 ln(n)
    cma_max_sims: int = 10000
    cma_max_seconds: float = 900.0
    checkpoint_levels: int | None = None  # dendrax default: 2 levels from 1,000 steps
    feature_window_ms: float = 5.0
    feature_weight: float = 10.0


QUICK = Settings(
    d_lambda=2.0,
    t_stop_ms=12.0,
    stim_delay_ms=1.0,
    stim_dur_ms=10.0,
    adam_steps=10,
    gd_max_evaluations=20,
    cma_max_sims=150,
    cma_max_seconds=60.0,
)


def bound(quantity: str) -> dx.Transform:
    lo, hi = BOUNDS[quantity]
    if quantity in LOG_SCALED:
        return dx.LogSigmoid(lo, hi)
    return dx.Sigmoid(lo, hi)


# --- the model ----------------------------------------------------------------------------------


class Simulator(eqx.Module):
    """The compiled model, the parameter map and the protocols: one pytree, passed to jitted
    functions as an argument (its arrays are traced, not folded into the program)."""

    system: dx.System
    pmap: dx.ParameterMap
    currents_nA: jax.Array  # (n_protocols, n_steps, n_sites)
    record_keys: tuple[str, ...] = eqx.field(static=True)
    checkpoint_levels: int | None = eqx.field(static=True)
    t_ms: jax.Array  # sample times of the traces
    window_starts_ms: jax.Array  # feature windows
    feature_window_ms: float = eqx.field(static=True)
    feature_weight: float = eqx.field(static=True)

    def traces(self, u: dict) -> jax.Array:
        """Voltage traces (mV), shape (n_protocols, n_records, n_steps + 1), for unconstrained
        parameters ``u``."""
        model = self.pmap.apply(self.system, self.pmap.from_unconstrained(u))

        def one(current):
            s = eqx.tree_at(lambda m: m.stimuli.current_nA, model, current)
            result = dx.simulate(s, checkpoint_levels=self.checkpoint_levels)
            return jnp.stack([result[k] for k in self.record_keys])

        return jax.vmap(one)(self.currents_nA)


@dataclasses.dataclass(frozen=True)
class Problem:
    """Everything the loss needs (``sim``, ``target``) and what the report describes."""

    sim: Simulator
    target: jax.Array  # (n_protocols, n_records, n_steps + 1), mV
    true_params: dict
    t_ms: np.ndarray
    n_compartments: int
    n_steps: int
    protocols: tuple[str, ...]


def _site(cell: dx.Cell, kind: str, fraction: float) -> tuple[int, float]:
    """(branch, x) of the thickest compartment of region ``kind`` near ``fraction`` of the
    region's largest path distance from the soma."""
    geom = cell.geometry
    distance = geom.path_distance_um()
    idx = np.flatnonzero(geom.kinds() == kind)
    goal = fraction * distance[idx].max()
    near = idx[np.abs(distance[idx] - goal) <= 0.1 * distance[idx].max()]
    if near.size == 0:
        near = idx[[np.argmin(np.abs(distance[idx] - goal))]]
    comp = int(near[np.argmax(geom.flat("diam_um")[near])])
    branch = int(geom.branch_of_compartment()[comp])
    j = comp - int(geom.offsets[branch])
    return branch, (j + 0.5) / int(geom.ncomp[branch])


def build_cell(settings: Settings):
    """The c91662 cell with hh in every region at the true values; stimulus sites and
    recordings placed (the stimulus amplitudes are set per protocol later)."""
    path = resources.files("dendrax") / "data" / "c91662.swc"
    with resources.as_file(path) as swc:
        morph = dx.read_swc(swc)
    policy = dx.DLambda(d_lambda=settings.d_lambda, frequency_hz=100.0, Ra_ohm_cm=100.0)
    cell = morph.to_cell(policy)
    cell.set_cable(Ra_ohm_cm=100.0, cm_uF_cm2=1.0)
    for region in REGIONS:
        cell.insert(dx.HH(**TRUE_DENSITIES[region], el=TRUE_EL_MV), where=cell.select(kind=region))
    soma = (0, 0.5)
    apical_stim = _site(cell, "apical", 0.3)
    # Zero-amplitude clamps only create the two injection sites; protocols set the currents.
    cell.stimulate(dx.IClamp(0.0, 0.0, 0.0), at=soma)
    cell.stimulate(dx.IClamp(0.0, 0.0, 0.0), at=apical_stim)
    recordings = {
        "soma": soma,
        "axon": _site(cell, "axon", 0.5),
        "basal": _site(cell, "basal", 0.5),
        "apical_proximal": apical_stim,
        "apical_distal": _site(cell, "apical", 0.6),
    }
    for key, at in recordings.items():
        cell.record("v", at=at, key=key)
    sites = {"soma": cell.compartment(soma), "apical": cell.compartment(apical_stim)}
    return cell, sites


def trainables() -> list[dx.Trainable]:
    """Three densities per region (12 values) and the leak reversal potential (1 value)."""
    per_region = [
        dx.Trainable(f"{q}_{region}", (dx.HH, q), where=region, transform=bound(q))
        for region in REGIONS
        for q in DENSITIES
    ]
    return per_region + [dx.Trainable("el", (dx.HH, "el"), transform=bound("el"))]


def protocol_currents(system: dx.System, sites: dict, settings: Settings) -> np.ndarray:
    """(n_protocols, n_steps, n_sites) injected currents (nA) at the step midpoints."""
    t_mid = (np.arange(system.n_steps) + 0.5) * settings.dt_ms
    order = [int(c) for c in np.asarray(system.stimuli.compartment)]
    amp_soma_neg, amp_soma_pos, amp_apical = settings.amps_nA
    plan = [("soma", amp_soma_neg), ("soma", amp_soma_pos), ("apical", amp_apical)]
    currents = np.zeros((len(plan), system.n_steps, len(order)))
    for p, (where, amp) in enumerate(plan):
        step = dx.IClamp(settings.stim_delay_ms, settings.stim_dur_ms, amp)
        currents[p, :, order.index(sites[where])] = step.at(t_mid)
    return currents


def build_problem(settings: Settings) -> Problem:
    cell, sites = build_cell(settings)
    system = dx.compile(cell, dt_ms=settings.dt_ms, t_stop_ms=settings.t_stop_ms)
    pmap = dx.ParameterMap(system, trainables())
    true_params = pmap.init()  # the model's values: the true ones
    sim = Simulator(
        system=system,
        pmap=pmap,
        currents_nA=jnp.asarray(protocol_currents(system, sites, settings)),
        record_keys=tuple(system.records.keys),
        checkpoint_levels=settings.checkpoint_levels,
        t_ms=jnp.arange(system.n_steps + 1) * settings.dt_ms,
        window_starts_ms=jnp.arange(0.0, settings.t_stop_ms - 1e-9, settings.feature_window_ms),
        feature_window_ms=settings.feature_window_ms,
        feature_weight=settings.feature_weight,
    )
    target = simulate_traces(sim, pmap.to_unconstrained(true_params))
    amps = settings.amps_nA
    return Problem(
        sim=sim,
        target=target,
        true_params=true_params,
        t_ms=np.arange(system.n_steps + 1) * settings.dt_ms,
        n_compartments=system.n_comp,
        n_steps=system.n_steps,
        protocols=(f"soma {amps[0]:+g} nA", f"soma {amps[1]:+g} nA", f"apical {amps[2]:+g} nA"),
    )


@eqx.filter_jit
def simulate_traces(sim: Simulator, u: dict) -> jax.Array:
    return sim.traces(u)


def window_features(traces: jax.Array, t_ms: jax.Array, starts_ms, window_ms: float):
    """Mean and standard deviation (mV) of every trace in the windows ``[t0, t0 + window_ms]``
    for ``t0`` in ``starts_ms``: shape (..., n_windows, 2). Smooth in the spike times."""

    def one(t0):
        window = (t0, t0 + window_ms)
        return jnp.stack(
            [
                dx.window_mean(traces, t_ms=t_ms, window_ms=window),
                dx.window_std(traces, t_ms=t_ms, window_ms=window),
            ],
            axis=-1,
        )

    return jnp.moveaxis(jax.vmap(one)(starts_ms), 0, -2)


def loss_terms(sim: Simulator, target: jax.Array, u: dict) -> tuple[jax.Array, jax.Array]:
    """(trace MSE, feature MSE), both in mV², over protocols, recording sites and time."""
    traces = sim.traces(u)
    trace_mse = jnp.mean((traces - target) ** 2)
    args = (sim.t_ms, sim.window_starts_ms, sim.feature_window_ms)
    feature_mse = jnp.mean((window_features(traces, *args) - window_features(target, *args)) ** 2)
    return trace_mse, feature_mse


def fit_loss(sim: Simulator, target: jax.Array, u: dict) -> jax.Array:
    """The loss both optimisers minimise (mV²): trace MSE + feature_weight * feature MSE."""
    trace_mse, feature_mse = loss_terms(sim, target, u)
    return trace_mse + sim.feature_weight * feature_mse


forward_loss = eqx.filter_jit(fit_loss)


def random_start(problem: Problem, settings: Settings) -> dict:
    """Unconstrained initial parameters, uniform in [-init_range, init_range] (fixed seed).

    With ``init_range = 2`` every value lies in the middle 76% of its bound's range (on a log
    scale for conductances): for ``gnabar``, 0.0087-0.29 S/cm²; for ``el``, -76 to -54 mV.
    """
    flat, unravel = ravel_pytree(problem.sim.pmap.to_unconstrained(problem.true_params))
    rng = np.random.default_rng(settings.seed)
    u0 = rng.uniform(-settings.init_range, settings.init_range, size=flat.shape)
    return unravel(jnp.asarray(u0, dtype=flat.dtype))


# --- the two optimisers -----------------------------------------------------------------------


def _median_time(fn, *args, repeats: int = 5) -> float:
    jax.block_until_ready(fn(*args))  # compile
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _strong(tree):
    """The same values without weak types (optax's initial L-BFGS state has some; the updated
    state has none, which would make the jitted step compile twice)."""
    return jax.tree_util.tree_map(lambda x: jnp.asarray(x, dtype=jnp.result_type(x)), tree)


def fit_gradient(problem: Problem, u0: dict, settings: Settings) -> dict:
    """Gradient-based fit in two phases, both on ``jax.value_and_grad`` of the loss under
    ``jit`` in the unconstrained space:

    1. ``adam_steps`` steps of Adam (cosine-decaying learning rate): robust while far from
       the optimum, where the loss is rough (spikes at the wrong times);
    2. L-BFGS (optax, zoom line search) until ``gd_max_evaluations`` gradient evaluations in
       all: it learns the strong correlations between parameters (condition number of the
       Gauss-Newton matrix ~1e5 here) that make Adam crawl near the optimum.

    Every ``value_and_grad`` (a forward and a reverse pass through the simulation) counts as one
    gradient evaluation, line-search trials included. ``losses[k]`` is the loss of the k-th
    point visited, known after ``evaluations[k]`` gradient evaluations. The fit stops at the
    first point with a loss <= ``gd_stop_loss`` or when ``gd_max_evaluations`` are spent; the
    final parameters get one extra forward evaluation (reported separately).
    """
    sim, target = problem.sim, problem.target
    schedule = optax.cosine_decay_schedule(
        settings.adam_learning_rate, max(settings.adam_steps, 1), 0.1
    )
    adam = optax.adam(schedule)
    lbfgs = optax.lbfgs(
        memory_size=20,
        linesearch=optax.scale_by_zoom_linesearch(
            max_linesearch_steps=15, initial_guess_strategy="one"
        ),
    )

    @eqx.filter_jit
    def adam_step(sim, target, u, state):
        value, grad = jax.value_and_grad(lambda u: fit_loss(sim, target, u))(u)
        updates, state = adam.update(grad, state, u)
        return optax.apply_updates(u, updates), state, value

    @eqx.filter_jit
    def lbfgs_step(sim, target, u, state):
        def f(u):
            return fit_loss(sim, target, u)

        value, grad = optax.value_and_grad_from_state(f)(u, state=state)
        updates, state = lbfgs.update(grad, state, u, value=value, grad=grad, value_fn=f)
        n_evals = optax.tree_utils.tree_get(state, "num_linesearch_steps")
        return optax.apply_updates(u, updates), state, value, n_evals

    # compile (not timed)
    adam_state = adam.init(u0)
    jax.block_until_ready(adam_step(sim, target, u0, adam_state))
    if settings.adam_steps < settings.gd_max_evaluations:
        jax.block_until_ready(lbfgs_step(sim, target, u0, _strong(lbfgs.init(u0))))
    jax.block_until_ready(forward_loss(sim, target, u0))

    u = u0
    evaluations, losses, elapsed, phases = [], [], [], []
    n = 0

    def record(value, phase):  # the loss of the current u, known after n evaluations
        evaluations.append(n)
        losses.append(float(value))  # synchronises: the wall time is real
        elapsed.append(time.perf_counter() - t0)
        phases.append(phase)
        return losses[-1] <= settings.gd_stop_loss

    t0 = time.perf_counter()
    done = False
    for _ in range(min(settings.adam_steps, settings.gd_max_evaluations)):
        u_new, adam_state, value = adam_step(sim, target, u, adam_state)
        n += 1
        if done := record(value, "adam"):
            break
        u = u_new
    lbfgs_state = _strong(lbfgs.init(u))
    first = True
    while not done and n < settings.gd_max_evaluations:
        u_new, lbfgs_state, value, n_ls = lbfgs_step(sim, target, u, lbfgs_state)
        if first:  # value_and_grad_from_state evaluated the starting point itself
            n += 1
            first = False
        if done := record(value, "lbfgs"):  # value: the loss of u, from the last line search
            break
        n += int(n_ls)
        u = u_new
    final = float(forward_loss(sim, target, u))
    wall = time.perf_counter() - t0
    evaluations.append(n)
    losses.append(final)
    elapsed.append(wall)
    phases.append("final")
    return {
        "u": u,
        "evaluations": evaluations,
        "losses": losses,
        "elapsed_s": elapsed,
        "phases": phases,
        "gradient_evaluations": n,
        "wall_s": wall,
        "final_loss": final,
    }


def fit_cma(problem: Problem, u0: dict, target_loss: float, settings: Settings) -> dict:
    """CMA-ES from the same start in the same space, until its best loss <= ``target_loss``
    or the simulation / time budget is spent.

    A generation's population is evaluated in one jitted call, batched either with
    ``jax.vmap`` or with ``jax.lax.map`` (one parameter set after the other inside XLA):
    both are compiled and timed, and the faster one is used, so that CMA-ES gets the cheapest
    simulations this machine offers (on CPU, ``lax.map`` has been the faster one).
    """
    import cma

    x0, unravel = ravel_pytree(u0)

    def one(sim, target, x):
        return fit_loss(sim, target, unravel(x))

    @eqx.filter_jit
    def batch_vmap(sim, target, xs):
        return jax.vmap(lambda x: one(sim, target, x))(xs)

    @eqx.filter_jit
    def batch_map(sim, target, xs):
        return jax.lax.map(lambda x: one(sim, target, x), xs)

    options = {"seed": settings.seed + 1, "verbose": -9, "tolfun": 0.0, "tolx": 0.0}
    if settings.cma_popsize is not None:
        options["popsize"] = settings.cma_popsize
    es = cma.CMAEvolutionStrategy(np.asarray(x0), settings.cma_sigma0, options)
    popsize = es.popsize
    dtype = x0.dtype
    probe = jnp.asarray(
        np.asarray(x0) + 0.5 * np.random.default_rng(0).standard_normal((popsize, x0.size)), dtype
    )
    batch_times = {
        name: _median_time(fn, problem.sim, problem.target, probe, repeats=2) / popsize
        for name, fn in (("vmap", batch_vmap), ("lax.map", batch_map))
    }
    batching = min(batch_times, key=batch_times.get)
    batch = batch_vmap if batching == "vmap" else batch_map

    def evaluate(xs):
        return batch(problem.sim, problem.target, xs)

    n_sims, best, best_x = 0, math.inf, np.asarray(x0)
    sims, bests, elapsed = [], [], []
    reached_at = None
    t0 = time.perf_counter()
    while True:
        candidates = es.ask()
        values = np.asarray(evaluate(jnp.asarray(np.stack(candidates), dtype)))
        values = np.where(np.isfinite(values), values, 1e12)
        es.tell(candidates, values.tolist())
        n_sims += popsize
        i = int(np.argmin(values))
        if values[i] < best:
            best, best_x = float(values[i]), np.asarray(candidates[i])
        sims.append(n_sims)
        bests.append(best)
        elapsed.append(time.perf_counter() - t0)
        if best <= target_loss:
            reached_at = {"simulations": n_sims, "wall_s": elapsed[-1]}
            break
        if n_sims >= settings.cma_max_sims or elapsed[-1] >= settings.cma_max_seconds:
            break
    return {
        "u": unravel(jnp.asarray(best_x, dtype)),
        "popsize": popsize,
        "batching": batching,
        "seconds_per_simulation_by_batching": batch_times,
        "simulations": sims,
        "best_losses": bests,
        "elapsed_s": elapsed,
        "wall_s": elapsed[-1],
        "final_loss": best,
        "reached_target": reached_at,
    }


# --- reporting ----------------------------------------------------------------------------------


def relative_errors(problem: Problem, u: dict) -> dict[str, float]:
    fitted = problem.sim.pmap.from_unconstrained(u)
    return {
        name: float(abs(fitted[name][0] - true[0]) / abs(true[0]))
        for name, true in problem.true_params.items()
    }


def physical(problem: Problem, u: dict) -> dict[str, float]:
    return {k: float(v[0]) for k, v in problem.sim.pmap.from_unconstrained(u).items()}


def first_reaching(costs, losses, level: float):
    """The first cost at which the best loss so far is <= level, or None."""
    hits = np.flatnonzero(np.minimum.accumulate(np.asarray(losses)) <= level)
    return None if hits.size == 0 else costs[int(hits[0])]


MILESTONES_MV2 = (1e3, 1e2, 1e1, 1.0, 1e-1, 1e-2, 1e-3)


def milestones(gd: dict, cma_run: dict, t_forward: float) -> list[dict]:
    """Cost of each method to first reach each loss level (None: not reached)."""
    rows = []
    for level in (*MILESTONES_MV2, gd["final_loss"]):
        n_gd = first_reaching(gd["evaluations"], gd["losses"], level)
        t_gd = first_reaching(gd["elapsed_s"], gd["losses"], level)
        rows.append(
            {
                "loss_mV2": level,
                "gradient_evaluations": n_gd,
                "gradient_wall_s": t_gd,
                "gradient_simulation_equivalents": None if t_gd is None else t_gd / t_forward,
                "cma_simulations": first_reaching(
                    cma_run["simulations"], cma_run["best_losses"], level
                ),
                "cma_wall_s": first_reaching(cma_run["elapsed_s"], cma_run["best_losses"], level),
            }
        )
    return rows


def summarise(problem, settings, u0, gd, cma_run, t_forward) -> dict:
    loss_terms_jit = eqx.filter_jit(loss_terms)

    def describe(u, loss_value):
        trace_mse, feature_mse = (float(x) for x in loss_terms_jit(problem.sim, problem.target, u))
        return {
            "loss_mV2": loss_value,
            "trace_mse_mV2": trace_mse,
            "feature_mse_mV2": feature_mse,
            "trace_rms_mV": math.sqrt(trace_mse),
            "parameters": physical(problem, u),
            "relative_errors": relative_errors(problem, u),
        }

    n_gd = gd["gradient_evaluations"]
    n_cma = cma_run["simulations"][-1]
    t_grad = gd["wall_s"] / n_gd
    t_batch = cma_run["wall_s"] / n_cma
    # Gradient descent's cost to reach the loss CMA-ES ended with (the reverse comparison).
    gd_evals_to_cma = first_reaching(gd["evaluations"], gd["losses"], cma_run["final_loss"])
    gd_wall_to_cma = first_reaching(gd["elapsed_s"], gd["losses"], cma_run["final_loss"])
    return {
        "settings": dataclasses.asdict(settings),
        "model": {
            "morphology": "c91662.swc",
            "n_compartments": problem.n_compartments,
            "n_steps": problem.n_steps,
            "dt_ms": settings.dt_ms,
            "protocols": list(problem.protocols),
            "recordings": list(problem.sim.record_keys),
            "n_parameters": len(problem.true_params),
        },
        "timing_s": {
            "forward_one_simulation": t_forward,
            "per_simulation_in_cma_batch": t_batch,
            "per_gradient_evaluation": t_grad,
            "gradient_evaluation_over_forward": t_grad / t_forward,
        },
        "true_parameters": {k: float(v[0]) for k, v in problem.true_params.items()},
        "cost_to_reach_loss": milestones(gd, cma_run, t_forward),
        "initial": describe(u0, float(forward_loss(problem.sim, problem.target, u0))),
        "gradient_descent": {
            "gradient_evaluations": n_gd,
            "adam_steps": min(settings.adam_steps, n_gd),
            "forward_evaluations": 1,
            "simulation_equivalents": gd["wall_s"] / t_forward,
            "wall_s": gd["wall_s"],
            **describe(gd["u"], gd["final_loss"]),
            "to_reach_cma_final_loss": {
                "gradient_evaluations": gd_evals_to_cma,
                "wall_s": gd_wall_to_cma,
                "simulation_equivalents": None
                if gd_wall_to_cma is None
                else gd_wall_to_cma / t_forward,
            },
            "curve": {
                "gradient_evaluations": gd["evaluations"],
                "loss_mV2": gd["losses"],
                "elapsed_s": gd["elapsed_s"],
                "phase": gd["phases"],
            },
        },
        "cma_es": {
            "popsize": cma_run["popsize"],
            "sigma0": settings.cma_sigma0,
            "batching": cma_run["batching"],
            "seconds_per_simulation_by_batching": cma_run["seconds_per_simulation_by_batching"],
            "simulations": n_cma,
            "wall_s": cma_run["wall_s"],
            **describe(cma_run["u"], cma_run["final_loss"]),
            "reached_gradient_descent_loss": cma_run["reached_target"],
            "curve": {
                "simulations": cma_run["simulations"],
                "best_loss_mV2": cma_run["best_losses"],
                "elapsed_s": cma_run["elapsed_s"],
            },
        },
    }


def plot(problem: Problem, gd: dict, cma_run: dict, summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fitted = np.asarray(simulate_traces(problem.sim, gd["u"]))
    target = np.asarray(problem.target)
    n_prot = target.shape[0]
    fig = plt.figure(figsize=(13, 8), constrained_layout=True)
    grid = fig.add_gridspec(2, n_prot * 2)
    for p in range(n_prot):
        ax = fig.add_subplot(grid[0, 2 * p : 2 * p + 2])
        for r, key in enumerate(problem.sim.record_keys):
            (line,) = ax.plot(problem.t_ms, target[p, r], lw=2.5, alpha=0.35)
            ax.plot(problem.t_ms, fitted[p, r], lw=0.9, ls="--", color=line.get_color(), label=key)
        ax.set_title(f"{problem.protocols[p]}: target (thick), fit (dashed)", fontsize="small")
        ax.set_xlabel("time (ms)")
        if p == 0:
            ax.set_ylabel("membrane potential (mV)")
            ax.legend(frameon=False, fontsize="x-small")
    t_forward = summary["timing_s"]["forward_one_simulation"]
    gd_best = np.minimum.accumulate(np.asarray(gd["losses"]))
    gd_evals = np.maximum(np.asarray(gd["evaluations"]), 1)
    gd_time = np.maximum(np.asarray(gd["elapsed_s"]), 1e-3)
    cma_sims = np.asarray(cma_run["simulations"])
    cma_best = np.asarray(cma_run["best_losses"])
    cma_time = np.asarray(cma_run["elapsed_s"])

    ax = fig.add_subplot(grid[1, :n_prot])
    ax.loglog(gd_evals, gd_best, color="C0", label="gradient (gradient evaluations)")
    ax.loglog(
        gd_time / t_forward,
        gd_best,
        color="C0",
        ls="--",
        label="gradient (wall time / forward time)",
    )
    ax.loglog(cma_sims, cma_best, color="C1", label="CMA-ES (simulations)")
    ax.axhline(gd["final_loss"], color="grey", lw=0.8, ls=":")
    ax.set_xlabel("simulations (one = the 3 protocols)")
    ax.set_ylabel("best loss so far (mV²)")
    ax.legend(frameon=False, fontsize="small")

    ax = fig.add_subplot(grid[1, n_prot:])
    ax.loglog(gd_time, gd_best, color="C0", label="gradient (Adam, then L-BFGS)")
    ax.loglog(
        cma_time,
        cma_best,
        color="C1",
        label=f"CMA-ES (population {cma_run['popsize']}, batched by {cma_run['batching']})",
    )
    ax.axhline(gd["final_loss"], color="grey", lw=0.8, ls=":")
    ax.set_xlabel("wall time (s), compilation excluded")
    ax.legend(frameon=False, fontsize="small")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(settings: Settings, out_dir: Path | None, log=print) -> dict:
    t_build = time.perf_counter()
    problem = build_problem(settings)
    u0 = random_start(problem, settings)
    log(
        f"cell: {problem.n_compartments} compartments, {problem.n_steps} steps of "
        f"{settings.dt_ms} ms, {len(problem.protocols)} protocols x "
        f"{len(problem.sim.record_keys)} recordings, {len(problem.true_params)} parameters "
        f"(built in {time.perf_counter() - t_build:.1f} s)"
    )
    t_forward = _median_time(forward_loss, problem.sim, problem.target, u0)
    log(f"one simulation (loss evaluation): {t_forward * 1e3:.0f} ms")

    gd = fit_gradient(problem, u0, settings)
    log(
        f"gradient: {gd['gradient_evaluations']} gradient evaluations, {gd['wall_s']:.1f} s, "
        f"loss {gd['losses'][0]:.4g} -> {gd['final_loss']:.4g} mV²"
    )
    cma_run = fit_cma(problem, u0, gd["final_loss"], settings)
    status = "reached" if cma_run["reached_target"] else "did not reach"
    log(
        f"CMA-ES: {cma_run['simulations'][-1]} simulations, {cma_run['wall_s']:.1f} s, best "
        f"loss {cma_run['final_loss']:.4g} mV²: {status} the gradient loss (population "
        f"batched by {cma_run['batching']}; s per simulation: "
        + ", ".join(
            f"{k} {v:.3f}" for k, v in cma_run["seconds_per_simulation_by_batching"].items()
        )
        + ")"
    )
    summary = summarise(problem, settings, u0, gd, cma_run, t_forward)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "fit_pyramidal_cell.json").write_text(json.dumps(summary, indent=1))
        plot(problem, gd, cma_run, summary, out_dir / "fit_pyramidal_cell.png")
        log(f"wrote {out_dir / 'fit_pyramidal_cell.json'} and fit_pyramidal_cell.png")
    return summary


def print_table(summary: dict) -> None:
    gd, ce = summary["gradient_descent"], summary["cma_es"]
    print(f"{'':<24}{'gradient':>14}{'CMA-ES':>14}")
    rows = [
        ("simulations", f"{gd['gradient_evaluations']} grad", f"{ce['simulations']}"),
        ("simulation-equivalents", f"{gd['simulation_equivalents']:.0f}", f"{ce['simulations']}"),
        ("wall time (s)", f"{gd['wall_s']:.1f}", f"{ce['wall_s']:.1f}"),
        ("loss (mV²)", f"{gd['loss_mV2']:.3g}", f"{ce['loss_mV2']:.3g}"),
        ("trace RMS (mV)", f"{gd['trace_rms_mV']:.3g}", f"{ce['trace_rms_mV']:.3g}"),
    ]
    for label, a, b in rows:
        print(f"{label:<24}{a:>14}{b:>14}")
    print(
        f"{'parameter':<16}{'true':>11}{'gradient':>11}{'rel.err':>9}{'CMA-ES':>11}{'rel.err':>9}"
    )
    for name, true in summary["true_parameters"].items():
        print(
            f"{name:<16}{true:>11.4g}{gd['parameters'][name]:>11.4g}"
            f"{gd['relative_errors'][name]:>9.2%}{ce['parameters'][name]:>11.4g}"
            f"{ce['relative_errors'][name]:>9.2%}"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny problem and budgets")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random start")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    settings = dataclasses.replace(QUICK if args.quick else Settings(), seed=args.seed)
    out = args.out if not args.quick else args.out / "quick"
    summary = run(settings, out)
    print_table(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
