"""Suites run against a sandbox, compared, scored: compare, catalog, plugin, runner, results, scoring."""
