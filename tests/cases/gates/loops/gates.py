"""Gates written with plain Python loops and ifs."""


def perceptron(x, w, b):
    rows = [list(r) for r in x] if hasattr(x[0], "__len__") else None
    if rows is None:
        total = sum(float(xi) * float(wi) for xi, wi in zip(x, w)) + b
        return 1 if total > 0 else 0
    import numpy as np
    return np.array([perceptron(r, w, b) for r in rows], dtype=int)


def AND(x1, x2):
    return perceptron([x1, x2], [0.5, 0.5], -0.7)


def NAND(x1, x2):
    return perceptron([x1, x2], [-0.5, -0.5], 0.7)


def OR(x1, x2):
    return perceptron([x1, x2], [0.5, 0.5], -0.2)


def XOR(x1, x2):
    s1 = NAND(x1, x2)
    s2 = OR(x1, x2)
    return AND(s1, s2)
