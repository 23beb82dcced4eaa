"""Notebooks as submissions, and nbgrader's export steps."""
