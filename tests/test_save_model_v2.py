"""dx.save_model writes model format "neuroref-case/2" where the cell needs it (values per
compartment, GLOBALs, ion settings, SEClamp, current and ion recordings): the round trip
save -> load -> compile gives the same System and bit-identical traces; what the format cannot
hold is refused with the fix."""

import json
from pathlib import Path

import equinox as eqx
import jax
import numpy as np
import pytest
from conftest import branched_cell

import dendrax as dx
from dendrax.io._model_json import model_from_dict
from dendrax.io._save_model import model_to_dict
from dendrax.mechanisms import hay

CHANNEL_CASES = Path(__file__).parent / "validation" / "channels" / "cases"
OPTIONS = dict(dt_ms=0.025, t_stop_ms=30.0, v_init_mV=-70.0, celsius=34.0)
HAY_IH = "0.0002*(-0.8696 + 2.087*exp(3.6161*d/dmax))"  # Hay et al. (2011), L5PCbiophys3


def _geometry():
    bg = dx.BranchGeometry.cylinder
    return [
        bg(20.0, 20.0, 1, kind="soma", name="soma"),
        bg(400.0, np.linspace(3.0, 1.5, 8), 8, parent=0, kind="apical", name="trunk"),
        bg(150.0, 1.2, 3, parent=0, parent_x=0.0, kind="basal", name="basal"),
    ]


def hay_cell() -> dx.Cell:
    """Soma + apical trunk + basal with Hay's CaDynamics_E2, Ca_HVA, SK_E2, Ih (gIhbar per
    compartment on the trunk), NaTa_t at the soma; ca Nernst with a non-default cai0, na fixed,
    k fixed through mode "auto", each where a mechanism reads it; a voltage clamp (own key)
    and current/ion recordings. Every mechanism is on the soma, so its order of first
    insertion is the order the reader sees."""
    cell = dx.Cell(_geometry())
    cell.set_cable(Ra_ohm_cm=100.0)
    cell.set_cable(cm_uF_cm2=2.0, where=cell.select(kind=["apical", "basal"]))
    ca_region = cell.select(kind=["soma", "apical"])
    cell.insert(dx.Pas(g=3e-5, e=-90.0))
    cell.insert(hay.NaTa_t(gNaTa_tbar=2.04), where="soma")
    cell.insert(hay.Ca_HVA(gCa_HVAbar=0.000992), where=ca_region)
    cell.insert(hay.SK_E2(gSK_E2bar=0.0441, zTau=1.5), where=ca_region)
    cell.insert(hay.CaDynamics_E2(gamma=0.000501, decay=460.0), where=ca_region)
    cell.insert(hay.Ih(gIhbar=0.0002, ehcn=-40.0))
    cell.insert(
        hay.Ih(ehcn=-40.0), where="apical", per_compartment={"gIhbar": HAY_IH}, origin=(1, 0.0)
    )
    cell.set_ion("ca", ca_region, mode="nernst", ci0_mM=1e-4)
    cell.set_ion("na", "soma", mode="fixed", erev_mV=55.0)
    cell.set_ion("k", ca_region, erev_mV=-85.0)  # "auto": nothing uses k concentrations
    cell.stimulate(dx.IClamp(22.0, 5.0, 0.4), at=(1, 0.7))
    clamp = dx.SEClamp.levels([(-70.0, 5.0), (-20.0, 10.0), (-60.0, 5.0)], rs_MOhm=0.5)
    cell.stimulate(clamp, at=(0, 0.5), key="vc")
    cell.record("v", (0, 0.5), key="v_soma")
    cell.record("v", (1, 0.9), key="v_trunk")
    cell.record("i", (0, 0.5), key="i_clamp", mechanism="vc")
    cell.record("ica", (0, 0.5), key="ica_soma")
    cell.record("cai", (1, 0.5), key="cai_trunk")
    cell.record("eca", (1, 0.5), key="eca_trunk")
    cell.record("ihcn", (1, 0.9), key="ih_trunk", mechanism="Ih")
    cell.record("SK_E2.z", (0, 0.5), key="z_soma")
    cell.record("m", (2, 0.5), key="ih_m_basal", mechanism="Ih")
    cell.record("gIh", (1, 0.9), key="g_ih", mechanism="Ih")
    cell.record("ina_NaTa_t", (0, 0.5), key="ina_soma")
    cell.record("i_membrane", (1, 0.1), key="imem")
    return cell


def _systems_equal(cell_a, options_a, cell_b, options_b):
    s1, s2 = dx.compile(cell_a, **options_a), dx.compile(cell_b, **options_b)
    l1, t1 = jax.tree_util.tree_flatten(s1)
    l2, t2 = jax.tree_util.tree_flatten(s2)
    assert t1 == t2
    for x, y in zip(l1, l2):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    return s1, s2


def _traces(system):
    result = dx.simulate(system)
    return {k: np.asarray(result[k]) for k in result.keys()}


def test_hay_cell_round_trips_bit_for_bit(tmp_path):
    cell = hay_cell()
    path = tmp_path / "hay.json"
    dx.save_model(path, cell, **OPTIONS)
    data = json.loads(path.read_text())
    cell2, options2 = dx.load_model(path)
    s1, s2 = _systems_equal(cell, OPTIONS, cell2, options2)
    assert set(s1.ion_values) == {"cai", "cao", "eca", "ek", "ena"}
    assert s1.ions.nernst == s2.ions.nernst == (("eca", "cai", "cao", 2),)
    np.testing.assert_array_equal(np.asarray(s1.ions.mask[0]), [True] * 9 + [False] * 3)
    a, b = _traces(s1), _traces(s2)
    assert a.keys() == b.keys() and "i_clamp" in a and "ina_soma" in a
    for key in a:
        np.testing.assert_array_equal(b[key], a[key], err_msg=key)
    assert np.ptp(a["cai_trunk"]) > 1e-5 and np.ptp(a["i_clamp"]) > 0.1  # something happens

    # what the file holds
    assert data["format"] == "neuroref-case/2"
    assert data["globals"] == {"SK_E2": {"zTau": 1.5}, "Ih": {"ehcn": -40.0}}
    assert data["mechanisms_used"] == sorted(
        ["pas", "NaTa_t", "Ca_HVA", "SK_E2", "CaDynamics_E2", "Ih"]
    )
    soma, trunk, basal = data["branches"]
    assert soma["mechanisms"]["Ih"] == {"gIhbar": 0.0002}  # the GLOBAL is not per branch
    gih = trunk["mechanisms"]["Ih"]["gIhbar"]
    assert len(gih) == 8 and gih == sorted(gih) and gih[0] != gih[-1]
    assert soma["ions"] == {
        "ca": {"mode": "nernst", "ci0_mM": 1e-4, "co0_mM": 2.0, "valence": 2},
        "na": {"mode": "fixed", "erev_mV": 55.0},
        "k": {"mode": "fixed", "erev_mV": -85.0},
    }
    assert trunk["ions"] == {
        "ca": {"mode": "nernst", "ci0_mM": 1e-4, "co0_mM": 2.0, "valence": 2},
        "k": {"mode": "fixed", "erev_mV": -85.0},
    }
    assert "ions" not in basal
    assert data["stimuli"][1] == {
        "type": "seclamp", "branch": 0, "x": 0.5, "comp": 0, "rs_MOhm": 0.5,
        "dur1_ms": 5.0, "amp1_mV": -70.0, "dur2_ms": 10.0, "amp2_mV": -20.0,
        "dur3_ms": 5.0, "amp3_mV": -60.0,
    }  # fmt: skip
    recs = {r["key"]: r for r in data["recordings"]}
    assert recs["i_clamp"] == {
        "key": "i_clamp", "var": "i_seclamp", "unit": "nA", "branch": 0, "x": 0.5, "comp": 0,
        "stim": 1,
    }  # fmt: skip
    expected = {
        "v_soma": ("v", "mV"), "ica_soma": ("ica", "mA/cm2"), "cai_trunk": ("cai", "mM"),
        "eca_trunk": ("eca", "mV"), "ih_trunk": ("Ih.ihcn", "mA/cm2"), "z_soma": ("SK_E2.z", "1"),
        "ih_m_basal": ("m", "1"), "g_ih": ("Ih.gIh", "S/cm2"), "ina_soma": ("ina_NaTa_t", "mA/cm2"),
        "imem": ("i_membrane", "mA/cm2"),
    }  # fmt: skip
    for key, (var, unit) in expected.items():
        assert (recs[key]["var"], recs[key]["unit"]) == (var, unit), key
    assert recs["ih_m_basal"]["mechanism"] == "Ih"
    # saving the loaded cell again gives the same file (clamp keys are now the reader's)
    assert model_to_dict(cell2, **options2) == data


def test_settings_on_the_whole_cell_are_written_where_a_mechanism_reads_them():
    """set_ion on every compartment (the usual call): the file holds each value on the
    branches whose mechanisms read it, as NEURON and the reader do; the System is the same
    but for values nothing reads, and the traces are identical."""
    cell = hay_cell()
    cell.ion_settings.clear()
    cell.set_ion("na", erev_mV=55.0)
    cell.set_ion("k", erev_mV=-85.0)
    cell.set_ion("ca", ci0_mM=1e-4)  # "auto": Nernst where CaDynamics_E2 writes cai
    options = OPTIONS  # as the test above: simulate is compiled once
    data = model_to_dict(cell, **options)
    assert [sorted(b.get("ions", {})) for b in data["branches"]] == [
        ["ca", "k", "na"],
        ["ca", "k"],
        [],
    ]
    assert data["branches"][1]["ions"]["ca"]["ci0_mM"] == 1e-4
    cell2, options2 = model_from_dict(json.loads(json.dumps(data)))
    s1, s2 = dx.compile(cell, **options), dx.compile(cell2, **options2)
    read = {"ena": slice(0, 1), "ek": slice(0, 9), "cai": slice(0, 9), "cao": slice(0, 9)}
    assert set(s1.ion_values) == set(s2.ion_values) == set(read) | {"eca"}
    for name, where in read.items():
        np.testing.assert_array_equal(s2.ion_values[name][where], s1.ion_values[name][where])
    np.testing.assert_array_equal(s2.ion_values["ek"][9:], -77.0)  # unread: NEURON's default
    same_values = eqx.tree_at(lambda s: s.ion_values, s2, s1.ion_values)
    for x, y in zip(jax.tree_util.tree_leaves(s1), jax.tree_util.tree_leaves(same_values)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    a, b = _traces(s1), _traces(s2)
    for key in a:
        np.testing.assert_array_equal(b[key], a[key], err_msg=key)


def test_loaded_shared_case_saves_and_reloads_to_identical_traces(tmp_path):
    case = CHANNEL_CASES / "ch_ballstick_hay.json"
    cell, options = dx.load_model(case)
    options = {**options, "t_stop_ms": 40.0}
    path = tmp_path / "again.json"
    dx.save_model(path, cell, **options)
    cell2, options2 = dx.load_model(path)
    s1, s2 = _systems_equal(cell, options, cell2, options2)
    a, b = _traces(s1), _traces(s2)
    assert a.keys() == b.keys() and {"cai_hot", "eca_hot", "ih_m_trunk_400"} <= set(a)
    for key in a:
        np.testing.assert_array_equal(b[key], a[key], err_msg=key)
    original, saved = json.loads(case.read_text()), json.loads(path.read_text())
    assert saved["globals"] == original["globals"]
    assert saved["mechanisms_used"] == original["mechanisms_used"]
    for b_orig, b_saved in zip(original["branches"], saved["branches"]):
        assert b_saved.get("ions", {}) == b_orig["ions"]
        assert b_saved["mechanisms"].keys() == b_orig["mechanisms"].keys()
        for mech, values in b_orig["mechanisms"].items():  # a constant list is a number
            assert values.keys() == b_saved["mechanisms"][mech].keys()
            for p, v in values.items():
                w = b_saved["mechanisms"][mech][p]
                assert isinstance(w, float) or len(set(w)) > 1, (mech, p)
                np.testing.assert_array_equal(*np.broadcast_arrays(w, v))
    units = {r["key"]: r["unit"] for r in original["recordings"]}
    assert {r["key"]: r["unit"] for r in saved["recordings"]} == units


@pytest.mark.parametrize("case", sorted(p.name for p in CHANNEL_CASES.glob("*.json")))
def test_every_channel_case_saves_to_the_same_system(case):
    cell, options = model_from_dict(json.loads((CHANNEL_CASES / case).read_text()))
    data = model_to_dict(cell, **options)
    assert data["format"] == "neuroref-case/2"
    cell2, options2 = model_from_dict(json.loads(json.dumps(data)))
    options["t_stop_ms"] = options2["t_stop_ms"] = 2 * options["dt_ms"]  # the System, not a run
    _systems_equal(cell, options, cell2, options2)


def _ion_cell():
    """Soma with CaDynamics_E2 + Ca_HVA + SK_E2, a dendrite with Ca_HVA only (ca fixed there
    under "auto"), a basal with pas only."""
    cell = dx.Cell(_geometry())
    cell.insert(dx.Pas())
    cell.insert(hay.CaDynamics_E2(), where="soma")
    cell.insert(hay.Ca_HVA(gCa_HVAbar=1e-3), where=cell.select(kind=["soma", "apical"]))
    cell.insert(hay.SK_E2(gSK_E2bar=1e-3), where="soma")
    return cell


AUTO_VARIANTS = {
    "ci0 where a mechanism writes cai": (
        lambda c: c.set_ion("ca", "soma", ci0_mM=2e-4, co0_mM=3.0),
        {0: {"ca": {"mode": "nernst", "ci0_mM": 2e-4, "co0_mM": 3.0, "valence": 2}}},
    ),
    "erev where nothing uses concentrations": (
        lambda c: c.set_ion("ca", "apical", erev_mV=120.0),
        {1: {"ca": {"mode": "fixed", "erev_mV": 120.0}}},
    ),
    "k auto -> fixed, ca nernst with defaults": (
        lambda c: c.set_ion("k", "soma", erev_mV=-90.0).set_ion("ca", "soma", mode="nernst"),
        {0: {"k": {"mode": "fixed", "erev_mV": -90.0},
             "ca": {"mode": "nernst", "ci0_mM": 5e-5, "co0_mM": 2.0, "valence": 2}}},
    ),
    "nernst where only the potential is read": (
        lambda c: c.set_ion("ca", "apical", mode="nernst", ci0_mM=1e-4),
        {1: {"ca": {"mode": "nernst", "ci0_mM": 1e-4, "co0_mM": 2.0, "valence": 2}}},
    ),
    "a later auto call keeps the mode": (
        lambda c: c.set_ion("ca", "apical", mode="fixed", erev_mV=100.0).set_ion(
            "ca", "apical", erev_mV=110.0
        ),
        {1: {"ca": {"mode": "fixed", "erev_mV": 110.0}}},
    ),
    "ci0 at its default on a fixed branch": (
        lambda c: c.set_ion("ca", "apical", erev_mV=120.0, ci0_mM=5e-5),
        {1: {"ca": {"mode": "fixed", "erev_mV": 120.0}}},
    ),
}  # fmt: skip


@pytest.mark.parametrize("variant", list(AUTO_VARIANTS))
def test_ion_settings_round_trip_to_the_same_ion_values_and_masks(variant):
    edit, ions = AUTO_VARIANTS[variant]
    cell = _ion_cell()
    edit(cell)
    options = dict(dt_ms=0.025, t_stop_ms=0.05, celsius=34.0)
    data = model_to_dict(cell, **options)
    assert data["format"] == "neuroref-case/2"
    assert {k: b["ions"] for k, b in enumerate(data["branches"]) if "ions" in b} == ions
    cell2, options2 = model_from_dict(json.loads(json.dumps(data)))
    s1, s2 = _systems_equal(cell, options, cell2, options2)
    assert s1.ions.nernst == s2.ions.nernst


def test_values_that_vary_inside_a_branch_are_lists():
    cell = branched_cell()
    cell.insert(dx.HH(gnabar=0.2), where=cell.select(branches=[1], distance_um=(0, 60)))
    data = model_to_dict(cell, dt_ms=0.025, t_stop_ms=5.0)
    assert data["format"] == "neuroref-case/2" and "globals" not in data
    assert data["mechanisms_used"] == ["hh"]
    gnabar = data["branches"][1]["mechanisms"]["hh"]["gnabar"]
    assert gnabar == [0.2] * 3 + [0.12] * 7  # centres 20, 40, 60 µm from the soma's
    assert data["branches"][1]["mechanisms"]["hh"]["gkbar"] == 0.036  # uniform: a number
    assert "ions" not in data["branches"][1]
    assert [r["unit"] for r in data["recordings"]] == ["mV", "mV"]
    cell2, options2 = model_from_dict(json.loads(json.dumps(data)))
    options = dict(dt_ms=0.025, t_stop_ms=5.0)
    _systems_equal(cell, options, cell2, options2)  # the same System: the same traces


def test_a_v1_cell_stays_v1():
    data = model_to_dict(branched_cell("pas"), dt_ms=0.025, t_stop_ms=5.0)
    assert data["format"] == "neuroref-case/1"
    assert "mechanisms_used" not in data and "globals" not in data
    assert all("unit" not in r for r in data["recordings"])
    assert all("ions" not in b for b in data["branches"])


def test_clamp_keys_map_to_stimulus_indices():
    """A clamp keyed "stim0" at stimulus index 2 is "stim2" for the reader; its recording
    follows it, and so does the one of the clamp keyed "stim2" (index 1)."""
    cell = dx.Cell(_geometry())
    cell.insert(dx.Pas())
    cell.stimulate(dx.IClamp(1.0, 1.0, 0.1), at=(0, 0.5))
    cell.stimulate(dx.SEClamp.levels([(-50.0, 1.0)]), at=(1, 0.5), key="stim2")
    cell.stimulate(dx.SEClamp.levels([(-60.0, 2.0)], rs_MOhm=2.0), at=(2, 0.5), key="stim0")
    cell.record("i", (2, 0.5), key="i_b", mechanism="stim0")
    cell.record("i_seclamp", (1, 0.5), key="i_a", mechanism="stim2")
    options = dict(dt_ms=0.025, t_stop_ms=3.0)
    data = model_to_dict(cell, **options)
    assert [r["stim"] for r in data["recordings"]] == [2, 1]
    cell2, options2 = model_from_dict(json.loads(json.dumps(data)))
    s1, s2 = _systems_equal(cell, options, cell2, options2)
    a, b = _traces(s1), _traces(s2)
    for key in ("i_a", "i_b"):
        np.testing.assert_array_equal(b[key], a[key], err_msg=key)
    assert a["i_b"][0] == pytest.approx((-60.0 + 65.0) / 2.0)


def _ion_on_part_of_a_branch(cell):
    cell.set_ion("ca", cell.select(branches=[1], distance_um=(0, 100)), erev_mV=120.0)


def _ion_differs_inside_a_branch(cell):
    cell.set_ion("ca", "apical", erev_mV=120.0)
    cell.set_ion("ca", cell.select(branches=[1], distance_um=(0, 100)), erev_mV=110.0)


def _global_differs(cell):
    cell.insert(hay.Ih(ehcn=-45.0), where="soma")
    cell.insert(hay.Ih(ehcn=-40.0), where="basal")


def _ci0_where_fixed(cell):
    cell.insert(hay.SK_E2(), where="apical")  # reads cai, which nothing writes there
    cell.set_ion("ca", "apical", mode="fixed", erev_mV=120.0, ci0_mM=1e-4)


def _clamp_variable(cell):
    cell.stimulate(dx.SEClamp(dur1_ms=1.0, amp1_mV=-50.0), at=(0, 0.5), key="vc")
    cell.record("g", (0, 0.5), key="g_vc", mechanism="vc")


def _mechanism_on_part_of_a_branch(cell):
    cell.insert(hay.Ih(), where=cell.select(branches=[1], distance_um=(0, 100)))


def _current_input(cell):
    cell.stimulate(dx.CurrentInput("drive"), at=(0, 0.5))
    cell.set_ion("na", erev_mV=50.0)


REFUSED = {
    "ion setting on part of a branch": (_ion_on_part_of_a_branch,
                                        "covers 2 of the 8 compartments of branch 1 ('trunk')",
                                        "whole branches"),
    "ion setting differs inside a branch": (_ion_differs_inside_a_branch,
                                            "give ['erev_mV'] values that differ inside branch 1",
                                            "split the branch"),
    "GLOBAL differs between insertions": (_global_differs, "Ih.ehcn differs between insertions",
                                          "Give every insertion of Ih the same ehcn"),
    "ci0 of a fixed ion whose concentration is read": (
        _ci0_where_fixed, "set_ion('ca', mode='fixed', ci0_mM=0.0001) on branch 1 ('trunk')",
        "Leave ci0_mM at its default there"),
    "clamp variable": (_clamp_variable, "records 'g' of the voltage clamp 'vc'",
                       "cell.record('i', at, mechanism='vc')"),
    "mechanism on part of a branch": (_mechanism_on_part_of_a_branch,
                                      "'Ih' is inserted on 2 of the 8", "whole branches"),
    "CurrentInput": (_current_input, "stimulus 0 is a CurrentInput", "dx.Waveform"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSED))
def test_what_the_format_cannot_hold_is_refused_with_the_fix(tmp_path, case):
    edit, what, fix = REFUSED[case]
    cell = _ion_cell()
    cell.insert(hay.NaTa_t(), where="soma")
    edit(cell)
    path = tmp_path / "m.json"
    with pytest.raises(ValueError) as info:
        dx.save_model(path, cell, dt_ms=0.025, t_stop_ms=1.0)
    assert what in str(info.value) and fix in str(info.value), str(info.value)
    assert not path.exists()
