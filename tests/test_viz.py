"""dx.plot_morphology and dx.plot_traces (Agg backend), and matplotlib staying unimported."""

import subprocess
import sys
from importlib.resources import files

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import branched_cell  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

import dendrax as dx  # noqa: E402
from dendrax.viz._morphology import dendrogram_layout, xyz_polylines  # noqa: E402

SWC = files("dendrax") / "data" / "ca1_n120.swc"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _compartment_lines(ax) -> LineCollection:
    (lc,) = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_zorder() == 2]
    return lc


def test_import_does_not_load_matplotlib():
    code = (
        "import sys, dendrax as dx; assert 'matplotlib' not in sys.modules; "
        "dx.plot_morphology; dx.plot_traces; assert 'matplotlib' not in sys.modules; "
        "from dendrax import *; assert 'matplotlib' not in sys.modules"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_swc_cell_is_drawn_from_its_coordinates_one_line_per_compartment():
    cell = dx.read_swc(SWC).to_cell(dx.MaxLength(20.0))
    distance = cell.geometry.path_distance_um()
    fig = dx.plot_morphology(cell, distance, label="path distance (µm)", diameter_widths=True)
    ax = fig.axes[0]
    lc = _compartment_lines(ax)
    assert len(lc.get_segments()) == cell.n_compartments
    np.testing.assert_array_equal(lc.get_array(), distance)
    assert len(lc.get_linewidths()) == cell.n_compartments
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "path distance (µm)"  # colorbar
    assert ax.get_xlabel() == "x (µm)" and ax.get_ylabel() == "y (µm)"
    # every compartment line passes through its centre, projected onto the plane
    centres = cell.geometry.flat("xyz_um")
    mids = np.array([seg[1] for seg in lc.get_segments()])
    np.testing.assert_allclose(mids, centres[:, :2])
    # the view covers the cell
    x0, x1 = ax.get_xlim()
    assert x0 <= centres[:, 0].min() and x1 >= centres[:, 0].max()


def test_plane_selects_the_projection():
    cell = dx.read_swc(SWC).to_cell(dx.NComp(1))
    lines = xyz_polylines(cell.geometry, plane="zy")
    np.testing.assert_allclose([seg[1] for seg in lines], cell.geometry.flat("xyz_um")[:, [2, 1]])
    fig = dx.plot_morphology(cell, plane="xz")
    assert fig.axes[0].get_ylabel() == "z (µm)" and len(fig.axes) == 1  # no values: no colorbar


def test_children_start_where_they_attach():
    geometry = dx.read_swc(SWC).to_cell(dx.NComp(3)).geometry
    lines = xyz_polylines(geometry)
    offsets = geometry.offsets
    for k, b in enumerate(geometry.branches[1:], start=1):
        first = lines[offsets[k]][0]
        p = geometry.branches[b.parent]
        if b.parent_x == 1.0:
            expected = lines[offsets[b.parent] + p.ncomp - 1][-1]
        elif b.parent_x == 0.0:
            expected = lines[offsets[b.parent]][0]
        else:
            c = min(int(np.floor(b.parent_x * p.ncomp)), p.ncomp - 1)
            expected = lines[offsets[b.parent] + c][1]
        np.testing.assert_allclose(first, expected, err_msg=f"branch {k}")


def test_cell_without_coordinates_is_a_dendrogram():
    cell = branched_cell()
    v = np.linspace(-70.0, 20.0, cell.n_compartments)
    fig = dx.plot_morphology(cell, v, label="v (mV)", vmin=-80.0, vmax=40.0)
    lc = _compartment_lines(fig.axes[0])
    assert len(lc.get_segments()) == cell.n_compartments == 31
    np.testing.assert_array_equal(lc.get_array(), v)
    assert lc.norm.vmin == -80.0 and lc.norm.vmax == 40.0
    lines, connectors = dendrogram_layout(cell.geometry)
    assert len(connectors) == cell.geometry.n_branches - 1
    # lengths along x are the compartment lengths (µm); the basal branch (soma x=0) goes left
    widths = np.array([abs(seg[1, 0] - seg[0, 0]) for seg in lines])
    np.testing.assert_allclose(widths, cell.geometry.flat("length_um"))
    basal = lines[cell.geometry.offsets[2] : cell.geometry.offsets[3]]
    assert max(seg[:, 0].max() for seg in basal) <= 0.0
    with pytest.raises(ValueError, match="have no coordinates"):
        dx.plot_morphology(cell, layout="xyz")


def test_morphology_is_drawn_point_to_point():
    morph = dx.read_swc(SWC)
    fig = dx.plot_morphology(morph)
    lc = _compartment_lines(fig.axes[0])
    assert len(lc.get_segments()) == morph.points.n_points - 1
    with pytest.raises(ValueError, match="morph.to_cell"):
        dx.plot_morphology(morph, np.zeros(3))


@pytest.mark.parametrize("bad", [np.zeros(30), np.zeros(32), np.zeros((31, 1)), [1.0]])
def test_wrong_number_of_values_is_refused(bad):
    with pytest.raises(ValueError, match=r"need one value per compartment, shape \(31,\)"):
        dx.plot_morphology(branched_cell(), bad)


def test_bad_arguments():
    with pytest.raises(ValueError, match="plane='xx'"):
        dx.plot_morphology(branched_cell(), plane="xx")
    with pytest.raises(ValueError, match="layout='3d'"):
        dx.plot_morphology(branched_cell(), layout="3d")
    with pytest.raises(TypeError, match="takes a dendrax.Cell, Geometry or Morphology"):
        dx.plot_morphology("cell.swc")


def test_into_given_axes_and_to_a_file(tmp_path):
    fig, (a, b) = plt.subplots(1, 2)
    assert dx.plot_morphology(branched_cell(), ax=b) is fig
    assert len(b.collections) == 2 and not a.collections  # compartments + connectors
    dx.plot_morphology(branched_cell(), path=tmp_path / "m.png")
    assert (tmp_path / "m.png").stat().st_size > 0


@pytest.fixture(scope="module")
def result_and_cell():
    cell = branched_cell()
    cell.stimulate(dx.IClamp(8.0, 2.0, 0.2), at=(1, 0.5))
    cell.stimulate(dx.IClamp(2.0, 10.0, 0.1), at=(3, 0.5))  # same window as the first clamp
    cell.stimulate(dx.Waveform(np.array([0.0, 5.0]), np.array([0.0, 0.1])), at=(2, 0.5))
    return dx.simulate(dx.compile(cell, t_stop_ms=12.0)), cell


def test_traces_with_stimulus_windows_from_the_cell(result_and_cell):
    result, cell = result_and_cell
    fig = dx.plot_traces(result, stimuli=cell)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["v_soma", "v_tip"]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), np.asarray(result["v_soma"]))
    assert len(ax.patches) == 2  # (2, 12) and (8, 10) ms; the Waveform has no window
    boxes = [p.get_path().get_extents(p.get_patch_transform()) for p in ax.patches]
    x_ranges = sorted((float(bb.x0), float(bb.x1)) for bb in boxes)  # x in data units (ms)
    assert x_ranges == [(2.0, 12.0), (8.0, 10.0)]


def test_traces_from_arrays_with_clamps_and_keys(result_and_cell, tmp_path):
    result, _ = result_and_cell
    fig, ax = plt.subplots()
    out = dx.plot_traces(
        result.t, result.traces, keys=["v_tip"], stimuli=[dx.IClamp(1.0, 2.0, 0.1)], ax=ax
    )
    assert out is fig and len(ax.lines) == 1 and len(ax.patches) == 1
    dx.plot_traces(result, path=tmp_path / "t.png", stimuli=dx.IClamp(1.0, 0.0, 1.0))
    assert (tmp_path / "t.png").stat().st_size > 0


def test_trace_errors(result_and_cell):
    result, _ = result_and_cell
    with pytest.raises(TypeError, match="give a dendrax.Result"):
        dx.plot_traces(np.asarray(result.t))
    with pytest.raises(KeyError, match="no trace"):
        dx.plot_traces(result, keys=["v_nope"])
    with pytest.raises(TypeError, match="A Waveform has no on/off window"):
        dx.plot_traces(result, stimuli=[dx.Waveform(np.array([0.0]), np.array([1.0]))])
    with pytest.raises(TypeError, match="give the Cell, an IClamp or a list"):
        dx.plot_traces(result, stimuli=3)
    with pytest.raises(ValueError, match="times"):
        dx.plot_traces(result.t, {"v": np.zeros(5)})
