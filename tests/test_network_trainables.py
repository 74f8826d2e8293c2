"""Trainables of networks: connection weights and delays (``dx.ConnectionParameter``), synapse
parameters (``MechanismParameter`` of a point mechanism) and cell parameters; their sharing
(per connection, per connect() call, per population pair, per synapse, user groups, cell
sharings through the postsynaptic side) and ``where`` filters; gradients through event-driven
synapses against central differences; jit, vmap (parameter sets and spike inputs), vmap of
grad and ``dx.batch_map``; and surrogate spike gradients that train a small network.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import dendrax as dx

T = dx.Trainable
bg = dx.BranchGeometry.cylinder
DT_MS = 0.025


def two_part_cell() -> dx.Cell:
    """hh soma and a passive two-compartment dendrite (3 compartments)."""
    cell = dx.Cell([bg(20.0, 20.0, 1, kind="soma"), bg(60.0, 1.5, 2, parent=0, kind="apical")])
    cell.insert(dx.HH(), where=cell.select(kind="soma"))
    cell.insert(dx.Pas(g=2e-4, e=-65.0), where=cell.select(kind="apical"))
    cell.record("v", (0, 0.5), key="v")
    return cell


def small_network(t_stop_ms=15.0, spike_gradient=None):
    """A (one cell) and B (one cell): a NetStim drives A's dendrite (ExpSyn), a per-call spike
    input "kick" drives B (ExpSyn), A excites B (Exp2Syn on B's soma), B inhibits A (ExpSyn,
    e = -75 mV). All delays differ and lie off the half-step ties."""
    net = dx.Network()
    a = net.add_cells(two_part_cell(), 1, name="A")
    b = net.add_cells(two_part_cell(), 1, name="B")
    net.detect(a + b, threshold_mV=0.0)
    drive = net.add_source(dx.NetStim(start_ms=1.0, interval_ms=5.0, number=3), name="drive")
    kick = net.add_source(dx.SpikeInput("kick"), name="kick")
    sa = net.place(dx.ExpSyn(tau=2.0, e=0.0), a, at=(1, 0.5), name="sa")
    sets = {}
    sets["drive"] = net.connect(drive, sa, weight_uS=0.006, delay_ms=0.61, name="drive")
    sk = net.place(dx.ExpSyn(tau=3.0, e=0.0), b, at=(1, 0.75), name="sk")
    sets["kick"] = net.connect(kick, sk, weight_uS=0.002, delay_ms=0.33, name="kick")
    sb = net.place(dx.Exp2Syn(tau1=0.5, tau2=3.0, e=0.0), b, at=(0, 0.5), name="sb")
    sets["AB"] = net.connect(a, sb, weight_uS=0.01, delay_ms=1.21, name="AB")
    net.record_synapse(sb, "g", key="g_AB")  # µS
    si = net.place(dx.ExpSyn(tau=4.0, e=-75.0), a, at=(0, 0.5), name="si")
    sets["BA"] = net.connect(b, si, weight_uS=0.004, delay_ms=0.81, name="BA")
    net.connection_sets = sets  # for the tests
    system = dx.compile(
        net, dt_ms=DT_MS, t_stop_ms=t_stop_ms, max_delay_ms=3.0, spike_gradient=spike_gradient
    )  # delays up to 3 ms without recompiling
    return net, system


KICK = jnp.asarray([4.0, 9.0, jnp.inf])  # ms, padded with inf


@pytest.fixture(scope="module")
def small():
    return small_network()


def trained() -> list[dx.Trainable]:
    """Weights, synaptic time constants and reversal potentials, hh's gnabar, and delays."""
    return [
        T("w", "weight_uS", sharing=dx.PerConnectionGroup()),
        T("tau", (dx.ExpSyn, "tau"), sharing=dx.PerSynapse()),
        T("e", (dx.ExpSyn, "e"), sharing=dx.PerSynapse()),
        T("tau1", (dx.Exp2Syn, "tau1")),
        T("tau2", (dx.Exp2Syn, "tau2")),
        T("e2", (dx.Exp2Syn, "e")),
        T("gna", (dx.HH, "gnabar"), sharing=dx.PerPopulation()),
        T("delay", "delay_ms", sharing=dx.PerConnectionGroup()),  # zero gradient, see below
    ]


def loss_of(result) -> jax.Array:
    """A scalar of both somatic voltages (mV², mV)."""
    return jnp.mean((result["A.v"] + 55.0) ** 2) / 100.0 + jnp.mean(result["B.v"])


class Runs:
    """The small network's ParameterMap and one jitted function of it, built once per module:
    ``run(params, kick)`` -> loss, traces, spikes and the gradient of the loss."""

    def __init__(self, system):
        self.system = system
        self.pm = dx.ParameterMap(system, trained())
        self.params = self.pm.init()

    def loss_and_traces(self, params, kick=KICK):
        r = dx.simulate(self.pm.apply(self.system, params), {"kick": kick})
        return loss_of(r), (r.data, r.spikes)

    @functools.cached_property
    def value_and_grad(self):
        return jax.value_and_grad(self.loss_and_traces, has_aux=True)

    @functools.cached_property
    def jitted(self):
        return jax.jit(self.value_and_grad)

    def run(self, params, kick=KICK) -> dict:
        (loss, (data, spikes)), grad = self.jitted(params, kick)
        return {"loss": float(loss), "data": data, "spikes": np.asarray(spikes), "grad": grad}

    def trace(self, out: dict, key: str) -> np.ndarray:
        return np.asarray(out["data"][:, self.system.record_keys.index(key)])

    def batch(self, n=3, seed=0, spread=0.05):
        rng = np.random.default_rng(seed)
        sets = [
            {k: v * (1.0 + spread * rng.uniform(-1, 1, v.shape)) for k, v in self.params.items()}
            for _ in range(n)
        ]
        kicks = [KICK + d for d in (0.0, 1.3, -0.7)[:n]]
        return sets, kicks


def spike_times(out: dict, cell: int) -> np.ndarray:
    """ms; the detectors are on cells 0 and 1, in that order."""
    return np.flatnonzero(out["spikes"][:, cell]) * DT_MS


@pytest.fixture(scope="module")
def runs(small):
    return Runs(small[1])


def stack(trees):
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *trees)


@jax.jit
def apply(pm, system, params):
    """``pm.apply`` in one compiled call (op by op it is slower)."""
    return pm.apply(system, params)


# --- locating, sharing, where -------------------------------------------------------------


def test_sharings_of_weights_name_their_groups_and_set_the_inboxes(small):
    net, system = small
    pm = dx.ParameterMap(
        system,
        [
            T("per_conn", "weight_uS", sharing=dx.PerConnection(), where="AB"),
            T("pairs", "weight_uS", sharing=dx.PerPopulationPair(), where=dx.Connections(post="A")),
            T("groups", dx.ConnectionParameter("weight_uS"), sharing=dx.PerConnectionGroup(),
              where=dx.Connections(name=("kick",))),
        ],
    )  # fmt: skip
    assert pm.group_names("per_conn") == ("connection 2",)
    assert pm.group_names("pairs") == ("B->A", "source->A")
    assert pm.group_names("groups") == ("kick",)
    p = pm.init()
    np.testing.assert_allclose(p["pairs"], [0.004, 0.006])
    np.testing.assert_allclose(p["groups"], [0.002])
    out = apply(pm, system, {"per_conn": 0.1, "pairs": jnp.array([0.2, 0.3]), "groups": 0.4})
    got = {}
    for ib in out.events.inboxes:
        for cid, w in zip(np.asarray(ib.conn_id), np.asarray(ib.weight_uS)):
            got[int(cid)] = float(w)
    # connection ids follow the connect() calls: drive 0, kick 1, AB 2, BA 3
    assert got == {0: 0.3, 1: 0.4, 2: 0.1, 3: 0.2}
    assert [int(i) for i in net.connection_sets["AB"].ids] == [2]


def test_cell_sharings_apply_through_the_postsynaptic_side(small):
    net, system = small
    cases = {
        dx.Shared(): ("shared",),
        dx.PerCell(): ("cell 0", "cell 1"),
        dx.PerPopulation(): ("A", "B"),
        dx.PerRegion(): ("apical", "soma"),
        dx.PerSynapse(): ("ExpSyn 0", "ExpSyn 1", "ExpSyn 2", "Exp2Syn 0"),
        dx.Grouping(("AB", dx.Connections(pre="source"), dx.Connections(name="BA"))): (
            "group 0",
            "group 1",
            "group 2",
        ),
    }
    for sharing, names in cases.items():
        pm = dx.ParameterMap(system, [T("w", "weight_uS", sharing=sharing)])
        assert pm.group_names("w") == names, sharing
    pm = dx.ParameterMap(system, [T("w", "weight_uS", sharing=dx.PerRegion())])
    np.testing.assert_allclose(pm.init()["w"], [0.004, (0.01 + 0.004) / 2])  # soma: mean


def test_connection_sets_and_regions_select_connections(small):
    net, system = small
    pm = dx.ParameterMap(
        system,
        [
            T("ab", "weight_uS", where=net.connection_sets["AB"]),  # connect()'s ConnectionSet
            T("dend", "weight_uS", where=dx.Region(kind="apical")),  # onto dendritic synapses
        ],
    )
    assert pm.init()["ab"].tolist() == [0.01]
    np.testing.assert_allclose(pm.init()["dend"], [(0.006 + 0.002) / 2])  # drive and kick
    pm = dx.ParameterMap(system, [T("from_A", "weight_uS", where=dx.Connections(pre_cells=[0]))])
    assert pm.init()["from_A"].tolist() == [0.01]


def test_synapse_parameters_per_synapse_region_and_by_their_connections(small):
    net, system = small
    pm = dx.ParameterMap(
        system,
        [
            T("tau", (dx.ExpSyn, "tau"), sharing=dx.PerSynapse(), where=dx.Region(kind="apical")),
            T("e_in", (dx.ExpSyn, "e"), where=dx.Connections(name="BA")),
            T("e_ex", (dx.ExpSyn, "e"), where=dx.Connections(pre="source"), sharing=dx.PerCell()),
        ],
    )
    assert pm.group_names("tau") == ("ExpSyn 0", "ExpSyn 1")
    np.testing.assert_allclose(pm.init()["tau"], [2.0, 3.0])
    np.testing.assert_allclose(pm.init()["e_in"], [-75.0])
    assert pm.group_names("e_ex") == ("cell 0", "cell 1")
    out = apply(pm, system, {"tau": jnp.array([5.0, 6.0]), "e_in": -90.0, "e_ex": 10.0})
    syn = [g for g in out.mechanisms if g.mechanism_type is dx.ExpSyn][0]
    np.testing.assert_array_equal(syn.params["tau"], [5.0, 6.0, 4.0])
    np.testing.assert_array_equal(syn.params["e"], [10.0, 10.0, -90.0])


def test_applying_the_initial_values_reproduces_the_system(runs):
    same = apply(runs.pm, runs.system, runs.params)
    for a, b in zip(jax.tree_util.tree_leaves(same), jax.tree_util.tree_leaves(runs.system)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "trainables, error, match",
    [
        ([T("x", "gain_uS")], ValueError, "'delay_ms', 'weight_uS'"),
        ([T("x", "weight_uS", where="EE")], ValueError, "no connections named \\['EE'\\]"),
        ([T("x", "weight_uS", where=dx.Connections(pre="X"))], ValueError, "no population"),
        ([T("x", "weight_uS", where=dx.Connections(post="source"))], ValueError, "population"),
        ([T("x", "weight_uS", where=dx.Connections(ids=[99]))], ValueError, "selects none"),
        ([T("x", "weight_uS", where=3)], TypeError, "connect\\(\\) call"),
        ([T("x", "cm", sharing=dx.PerConnection())], TypeError, "connection quantities"),
        ([T("x", (dx.ExpSyn, "tau"), sharing=dx.PerPopulationPair())], TypeError, "synapse"),
        ([T("x", "cm", where=dx.Connections(name="AB"))], TypeError, "expected a region"),
        ([T("x", (dx.HH, "gl"), sharing=dx.PerSynapse())], TypeError, "compartment quantity"),
        ([T("a", "weight_uS"), T("b", "weight_uS", where="AB")], ValueError, "same quantity"),
        ([T("x", "weight_uS", init=0.0, transform=dx.Softplus())], ValueError, "> 0"),
        ([T("x", "weight_uS", sharing=dx.Grouping(("AB", dx.Connections(pre="A"))))],
         ValueError, "overlap"),
        ([T("x", "weight_uS", sharing=dx.Grouping(("AB",)))], ValueError, "in no group"),
        ([T("x", "delay_ms", sharing=dx.Grouping((dx.Connections(post="A"),
          dx.Connections(pre="A", post="A"), dx.Connections(post="B"))))],
         ValueError, "contains none"),
    ],
)  # fmt: skip
def test_errors_name_the_trainable_and_the_fix(small, trainables, error, match):
    with pytest.raises(error, match=match):
        dx.ParameterMap(small[1], trainables)


def test_a_cell_without_connections_has_no_connection_quantities():
    with pytest.raises(ValueError, match="unknown; use one of \\['delay_ms', 'weight_uS'\\]"):
        dx.ConnectionParameter("gain")
    system = dx.compile(two_part_cell(), dt_ms=DT_MS, t_stop_ms=1.0)
    with pytest.raises(ValueError, match="no connections.*network.connect"):
        dx.ParameterMap(system, [T("w", "weight_uS")])
    with pytest.raises(ValueError, match="PerPopulation\\(\\) needs"):
        dx.ParameterMap(system, [T("g", (dx.HH, "gnabar"), sharing=dx.PerPopulation())])


# --- gradients ------------------------------------------------------------------------------

H = 1e-5  # relative central-difference step (absolute, in mV, for e = 0 mV)
RTOL = 1e-5


def test_grad_matches_central_differences_with_unchanged_spikes(runs, record_property):
    """Every weight, synaptic tau and reversal potential and hh's gnabar (per population):
    jax.grad equals central differences, and the +h/-h runs have the same spike raster (the
    exact gradient ignores spike timing, which moves only across steps). Delays: both zero."""
    base = runs.run(runs.params)
    assert spike_times(base, 0).size and spike_times(base, 1).size, "both cells must spike"
    grad = base["grad"]
    worst = 0.0
    for name, value in runs.params.items():
        for i in range(value.size):
            step = H * (abs(float(value[i])) or 1.0)
            up = runs.run({**runs.params, name: value.at[i].add(step)})
            down = runs.run({**runs.params, name: value.at[i].add(-step)})
            np.testing.assert_array_equal(up["spikes"], base["spikes"], err_msg=f"{name}[{i}]+h")
            np.testing.assert_array_equal(down["spikes"], base["spikes"], err_msg=f"{name}[{i}]-h")
            fd = (up["loss"] - down["loss"]) / (2.0 * step)
            g = float(grad[name][i])
            if name == "delay":  # a delay moves no event by less than a step
                assert g == 0.0 and fd == 0.0, (name, i, g, fd)
                continue
            assert abs(fd) > 1e-8, (name, i, fd)  # every other parameter matters
            rel = abs(g - fd) / abs(fd)
            worst = max(worst, rel)
            assert rel < RTOL, (name, i, g, fd)
    record_property("rel_err_max", worst)


def test_delays_are_settable_without_recompiling(runs):
    """Fixed-step delivery rounds t_spike + delay to a step: the loss is piecewise constant in
    the delay (its gradient is zero, see above), but apply still moves the events."""
    assert runs.pm.group_names("delay") == ("AB", "BA", "drive", "kick")
    d0 = runs.params["delay"]
    before = runs.run(runs.params)
    later = runs.run({**runs.params, "delay": d0.at[0].add(1.0)})  # A -> B 1 ms later
    np.testing.assert_array_equal(spike_times(later, 0), spike_times(before, 0))
    onset = [int(np.flatnonzero(runs.trace(r, "g_AB") > 0)[0]) for r in (before, later)]
    assert onset[1] - onset[0] == round(1.0 / DT_MS)  # A's first event reaches B 1 ms later
    assert spike_times(later, 1)[0] > spike_times(before, 1)[0]


def check_batch(runs, sets, kicks, batched):
    """``batched`` (the batch's ((loss, (traces, spikes)), grad)) equals the runs one by one."""
    (loss, (data, spikes)), grad = batched
    for m, (p, k) in enumerate(zip(sets, kicks)):
        want = runs.run(p, k)
        np.testing.assert_allclose(loss[m], want["loss"], rtol=1e-12)
        np.testing.assert_allclose(data[m], want["data"], rtol=1e-12, atol=1e-9)
        np.testing.assert_array_equal(spikes[m], want["spikes"])
        for name in want["grad"]:
            np.testing.assert_allclose(grad[name][m], want["grad"][name], rtol=1e-9)
    rasters = {tuple(np.flatnonzero(np.asarray(s).ravel())) for s in spikes}
    assert len(rasters) == len(sets), "the members differ"


def test_batch_map_of_grad_over_parameters_and_spike_inputs_equals_a_loop(runs):
    """``dx.batch_map`` (a ``jax.vmap`` of each device's share inside ``shard_map``) of the
    value and gradient, over parameter sets and per-call spike trains (padded with inf),
    equals the jitted single runs: traces, spikes and gradients."""
    sets, kicks = runs.batch()
    batched = dx.batch_map(runs.value_and_grad)(stack(sets), jnp.stack(kicks))
    check_batch(runs, sets, kicks, batched)


@pytest.mark.slow
def test_jax_vmap_of_grad_equals_a_loop(runs):
    sets, kicks = runs.batch()
    batched = jax.jit(jax.vmap(runs.value_and_grad))(stack(sets), jnp.stack(kicks))
    check_batch(runs, sets, kicks, batched)


# --- surrogate spike gradients --------------------------------------------------------------


def relay(spike_gradient):
    """Two NetStims (2 events each) -> a hidden hh cell -> an output hh cell (ExpSyn synapses,
    1 ms delays; detectors at -20 mV, where the surrogate's sigmoid still has a slope at rest)."""
    net = dx.Network()
    soma = dx.Cell([bg(20.0, 20.0, 1, kind="soma")])
    soma.insert(dx.HH())
    soma.record("v", (0, 0.5), key="v")
    hidden = net.add_cells(soma, 1, name="hidden")
    out = net.add_cells(soma, 1, name="out")
    net.detect(hidden + out, threshold_mV=-20.0)
    syn_h = net.place(dx.ExpSyn(tau=2.0, e=0.0), hidden, name="syn_h")
    syn_o = net.place(dx.ExpSyn(tau=2.0, e=0.0), out, name="syn_o")
    for k, start in enumerate((2.0, 3.0)):
        src = net.add_source(dx.NetStim(start_ms=start, interval_ms=10.0, number=2), name=f"in{k}")
        net.connect(src, syn_h, weight_uS=0.0003, delay_ms=1.0, name="in")
    net.connect(hidden, syn_o, weight_uS=0.002, delay_ms=1.0, name="out")
    return dx.compile(net, dt_ms=DT_MS, t_stop_ms=20.0, spike_gradient=spike_gradient)


def smooth_train(v_mV):
    """A van Rossum-style trace of the spikes: sigmoid((v + 30 mV) / 8 mV) filtered by
    exp(-t / 5 ms) (wide enough to pass gradients from rest)."""
    s = jax.nn.sigmoid((v_mV + 30.0) / 8.0)
    kernel = jnp.exp(-jnp.arange(400) * DT_MS / 5.0) * DT_MS
    return jnp.convolve(s, kernel)[: s.shape[0]]


def test_surrogate_spikes_train_a_silent_relay_to_a_target_pattern(record_property):
    """At the start the hidden cell is silent, so the output is silent too, and with exact
    spike gradients the loss has zero gradient w.r.t. both weights: the input weight acts on
    the output only through hidden spikes (and the output weight only through the spikes it
    carries). ``dx.SurrogateSpike`` gives the spike a derivative, and Adam on both weights
    reaches the target output pattern (2 spikes, those of a teacher network)."""
    surrogate = relay(dx.SurrogateSpike(0.1))
    pm = dx.ParameterMap(
        surrogate,
        [T("w", "weight_uS", sharing=dx.PerConnectionGroup(), transform=dx.Softplus())],
    )
    assert pm.group_names("w") == ("in", "out")

    def loss(u, system, target):
        r = dx.simulate(pm.apply(system, pm.from_unconstrained(u)))
        out = smooth_train(r["out.v"])
        return jnp.mean((out - target) ** 2), (r.spikes, out)

    step = jax.jit(jax.value_and_grad(loss, has_aux=True))

    def output_spike_times(spikes):
        return np.flatnonzero(np.asarray(spikes)[:, 1]) * DT_MS  # the output cell's

    teacher = pm.to_unconstrained({"w": jnp.array([0.004, 0.012])})
    (_, (spikes, target)), _ = step(teacher, surrogate, jnp.zeros(surrogate.n_steps + 1))
    want = output_spike_times(spikes)
    assert want.size == 2

    u = pm.to_unconstrained(pm.init())
    exact = relay(None)  # directional derivatives (forward mode: compiles faster than grad)
    along = jax.jit(lambda d: jax.jvp(lambda u: loss(u, exact, target)[0], (u,), (d,))[1])
    assert float(along({"w": jnp.array([1.0, 0.0])})) == 0.0  # the input weight
    assert float(along({"w": jnp.array([0.0, 1.0])})) == 0.0  # the output weight

    opt = optax.adam(0.2)
    state = opt.init(u)
    (first, (spikes, _)), g = step(u, surrogate, target)
    assert np.asarray(spikes).sum() == 0, "the hidden and the output cell start silent"
    assert float(g["w"][0]) < 0.0, "the surrogate says: increase the input weight"
    for k in range(30):
        (value, (spikes, _)), g = step(u, surrogate, target)
        times = output_spike_times(spikes)
        if times.size == want.size and np.all(np.abs(times - want) < 0.5):
            record_property("adam_steps", k)
            break
        updates, state = opt.update(g, state)
        u = optax.apply_updates(u, updates)
    else:
        raise AssertionError(f"no target pattern after 30 steps: {times} vs {want}")
    record_property("weights_uS", np.asarray(pm.from_unconstrained(u)["w"]).tolist())
    assert float(value) < float(first)
