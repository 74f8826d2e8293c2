"""An excitatory/inhibitory network of detailed cells with delays: simulate it, plot its spikes,
and take one gradient step on its connection weights.

The network (``build_network``):

- 40 excitatory ball-and-stick cells ("E"): an ``hh`` soma (20 µm x 20 µm) and a passive
  dendrite (200 µm x 2 µm, 4 compartments), and 10 inhibitory single-compartment ``hh`` cells
  ("I", 15 µm x 15 µm). A spike detector on every soma (0 mV, NEURON's NetCon rule).
- Synapses (``dx.ExpSyn``): excitatory (tau 2 ms, e = 0 mV) on the middle of every E dendrite
  and on every I soma; inhibitory (tau 6 ms, e = -80 mV) on every soma.
- Connections ``dx.Random(p)`` (no autapses) E->E p = 0.1, E->I 0.2, I->E 0.3, I->I 0.3, each
  with its own delay drawn uniformly from 1-3 ms.
- Background: one Poisson ``dx.NetStim`` (noise = 1, mean interval 10 ms, seeded) onto the
  excitatory synapse of every cell.

Steps (``main``):

1. Compile (``dx.compile``) and simulate 250 ms (dt = 0.025 ms); save a figure
   (``ei_network.png``): the raster of every detected spike (``dx.plot_raster``, coloured by
   population) and the somatic voltage of a few cells
   (``dx.plot_traces(result, cells=..., keys=["v_soma"])``).
2. Loss: ``(r_E / r_target - 1)^2`` with ``r_E`` the mean firing rate (Hz) of the E cells, made
   smooth by ``dx.soft_spike_count`` on their somatic voltage (``e_rate_hz``), and
   ``r_target = 8 Hz``. ``jax.value_and_grad`` gives its gradient with respect to every
   connection weight (``system.events.inboxes[k].weight_uS``, set with ``eqx.tree_at``). The
   weights are trained as their logarithms (so they stay positive); one ``optax.adam`` step
   changes each by about the learning rate (10 %). One jitted function returns the loss, the
   gradient and the simulation (for step 1), so the run compiles once.
3. The loss again with the new weights: it falls (1.53 -> 0.94 at seed 0, and the exact E rate
   from 15.6 to 13.7 Hz; the step lowers the E->E and background weights onto E cells and
   raises the I->E weights).

Gradients are exact (``spike_gradient=None``): they flow through every event's weight into the
postsynaptic conductance, with the spike times held where they are (docs/networks.md,
"Gradients", says what that means for a recurrent network).

Run: ``python examples/ei_network.py`` (about 50 s on two CPU cores, most of it compiling), or
``--quick`` for 16 E + 4 I cells and 100 ms; ``--seed`` draws another network and background.
Writes ``ei_network.png`` and ``ei_network.json`` (the numbers) into ``examples/results/``
(``--out DIR`` to choose).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

import dendrax as dx


@dataclasses.dataclass(frozen=True)
class Settings:
    n_e: int = 40
    n_i: int = 10
    t_stop_ms: float = 250.0
    dt_ms: float = 0.025
    background_interval_ms: float = 10.0  # mean interval of the Poisson background
    target_rate_hz: float = 8.0  # of the E cells (Hz)
    learning_rate: float = 0.1  # of the log-weights: ~10 % per Adam step
    seed: int = 0


FULL = Settings()
QUICK = Settings(n_e=16, n_i=4, t_stop_ms=100.0, target_rate_hz=10.0)


def build_network(s: Settings) -> dx.Network:
    """The E/I network of the module docstring (``s.n_e`` E cells, ``s.n_i`` I cells)."""
    soma = dx.BranchGeometry.cylinder(length_um=20.0, diam_um=20.0, ncomp=1, kind="soma")
    dend = dx.BranchGeometry.cylinder(200.0, 2.0, 4, parent=0, kind="basal")
    exc = dx.Cell([soma, dend])
    exc.insert(dx.HH(), where=exc.select(kind="soma"))
    exc.insert(dx.Pas(g=1e-4, e=-65.0), where=exc.select(kind="basal"))
    exc.record("v", at=(0, 0.5), key="v_soma")  # recorded per cell as "E<i>.v_soma"
    inh = dx.Cell([dx.BranchGeometry.cylinder(15.0, 15.0, 1, kind="soma")])
    inh.insert(dx.HH())
    inh.record("v", at=(0, 0.5), key="v_soma")

    net = dx.Network()
    E = net.add_cells(exc, s.n_e, name="E")
    I = net.add_cells(inh, s.n_i, name="I")  # noqa: E741
    net.detect(E + I, at=(0, 0.5), threshold_mV=0.0)
    ampa_e = net.place(dx.ExpSyn(tau=2.0, e=0.0), E, at=(1, 0.5), name="ampa_E")
    gaba_e = net.place(dx.ExpSyn(tau=6.0, e=-80.0), E, at=(0, 0.5), name="gaba_E")
    ampa_i = net.place(dx.ExpSyn(tau=2.0, e=0.0), I, at=(0, 0.5), name="ampa_I")
    gaba_i = net.place(dx.ExpSyn(tau=6.0, e=-80.0), I, at=(0, 0.5), name="gaba_I")

    def delays(rng, n):  # one delay per connection (ms)
        return rng.uniform(1.0, 3.0, n)

    seed = s.seed
    net.connect(E, ampa_e, dx.Random(0.1), weight_uS=0.002, delay_ms=delays, seed=seed + 1)
    net.connect(E, ampa_i, dx.Random(0.2), weight_uS=0.002, delay_ms=delays, seed=seed + 2)
    net.connect(I, gaba_e, dx.Random(0.3), weight_uS=0.01, delay_ms=delays, seed=seed + 3)
    net.connect(I, gaba_i, dx.Random(0.3), weight_uS=0.002, delay_ms=delays, seed=seed + 4)

    def poisson(seed):  # copies get the seeds seed, seed + 1, ...
        interval = s.background_interval_ms
        return dx.NetStim(start_ms=0.0, interval_ms=interval, number=10**9, noise=1.0, seed=seed)

    bg_e = net.add_source(poisson(1000 + seed), s.n_e, name="bg_E")
    bg_i = net.add_source(poisson(2000 + seed), s.n_i, name="bg_I")
    net.connect(bg_e, ampa_e, dx.OneToOne(), weight_uS=0.003, delay_ms=1.0)
    net.connect(bg_i, ampa_i, dx.OneToOne(), weight_uS=0.001, delay_ms=1.0)
    return net


def e_rate_hz(result: dx.Result, s: Settings) -> jax.Array:
    """Mean firing rate (Hz) of the E cells, smooth in their somatic voltages.

    ``dx.soft_spike_count`` with its threshold at -50 mV and a 4 mV width: every spike counts
    1, and a depolarisation that nearly reaches threshold counts in part, so the gradient sees
    the subthreshold voltage that decides whether the next spike comes (at a 0 mV threshold
    it would see only the upstroke of spikes that happen anyway, and be almost zero).
    """
    v = jnp.stack([result[f"E{i}.v_soma"] for i in range(s.n_e)])  # (n_e, n_steps + 1), mV
    counts = dx.soft_spike_count(v, threshold_mV=-50.0, width_mV=4.0)
    return jnp.mean(counts) / (s.t_stop_ms / 1000.0)


def with_weights(system: dx.System, log_w: tuple[jax.Array, ...]) -> dx.System:
    """``system`` with the connection weights ``exp(log_w)`` (µS), one array per inbox."""
    return eqx.tree_at(
        lambda sy: [ib.weight_uS for ib in sy.events.inboxes], system, [jnp.exp(x) for x in log_w]
    )


def save_figure(net, result, s: Settings, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(7.5, 5.0), height_ratios=(2, 1), sharex=True, constrained_layout=True
    )
    dx.plot_raster(result, ax=top, populations=net, title=title, marker_size=3.0)
    top.set_xlabel("")
    dx.plot_traces(result, cells=["E0", "E1", "I0"], keys=["v_soma"], ax=bottom)
    bottom.set_xlim(0.0, s.t_stop_ms)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small network, 100 ms")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--seed", type=int, default=0, help="connectivity and background seed")
    args = parser.parse_args(argv)
    s = dataclasses.replace(QUICK if args.quick else FULL, seed=args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()

    # 1. describe -> compile
    net = build_network(s)
    system = dx.compile(net, dt_ms=s.dt_ms, t_stop_ms=s.t_stop_ms)

    # 2. the loss of the connection weights; one jitted function gives the loss, its gradient
    #    and the simulation (for the raster), so the run compiles once
    def loss(log_w):
        result = dx.simulate(with_weights(system, log_w))
        return (e_rate_hz(result, s) / s.target_rate_hz - 1.0) ** 2, result

    value_and_grad = jax.jit(jax.value_and_grad(loss, has_aux=True))
    log_w = tuple(jnp.log(ib.weight_uS) for ib in system.events.inboxes)  # one per inbox
    (loss_before, result), grads = value_and_grad(log_w)

    times, cells = result.raster()  # every detected spike: (ms, cell id)
    rate_e = np.sum(cells < s.n_e) / s.n_e / (s.t_stop_ms / 1000.0)
    rate_i = np.sum(cells >= s.n_e) / s.n_i / (s.t_stop_ms / 1000.0)
    print(
        f"{net.n_cells} cells, {net.n_connections} connections, {times.size} spikes: "
        f"E {rate_e:.1f} Hz, I {rate_i:.1f} Hz"
    )
    save_figure(net, result, s, args.out / "ei_network.png", "E/I network: spikes")
    print(
        f"loss {float(loss_before):.4f} (E rate {float(e_rate_hz(result, s)):.1f} Hz smooth, "
        f"target {s.target_rate_hz:g} Hz)"
    )

    # 3. one Adam step on the log-weights, and the loss after it
    optimiser = optax.adam(s.learning_rate)
    updates, _ = optimiser.update(grads, optimiser.init(log_w))
    new_log_w = optax.apply_updates(log_w, updates)
    (loss_after, new_result), _ = value_and_grad(new_log_w)
    _, new_cells = new_result.raster()
    new_rate_e = np.sum(new_cells < s.n_e) / s.n_e / (s.t_stop_ms / 1000.0)
    print(
        f"after one Adam step: loss {float(loss_after):.4f}, E {new_rate_e:.1f} Hz (exact spikes)"
    )
    # what the step did to each connect() call's weights (the inbox's `label`)
    names = system.events.connection_names
    change = {}
    for k, name in enumerate(names):
        ratios = [
            np.exp(np.asarray(new - old))[np.asarray(ib.label) == k]
            for new, old, ib in zip(new_log_w, log_w, system.events.inboxes)
        ]
        change[name] = float(np.mean(np.concatenate(ratios))) - 1.0
        print(f"  {name:>14}: weights {100 * change[name]:+.1f} % on average")
    runtime = time.perf_counter() - t_start
    print(f"{runtime:.1f} s; figure {args.out / 'ei_network.png'}")

    summary = {
        "settings": dataclasses.asdict(s),
        "n_cells": net.n_cells,
        "n_connections": net.n_connections,
        "n_spikes": int(times.size),
        "rate_e_hz": float(rate_e),
        "rate_i_hz": float(rate_i),
        "loss_before": float(loss_before),
        "loss_after": float(loss_after),
        "rate_e_after_hz": float(new_rate_e),
        "mean_weight_change": change,
        "runtime_s": runtime,
    }
    (args.out / "ei_network.json").write_text(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
