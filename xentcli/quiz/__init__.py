"""The quiz layer: question banks, the safe expression evaluator, grading, sessions
and the progress store. It uses :mod:`xentcli.core` for every number and never
prints: the CLI renders what it returns."""
