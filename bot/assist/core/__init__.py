"""The pure core of `/summarize` and `/classify`: reading a thread without a model, prompts and reply parsers.

`discussion` (cue words over the thread, and the comments), `prompts` (messages for the model and
parsers for its JSON replies). Nothing here does I/O.
"""
