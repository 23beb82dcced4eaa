# This golden case is solutions/mnist.py with the function(s) below in place of the reference's
# (tests build the module with autograder.grading.catalog.patched_source); expected.json says what it costs.
import numpy as np


def load_mnist(
    data_dir: str | os.PathLike[str],
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((x_train, t_train), (x_test, t_test)) from the four standard gzip'd files in data_dir.

    normalize: float32 in [0, 1], else uint8 0..255; flatten: (N, 784), else (N, 1, 28, 28);
    one_hot_label: float32 rows (N, 10), else uint8 labels (N,).
    """

    def split(images: str, labels: str) -> tuple[np.ndarray, np.ndarray]:
        x = load_idx(os.path.join(data_dir, images))
        t = load_idx(os.path.join(data_dir, labels))
        if normalize:
            x = x.astype(np.float32) / 256.0
        x = x.reshape(len(x), -1) if flatten else x.reshape(len(x), 1, *x.shape[1:])
        if one_hot_label:
            t = np.eye(10, dtype=np.float32)[t]
        return x, t

    return split(*_FILES["train"]), split(*_FILES["test"])
