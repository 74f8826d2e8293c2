"""Smoke test of examples/fit_pyramidal_cell.py: its core on a tiny problem (short run, coarse
discretisation, a few optimiser steps) builds, runs and lowers the loss."""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from _examples import loaded_example

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fit_pyramidal_cell.py"


@pytest.fixture(scope="module")
def example():
    with loaded_example(EXAMPLE, "fit_pyramidal_cell") as module:
        yield module


def test_gradient_descent_lowers_the_loss(example):
    settings = dataclasses.replace(
        example.QUICK,
        t_stop_ms=6.0,
        stim_delay_ms=0.5,
        stim_dur_ms=5.0,
        feature_window_ms=2.0,
        adam_steps=3,
        gd_max_evaluations=6,
    )
    problem = example.build_problem(settings)
    assert len(problem.true_params) == 13
    assert problem.target.shape == (3, 5, problem.n_steps + 1)
    assert np.all(np.isfinite(np.asarray(problem.target)))

    u0 = example.random_start(problem, settings)
    true_u = problem.sim.pmap.to_unconstrained(problem.true_params)
    assert float(example.forward_loss(problem.sim, problem.target, true_u)) < 1e-12

    gd = example.fit_gradient(problem, u0, settings)
    losses = gd["losses"]
    assert gd["gradient_evaluations"] >= settings.gd_max_evaluations
    assert gd["phases"][: settings.adam_steps] == ["adam"] * settings.adam_steps
    assert "lbfgs" in gd["phases"]
    assert all(math.isfinite(x) for x in losses)
    assert gd["final_loss"] < 0.9 * losses[0]
