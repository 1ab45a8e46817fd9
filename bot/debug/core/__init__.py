"""The pure core of the auto-debug agent (SPEC §3): edits, the anti-cheat guard, commit names,
the decision before fixing, the session (session.py) and what it does next (machine.py), pipeline
results (pipeline.py), the status comment and the fix-loop prompts.

Nothing here does I/O or reads the clock: the agent (`bot/debug/agent.py`, `results.py`, `driver.py`)
passes data and times in and carries the results out.
"""
