"""The planning agent's pure core: the plan model, its graph, rendering, stories and prompts.

Nothing in this package does I/O. Modules, one noun each:
`model` (values), `validation` (dict -> Plan + errors), `graph` (order, cycles, critical path),
`render` (the blueprint), `diff` (what changed), `embed` (the plan hidden in the bot's comment),
`markdown` + `outline` (the model-free planner), `stories` (splitting and model-reply validation),
`tickets` (labels, ticket bodies, markers, the board), `reconcile` (what to create or update),
`prompts` (messages for the model and reply parsers), `discussion` (/summarize and /classify).

Dependency direction, everywhere: a dependency `{source_id, target_id}` means the SOURCE depends
on the TARGET, so the target comes first. This mirrors Gitea's issue dependencies
(`POST /repos/{o}/{r}/issues/{source}/dependencies` with the target in the body makes the
source blocked by the target).
"""
