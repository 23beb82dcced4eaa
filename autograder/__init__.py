"""nngrade: auto-graded exercises for neural-network fundamentals.

Kept import-free on purpose: the sandbox worker imports this package and must start fast.
"""
__version__ = "0.1.0"
