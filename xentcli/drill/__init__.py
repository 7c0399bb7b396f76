"""Coding drills: implement a loss yourself, graded the way an interviewer tests it.

Never prints. :mod:`~xentcli.drill.tasks` reads the drills (data in
``questions/drills/``), :mod:`~xentcli.drill.cases` draws inputs and computes
the right answers with the core, :mod:`~xentcli.drill.ladder` climbs the test
ladder, running the user's file in a child process
(:mod:`~xentcli.drill.runner`, :mod:`~xentcli.drill.worker`), and
:mod:`~xentcli.drill.results` holds what it found.
"""
