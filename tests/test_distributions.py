"""Parameters that vary in space: path distances from any origin, per-compartment values in
Cell.insert (arrays, functions, safe expressions), Hay's x = 1 convention, the model-file spec
(distribution_values), compile, save_model, and trainables (jit, grad, vmap)."""

import importlib.resources
import json
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from dendrax.model._distributions import (
    DistributionError,
    distribution_values,
    evaluate_expression,
    path_distances,
)

bg = dx.BranchGeometry.cylinder


def toy_cell() -> dx.Cell:
    """soma (20 µm, 1 comp); trunk (100 µm, 4) at soma x=1; two tufts (50 µm, 2) at trunk x=1;
    basal (40 µm, 2) at soma x=0."""
    return dx.Cell(
        [
            bg(20.0, 20.0, 1, kind="soma"),
            bg(100.0, 2.0, 4, parent=0, parent_x=1.0, kind="apical"),
            bg(50.0, 1.0, 2, parent=1, parent_x=1.0, kind="apical"),
            bg(50.0, 1.0, 2, parent=1, parent_x=1.0, kind="apical"),
            bg(40.0, 1.0, 2, parent=0, parent_x=0.0, kind="basal"),
        ]
    )


# --- path distances ----------------------------------------------------------------------


def test_default_origin_is_the_root_centre_as_select_uses():
    cell = toy_cell()
    expected = [0, 22.5, 47.5, 72.5, 97.5, 122.5, 147.5, 122.5, 147.5, 20, 40]
    np.testing.assert_allclose(cell.path_distance_um(), expected, atol=1e-12)
    np.testing.assert_array_equal(cell.path_distance_um(), cell.geometry.path_distance_um())


def test_explicit_root_centre_matches_geometry_on_a_reconstruction():
    path = importlib.resources.files("dendrax") / "data" / "c91662.swc"
    cell = dx.Cell.from_swc(str(path))
    by_graph = path_distances(cell.geometry, origin=(0, 0.5))  # the general algorithm
    np.testing.assert_allclose(by_graph, cell.geometry.path_distance_um(), rtol=0, atol=1e-9)
    assert by_graph.max() > 100.0


def test_origin_at_the_start_of_the_apical_trunk_and_inside_it():
    cell = toy_cell()
    d = cell.path_distance_um(origin=(1, 0.0))
    # trunk, tufts, soma (behind the origin), basal (through the soma)
    expected = [12.5, 37.5, 62.5, 87.5, 112.5, 137.5, 112.5, 137.5, 10.0, 30.0, 50.0]
    order = [1, 2, 3, 4, 5, 6, 7, 8, 0, 9, 10]
    np.testing.assert_allclose(d[order], expected, atol=1e-12)
    inside = cell.path_distance_um(origin=dx.Location(1, 0.3))  # 30 µm along the trunk
    np.testing.assert_allclose(inside[1:5], [17.5, 7.5, 32.5, 57.5], atol=1e-12)
    np.testing.assert_allclose(inside[0], 40.0, atol=1e-12)


def test_last_at_x1_measures_the_last_compartment_of_every_branch_to_its_end():
    cell = toy_cell()
    d = cell.path_distance_um(origin=(1, 0.0), sample="last_at_x1")
    np.testing.assert_allclose(d[1:5], [12.5, 37.5, 62.5, 100.0], atol=1e-12)
    np.testing.assert_allclose(d[5:9], [112.5, 150.0, 112.5, 150.0], atol=1e-12)
    assert d[0] == 0.0  # the soma's x = 1 end is the trunk's x = 0: the origin
    np.testing.assert_allclose(d[9:], [30.0, 60.0], atol=1e-12)


def test_interior_attachment_starts_at_the_parent_compartment_centre():
    cell = dx.Cell([bg(100.0, 2.0, 4), bg(10.0, 1.0, 1, parent=0, parent_x=0.3)])
    # attached to the node of compartment 1 (centre 37.5 µm), as NEURON connects it
    np.testing.assert_allclose(cell.path_distance_um(origin=(0, 0.0))[4], 37.5 + 5.0)
    np.testing.assert_allclose(cell.path_distance_um()[4], 12.5 + 5.0)


@pytest.mark.parametrize(
    "origin, message",
    [((9, 0.0), "branch 9 does not exist"), ((1, 1.5), "outside [0, 1]"), ("soma", "(branch, x)")],
)
def test_bad_origin_says_what_to_give(origin, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        toy_cell().path_distance_um(origin=origin)


def test_bad_sample_names_the_choices():
    with pytest.raises(ValueError, match="'centre'.*'last_at_x1'"):
        toy_cell().path_distance_um(sample="end")


# --- expressions -------------------------------------------------------------------------

HAY_IH = "0.0002*(-0.8696 + 2.087*exp(3.6161*d/dmax))"


def test_expressions_evaluate_like_numpy():
    d = np.array([0.0, 100.0, 700.0, 900.0])
    np.testing.assert_allclose(
        evaluate_expression(HAY_IH, d), 0.0002 * (-0.8696 + 2.087 * np.exp(3.6161 * d / 900.0))
    )
    np.testing.assert_array_equal(
        evaluate_expression("where(685 < d < 885, 0.0187, 0.000187)", d),
        [0.000187, 0.000187, 0.0187, 0.000187],
    )
    np.testing.assert_allclose(
        evaluate_expression("min(max(d, 50), 800)**2 / -sqrt(abs(-4)) + log(dmax)", d, 10.0),
        np.clip(d, 50, 800) ** 2 / -2.0 + np.log(10.0),
    )
    np.testing.assert_array_equal(evaluate_expression("(d >= 100) * 2", d), [0, 2, 2, 2])
    np.testing.assert_array_equal(evaluate_expression("3", d), [3.0] * 4)


@pytest.mark.parametrize(
    "expression, token",
    [
        ("__import__('os').system('true')", "__import__"),
        ("d.real", "d.real"),
        ("x + 1", "'x'"),
        ("d // 2", "d // 2"),
        ("lambda: 1", "lambda"),
        ("[d, 1]", "[d, 1]"),
        ("'a' * 3", "'a'"),
        ("exp(d, 2)", "exp() takes 1"),
        ("where(d > 1, 1)", "where() takes 3"),
        ("not d", "not d"),
        ("d +* 2", "not valid syntax"),
        ("exp", "the function 'exp'"),
    ],
)
def test_bad_expressions_name_the_token_and_the_allowed_ones(expression, token):
    with pytest.raises(DistributionError) as info:
        evaluate_expression(expression, np.zeros(3))
    message = str(info.value)
    assert token in message
    if "takes" not in token:
        assert "allowed are numbers, the names d" in message


def test_huge_powers_overflow_instead_of_hanging():
    cell = toy_cell()
    with pytest.raises(DistributionError, match="not finite.*branch 0, compartment 0"):
        distribution_values("9**9**9", cell, [0, 1])


# --- distribution_values (the model-file spec) ---------------------------------------------


def test_numbers_lists_and_objects():
    cell = toy_cell()
    apical = cell.select(kind="apical").indices
    np.testing.assert_array_equal(distribution_values(0.5, cell, apical), [0.5] * 8)
    values = list(np.arange(8.0))
    np.testing.assert_array_equal(distribution_values(values, cell, apical), values)
    spec = {"expression": "d / dmax", "origin": [1, 0.0], "sample": "last_at_x1"}
    np.testing.assert_allclose(
        distribution_values(spec, cell, apical),
        np.array([12.5, 37.5, 62.5, 100, 112.5, 150, 112.5, 150]) / 150.0,
    )
    with_dmax = distribution_values({"expression": "d / dmax", "dmax": 1000}, cell, apical)
    np.testing.assert_allclose(with_dmax, cell.path_distance_um()[apical] / 1000.0)


def test_dmax_over_a_wider_set_than_the_branch_evaluated():
    cell = toy_cell()
    trunk = cell.select(branches=[1]).indices
    apical = cell.select(kind="apical").indices
    got = distribution_values("d / dmax", cell, trunk, origin=(1, 0), dmax_over=apical)
    np.testing.assert_allclose(got, np.array([12.5, 37.5, 62.5, 87.5]) / 137.5)


@pytest.mark.parametrize(
    "spec, message",
    [
        ([1.0, 2.0], "2 values for 8 compartments"),
        ({"expr": "d"}, "'expression' required"),
        ({"expression": 3}, "expression must be a string"),
        ({"expression": "d", "dmax": "far"}, "dmax must be a number"),
        ({"expression": "d", "origin": [1, 2.0]}, "outside [0, 1]"),
        ("log(d - 200)", "not finite"),
        ([1.0] * 7 + [np.nan], "the first, nan, at branch 3, compartment 1"),
        (True, "not a number"),
        (None, "give a number"),
    ],
)
def test_bad_specs_name_the_field(spec, message):
    cell = toy_cell()
    with pytest.raises(DistributionError) as info:
        distribution_values(spec, cell, cell.select(kind="apical").indices, where="Ih.gIhbar")
    assert message in str(info.value)
    assert "Ih.gIhbar" in str(info.value)


def test_hay_convention_equals_neurons_loop_over_x():
    """Independent: NEURON's `for (x) { g(x) = f(distance(x)) }` on the toy tree, origin at the
    trunk start (distance(x) = start of the branch + x L outward), the segment of x being
    min(floor(x n), n - 1); the later assignment wins."""
    cell = toy_cell()

    def f(d):
        return 1e-4 * (1.0 + d / 10.0)

    starts = {1: 0.0, 2: 100.0, 3: 100.0}
    expected = []
    for b in (1, 2, 3):
        geo = cell.geometry.branches[b]
        n, length = geo.ncomp, geo.total_length_um
        seg = np.zeros(n)
        for x in [0.0, *((np.arange(n) + 0.5) / n), 1.0]:
            seg[min(int(np.floor(x * n)), n - 1)] = f(starts[b] + x * length)
        expected.extend(seg)
    apical = cell.select(kind="apical")
    cell.insert(dx.Pas(), apical, per_compartment={"g": f}, origin=(1, 0.0), sample="last_at_x1")
    np.testing.assert_allclose(cell.insertions[-1].per_compartment["g"], expected, rtol=1e-14)


# --- Cell.insert and compile ---------------------------------------------------------------


def compiled_params(cell, mechanism="pas"):
    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=0.5)
    for g in system.mechanisms:
        if g.mechanism_type.name == mechanism:
            return np.asarray(g.compartments), {k: np.asarray(v) for k, v in g.params.items()}
    raise AssertionError(mechanism)


def test_per_compartment_values_reach_the_compiled_system_and_later_insertions_override():
    cell = toy_cell()
    cell.insert(dx.Pas(g=1e-5, e=-70.0))  # everywhere
    apical = cell.select(kind="apical")
    cell.insert(dx.Pas(g=1e-5, e=-70.0), apical, per_compartment={"g": HAY_IH})
    tuft = cell.select(branches=[2])
    cell.insert(dx.Pas(g=1e-5, e=-70.0), tuft, per_compartment={"e": np.array([-80.0, -60.0])})
    comps, params = compiled_params(cell)
    np.testing.assert_array_equal(comps, np.arange(11))
    d = cell.path_distance_um()
    ih = 0.0002 * (-0.8696 + 2.087 * np.exp(3.6161 * d / d[apical.indices].max()))
    expected_g = np.full(11, 1e-5)
    expected_g[apical.indices] = ih[apical.indices]
    expected_g[tuft.indices] = 1e-5  # the tuft's insertion gives g uniformly again
    np.testing.assert_allclose(params["g"], expected_g, rtol=1e-14)
    expected_e = np.full(11, -70.0)
    expected_e[tuft.indices] = [-80.0, -60.0]
    np.testing.assert_array_equal(params["e"], expected_e)


def test_values_follow_the_selection_order_and_functions_get_distances():
    cell = toy_cell()
    where = cell.select(branches=[4]) | cell.select(branches=[0])  # indices sorted: 0, 9, 10
    seen = []

    def f(d):
        seen.append(d.copy())
        return 1e-4 + 1e-6 * d

    cell.insert(dx.Pas(), where, per_compartment={"g": f, "e": [-60.0, -61.0, -62.0]})
    np.testing.assert_array_equal(seen[0], [0.0, 20.0, 40.0])
    comps, params = compiled_params(cell)
    np.testing.assert_array_equal(comps, [0, 9, 10])
    np.testing.assert_allclose(params["g"], [1e-4, 1.2e-4, 1.4e-4])
    np.testing.assert_array_equal(params["e"], [-60.0, -61.0, -62.0])


def test_per_compartment_cell_simulates_as_the_same_cell_built_compartment_by_compartment():
    g = np.array([1e-4, 3e-4, 5e-4, 7e-4])

    def build(per):
        cell = dx.Cell([bg(20.0, 20.0, 1, kind="soma"), bg(200.0, 2.0, 4, parent=0)])
        cell.insert(dx.HH(), cell.select(kind="soma"))
        dend = cell.select(branches=[1])
        if per:
            cell.insert(dx.Pas(e=-70.0), dend, per_compartment={"g": g})
        else:
            for i, c in enumerate(dend.indices):
                cell.insert(dx.Pas(g=g[i], e=-70.0), dx.Selection(np.array([c])))
        cell.stimulate(dx.IClamp(1.0, 3.0, 0.5), at=(0, 0.5))
        cell.record("v", (1, 1.0), key="v")
        return cell

    run = [dx.simulate(dx.compile(build(p), dt_ms=0.025, t_stop_ms=8.0))["v"] for p in (1, 0)]
    np.testing.assert_array_equal(run[0], run[1])
    assert np.ptp(np.asarray(run[0])) > 10.0  # the spike reached the tip


@pytest.mark.parametrize(
    "per, message",
    [
        ({"gbar": 1.0}, "Pas has no parameter 'gbar'; its parameters are ['e', 'g']"),
        ({"g": [1.0, 2.0]}, "2 values for 8 compartments"),
        ({"g": "d + y"}, "the name 'y' is not allowed"),
        ({"g": lambda d: d[:2]}, "returned shape (2,)"),
        ({"g": lambda d: 1 / 0}, "failed on the path distances"),
        ("g", "give a dict"),
    ],
)
def test_insert_errors_name_the_argument(per, message):
    cell = toy_cell()
    with pytest.raises((ValueError, TypeError)) as info:
        cell.insert(dx.Pas(), "apical", per_compartment=per)
    assert message in str(info.value)
    assert not cell.insertions


def test_global_parameters_cannot_vary_per_compartment():
    class Glob(dx.Channel):
        name = "glob_test"
        parameters = {"g": (1e-4, "S/cm^2"), "eg": (-45.0, "mV")}
        global_parameters = ("eg",)

        def current(self, v, s, p, celsius):
            return p["g"] * (v - p["eg"])

    with pytest.raises(ValueError, match="Glob.eg is a NEURON GLOBAL"):
        toy_cell().insert(Glob(), per_compartment={"eg": np.zeros(11)})


def test_a_constant_per_compartment_value_is_a_number():
    cell = toy_cell()
    cell.insert(dx.Pas(g=1e-5), "basal", per_compartment={"g": 2e-5})
    np.testing.assert_array_equal(cell.insertions[0].parameter_values()["g"], [2e-5, 2e-5])
    assert cell.insertions[0].channel.values["g"] == 1e-5  # the channel itself is unchanged


def test_save_model_writes_values_that_vary_inside_a_branch_as_lists(tmp_path):
    cell = toy_cell()
    cell.insert(dx.Pas(), "apical", per_compartment={"g": "1e-4 + 1e-7*d"})
    dx.save_model(tmp_path / "m.json", cell, dt_ms=0.025, t_stop_ms=1.0)
    data = json.loads((tmp_path / "m.json").read_text())
    assert data["format"] == "neuroref-case/2"
    g = data["branches"][1]["mechanisms"]["pas"]["g"]
    d = cell.path_distance_um()[cell.select(branches=[1]).indices]
    np.testing.assert_allclose(g, 1e-4 + 1e-7 * d, rtol=1e-15)


# --- trainables: replacing semantics, and gradients through a distribution -----------------


def trainable_cell():
    cell = dx.Cell([bg(20.0, 20.0, 1, kind="soma"), bg(300.0, 2.0, 6, parent=0, kind="apical")])
    cell.insert(dx.Pas(g=1e-4, e=-70.0))
    cell.insert(dx.Pas(e=-70.0), "apical", per_compartment={"g": "1e-4*exp(d/300)"})
    cell.stimulate(dx.IClamp(1.0, 5.0, 0.2), at=(0, 0.5))
    cell.record("v", (1, 1.0), key="v")
    return cell


def test_parameter_map_keeps_per_compartment_values_and_shared_replaces_them():
    cell = trainable_cell()
    system = dx.compile(cell, dt_ms=0.05, t_stop_ms=8.0)
    values = cell.insertions[-1].per_compartment["g"]
    per = dx.ParameterMap(system, [dx.Trainable("g", (dx.Pas, "g"), "apical", dx.PerCompartment())])
    np.testing.assert_array_equal(per.init()["g"], values)
    applied = per.apply(system, per.init())
    np.testing.assert_array_equal(np.asarray(applied.mechanisms[0].params["g"])[1:], values)
    shared = dx.ParameterMap(system, [dx.Trainable("g", (dx.Pas, "g"), "apical")])
    np.testing.assert_allclose(shared.init()["g"], [values.mean()], rtol=1e-14)
    flat = shared.apply(system, {"g": 2e-4})
    np.testing.assert_array_equal(np.asarray(flat.mechanisms[0].params["g"])[1:], 2e-4)


def test_gradient_through_a_scaled_distribution_under_jit_and_vmap():
    cell = trainable_cell()
    system = dx.compile(cell, dt_ms=0.05, t_stop_ms=8.0)
    pm = dx.ParameterMap(system, [dx.Trainable("g", (dx.Pas, "g"), "apical", dx.PerCompartment())])
    shape = pm.init()["g"]

    def loss(scale):
        res = dx.simulate(pm.apply(system, {"g": scale * shape}))
        return jnp.mean(res["v"] ** 2)

    grad = jax.jit(jax.grad(loss))(1.0)
    h = 1e-4
    fd = (loss(1.0 + h) - loss(1.0 - h)) / (2 * h)
    assert np.isfinite(grad) and abs(grad) > 1e-6
    np.testing.assert_allclose(grad, fd, rtol=1e-5)
    grads = jax.jit(jax.vmap(jax.grad(loss)))(jnp.array([0.5, 1.0, 2.0]))
    np.testing.assert_allclose(grads[1], grad, rtol=1e-10)
    assert grads[0] != grads[2]
