"""CLI subcommands that live in their own modules; each module exposes ``command`` (a click command or group
added at the top level) and/or ``tasks_command`` (added under ``generallevel tasks``).

cli.py adds every module listed in COMMAND_MODULES that exists, so features can land independently.
"""

COMMAND_MODULES = ("evaluate", "leaderboard", "submission", "new_plugin", "validate", "serve", "demo", "extractors", "types")
