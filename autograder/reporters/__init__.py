"""Reporters render a Scorecard; they compute nothing and never grade."""
