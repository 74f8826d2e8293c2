"""Networks of detailed cells with ions, calcium and voltage clamps: what a Cell takes works
in a dx.Network (per-cell Nernst potentials, clamp currents, current recordings)."""

from __future__ import annotations

import numpy as np
import pytest

import dendrax as dx

hay = dx.mechanisms.hay


def template():
    cell = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1, kind="soma")])
    for ch in (hay.Ca_HVA(gCa_HVAbar=0.002), hay.CaDynamics_E2(gamma=0.02, decay=100.0),
               hay.SK_E2(gSK_E2bar=0.005), dx.Pas(g=1e-4, e=-80.0)):  # fmt: skip
        cell.insert(ch)
    cell.set_ion("k", erev_mV=-85.0)
    return cell


def test_clamped_and_free_cells_in_one_network():
    net = dx.Network()
    pop = net.add_cells(template(), 2, name="P")
    net.stimulate(dx.SEClamp.levels([(-80.0, 5.0), (0.0, 30.0)], rs_MOhm=0.5), [0], (0, 0.5),
                  key="vc")  # fmt: skip
    net.record("i", [0], (0, 0.5), key="i_clamp", mechanism="vc")
    net.record("cai", pop, (0, 0.5), key="cai")
    net.record("ica", pop, (0, 0.5), key="ica")
    net.record("SK_E2.ik", pop, (0, 0.5), key="ik")
    r = dx.simulate(dx.compile(net, dt_ms=0.025, t_stop_ms=40.0, v_init_mV=-80.0, celsius=34.0))
    cai0, cai1 = np.asarray(r["cai[0]"]), np.asarray(r["cai[1]"])
    # the clamped cell (0 mV) loads calcium; the free one at rest only drifts towards minCai
    assert cai0.max() > 5 * cai1.max()
    assert np.all(np.asarray(r["ica[0]"])[int(6 / 0.025) :] < 0)  # inward Ca current at 0 mV
    # SK opens with the calcium and its outward current flows against the clamp
    assert float(r["ik[0]"][-1]) > 10 * abs(float(r["ik[1]"][-1]))
    i = np.asarray(r["i_clamp"])
    # at 0 mV the leak and SK currents are outward: the clamp injects current (positive)
    assert i[int(20 / 0.025)] > 0

    with pytest.raises(ValueError, match="a key names the clamp of one cell"):
        net.stimulate(dx.SEClamp(), pop, (0, 0.5), key="both")
