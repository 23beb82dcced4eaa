"""The student's day: progress and hints, watch, plots."""
