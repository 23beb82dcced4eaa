"""`python -m autograder ...` is the same as `nngrade ...`."""
from autograder.cli import main

main(prog_name="nngrade")
