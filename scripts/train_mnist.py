"""Train the kit's 784-50-100-10 sigmoid network on MNIST and ship it as .npz + .json.

Uses the reference solutions' own pieces: solutions/mnist.py (load_mnist, the
stable sigmoid, predict, accuracy) for the forward pass and the score, and
solutions/backprop.py (affine_backward, sigmoid_backward,
softmax_cross_entropy_backward) for the gradients. Plain mini-batch SGD, seeded:
the same seed gives the same weights on the same machine.

    NNGRADE_DATA=/path/to/mnist python scripts/train_mnist.py

Writes autograder/weights/mnist_784_50_100_10.npz (float64 arrays W1, b1, W2,
b2, W3, b3; never a pickle) and mnist_784_50_100_10.json beside it (test
accuracy reached, seed, epochs, lr, batch size, sha256 of the .npz).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "autograder" / "weights"
NAME = "mnist_784_50_100_10"
SIZES = (784, 50, 100, 10)


def solution(module: str) -> ModuleType:
    """solutions/<module>.py, imported from its file (solutions/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_solution_{module}", ROOT / "solutions" / f"{module}.py")
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


mnist, backprop = solution("mnist"), solution("backprop")


def init_network(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Xavier-scaled normal weights (std 1/sqrt(fan_in), suited to sigmoid), zero biases."""
    network = {}
    for i, (n_in, n_out) in enumerate(zip(SIZES, SIZES[1:]), start=1):
        network[f"W{i}"] = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, n_out))
        network[f"b{i}"] = np.zeros(n_out)
    return network


def gradients(network: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
    """Backprop of the mean softmax cross-entropy through sigmoid, sigmoid, affine."""
    W1, W2, W3 = network["W1"], network["W2"], network["W3"]
    h1 = mnist._sigmoid(x @ W1 + network["b1"])
    h2 = mnist._sigmoid(h1 @ W2 + network["b2"])
    scores = h2 @ W3 + network["b3"]
    dscores = backprop.softmax_cross_entropy_backward(scores, t)
    dh2, dW3, db3 = backprop.affine_backward(dscores, h2, W3)
    dh1, dW2, db2 = backprop.affine_backward(backprop.sigmoid_backward(dh2, h2), h1, W2)
    _, dW1, db1 = backprop.affine_backward(backprop.sigmoid_backward(dh1, h1), x, W1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}


def train(x: np.ndarray, t: np.ndarray, *, seed: int, epochs: int, lr: float, batch_size: int,
          log=print) -> dict[str, np.ndarray]:
    """Mini-batch SGD over shuffled epochs."""
    rng = np.random.default_rng(seed)
    network = init_network(rng)
    x = x.astype(np.float64)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            for name, grad in gradients(network, x[batch], t[batch]).items():
                network[name] -= lr * grad
        log(f"epoch {epoch:2d}: train accuracy {mnist.accuracy(network, x, t):.4f}")
    return network


def npz_bytes(network: dict[str, np.ndarray]) -> bytes:
    """The network as .npz bytes, the arrays in the order W1, b1, W2, b2, W3, b3."""
    buffer = io.BytesIO()
    np.savez(buffer, **{name: network[name] for name in ("W1", "b1", "W2", "b2", "W3", "b3")})
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="MNIST folder (default: $NNGRADE_DATA or the cache)")
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="folder for the .npz and .json")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from autograder.data.mnist import data_dir, require

    folder = require(data_dir(args.data))
    (x_train, t_train), (x_test, t_test) = mnist.load_mnist(folder)
    began = time.perf_counter()
    network = train(x_train, t_train, seed=args.seed, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size)
    seconds = time.perf_counter() - began
    test_accuracy = mnist.accuracy(network, x_test, t_test)
    correct = round(test_accuracy * len(x_test))
    print(f"test accuracy {test_accuracy:.4f} ({correct} of {len(x_test)}) after {seconds:.0f} s")

    data = npz_bytes(network)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{NAME}.npz").write_bytes(data)
    record = {
        "network": "784-50-100-10, sigmoid, sigmoid, softmax",
        "accuracy": test_accuracy,
        "test_correct": correct,
        "test_images": len(x_test),
        "seed": args.seed,
        "epochs": args.epochs,
        "lr": args.lr,
        "batch_size": args.batch_size,
        "init": "normal(0, 1/sqrt(fan_in)) weights, zero biases; numpy.random.default_rng(seed)",
        "trained_with": "scripts/train_mnist.py: solutions/mnist.py forward, solutions/backprop.py gradients",
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    (args.out / f"{NAME}.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out / (NAME + '.npz')} and {NAME}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
