"""``jax.grad`` of a loss of the traces with respect to trainable parameters (hh, pas and a
custom channel's parameters, cm and Ra, through ``dx.ParameterMap``) against central finite
differences, over models x methods x tree solvers x dtypes (registries in helpers.py; the full
product with ``-m slow``).

Derivatives are compared as sensitivities to relative changes, ``p_i dL/dp_i``, so that
parameters of different units and sizes weigh alike.
"""

import jax
import numpy as np
import pytest
from helpers import case, configs, loss_of

F64 = configs(lambda c: c.dtype == "float64")
F32 = configs(lambda c: c.dtype == "float32")
H = 1e-5  # relative step of the central differences
# float64: relative error of every component and of the directional derivative (worst measured
# over the full product: 3e-8 per component, 6e-11 along the random direction)
RTOL_F64 = 1e-5
# float32 gradients against float64 finite differences: per component |error| <= RTOL_F32 *
# max_j |D_j|, and the relative error of the directional derivative <= RTOL_F32 (worst measured:
# 5e-4 and 2e-4); the components above 10 % of the largest have the float64 sign
RTOL_F32 = 5e-3


def flat(params):
    names = sorted(params)
    return names, np.concatenate([np.asarray(params[n], dtype=np.float64) for n in names])


def unflat(names, like, x):
    out, i = {}, 0
    for n in names:
        size = like[n].size
        out[n] = np.asarray(x[i : i + size], dtype=like[n].dtype).reshape(like[n].shape)
        i += size
    return out


def loss_at(c, names, x):
    return float(loss_of(c.run(unflat(names, c.params, x))))


def central_difference(c, names, x0, direction):
    """d/dh L(x0 (1 + h direction)) at h = 0, by central differences (float64 arithmetic)."""
    up = loss_at(c, names, x0 * (1.0 + H * direction))
    down = loss_at(c, names, x0 * (1.0 - H * direction))
    return (up - down) / (2.0 * H)


def sensitivities(c):
    """``p_i dL/dp_i`` from jax.grad (flat, float64) and the flat parameter names and values."""
    grad = c.jit_grad(c.params)
    names, x0 = flat(c.params)
    g_names, g = flat(grad)
    assert g_names == names and set(names) == set(c.pm.names)
    for n in names:
        assert grad[n].dtype == c.params[n].dtype, n
    assert np.all(np.isfinite(g)), dict(zip(names, g))
    return names, x0, g * x0


def inert_parameters(c) -> list[str]:
    """Parameters the loss cannot depend on: Ra of a one-compartment cell (no axial current)."""
    return ["Ra"] if c.system.n_comp == 1 else []


def reference(c, names, x0, rng):
    """Per-component central differences, and one random direction (zero along inert
    parameters) with the derivative along it."""
    eye = np.eye(x0.size)
    fd = np.array([central_difference(c, names, x0, e) for e in eye])
    direction = rng.standard_normal(x0.size) * ~np.isin(names, inert_parameters(c))
    return fd, direction, central_difference(c, names, x0, direction)


@pytest.mark.parametrize("config", F64)
def test_grad_matches_central_differences(config, record_property):
    c = case(config)
    names, x0, sens = sensitivities(c)
    fd, direction, fd_dir = reference(c, names, x0, np.random.default_rng(0))
    grad_dir = sens @ direction
    inert = np.isin(names, inert_parameters(c))
    assert np.all(sens[inert] == 0.0) and np.all(fd[inert] == 0.0), "Ra: no axial current"
    names = [n for n, i in zip(names, inert) if not i]
    sens, fd = sens[~inert], fd[~inert]
    assert np.all(np.abs(fd) > 1e-6 * np.abs(fd).max()), "every other parameter must matter"
    rel_dir = abs(grad_dir - fd_dir) / abs(fd_dir)
    rel = np.abs(sens - fd) / np.abs(fd)
    record_property("rel_err_direction", rel_dir)
    record_property("rel_err_component_max", float(rel.max()))
    assert rel_dir <= RTOL_F64, (grad_dir, fd_dir)
    worst = int(np.argmax(rel))
    assert rel.max() <= RTOL_F64, (names[worst], sens[worst], fd[worst])


@pytest.mark.parametrize("config", F32)
def test_grad_float32_agrees_with_float64(config, record_property):
    """float32 gradients are finite and agree with the float64 model's central differences."""
    c32, c64 = case(config), case(config.with_dtype("float64"))
    names, _, sens = sensitivities(c32)
    names64, x64 = flat(c64.params)
    assert names64 == names
    fd, direction, fd_dir = reference(c64, names, x64, np.random.default_rng(0))
    scale = np.abs(fd).max()
    assert scale > 0.0
    err = np.abs(sens - fd) / scale
    rel_dir = abs(sens @ direction - fd_dir) / abs(fd_dir)
    record_property("err_component_max_over_scale", float(err.max()))
    record_property("rel_err_direction", rel_dir)
    worst = int(np.argmax(err))
    assert err.max() <= RTOL_F32, (names[worst], sens[worst], fd[worst], scale)
    assert rel_dir <= RTOL_F32, (sens @ direction, fd_dir)
    big = np.abs(fd) > 0.1 * scale  # the main sensitivities have the right sign
    assert np.all(np.sign(sens[big]) == np.sign(fd[big])), (names, sens, fd)
    assert jax.tree.leaves(c32.params)[0].dtype == np.float32
