"""Bounded transforms (Softplus, Sigmoid, Affine, Chain) on network trainables, as for cells:
connection weights and delays, synaptic time constants and reversal potentials, and a cell
parameter. Round trips, refused initial values, bounds for any unconstrained value (float64 and
float32), and gradients in the optimiser's unconstrained space against central differences."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import dendrax as dx

T = dx.Trainable
DT_MS = 0.025
BOUNDS = {  # name: (lower, upper) of the transform's range
    "w": (0.0, np.inf),
    "tau": (0.5, 10.0),
    "tau2": (1.0, np.inf),
    "e2": (-20.0, 20.0),
    "delay": (0.1, 2.9),
    "gna": (0.0, np.inf),
}


def network(dtype=jnp.float64) -> dx.System:
    """A NetStim drives cell A (ExpSyn), A excites cell B (Exp2Syn); 8 ms."""
    soma = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1, kind="soma")])
    soma.insert(dx.HH())
    soma.record("v", (0, 0.5), key="v")
    net = dx.Network()
    a = net.add_cells(soma, 1, name="A")
    b = net.add_cells(soma, 1, name="B")
    net.detect(a + b, threshold_mV=0.0)
    drive = net.add_source(dx.NetStim(start_ms=0.5, interval_ms=4.0, number=2), name="drive")
    sa = net.place(dx.ExpSyn(tau=2.0, e=0.0), a, name="sa")
    net.connect(drive, sa, weight_uS=0.005, delay_ms=0.61, name="drive")
    sb = net.place(dx.Exp2Syn(tau1=0.5, tau2=3.0, e=0.0), b, name="sb")
    net.connect(a, sb, weight_uS=0.01, delay_ms=1.21, name="AB")
    return dx.compile(net, dt_ms=DT_MS, t_stop_ms=8.0, dtype=dtype, max_delay_ms=3.0)


def trainables(**init) -> list[dx.Trainable]:
    return [
        T("w", "weight_uS", sharing=dx.PerConnection(), transform=dx.Softplus(),
          init=init.get("w")),
        T("tau", (dx.ExpSyn, "tau"), transform=dx.Sigmoid(0.5, 10.0), init=init.get("tau")),
        T("tau2", (dx.Exp2Syn, "tau2"), init=init.get("tau2"),
          transform=dx.Chain((dx.Affine(scale=2.0), dx.Softplus(lower=1.0)))),
        T("e2", (dx.Exp2Syn, "e"), transform=dx.Sigmoid(-20.0, 20.0), init=init.get("e2")),
        T("delay", "delay_ms", sharing=dx.PerConnectionGroup(), init=init.get("delay"),
          transform=dx.Sigmoid(0.1, 2.9)),
        T("gna", (dx.HH, "gnabar"), sharing=dx.PerPopulation(), transform=dx.Softplus(),
          init=init.get("gna")),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def system():
    return network()


@pytest.fixture(scope="module")
def pm(system):
    return dx.ParameterMap(system, trainables())


@jax.jit
def applied(pm, system, u):
    """The physical values the System holds after ``apply(from_unconstrained(u))``."""
    s = pm.apply(system, pm.from_unconstrained(u))
    inbox = {ib.group: ib for ib in s.events.inboxes}
    groups = {g.mechanism_type: g for g in s.mechanisms}
    return {
        "w": jnp.concatenate([ib.weight_uS for ib in inbox.values()]),
        "tau": groups[dx.ExpSyn].params["tau"],
        "tau2": groups[dx.Exp2Syn].params["tau2"],
        "e2": groups[dx.Exp2Syn].params["e"],
        "delay": jnp.concatenate([ib.delay_ms for ib in inbox.values()]),
        "gna": groups[dx.HH].params["gnabar"],
    }


def test_round_trip_and_the_model_values(system, pm):
    p = pm.init()
    np.testing.assert_allclose(p["w"], [0.005, 0.01])  # connection 0 (drive), 1 (AB)
    assert pm.group_names("delay") == ("AB", "drive")
    u = pm.to_unconstrained({**p, "other": 1.0})
    assert u["other"] == 1.0
    back = pm.from_unconstrained(u)
    for k in p:
        np.testing.assert_allclose(back[k], p[k], rtol=1e-12, err_msg=k)
    held = applied(pm, system, pm.to_unconstrained(p))
    np.testing.assert_allclose(held["delay"], [0.61, 1.21], rtol=1e-12)


@pytest.mark.parametrize(
    "init, match",
    [
        ({"w": [0.005, 0.0]}, "> 0.0"),
        ({"tau": 20.0}, "inside \\(0.5, 10.0\\)"),
        ({"tau2": 0.5}, "> 1.0"),
        ({"e2": 30.0}, "inside \\(-20.0, 20.0\\)"),
        ({"delay": [1.21, 3.5]}, "inside \\(0.1, 2.9\\)"),
    ],
)
def test_initial_values_outside_the_bounds_are_refused(system, init, match):
    with pytest.raises(ValueError, match=match):
        dx.ParameterMap(system, trainables(**init))


@pytest.mark.parametrize("dtype", [jnp.float64, jnp.float32])
def test_any_unconstrained_values_give_values_inside_the_bounds(dtype):
    system = network(dtype)
    pm = dx.ParameterMap(system, trainables())
    rng = np.random.default_rng(0)
    for scale in (1.0, 30.0, 1e4):
        u = {
            k: jnp.asarray(scale * rng.standard_normal(v.shape), dtype)
            for k, v in pm.init().items()
        }
        held = applied(pm, system, u)
        for k, (lo, hi) in BOUNDS.items():
            x = np.asarray(held[k])
            assert x.dtype == dtype, k
            assert np.all(np.isfinite(x)) and np.all((x >= lo) & (x <= hi)), (k, scale, x)


def test_grad_in_unconstrained_space_matches_central_differences(system, pm, record_property):
    """The optimiser's view: d loss / d u through the transforms equals central differences in
    u (delays: zero), and Adam steps in u keep every value inside its bounds."""

    def loss(u):
        r = dx.simulate(pm.apply(system, pm.from_unconstrained(u)))
        return jnp.mean((r["A.v"] + 60.0) ** 2) / 100.0 + jnp.mean(r["B.v"]), r.spikes

    step = jax.jit(jax.value_and_grad(loss, has_aux=True))
    u0 = pm.to_unconstrained(pm.init())
    (_, spikes), grad = step(u0)
    assert np.all(np.asarray(spikes).sum(axis=0) >= 1), "both cells spike"
    h, worst = 1e-5, 0.0
    for name, value in u0.items():
        for i in range(value.size):
            (up, s_up), _ = step({**u0, name: value.at[i].add(h)})
            (down, s_down), _ = step({**u0, name: value.at[i].add(-h)})
            np.testing.assert_array_equal(s_up, spikes)
            np.testing.assert_array_equal(s_down, spikes)
            fd = (float(up) - float(down)) / (2 * h)
            g = float(grad[name][i])
            if name == "delay":
                assert g == 0.0 and fd == 0.0
                continue
            assert abs(fd) > 1e-8, (name, i)
            worst = max(worst, abs(g - fd) / abs(fd))
            assert abs(g - fd) <= 1e-5 * abs(fd), (name, i, g, fd)
    record_property("rel_err_max", worst)

    opt = optax.adam(1.0)  # large steps: the bounds hold whatever the optimiser does
    u, state = u0, opt.init(u0)
    for _ in range(3):
        (value, _), g = step(u)
        assert np.isfinite(float(value))
        updates, state = opt.update(g, state)
        u = optax.apply_updates(u, updates)
    held = applied(pm, system, u)
    for k, (lo, hi) in BOUNDS.items():
        assert np.all((np.asarray(held[k]) >= lo) & (np.asarray(held[k]) <= hi)), k
