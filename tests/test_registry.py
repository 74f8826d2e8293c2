"""The immutable mechanism registry passed to the model-file readers."""

import pytest

import dendrax as dx
from dendrax.io._model_json import ModelFileError, model_from_dict
from dendrax.mechanisms import DEFAULT_REGISTRY, MechanismRegistry


class Leak2(dx.Channel):
    name = "leak2"
    parameters = {"g": (1e-4, "S/cm^2"), "e": (-65.0, "mV")}

    def current(self, v, states, params, celsius):
        return params["g"] * (v - params["e"])


MODEL = {
    "format": "neuroref-case/1",
    "celsius": 6.3,
    "v_init_mV": -65.0,
    "dt_ms": 0.025,
    "tstop_ms": 1.0,
    "method": "backward_euler",
    "branches": [
        {
            "parent": -1,
            "length_um": 20.0,
            "ncomp": 1,
            "diam_um": [20.0],
            "Ra_ohm_cm": 100.0,
            "cm_uF_cm2": 1.0,
            "mechanisms": {"leak2": {"g": 2e-4}},
        }  # fmt: skip
    ],
}


def test_the_default_registry_is_immutable_and_extended_by_copy():
    assert {"hh", "pas", "ExpSyn", "Exp2Syn"} <= set(DEFAULT_REGISTRY)
    with pytest.raises(AttributeError, match="immutable"):
        DEFAULT_REGISTRY._by_name = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULT_REGISTRY["leak2"] = Leak2  # type: ignore[index]
    extended = DEFAULT_REGISTRY.with_mechanisms(Leak2)
    assert extended["leak2"] is Leak2 and "leak2" not in DEFAULT_REGISTRY


def test_readers_take_the_registry():
    with pytest.raises(ModelFileError, match="with_mechanisms"):
        model_from_dict(MODEL)
    cell, options = model_from_dict(MODEL, DEFAULT_REGISTRY.with_mechanisms(Leak2))
    assert type(cell.insertions[0].channel) is Leak2
    assert cell.insertions[0].channel.values["g"] == 2e-4


def test_registry_errors():
    class Other(Leak2):
        name = "hh"

    with pytest.raises(ValueError, match="Two mechanism classes are named 'hh'"):
        DEFAULT_REGISTRY.with_mechanisms(Other)
    with pytest.raises(TypeError, match="mechanism classes"):
        MechanismRegistry([dx.HH()])
    with pytest.raises(KeyError, match="known mechanisms"):
        DEFAULT_REGISTRY["nope"]
