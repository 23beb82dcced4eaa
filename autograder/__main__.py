"""`python -m autograder ...` is the same as `nngrade ...`."""
from autograder.cli.main import entry

entry()
