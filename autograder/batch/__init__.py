"""grade-all: the plan, the judge processes and their pool, results and resume."""
