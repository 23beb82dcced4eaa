"""`python -m autograder ...` is the same as `nngrade ...`."""
from autograder.cli import entry

entry()
