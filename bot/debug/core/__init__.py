"""The pure core of the auto-debug agent (SPEC §3): edits, the anti-cheat guard, commit names,
the decision before fixing, the session state machine, the status comment and the fix-loop prompts.

Nothing here does I/O or reads the clock: the orchestrator (`bot/agents/debugger.py`) passes data
and times in and carries the results out.
"""
