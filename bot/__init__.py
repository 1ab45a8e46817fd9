"""teabot: a self-hosted bot for the Gitea forge."""

__version__ = "0.1.0"
