"""Graded synapses: transmission continuous in the presynaptic voltage, no spikes or events.

Each instance reads the voltage of one presynaptic compartment (``params["v_pre"]``, mV; the
engine passes ``V^n`` to :meth:`current`, ``V^{n+1}`` to :meth:`update` and ``v_init`` to
:meth:`init_states`) and injects a current into its postsynaptic compartment. Connect them with
:meth:`dendrax.Network.connect_graded` (one instance per connection). Currents in nA, outward
positive (a depolarising synaptic current is negative); conductances in µS.

- :class:`GradedSynapse`: Abbott & Marder's conductance synapse with first-order kinetics, in
  the form of Prinz, Bucher & Marder (2004), initialised at its steady state.
- :class:`TanhSynapse`: a current-based synapse, a saturating (tanh) function of ``v_pre``.
- :class:`JaxleyIonotropicSynapse`: Jaxley 0.14's ``IonotropicSynapse`` to round-off: the same
  equations as :class:`GradedSynapse`, Jaxley's parameter names and its initial state.
"""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp

from .._base import PointMechanism

# dt * k_minus * (1 + exp(u)) is far past exp(-x) = 0 for u > 30 at any sensible dt * k_minus;
# clipping u there keeps exp finite (and its gradient 0 rather than NaN) in float32 too.
_U_CLIP = 30.0


def _check_positive(cls: str, values: dict[str, float], names: tuple[str, ...]) -> None:
    for n in names:
        if values[n] <= 0:
            raise ValueError(f"{cls}: {n}={values[n]} must be > 0.")


def graded_activation(v_pre, v_th, delta):
    """``s_inf(v_pre) = 1 / (1 + exp((v_th - v_pre) / delta))`` (dimensionless, in (0, 1)),
    computed as a numerically stable logistic; ``v_pre``, ``v_th``, ``delta`` in mV."""
    return jax.nn.sigmoid((v_pre - v_th) / delta)


def graded_decay(v_pre, v_th, delta, k_minus, dt):
    """``exp(-dt / tau_s)`` with ``tau_s = (1 - s_inf) / k_minus`` (ms), written as
    ``exp(-dt k_minus (1 + exp((v_pre - v_th) / delta)))`` so that ``tau_s -> 0`` (``s_inf ->
    1``) gives exactly 0, with finite gradients. ``k_minus`` in 1/ms, ``dt`` in ms."""
    u = jnp.minimum((v_pre - v_th) / delta, _U_CLIP)
    return jnp.exp(-dt * k_minus * (1.0 + jnp.exp(u)))


class GradedSynapse(PointMechanism):
    """Graded conductance synapse with first-order kinetics (Abbott & Marder 1998; Prinz,
    Bucher & Marder 2004).

    ``i = gbar s (v - e)`` (nA, outward positive; ``v`` the postsynaptic voltage, mV) and

    ``ds/dt = (s_inf(v_pre) - s) / tau_s``, ``s_inf = 1 / (1 + exp((v_th - v_pre) / delta))``,
    ``tau_s = (1 - s_inf) / k_minus``

    (Prinz et al. 2004, Nat. Neurosci. 7:1345, Methods, "Synapses"; L. F. Abbott and
    E. Marder, "Modeling small networks", in Methods in Neuronal Modeling, 2nd ed., MIT Press
    1998). ``s`` in [0, 1] is the fraction of open receptor channels; it rises quickly while
    the presynaptic voltage is above ``v_th`` and relaxes with rate ``k_minus`` below it.

    Parameters: ``gbar`` (µS), ``e`` (mV; 0 for excitation, Prinz's -70 glutamatergic or -80
    cholinergic for inhibition), ``v_th`` (mV, half-activation), ``delta`` (mV, slope, > 0),
    ``k_minus`` (1/ms, unbinding rate, > 0). Defaults ``v_th = -35 mV``, ``delta = 5 mV``,
    ``k_minus = 1/40 ms^-1`` are Prinz et al.'s glutamatergic synapse. State: ``s``.

    ``s`` starts at its steady state ``s_inf(v_init)``, so a network at rest stays at rest
    (Jaxley's ``IonotropicSynapse`` starts at ``s = 0.2`` instead, jaxley#756; see
    :class:`JaxleyIonotropicSynapse`). Each step integrates ``s`` exactly over ``dt`` with
    ``v_pre`` held at the new voltage ``V^{n+1}`` (exponential Euler, NMODL's ``cnexp``):
    ``s <- s_inf + (s - s_inf) exp(-dt / tau_s)``.
    """

    name = "GradedSyn"
    parameters = {
        "gbar": (0.001, "uS"),
        "e": (0.0, "mV"),
        "v_th": (-35.0, "mV"),
        "delta": (5.0, "mV"),
        "k_minus": (0.025, "1/ms"),
    }
    states = ("s",)
    presynaptic = True

    def __init__(self, **values: float) -> None:
        super().__init__(**values)  # type: ignore[arg-type]
        _check_positive("GradedSynapse", self.values, ("delta", "k_minus"))

    def init_states(self, v, params, celsius):
        return {"s": graded_activation(params["v_pre"], params["v_th"], params["delta"])}

    def update(self, v, states, params, dt, celsius):
        v_pre, v_th, delta = params["v_pre"], params["v_th"], params["delta"]
        s_inf = graded_activation(v_pre, v_th, delta)
        decay = graded_decay(v_pre, v_th, delta, params["k_minus"], dt)
        return {"s": s_inf + (states["s"] - s_inf) * decay}

    def current(self, v, states, params, celsius):
        return params["gbar"] * states["s"] * (v - params["e"])


class TanhSynapse(PointMechanism):
    """Current-based graded synapse: an instantaneous, saturating function of ``v_pre``.

    ``i = -i_max tanh((v_pre - v_th) / delta)`` (nA, outward positive): a depolarising current
    of up to ``i_max`` while the presynaptic voltage is above ``v_th``, a hyperpolarising one
    below it (the sign-symmetric ``tanh`` of rate networks; give ``i_max < 0`` to invert it).
    The current does not depend on the postsynaptic voltage and has no state.

    Parameters: ``i_max`` (nA), ``v_th`` (mV), ``delta`` (mV, > 0). Jaxley's
    ``TanhRateSynapse`` is the same function with ``gS = i_max``, ``x_offset = v_th`` and
    ``slope = 1 / delta`` (Jaxley 0.14, ``jaxley/synapses/tanh_rate.py``).
    """

    name = "TanhSyn"
    parameters = {
        "i_max": (0.01, "nA"),
        "v_th": (-50.0, "mV"),
        "delta": (10.0, "mV"),
    }
    states = ()
    presynaptic = True

    def __init__(self, **values: float) -> None:
        super().__init__(**values)  # type: ignore[arg-type]
        _check_positive("TanhSynapse", self.values, ("delta",))

    def current(self, v, states, params, celsius):
        u = (params["v_pre"] - params["v_th"]) / params["delta"]
        return -params["i_max"] * jnp.tanh(u)


def _jaxley_save_exp(x):
    """Jaxley's ``save_exp``: ``exp(min(x, 20))``."""
    return jnp.exp(jnp.minimum(x, 20.0))


class JaxleyIonotropicSynapse(PointMechanism):
    """Jaxley 0.14's ``IonotropicSynapse``, for models moved over from Jaxley.

    The equations of :class:`GradedSynapse` written as Jaxley writes them
    (``jaxley/synapses/ionotropic.py``): ``i = gS s (v - e_syn)`` (nA),
    ``s_inf = 1 / (1 + save_exp((v_th - v_pre) / delta))`` with ``save_exp(x) = exp(min(x,
    20))``, ``tau_s = (1 - s_inf) / k_minus`` and the exact step ``s <- s exp(-dt / tau_s) +
    s_inf (1 - exp(-dt / tau_s))``. Parameters, named as Jaxley names them (without the
    ``IonotropicSynapse_`` prefix), with Jaxley's defaults: ``gS`` (µS, a point conductance
    as in dendrax), ``e_syn`` (mV), ``k_minus`` (1/ms: Jaxley's docstring says s^-1, but its
    time step is in ms), ``v_th`` (mV), ``delta`` (mV), and ``s_init``, Jaxley's initial
    ``IonotropicSynapse_s`` (0.2: Jaxley's ``init_states()`` does not touch synapses).

    Jaxley's step advances the states at ``V^n`` and then evaluates the currents with them;
    dendrax evaluates the currents first and advances the states at ``V^{n+1}`` (NEURON's
    order). The two give the same trajectory once the initial state is Jaxley's state after its
    first update, ``s(0) = s_init exp(-dt/tau_s(v_init)) + s_inf(v_init) (1 - exp(-dt/tau_s))``,
    which is what :meth:`init_states` returns. That needs the time step: the parameter ``dt``
    (ms) is set by ``dx.compile`` to its ``dt_ms`` and cannot be given.
    """

    name = "JaxleyIonotropicSynapse"
    parameters = {
        "gS": (1e-4, "uS"),
        "e_syn": (0.0, "mV"),
        "k_minus": (0.025, "1/ms"),
        "v_th": (-35.0, "mV"),
        "delta": (10.0, "mV"),
        "s_init": (0.2, "1"),
        "dt": (0.025, "ms"),
    }
    states = ("s",)
    presynaptic = True
    # the parameter that dx.compile sets to its time step (ms)
    time_step_parameter: ClassVar[str] = "dt"

    def __init__(self, **values: float) -> None:
        if "dt" in values:
            raise ValueError(
                "JaxleyIonotropicSynapse(dt=...): the time step is set by "
                "dx.compile(network, dt_ms=...); leave dt out."
            )
        super().__init__(**values)  # type: ignore[arg-type]
        _check_positive("JaxleyIonotropicSynapse", self.values, ("k_minus",))

    @staticmethod
    def _step(s, v_pre, params, dt):
        s_inf = 1.0 / (1.0 + _jaxley_save_exp((params["v_th"] - v_pre) / params["delta"]))
        tau_s = (1.0 - s_inf) / params["k_minus"]
        positive = tau_s > 0  # tau_s = 0 once s_inf rounds to 1: exp(-inf) = 0, as in Jaxley
        exp_term = jnp.where(positive, jnp.exp(-dt / jnp.where(positive, tau_s, 1.0)), 0.0)
        return s * exp_term + s_inf * (1.0 - exp_term)

    def init_states(self, v, params, celsius):
        return {"s": self._step(params["s_init"], params["v_pre"], params, params["dt"])}

    def update(self, v, states, params, dt, celsius):
        return {"s": self._step(states["s"], params["v_pre"], params, dt)}

    def current(self, v, states, params, celsius):
        return params["gS"] * states["s"] * (v - params["e_syn"])
