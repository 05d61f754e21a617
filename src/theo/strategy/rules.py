"""A small, safe rule language for extra entry and exit conditions.

Example: ``atr(14) > 0.5 and corr >= 0.7 and not (QQQ.close < QQQ.sl)``.

Grammar (lowest precedence first)::

    rule       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum [("<" | "<=" | ">" | ">=" | "==" | "!=") sum]
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | atom
    atom       := NUMBER | "true" | "false" | NAME | NAME "(" args ")" | "(" rule ")"

Names are the values of :data:`VALUE_NAMES`, optionally qualified by a symbol (``QQQ.close``);
unqualified names mean the strategy's primary symbol, ``corr`` means the correlation with the first
correlated symbol and ``QQQ.corr`` the correlation of the primary with QQQ. Indicator calls take one
positive integer period (``atr(14)``, ``QQQ.donchian_upper(20)``); ``abs``, ``min`` and ``max`` work on
expressions. The text is tokenised and parsed into an AST; nothing is ever passed to ``eval``.

Evaluation: a name whose value is missing (indicator not ready, no correlation yet, NaN) makes the whole
rule false, and so does a division by zero: a rule never fires on data it does not have.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from theo.core.errors import RuleSyntaxError

#: Plain values a rule can name (per symbol).
VALUE_NAMES = frozenset({"open", "high", "low", "close", "price", "volume", "sh", "sl", "zscore", "corr", "n"})
#: Indicator functions taking one integer period.
INDICATORS = frozenset({"atr", "donchian_upper", "donchian_lower", "donchian_mid"})
#: Functions over expressions, with their arity (``None``: two or more).
MATH_FUNCTIONS: dict[str, int | None] = {"abs": 1, "min": None, "max": None}
KEYWORDS = frozenset({"and", "or", "not", "true", "false"})

Kind = Literal["num", "bool"]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)"
    r"|(?P<op><=|>=|==|!=|[<>+\-*/(),]))"
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num | name | op | end
    text: str
    pos: int


def tokenize(expression: str) -> list[Token]:
    """Split ``expression`` into tokens; an unknown character raises :class:`RuleSyntaxError`."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(expression):
        if expression[pos:].strip() == "":
            break
        m = _TOKEN.match(expression, pos)
        if m is None or m.end() == pos:
            bad = pos + (len(expression[pos:]) - len(expression[pos:].lstrip()))
            raise RuleSyntaxError(expression, bad, f"unexpected character {expression[bad]!r}")
        kind = m.lastgroup or "op"
        tokens.append(Token(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    tokens.append(Token("end", "", len(expression)))
    return tokens


# -- AST ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Num:
    value: float


@dataclass(frozen=True, slots=True)
class Bool:
    value: bool


@dataclass(frozen=True, slots=True)
class Var:
    """A named value; ``key`` is how it appears in the value mapping (``close``, ``QQQ.atr(14)``)."""

    key: str
    symbol: str | None
    name: str
    period: int | None = None


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "-" | "not"
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Func:
    name: str
    args: tuple[Node, ...]


Node = Num | Bool | Var | Unary | Binary | Func


@dataclass(frozen=True, slots=True)
class Requirement:
    """An indicator a rule needs: ``symbol`` ``None`` means the primary symbol."""

    symbol: str | None
    name: str
    period: int


class _Missing(Exception):
    """A value the rule needs is not available yet."""


class Rule:
    """A parsed, validated rule. Build with :func:`parse_rule`."""

    def __init__(self, expression: str, tree: Node) -> None:
        self.expression = expression
        self.tree = tree
        self.variables: tuple[Var, ...] = tuple(_walk_vars(tree))

    @property
    def keys(self) -> tuple[str, ...]:
        """The value keys the rule reads, in first-use order, without repeats."""
        return tuple(dict.fromkeys(v.key for v in self.variables))

    @property
    def requirements(self) -> frozenset[Requirement]:
        return frozenset(Requirement(v.symbol, v.name, v.period) for v in self.variables if v.period is not None)

    def evaluate(self, values: Mapping[str, float | None]) -> bool:
        """True when the rule holds; False when it does not or a value it needs is missing."""
        try:
            return bool(_eval(self.tree, values))
        except (_Missing, ZeroDivisionError):
            return False

    def __repr__(self) -> str:
        return f"Rule({self.expression!r})"


def _walk_vars(node: Node) -> Iterable[Var]:
    if isinstance(node, Var):
        yield node
    elif isinstance(node, Unary):
        yield from _walk_vars(node.operand)
    elif isinstance(node, Binary):
        yield from _walk_vars(node.left)
        yield from _walk_vars(node.right)
    elif isinstance(node, Func):
        for arg in node.args:
            yield from _walk_vars(arg)


def _eval(node: Node, values: Mapping[str, float | None]) -> float | bool:
    if isinstance(node, Num | Bool):
        return node.value
    if isinstance(node, Var):
        value = values.get(node.key)
        if value is None or not math.isfinite(value):  # NaN would make ``not (x > 1)`` true on no data
            raise _Missing(node.key)
        return float(value)
    if isinstance(node, Unary):
        inner = _eval(node.operand, values)
        return (not inner) if node.op == "not" else -float(inner)
    if isinstance(node, Func):
        args = [float(_eval(a, values)) for a in node.args]
        return abs(args[0]) if node.name == "abs" else (min(args) if node.name == "min" else max(args))
    if node.op == "and":
        return bool(_eval(node.left, values)) and bool(_eval(node.right, values))
    if node.op == "or":
        # Both sides are evaluated so a missing value on either side makes the rule false (no guessing).
        left, right = bool(_eval(node.left, values)), bool(_eval(node.right, values))
        return left or right
    a, b = float(_eval(node.left, values)), float(_eval(node.right, values))
    result: float | bool = _BINARY[node.op](a, b)
    return result


_BINARY: dict[str, Callable[[float, float], float | bool]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})


class _Parser:
    def __init__(self, expression: str, symbols: frozenset[str] | None) -> None:
        self.expr = expression
        self.tokens = tokenize(expression)
        self.i = 0
        self.symbols = symbols

    # helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, message: str, tok: Token | None = None) -> RuleSyntaxError:
        return RuleSyntaxError(self.expr, (tok or self.tok).pos, message)

    def take(self, text: str) -> bool:
        if self.tok.text == text and self.tok.kind in ("op", "name"):
            self.i += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.take(text):
            found = self.tok.text or "end of rule"
            raise self.fail(f"expected {text!r}, found {found!r}")

    def need(self, node: tuple[Node, Kind], kind: Kind, tok: Token, what: str) -> Node:
        if node[1] != kind:
            want = "a number" if kind == "num" else "a condition (true/false)"
            raise self.fail(f"{what} needs {want}", tok)
        return node[0]

    # grammar
    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.fail("empty rule")
        start = self.tok
        node = self.need(self.or_(), "bool", start, "a rule")
        if self.tok.kind != "end":
            raise self.fail(f"unexpected {self.tok.text!r} after a complete rule")
        return node

    def or_(self) -> tuple[Node, Kind]:
        left_tok = self.tok
        left = self.and_()
        while self.tok.text == "or":
            self.i += 1
            right_tok = self.tok
            right = self.and_()
            left = (Binary("or", self.need(left, "bool", left_tok, "'or'"),
                           self.need(right, "bool", right_tok, "'or'")), "bool")
        return left

    def and_(self) -> tuple[Node, Kind]:
        left_tok = self.tok
        left = self.not_()
        while self.tok.text == "and":
            self.i += 1
            right_tok = self.tok
            right = self.not_()
            left = (Binary("and", self.need(left, "bool", left_tok, "'and'"),
                           self.need(right, "bool", right_tok, "'and'")), "bool")
        return left

    def not_(self) -> tuple[Node, Kind]:
        if self.tok.text == "not" and self.tok.kind == "name":
            self.i += 1
            tok = self.tok
            return Unary("not", self.need(self.not_(), "bool", tok, "'not'")), "bool"
        return self.comparison()

    def comparison(self) -> tuple[Node, Kind]:
        left_tok = self.tok
        left = self.sum_()
        if self.tok.kind == "op" and self.tok.text in _COMPARISONS:
            op = self.tok.text
            self.i += 1
            right_tok = self.tok
            right = self.sum_()
            node = Binary(op, self.need(left, "num", left_tok, f"{op!r}"),
                          self.need(right, "num", right_tok, f"{op!r}"))
            if self.tok.kind == "op" and self.tok.text in _COMPARISONS:
                raise self.fail("chained comparisons are not allowed; join them with 'and'")
            return node, "bool"
        return left

    def sum_(self) -> tuple[Node, Kind]:
        left_tok = self.tok
        left = self.product()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.tok.text
            self.i += 1
            right_tok = self.tok
            right = self.product()
            left = (Binary(op, self.need(left, "num", left_tok, f"{op!r}"),
                           self.need(right, "num", right_tok, f"{op!r}")), "num")
        return left

    def product(self) -> tuple[Node, Kind]:
        left_tok = self.tok
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in "*/":
            op = self.tok.text
            self.i += 1
            right_tok = self.tok
            right = self.unary()
            left = (Binary(op, self.need(left, "num", left_tok, f"{op!r}"),
                           self.need(right, "num", right_tok, f"{op!r}")), "num")
        return left

    def unary(self) -> tuple[Node, Kind]:
        if self.tok.kind == "op" and self.tok.text == "-":
            self.i += 1
            tok = self.tok
            return Unary("-", self.need(self.unary(), "num", tok, "'-'")), "num"
        return self.atom()

    def atom(self) -> tuple[Node, Kind]:
        tok = self.tok
        if tok.kind == "num":
            self.i += 1
            return Num(float(tok.text)), "num"
        if tok.kind == "op" and tok.text == "(":
            self.i += 1
            node = self.or_()
            self.expect(")")
            return node
        if tok.kind == "name":
            return self.name()
        if tok.kind == "end":
            raise self.fail("rule ends too early: a value is missing")
        raise self.fail(f"unexpected {tok.text!r}")

    def name(self) -> tuple[Node, Kind]:
        tok = self.tok
        self.i += 1
        if tok.text in ("true", "false"):
            return Bool(tok.text == "true"), "bool"
        if tok.text in KEYWORDS:
            raise self.fail(f"unexpected keyword {tok.text!r}", tok)
        symbol, _, base = tok.text.rpartition(".")
        qualified = symbol or None
        if qualified is not None and self.symbols is not None and qualified not in self.symbols:
            known = ", ".join(sorted(self.symbols))
            raise self.fail(f"unknown symbol {qualified!r} (this strategy knows: {known})", tok)
        if self.tok.kind == "op" and self.tok.text == "(":
            return self.call(tok, qualified, base)
        if base in VALUE_NAMES:
            return Var(tok.text, qualified, base), "num"
        if base in INDICATORS or base in MATH_FUNCTIONS:
            raise self.fail(f"{base!r} is a function: write {base}(...)", tok)
        names = ", ".join(sorted(VALUE_NAMES))
        raise self.fail(f"unknown name {base!r}; known names: {names}", tok)

    def call(self, tok: Token, symbol: str | None, base: str) -> tuple[Node, Kind]:
        self.expect("(")
        if base in INDICATORS:
            arg = self.tok
            if arg.kind != "num" or not arg.text.isdigit() or int(arg.text) < 1:
                raise self.fail(f"{base}() takes one positive whole number (a period), e.g. {base}(14)", arg)
            self.i += 1
            if self.tok.text == ",":
                raise self.fail(f"{base}() takes exactly 1 argument")
            self.expect(")")
            period = int(arg.text)
            key = f"{symbol}.{base}({period})" if symbol else f"{base}({period})"
            return Var(key, symbol, base, period), "num"
        if base in MATH_FUNCTIONS and symbol is None:
            args: list[Node] = []
            while True:
                arg_tok = self.tok
                args.append(self.need(self.sum_(), "num", arg_tok, f"{base}()"))
                if not self.take(","):
                    break
            arity = MATH_FUNCTIONS[base]
            if (arity is not None and len(args) != arity) or (arity is None and len(args) < 2):
                want = f"exactly {arity}" if arity is not None else "2 or more"
                raise self.fail(f"{base}() takes {want} arguments, got {len(args)}", tok)
            self.expect(")")
            return Func(base, tuple(args)), "num"
        known = ", ".join(sorted(INDICATORS | MATH_FUNCTIONS.keys()))
        raise self.fail(f"unknown function {tok.text!r}; known functions: {known}", tok)


def parse_rule(expression: str, symbols: Iterable[str] | None = None) -> Rule:
    """Parse and validate ``expression``; ``symbols`` (when given) are the allowed qualifiers.

    Raises :class:`RuleSyntaxError` with the position of the offending token.
    """
    allowed = frozenset(symbols) if symbols is not None else None
    return Rule(expression, _Parser(expression, allowed).parse())


def parse_rules(expressions: Iterable[str], symbols: Iterable[str] | None = None) -> tuple[Rule, ...]:
    allowed = tuple(symbols) if symbols is not None else None
    return tuple(parse_rule(e, allowed) for e in expressions)
