"""Model format version 2 (neuroref-case/2): what it adds to version 1 is read as documented
(docs/model_format.md) and bad fields name the fix. Agreement with NEURON on the v2 cases:
tests/validation/test_channel_cases.py."""

from __future__ import annotations

import copy
import json
import pathlib

import numpy as np
import pytest

import dendrax as dx
from dendrax.io._model_json import ModelFileError, model_from_dict

CASES = pathlib.Path(__file__).resolve().parent / "validation" / "channels" / "cases"


def case(name: str) -> dict:
    return json.loads((CASES / f"{name}.json").read_text())


def test_v1_files_still_read_and_v1_refuses_v2_fields():
    model = case("ch_Ih")
    model["format"] = "neuroref-case/1"
    with pytest.raises(ModelFileError, match="globals is a field of format 'neuroref-case/2'"):
        model_from_dict(model)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m["branches"][0]["ions"].update({"ca": {"mode": "warm"}}), "mode='warm'"),
        (lambda m: m["branches"][0]["ions"].update({"ca": {"mode": "fixed"}}), "needs erev_mV"),
        (
            lambda m: m["branches"][0]["ions"].update({"ca": {"mode": "nernst", "valence": 1}}),
            "ca has valence 2",
        ),
        (
            lambda m: m["branches"][0]["mechanisms"]["SK_E2"].update({"gSK_E2bar": [1, 2]}),
            "has 2 values; give one per compartment",
        ),
        (lambda m: m["globals"].update({"SK_E2": {"gSK_E2bar": 1.0}}), "unknown field"),
        (lambda m: m["globals"].update({"Nope": {}}), "globals.Nope: unknown mechanism"),
        (
            lambda m: m["recordings"].append(
                {"key": "ic", "var": "i_seclamp", "branch": 0, "x": 0.5}
            ),
            "needs 'stim', the index of a seclamp",
        ),
        (
            lambda m: m["stimuli"].append({"type": "seclamp", "branch": 0, "x": 0.5}),
            "a seclamp needs",
        ),
        (
            lambda m: m["recordings"].append({"key": "q", "var": "SK_E2.q", "branch": 0, "x": 0.5}),
            r"has no state 'q'; it records \['z', 'ik', 'gSK_E2'\]",
        ),
    ],
)
def test_bad_v2_fields_name_the_fix(edit, message):
    model = copy.deepcopy(case("ch_ca_dynamics"))
    edit(model)
    with pytest.raises((ModelFileError, ValueError), match=message):
        cell, options = model_from_dict(model)
        dx.compile(cell, **options)


def test_a_distribution_in_a_file_equals_the_python_one():
    model = case("ch_ballstick_hay")
    apical = [k for k, b in enumerate(model["branches"]) if b.get("swc_type") == 4]
    root = apical[0]
    expression = {
        "expression": "0.0002*(-0.8696 + 2.087*exp(3.6161*d/dmax))",
        "origin": [root, 0.0],
        "sample": "last_at_x1",
        "dmax_over": "apical",
    }
    stored = {k: model["branches"][k]["mechanisms"]["Ih"]["gIhbar"] for k in apical}
    for k in apical:
        model["branches"][k]["mechanisms"]["Ih"]["gIhbar"] = expression
    cell, _ = model_from_dict(model)
    system = dx.compile(cell, t_stop_ms=1.0)
    pm = dx.ParameterMap(
        system, [dx.Trainable("g", (dx.mechanisms.hay.Ih, "gIhbar"), sharing=dx.PerCompartment())]
    )
    got = np.asarray(pm.init()["g"])
    # the case's lists were computed by NEURON's generator with Hay's recipe (FORMAT_V2 s. 9)
    want = np.concatenate(
        [np.full(b["ncomp"], b["mechanisms"]["Ih"]["gIhbar"]) if k not in stored
         else np.asarray(stored[k], float)
         for k, b in enumerate(model["branches"]) if "Ih" in b["mechanisms"]]
    )  # fmt: skip
    # the JSON stores the values rounded to 10 significant digits
    np.testing.assert_allclose(got, want, rtol=1e-9)


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda m: m["recordings"].append(
                {"key": "ic2", "var": "i_seclamp", "branch": 0, "x": 0.5, "stim": True}
            ),
            "needs 'stim'",
        ),
        (
            lambda m: m["branches"][0]["mechanisms"]["Ih"].update({"ehcn": -30.0}),
            "NEURON GLOBALs of Ih",
        ),
        (lambda m: m["globals"].update({"pas": {"g": 1.0}}), "pas has no GLOBAL parameters"),
    ],
)
def test_bad_v2_fields_of_the_clamp_case(edit, message):
    model = copy.deepcopy(case("ch_seclamp_ih"))
    edit(model)
    with pytest.raises(ModelFileError, match=message):
        model_from_dict(model)


def test_v1_refuses_ions_and_seclamp():
    model = case("ch_seclamp_ih")
    del model["globals"], model["mechanisms_used"]
    model["format"] = "neuroref-case/1"
    for b in model["branches"]:
        b["mechanisms"].pop("Ih")
        b.pop("ions")
    with pytest.raises(ModelFileError, match="'seclamp' is a stimulus of format 'neuroref-case/2'"):
        model_from_dict(model)
    model["branches"][0]["ions"] = {}
    with pytest.raises(ModelFileError, match=r"branches\[0\].ions is a field of format"):
        model_from_dict(model)
