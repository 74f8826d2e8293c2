"""Run NMODL statements on JAX arrays: the executable half of the lowering.

:class:`Evaluator` executes a block of statements on an environment of named values (one array
entry per site, or plain floats for constants) as NEURON's compiled C would, but traced by
JAX, so the result is differentiable and vectorised over sites:

* arithmetic in the file's order of operations (the same roundings as NEURON's C code);
  ``exp`` is NEURON's: 0 below -700, ``exp(700)`` above 700;
* ``if``/``else`` evaluate both branches and select with ``jnp.where``. Inside a branch, every
  operation that can fail (division, ``log``, ``sqrt``, ``pow``, ``exp``) gets a harmless
  operand where the branch is not taken, so the unused branch gives no inf/NaN values or
  gradients (``vtrap``'s ``x/(exp(x/y) - 1)`` at ``x = 0``), and the values where it is taken
  are unchanged;
* FUNCTIONs and PROCEDUREs are executed inline with their own LOCALs; module variables they
  assign are visible to the caller, as in NEURON;
* derivative equations ``x' = f`` are handed to the SOLVE method in force (:mod:`._lower`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jsp

from . import _ast as A

Value = Any

EXP_LIMIT = 700.0  # NEURON's hoc_Exp: exp(x) = 0 for x < -700 and exp(700) for x > 700


def nrn_exp(x):
    """NEURON's ``exp`` in mod files: ``exp(x)``, 0 where ``x < -700``, ``exp(700)`` where
    ``x > 700``."""
    if isinstance(x, (int, float)):
        x = float(x)
        if x < -EXP_LIMIT:
            return 0.0
        return math.exp(min(x, EXP_LIMIT))
    clipped = jnp.clip(x, -EXP_LIMIT, EXP_LIMIT)
    return jnp.where(x < -EXP_LIMIT, 0.0, jnp.exp(clipped))


def guard(x, mask, safe: float):
    """``x`` where the branch is taken, ``safe`` elsewhere (None mask: no branch)."""
    if mask is None:
        return x
    return jnp.where(mask, x, safe)


def is_bool(x) -> bool:
    return isinstance(x, bool) or (hasattr(x, "dtype") and x.dtype == jnp.bool_)


def as_bool(x):
    if is_bool(x):
        return x
    if isinstance(x, (int, float)):
        return x != 0.0
    return x != 0.0


def as_num(x):
    if isinstance(x, bool):
        return 1.0 if x else 0.0
    if is_bool(x):
        return jnp.where(x, 1.0, 0.0)
    return x


def _and(a, b):
    if isinstance(a, bool) and isinstance(b, bool):
        return a and b
    return jnp.logical_and(a, b)


def _not(a):
    return (not a) if isinstance(a, bool) else jnp.logical_not(a)


_COMPARE: dict[str, Callable] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _static(x) -> bool:
    return isinstance(x, (bool, int, float))


class Frame:
    """The LOCALs (and arguments) of one PROCEDURE or FUNCTION call, or of a top-level block."""

    __slots__ = ("locals",)

    def __init__(self, values: dict[str, Value] | None = None):
        self.locals: dict[str, Value] = dict(values or {})


# a derivative handler gets (equation, environment, frame, mask) and updates the environment
DerivativeHandler = Callable[[A.DiffEq, dict, "Frame", Any], None]


class Evaluator:
    """Executes the statements of one file's blocks (``procedures`` by name)."""

    def __init__(self, procedures: dict[str, A.Procedure]):
        self.procedures = procedures
        self.on_derivative: DerivativeHandler | None = None
        # KINETIC statements (reactions, CONSERVE, COMPARTMENT) and INITIAL's SOLVE
        self.on_kinetic: Callable[[Any, dict, Frame, Any], None] | None = None
        self.on_solve: Callable[[A.Solve, dict], None] | None = None

    # --- statements ----------------------------------------------------------------------------
    def run(self, body, env: dict[str, Value], frame: Frame | None = None, mask=None) -> None:
        """Execute ``body``; ``env`` (module variables) and ``frame`` are updated in place."""
        frame = Frame() if frame is None else frame
        n = len(body)
        for i, s in enumerate(body):
            self._stmt(s, env, frame, mask, i == n - 1)

    def _stmt(self, s, env, frame: Frame, mask, last: bool) -> None:
        if isinstance(s, A.Assign):
            value = as_num(self.expr(s.value, env, frame, mask))
            if s.target in frame.locals:
                frame.locals[s.target] = value
            else:
                env[s.target] = value
        elif isinstance(s, A.Local):
            for name in s.names:
                frame.locals[name] = 0.0
        elif isinstance(s, A.CallStmt):
            self.call(s.call, env, frame, mask)
        elif isinstance(s, A.If):
            self._if(s, env, frame, mask)
        elif isinstance(s, A.Block):
            self.run(s.body, env, frame, mask)
        elif isinstance(s, A.DiffEq):
            assert self.on_derivative is not None, "a derivative outside a SOLVE"
            self.on_derivative(s, env, frame, mask)
        elif isinstance(s, A.Reaction | A.Conserve | A.Compartment):
            assert self.on_kinetic is not None, "a kinetic statement outside a SOLVE"
            self.on_kinetic(s, env, frame, mask)
        elif isinstance(s, A.Solve):
            if self.on_solve is not None:  # INITIAL's SOLVE kin STEADYSTATE sparse
                self.on_solve(s, env)
        elif isinstance(s, A.Verbatim):
            if s.text.strip() and "__return__" in frame.locals:
                frame.locals[frame.locals["__return__"]] = 0.0  # a final "return 0;"
        # Table: computed exactly, nothing to do; BREAKPOINT's Solve: run by the caller

    def _if(self, s: A.If, env, frame: Frame, mask) -> None:
        cond = as_bool(self.expr(s.cond, env, frame, mask))
        if isinstance(cond, bool):  # decided when the file is lowered
            self.run(s.body if cond else s.orelse, env, frame, mask)
            return
        branches = []
        for part, m in ((s.body, cond), (s.orelse, _not(cond))):
            sub_env, sub_frame = dict(env), Frame(frame.locals)
            self.run(part, sub_env, sub_frame, m if mask is None else _and(mask, m))
            branches.append((sub_env, sub_frame.locals))
        (env1, loc1), (env2, loc2) = branches
        _merge(env, env1, env2, cond)
        _merge(frame.locals, loc1, loc2, cond)

    # --- expressions ---------------------------------------------------------------------------
    def expr(self, e, env, frame: Frame, mask) -> Value:
        if isinstance(e, A.Num):
            return e.value
        if isinstance(e, A.Name):
            if e.id in frame.locals:
                return frame.locals[e.id]
            return env[e.id]
        if isinstance(e, A.Unary):
            x = self.expr(e.operand, env, frame, mask)
            return _not(as_bool(x)) if e.op == "!" else -as_num(x)
        if isinstance(e, A.Binary):
            return self._binary(e, env, frame, mask)
        if isinstance(e, A.Call):
            return self.call(e, env, frame, mask)
        raise TypeError(f"cannot evaluate {e!r}")  # pragma: no cover - refused by the analysis

    def _binary(self, e: A.Binary, env, frame, mask) -> Value:
        a = self.expr(e.left, env, frame, mask)
        b = self.expr(e.right, env, frame, mask)
        op = e.op
        if op == "&&":
            return _and(as_bool(a), as_bool(b))
        if op == "||":
            a, b = as_bool(a), as_bool(b)
            if isinstance(a, bool) and isinstance(b, bool):
                return a or b
            return jnp.logical_or(a, b)
        if op in _COMPARE:
            a, b = as_num(a), as_num(b)
            result = _COMPARE[op](a, b)
            return bool(result) if _static(a) and _static(b) else result
        a, b = as_num(a), as_num(b)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if _static(a) and _static(b):
                return a / b if b != 0 else float("nan")
            return a / guard(b, mask, 1.0)
        if op == "^":
            return _pow(a, b, mask)
        if op == "%":
            return jnp.fmod(a, guard(b, mask, 1.0))
        raise ValueError(f"unknown operator {op!r}")  # pragma: no cover

    def call(self, c: A.Call, env, frame: Frame, mask) -> Value:
        if c.func == "printf":
            return 0.0
        args = [as_num(self.expr(a, env, frame, mask)) for a in c.args]
        proc = self.procedures.get(c.func)
        if proc is None:
            return _math(c.func, args, mask)
        inner = Frame(dict(zip(proc.args, args)))
        if proc.kind == "FUNCTION":
            inner.locals[proc.name] = 0.0
            inner.locals["__return__"] = proc.name
        self.run(proc.body, env, inner, mask)
        return inner.locals.get(proc.name, 0.0) if proc.kind == "FUNCTION" else 0.0


def _merge(target: dict, first: dict, second: dict, cond) -> None:
    """``target[k] = where(cond, first[k], second[k])`` for every key that differs."""
    for key in set(first) | set(second):
        if key == "__return__":
            continue
        default = target.get(key, 0.0)
        a, b = first.get(key, default), second.get(key, default)
        if a is b:
            target[key] = a
        else:
            target[key] = jnp.where(cond, as_num(a), as_num(b))


def _pow(a, b, mask):
    if _static(a) and _static(b):
        return float(a) ** float(b)
    return jnp.power(guard(a, mask, 1.0), b)


def _math(name: str, args: list, mask) -> Value:
    if name == "exp":
        return nrn_exp(guard(args[0], mask, 0.0))
    if name in ("log", "log10", "sqrt"):
        x = guard(args[0], mask, 1.0)
        return {"log": jnp.log, "log10": jnp.log10, "sqrt": jnp.sqrt}[name](x)
    if name == "pow":
        return _pow(args[0], args[1], mask)
    if name == "fabs":
        return jnp.abs(args[0])
    if name in ("erf", "erfc"):
        return getattr(jsp, name)(args[0])
    if name == "fmin":
        return jnp.minimum(args[0], args[1])
    if name == "fmax":
        return jnp.maximum(args[0], args[1])
    if name == "atan2":
        return jnp.arctan2(args[0], args[1])
    if name == "fmod":
        return jnp.fmod(args[0], guard(args[1], mask, 1.0))
    table = {
        "asin": jnp.arcsin,
        "acos": jnp.arccos,
        "atan": jnp.arctan,
    }
    fn = table.get(name) or getattr(jnp, name)
    return fn(args[0])


def broadcast(x, like) -> jax.Array:
    """``x`` as an array of the shape and floating dtype of ``like`` (the site voltages)."""
    return jnp.zeros_like(like) + as_num(x)
