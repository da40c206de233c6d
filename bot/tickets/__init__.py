"""Tickets: complaints, after-hours requests and follow-ups with an owner, a status and deadlines in support hours."""
