"""Rasa custom actions (rasa-sdk), one module per flow. Run with `python -m bot actions`."""
