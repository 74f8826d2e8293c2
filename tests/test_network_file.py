"""Bad network files (``neuroref-network/1``) and bad ``dx.Network`` calls: every error names the
field (or argument) and the fix. Reading a file builds no System, so these tests are fast; the
two that compile use one-compartment cells."""

from __future__ import annotations

import copy
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import dendrax as dx
from dendrax.io._model_json import ModelFileError
from dendrax.io._network_json import network_from_dict

NETWORKS = Path(__file__).resolve().parent / "validation" / "networks"
_PAIR = json.loads((NETWORKS / "net_pair_expsyn.json").read_text())
# cell 1 (B): soma (hh) with a passive dendrite (branch 2) and an axon; cell 3 has no detector
_DENDRITIC = json.loads((NETWORKS / "dx_net_dendritic_detector.json").read_text())


@pytest.fixture
def pair() -> dict:
    """Two ball-and-sticks with detectors, one ExpSyn on cell 1, one connection 0 -> synapse 0."""
    return copy.deepcopy(_PAIR)


def _refused(data: dict, match: str) -> str:
    with pytest.raises(ModelFileError, match=match) as info:
        network_from_dict(data)
    return str(info.value)


def _exp2syn(tau1: float, tau2: float) -> dict:
    return {
        "type": "exp2syn", "cell": 1, "branch": 0, "x": 0.5, "tau1_ms": tau1, "tau2_ms": tau2,
        "e_mV": 0.0,
    }  # fmt: skip


# --- connections -------------------------------------------------------------------------------


def test_connection_from_a_missing_cell(pair):
    pair["connections"][0]["pre"] = {"cell": 7}
    _refused(pair, r"connections\[0\]\.pre\.cell=7 does not exist: valid cell indices are 0\.\.1")


def test_connection_to_a_missing_synapse(pair):
    pair["connections"][0]["synapse"] = 3
    _refused(pair, r"connections\[0\]\.synapse=3 does not exist: valid synapse indices are 0\.\.0")


def test_connection_from_a_source_when_there_are_none(pair):
    pair["connections"][0]["pre"] = {"source": 0}
    _refused(pair, r"connections\[0\]\.pre\.source=0 does not exist: the file has no sources; add")


def test_connection_from_a_missing_source(pair):
    pair["sources"] = [{"type": "spike_times", "t_ms": [1.0]}]
    pair["connections"][0]["pre"] = {"source": 2}
    _refused(pair, r"connections\[0\]\.pre\.source=2 does not exist: valid source indices")


def test_connection_pre_must_be_a_cell_or_a_source(pair):
    pair["connections"][0]["pre"] = {"cell": 0, "source": 0}
    _refused(pair, r"connections\[0\]\.pre must be \{'cell': k\} or \{'source': j\}")


def test_negative_delay(pair):
    pair["connections"][0]["delay_ms"] = -0.5
    _refused(pair, r"connections\[0\]\.delay_ms must be >= 0, got -0\.5")


def test_missing_delay_and_weight(pair):
    del pair["connections"][0]["delay_ms"]
    _refused(pair, r"connections\[0\] lacks 'delay_ms': every connection needs 'delay_ms' \(ms")


@pytest.mark.parametrize("kind", ["expsyn", "exp2syn"])
def test_negative_weight_on_a_conductance_synapse(pair, kind):
    if kind == "exp2syn":
        pair["synapses"][0] = _exp2syn(0.5, 3.0)
    pair["connections"][0]["weight_uS"] = -0.01
    msg = _refused(pair, r"connections\[0\]\.weight_uS=-0\.01 is negative, but synapses\[0\]")
    assert "negative reversal (e.g. e_mV -80) and a positive weight" in msg
    assert "allow_negative_weights=True" in msg


def test_a_cell_that_sends_connections_needs_a_detector(pair):
    del pair["cells"][0]["spike_detector"]
    msg = _refused(pair, r"connections\[0\]\.pre\.cell=0: cells\[0\] sends connections but has no")
    assert '"spike_detector": {"branch": 0, "x": 0.5, "threshold_mV": 10}' in msg


def test_a_cell_without_a_detector_can_be_a_target(pair):
    del pair["cells"][1]["spike_detector"]
    net, _ = network_from_dict(pair)
    assert np.asarray(net.detector_cell).tolist() == [0]


# --- synapses ----------------------------------------------------------------------------------


def test_exp2syn_tau1_not_below_tau2_warns_with_neurons_rule(pair):
    pair["synapses"].append(_exp2syn(3.0, 2.0))
    with pytest.warns(UserWarning, match=r"synapses\[1\]: Exp2Syn\(tau1=3\.0, tau2=2\.0\)") as w:
        network_from_dict(pair)
    assert "NEURON replaces tau1 by 0.9999*tau2" in str(w[0].message)


def test_exp2syn_warning_follows_the_callers_filters(pair):
    pair["synapses"].append(_exp2syn(2.0, 2.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=r".*tau1 must be < tau2")
        network_from_dict(pair)  # no error: the reader re-issues the warning under our filters


def test_exp2syn_warns_in_python_too():
    with pytest.warns(UserWarning, match=r"0\.9999\*tau2"):
        dx.Exp2Syn(tau1=2.0, tau2=2.0)


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("tau_ms", 0.0, r"synapses\[0\]\.tau_ms must be > 0, got 0\.0"),
        ("tau_ms", -1.0, r"synapses\[0\]\.tau_ms must be > 0, got -1\.0"),
        ("tau_ms", "2", r"synapses\[0\]\.tau_ms must be a number, got '2'"),
        ("tau1_ms", 2.0, r"synapses\[0\]: unknown field\(s\) \['tau1_ms'\]; allowed fields are"),
    ],
)
def test_bad_synapse_parameters(pair, field, value, match):
    pair["synapses"][0][field] = value
    _refused(pair, match)


def test_exp2syn_time_constants(pair):
    pair["synapses"].append(_exp2syn(-1.0, 3.0))
    _refused(pair, r"synapses\[1\]\.tau1_ms must be >= 0, got -1\.0")
    pair["synapses"][1] = _exp2syn(0.0, 0.0)
    _refused(pair, r"synapses\[1\]\.tau2_ms must be > 0, got 0\.0")


def test_missing_synapse_parameter(pair):
    del pair["synapses"][0]["tau_ms"]
    _refused(
        pair, r"synapses\[0\] \(expsyn\) lacks \['tau_ms'\]; an expsyn needs \['tau_ms', 'e_mV'\]"
    )


def test_unknown_synapse_type(pair):
    pair["synapses"][0]["type"] = "ampa"
    msg = _refused(pair, r"synapses\[0\]\.type='ampa': use 'expsyn', 'exp2syn' or the name of a")
    assert "'ExpSyn'" in msg and "'params'" in msg


def test_registry_synapse_with_unknown_params(pair):
    pair["synapses"].append(
        {"type": "ExpSyn", "cell": 1, "branch": 0, "x": 0.5, "params": {"taux": 2.0}}
    )
    _refused(
        pair,
        r"synapses\[1\]\.params: unknown field\(s\) \['taux'\]; allowed fields are \['e', 'tau'\]",
    )
    pair["synapses"][1]["params"] = {"tau": "a"}
    _refused(pair, r"synapses\[1\]\.params\.tau must be a number, got 'a'")
    pair["synapses"][1] = {"type": "ExpSyn", "cell": 1, "branch": 0, "x": 0.5, "tau_ms": 2.0}
    _refused(pair, r"synapses\[1\]: unknown field\(s\) \['tau_ms'\]")


def test_graded_synapse_types_are_refused_with_the_python_route(pair):
    pair["synapses"].append({"type": "GradedSyn", "cell": 1, "branch": 0, "x": 0.5})
    msg = _refused(pair, r"synapses\[1\]\.type='GradedSyn' is a graded synapse")
    assert "network.connect_graded" in msg


def test_synapse_on_a_missing_cell_or_branch(pair):
    pair["synapses"][0]["cell"] = 5
    _refused(pair, r"synapses\[0\]\.cell=5 does not exist: valid cell indices are 0\.\.1")
    pair["synapses"][0].update(cell=1, branch=9)
    _refused(pair, r"synapses\[0\]\.branch=9 does not exist: valid branch indices are 0\.\.1")


def test_synapse_comp_must_agree_with_x(pair):
    pair["synapses"][0]["comp"] = 0
    _refused(pair, r"synapses\[0\]: comp=0 disagrees with x=0\.6818181818 .* drop 'comp'")


# --- unknown fields, cells, templates, sources -------------------------------------------------


@pytest.mark.parametrize(
    "path, field",
    [
        ((), "foo"),
        (("cells", 0), "detector"),
        (("cells", 0, "spike_detector"), "thresh"),
        (("connections", 0), "weight"),
        (("stimuli", 0), "amplitude"),
        (("recordings", 0), "compartment"),
    ],
)
def test_unknown_fields_are_errors(pair, path, field):
    entry = pair
    for p in path:
        entry = entry[p]
    entry[field] = 1
    where = (
        "network"
        if not path
        else re.escape(
            "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        )
    )
    msg = _refused(pair, rf"{where}: unknown field\(s\) \['{field}'\]; allowed fields are")
    assert "[" in msg.split("allowed fields are")[1]


def test_unknown_source_fields_and_types(pair):
    pair["sources"] = [{"type": "netstim", "start_ms": 1, "interval_ms": 5, "number": 2, "rate": 1}]
    _refused(pair, r"sources\[0\]: unknown field\(s\) \['rate'\]")
    pair["sources"] = [{"type": "poisson"}]
    _refused(pair, r"sources\[0\]\.type='poisson': use 'netstim', 'spike_times' or 'spike_input'")


def test_bad_sources(pair):
    pair["sources"] = [{"type": "spike_times", "t_ms": "5"}]
    _refused(pair, r"sources\[0\]\.t_ms must be a list of spike times in ms")
    pair["sources"] = [{"type": "spike_times", "t_ms": [3.0, 1.0]}]
    _refused(pair, r"sources\[0\]: SpikeTimes: t_ms\[1\]=1\.0 is earlier than t_ms\[0\]=3\.0")
    pair["sources"] = [{"type": "netstim", "start_ms": 1, "interval_ms": 0, "number": 2}]
    _refused(pair, r"sources\[0\]: NetStim: interval_ms=0\.0 must be > 0 ms")
    pair["sources"] = [
        {"type": "netstim", "start_ms": 1, "interval_ms": 5, "number": 2, "noise": 0.5}
    ]
    _refused(pair, r"sources\[0\]: NetStim: noise=0\.5 needs a seed")
    pair["sources"] = [{"type": "spike_input", "name": "a b"}]
    _refused(pair, r"sources\[0\]: SpikeInput\(name='a b'\): give a name made of letters")


def test_template_that_does_not_exist(pair):
    pair["cells"][1]["template"] = "pyramidal"
    msg = _refused(pair, r"cells\[1\]\.template='pyramidal' is not defined; templates are \['ball")
    assert "Define it in 'templates'" in msg and "'branches'" in msg


def test_cell_with_both_or_neither_branches_and_template(pair):
    pair["cells"][0]["branches"] = pair["templates"]["ball_and_stick"]
    _refused(pair, r"cells\[0\]: give exactly one of 'branches' and 'template'")


def test_stimulus_in_a_missing_cell(pair):
    pair["stimuli"][0]["cell"] = 4
    _refused(pair, r"stimuli\[0\]\.cell=4 does not exist: valid cell indices are 0\.\.1")


def test_wrong_format_version(pair):
    pair["format"] = "neuroref-network/2"
    _refused(pair, r"format='neuroref-network/2' is not supported; this dendrax reads")


# --- recordings --------------------------------------------------------------------------------


def test_recording_of_a_state_the_compartment_lacks():
    data = copy.deepcopy(_DENDRITIC)
    data["recordings"].append({"key": "m_B_dend", "var": "m", "cell": 1, "branch": 2, "x": 0.5})
    msg = _refused(
        data, r"recordings\[\d+\]\.var='m': cells\[1\] at branch 2, x=0\.5 has no state 'm'"
    )
    assert "mechanisms there: ['pas']" in msg and "record one of ['v']" in msg


def test_recording_of_an_unknown_variable(pair):
    pair["recordings"].append({"key": "ca", "var": "cai", "cell": 0, "branch": 0, "x": 0.5})
    _refused(
        pair,
        r"recordings\[4\]\.var='cai': .* has no state 'cai' .* "
        r"record one of \['v', 'h', 'm', 'n'\]",
    )


def test_recording_of_a_synapse_state_it_lacks(pair):
    pair["recordings"].append({"key": "gA", "var": "A", "synapse": 0})
    _refused(
        pair,
        r"recordings\[4\]\.var='A': synapses\[0\] \(ExpSyn\) has no state 'A'; "
        r"record one of \['g'\]",
    )
    pair["recordings"][4] = {"key": "gA", "var": "g", "synapse": 2}
    _refused(pair, r"recordings\[4\]\.synapse=2 does not exist: valid synapse indices are 0\.\.0")


def test_recording_keys(pair):
    pair["recordings"].append(dict(pair["recordings"][0]))
    _refused(pair, r"recordings\[4\]\.key='v_A_soma' is used twice; keys must be unique")
    pair["recordings"][4]["key"] = "netcon_spikes__cell0"
    _refused(
        pair, r"recordings\[4\]\.key='netcon_spikes__cell0' must be a non-empty name .*'spikes__'"
    )


# --- the Python API ----------------------------------------------------------------------------


def _point_cell() -> dx.Cell:
    cell = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1, kind="soma")])
    cell.insert(dx.HH())
    return cell


@pytest.fixture
def net3():
    net = dx.Network()
    pop = net.add_cells(_point_cell(), 2, "E")
    syn = net.place(dx.ExpSyn(tau=2.0, e=0.0), [1])
    return net, pop, syn


def test_api_missing_cells(net3):
    net, pop, syn = net3
    with pytest.raises(
        ValueError,
        match=r"detect\(cells\): cell 5 does not exist; the network has 2 cells \(ids 0\.\.1\)",
    ):
        net.detect([5])
    with pytest.raises(ValueError, match=r"place\(cells\): cell 7 does not exist"):
        net.place(dx.ExpSyn(), [7])
    with pytest.raises(ValueError, match=r"connect\(pre\): cell 9 does not exist"):
        net.connect(dx.model._network.Population("x", np.array([9])), syn, weight_uS=0.01)


def test_api_missing_synapse_or_source_in_a_set(net3):
    net, pop, syn = net3
    with pytest.raises(
        IndexError, match=r"ExpSyn\[3\] is out of range: 'ExpSyn' has 1 synapses \(indices 0\.\.0\)"
    ):
        syn[3]
    src = net.add_source(dx.NetStim(1.0, 2.0, 3), name="drive")
    with pytest.raises(IndexError, match=r"drive\[2\] is out of range: 'drive' has 1 sources"):
        src[2]
    with pytest.raises(IndexError, match=r"E\[5\] is out of range: 'E' has 2 cells"):
        pop[5]
    assert [len(s) for s in syn] == [1]  # iteration still ends at the set's end


def test_api_negative_delay(net3):
    net, pop, syn = net3
    net.detect(pop)
    with pytest.raises(ValueError, match=r"connect\(delay_ms\): delays must be >= 0 ms \(got -1\)"):
        net.connect(pop[0], syn, weight_uS=0.01, delay_ms=-1.0)


def test_api_negative_weight_and_the_opt_out(net3):
    net, pop, syn = net3
    net.detect(pop)
    with pytest.raises(
        ValueError, match=r"connect\(weight_uS\): ExpSyn is a conductance synapse"
    ) as info:
        net.connect(pop[0], syn, weight_uS=-0.01)
    assert "e=-80 mV" in str(info.value) and "allow_negative_weights=True" in str(info.value)
    conns = net.connect(pop[0], syn, weight_uS=-0.01, allow_negative_weights=True)
    assert len(conns) == 1 and net.connection_batches[-1].weight_uS.tolist() == [-0.01]


def test_api_unknown_synapse_parameters(net3):
    net, pop, syn = net3
    with pytest.raises(
        ValueError,
        match=r"ExpSyn has no parameter\(s\) \['taux'\]; valid parameters are \['e', 'tau'\]",
    ):
        dx.ExpSyn(taux=2.0)
    with pytest.raises(
        ValueError,
        match=r"place\(params=\{'tau1': \.\.\.\}\): ExpSyn has no parameter 'tau1'; "
        r"its parameters are \['e', 'tau'\]",
    ):
        net.place(dx.ExpSyn(), [0], params={"tau1": 2.0})
    with pytest.raises(
        TypeError, match=r"place\(\) takes a point mechanism such as dx\.ExpSyn\(\)"
    ):
        net.place(dx.HH(), [0])


def test_api_recording_of_a_missing_variable(net3):
    net, pop, syn = net3
    with pytest.raises(
        ValueError,
        match=r"record\('q', key='k'\): cell 0 has no state 'q' at compartment 0 "
        r"\(channels there: \['hh'\]\); record one of \['v', 'h', 'm', 'n'\]",
    ):
        net.record("q", 0, (0, 0.5), "k")
    net.record("cai", 0, (0, 0.5), "k")  # an ion variable: whether it exists is known at compile
    with pytest.raises(ValueError, match=r"record 'k': variable 'cai' .* can record \['v', 'hh.m'"):
        dx.compile(net, dt_ms=0.025, t_stop_ms=1.0)
    with pytest.raises(
        ValueError,
        match=r"record_synapse\('ExpSyn', 'A'\): ExpSyn has no state 'A'; record one of \['g'\]",
    ):
        net.record_synapse(syn, "A")


def test_api_a_cell_that_sends_needs_a_detector(net3):
    net, pop, syn = net3
    net.connect(pop[0], syn, weight_uS=0.01)
    with pytest.raises(
        ValueError,
        match=r"cell 0 sends connections but has no spike detector; add one with network\.detect",
    ):
        dx.compile(net, 0.025, 1.0)


# --- the documented format (docs/network_format.md) runs as written ----------------------------

DOC = Path(__file__).resolve().parents[1] / "docs" / "network_format.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.S | re.M)


def _example() -> dict:
    (example,) = [json.loads(b) for b in _blocks("json")]
    return example


def test_documented_extensions_are_read():
    """The example's registry synapse (ExpSyn with params) and noisy NetStim are what the
    document says they are."""
    net, options = network_from_dict(_example())
    assert options["dt_ms"] == 0.025 and options["t_stop_ms"] == 50.0
    (inh,) = [b for b in net.synapse_batches if b.params["e"][0] == -80.0]
    assert type(inh.mechanism) is dx.ExpSyn and inh.params["tau"].tolist() == [5.0]
    noisy = net.sources[1]
    assert isinstance(noisy, dx.NetStim) and (noisy.noise, noisy.seed) == (1.0, 3)
    assert net.cell_names() == ["0:A", "1:B"]
    assert np.asarray(net.detector_cell).tolist() == [0]
    registry_line = {"type": "ExpSyn", "cell": 1, "branch": 0, "x": 0.5}
    registry_line["params"] = {"tau": 5.0, "e": -80.0}
    assert f"{json.dumps(registry_line)}" in DOC.read_text(encoding="utf-8")


@pytest.mark.slow  # ~8 s on 2 cores (default suite time); CI runs it
def test_documented_python_snippets_run(tmp_path, monkeypatch):
    """Both Python snippets, on the example written to the files they name (the second with
    the spike list replaced by a spike_input, as the document says)."""
    example = _example()
    (tmp_path / "network.json").write_text(json.dumps(example))
    with_input = copy.deepcopy(example)
    with_input["sources"][2] = {"type": "spike_input", "name": "drive"}
    (tmp_path / "example_pair_input.json").write_text(json.dumps(with_input))
    monkeypatch.chdir(tmp_path)
    first, second = _blocks("python")
    scope: dict = {}
    exec(first, scope)
    assert scope["v_b"].shape == scope["result"].t.shape and scope["spikes_a"].size > 0
    np.testing.assert_array_equal(scope["times"], scope["spikes_a"])  # only cell 0 detects
    from_file = scope["result"]
    exec(second, scope)
    per_call = scope["result"]  # the spike list, now given per call: the same simulation
    for key in ("v_B", "g_exc"):
        np.testing.assert_allclose(per_call[key], from_file[key], rtol=0, atol=1e-9)
