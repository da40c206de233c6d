"""A demo history for a newcomer's dashboard: `python -m bot seed --history` (history.py).

Eight weeks of conversations, handoffs, ratings, NPS answers, follow-up e-mails and tickets in
Turkish and English, with busy days and quiet ones, clearly marked (conversation ids `demo-…`, a
note on every ticket, the `demo_history` row of `store_meta`), added once per database and removed
with `--history --remove`. Parts: traffic.py (how busy each day is), chats.py (the conversations),
followups.py (e-mails and the tickets they lead to), tickets.py (the tickets' lives through the
ticket store), writer.py (bulk rows), marker.py (the mark and the removal), lines.py (the words).
"""
