"""``dendrax demo``: simulate a bundled reconstructed CA1 pyramidal cell (rat, n120; Turner lab)
and write its voltage traces as a PNG plot and an npz file."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

import numpy as np


def demo_cell():
    """The bundled CA1 cell: NEURON-equivalent geometry, d_lambda = 0.1 at 100 Hz, Ra 100 Ω·cm,
    full-density hh in the soma, reduced hh in the dendrites, a 1.5 nA somatic step 5-25 ms."""
    import dendrax as dx

    path = resources.files("dendrax") / "data" / "ca1_n120.swc"
    with resources.as_file(path) as swc:
        morph = dx.read_swc(swc)
    cell = morph.to_cell(dx.DLambda(d_lambda=0.1, frequency_hz=100.0, Ra_ohm_cm=100.0))
    cell.set_cable(Ra_ohm_cm=100.0, cm_uF_cm2=1.0)
    cell.insert(dx.HH(), where=cell.select(kind="soma"))
    dendrites = cell.select(kind=[k for k in ("basal", "apical") if k in morph.regions])
    cell.insert(dx.HH(gnabar=0.03, gkbar=0.009, gl=1e-4, el=-65.0), where=dendrites)
    cell.stimulate(dx.IClamp(delay_ms=5.0, dur_ms=20.0, amp_nA=1.5), at=(0, 0.5))
    cell.record("v", at=(0, 0.5), key="v_soma")
    distance = cell.geometry.path_distance_um()
    kinds = cell.geometry.kinds()
    for kind in ("apical", "basal"):
        idx = np.flatnonzero(kinds == kind)
        if idx.size:
            far = int(idx[np.argmax(distance[idx])])
            branch = int(cell.geometry.branch_of_compartment()[far])
            cell.record("v", at=(branch, 1.0), key=f"v_{kind}_tip")
    return cell


def run_demo(output_dir: Path) -> int:
    import jax

    import dendrax as dx
    from dendrax.io._recordings import save_npz, traces_to_arrays
    from dendrax.viz._traces import plot_traces

    output_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    cell = demo_cell()
    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=40.0)
    result = jax.block_until_ready(jax.jit(dx.simulate)(system))
    elapsed = time.perf_counter() - t0
    arrays = traces_to_arrays(np.asarray(result.t), result.traces, set(result.keys()))
    npz = output_dir / "dendrax_demo.npz"
    png = output_dir / "dendrax_demo.png"
    save_npz(npz, arrays, {"model": "bundled ca1_n120 demo", "n_compartments": system.n_comp})
    title = f"CA1 pyramidal cell (n120), {system.n_comp} compartments, 1.5 nA somatic step"
    plot_traces(arrays["t"], result.traces, png, title=title)
    n_spikes = len(arrays["spikes__v_soma"])
    print(f"Simulated {system.n_comp} compartments for 40 ms in {elapsed:.2f} s "
          f"(build + compile + run); {n_spikes} somatic spike(s).")  # fmt: skip
    print(f"Wrote {png.resolve()} (voltage plot)")
    print(f"Wrote {npz.resolve()} (traces: t, " + ", ".join(result.keys()) + ")")
    return 0
