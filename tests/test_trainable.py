"""Trainable parameters (ParameterMap: quantities, sharing, init, errors, jit/vmap) and the
bounded transforms (round trips, ranges, float32 safety)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import branched_cell

import dendrax as dx

T = dx.Trainable


@pytest.fixture(scope="module")
def mixed():
    """The branched cell with hh in the soma and pas in the dendrites, and its System."""
    cell = branched_cell("mixed")
    return cell, dx.compile(cell, dt_ms=0.025, t_stop_ms=0.1)


def comps_of(cell, **kw):
    return cell.select(**kw).indices


# --- ParameterMap: values land where they should ------------------------------------------


def test_init_from_model_and_group_names(mixed):
    cell, system = mixed
    pm = dx.ParameterMap(
        system,
        [
            T("gna", (dx.HH, "gnabar")),
            T("g_pas", (dx.Pas, "g"), sharing=dx.PerRegion()),
            T("cm", "cm", sharing=dx.PerBranch()),
            T("r", "radius", where=cell.select(branches=[2]), sharing=dx.PerCompartment()),
            T("L", "length", where="apical", sharing=dx.PerBranch()),
        ],
    )
    p = pm.init()
    np.testing.assert_allclose(p["gna"], [0.12])
    np.testing.assert_allclose(p["g_pas"], [1e-4, 1e-4])
    np.testing.assert_allclose(p["cm"], np.ones(6))
    np.testing.assert_allclose(p["r"], np.full(5, 0.5))
    np.testing.assert_allclose(p["L"], [20.0, 20.0, 16.0, 10.0])  # branch length / ncomp
    assert pm.group_names("g_pas") == ("apical", "basal")
    assert pm.group_names("cm") == tuple(f"branch {b}" for b in range(6))
    assert pm.group_names("r")[0] == f"compartment {comps_of(cell, branches=[2])[0]}"
    assert pm.group_names("gna") == ("shared",)
    with pytest.raises(KeyError, match="No trainable"):
        pm.group_names("nope")
    # applying the initial values reproduces the System exactly
    same = pm.apply(system, p)
    for a, b in zip(jax.tree_util.tree_leaves(same), jax.tree_util.tree_leaves(system)):
        np.testing.assert_array_equal(a, b)


def test_apply_sets_each_sharing_kind(mixed):
    cell, system = mixed
    apical, basal = comps_of(cell, kind="apical"), comps_of(cell, kind="basal")
    groups = dx.Grouping((cell.select(branches=[1, 3]), cell.select(branches=[4, 5])))
    pm = dx.ParameterMap(
        system,
        [
            T("e_pas", (dx.Pas, "e"), sharing=dx.PerRegion(), init=[-70.0, -60.0]),
            T("cm", "cm", sharing=dx.PerBranch()),
            T("Ra", "Ra", where="apical", sharing=groups),
            T("radius", "radius", where="soma"),
            T("L", "length", where=cell.select(branches=[2]), sharing=dx.PerCompartment()),
        ],
    )
    p = {
        "e_pas": jnp.array([-70.0, -60.0]),
        "cm": jnp.arange(1.0, 7.0),
        "Ra": jnp.array([50.0, 150.0]),
        "radius": 7.0,  # a scalar is broadcast to the groups
        "L": jnp.arange(1.0, 6.0),
        "unrelated": 3.0,  # ignored
    }
    s = pm.apply(system, p)
    pas = s.mechanisms[1]
    e = np.full(cell.n_compartments, np.nan)
    e[np.asarray(pas.compartments)] = np.asarray(pas.params["e"])
    np.testing.assert_array_equal(e[apical], -70.0)
    np.testing.assert_array_equal(e[basal], -60.0)
    branch = cell.geometry.branch_of_compartment()
    np.testing.assert_array_equal(s.cm_uF_cm2, branch + 1.0)
    ra = np.asarray(s.Ra_ohm_cm)
    np.testing.assert_array_equal(ra[np.isin(branch, [1, 3])], 50.0)
    np.testing.assert_array_equal(ra[np.isin(branch, [4, 5])], 150.0)
    np.testing.assert_array_equal(ra[branch == 0], 100.0)  # untouched
    assert float(s.diam_um[0]) == 14.0  # radius 7 µm
    np.testing.assert_array_equal(s.length_um[branch == 2], np.arange(1.0, 6.0))
    np.testing.assert_array_equal(s.length_um[branch != 2], system.length_um[branch != 2])


def test_given_init_and_channel_instance_quantity(mixed):
    cell, system = mixed
    pm = dx.ParameterMap(system, [T("gk", (dx.HH(), "gkbar"), init=0.05, transform=dx.Softplus())])
    np.testing.assert_allclose(pm.init()["gk"], [0.05])


@pytest.mark.parametrize(
    "trainables, error, match",
    [
        ([T("x", "diameter")], ValueError, "unknown quantity"),
        ([T("x", ("hh", "gnabar"))], TypeError, "Channel class"),
        ([T("x", (dx.HH, "gnabar", 1))], TypeError, "ChannelClass"),
        ([T("x", (dx.HH, "gbar"))], ValueError, "no parameter 'gbar'"),
        ([T("x", (dx.HH, "gnabar"), where="apical")], ValueError, "not inserted in"),
        ([T("x", "cm"), T("x", "Ra")], ValueError, "unique"),
        ([T("a", "cm"), T("b", "cm", where="soma")], ValueError, "same quantity"),
        ([T("x", "cm", sharing="branch")], TypeError, "sharing="),
        ([T("x", "cm", sharing=dx.PerRegion(), init=[1.0, 2.0])], ValueError, "one per group"),
        ([T("x", "cm", init=float("nan"))], ValueError, "finite"),
        ([T("x", "cm", init=2.0, transform=dx.Sigmoid(0.5, 1.5))], ValueError, "inside"),
        ([T("x", "cm", init=-1.0, transform=dx.Softplus())], ValueError, "> 0"),
        ([T("x", "cm", transform="softplus")], TypeError, "Transform"),
        (["cm"], TypeError, "Trainable"),
    ],
)
def test_errors_name_the_trainable_and_the_fix(mixed, trainables, error, match):
    cell, system = mixed
    with pytest.raises(error, match=match):
        dx.ParameterMap(system, trainables)


def test_grouping_errors(mixed):
    cell, system = mixed
    soma, basal, apical = (cell.select(kind=k) for k in ("soma", "basal", "apical"))
    cases = [
        (dx.Grouping((apical, apical | basal)), "overlap"),
        (dx.Grouping((apical,)), "in no group"),
        (dx.Grouping((soma, basal, apical)), "contains none"),  # pas is not in the soma
        (dx.Grouping(("apical",)), "selections made with"),
    ]
    for sharing, match in cases:
        with pytest.raises((ValueError, TypeError), match=match):
            dx.ParameterMap(system, [T("g", (dx.Pas, "g"), sharing=sharing)])
    empty = dx.Selection(np.array([], dtype=np.int64))
    with pytest.raises(ValueError, match="empty"):
        dx.ParameterMap(system, [T("c", "cm", where=empty)])


def test_apply_errors(mixed):
    cell, system = mixed
    pm = dx.ParameterMap(system, [T("cm", "cm", sharing=dx.PerRegion())])
    with pytest.raises(KeyError, match="lacks"):
        pm.apply(system, {})
    with pytest.raises(ValueError, match="expected \\(3,\\)"):
        pm.apply(system, {"cm": jnp.ones(2)})
    with pytest.raises(ValueError, match="vmap"):
        pm.apply(system, {"cm": jnp.ones((4, 3))})


def test_unconstrained_round_trip_passes_other_keys(mixed):
    cell, system = mixed
    pm = dx.ParameterMap(
        system,
        [
            T("g", (dx.Pas, "g"), transform=dx.Sigmoid(1e-5, 1e-3)),
            T("cm", "cm", transform=dx.Softplus(0.1)),
        ],
    )
    p = {**pm.init(), "amp": 0.3}
    u = pm.to_unconstrained(p)
    assert u["amp"] == 0.3
    back = pm.from_unconstrained(u)
    for k in ("g", "cm"):
        np.testing.assert_allclose(back[k], p[k], rtol=1e-12)


def test_jit_and_vmap_without_recompiling(mixed):
    """New values of trainables, and of any other System leaf, reuse one compilation; a batch
    of parameter sets under vmap equals the single runs."""
    cell, _ = mixed
    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=3.0)
    pm = dx.ParameterMap(system, [T("gna", (dx.HH, "gnabar")), T("Ra", "Ra")])
    traces = []

    @jax.jit
    def run(s, p):
        traces.append(1)
        return dx.simulate(pm.apply(s, p))["v_soma"][-1]

    p = pm.init()
    a = run(system, p)
    b = run(system, {"gna": p["gna"] * 2, "Ra": p["Ra"] / 2})
    warm = eqx.tree_at(lambda s: s.celsius, system, system.celsius + 10.0)
    c = run(warm, p)  # a non-trainable leaf changed: same structure, no retrace
    assert len(traces) == 1
    assert len({float(a), float(b), float(c)}) == 3

    batch = {"gna": jnp.array([[0.12], [0.24]]), "Ra": jnp.array([[100.0], [50.0]])}
    batched = jax.vmap(run, in_axes=(None, 0))(system, batch)
    np.testing.assert_allclose(batched, [a, b], rtol=1e-12)


def test_parameter_map_is_a_pytree_argument(mixed):
    cell, system = mixed
    pm = dx.ParameterMap(system, [T("cm", "cm", sharing=dx.PerBranch())])
    f = jax.jit(lambda pm, s, p: pm.apply(s, p).cm_uF_cm2)
    np.testing.assert_array_equal(
        f(pm, system, {"cm": jnp.arange(6.0)}), cell.geometry.branch_of_compartment()
    )


# --- transforms ----------------------------------------------------------------------------

TRANSFORMS = [
    dx.Identity(),
    dx.Affine(scale=0.01, shift=-65.0),
    dx.Softplus(),
    dx.Softplus(lower=0.5),
    dx.Sigmoid(0.0, 0.5),
    dx.Sigmoid(-80.0, -50.0),
    dx.Chain((dx.Affine(scale=3.0), dx.Softplus(lower=1e-4))),
    dx.Chain((dx.Softplus(), dx.Affine(scale=2.0, shift=1.0))),
]


@pytest.mark.parametrize("t", TRANSFORMS, ids=repr)
@pytest.mark.parametrize("dtype, rtol", [(jnp.float64, 1e-9), (jnp.float32, 2e-3)])
def test_round_trip(t, dtype, rtol):
    u = jnp.linspace(-8.0, 8.0, 33, dtype=dtype)
    x = t.forward(u)
    assert x.dtype == dtype
    np.testing.assert_allclose(t.inverse(x), u, rtol=rtol, atol=rtol * 8)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_ranges_and_gradients_stay_finite_for_extreme_inputs(dtype):
    u = jnp.asarray([-1e4, -200.0, -50.0, -1.0, 0.0, 1.0, 50.0, 200.0, 1e4], dtype=dtype)
    for t, lo, hi in [
        (dx.Softplus(), 0.0, np.inf),
        (dx.Softplus(lower=2.0), 2.0, np.inf),
        (dx.Sigmoid(0.01, 0.5), 0.01, 0.5),
        (dx.Chain((dx.Affine(scale=0.5), dx.Sigmoid(-90.0, -40.0))), -90.0, -40.0),
    ]:

        @jax.jit
        def check(u, t=t):
            x = t.forward(u)
            g = jax.vmap(jax.grad(t.forward))(u)
            inner = t.inverse(t.forward(jnp.asarray([-10.0, 0.0, 10.0], dtype=u.dtype)))
            return x, g, inner

        x, g, inner = check(u)
        assert bool(jnp.all(jnp.isfinite(x))), t
        assert bool(jnp.all((x >= lo) & (x <= hi))), t
        assert bool(jnp.all(jnp.isfinite(g))) and bool(jnp.all(g >= 0)), t
        assert bool(jnp.all(jnp.isfinite(inner))), t  # the inverse is finite inside the range


def test_softplus_inverse_extremes():
    t = dx.Softplus()
    x = jnp.asarray([1e-30, 1e-8, 1.0, 1e3, 1e30])
    np.testing.assert_allclose(t.forward(t.inverse(x)), x, rtol=1e-9)
    x32 = jnp.asarray([1e-30, 1e-8, 1.0, 1e3, 1e30], dtype=jnp.float32)
    assert bool(jnp.all(jnp.isfinite(t.inverse(x32))))


def test_transform_errors():
    with pytest.raises(ValueError, match="scale=0"):
        dx.Affine(scale=0.0)
    with pytest.raises(ValueError, match="lower < upper"):
        dx.Sigmoid(1.0, 1.0)
    with pytest.raises(ValueError, match="inside"):
        dx.Sigmoid(0.0, 1.0).check("x", np.array([1.0]))
    with pytest.raises(ValueError, match="> 0.5"):
        dx.Chain((dx.Affine(2.0), dx.Softplus(lower=0.5))).check("x", np.array([0.2]))


def test_equal_parameter_maps_have_equal_structures(cell):
    import jax

    system = dx.compile(cell, dt_ms=0.025, t_stop_ms=1.0)
    specs = [dx.Trainable("gna", (dx.HH, "gnabar")), dx.Trainable("Ra", "Ra")]
    a, b = dx.ParameterMap(system, specs), dx.ParameterMap(system, specs)
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
