#!/usr/bin/env python
"""Make the NEURON recording that tests/test_fit_defaults*.py fit (the "new user" case).

    pip install neuron==9.0.2
    python tests/fit_defaults/make_recording.py           # writes grc_true.json, grc_neuron.npz
    python tests/fit_defaults/make_recording.py --check   # compare only, write nothing

The cell is the small reconstructed granule cell ``grc_202-2-46nj.swc`` (shared morphologies,
bundled as ``dendrax/data/grc_202-2-46nj.swc``), converted with the reference-case rule
(``dx.ReferenceConversion``: cylinders, as NEURON builds them from a model file) and
discretised by the d_lambda rule (d_lambda = 0.1 at 100 Hz): 22 branches, 26 compartments.
Ra = 100 Ω·cm, cm = 1 µF/cm², 6.3 °C. NEURON's ``hh`` at the soma with its default
densities (the hidden values the tests recover: gnabar 0.12, gkbar 0.036, gl 3e-4 S/cm²) and
``pas`` in the dendrites (g = 5e-5 S/cm², hidden too; e = -65 mV).

The protocol is a patch-clamp one at the soma: a -0.02 nA step from 5 to 25 ms (passive
response), then a +0.05 nA step from 35 to 95 ms (a spike train, 5 spikes), recorded at the
soma (``v_soma``) for 100 ms at dt = 0.025 ms (backward Euler).

The model file ``grc_true.json`` (format neuroref-case/1) is written by dendrax's
``model_to_dict``; NEURON builds the model from that file alone with
tests/validation/regenerate_neuron.py's ``run_neuron``, and the script checks that dendrax
reproduces the recording (max |dV| <= 1e-4 mV) before writing ``grc_neuron.npz`` (``t`` in ms,
``v_soma`` in mV, ``spikes__v_soma`` in ms: the layout ``dendrax simulate`` writes). The same
model at dt = 0.05 ms for 60 ms (2 spikes) gives ``grc_neuron_dt0.05_60ms.npz``, the target of
the fast default-suite test.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from importlib import resources

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "validation"))

MODEL = HERE / "grc_true.json"
# recording file -> (dt_ms, tstop_ms); the second, coarser and shorter, is for the fast test
RECORDINGS = {"grc_neuron.npz": (0.025, 100.0), "grc_neuron_dt0.05_60ms.npz": (0.05, 60.0)}
TRUE = {"soma gnabar": 0.12, "soma gkbar": 0.036, "soma gl": 3e-4, "dendrite g": 5e-5}
DT_MS, T_STOP_MS = RECORDINGS["grc_neuron.npz"]


def build_cell():
    import dendrax as dx

    path = resources.files("dendrax") / "data" / "grc_202-2-46nj.swc"
    with resources.as_file(path) as swc:
        morph = dx.read_swc(swc)
    geometry = morph.to_geometry(dx.DLambda(d_lambda=0.1), convention=dx.ReferenceConversion())
    cell = dx.Cell(geometry)
    cell.set_cable(Ra_ohm_cm=100.0, cm_uF_cm2=1.0)
    cell.insert(dx.HH(gnabar=0.12, gkbar=0.036, gl=3e-4), where=cell.select(kind="soma"))
    cell.insert(dx.Pas(g=5e-5, e=-65.0), where=cell.select(kind="basal"))
    cell.stimulate(dx.IClamp(5.0, 20.0, -0.02), at=(0, 0.5))
    cell.stimulate(dx.IClamp(35.0, 60.0, 0.05), at=(0, 0.5))
    cell.record("v", (0, 0.5), key="v_soma")
    return cell


def model_dict() -> dict:
    from dendrax.io._save_model import model_to_dict

    return model_to_dict(
        build_cell(),
        dt_ms=DT_MS,
        t_stop_ms=T_STOP_MS,
        celsius=6.3,
        v_init_mV=-65.0,
        name="grc_hh_pas",
        description="Granule cell grc_202-2-46nj, hh at the soma, pas in the dendrites, somatic "
        "-0.02 nA then +0.05 nA steps; the NEURON recording fitted by tests/test_fit_defaults*.py "
        "(written by tests/fit_defaults/make_recording.py).",
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)

    from regenerate_neuron import run_neuron

    import dendrax as dx
    from dendrax.io._model_json import model_from_dict

    model = model_dict()
    status = 0
    for name, (dt, tstop) in RECORDINGS.items():
        case = {**model, "dt_ms": dt, "tstop_ms": tstop}
        recording = run_neuron(case)
        cell, options = model_from_dict(case)
        mine = np.asarray(dx.simulate(dx.compile(cell, **options))["v_soma"])
        diff = float(np.max(np.abs(mine - recording["v_soma"])))
        spikes = recording["spikes__v_soma"]
        print(f"{name}: dt {dt} ms, {tstop} ms, {cell.n_compartments} compartments, "
              f"{len(spikes)} spikes at {np.round(spikes, 3)} ms")  # fmt: skip
        print(f"  dendrax vs NEURON: max |dV| = {diff:.2e} mV")
        if diff > 1e-4:
            print("  dendrax does not reproduce the NEURON recording", file=sys.stderr)
            return 1
        path = HERE / name
        if args.check:
            if path.exists():
                same = float(np.max(np.abs(np.load(path)["v_soma"] - recording["v_soma"])))
                print(f"  stored recording vs NEURON now: max |dV| = {same:.2e} mV")
                status = status or int(same > 1e-9)
            continue
        np.savez_compressed(path, t=recording["t"], v_soma=recording["v_soma"],
                            spikes__v_soma=spikes)  # fmt: skip
        print(f"  wrote {path}")
    if not args.check:
        MODEL.write_text(json.dumps(model, indent=1) + "\n")
        print(f"wrote {MODEL}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
