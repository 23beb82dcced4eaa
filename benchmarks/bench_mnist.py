"""How much faster is MNIST inference in batches? (seed 001: "batches are faster")

Times the reference `accuracy` (solutions/mnist.py) with the kit's trained
784-50-100-10 weights over 10,000 images, at batch_size=100 and at batch_size=1,
and prints the medians of repeated runs and their ratio. No assertions: a
number to read, not a test.

    python benchmarks/bench_mnist.py [--repeat 7] [--data DIR]

Uses the real test set when the MNIST folder is available (--data, else
NNGRADE_DATA, else the cache), otherwise 10,000 random images of the same shape.
"""
from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.data.mnist import DataMissing, data_dir, require  # noqa: E402

KIT = ROOT / "autograder" / "weights" / "mnist_784_50_100_10.npz"


def reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_reference_mnist", ROOT / "solutions" / "mnist.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_images(mnist: ModuleType, folder: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    try:
        _, (x, t) = mnist.load_mnist(require(data_dir(folder)))
        return x, t, "the real MNIST test set"
    except DataMissing:
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, size=(10_000, 784)).astype(np.float32) / 255.0
        return x, rng.integers(0, 10, size=10_000), "10,000 random images (MNIST data not found)"


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Batched vs one-at-a-time MNIST inference (reference solution).")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per batch size (median reported)")
    parser.add_argument("--data", help="MNIST folder (default: $NNGRADE_DATA or the cache)")
    args = parser.parse_args(argv)

    mnist = reference()
    network = mnist.load_weights(KIT)
    x, t, source = load_images(mnist, args.data)
    print(f"reference accuracy() with the kit's weights on {source}; median of {args.repeat} runs")
    medians = {}
    for batch_size in (100, 1):
        score = mnist.accuracy(network, x, t, batch_size=batch_size)  # warm-up, and the result to show
        medians[batch_size] = median_seconds(lambda size=batch_size: mnist.accuracy(network, x, t, batch_size=size),
                                             args.repeat)
        print(f"  batch_size={batch_size:<3d}  {medians[batch_size] * 1000:8.1f} ms   "
              f"({len(x) / medians[batch_size]:,.0f} images/s, accuracy {score:.4f})")
    print(f"batches of 100 are {medians[1] / medians[100]:.1f}x faster than one image at a time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
