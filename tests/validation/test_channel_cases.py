"""dendrax against NEURON 9.0.2 on the ``neuroref-case/2`` channel cases: ions and calcium,
the voltage clamp, the Hay et al. (2011) and Pospischil et al. (2008) channel sets.

``channels/cases/ch_*`` are the shared reference cases (``FORMAT_V2.md``; NEURON with Hay's own
mod files), ``channels/cases/dxch_*`` the project's own (``channels/make_channel_cases.py``,
regenerated with our mod files by ``channels/regenerate_channels_neuron.py``).

float64, exactly NEURON's scheme, so agreement is round-off (measured <= 3e-9 mV). Limits,
far above round-off and far below any modelling difference (NEURON's own dt/2 differences
on these cases are 0.01-80 mV, README of the shared cases):

* voltages: max |dV| <= 1e-4 mV (the issue's criterion);
* every other recording (states, currents, concentrations, reversal potentials, the clamp
  current): max |d| <= 1e-6 of the reference's range (measured <= 2e-10; a wrong step order,
  e.g. SK_E2 seeing the previous cai, gives 0.022 of the range);
* spikes (upward 0 mV crossings of every v): identical counts, times within 1e-4 ms.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from _compare import spike_times

import dendrax as dx
from dendrax.io._model_json import load_model

CASES_DIR = pathlib.Path(__file__).resolve().parent / "channels" / "cases"
V_TOL_MV = 1e-4
OTHER_TOL = 1e-6  # of the reference's range
SPIKE_TOL_MS = 1e-4
# multi-branch own cases: 8-13 s each, covered in the default suite by ch_ballstick_hay
SLOW = {"dxch_hay_tree37", "dxch_nernst_variants", "dxch_seclamp_rs2"}


def _cases():
    names = sorted(p.stem for p in CASES_DIR.glob("*.json") if p.with_suffix(".npz").exists())
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in names]


def run_case(name: str):
    cell, options = load_model(CASES_DIR / f"{name}.json")
    result = dx.simulate(dx.compile(cell, **options))
    with np.load(CASES_DIR / f"{name}.npz") as z:
        ref = {k: z[k] for k in z.files}
    with open(CASES_DIR / f"{name}.json") as f:
        model = json.load(f)
    return model, ref, result


@pytest.mark.parametrize("name", _cases())
def test_channel_case_matches_neuron(name):
    model, ref, result = run_case(name)
    t = ref["t"]
    np.testing.assert_allclose(np.asarray(result.t), t, rtol=0, atol=1e-9)
    failures = []
    for rec in model["recordings"]:
        key, var = rec["key"], rec["var"]
        got, want = np.asarray(result[key]), ref[key]
        err = float(np.max(np.abs(got - want)))
        if var == "v":
            if not err <= V_TOL_MV:
                failures.append(f"{key}: max|dV| = {err:.3g} mV")
            s_ref, s_got = spike_times(t, want), spike_times(t, got)
            if s_ref.size != s_got.size:
                failures.append(f"{key}: {s_got.size} spikes, NEURON {s_ref.size}")
            elif s_ref.size and not np.max(np.abs(s_ref - s_got)) <= SPIKE_TOL_MS:
                failures.append(f"{key}: spike times differ by {np.max(np.abs(s_ref - s_got))} ms")
        else:
            # a (nearly) constant recording (e.g. a fixed reversal potential) has no range:
            # judge it against 1e-3 of its magnitude instead
            scale = max(float(np.ptp(want)), 1e-3 * float(np.max(np.abs(want))), 1e-300)
            if not err <= OTHER_TOL * scale:
                failures.append(f"{key} ({var}): max|d| = {err:.3g} = {err / scale:.3g} of range")
    assert not failures, f"{name}: " + "; ".join(failures)


def test_a_shared_case_is_present():
    """The shared reference cases are part of the project (copied from FORMAT_V2's set)."""
    names = {p.stem for p in CASES_DIR.glob("ch_*.json")}
    assert {"ch_ca_dynamics", "ch_ballstick_hay", "ch_seclamp_ih", "ch_NaTa_t"} <= names


def test_gradients_through_the_calcium_case_match_finite_differences():
    """grad, jit and vmap through the Hay calcium set (Ca_HVA, Ca_LVAst, CaDynamics_E2, SK_E2,
    Nernst eca): d(mean v)/d(gCa_HVAbar, gamma, gSK_E2bar) against central differences."""
    import jax
    import jax.numpy as jnp

    cell, options = load_model(CASES_DIR / "ch_ca_dynamics.json")
    options["t_stop_ms"] = 120.0  # covers the first current step's calcium rise
    system = dx.compile(cell, **options)
    hay = dx.mechanisms.hay
    pm = dx.ParameterMap(
        system,
        [
            dx.Trainable("g_hva", (hay.Ca_HVA, "gCa_HVAbar")),
            dx.Trainable("gamma", (hay.CaDynamics_E2, "gamma")),
            dx.Trainable("g_sk", (hay.SK_E2, "gSK_E2bar")),
        ],
    )
    p0 = pm.init()

    def loss(p):
        r = dx.simulate(pm.apply(system, p))
        return jnp.mean(r["v_soma"]) + 1e3 * jnp.mean(r["cai"])

    grad = jax.jit(jax.grad(loss))(p0)
    for name in p0:
        h = 1e-4 * float(p0[name][0])
        up = {**p0, name: p0[name] + h}
        down = {**p0, name: p0[name] - h}
        fd = (loss(up) - loss(down)) / (2 * h)
        np.testing.assert_allclose(float(grad[name][0]), float(fd), rtol=1e-5, err_msg=name)
        assert abs(float(grad[name][0])) > 0
    batch = jax.vmap(lambda g: loss({**p0, "g_sk": g}))(jnp.asarray([[0.0], [0.005], [0.02]]))
    np.testing.assert_allclose(float(batch[1]), float(loss(p0)), rtol=1e-12)
    assert float(batch[0]) > float(batch[2])  # more SK current: a lower mean voltage
