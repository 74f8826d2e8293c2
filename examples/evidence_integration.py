"""Evidence integration with a recurrent network of Hodgkin-Huxley cells, trained by
backpropagation through the simulation (the task of Deistler et al. 2025, Nature Methods,
"Jaxley").

The task (``make_trials``). Each trial lasts ``stim_ms + response_ms`` (500 + 20 ms). During the
stimulus two evidence streams ``x_A(t)``, ``x_B(t)`` arrive, each piecewise constant in 10 ms
bins: ``x = mu + noise_std * N(0, 1)`` per bin, where the "correct" stream has the mean
``mean + gap / 2`` and the other ``mean - gap / 2`` (the correct one is drawn with probability
1/2). The network must report the stream with the larger mean: readout cell 0 for A, 1 for B.
At the default difficulty (gap / noise_std = 1 per bin) one bin decides correctly 76 % of the
time, the whole 500 ms (the ideal observer: the sign of the summed difference) 99.99997 %;
99.9 % needs about 200 ms of evidence, so the network must integrate (``observer_accuracy``
gives the ideal observer's accuracy for any window).

The network (``build_network``):

- 20 recurrent single-compartment cells with NEURON's ``hh`` (a 20 x 20 µm cylinder, 6.3 °C),
  16 excitatory and 4 inhibitory, connected all-to-all (no autapses, 380 synapses), and
  2 passive readout cells (``pas``, 10 ms membrane time constant) that receive from every
  recurrent cell (40 synapses).
- Graded synapses (``GradedSynapse``: Abbott-Marder conductance synapses with first-order
  kinetics, 40 ms unbinding time, starting at their steady state): reversal 0 mV from the
  excitatory cells, -75 mV from the inhibitory ones (Dale's law); one trainable maximal
  conductance per synapse (bounded positive by a softplus).
- Inputs: the two streams enter every recurrent cell as currents (nA), ``I_k(t) =
  w_kA x_A(t) + w_kB x_B(t) + b_k``, with trainable input weights ``w`` (signed) and a
  trainable tonic current ``b_k``; the streams are off in the response window.
- Decision: the readout with the larger mean voltage in the 20 ms response window. The loss is
  the softmax cross-entropy of ``mean voltage / temperature_mV`` over the two readouts.

Why single compartments: a 3-compartment version (``--ncomp 3``: soma with hh + a passive
2-compartment dendrite that receives the excitatory synapses) is built the same way; this task
does not use dendritic computation, and on two CPU cores every compartment costs training time
(the 3-compartment version is built and runs, but was not trained for the docs' results).

Training (``train``): optax Adam on minibatches of fresh trials, the batch simulated with
``jax.vmap`` and the gradient taken with ``dx.simulate``'s default checkpointing (two levels
from 1,000 steps: ~sqrt(n) stored states, one recomputed forward pass). Trial sets are drawn
from separate seeds: a stream for training, 200 validation trials (the best parameters by
validation loss are kept) and 1,000 test trials.

Run:

- ``python examples/evidence_integration.py --quick``: a CI smoke run (8 + 2 cells, 150 ms
  trials, an easier gap of 0.4, 30 steps of 8 trials; ~30 s on two cores); asserts that the
  loss falls and the accuracy on 200 held-out trials is above chance.
- ``python examples/evidence_integration.py``: the paper's size (20 + 2 cells, 520 ms trials);
  writes into ``examples/results/evidence_integration/``: ``params.npz`` (the trained
  parameters, ``load_params``), ``results.json`` (test accuracy on 1,000 trials, baselines,
  training time, simulations per second, seeds), ``trials.png``, ``network.png`` and
  ``training.png``.
- ``python examples/evidence_integration.py --evaluate PARAMS.npz``: only the test evaluation
  (and the figures) from saved parameters (writes ``evaluate/evaluation.json``).
- Options: ``--steps``, ``--batch``, ``--lr``, ``--eval-every``, ``--dtype``, ``--seed``,
  ``--ncomp``, ``--stim-ms``, ``--time-limit-min`` (stop training after that many minutes;
  the results record the steps that ran). During training ``params.npz`` (the best so far)
  and ``progress.json`` are rewritten at every validation.
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

import dendrax as dx
from dendrax.mechanisms.synapses import GradedSynapse

E_EXC_MV = 0.0  # reversal of excitatory synapses
E_INH_MV = -75.0  # of inhibitory synapses


@dataclasses.dataclass(frozen=True)
class Settings:
    """Network, task and training sizes (defaults: the full run)."""

    n_rec: int = 20  # recurrent cells
    n_inh: int = 4  # of which inhibitory (the last ones)
    ncomp: int = 1  # compartments per recurrent cell: 1, or 3 (soma + 2-comp dendrite)
    stim_ms: float = 500.0
    response_ms: float = 20.0
    dt_ms: float = 0.1
    dtype: str = "float64"  # or "float32"
    bin_ms: float = 10.0  # the evidence is constant within a bin
    mean: float = 0.5  # mean of the two streams' means (a.u.)
    gap: float = 0.2  # difference between the two means
    noise_std: float = 0.2  # standard deviation of each stream per bin
    syn_v_th_mV: float = -35.0  # graded synapses: half-activation (mV)
    syn_delta_mV: float = 5.0  # slope (mV)
    syn_k_minus: float = 0.025  # unbinding rate (1/ms): 40 ms decay
    temperature_mV: float = 2.0  # logits = mean readout voltage / temperature
    current_scale_nA: float = 0.1  # the optimiser's unit of input weights and tonic currents
    w_in_init: float = 1.0  # input weights ~ N(0, this) current_scale_nA
    bias_init: float = 0.0  # tonic currents, in current_scale_nA
    g_rec_init_uS: float = 3e-4  # recurrent conductances ~ this * LogUniform(1/3, 3)
    g_out_init_uS: float = 3e-4
    batch: int = 16
    steps: int = 300
    learning_rate: float = 0.03
    n_val: int = 200
    n_test: int = 1000
    eval_every: int = 25
    eval_batch: int = 100
    seed: int = 0  # network initialisation; trial seeds are derived from it
    time_limit_min: float = 0.0  # stop training after this many minutes (0: run every step)

    @property
    def t_stop_ms(self) -> float:
        return self.stim_ms + self.response_ms

    @property
    def n_bins(self) -> int:
        return int(round(self.stim_ms / self.bin_ms))


FULL = Settings()
QUICK = Settings(
    n_rec=8,
    n_inh=2,
    stim_ms=130.0,
    response_ms=20.0,
    batch=8,
    steps=30,
    learning_rate=0.05,
    gap=0.4,
    n_val=64,
    n_test=200,
    eval_every=10,
    eval_batch=64,
)


# --- the task -----------------------------------------------------------------------------


def make_trials(rng: np.random.Generator, n: int, s: Settings) -> tuple[np.ndarray, np.ndarray]:
    """``n`` trials: evidence ``x`` of shape (n, n_bins, 2) (a.u.) and labels ``y`` (n,): 0 if
    stream A has the larger mean, 1 if B."""
    y = rng.integers(0, 2, n)
    means = np.where(
        np.stack([y == 0, y == 1], axis=-1), s.mean + s.gap / 2, s.mean - s.gap / 2
    )  # (n, 2)
    x = means[:, None, :] + s.noise_std * rng.standard_normal((n, s.n_bins, 2))
    return x, y


def observer_accuracy(s: Settings, window_ms: float) -> float:
    """Accuracy of the ideal observer that sees the last ``window_ms`` of the stimulus (the sign
    of the summed difference A - B): Phi(gap sqrt(k) / (noise_std sqrt(2))), k bins."""
    k = max(1, int(round(window_ms / s.bin_ms)))
    z = s.gap * math.sqrt(k) / (s.noise_std * math.sqrt(2.0))
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


# --- the network --------------------------------------------------------------------------


def recurrent_cell(s: Settings) -> tuple[dx.Cell, tuple[int, float]]:
    """The recurrent template and where its excitatory synapses go."""
    soma = dx.BranchGeometry.cylinder(length_um=20.0, diam_um=20.0, ncomp=1, kind="soma")
    if s.ncomp == 1:
        cell = dx.Cell([soma])
        cell.insert(dx.HH())
        exc_at = (0, 0.5)
    elif s.ncomp == 3:
        dend = dx.BranchGeometry.cylinder(150.0, 2.0, 2, parent=0, kind="apical")
        cell = dx.Cell([soma, dend])
        cell.insert(dx.HH(), where=cell.select(kind="soma"))
        cell.insert(dx.Pas(g=1e-4, e=-65.0), where=cell.select(kind="apical"))
        exc_at = (1, 0.75)  # the distal dendritic compartment
    else:
        raise ValueError(f"ncomp={s.ncomp}: use 1 or 3.")
    cell.stimulate(dx.IClamp(0.0, 0.0, 0.0), at=(0, 0.5))  # the input site; set per trial
    cell.record("v", at=(0, 0.5), key="v")
    return cell, exc_at


def graded_synapse(s: Settings, e_mV: float) -> GradedSynapse:
    """The example's synapse of reversal ``e_mV`` (its conductance is trained)."""
    return GradedSynapse(
        gbar=1e-4, e=e_mV, v_th=s.syn_v_th_mV, delta=s.syn_delta_mV, k_minus=s.syn_k_minus
    )


def build_network(s: Settings, make_synapse=None) -> dx.Network:
    """Recurrent cells ``R0..`` (excitatory first), readouts ``out0``, ``out1``; every graded
    synapse is ``make_synapse(e_mV)`` (default :func:`graded_synapse`)."""
    make_synapse = make_synapse or (lambda e: graded_synapse(s, e))
    cell, exc_at = recurrent_cell(s)
    readout = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1, kind="soma")])
    readout.insert(dx.Pas(g=1e-4, e=-65.0))  # tau_m = cm / g = 10 ms
    readout.record("v", at=(0, 0.5), key="v")
    net = dx.Network()
    rec = net.add_cells(cell, s.n_rec, name="R")
    out = net.add_cells(readout, 2, name="out")
    exc, inh = rec[: s.n_rec - s.n_inh], rec[s.n_rec - s.n_inh :]
    all_to_all = dx.AllToAll()  # no autapses
    ex, ih = make_synapse(E_EXC_MV), make_synapse(E_INH_MV)
    net.connect_graded(exc, rec, ex, at_post=exc_at, rule=all_to_all, name="E->R")
    net.connect_graded(inh, rec, ih, rule=all_to_all, name="I->R")
    net.connect_graded(exc, out, ex, rule=all_to_all, name="E->out")
    net.connect_graded(inh, out, ih, rule=all_to_all, name="I->out")
    return net


class Model(eqx.Module):
    """The compiled network, its trainables and the trial timing: one pytree, passed to jitted
    functions as an argument."""

    system: dx.System
    pmap: dx.ParameterMap
    step_bin: jax.Array  # (n_steps,) the evidence bin of every step, -1 in the response window
    site_cell: jax.Array  # (n_rec,) the recurrent cell of every input site
    window: jax.Array  # (n_steps + 1,) 1 on the samples of the response window
    n_rec: int = eqx.field(static=True)
    temperature_mV: float = eqx.field(static=True)
    current_scale_nA: float = eqx.field(static=True)

    def currents(self, p: dict, x: jax.Array) -> jax.Array:
        """Injected currents (nA), (n_steps, n_rec), for evidence ``x`` (n_bins, 2)."""
        per_bin = x @ p["w_in"].T  # (n_bins, n_rec)
        stim = jnp.where(self.step_bin[:, None] >= 0, per_bin[jnp.maximum(self.step_bin, 0)], 0.0)
        return (stim + p["bias"])[:, self.site_cell]

    def run(self, p: dict, x: jax.Array) -> dx.Result:
        system = self.pmap.apply(self.system, p["syn"])
        current = self.currents(p, x).astype(system.stimuli.current_nA.dtype)
        return dx.simulate(eqx.tree_at(lambda m: m.stimuli.current_nA, system, current))

    def readout(self, p: dict, x: jax.Array) -> jax.Array:
        """Mean voltage (mV) of the two readouts in the response window: (2,)."""
        r = self.run(p, x)
        v = jnp.stack([r["out0.v"], r["out1.v"]])
        return jnp.sum(v * self.window, axis=-1) / jnp.sum(self.window)

    def logits(self, u: dict, x: jax.Array) -> jax.Array:
        """(batch, 2) logits for a batch of evidence ``x`` (batch, n_bins, 2)."""
        p = self.physical(u)
        return jax.vmap(lambda xi: self.readout(p, xi))(x) / self.temperature_mV

    def physical(self, u: dict) -> dict:
        """Physical parameters from the optimiser's: conductances through their softplus,
        input weights and tonic currents in units of ``current_scale_nA``."""
        return {
            "syn": self.pmap.from_unconstrained(u["syn"]),
            "w_in": u["w_in"] * self.current_scale_nA,
            "bias": u["bias"] * self.current_scale_nA,
        }


def build_model(s: Settings, make_synapse=None, conductance=(GradedSynapse, "gbar")) -> Model:
    """The compiled network and its trainables; ``make_synapse`` and ``conductance`` (the
    trained synapse parameter) exchange the synapse type (the Jaxley benchmark uses
    ``JaxleyIonotropicSynapse`` and ``gS``)."""
    net = build_network(s, make_synapse)
    system = dx.compile(net, dt_ms=s.dt_ms, t_stop_ms=s.t_stop_ms, dtype=jnp.dtype(s.dtype))
    rec_cells = tuple(range(s.n_rec))
    out_cells = (s.n_rec, s.n_rec + 1)
    T = dx.Trainable
    pmap = dx.ParameterMap(
        system,
        [
            T("g_rec", conductance, where=dx.Region(cells=rec_cells),
              sharing=dx.PerSynapse(), transform=dx.Softplus()),
            T("g_out", conductance, where=dx.Region(cells=out_cells),
              sharing=dx.PerSynapse(), transform=dx.Softplus()),
        ],
    )  # fmt: skip
    t_mid = np.asarray(system.step_midpoints_ms())
    step_bin = np.where(t_mid < s.stim_ms, np.floor(t_mid / s.bin_ms).astype(int), -1)
    t = np.arange(system.n_steps + 1) * s.dt_ms
    window = (t > s.stim_ms + 1e-9).astype(float)
    site_cell = np.asarray(system.layout.cell_of_comp)[np.asarray(system.stimuli.compartment)]
    return Model(
        system=system,
        pmap=pmap,
        step_bin=jnp.asarray(step_bin),
        site_cell=jnp.asarray(site_cell),
        window=jnp.asarray(window),
        n_rec=s.n_rec,
        temperature_mV=s.temperature_mV,
        current_scale_nA=s.current_scale_nA,
    )


def init_params(model: Model, s: Settings) -> dict:
    """Unconstrained initial parameters (seeded): conductances log-uniform around their
    scale, input weights normal, tonic currents constant."""
    rng = np.random.default_rng(s.seed)
    pm = model.pmap
    phys = pm.init()
    for name, scale in (("g_rec", s.g_rec_init_uS), ("g_out", s.g_out_init_uS)):
        n = phys[name].shape[0]
        phys[name] = jnp.asarray(scale * np.exp(rng.uniform(-np.log(3), np.log(3), n)))
    w_in = rng.normal(0.0, s.w_in_init, (s.n_rec, 2))
    # the tonic current cancels the streams' mean drive, plus bias_init for every cell
    bias = s.bias_init - s.mean * w_in.sum(axis=1)
    return {
        "syn": pm.to_unconstrained(phys),
        "w_in": jnp.asarray(w_in),
        "bias": jnp.asarray(bias),
    }


# --- loss, training, evaluation -------------------------------------------------------------


def loss_and_accuracy(model: Model, u: dict, x: jax.Array, y: jax.Array):
    logits = model.logits(u, x)
    ce = optax.softmax_cross_entropy_with_integer_labels(logits, y)
    return jnp.mean(ce), jnp.mean(jnp.argmax(logits, -1) == y)


@eqx.filter_jit
def grad_step(model: Model, u: dict, x, y):
    (loss, acc), g = jax.value_and_grad(lambda u: loss_and_accuracy(model, u, x, y), has_aux=True)(
        u
    )
    return loss, acc, g


@eqx.filter_jit
def eval_batch(model: Model, u: dict, x, y):
    logits = model.logits(u, x)
    ce = optax.softmax_cross_entropy_with_integer_labels(logits, y)
    return jnp.sum(ce), jnp.sum(jnp.argmax(logits, -1) == y), logits


def evaluate(model: Model, u: dict, x: np.ndarray, y: np.ndarray, batch: int) -> dict:
    """Loss and accuracy over a trial set, in batches of ``batch`` (the last one padded)."""
    n = x.shape[0]
    total_ce, correct, logits = 0.0, 0, []
    for i in range(0, n, batch):
        xb, yb = x[i : i + batch], y[i : i + batch]
        k = xb.shape[0]
        if k < batch:  # pad to the compiled batch size
            xb = np.concatenate([xb, np.repeat(xb[-1:], batch - k, 0)])
            yb = np.concatenate([yb, np.repeat(yb[-1:], batch - k, 0)])
        ce, _, lg = eval_batch(model, u, jnp.asarray(xb), jnp.asarray(yb))
        lg = np.asarray(lg)[:k]
        logits.append(lg)
        correct += int(np.sum(np.argmax(lg, -1) == y[i : i + k]))
        total_ce += float(np.sum(optax.softmax_cross_entropy_with_integer_labels(lg, y[i : i + k])))
        del ce
    return {"loss": total_ce / n, "accuracy": correct / n, "logits": np.concatenate(logits)}


def train(model: Model, u: dict, s: Settings, log=print, on_eval=None) -> tuple[dict, dict]:
    """Adam on fresh minibatches; returns the parameters with the lowest validation loss and
    the history (``history["steps_run"]`` is below ``s.steps`` if ``s.time_limit_min`` stopped
    it). ``on_eval(best_u, history)`` is called after every validation."""
    rng_train = np.random.default_rng(1000 + s.seed)
    x_val, y_val = make_trials(np.random.default_rng(2000 + s.seed), s.n_val, s)
    opt = optax.adam(s.learning_rate)
    state = opt.init(u)

    @eqx.filter_jit
    def update(u, state, g):
        updates, state = opt.update(g, state, u)
        return optax.apply_updates(u, updates), state

    history: dict = {"step": [], "loss": [], "accuracy": [], "seconds": [],
                     "val_step": [], "val_loss": [], "val_accuracy": []}  # fmt: skip
    best = (math.inf, u, -1)
    t0 = time.perf_counter()
    last = s.steps
    for step in range(s.steps + 1):
        out_of_time = s.time_limit_min > 0 and time.perf_counter() - t0 > 60 * s.time_limit_min
        if out_of_time:
            last = step
        if step % s.eval_every == 0 or step == last:
            val = evaluate(model, u, x_val, y_val, s.eval_batch)
            history["val_step"].append(step)
            history["val_loss"].append(val["loss"])
            history["val_accuracy"].append(val["accuracy"])
            if val["loss"] < best[0]:
                best = (val["loss"], u, step)
            elapsed = time.perf_counter() - t0
            log(f"step {step:4d}: validation loss {val['loss']:.4f}, "
                f"accuracy {100 * val['accuracy']:.1f} %  ({elapsed:.0f} s)")  # fmt: skip
            if on_eval is not None:
                on_eval(best[1], {**history, "best_step": best[2], "steps_run": step})
        if step == last:
            break
        x, y = make_trials(rng_train, s.batch, s)
        loss, acc, g = grad_step(model, u, jnp.asarray(x), jnp.asarray(y))
        u, state = update(u, state, g)
        history["step"].append(step)
        history["loss"].append(float(loss))
        history["accuracy"].append(float(acc))
        history["seconds"].append(time.perf_counter() - t0)
    history["best_step"] = best[2]
    history["steps_run"] = last
    return best[1], history


# --- baselines ------------------------------------------------------------------------------


def summed_evidence_features(x: np.ndarray) -> np.ndarray:
    """(n, 2): the summed evidence of each stream over the stimulus."""
    return x.sum(axis=1)


def logistic_regression(features: np.ndarray, y: np.ndarray, steps: int = 50) -> np.ndarray:
    """Weights (d + 1,) of a logistic regression of ``y`` on ``features`` (standardised
    inside; a bias appended), fitted by Newton's method with a tiny ridge."""
    mu, sd = features.mean(0), features.std(0) + 1e-12
    z = np.column_stack([(features - mu) / sd, np.ones(len(y))])
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-z @ w))
        grad = z.T @ (p - y) + 1e-6 * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + 1e-6 * np.eye(z.shape[1])
        w -= np.linalg.solve(hess, grad)
    return np.concatenate([w[:-1] / sd, [w[-1] - np.sum(w[:-1] * mu / sd)]])


def logistic_accuracy(w: np.ndarray, features: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(((features @ w[:-1] + w[-1]) > 0) == (y == 1)))


def rnn_baseline(s: Settings, n_units: int, steps: int, batch: int, seed: int,
                 x_test: np.ndarray, y_test: np.ndarray) -> dict:  # fmt: skip
    """A rate RNN of ``n_units`` tanh units, one update per 10 ms bin (the stimulus bins, then
    the response window's bins without input), a linear readout of the last state to two
    logits; trained with Adam (learning rate 0.01) on ``steps`` batches of fresh trials (the
    same number of trials as the biophysical network sees), tested on ``x_test``."""
    key = jax.random.PRNGKey(seed)
    k1, k2, k3 = jax.random.split(key, 3)
    n_resp = max(1, int(round(s.response_ms / s.bin_ms)))
    params = {
        "W": jax.random.normal(k1, (n_units, n_units)) * (0.9 / math.sqrt(n_units)),
        "U": jax.random.normal(k2, (n_units, 2)),
        "b": jnp.zeros(n_units),
        "V": jax.random.normal(k3, (2, n_units)) / math.sqrt(n_units),
        "c": jnp.zeros(2),
    }

    def logits(p, x):  # x (n_bins, 2)
        x = jnp.concatenate([x - s.mean, jnp.zeros((n_resp, 2))])

        def cell(h, xt):
            return jnp.tanh(p["W"] @ h + p["U"] @ xt + p["b"]), None

        h, _ = jax.lax.scan(cell, jnp.zeros(n_units), x)
        return p["V"] @ h + p["c"]

    def loss(p, x, y):
        lg = jax.vmap(lambda xi: logits(p, xi))(x)
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(lg, y))

    opt = optax.adam(0.01)
    state = opt.init(params)

    @jax.jit
    def step(p, state, x, y):
        value, g = jax.value_and_grad(loss)(p, x, y)
        updates, state = opt.update(g, state, p)
        return optax.apply_updates(p, updates), state, value

    rng = np.random.default_rng(5000 + seed)
    t0 = time.perf_counter()
    for _ in range(steps):
        x, y = make_trials(rng, batch, s)
        params, state, _ = step(params, state, jnp.asarray(x), jnp.asarray(y))
    seconds = time.perf_counter() - t0
    lg = np.asarray(jax.jit(jax.vmap(lambda xi: logits(params, xi)))(jnp.asarray(x_test)))
    return {
        "accuracy": float(np.mean(np.argmax(lg, -1) == y_test)),
        "n_units": n_units,
        "n_parameters": int(sum(np.size(v) for v in jax.tree_util.tree_leaves(params))),
        "train_steps": steps,
        "train_seconds": seconds,
    }


# --- figures --------------------------------------------------------------------------------


def trial_traces(model: Model, u: dict, x: np.ndarray, s: Settings) -> dict:
    """Every recorded voltage (mV) of the trials ``x`` (n, n_bins, 2): {key: (n, n_steps + 1)}."""
    p = model.physical(u)
    keys = [f"R{i}.v" for i in range(s.n_rec)] + ["out0.v", "out1.v"]

    @jax.jit
    def run(x):
        r = jax.vmap(lambda xi: model.run(p, xi))(x)
        return {k: r[k] for k in keys}

    return {k: np.asarray(v) for k, v in run(jnp.asarray(x)).items()}


def spike_raster(traces: dict, n_rec: int, trial: int, dt_ms: float):
    """Upward crossings of 0 mV of the recurrent cells in one trial: (times ms, cell ids)."""
    times, cells = [], []
    for i in range(n_rec):
        v = traces[f"R{i}.v"][trial]
        k = np.flatnonzero((v[:-1] < 0.0) & (v[1:] >= 0.0))
        times.append((k + 1) * dt_ms)
        cells.append(np.full(k.size, i))
    return np.concatenate(times), np.concatenate(cells)


def save_figures(out: Path, s: Settings, model: Model, u: dict, x: np.ndarray, y: np.ndarray,
                 decisions: np.ndarray, history: dict | None) -> list[str]:  # fmt: skip
    """trials.png (evidence and readout voltages of example test trials), network.png
    (raster and voltages of the recurrent cells in one trial) and training.png (loss and
    accuracy curves, if ``history``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    n_show = min(4, x.shape[0])
    pick = np.concatenate([np.flatnonzero(y == 0)[:2], np.flatnonzero(y == 1)[:2]])[:n_show]
    traces = trial_traces(model, u, x[pick], s)
    t = np.arange(traces["out0.v"].shape[1]) * s.dt_ms
    t_bins = (np.arange(s.n_bins) + 0.5) * s.bin_ms
    fig, axes = plt.subplots(2, n_show, figsize=(3.2 * n_show, 5.0), sharex=True,
                             sharey="row", constrained_layout=True)  # fmt: skip
    axes = np.asarray(axes).reshape(2, n_show)
    for j, k in enumerate(pick):
        top, bottom = axes[0, j], axes[1, j]
        top.step(t_bins, x[k, :, 0], where="mid", color="C0", lw=0.8, label="stream A")
        top.step(t_bins, x[k, :, 1], where="mid", color="C3", lw=0.8, label="stream B")
        correct = "A" if y[k] == 0 else "B"
        chosen = "A" if decisions[k] == 0 else "B"
        top.set_title(f"larger mean: {correct}; network: {chosen}", fontsize=9)
        for r, color, name in ((0, "C0", "readout A"), (1, "C3", "readout B")):
            bottom.plot(t, traces[f"out{r}.v"][j], color=color, lw=1.0, label=name)
        for ax in (top, bottom):
            ax.axvspan(s.stim_ms, s.t_stop_ms, color="0.85", lw=0)
        bottom.set_xlabel("time (ms)")
    axes[0, 0].set_ylabel("evidence (a.u.)")
    axes[1, 0].set_ylabel("readout voltage (mV)")
    axes[0, 0].legend(fontsize=7, loc="upper left")
    axes[1, 0].legend(fontsize=7, loc="upper left")
    fig.suptitle("Example test trials (grey: response window)", fontsize=10)
    fig.savefig(out / "trials.png", dpi=100)
    plt.close(fig)
    written.append("trials.png")

    times, cells = spike_raster(traces, s.n_rec, 0, s.dt_ms)
    fig, (ax_r, ax_v) = plt.subplots(2, 1, figsize=(7.5, 5.5), sharex=True,
                                     height_ratios=(1.2, 1), constrained_layout=True)  # fmt: skip
    n_exc = s.n_rec - s.n_inh
    ax_r.scatter(times, cells, s=4, c=np.where(cells < n_exc, "C0", "C3"), marker="|")
    ax_r.set_ylim(-0.5, s.n_rec - 0.5)
    ax_r.set_ylabel("recurrent cell (E: blue, I: red)")
    ax_r.axvspan(s.stim_ms, s.t_stop_ms, color="0.85", lw=0)
    ax_r.set_title(f"Spikes of the recurrent cells, one test trial (larger mean: "
                   f"{'A' if y[pick[0]] == 0 else 'B'})", fontsize=10)  # fmt: skip
    for i in (0, 1, n_exc):
        ax_v.plot(t, traces[f"R{i}.v"][0], lw=0.6, label=f"R{i}" + (" (I)" if i >= n_exc else ""))
    ax_v.axvspan(s.stim_ms, s.t_stop_ms, color="0.85", lw=0)
    ax_v.set_xlabel("time (ms)")
    ax_v.set_ylabel("voltage (mV)")
    ax_v.legend(fontsize=7, loc="upper right")
    fig.savefig(out / "network.png", dpi=100)
    plt.close(fig)
    written.append("network.png")

    if history:
        fig, (ax_l, ax_a) = plt.subplots(1, 2, figsize=(9.0, 3.4), constrained_layout=True)
        steps = np.asarray(history["step"])
        loss = np.asarray(history["loss"])
        acc = np.asarray(history["accuracy"])
        w = max(1, min(10, loss.size // 5))
        smooth = np.convolve(loss, np.ones(w) / w, mode="valid")
        ax_l.plot(steps, loss, color="0.75", lw=0.6, label="training batch")
        ax_l.plot(steps[w - 1 :], smooth, color="C0", lw=1.2, label=f"training ({w}-step mean)")
        ax_l.plot(history["val_step"], history["val_loss"], "o-", color="C1", ms=3,
                  label="validation")  # fmt: skip
        ax_l.set_xlabel("training step")
        ax_l.set_ylabel("cross-entropy")
        ax_l.legend(fontsize=7)
        ax_a.plot(steps[w - 1 :], np.convolve(acc, np.ones(w) / w, mode="valid"), color="C0",
                  lw=1.2, label="training batches")  # fmt: skip
        ax_a.plot(history["val_step"], history["val_accuracy"], "o-", color="C1", ms=3,
                  label="validation")  # fmt: skip
        ax_a.axhline(0.5, color="0.5", ls="--", lw=0.8)
        ax_a.set_ylim(0.4, 1.01)
        ax_a.set_xlabel("training step")
        ax_a.set_ylabel("accuracy")
        ax_a.legend(fontsize=7, loc="lower right")
        fig.savefig(out / "training.png", dpi=100)
        plt.close(fig)
        written.append("training.png")
    return written


# --- parameters on disk ---------------------------------------------------------------------


def save_params(path: Path, u: dict, s: Settings) -> None:
    """The optimiser's (unconstrained) parameters ``u`` (``syn.g_rec``, ``syn.g_out``,
    ``w_in``, ``bias``) and the settings they belong to, by :func:`dendrax.save_params`."""
    dx.save_params(path, u, {"settings": dataclasses.asdict(s)})


def load_params(path: str | Path) -> tuple[dict, Settings]:
    """``(u, settings)`` written by :func:`save_params`; ``u`` goes to ``Model.physical``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"--evaluate {path}: no such file; pass the params.npz that a full or --quick run "
            "wrote (examples/results/evidence_integration/params.npz)."
        )
    try:
        u, meta = dx.load_params(path)
    except ValueError as e:
        raise ValueError(
            f"load_params({str(path)!r}): not a parameter file of this example (missing the "
            f"header of dendrax.save_params: {e}); pass a params.npz written by save_params."
        ) from None
    missing = ({"syn", "w_in", "bias"} - set(u)) | ({"settings"} - set(meta))
    if missing:
        raise ValueError(
            f"load_params({str(path)!r}): not a parameter file of this example (missing "
            f"{sorted(missing)}); pass a params.npz written by save_params."
        )
    return u, Settings(**meta["settings"])


# --- the run --------------------------------------------------------------------------------

TEST_SEED_OFFSET = 3000  # test trials: default_rng(3000 + seed); validation 2000, training 1000


def test_trials(s: Settings) -> tuple[np.ndarray, np.ndarray]:
    return make_trials(np.random.default_rng(TEST_SEED_OFFSET + s.seed), s.n_test, s)


def training_trials(s: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Every trial ``train`` drew (the same generator, the same calls), concatenated."""
    rng = np.random.default_rng(1000 + s.seed)
    batches = [make_trials(rng, s.batch, s) for _ in range(s.steps)]
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def baselines(s: Settings, x_test: np.ndarray, y_test: np.ndarray, rnn: bool) -> dict:
    """Ideal observer (exact and on the test trials), logistic regressions on the summed and on
    the binned evidence trained on the network's training trials, and optionally a rate RNN."""
    x_tr, y_tr = training_trials(s)
    diff_sum = summed_evidence_features(x_test) @ np.array([-1.0, 1.0])  # B - A
    out: dict = {
        "ideal_observer_exact": observer_accuracy(s, s.stim_ms),
        "ideal_observer_test_trials": float(np.mean((diff_sum > 0) == (y_test == 1))),
        "ideal_observer_last_100ms": observer_accuracy(s, 100.0),
        "ideal_observer_last_200ms": observer_accuracy(s, 200.0),
        "one_bin": observer_accuracy(s, s.bin_ms),
    }
    for name, feat in (("summed", summed_evidence_features),
                       ("binned", lambda x: x.reshape(x.shape[0], -1))):  # fmt: skip
        w = logistic_regression(feat(x_tr), y_tr)
        out[f"logistic_{name}_evidence"] = {
            "accuracy": logistic_accuracy(w, feat(x_test), y_test),
            "train_accuracy": logistic_accuracy(w, feat(x_tr), y_tr),
            "n_features": int(w.size - 1),
            "n_train_trials": int(y_tr.size),
        }
    if rnn:
        out["rate_rnn"] = rnn_baseline(s, s.n_rec, s.steps, s.batch, s.seed, x_test, y_test)
    return out


def test_evaluation(model: Model, u: dict, s: Settings) -> tuple[dict, np.ndarray, np.ndarray]:
    x, y = test_trials(s)
    eval_batch(model, u, jnp.asarray(x[: s.eval_batch]), jnp.asarray(y[: s.eval_batch]))
    t0, c0 = time.perf_counter(), time.process_time()
    ev = evaluate(model, u, x, y, s.eval_batch)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    decisions = np.argmax(ev["logits"], -1)
    return (
        {
            "n_trials": int(y.size),
            "accuracy": ev["accuracy"],
            "n_errors": int(np.sum(decisions != y)),
            "loss": ev["loss"],
            "seconds": wall,
            "cpu_seconds": cpu,
            "simulations_per_second": y.size / wall,
            "decisions": decisions,
        },
        x,
        y,
    )


def loadavg() -> list[float]:
    try:
        return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def run(s: Settings, out: Path, quick: bool) -> dict:
    """Train, save the parameters, test, baselines, figures and results.json."""
    out.mkdir(parents=True, exist_ok=True)
    t_build = time.perf_counter()
    model = build_model(s)
    u0 = init_params(model, s)
    build_s = time.perf_counter() - t_build
    n_syn = sum(int(v.shape[0]) for v in u0["syn"].values())
    print(f"{s.n_rec} recurrent ({s.n_inh} inhibitory) + 2 readout cells, {n_syn} synapses, "
          f"{model.system.n_steps} steps of {s.dt_ms} ms, {s.dtype}")  # fmt: skip
    x0, y0 = make_trials(np.random.default_rng(0), s.batch, s)
    t0 = time.perf_counter()
    jax.block_until_ready(grad_step(model, u0, jnp.asarray(x0), jnp.asarray(y0)))
    compile_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()

    def checkpoint(best_u, hist):  # the best parameters so far and the curves, while training
        save_params(out / "params.npz", best_u, s)
        progress = {"settings": dataclasses.asdict(s), "elapsed_s": time.perf_counter() - t0,
                    "load_average": loadavg(), "history": hist}  # fmt: skip
        (out / "progress.json").write_text(json.dumps(progress) + "\n")

    u, history = train(model, u0, s, on_eval=checkpoint)
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0
    steps_requested = s.steps
    s = dataclasses.replace(s, steps=history["steps_run"])  # what was run
    step_s = float(np.median(np.diff([0.0] + history["seconds"])))
    save_params(out / "params.npz", u, s)
    test, x, y = test_evaluation(model, u, s)
    test_init, _, _ = test_evaluation(model, u0, s)
    test_init.pop("decisions")
    before = 100 * test_init["accuracy"]
    print(f"test: {100 * test['accuracy']:.2f} % of {test['n_trials']} trials "
          f"({test['n_errors']} errors; {before:.1f} % before training)")  # fmt: skip
    base = baselines(s, x, y, rnn=not quick)
    figures = save_figures(out, s, model, u, x, y, test.pop("decisions"), history)
    goal = 0.999
    results = {
        "task": "evidence integration (Deistler et al. 2025, Jaxley paper)",
        "mode": "quick" if quick else "full",
        "settings": dataclasses.asdict(s),
        "network": {
            "recurrent_cells": s.n_rec,
            "inhibitory": s.n_inh,
            "readout_cells": 2,
            "compartments_per_recurrent_cell": s.ncomp,
            "channels": "HH (NEURON hh) in the recurrent cells, pas in the readouts",
            "synapses": n_syn,
            "trained_parameters": int(sum(np.size(v) for v in jax.tree_util.tree_leaves(u))),
            "n_steps": int(model.system.n_steps),
        },
        "seeds": {
            "network_init": s.seed,
            "training_trials": 1000 + s.seed,
            "validation_trials": 2000 + s.seed,
            "test_trials": TEST_SEED_OFFSET + s.seed,
        },
        "test": test,
        "test_before_training": test_init,
        "goal": {"test_accuracy": goal, "met": bool(test["accuracy"] >= goal)},
        "baselines": base,
        "training": {
            "steps_requested": steps_requested,
            "steps": s.steps,
            "stopped_by_time_limit": s.steps < steps_requested,
            "batch": s.batch,
            "trials_seen": s.steps * s.batch,
            "best_step": history["best_step"],
            "seconds": train_s,
            "cpu_seconds": train_cpu,
            "first_step_compile_seconds": compile_s,
            "build_seconds": build_s,
            "median_step_seconds": step_s,
            "simulations_per_second": s.batch / step_s,
            "loss_first_10": float(np.mean(history["loss"][:10])),
            "loss_last_10": float(np.mean(history["loss"][-10:])),
            "load_average_end": loadavg(),
        },
        "history": {k: v for k, v in history.items() if k not in ("best_step", "steps_run")},
        "figures": figures,
        "versions": {"jax": jax.__version__, "dendrax": dx.__version__},
        "cpu_count": __import__("os").cpu_count(),
    }
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out}/results.json, params.npz, " + ", ".join(figures))
    return results


def evaluate_saved(path: str, out: Path) -> dict:
    """``--evaluate``: test accuracy (and the figures) of saved parameters."""
    u, s = load_params(path)
    model = build_model(s)
    test, x, y = test_evaluation(model, u, s)
    out.mkdir(parents=True, exist_ok=True)
    figures = save_figures(out, s, model, u, x, y, test.pop("decisions"), None)
    result = {"params": str(path), "settings": dataclasses.asdict(s), "test": test,
              "figures": figures}  # fmt: skip
    (out / "evaluation.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"test: {100 * test['accuracy']:.2f} % of {test['n_trials']} trials "
          f"({test['n_errors']} errors); wrote {out}/evaluation.json")  # fmt: skip
    return result


def check_learned(results: dict) -> None:
    """The --quick assertions: the training loss falls and held-out accuracy beats chance
    (by three binomial standard deviations)."""
    tr, test = results["training"], results["test"]
    if not tr["loss_last_10"] < tr["loss_first_10"]:
        raise AssertionError(
            f"the training loss did not fall: {tr['loss_first_10']:.4f} (first 10 steps) -> "
            f"{tr['loss_last_10']:.4f} (last 10)"
        )
    chance = 0.5 + 3 * 0.5 / math.sqrt(test["n_trials"])
    if not test["accuracy"] > chance:
        raise AssertionError(
            f"held-out accuracy {test['accuracy']:.3f} is not above chance (need > {chance:.3f})"
        )


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI smoke run (asserts learning)")
    ap.add_argument("--evaluate", metavar="PARAMS", help="only test saved parameters (.npz)")
    ap.add_argument("--out", help="output folder (default examples/results/evidence_integration"
                    "[/quick])")  # fmt: skip
    ap.add_argument("--steps", type=int, help="training steps (default: 300, quick 30)")
    ap.add_argument("--batch", type=int, help="trials per step (default: 16, quick 8)")
    ap.add_argument("--lr", type=float, help="Adam learning rate (default: 0.03, quick 0.05)")
    ap.add_argument("--eval-every", type=int, help="validation every N steps")
    ap.add_argument("--ncomp", type=int, choices=(1, 3), help="compartments per recurrent cell")
    ap.add_argument("--dtype", choices=("float32", "float64"))
    ap.add_argument("--seed", type=int)
    ap.add_argument("--stim-ms", type=float, help="stimulus duration (ms; default 500, quick 130)")
    ap.add_argument("--time-limit-min", type=float, help="stop training after this many minutes")
    args = ap.parse_args(argv)
    default = Path(__file__).resolve().parent / "results" / "evidence_integration"
    if args.evaluate:
        return evaluate_saved(args.evaluate, Path(args.out) if args.out else default / "evaluate")
    s = QUICK if args.quick else FULL
    changes = {k: v for k, v in (("steps", args.steps), ("batch", args.batch),
               ("learning_rate", args.lr), ("eval_every", args.eval_every),
               ("ncomp", args.ncomp), ("dtype", args.dtype), ("seed", args.seed),
               ("time_limit_min", args.time_limit_min), ("stim_ms", args.stim_ms))
               if v is not None}  # fmt: skip
    s = dataclasses.replace(s, **changes)
    for name in ("steps", "batch", "eval_every"):
        if getattr(s, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')}={getattr(s, name)}: must be >= 1.")
    if s.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    out = Path(args.out) if args.out else default / ("quick" if args.quick else "")
    results = run(s, out, quick=args.quick)
    if args.quick:
        check_learned(results)
        print("quick run: the loss fell and the test accuracy is above chance")
    return results


if __name__ == "__main__":
    main()
