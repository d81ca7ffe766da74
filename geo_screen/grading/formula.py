"""Indicator formulas: arithmetic over named input columns (+ - * / and parentheses), parsed safely, never eval'd.

A formula such as ``tax / land_area_mu`` or ``rd_spend / sales * 100`` is parsed once with :mod:`ast` and checked:
only numbers, the allowed column names, the four operators, unary minus and parentheses pass. It is then
evaluated column-wise on numpy arrays.

>>> f = Formula.parse("tax / land_area_mu", allowed={"tax", "land_area_mu"})
>>> f.columns
('tax', 'land_area_mu')
>>> f.evaluate({"tax": np.array([30.0]), "land_area_mu": np.array([10.0])})
array([3.])
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

_OPERATORS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}


class FormulaError(ValueError):
    """A formula uses something other than numbers, known columns, + - * / and parentheses."""


@dataclass(frozen=True)
class Formula:
    """A checked formula: its text, its parsed tree and the input columns it reads (in order of appearance)."""

    text: str
    tree: ast.expr
    columns: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, *, allowed: Iterable[str]) -> Formula:
        """Parse and check ``text``; raise :class:`FormulaError` saying what is not allowed and what is."""
        allowed = set(allowed)
        try:
            tree = ast.parse(str(text).strip(), mode="eval").body
        except SyntaxError as err:
            raise FormulaError(f"{text!r} is not a formula ({err.msg}); write e.g. 'tax / land_area_mu'") from err
        names: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                if node.id not in allowed:
                    raise FormulaError(
                        f"{text!r} reads {node.id!r}, which is not an input column; use {', '.join(sorted(allowed))}"
                    )
                names.append(node.id)
            elif isinstance(node, ast.Constant):
                if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                    raise FormulaError(f"{text!r} holds the constant {node.value!r}; only numbers are allowed")
            elif isinstance(node, ast.BinOp):
                if type(node.op) not in _OPERATORS:
                    raise FormulaError(f"{text!r} uses an operator other than + - * /")
            elif isinstance(node, ast.UnaryOp):
                if not isinstance(node.op, ast.USub | ast.UAdd):
                    raise FormulaError(f"{text!r} uses a unary operator other than -")
            elif not isinstance(node, ast.operator | ast.unaryop | ast.Load):
                raise FormulaError(
                    f"{text!r} uses {type(node).__name__}; only numbers, input columns, + - * / and () are allowed"
                )
        return cls(str(text).strip(), tree, tuple(dict.fromkeys(names)))

    def evaluate(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """The formula on float arrays; x/0 gives ±inf and 0/0 NaN (the caller decides what they score)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(_evaluate(self.tree, columns), dtype="float64")


def _evaluate(node: ast.expr, columns: Mapping[str, np.ndarray]):
    if isinstance(node, ast.Name):
        return np.asarray(columns[node.id], dtype="float64")
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, columns)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        return _OPERATORS[type(node.op)](_evaluate(node.left, columns), _evaluate(node.right, columns))
    raise FormulaError(f"cannot evaluate {ast.dump(node)}")  # parse() lets nothing else through
