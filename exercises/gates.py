"""Exercise 1 — logic gates from a perceptron (worked examples §1).

A perceptron fires (1) when w·x + b > 0. One perceptron each gives AND, NAND and OR;
XOR is not linearly separable, so it needs a second layer built from the other gates.
퍼셉트론 하나로 AND·NAND·OR를 만들고, XOR은 두 층을 쌓아야 만들 수 있다.
Worked examples and course notes: autograder/docs/worked-examples.md (`nngrade docs 1`).
풀이 예제와 강의 노트: autograder/docs/worked-examples.ko.md (`nngrade docs 1`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def perceptron(x: ArrayLike, w: ArrayLike, b: float) -> int | np.ndarray:
    """A perceptron with a step activation: y = 1 if w·x + b > 0 else 0.

    x is one input of shape (2,) -> return a plain Python int (0 or 1);
    or a batch of shape (N, 2) -> return an integer ndarray of shape (N,).
    w has shape (2,), b is a number. Note the strict ">": w·x + b == 0 gives 0.

    Example: perceptron([1, 1], [0.5, 0.5], -0.7) == 1 (this is AND).
    """
    raise NotImplementedError("gates.perceptron: not implemented yet")


def AND(x1: int, x2: int) -> int:
    """AND gate with one perceptron; x1, x2 are 0 or 1, return a Python int.

    Truth table (0,0) (1,0) (0,1) (1,1) -> 0 0 0 1.
    Worked examples §1: the classic weights are w1 = w2 = 0.5, b = -0.7
    (any weights that give the truth table are correct).
    """
    raise NotImplementedError("gates.AND: not implemented yet")


def NAND(x1: int, x2: int) -> int:
    """NAND gate (NOT AND) with one perceptron; return a Python int.

    Truth table (0,0) (1,0) (0,1) (1,1) -> 1 1 1 0.
    Worked examples §1: classic weights w1 = w2 = -0.5, b = 0.7 (AND with every sign flipped).
    """
    raise NotImplementedError("gates.NAND: not implemented yet")


def OR(x1: int, x2: int) -> int:
    """OR gate with one perceptron; return a Python int.

    Truth table (0,0) (1,0) (0,1) (1,1) -> 0 1 1 1.
    Worked examples §1: classic weights w1 = w2 = 0.5, b = -0.2.
    """
    raise NotImplementedError("gates.OR: not implemented yet")


def XOR(x1: int, x2: int) -> int:
    """XOR gate as a two-layer network of the gates above; return a Python int.

    Truth table (0,0) (1,0) (0,1) (1,1) -> 0 1 1 0.
    No single perceptron can do this: no straight line separates {(1,0), (0,1)} from
    {(0,0), (1,1)} (course note 003: the limit of linear classifiers). First layer: NAND and OR
    of the inputs; second layer: AND of those two (worked examples §1).
    """
    raise NotImplementedError("gates.XOR: not implemented yet")
