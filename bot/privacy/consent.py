"""Shoppers' choices in the chat widget: the privacy notice acknowledged (KVKK art. 10) and marketing
e-mails given or withdrawn (İYS, Law 6563).

Every choice is a new row in `consents` with its time, the exact wording shown and that wording's
version; a withdrawal is a row with `granted` false, nothing is updated. Only explicit choices are
recorded: a box the shopper left unticked under the notice is no refusal, so it cannot switch off a
permission the customer gave elsewhere.

The latest marketing choice of a conversation goes to the store's `customers.marketing_consent`
(which the follow-up e-mails honour, bot/followup/job.py) as soon as the conversation's customer is
known: at once, or when the bridge learns who the shopper is (`apply_pending_marketing_consent`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, Optional

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.store.models import Customer
from bot import i18n
from bot.desk.models import Conversation, Message
from bot.desk.store import iso, utcnow
from bot.privacy.models import Consent

log = logging.getLogger(__name__)

NOTICE, MARKETING = "notice", "marketing"
KINDS = (NOTICE, MARKETING)
LANGUAGES = ("tr", "en")

# The words of a refused choice are in the text catalogue: `consent_error.<code>` in the `privacy`
# domain (locale/<language>/LC_MESSAGES/privacy.po), for the codes raised below and in bot/desk/shoppers.py.
ERROR_PREFIX = "privacy:consent_error."


class ConsentError(Exception):
    """A choice refused before anything was stored."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    def answer(self, language: str) -> Dict[str, Any]:
        """The shopper socket's answer shape: {"ok": false, "error": {code, message}}."""
        return failure(self.code, language)


def failure(code: str, language: str) -> Dict[str, Any]:
    """{"ok": false, "error": {code, message}}: the message in the shopper's language (Turkish for
    one the catalogue does not have)."""
    return {"ok": False, "error": {"code": code, "message": i18n.say(ERROR_PREFIX + code, language)}}


@dataclass(frozen=True)
class Choice:
    kind: str
    granted: bool
    language: str
    version: str


def parse_choice(data: Any) -> Choice:
    """A `consent` event's payload, checked field by field (bool is not an int here, nor the reverse)."""
    if not isinstance(data, dict):
        raise ConsentError("invalid_consent")
    kind, granted, language, version = data.get("kind"), data.get("granted"), data.get("language"), data.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if (kind not in KINDS or not isinstance(granted, bool) or language not in LANGUAGES
            or not isinstance(version, str) or not 0 < len(version) <= 32):
        raise ConsentError("invalid_consent")
    if kind == NOTICE and not granted:  # one reads a notice; there is nothing to refuse
        raise ConsentError("invalid_consent")
    return Choice(kind, granted, language, version)


# --- reading -------------------------------------------------------------------------------

def notice_acknowledged(s: Session, conversation_id: str) -> bool:
    return s.execute(select(Consent.id).where(Consent.conversation_id == conversation_id, Consent.kind == NOTICE)
                     .limit(1)).first() is not None


def latest_marketing(s: Session, conversation_id: str) -> Optional[Consent]:
    return s.execute(select(Consent).where(Consent.conversation_id == conversation_id, Consent.kind == MARKETING)
                     .order_by(Consent.id.desc()).limit(1)).scalar_one_or_none()


def has_messages(s: Session, conversation_id: str) -> bool:
    return s.execute(select(func.count(Message.id)).where(Message.conversation_id == conversation_id)).scalar_one() > 0


def notice_needed(s: Session, conversation_id: str) -> bool:
    """The widget shows the notice before a chat's first message, once per conversation: not when
    it was acknowledged, nor in a chat that already has messages (e.g. begun by another client)."""
    return not notice_acknowledged(s, conversation_id) and not has_messages(s, conversation_id)


def consent_view(consent: Consent) -> Dict[str, Any]:
    return {"id": consent.id, "kind": consent.kind, "granted": consent.granted, "wording": consent.wording,
            "version": consent.wording_version, "language": consent.language, "time": iso(consent.created_at)}


# --- recording -----------------------------------------------------------------------------

def record(sessions: Callable[[], Session], conversation_id: str, choice: Choice, wording: str,
           now: Optional[datetime] = None) -> Consent:
    """Stores the choice with the wording shown. The conversation is created if it has no message
    yet, so that a reload finds the session again (and does not show the notice twice)."""
    now = now or utcnow()
    with sessions() as s:
        conversation = s.get(Conversation, conversation_id)
        if conversation is None:
            # The model's column defaults give a new chat's state, as DeskStore.create_conversation's.
            conversation = Conversation(id=conversation_id, created_at=now, last_message_at=now, language=choice.language)
            s.add(conversation)
        consent = Consent(conversation_id=conversation_id, customer_id=conversation.customer_id, kind=choice.kind,
                          granted=choice.granted, wording=wording, wording_version=choice.version,
                          language=choice.language, created_at=now)
        s.add(consent)
        s.commit()
        return consent


def set_customer_marketing(store_sessions: Callable[[], Session], customer_id: int, granted: bool) -> bool:
    """The store's column the follow-up e-mails read. False when the store could not be written
    (the choice itself is kept in `consents` either way)."""
    try:
        with store_sessions() as s:
            changed = s.execute(update(Customer).where(Customer.id == customer_id)
                                .values(marketing_consent=granted)).rowcount
            s.commit()
            return changed == 1
    except SQLAlchemyError:
        log.exception("could not apply the marketing choice to customer %s", customer_id)
        return False


def apply_pending_marketing_consent(desk_sessions: Callable[[], Session], store_sessions: Callable[[], Session],
                                    conversation_id: str, customer_id: int) -> Optional[bool]:
    """The bridge just learned who the shopper of `conversation_id` is: their choices in it get the
    customer id, and the latest marketing choice goes to the store. Returns that choice (None when
    the shopper made none, and nothing changes in the store)."""
    try:
        with desk_sessions() as s:
            s.execute(update(Consent).where(Consent.conversation_id == conversation_id, Consent.customer_id.is_(None))
                      .values(customer_id=customer_id))
            s.commit()
            latest = latest_marketing(s, conversation_id)
    except SQLAlchemyError:  # never in the way of the chat that is learning its customer
        log.exception("could not read the marketing choices of %s", conversation_id)
        return None
    if latest is None:
        return None
    set_customer_marketing(store_sessions, customer_id, latest.granted)
    return latest.granted
