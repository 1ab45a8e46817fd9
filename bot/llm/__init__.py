"""The model boundary: the LLM client, prompt sanitizing, replies, errors and token budgets."""
