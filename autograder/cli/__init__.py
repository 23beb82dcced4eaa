"""The click commands: parse, delegate to the layers below, map errors to exit codes."""
