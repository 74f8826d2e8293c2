"""Unit sanity: values far outside their unit's physiological range warn with dx.UnitWarning,
naming the value and the unit expected, at every call site and from model files; physiological
values (Hay's densities, NEURON's defaults) stay silent; the warning can be silenced."""

import copy
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import dendrax as dx
from dendrax.io._model_json import model_from_dict
from dendrax.model._units import RANGES, check_range, unit_context, unit_kind

bg = dx.BranchGeometry.cylinder
CASES = Path(__file__).parent / "validation" / "cases"


def cell2() -> dx.Cell:
    return dx.Cell([bg(20.0, 20.0, 1, kind="soma"), bg(100.0, 2.0, 4, parent=0, kind="apical")])


def one_warning(record) -> str:
    unit = [w for w in record if issubclass(w.category, dx.UnitWarning)]
    assert len(unit) == 1, [str(w.message) for w in record]
    assert unit[0].filename == __file__  # points at the caller's line, not inside dendrax
    return str(unit[0].message)


def test_unit_warning_is_a_user_warning_exported_at_the_top_level():
    assert issubclass(dx.UnitWarning, UserWarning)
    assert "UnitWarning" in dx.__all__


@pytest.mark.parametrize(
    "action, expected",
    [
        (lambda c: c.insert(dx.HH(gnabar=120.0)), ["HH.gnabar = 120 S/cm²", "mS/cm²"]),
        (lambda c: c.insert(dx.Pas(e=-65000.0)), ["Pas.e = -6.5e+04 mV", "µV"]),
        (lambda c: c.stimulate(dx.IClamp(1.0, 2.0, 500.0), at=(0, 0.5)), ["500 nA", "pA"]),
        (
            lambda c: c.stimulate(dx.Waveform([0.0, 1.0], [0.0, -300.0]), at=(0, 0.5)),
            ["Waveform.i_nA = -300 nA", "pA"],
        ),
        (lambda c: c.set_cable(Ra_ohm_cm=0.354), ["Ra_ohm_cm = 0.354 Ω·cm", "Ω·m"]),
        (lambda c: c.set_cable(cm_uF_cm2=0.01), ["cm_uF_cm2 = 0.01 µF/cm²", "F/m²"]),
        (lambda c: c.set_cable(cm_uF_cm2=100.0), ["100 µF/cm²", "0.5-2 µF/cm²"]),
        (lambda c: c.set_ion("ca", ci0_mM=5000.0), ["ci0_mM = 5000 mM", "µM"]),
        (lambda c: c.set_ion("na", erev_mV=50000.0), ["erev_mV = 5e+04 mV", "µV"]),
        (lambda c: c.place(dx.ExpSyn(e=5000.0), at=(1, 0.5)), ["ExpSyn.e = 5000 mV", "µV"]),
    ],
)
def test_each_call_site_names_the_value_and_the_unit_expected(action, expected):
    cell = cell2()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        action(cell)
    message = one_warning(record)
    for text in expected:
        assert text in message
    assert "category=dendrax.UnitWarning" in message  # says how to silence it


@pytest.mark.parametrize(
    "diam, length, expected",
    [
        (2e-6, 100.0, ["diam_um = 2e-06 µm", "metres"]),
        (5000.0, 100.0, ["diam_um = 5000 µm", "nm"]),
        (2.0, 1e-5, ["length_um = 2.5e-06 µm", "metres"]),
    ],
)
def test_geometry_in_other_units_warns_when_the_cell_is_made(diam, length, expected):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        dx.Cell([bg(20.0, 20.0, 1, kind="soma"), bg(length, diam, 4, parent=0, name="dend")])
    message = one_warning(record)
    for text in expected:
        assert text in message
    assert "4 of 5 values; first at branch 1 ('dend'), compartment 0" in message


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"celsius": 307.15}, ["celsius = 307.1 °C", "kelvin"]),
        ({"celsius": -20.0}, ["celsius = -20 °C"]),
        ({"dt_ms": 2.0, "t_stop_ms": 4.0}, ["dt_ms = 2 ms", "µs"]),
        ({"dt_ms": 2.5e-5, "t_stop_ms": 2.5e-3}, ["dt_ms = 2.5e-05 ms", "seconds"]),
        ({"v_init_mV": -0.065}, ["v_init_mV = -0.065 mV", "volts"]),
    ],
)
def test_compile_checks_temperature_time_step_and_initial_voltage(options, expected):
    cell = cell2()
    cell.insert(dx.Pas())
    options = {"dt_ms": 0.025, "t_stop_ms": 0.1, **options}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        dx.compile(cell, **options)
    message = one_warning(record)
    for text in expected:
        assert text in message


def test_per_compartment_values_name_the_first_compartment_outside():
    cell = cell2()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        cell.insert(dx.Pas(), "apical", per_compartment={"g": [1e-4, 1e-4, 50.0, 60.0]})
    message = one_warning(record)
    assert "insert(Pas, 'apical'): Pas.g = 50 S/cm² (2 of 4 values; first at branch 1, " in message
    assert "compartment 2)" in message


def physiological_cell() -> dx.Cell:
    """Hay et al. 2011's largest densities, cable values and stimuli: nothing warns."""
    cell = dx.Cell(
        [
            bg(20.0, 20.0, 1, kind="soma"),
            bg(60.0, 1.0, 2, parent=0, parent_x=0.0, kind="axon"),
            bg(300.0, 0.3, 10, parent=0, kind="apical"),
        ]
    )
    cell.set_cable(Ra_ohm_cm=100.0, cm_uF_cm2=2.0)
    cell.set_cable(cm_uF_cm2=1.0, where="soma")
    cell.insert(dx.HH(gnabar=2.04, gkbar=0.693, gl=3.38e-5, el=-90.0), "soma")
    cell.insert(dx.HH(gnabar=5.0), "axon")
    cell.insert(dx.Pas(e=-90.0), "apical", per_compartment={"g": "0.0002*exp(3.6*d/dmax)"})
    cell.stimulate(dx.IClamp(100.0, 500.0, 1.9), at=(0, 0.5))
    cell.stimulate(dx.Waveform([0.0, 1.0, 5.0], [0.0, 0.5, 0.0]), at=(2, 1.0))
    return cell


def test_physiological_values_and_defaults_stay_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error", dx.UnitWarning)
        cell = physiological_cell()
        dx.compile(cell, dt_ms=0.025, t_stop_ms=1.0, celsius=34.0, v_init_mV=-80.0)
        dx.compile(cell, dt_ms=0.001, t_stop_ms=0.01, celsius=6.3, v_init_mV=0.0)
        cell2().set_ion("ca", ci0_mM=5e-5, co0_mM=2.0).set_ion("k", erev_mV=-85.0)


def test_the_warning_is_silenced_or_made_an_error_by_category():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=dx.UnitWarning)
        cell2().insert(dx.HH(gnabar=120.0))
    assert not record
    with warnings.catch_warnings():
        warnings.simplefilter("error", dx.UnitWarning)
        with pytest.raises(dx.UnitWarning, match="mS/cm²"):
            cell2().insert(dx.HH(gnabar=120.0))


def test_units_are_classified_by_the_declared_unit_string():
    assert unit_kind("S/cm^2") == ("conductance_density", 1.0)
    assert unit_kind("S/cm2") == unit_kind("S/cm²") == unit_kind("mho/cm2")
    assert unit_kind("mS/cm2") == ("conductance_density", 1e-3)
    assert unit_kind("uS") == unit_kind("µS") == ("point_conductance", 1.0)
    assert unit_kind("mM") == ("concentration", 1.0)
    assert unit_kind("um") == ("length", 1.0)
    for unchecked in ("ms", "1", "1/ms", "", "degC"):
        assert unit_kind(unchecked) is None


class MilliChannel(dx.Channel):
    """Declares its conductance in mS/cm²: 120 is physiological, 50000 is not."""

    name = "milli_test"
    parameters = {"gbar": (120.0, "mS/cm2"), "tau": (1e6, "ms")}

    def current(self, v, s, p, celsius):
        return 1e-3 * p["gbar"] * (v + 70.0)


def test_a_parameter_declared_in_ms_per_cm2_is_checked_in_its_own_unit():
    with warnings.catch_warnings():
        warnings.simplefilter("error", dx.UnitWarning)
        cell2().insert(MilliChannel())  # tau in ms is not checked
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        cell2().insert(MilliChannel(gbar=50000.0))
    assert "MilliChannel.gbar = 5e+04 mS/cm2" in one_warning(record)


def test_v1_model_files_warn_through_the_cell_api_naming_the_branch():
    model = json.loads((CASES / "branched_tree_3level.json").read_text())
    bad = copy.deepcopy(model)
    hh_branch = next(k for k, b in enumerate(bad["branches"]) if "hh" in b["mechanisms"])
    bad["branches"][hh_branch]["mechanisms"]["hh"]["gnabar"] = 120.0
    bad["celsius"] = 279.45
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        cell, options = model_from_dict(bad)
        dx.compile(cell, **options)
    messages = [str(w.message) for w in record if issubclass(w.category, dx.UnitWarning)]
    assert len(messages) == 2, messages
    assert f"branches=({hh_branch},)" in messages[0] and "HH.gnabar = 120 S/cm²" in messages[0]
    assert "celsius = 279.4 °C" in messages[1] and "kelvin" in messages[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error", dx.UnitWarning)
        cell, options = model_from_dict(model)  # the unchanged file is silent
        dx.compile(cell, **options)


def test_shared_function_for_readers_and_its_context_prefix():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with unit_context("cell.json"):
            assert check_range("diameter", [2.0, 3e-6], "branches[2].diam_um")
        assert not check_range("diameter", [2.0, 0.0], "d")  # zero is "off", not a unit slip
    message = one_warning(record)
    assert message.startswith("cell.json: branches[2].diam_um = 3e-06 µm (1 of 2 values")


def test_documented_ranges_match_the_table_in_docs():
    text = (Path(__file__).parents[1] / "docs" / "units.md").read_text()
    for kind, r in RANGES.items():
        rows = [line for line in text.splitlines() if line.startswith(f"| `{kind}` |")]
        assert len(rows) == 1, kind
        warns_when = re.split(r"(?<!\\)\|", rows[0])[3]  # the "warns when" column
        numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?", warns_when)]
        for bound in (r.low, r.high):
            if bound is not None:
                assert any(np.isclose(abs(bound), abs(x)) for x in numbers), (kind, bound)
    assert np.isclose(RANGES["conductance_density"].high, 10.0)
