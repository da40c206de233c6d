"""Kuzey Destek: the bridge, the knowledge base tools and the CLI (`python -m bot`)."""
