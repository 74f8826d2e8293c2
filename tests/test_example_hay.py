"""Hay et al. (2011)'s L5PC (``dendrax.models.hay_l5pc``) against the same model built in NEURON
by ``tests/validation/hay/hay_neuron.py`` (stored in ``hay_neuron.npz``): the segments and their
areas, the apical distributions per segment, the BAC site; and a smoke run of
``examples/hay_l5pc.py --quick`` (slow: about 2 minutes on two shared cores, mostly JIT
compilation of the forward and the gradient program)."""

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
from _examples import loaded_example

from dendrax.mechanisms import hay
from dendrax.models import BIOPHYS3, apical_root, apical_site, hay_l5pc
from dendrax.morphology._edit import remove_regions

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "validation" / "hay" / "hay_neuron.npz"
EXAMPLE = ROOT / "examples" / "hay_l5pc.py"
STUB_NAMES = {"axon[0]": "axon_stub0", "axon[1]": "axon_stub1"}  # hay_neuron.py's names


@pytest.fixture(scope="module")
def cell():
    return hay_l5pc()


@pytest.fixture(scope="module")
def ref():
    with np.load(REF) as z:
        out = {k: z[k] for k in z.files}
    out["meta"] = json.loads(str(out.pop("meta_json")))
    return out


def _segments(names, xs):
    """{section name: [x of every segment]} in the stored order."""
    out: dict[str, list[float]] = {}
    for n, x in zip(names, xs):
        out.setdefault(str(n), []).append(float(x))
    return out


def test_segments_and_areas_match_neuron(cell, ref):
    theirs = _segments(ref["seg_section"], ref["seg_x"])
    area = {}
    for n, x, a in zip(ref["seg_section"], ref["seg_x"], ref["seg_area_um2"]):
        area[(str(n), float(x))] = float(a)
    geometry = cell.geometry
    assert geometry.n_compartments == ref["meta"]["n_segments"] == 702
    assert sorted(STUB_NAMES.get(b.name, b.name) for b in geometry.branches) == sorted(theirs)
    for b in geometry.branches:
        name = STUB_NAMES.get(b.name, b.name)
        assert b.ncomp == len(theirs[name]), name
        xs = (np.arange(b.ncomp) + 0.5) / b.ncomp
        np.testing.assert_allclose(xs, theirs[name], rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            b.area_um2, [area[(name, x)] for x in theirs[name]], rtol=1e-12, err_msg=name
        )
    stub = [b for b in geometry.branches if b.kind == "axon"]
    assert [(b.total_length_um, float(b.diam_um[0])) for b in stub] == [(30.0, 1.0)] * 2
    assert stub[0].parent == 0 and stub[0].parent_x == 0.5


@pytest.mark.parametrize(
    ("channel", "parameter", "key"),
    [
        (hay.Ih, "gIhbar", "seg_gIhbar"),
        (hay.Ca_LVAst, "gCa_LVAstbar", "seg_gCa_LVAstbar"),
        (hay.Ca_HVA, "gCa_HVAbar", "seg_gCa_HVAbar"),
    ],
)
def test_apical_distributions_match_neuron(cell, ref, channel, parameter, key):
    """Every apical compartment's density equals what Hay's hoc loop set in NEURON."""
    geometry = cell.geometry
    apical = set(cell.select(kind="apical").indices.tolist())
    (insertion,) = [
        i
        for i in cell.insertions
        if isinstance(i.channel, channel) and set(i.indices.tolist()) == apical
    ]
    values = insertion.parameter_values()[parameter]
    branch_of = geometry.branch_of_compartment()
    mine = {}
    for comp, value in zip(insertion.indices, values):
        b = int(branch_of[comp])
        j = int(comp - geometry.offsets[b])
        mine[(geometry.branches[b].name, j)] = float(value)
    counter: dict[str, int] = {}
    theirs = {}
    for n, value in zip(ref["apical_section"], ref[key]):
        j = counter.get(str(n), 0)
        counter[str(n)] = j + 1
        theirs[(str(n), j)] = float(value)
    assert mine.keys() == theirs.keys()
    worst = max(abs(mine[k] - theirs[k]) / theirs[k] for k in mine)
    assert worst <= 1e-12, worst
    hot = np.asarray(list(theirs.values()))
    scale = BIOPHYS3["apical"][channel.name][parameter]
    if channel is not hay.Ih:  # the hot zone is really on this cell's apical tree
        assert np.any(hot == scale) and np.any(hot < scale)


def test_bac_site_matches_neuron(cell, ref):
    branch, x = apical_site(cell, 620.0)
    site = ref["meta"]["site"]
    assert cell.geometry.branches[branch].name == site["section"]
    assert x == pytest.approx(site["x"], abs=1e-12)
    assert cell.geometry.branches[apical_root(cell)].name == "apic[0]"
    with pytest.raises(ValueError, match="no apical branch reaches"):
        apical_site(cell, 1e5)


def test_remove_regions_refuses_root_and_unknown_kinds(cell):
    with pytest.raises(ValueError, match="root branch"):
        remove_regions(cell.geometry, "soma")
    with pytest.raises(ValueError, match="no branch has such a kind"):
        remove_regions(cell.geometry, "dendrite")
    without = remove_regions(cell.geometry, "basal")
    assert {b.kind for b in without.branches} == {"soma", "apical", "axon"}
    assert all(b.parent < k for k, b in enumerate(without.branches))


def _run_example(argv):
    with loaded_example(EXAMPLE, "hay_l5pc_example") as module:
        return module.main(argv)


def test_figures_without_results_says_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="run the example first"):
        _run_example(["--figures", "--out", str(tmp_path)])


@pytest.mark.slow  # ~2 min: JIT compilation of the loss and its gradient dominates
def test_quick_example_runs_and_matches_neuron(tmp_path):
    report = _run_example(["--quick", "--out", str(tmp_path)])
    fit = report["fit"]
    assert fit["n_parameters"] == 20
    assert max(fit["published_against_neuron"].values()) < 1e-6  # mV
    assert fit["loss_at_published_mV2"] < 1e-12
    assert math.isfinite(fit["gradient"]["final_loss"])
    assert fit["gradient"]["final_loss"] < fit["start"]["loss_mV2"]
    assert (tmp_path / "hay_l5pc_fit.png").stat().st_size > 0
    assert json.loads((tmp_path / "hay_l5pc.json").read_text())["fit"]["n_parameters"] == 20
    if importlib.util.find_spec("cma") is not None:
        assert fit["cma_es"]["n_simulations"] >= 4
    # --figures redraws the fit figure from the JSON, which it leaves as it was
    saved = (tmp_path / "hay_l5pc.json").read_text()
    (tmp_path / "hay_l5pc_fit.png").unlink()
    assert _run_example(["--figures", "--out", str(tmp_path)]) == json.loads(saved)
    assert (tmp_path / "hay_l5pc_fit.png").stat().st_size > 0
    assert (tmp_path / "hay_l5pc.json").read_text() == saved


@pytest.mark.slow  # 16,000 steps of the full cell plus compilation: ~30 s
def test_docs_snippet_runs_and_spikes_as_neuron(ref):
    text = (ROOT / "docs" / "hay_l5pc.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "docs/hay_l5pc.md", "exec"), namespace)
    result = namespace["result"]
    spikes = namespace["dx"].spike_times(result.t, result["soma"])
    np.testing.assert_allclose(spikes, ref["bac__spikes__soma"], atol=1e-6)
    first = round(ref["meta"]["protocols"]["bac"]["store_from"] / 0.025)
    for key in ("soma", "dend"):  # NEURON stored 280-360 ms; the snippet runs 400 ms
        theirs = ref[f"bac__{key}"]
        mine = np.asarray(result[key])[first : first + theirs.size]
        assert np.max(np.abs(mine - theirs)) < 1e-6, key
