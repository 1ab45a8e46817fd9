"""The planning agent's pure core: the plan model, its graph, rendering, stories and prompts.

Nothing in this package does I/O. Modules, one noun each:
`model` (values), `validation` (dict -> Plan + errors), `graph` (order, cycles, critical path),
`render` (the blueprint), `diff` (what changed), `embed` (the plan hidden in the bot's comment),
`markdown` + `outline` (the model-free planner), `stories` (splitting and model-reply validation),
`tickets` (labels, ticket bodies, markers, the board), `reconcile` (what to create or update),
`prompts` (messages for the model and reply parsers). /summarize and /classify live in bot/assist.

Dependency direction, everywhere (SPEC §2): a dependency `{source_id, target_id}` means the SOURCE
is done first and the TARGET needs it. In Gitea the target's tickets are blocked by the source's
(`POST /repos/{o}/{r}/issues/{target}/dependencies` with the source in the body).
"""
