"""The widget's privacy events on the shopper socket (docs/live-chat.md): `privacy_state` (must the
notice be shown? what is the marketing choice?) and `consent` (a choice, validated, recorded with the
wording the shopper saw and, for marketing, applied to the known customer).

Socket events rather than HTTP: the socket already speaks for one confirmed session, so a choice can
only ever be recorded for the shopper's own conversation. The protocol never requires them: a client
that does not know them (Rasa's webchat, the benchmarks) chats as before.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

from sqlalchemy.orm import Session

from bot.privacy import consent, notice


def privacy_state(sessions: Callable[[], Session], conversation_id: str, language: str) -> Dict[str, Any]:
    content = notice.current(sessions)
    wording, marketing_version = notice.marketing_wording(language)
    with sessions() as s:
        needed = consent.notice_needed(s, conversation_id)
        latest = consent.latest_marketing(s, conversation_id)
    return {
        "ok": True,
        "notice": {"needed": needed, "text": notice.short_text(content, language), "version": str(content["version"])},
        # granted: null until the shopper chose; the widget never ticks the box by itself.
        "marketing": {"granted": latest.granted if latest else None, "wording": wording, "version": marketing_version},
    }


def choose(sessions: Callable[[], Session], store_sessions: Callable[[], Session], conversation_id: str,
           data: Any) -> Dict[str, Any]:
    """Records the choice in `data`; a bad or outdated one changes nothing and gets its error code."""
    choice = consent.parse_choice(data)
    if choice.kind == consent.NOTICE:
        content = notice.current(sessions)
        wording, version = notice.short_text(content, choice.language), str(content["version"])
    else:
        wording, version = notice.marketing_wording(choice.language)
    if choice.version != version:  # edited since the widget showed it: what was seen is not known
        raise consent.ConsentError("wording_changed")
    recorded = consent.record(sessions, conversation_id, choice, wording)
    applied = None
    if choice.kind == consent.MARKETING and recorded.customer_id is not None:
        applied = consent.set_customer_marketing(store_sessions, recorded.customer_id, choice.granted)
    return {"ok": True, "consent": consent.consent_view(recorded), "applied_to_customer": applied}
