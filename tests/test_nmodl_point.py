"""NMODL tier C: POINT_PROCESS files with NET_RECEIVE import as point mechanisms that receive
network events (docs/nmodl.md). The expsyn-like and exp2syn-like files of
tests/validation/nmodl/mod/ (written from the published equations) must behave in a network
exactly like the hand-written dx.ExpSyn and dx.Exp2Syn."""

from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from dendrax.io.nmodl import NmodlError

MOD = pathlib.Path(__file__).parent / "validation" / "nmodl" / "mod"


@pytest.fixture(scope="module")
def imported():
    return dx.load_mod(MOD / "dxexpsyn.mod"), dx.load_mod(MOD / "dxexp2syn.mod")


def _network(exp_syn, exp2_syn):
    """Three HH somata: cell 0 is driven and excites cells 1 (ExpSyn-like, two connections
    from cells 0 and 2, so events also coincide) and 2 (Exp2Syn-like), which spike."""
    soma = dx.Cell([dx.BranchGeometry.cylinder(length_um=20.0, diam_um=20.0, ncomp=1, kind="soma")])
    soma.insert(dx.HH())
    net = dx.Network()
    cells = net.add_cells(soma, 3, name="c")
    net.detect(cells, at=(0, 0.5), threshold_mV=10.0)
    s1 = net.place(exp_syn, cells[1], at=(0, 0.5), name="s1")
    s2 = net.place(exp2_syn, cells[2], at=(0, 0.5), name="s2")
    net.connect(cells[0], s1, weight_uS=0.02, delay_ms=2.0)
    net.connect(cells[2], s1, weight_uS=0.004, delay_ms=0.5)
    net.connect(cells[0], s2, weight_uS=0.015, delay_ms=1.0)
    net.stimulate(dx.IClamp(delay_ms=2.0, dur_ms=20.0, amp_nA=0.4), cells[0], at=(0, 0.5))
    net.record("v", cells, at=(0, 0.5), key="v")
    net.record_synapse(s1, "g", key="g1")
    net.record_synapse(s2, "g", key="g2")
    return net


def _run(net, dtype=jnp.float64):
    return dx.simulate(dx.compile(net, dt_ms=0.025, t_stop_ms=30.0, dtype=dtype))


def test_imported_classes(imported):
    exp_syn, exp2_syn = imported
    assert issubclass(exp_syn, dx.PointMechanism) and issubclass(exp2_syn, dx.PointMechanism)
    assert exp_syn.name == "DxExpSyn" and exp2_syn.name == "DxExp2Syn"
    assert exp_syn.parameters == {"tau": (0.1, "ms"), "e": (0.0, "mV")}
    assert exp2_syn.parameters == {
        "tau1": (0.1, "ms"),
        "tau2": (10.0, "ms"),
        "e": (0.0, "mV"),
    }
    assert exp_syn.states == ("g",)
    # the peak factor and effective rise time of INITIAL are kept for NET_RECEIVE / the update
    assert exp2_syn.states == ("A", "B", "factor", "rise")
    assert exp2_syn.derived == ("g",)  # g = B - A, recordable
    assert "nA" in exp_syn.__doc__


def test_event_handler_and_peak_factor(imported):
    _, exp2_syn = imported
    for tau1, tau2 in [(0.5, 3.0), (0.2, 10.0), (3.0, 3.0), (0.0, 2.0)]:
        syn = exp2_syn(tau1=tau1, tau2=tau2)
        p = {k: jnp.array([v]) for k, v in syn.values.items()}
        s = syn.init_states(jnp.array([-65.0]), p, jnp.array(6.3))
        s = syn.on_event(s, p, jnp.array([0.01]))
        f = dx.mechanisms.synapses.exp2syn.peak_factor(jnp.array(tau1), jnp.array(tau2))
        np.testing.assert_allclose(s["A"], 0.01 * f, rtol=1e-14)
        np.testing.assert_allclose(s["B"], 0.01 * f, rtol=1e-14)


@pytest.mark.filterwarnings("ignore:Exp2Syn")
def test_network_equals_hand_written(imported):
    exp_syn, exp2_syn = imported
    ref = _run(_network(dx.ExpSyn(tau=2.0, e=0.0), dx.Exp2Syn(tau1=0.5, tau2=4.0, e=0.0)))
    got = _run(_network(exp_syn(tau=2.0, e=0.0), exp2_syn(tau1=0.5, tau2=4.0, e=0.0)))
    v_ref = np.stack([np.asarray(ref[f"v[{k}]"]) for k in range(3)], -1)
    v_got = np.stack([np.asarray(got[f"v[{k}]"]) for k in range(3)], -1)
    print("max |dV| imported vs hand-written (mV):", np.max(np.abs(v_got - v_ref)))
    assert np.max(np.abs(v_got - v_ref)) < 1e-9
    for key in ("g1", "g2"):
        assert np.max(np.asarray(ref[key])) > 1e-3
        np.testing.assert_allclose(np.asarray(got[key]), np.asarray(ref[key]), atol=1e-14)
    np.testing.assert_array_equal(np.asarray(got.spikes), np.asarray(ref.spikes))
    assert np.asarray(ref.spikes)[:, 1].sum() >= 1 and np.asarray(ref.spikes)[:, 2].sum() >= 1


def _grad_setup(exp2_syn):
    """A passive soma receiving three events through an imported Exp2Syn-like synapse; the
    loss is the mean squared depolarisation. Trainables: the connection weight and tau2."""
    soma = dx.Cell([dx.BranchGeometry.cylinder(length_um=20.0, diam_um=20.0, ncomp=1, kind="soma")])
    soma.insert(dx.Pas(g=1e-4, e=-65.0))
    net = dx.Network()
    cell = net.add_cells(soma, 1, name="c")
    src = net.add_source(dx.SpikeTimes([1.0, 4.0, 4.0, 9.0]), name="src")
    syn = net.place(exp2_syn(tau1=0.4, tau2=3.0, e=0.0), cell[0], at=(0, 0.5), name="s")
    net.connect(src, syn, weight_uS=0.002, delay_ms=0.5, name="w")
    net.record("v", cell, at=(0, 0.5), key="v")
    system = dx.compile(net, dt_ms=0.025, t_stop_ms=15.0, v_init_mV=-65.0)
    pm = dx.ParameterMap(
        system,
        [dx.Trainable("w", "weight_uS", where="w"), dx.Trainable("tau2", (exp2_syn, "tau2"))],
    )

    def loss(p):
        return jnp.mean((dx.simulate(pm.apply(system, p))["v"] + 65.0) ** 2)

    return pm, loss


@pytest.mark.slow
def test_jit_grad_vmap_through_imported_synapse(imported):
    _, exp2_syn = imported
    pm, loss = _grad_setup(exp2_syn)
    p0 = pm.init()
    value, grad = jax.jit(jax.value_and_grad(loss))(p0)
    assert value > 1e-2
    jitted = jax.jit(loss)
    for name in ("w", "tau2"):
        eps = 1e-6 * float(p0[name][0])
        fd = (jitted({**p0, name: p0[name] + eps}) - jitted({**p0, name: p0[name] - eps})) / (
            2 * eps
        )
        assert float(grad[name][0]) != 0.0
        np.testing.assert_allclose(float(grad[name][0]), float(fd), rtol=1e-5)
    taus = jnp.array([2.0, 3.0, 5.0])[:, None]
    batched = jax.vmap(lambda t: loss({**p0, "tau2": t}))(taus)
    np.testing.assert_allclose(float(batched[1]), float(value), rtol=1e-12)  # tau2 = 3
    for k in (0, 2):
        single = jitted({**p0, "tau2": taus[k]})
        np.testing.assert_allclose(float(batched[k]), float(single), rtol=1e-12)
    assert batched[0] < batched[1] < batched[2]  # a slower decay depolarises longer


_HEAD = """NEURON {{
    {kind} syn
    RANGE tau, e
    NONSPECIFIC_CURRENT i
    {extra}
}}
PARAMETER {{ tau = 2 (ms) e = 0 (mV) }}
ASSIGNED {{ v (mV) i (nA) gb (uS) }}
STATE {{ g (uS) }}
BREAKPOINT {{
    SOLVE decay METHOD cnexp
    gb = g
    i = g*(v - e)
}}
DERIVATIVE decay {{ g' = -g/tau }}
NET_RECEIVE({args}) {{
{body}
}}
"""


def _mod(body="    g = g + weight", args="weight (uS)", kind="POINT_PROCESS", extra=""):
    return _HEAD.format(kind=kind, extra=extra, args=args, body=body)


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        # a per-connection second argument: dendrax's connections carry one weight
        (_mod(args="weight (uS), scale", body="    g = g + weight*scale"), 16, "one weight"),
        (_mod(args=""), 16, "exactly one argument"),
        # self-events, WATCH, FOR_NETCONS (tier C, second part)
        (_mod(body="    g = g + weight\n    net_send(1, 1)"), 18, "net_send"),
        # the usual self-event idiom reads flag before any net_send: named as self-events
        (
            _mod(body="    if (flag == 0) { net_send(1, 1) } else { g = g + weight }"),
            17,
            "self-events (net_send and their flag)",
        ),
        (_mod(body="    WATCH (v > 0) 2\n    g = g + weight"), 17, "WATCH"),
        (_mod(body="    FOR_NETCONS(w) { }\n    g = g + weight"), 17, "FOR_NETCONS"),
        # handlers that the summed weight of a step would not reproduce
        (_mod(body="    g = g + weight*(1 - g)"), 17, "x = x + weight*c"),
        (_mod(body="    g = weight"), 17, "x = x + weight*c"),
        (_mod(body="    if (weight > 0) { g = g + weight }"), 17, "if/else in NET_RECEIVE"),
        (_mod(body="    LOCAL k\n    k = 2\n    g = g + k*weight"), 17, "LOCAL in NET_RECEIVE"),
        (_mod(body="    gb = weight\n    g = g + weight"), 17, "gb = ... in NET_RECEIVE"),
        (_mod(body="    g = g + weight*v"), 16, "v in NET_RECEIVE"),
        (_mod(body="    g = g + weight*gb"), 0, "gb (read in NET_RECEIVE)"),
        (_mod(kind="SUFFIX"), 16, "cannot receive network events"),
        (_mod(kind="ARTIFICIAL_CELL"), 2, "artificial cells"),
        (_mod(extra="USEION ca READ eca"), 5, "USEION ca in POINT_PROCESS syn"),
    ],
)
def test_unsupported_constructs_are_refused_with_file_line_and_fix(text, line, expected):
    with pytest.raises(NmodlError) as err:
        dx.load_mod(text)
    message = str(err.value)
    assert expected in message
    assert message.startswith(f"<text>:{line}:" if line else "<text>")
    assert len(message) > len(expected) + 40  # says what to do


def test_a_point_process_without_current_or_events_is_refused():
    with pytest.raises(NmodlError, match=r"<text>:2: POINT_PROCESS syn: has neither"):
        dx.load_mod("NEURON {\n  POINT_PROCESS syn\n}\nBREAKPOINT { }\n")


def test_weight_named_freely_with_a_parameter_scale_and_a_current_only_point_process():
    """NEURON-style variants: NET_RECEIVE(w) with a per-synapse PARAMETER scale (the way to
    give a connection-independent factor), and a point process with a current but no events."""
    scaled = dx.load_mod(
        _mod(body="    g = g + w*scale\n    g = g - (-w)", args="w (uS)").replace(
            "PARAMETER { tau = 2 (ms) e = 0 (mV) }",
            "PARAMETER { tau = 2 (ms) e = 0 (mV) scale = 1.5 (1) }",
        )
    )
    assert scaled.parameters["scale"] == (1.5, "1")
    syn = scaled(scale=3.0)
    p = {k: jnp.array([v, v]) for k, v in syn.values.items()}
    s = syn.on_event({"g": jnp.array([0.1, 0.0])}, p, jnp.array([0.01, 0.02]))
    np.testing.assert_allclose(s["g"], [0.1 + 0.04, 0.08], rtol=1e-15)
    bias = dx.load_mod(
        "NEURON {\n POINT_PROCESS bias\n RANGE amp\n NONSPECIFIC_CURRENT i\n}\n"
        "PARAMETER { amp = 0.1 (nA) }\nASSIGNED { i (nA) }\nBREAKPOINT { i = -amp }\n"
    )
    assert issubclass(bias, dx.PointMechanism)
    assert bias.on_event is dx.PointMechanism.on_event  # events are ignored
    v = jnp.array([-65.0])
    np.testing.assert_allclose(bias(amp=0.3).current(v, {}, {"amp": jnp.array([0.3])}, 6.3), -0.3)


def test_an_empty_net_receive_leaves_a_stateless_point_process_unchanged():
    cls = dx.load_mod(
        "NEURON {\n POINT_PROCESS quiet\n RANGE amp\n NONSPECIFIC_CURRENT i\n}\n"
        "PARAMETER { amp = 0.1 (nA) }\nASSIGNED { i (nA) }\nBREAKPOINT { i = -amp }\n"
        "NET_RECEIVE(w) { }\n"
    )
    assert cls().on_event({}, {"amp": jnp.array([0.1])}, jnp.array([0.5])) == {}
