"""Mechanisms that read ion variables (NMODL ``USEION ... READ``): the values arrive in
``params`` at every site, NEURON's defaults or per model."""

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import branched_cell

import dendrax as dx


class NaLeak(dx.Channel):
    """A sodium leak that reads ena from the ion: i = g (v - ena)."""

    name = "na_leak_reads"
    parameters = {"g": (2e-4, "S/cm^2")}
    ion_reads = ("ena",)

    def current(self, v, states, params, celsius):
        return params["g"] * (v - params["ena"])


class NaLeakParam(dx.Channel):
    """The same leak with ena as its own parameter."""

    name = "na_leak_param"
    parameters = {"g": (2e-4, "S/cm^2"), "ena": (50.0, "mV")}

    def current(self, v, states, params, celsius):
        return params["g"] * (v - params["ena"])


def run(channel, **options):
    cell = branched_cell("mixed")
    cell.insert(channel, where=cell.select(kind="apical"))
    return dx.simulate(dx.compile(cell, dt_ms=0.025, t_stop_ms=5.0, **options))


def test_a_read_ion_variable_equals_the_same_parameter():
    reads = run(NaLeak())
    own = run(NaLeakParam(ena=50.0))  # NEURON's default ena
    np.testing.assert_array_equal(np.asarray(reads.data), np.asarray(own.data))
    given = run(NaLeak(), ion_values={"ena": 20.0})
    own20 = run(NaLeakParam(ena=20.0))
    np.testing.assert_array_equal(np.asarray(given.data), np.asarray(own20.data))
    assert float(jnp.max(jnp.abs(given["v_tip"] - reads["v_tip"]))) > 1e-3


def test_ion_value_errors():
    with pytest.raises(ValueError, match="no mechanism of this model reads \\['ek'\\]"):
        run(NaLeak(), ion_values={"ek": -80.0})
    with pytest.raises(ValueError, match="finite number"):
        run(NaLeak(), ion_values={"ena": float("nan")})

    class XReader(NaLeak):  # an ion NEURON has no defaults for
        name = "x_reader"
        ion_reads = ("ex",)

        def current(self, v, states, params, celsius):
            return params["g"] * (v - params["ex"])

    with pytest.raises(ValueError, match="has no default.*ion_values=\\{'ex'"):
        run(XReader())
    run(XReader(), ion_values={"ex": 120.0})


def test_ion_reads_are_checked_on_the_class():
    class Bad(NaLeak):
        name = "bad_reads"
        ion_reads = ("sodium",)

    with pytest.raises(ValueError, match="not ion variables"):
        Bad()

    class Clash(NaLeakParam):
        name = "clash_reads"
        ion_reads = ("ena",)

    with pytest.raises(ValueError, match="both parameters and ion_reads"):
        Clash()
