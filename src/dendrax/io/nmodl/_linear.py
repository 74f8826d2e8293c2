"""Symbolic split of a derivative ``x' = f`` into ``f = A + B x``, as NEURON's translator does
for ``METHOD cnexp``.

NEURON 9's translator writes ``x = x + (1 - exp(dt B)) (-(A)/(B) - x)`` with ``B`` the symbolic
derivative of ``f`` in ``x`` and ``A`` the part of ``f`` without ``x``; other states and every
other variable count as constants (a variable assigned from ``x`` earlier in the block too: the
split reads the equation's text only). Where ``x`` does not occur, it writes the explicit step
``x = x + dt f``; where ``x`` occurs inside a function call it falls back to ``derivimplicit``
for the whole block; a term nonlinear in ``x`` (``x*x``, ``1/x``, ``x^2``) it does not handle
correctly, so dendrax refuses it.

The expressions built here hold the same floating-point operations as NEURON's (adding 0,
multiplying by 1 and negating are exact), so the step rounds as NEURON's does.
"""

from __future__ import annotations

from . import _ast as A


class NonLinear(Exception):
    """``f`` is not affine in the state; ``why`` names the term."""

    def __init__(self, why: str, line: int):
        super().__init__(why)
        self.why = why
        self.line = line


class InCall(Exception):
    """The state occurs inside a function call (NEURON then uses derivimplicit)."""


def mentions(expr: A.Expr, names: set[str] | frozenset[str]) -> bool:
    """Whether ``expr`` reads any of ``names``."""
    if isinstance(expr, A.Name):
        return expr.id in names
    if isinstance(expr, A.Unary):
        return mentions(expr.operand, names)
    if isinstance(expr, A.Binary):
        return mentions(expr.left, names) or mentions(expr.right, names)
    if isinstance(expr, A.Call):
        return any(mentions(a, names) for a in expr.args)
    if isinstance(expr, A.Index):
        return expr.name in names or mentions(expr.index, names)
    return False


def _neg(e):
    return None if e is None else A.Unary("-", e, getattr(e, "line", 0))


def _add(a, b, line):
    if a is None:
        return b
    if b is None:
        return a
    return A.Binary("+", a, b, line)


def _sub(a, b, line):
    if b is None:
        return a
    if a is None:
        return _neg(b)
    return A.Binary("-", a, b, line)


def _mul(a, b, line):
    if a is None or b is None:
        return None
    return A.Binary("*", a, b, line)


def _div(a, b, line):
    return None if a is None else A.Binary("/", a, b, line)


def affine(expr: A.Expr, x: str) -> tuple[A.Expr | None, A.Expr | None]:
    """``(A, B)`` with ``expr = A + B x`` symbolically (None for a zero part).

    Raises :class:`InCall` where ``x`` occurs inside a call and :class:`NonLinear` where a
    term is not affine in ``x``.
    """
    xs = {x}
    if not mentions(expr, xs):
        return expr, None
    line = getattr(expr, "line", 0)
    if isinstance(expr, A.Name):
        return None, A.Num(1.0, line)
    if isinstance(expr, A.Unary):
        if expr.op != "-":
            raise NonLinear(f"'!' applied to {x}", line)
        a, b = affine(expr.operand, x)
        return _neg(a), _neg(b)
    if isinstance(expr, A.Call):
        raise InCall()
    if isinstance(expr, A.Index):
        raise NonLinear(f"an array element that uses {x}", line)
    assert isinstance(expr, A.Binary)
    op = expr.op
    if op in ("+", "-"):
        a1, b1 = affine(expr.left, x)
        a2, b2 = affine(expr.right, x)
        if op == "+":
            return _add(a1, a2, line), _add(b1, b2, line)
        return _sub(a1, a2, line), _sub(b1, b2, line)
    if op == "*":
        left_x, right_x = mentions(expr.left, xs), mentions(expr.right, xs)
        if left_x and right_x:
            raise NonLinear(f"a product of two terms with {x}", line)
        if left_x:
            a1, b1 = affine(expr.left, x)
            return _mul(a1, expr.right, line), _mul(b1, expr.right, line)
        a2, b2 = affine(expr.right, x)
        return _mul(expr.left, a2, line), _mul(expr.left, b2, line)
    if op == "/":
        if mentions(expr.right, xs):
            raise NonLinear(f"a division by a term with {x}", line)
        a1, b1 = affine(expr.left, x)
        return _div(a1, expr.right, line), _div(b1, expr.right, line)
    if op == "^":
        _check_calls(expr, xs)
        raise NonLinear(f"a power of a term with {x}", line)
    _check_calls(expr, xs)
    raise NonLinear(f"'{op}' applied to {x}", line)


def _check_calls(expr: A.Expr, xs: set[str]) -> None:
    """InCall if ``x`` occurs in a call anywhere below ``expr`` (NEURON's fallback wins)."""
    if isinstance(expr, A.Call) and any(mentions(a, xs) for a in expr.args):
        raise InCall()
    if isinstance(expr, A.Unary):
        _check_calls(expr.operand, xs)
    elif isinstance(expr, A.Binary):
        _check_calls(expr.left, xs)
        _check_calls(expr.right, xs)


def jointly_affine(expr: A.Expr, states: frozenset[str]) -> bool:
    """Whether ``expr`` is affine in all of ``states`` together (no products of states, no
    state in a call, a power or a denominator)."""

    def degree(e) -> int:
        if not mentions(e, states):
            return 0
        if isinstance(e, A.Name):
            return 1
        if isinstance(e, A.Unary):
            return degree(e.operand) if e.op == "-" else 2
        if isinstance(e, A.Binary):
            if e.op in ("+", "-"):
                return max(degree(e.left), degree(e.right))
            if e.op == "*":
                return degree(e.left) + degree(e.right)
            if e.op == "/":
                return degree(e.left) if degree(e.right) == 0 else 2
        return 2

    return degree(expr) <= 1
