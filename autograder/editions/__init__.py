"""What the kit publishes: the student edition and the Gradescope autograder zip."""
