"""dx.save_params / dx.load_params: trained parameter sets (nested dicts of arrays) on disk,
reloaded bit for bit, with JSON metadata; usable again under jit and grad; clear errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx


def test_round_trip_keeps_values_dtypes_shapes_and_nesting(tmp_path):
    params = {
        "gna": jnp.array([0.12, 0.13]),
        "net": {"w": jnp.arange(6.0).reshape(2, 3) / 7.0, "b": np.float32(0.5)},
        "n": 3,
    }
    path = tmp_path / "p.params"  # any suffix: the name is kept as given
    dx.save_params(path, params, {"seed": 0, "accuracy": 0.93, "space": "physical"})
    back, meta = dx.load_params(path)
    assert meta == {"seed": 0, "accuracy": 0.93, "space": "physical"}
    assert set(back) == {"gna", "net", "n"} and set(back["net"]) == {"w", "b"}
    for a, b in [(params["gna"], back["gna"]), (params["net"]["w"], back["net"]["w"])]:
        assert b.dtype == a.dtype and b.shape == a.shape
        np.testing.assert_array_equal(np.asarray(b), np.asarray(a))
    assert back["net"]["b"].dtype == jnp.float32 and float(back["net"]["b"]) == 0.5
    assert back["n"].dtype.kind == "i" and int(back["n"]) == 3


def test_reloaded_params_go_through_jit_and_grad(tmp_path):
    params = {"a": jnp.array([1.0, 2.0]), "b": {"c": jnp.array(3.0)}}
    dx.save_params(tmp_path / "p.npz", params)
    back, meta = dx.load_params(tmp_path / "p.npz")
    assert meta == {}

    def f(p):
        return jnp.sum(p["a"] ** 2) * p["b"]["c"]

    np.testing.assert_allclose(jax.jit(f)(back), f(params))
    g = jax.grad(f)(back)
    np.testing.assert_allclose(g["a"], [6.0, 12.0])
    np.testing.assert_allclose(g["b"]["c"], 5.0)


def test_bad_input_says_what_to_fix(tmp_path):
    with pytest.raises(TypeError, match="takes a dict"):
        dx.save_params(tmp_path / "x.npz", [1.0, 2.0])
    with pytest.raises(ValueError, match="without '/'"):
        dx.save_params(tmp_path / "x.npz", {"a/b": 1.0})
    with pytest.raises(TypeError, match=r"params\['net/w'\].*dtype"):
        dx.save_params(tmp_path / "x.npz", {"net": {"w": "strong"}})
    with pytest.raises(TypeError, match="JSON-serialisable"):
        dx.save_params(tmp_path / "x.npz", {"a": 1.0}, {"when": object()})
    with pytest.raises(ValueError, match="empty"):
        dx.save_params(tmp_path / "x.npz", {})
    np.savez(tmp_path / "other.npz", a=np.ones(2))
    with pytest.raises(ValueError, match="not a dendrax parameter file"):
        dx.load_params(tmp_path / "other.npz")
    with pytest.raises(FileNotFoundError, match="no file"):
        dx.load_params(tmp_path / "missing.npz")
