"""The MNIST data: where it lives, download, cache, verification."""
