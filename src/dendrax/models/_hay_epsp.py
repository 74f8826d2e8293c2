"""The EPSP-shaped current of Hay et al. (2011)'s ``epsp.mod`` (ModelDB 139653), used in their
BAC-firing protocol, as a sampled current.

``I(t) = imax a (exp(-s/tau1) - exp(-s/tau0))`` for ``s = t - onset >= 0`` (0 before), with the
normalisation ``a = 1/(exp(-tp/tau1) - exp(-tp/tau0))`` at the peak time
``tp = tau0 tau1 ln(tau0/tau1)/(tau0 - tau1)``, so that the peak is ``imax``
(``../shared/reference/FORMAT_V2.md`` section 9). The point process injects it as a
depolarising current (nA).
"""

from __future__ import annotations

import math

import numpy as np


def epsp_current(
    t_ms, onset_ms: float, imax_nA: float, tau0_ms: float = 0.5, tau1_ms: float = 5.0
) -> np.ndarray:
    """The EPSP current (nA, depolarising) at times ``t_ms`` (ms; e.g. the step midpoints
    ``system.step_midpoints_ms()``, where NEURON's fixed step samples it). ``tau0_ms`` is the
    rise and ``tau1_ms`` the decay time constant (Hay's defaults 0.5 and 5 ms)."""
    if not (tau0_ms > 0 and tau1_ms > 0 and tau0_ms != tau1_ms):
        raise ValueError(
            f"epsp_current(tau0_ms={tau0_ms}, tau1_ms={tau1_ms}): give two different time "
            "constants > 0 ms (rise tau0, decay tau1)."
        )
    t = np.asarray(t_ms, dtype=np.float64)
    tp = tau0_ms * tau1_ms * math.log(tau0_ms / tau1_ms) / (tau0_ms - tau1_ms)
    a = 1.0 / (math.exp(-tp / tau1_ms) - math.exp(-tp / tau0_ms))
    s = np.maximum(t - onset_ms, 0.0)
    shape = a * (np.exp(-s / tau1_ms) - np.exp(-s / tau0_ms))
    return np.where(t >= onset_ms, imax_nA * shape, 0.0)
