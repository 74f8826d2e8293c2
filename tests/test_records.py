"""Recordings are vectorised: the traced program does not grow with their number."""

import jax
import jax.extend
import numpy as np
from conftest import branched_cell

import dendrax as dx


def n_equations(n_records: int) -> int:
    cell = branched_cell("mixed")
    cell.recordings.clear()
    comps = np.arange(n_records) % cell.n_compartments
    for k, c in enumerate(comps):
        branch = int(cell.geometry.branch_of_compartment()[c])
        x = 0.5 / cell.geometry.ncomp[branch]
        x += (c - cell.geometry.offsets[branch]) / cell.geometry.ncomp[branch]
        var = "v" if k % 2 else "m"
        if var == "m" and cell.geometry.kinds()[c] != "soma":
            var = "v"
        cell.record(var, (branch, float(x)), key=f"r{k}")
    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=1.0)
    jaxpr = jax.make_jaxpr(lambda s: dx.simulate(s).data)(system)
    return sum(1 for _ in _walk(jaxpr.jaxpr))


def _walk(jaxpr):
    for eqn in jaxpr.eqns:
        yield eqn
        for sub in jax.extend.core.jaxprs_in_params(eqn.params):
            yield from _walk(sub)


def test_program_size_is_flat_in_the_number_of_recordings():
    assert n_equations(4) == n_equations(200)


def test_keys_keep_their_order_and_values():
    cell = branched_cell("mixed")
    cell.record("h", (0, 0.5), key="h_soma")
    cell.record("v", (2, 0.5), key="v_basal")
    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=5.0)
    r = dx.simulate(system)
    assert r.keys() == ("v_soma", "v_tip", "h_soma", "v_basal")
    full = dx.simulate(system).final_state
    comp = cell.compartment((2, 0.5))
    assert float(r["v_basal"][-1]) == float(full.v[comp])
    assert float(r["h_soma"][-1]) == float(full.states[0]["h"][0])
    assert np.asarray(system.records.is_voltage).tolist() == [True, True, False, True]


def test_a_model_without_recordings_runs_with_and_without_checkpoints():
    cell = branched_cell("hh")
    cell.recordings.clear()
    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=30.0)  # 1,200 steps: two levels
    r = dx.simulate(system)
    assert r.data.shape == (system.n_steps + 1, 0) and r.keys() == ()
    assert r.final_state.v.shape == (system.n_nodes,)
