"""dx.save_model / dx.load_model: the JSON model format round trip, and every refusal."""

import json
import warnings
from pathlib import Path

import jax
import numpy as np
import pytest
from conftest import branched_cell

import dendrax as dx
from dendrax.io._model_json import model_from_dict
from dendrax.io._save_model import model_to_dict

CASES = Path(__file__).parent / "validation" / "cases"
OPTIONS = dict(dt_ms=0.025, t_stop_ms=15.0, method=dx.BackwardEuler(), v_init_mV=-65.0)


def _traces(cell, **options):
    result = dx.simulate(dx.compile(cell, **options))
    return {k: np.asarray(result[k]) for k in result.keys()}


def _round_trip(tmp_path, cell, **options):
    path = tmp_path / "model.json"
    dx.save_model(path, cell, **options)
    return dx.load_model(path)


def _interior_and_waveform(cell):
    bg = dx.BranchGeometry.cylinder
    geoms = list(cell.geometry.branches) + [
        bg(60.0, [1.5, 1.2, 0.9], parent=1, parent_x=0.35, kind="type_7", name="oblique")
    ]
    out = dx.Cell(geoms)
    out.Ra_ohm_cm[: cell.n_compartments] = cell.Ra_ohm_cm
    out.set_cable(Ra_ohm_cm=150.0, cm_uF_cm2=0.8, where=out.select(branches=[2, 6]))
    out.insert(dx.HH(gnabar=0.1, gl=2e-4), where="soma")
    out.insert(dx.Pas(g=5e-5, e=-70.0), where=out.select(kind=["apical", "basal", "type_7"]))
    out.insert(dx.HH(gkbar=0.02), where=out.select(branches=[6]))
    out.stimulate(dx.IClamp(1.0, 5.0, 0.3), at=(0, 0.5))
    out.stimulate(dx.Waveform(np.array([0.0, 4.0, 9.0]), np.array([0.0, 0.4, -0.1])), at=(6, 0.9))
    out.record("v", (0, 0.5), key="v_soma")
    out.record("v", (6, 0.1), key="v_oblique")
    out.record("m", (6, 0.5), key="m_oblique", mechanism="hh")
    out.record("n", (0, 0.5), key="n_soma")
    return out


VARIANTS = {
    "hh everywhere": (lambda: branched_cell("hh"), {}),
    "hh soma, pas dendrites": (lambda: branched_cell("pas"), {}),
    "crank-nicolson, 16 C, -70 mV": (
        lambda: branched_cell("pas"),
        dict(method=dx.CrankNicolson(), celsius=16.0, v_init_mV=-70.0),
    ),
    "interior attachment, waveform, states": (lambda: _interior_and_waveform(branched_cell()), {}),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_load_of_save_simulates_the_same(tmp_path, variant):
    make, extra = VARIANTS[variant]
    cell = make()
    options = {**OPTIONS, **extra}
    cell2, options2 = _round_trip(tmp_path, cell, **options)
    assert set(options2) == {"dt_ms", "t_stop_ms", "method", "v_init_mV", "celsius"}
    assert type(options2["method"]) is type(options["method"])
    assert options2["celsius"] == options.get("celsius", 6.3)
    a, b = _traces(cell, **options), _traces(cell2, **options2)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(b[key], a[key], rtol=0, atol=1e-10, err_msg=key)
    assert [br.kind for br in cell2.geometry.branches] == [br.kind for br in cell.geometry.branches]
    assert [br.name for br in cell2.geometry.branches] == [br.name for br in cell.geometry.branches]


def test_saved_file_is_stable_and_documented_fields_only(tmp_path):
    cell = _interior_and_waveform(branched_cell())
    first = model_to_dict(cell, **OPTIONS)
    cell2, options2 = model_from_dict(json.loads(json.dumps(first)))
    again = model_to_dict(cell2, **options2)
    assert again == first
    assert first["format"] == "neuroref-case/1" and first["tstop_ms"] == 15.0
    b6 = first["branches"][6]
    assert b6["parent"] == 1 and b6["parent_x"] == 0.35 and b6["swc_type"] == 7
    assert b6["ncomp"] == 3 and b6["diam_um"] == [1.5, 1.2, 0.9] and b6["length_um"] == 60.0
    assert b6["Ra_ohm_cm"] == 150.0 and b6["cm_uF_cm2"] == 0.8
    assert b6["mechanisms"]["hh"]["gkbar"] == 0.02 and b6["mechanisms"]["pas"]["e"] == -70.0
    assert first["stimuli"][1] == {
        "type": "waveform", "branch": 6, "x": 2.5 / 3, "comp": 2,
        "t_ms": [0.0, 4.0, 9.0], "i_nA": [0.0, 0.4, -0.1],
    }  # fmt: skip
    assert first["recordings"][2] == {
        "key": "m_oblique", "var": "m", "branch": 6, "x": 0.5, "comp": 1, "mechanism": "hh"
    }  # fmt: skip


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.glob("*.json")))
def test_every_reference_case_round_trips_to_the_same_system(case):
    cell, options = model_from_dict(json.loads((CASES / case).read_text()))
    cell2, options2 = model_from_dict(model_to_dict(cell, **options))
    options["t_stop_ms"] = options2["t_stop_ms"] = 2 * options["dt_ms"]  # the System, not a run
    s1, s2 = dx.compile(cell, **options), dx.compile(cell2, **options2)
    l1, t1 = jax.tree_util.tree_flatten(s1)
    l2, t2 = jax.tree_util.tree_flatten(s2)
    assert t1 == t2
    for x, y in zip(l1, l2):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_swc_cell_with_the_cylinder_conversion_round_trips(tmp_path):
    from importlib.resources import files

    morph = dx.read_swc(files("dendrax") / "data" / "ca1_n120.swc")
    cell = morph.to_cell(dx.NComp(2), convention=dx.ReferenceConversion())
    cell.insert(dx.HH(), where="soma")
    cell.insert(dx.Pas(), where=cell.select(kind=["apical", "basal"]))
    cell.stimulate(dx.IClamp(1.0, 3.0, 1.0), at=(0, 0.5))
    cell.record("v", (0, 0.5), key="v")
    opts = {**OPTIONS, "t_stop_ms": 5.0}
    cell2, options2 = _round_trip(tmp_path, cell, **opts)
    np.testing.assert_allclose(
        _traces(cell2, **options2)["v"], _traces(cell, **opts)["v"], atol=1e-10
    )


def test_groups_are_not_stored_and_a_warning_says_so(tmp_path):
    cell = branched_cell()
    cell.add_group("distal", cell.select(branches=[3, 4]))
    with pytest.warns(UserWarning, match=r"groups \['distal'\] are not stored"):
        dx.save_model(tmp_path / "m.json", cell, **OPTIONS)
    assert dx.load_model(tmp_path / "m.json")[0].groups == {}


def _ra_inside_branch(cell):
    cell.Ra_ohm_cm[cell.geometry.offsets[1]] = 200.0


def _cm_inside_branch(cell):
    cell.set_cable(cm_uF_cm2=2.0, where=cell.select(branches=[1], distance_um=(0, 60)))


def _part_of_branch(cell):
    cell.insert(dx.Pas(), where=cell.select(branches=[3], distance_um=(0, 250)))


def _import3d(_):
    from importlib.resources import files

    return dx.read_swc(files("dendrax") / "data" / "ca1_n120.swc").to_cell(dx.NComp(1))


def _unequal_lengths(_):
    return dx.Cell([dx.BranchGeometry(np.array([10.0, 20.0]), np.array([2.0, 2.0]), kind="soma")])


def _custom_label(_):
    bg = dx.BranchGeometry.cylinder
    return dx.Cell([bg(20.0, 20.0, 1, kind="soma"), bg(50.0, 1.0, 2, parent=0, kind="oblique")])


def _undefined_root(_):
    return dx.Cell([dx.BranchGeometry.cylinder(100.0, 2.0, 4)])


def _reserved_key(cell):
    cell.record("v", (1, 0.5), key="spikes__x")


def _same_name(cell):
    class MyHH(dx.HH):
        pass

    cell.insert(MyHH(), where=cell.select(branches=[5]))


REFUSED = {
    "Ra varies inside a branch": (_ra_inside_branch, "Ra_ohm_cm varies inside branch 1",
                                  "set_cable"),
    "cm varies inside a branch": (_cm_inside_branch, "cm_uF_cm2 varies inside branch 1", "split"),
    "mechanism on part of a branch": (_part_of_branch, "'pas' is inserted on 2 of the 5",
                                      "Insert it on whole branches"),
    "3-D (Import3d) geometry": (_import3d, "not a chain of plain cylinders",
                                "convention=dx.ReferenceConversion()"),
    "unequal compartments": (_unequal_lengths, "different lengths (10 to 20 µm)",
                             "BranchGeometry.cylinder"),
    "custom region label": (_custom_label, "kind='oblique'", "relabel the branch"),
    "root without region": (_undefined_root, "kind='undefined'", "give branch 0 kind='soma'"),
    "reserved recording key": (_reserved_key, "'spikes__x' is reserved", "another key"),
    "two classes, one name": (_same_name, "share the name(s) ['hh']", "its own `name`"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSED))
def test_unrepresentable_cells_are_refused_with_the_fix(tmp_path, case):
    edit, what, fix = REFUSED[case]
    cell = branched_cell()
    cell = edit(cell) or cell
    path = tmp_path / "m.json"
    with pytest.raises(ValueError) as info:
        dx.save_model(path, cell, **OPTIONS)
    assert what in str(info.value) and fix in str(info.value), str(info.value)
    assert not path.exists()


@pytest.mark.parametrize(
    "options, error, message",
    [
        (dict(t_stop_ms=10.01), ValueError, "t_stop_ms=10.01): not an integer multiple"),
        (dict(dt_ms=0.0), ValueError, "dt_ms=0.0): must be a finite number > 0"),
        (dict(celsius=float("nan")), ValueError, "celsius=nan"),
        (dict(method="cn"), TypeError, "BackwardEuler() or CrankNicolson()"),
    ],
)
def test_bad_options_name_the_argument(tmp_path, options, error, message):
    with pytest.raises(error) as info:
        dx.save_model(tmp_path / "m.json", branched_cell(), **{**OPTIONS, **options})
    assert message in str(info.value)


def test_not_a_cell(tmp_path):
    with pytest.raises(TypeError, match="takes a dendrax.Cell"):
        dx.save_model(tmp_path / "m.json", {"branches": []})


def test_no_warning_without_groups(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dx.save_model(tmp_path / "m.json", branched_cell(), **OPTIONS)


def test_point_mechanisms_and_named_inputs_are_refused(tmp_path):
    from test_point_mechanisms import PointLeak

    cell = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1, kind="soma")])
    cell.place(PointLeak(), at=(0, 0.5))
    with pytest.raises(ValueError, match="point mechanism"):
        dx.save_model(tmp_path / "m.json", cell, dt_ms=0.025, t_stop_ms=1.0)
    cell = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1, kind="soma")])
    cell.stimulate(dx.CurrentInput("drive"), at=(0, 0.5))
    with pytest.raises(ValueError, match="IClamp"):
        dx.save_model(tmp_path / "m.json", cell, dt_ms=0.025, t_stop_ms=1.0)
