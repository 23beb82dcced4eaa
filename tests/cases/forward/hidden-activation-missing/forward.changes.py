# This golden case is solutions/forward.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def forward(
    x: ArrayLike,
    params: Sequence[tuple[ArrayLike, ArrayLike]],
    hidden: str = "sigmoid",
    output: str = "identity",
) -> np.ndarray:
    """dense + `hidden` for every layer but the last, dense + `output` for the last."""
    for name in (hidden, output):
        if name not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; choose from {', '.join(_ACTIVATIONS)}")
    a = np.asarray(x)
    for i, (W, b) in enumerate(params):
        a = dense(a, W, b)
        if i == len(params) - 1:
            a = _ACTIVATIONS[output](a)
    return a
