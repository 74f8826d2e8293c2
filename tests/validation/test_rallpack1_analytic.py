r"""Rallpack 1 against the analytic solution of the passive cable (no NEURON involved).

Model (Rallpack 1): a sealed cable, L = 1 mm, d = 1 µm, Ra = 100 Ω·cm, Rm = 40 kΩ·cm²
(pas g = 2.5e-5 S/cm²), Cm = 1 µF/cm², E = -65 mV, 0.1 nA injected at x = 0 from t = 0,
250 ms, 1000 compartments, backward Euler with dt = 0.025 ms. The far end (x = L) is compared.

Analytic solution. With u = V - E, λ = sqrt(Rm d / (4 Ra)) = 1 mm, τ = Rm Cm = 40 ms,
X = x/λ, T = t/τ, ℓ = L/λ = 1, the cable equation is u_T = u_XX - u with sealed ends
(u_X(ℓ) = 0) and injected current I0 at X = 0 (-u_X(0) = I0 r_a λ =: V0, r_a = 4 Ra/(π d²)).
Writing u = u_ss + w, the steady state is u_ss = V0 cosh(ℓ - X)/sinh(ℓ), and w solves the same
equation with homogeneous Neumann ends and w(0) = -u_ss, so it expands in the eigenfunctions
cos(k_n X), k_n = nπ/ℓ, which decay as exp(-(1 + k_n²) T). The cosine coefficients of u_ss are
(2 - δ_n0)/ℓ · V0/(1 + k_n²) (integrate by parts twice), hence

    u(X, T) = V0 cosh(ℓ - X)/sinh(ℓ) - Σ_n (2 - δ_n0)/ℓ · V0/(1 + k_n²) · cos(k_n X) e^{-(1+k_n²)T}.

At X = ℓ, cos(k_n ℓ) = (-1)^n: an alternating series whose terms also decay in T, so 4000
terms are exact to < 1e-9 mV for every t >= dt (and u = 0 at t = 0).

Tolerance, from the discretisation error of the 1000-compartment backward-Euler model:

* time: backward Euler replaces each mode's e^{-r_n t_k} (r_n = (1 + k_n²)/τ) by
  (1 + r_n dt)^{-k}, exactly. Summing the modes with that factor gives the trace of the cable
  discretised in time only; its largest distance to u is the time error E_t (≈ 0.021 mV here,
  first order in dt).
* space: the compartments are the second-order cell-centred finite-volume scheme with
  h = Δx/λ = 1e-3. Its modes are exactly cos(k_n (i + 1/2) h) with rates
  (1 + (4/h²) sin²(k_n h/2))/τ and weights cos²(k_n h/2) (injection into, and reading at, the end
  compartments' centres). Summing the modes of this space-discrete (continuous-time) system gives
  the spatial error E_x (≈ 2e-5 mV, O(h²)).
* tol = E_t + E_x + 1e-6 mV (round-off allowance, far above float64 round-off of ~1e-10 mV).

Errors of the fully discrete model are E_t + E_x to first order (cross terms are O(dt·h²)); so a
correct simulator lands just below tol, while e.g. injecting into the wrong compartment or a
half-step stimulus shift exceeds it by orders of magnitude. Two sharper checks: the same modes
with both the discrete rates/weights and the backward-Euler factor give the exact solution of
the discrete model, which dendrax must match to round-off; and halving dt halves the error.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

import dendrax as dx

L_UM, D_UM, RA, RM, CM, E_MV, I0_NA = 1000.0, 1.0, 100.0, 40_000.0, 1.0, -65.0, 0.1
N_COMP, DT_MS, TSTOP_MS = 1000, 0.025, 250.0

LAMBDA_CM = np.sqrt(RM * (D_UM * 1e-4) / (4.0 * RA))  # 0.1 cm
TAU_MS = RM * CM * 1e-3  # Ω·cm² · µF/cm² = µs -> ms: 40 ms
ELL = L_UM * 1e-4 / LAMBDA_CM  # electrotonic length, 1
V0_MV = I0_NA * 1e-9 * (4.0 * RA / (np.pi * (D_UM * 1e-4) ** 2)) * LAMBDA_CM * 1e3  # 127.3 mV

_simulate = jax.jit(dx.simulate)


def far_end_mV(
    t_ms: np.ndarray, *, be_dt_ms: float | None = None, n_comp: int | None = None, n_modes=4000
) -> np.ndarray:
    """u(ℓ, t) = V(L, t) - E (mV) by the eigenfunction series.

    ``be_dt_ms``: replace e^{-r t} by backward Euler's (1 + r dt)^{-t/dt} (time-discrete).
    ``n_comp``: use the modes of the ``n_comp``-compartment cable (space-discrete), all of them.
    """
    t = np.asarray(t_ms, dtype=np.float64)
    if n_comp is None:
        n = np.arange(n_modes)
        k = n * np.pi / ELL
        rate = 1.0 + k**2
        weight = np.ones_like(k)
    else:
        h = ELL / n_comp
        n = np.arange(n_comp)
        k = n * np.pi / ELL
        rate = 1.0 + (4.0 / h**2) * np.sin(k * h / 2.0) ** 2
        weight = np.cos(k * h / 2.0) ** 2  # cos(k·h/2)·|cos(k·(ℓ - h/2))|
    coef = np.where(n == 0, 1.0, 2.0) / ELL * V0_MV * weight / rate * (-1.0) ** n
    steady = coef.sum() if n_comp is not None else V0_MV / np.sinh(ELL)
    u = np.full(t.shape, steady)
    r = rate / TAU_MS  # 1/ms
    for s in range(0, n.size, 500):  # modes in blocks: (n_t x 500) at a time
        rs, cs = r[s : s + 500], coef[s : s + 500]
        if be_dt_ms is None:
            decay = np.exp(-np.outer(t, rs))
        else:
            steps = np.round(t / be_dt_ms)
            decay = np.exp(-np.outer(steps, np.log1p(rs * be_dt_ms)))
        u -= decay @ cs
    u[t == 0.0] = 0.0
    return u


def simulate_far_end(dt_ms: float) -> tuple[np.ndarray, np.ndarray]:
    """dendrax: t (ms) and u = V - E (mV) at the far end's compartment."""
    geometry = dx.Geometry((dx.BranchGeometry.cylinder(L_UM, D_UM, N_COMP),))
    cell = dx.Cell(geometry)
    cell.set_cable(Ra_ohm_cm=RA, cm_uF_cm2=CM)
    cell.insert(dx.Pas(g=1.0 / RM, e=E_MV))
    cell.stimulate(dx.IClamp(0.0, 2.0 * TSTOP_MS, I0_NA), at=(0, 0.0))
    cell.record("v", at=(0, 1.0), key="v_end")
    system = dx.compile(cell, dt_ms=dt_ms, t_stop_ms=TSTOP_MS, v_init_mV=E_MV)
    result = _simulate(system)
    return np.asarray(result.t), np.asarray(result["v_end"]) - E_MV


@pytest.fixture(scope="module")
def run():
    t, u = simulate_far_end(DT_MS)
    exact = far_end_mV(t)
    return t, u, exact


def test_constants():
    assert LAMBDA_CM == pytest.approx(0.1) and TAU_MS == pytest.approx(40.0)
    assert ELL == pytest.approx(1.0) and V0_MV == pytest.approx(127.32395, rel=1e-6)


def test_series_is_converged():
    """The truncated series reproduces the steady state and is insensitive to more modes."""
    t = np.array([DT_MS, 1.0, 10.0, 100.0, 1e4])
    u = far_end_mV(t)
    assert u[-1] == pytest.approx(V0_MV / np.sinh(ELL), abs=1e-9)
    np.testing.assert_allclose(far_end_mV(t, n_modes=8000), u, rtol=0, atol=1e-9)
    assert np.all(np.diff(u) > 0)  # monotone charging


def test_far_end_matches_analytic(run):
    t, u, exact = run
    e_time = np.max(np.abs(far_end_mV(t, be_dt_ms=DT_MS) - exact))
    e_space = np.max(np.abs(far_end_mV(t, n_comp=N_COMP) - exact))
    tol = e_time + e_space + 1e-6
    err = np.max(np.abs(u - exact))
    assert 0.01 < e_time < 0.05 and e_space < 1e-4, (e_time, e_space)  # the expected sizes
    assert err <= tol, f"max |V - V_analytic| = {err:.4g} mV > tol {tol:.4g} mV"


def test_far_end_is_exact_discrete_solution(run):
    """The series for the discrete model (discrete modes + backward Euler) is met to round-off."""
    t, u, _ = run
    discrete = far_end_mV(t, be_dt_ms=DT_MS, n_comp=N_COMP)
    assert np.max(np.abs(u - discrete)) <= 1e-6


def test_error_is_first_order_in_dt(run):
    t, u, exact = run
    t2, u2 = simulate_far_end(DT_MS / 2)
    err1 = np.max(np.abs(u - exact))
    err2 = np.max(np.abs(u2 - far_end_mV(t2)))
    assert 0.45 < err2 / err1 < 0.55, (err1, err2)
