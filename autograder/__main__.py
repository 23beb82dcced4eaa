"""`python -m autograder ...` is the same as `nngrade ...`."""
from autograder.cli.launch import entry

entry()
