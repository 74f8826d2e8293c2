"""dx.plot_raster and dx.plot_traces(cells=...) on network results (Agg backend)."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

import dendrax as dx  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _soma(diam_um: float = 20.0) -> dx.Cell:
    cell = dx.Cell([dx.BranchGeometry.cylinder(diam_um, diam_um, 1, kind="soma")])
    cell.insert(dx.HH())
    cell.record("v", at=(0, 0.5), key="v_soma")
    return cell


def _network():
    """Three driven E cells and two I cells, all detected; E0 also gets an IClamp."""
    net = dx.Network()
    e = net.add_cells(_soma(), 3, name="E")
    i = net.add_cells(_soma(15.0), 2, name="I")
    net.detect(e + i, threshold_mV=0.0)
    syn = net.place(dx.ExpSyn(tau=2.0, e=0.0), e + i)
    drive = net.add_source(dx.NetStim(start_ms=1.0, interval_ms=6.0, number=4), 5)
    net.connect(drive, syn, weight_uS=0.05)
    net.stimulate(dx.IClamp(delay_ms=2.0, dur_ms=5.0, amp_nA=0.1), e[0], at=(0, 0.5))
    return net


@pytest.fixture(scope="module")
def simulated():
    net = _network()
    system = dx.compile(net, dt_ms=0.025, t_stop_ms=30.0)
    return net, system, dx.simulate(system)


def test_import_does_not_load_matplotlib():
    code = (
        "import sys, dendrax as dx; dx.plot_raster; "
        "assert 'matplotlib' not in sys.modules, 'imported'"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_raster_dots_are_the_detected_spikes_coloured_by_population(simulated):
    net, system, result = simulated
    times, cells = result.raster()
    assert times.size >= 10 and set(cells.tolist()) == set(range(5))
    for populations in (net, system, {"E": [0, 1, 2], "I": np.array([3, 4])}):
        fig = dx.plot_raster(result, populations=populations)
        ax = fig.axes[0]
        e, i = ax.collections
        plotted = np.concatenate([e.get_offsets(), i.get_offsets()])
        order = np.lexsort((plotted[:, 1], plotted[:, 0]))
        expected = np.stack([times, cells], axis=1)
        np.testing.assert_array_equal(
            plotted[order], expected[np.lexsort((expected[:, 1], expected[:, 0]))]
        )
        assert set(np.asarray(e.get_offsets())[:, 1]) == {0, 1, 2}
        assert set(np.asarray(i.get_offsets())[:, 1]) == {3, 4}
        np.testing.assert_allclose(e.get_facecolor()[0], to_rgba("C0"))
        np.testing.assert_allclose(i.get_facecolor()[0], to_rgba("C1"))
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == [f"E ({(cells < 3).sum()} spikes)", f"I ({(cells >= 3).sum()} spikes)"]
        assert ax.get_xlabel() == "time (ms)" and ax.get_ylabel() == "cell (id)"
        assert ax.get_xlim() == (0.0, 30.0)


def test_raster_without_populations_window_colours_stimuli_ax_and_path(simulated, tmp_path):
    net, _, result = simulated
    times, cells = result.raster()
    fig = dx.plot_raster(result)
    (dots,) = fig.axes[0].collections
    np.testing.assert_array_equal(dots.get_offsets(), np.stack([times, cells], axis=1))

    _, ax = plt.subplots()
    fig = dx.plot_raster(
        result, ax, net, window_ms=(5.0, 20.0), colors={"I": "k"}, stimuli=net, title="t"
    )
    assert fig is ax.figure and ax.get_xlim() == (5.0, 20.0) and ax.get_title() == "t"
    e, i = ax.collections
    keep = (times >= 5.0) & (times <= 20.0)
    assert len(e.get_offsets()) + len(i.get_offsets()) == keep.sum()
    assert np.asarray(i.get_offsets())[:, 0].min() >= 5.0
    np.testing.assert_allclose(i.get_facecolor()[0], to_rgba("k"))
    (window,) = ax.patches  # the IClamp's 2-7 ms
    x = np.asarray(window.get_path().transformed(window.get_patch_transform()).vertices)[:, 0]
    np.testing.assert_allclose([x.min(), x.max()], [2.0, 7.0])

    path = tmp_path / "raster.png"
    dx.plot_raster(result, populations=net, path=path)
    assert path.stat().st_size > 0


def test_raster_errors_name_the_argument_and_the_fix(simulated):
    net, system, result = simulated
    cell = _soma()
    single = dx.simulate(dx.compile(cell, t_stop_ms=5.0))
    with pytest.raises(ValueError, match=r"no spike detectors.*network\.detect"):
        dx.plot_raster(single)
    batched = jax.tree_util.tree_map(lambda a: np.stack([a, a]), result)
    with pytest.raises(ValueError, match=r"batched \(spikes of shape \(2, 1200, 5\).*a\[0\]"):
        dx.plot_raster(batched)
    with pytest.raises(ValueError, match="compiled from cells"):
        dx.plot_raster(result, populations=dx.compile(cell, t_stop_ms=5.0))
    small = dx.Network()
    small.add_cells(cell, 2, name="E")
    with pytest.raises(ValueError, match="has 2 cells"):
        dx.plot_raster(result, populations=small)
    with pytest.raises(TypeError, match="give the dendrax.Network"):
        dx.plot_raster(result, populations=["E", "I"])
    with pytest.raises(KeyError, match=r"no population\(s\) \['X'\]"):
        dx.plot_raster(result, populations=net, colors={"X": "k"})
    with pytest.raises(ValueError, match="start < stop"):
        dx.plot_raster(result, window_ms=(10.0, 5.0))
    with pytest.raises(TypeError, match="dendrax.Result"):
        dx.plot_raster(result.raster())


def test_plot_traces_selects_cells_of_a_network_result(simulated):
    _, _, result = simulated
    fig = dx.plot_traces(result, cells=["E0", "I1"], keys=["v_soma"])
    lines = fig.axes[0].lines
    assert [ln.get_label() for ln in lines] == ["E0.v_soma", "I1.v_soma"]
    np.testing.assert_array_equal(lines[1].get_ydata(), np.asarray(result["I1.v_soma"]))
    fig = dx.plot_traces(result, cells="E2")  # every trace of the cell
    assert [ln.get_label() for ln in fig.axes[0].lines] == ["E2.v_soma"]
    with pytest.raises(KeyError, match=r"no traces of cell 'E9'.*'E0', 'E1'"):
        dx.plot_traces(result, cells=["E9"])
    with pytest.raises(KeyError, match=r"cell 'E0' has no trace 'm'; its traces are \['v_soma'\]"):
        dx.plot_traces(result, cells=["E0"], keys=["m"])
