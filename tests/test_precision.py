"""float64 needs jax_enable_x64: require_float64_support refuses float64 when it is off."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax  # switches jax_enable_x64 on
from dendrax._precision import require_float64_support, x64_enabled


@pytest.fixture
def x64_off():
    jax.config.update("jax_enable_x64", False)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", True)


def test_import_enables_x64():
    assert x64_enabled()
    assert jnp.zeros(1).dtype == jnp.float64


@pytest.mark.parametrize("dtype", [jnp.float64, np.float64, "float64", jnp.float32, "float32"])
def test_everything_passes_with_x64_on(dtype):
    require_float64_support(dtype)


def test_float64_refused_when_x64_is_off(x64_off):
    for dtype in (jnp.float64, np.float64, "float64"):
        with pytest.raises(ValueError) as info:
            require_float64_support(dtype)
        msg = str(info.value)
        assert 'jax.config.update("jax_enable_x64", True)' in msg
        assert "dtype=jnp.float32" in msg


def test_float32_passes_when_x64_is_off(x64_off):
    require_float64_support(jnp.float32)
    require_float64_support("float32")


def test_compile_refuses_float64_without_x64_and_float32_still_runs(x64_off):
    """Needs `require_float64_support(dtype)` in dendrax.compile (src/dendrax/model/_compile.py)."""
    from conftest import branched_cell

    cell = branched_cell()
    with pytest.raises(ValueError, match="jax_enable_x64"):
        dendrax.compile(cell, t_stop_ms=1.0, dtype=jnp.float64)
    with pytest.raises(ValueError, match="jax_enable_x64"):
        dendrax.compile(cell, t_stop_ms=1.0)  # float64 is the default
    result = dendrax.simulate(dendrax.compile(cell, t_stop_ms=1.0, dtype=jnp.float32))
    assert result["v_soma"].dtype == jnp.float32
