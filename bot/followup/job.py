"""The follow-up job: which delivered orders get an e-mail, and the claim-then-send run.

The delivered orders come from the shop's store interface (actions/store/interface.py), the
sends and opt-outs from the desk's tables; in the bridge both sit on the process's one engine.

Never twice: an order is claimed by inserting its `email_sends` row (status "sending") in its
own transaction before SMTP is spoken to; UNIQUE(kind, order_no) makes a second job running
at the same time (another bridge, the CLI) fail to claim it. Then the row becomes "sent" or
"failed" (retried by later runs while attempts < MAX_ATTEMPTS and the order is still
eligible). A row left in "sending" (the process died mid-send) is never sent again
automatically: the customer gets at most one e-mail, perhaps none.
"""
from __future__ import annotations

import asyncio
import logging
import smtplib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Dict, List, Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from actions.store.database import engine_for
from actions.store.interface import Delivery, Store
from actions.store.sql_store import SqlStore
from bot.desk.models import Conversation, EmailOptOut, EmailSend
from bot.privacy.erasure import optout_key
from bot.desk.store import DeskStore, utcnow
from bot.followup.links import feedback_url, unsubscribe_url
from bot.followup.mail import Letter, Mailer, compose
from bot.settings import Settings

log = logging.getLogger(__name__)

KIND = "delivery_followup"
MAX_ATTEMPTS = 3
FIRST_RUN_DELAY = 30.0  # seconds after the bridge starts, so that startup is not slowed


@dataclass(frozen=True)
class Candidate:
    order_no: str
    customer_id: int
    first_name: str
    email: str
    language: str
    delivered_at: datetime
    retry_id: Optional[int] = None  # the failed send this one retries


@dataclass
class Selection:
    candidates: List[Candidate]
    skipped: Counter  # reason -> how many delivered orders in the window were left out


@dataclass
class FollowupResult:
    sent: List[str] = field(default_factory=list)             # order numbers
    failed: Dict[str, str] = field(default_factory=dict)      # order number -> SMTP error
    would_send: List[str] = field(default_factory=list)       # dry run only
    skipped: Counter = field(default_factory=Counter)         # reason -> count
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        done = f"{len(self.would_send)} would be sent" if self.dry_run else f"{len(self.sent)} sent"
        if self.failed:
            done += f", {len(self.failed)} failed (orders {', '.join(sorted(self.failed))})"
        skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(self.skipped.items()))
        return f"follow-up e-mails: {done}" + (f"; skipped: {skipped}" if skipped else "")


def store_now() -> datetime:
    """The store's clock: aware UTC, like every time the shop's store gives (actions/context.now)."""
    return utcnow()


def select_candidates(settings: Settings, store: DeskStore, shop: Store, now: Optional[datetime] = None) -> Selection:
    """Delivered orders in the window, minus those without consent, opted out, already sent or given up."""
    now = now or store_now()
    delivered = shop.delivered_orders(now - timedelta(days=settings.followup_window_days),
                                      now - timedelta(days=settings.followup_delay_days))
    order_nos = [row.order_no for row in delivered]
    with store.session() as s:
        sends = {row.order_no: row for row in s.execute(
            select(EmailSend).where(EmailSend.kind == KIND, EmailSend.order_no.in_(order_nos))).scalars()}
        # Opt-outs are stored lowercased (web.py), as the store keeps its e-mails, or hashed once
        # the person's data was erased (bot/privacy/erasure.py): both are honoured.
        emails = sorted({row.email.lower() for row in delivered})
        keys = {optout_key(email): email for email in emails}
        opted_out = {keys.get(value, value) for value in s.execute(
            select(EmailOptOut.email).where(EmailOptOut.email.in_([*emails, *keys]))).scalars()}
        languages = _languages(s, sorted({row.customer_id for row in delivered}))

    selection = Selection([], Counter())
    for row in delivered:
        send = sends.get(row.order_no)
        reason = _skip_reason(settings, row, send, opted_out)
        if reason:
            selection.skipped[reason] += 1
            continue
        selection.candidates.append(Candidate(row.order_no, row.customer_id, row.first_name, row.email.lower(),
                                              languages.get(row.customer_id, "tr"), row.delivered_at,
                                              retry_id=send.id if send else None))
    return selection


def eligible(settings: Settings, store: DeskStore, shop: Store, now: Optional[datetime] = None) -> List[Candidate]:
    return select_candidates(settings, store, shop, now).candidates


def run_once(settings: Settings, store: Optional[DeskStore] = None, shop: Optional[Store] = None,
             dry_run: bool = False, now: Optional[datetime] = None) -> FollowupResult:
    """One run: claims and sends every eligible follow-up (blocking; the bridge calls it in a thread).

    Without `store`/`shop` it uses the configured database (the CLI's case), on the process's engine.
    """
    if not dry_run and not settings.smtp_host:
        raise ValueError("SMTP_HOST is not set: follow-up e-mails are off (use --dry-run to see who would get one)")
    store = store or DeskStore.open(settings.store_database_url)
    shop = shop or SqlStore.on(engine_for(settings.store_database_url))
    selection = select_candidates(settings, store, shop, now)
    result = FollowupResult(skipped=selection.skipped, dry_run=dry_run)
    if dry_run:
        result.would_send = [candidate.order_no for candidate in selection.candidates]
        return result
    _send_all(settings, store, selection.candidates, result)
    return result


def start_followup_job(settings: Settings, store: DeskStore, shop: Store) -> Optional[asyncio.Task]:
    """The bridge's periodic job; None (and one log line) while SMTP_HOST is unset."""
    if not settings.smtp_host:
        log.info("Follow-up e-mails are off (SMTP_HOST is not set).")
        return None
    log.info("Follow-up e-mails on: every %s minutes through %s:%s.", settings.followup_interval_minutes,
             settings.smtp_host, settings.smtp_port)
    return asyncio.get_running_loop().create_task(periodic(settings, store, shop), name="followup-job")


async def periodic(settings: Settings, store: DeskStore, shop: Store) -> None:
    await asyncio.sleep(min(FIRST_RUN_DELAY, settings.followup_interval_minutes * 60))
    while True:
        try:
            # Database and SMTP calls block: a thread keeps the chats flowing meanwhile.
            result = await asyncio.to_thread(run_once, settings, store, shop)
            log.log(logging.WARNING if result.failed else logging.INFO, result.summary())
        except Exception:  # one bad run (database away, a bug) must not end the schedule
            log.exception("Follow-up e-mail run failed")
        await asyncio.sleep(settings.followup_interval_minutes * 60)


# --- the run ---------------------------------------------------------------------------------
def _send_all(settings: Settings, store: DeskStore, candidates: List[Candidate], result: FollowupResult) -> None:
    with Mailer(settings) as mailer:
        for index, candidate in enumerate(candidates):
            send_id = _claim(store, candidate)
            if send_id is None:
                result.skipped["claimed by another run"] += 1
                continue
            letter = Letter(candidate.email, candidate.first_name, candidate.order_no, candidate.language,
                            feedback_url(settings, send_id, candidate.language),
                            unsubscribe_url(settings, candidate.email, candidate.language))
            try:
                mailer.send(compose(settings, letter))
            except (smtplib.SMTPException, OSError) as error:
                _finish(store, send_id, status="failed", error=_describe(error))
                result.failed[candidate.order_no] = _describe(error)
                log.warning("Follow-up e-mail for order %s failed: %s", candidate.order_no, _describe(error))
                if not isinstance(error, smtplib.SMTPRecipientsRefused):
                    # The server, the login or our sender is the problem: the rest wait for the next
                    # run instead of each spending an attempt now.
                    result.skipped["waiting for the SMTP server"] += len(candidates) - index - 1
                    return
                continue
            _finish(store, send_id, status="sent", sent_at=utcnow())
            result.sent.append(candidate.order_no)
            log.info("Follow-up e-mail sent for order %s (%s)", candidate.order_no, candidate.language)


def _claim(store: DeskStore, candidate: Candidate) -> Optional[int]:
    """The send's id once this run owns it; None when another run got there first."""
    with store.session() as s:
        if candidate.retry_id is not None:
            claimed = s.execute(
                update(EmailSend)
                .where(EmailSend.id == candidate.retry_id, EmailSend.status == "failed", EmailSend.attempts < MAX_ATTEMPTS)
                .values(status="sending", attempts=EmailSend.attempts + 1, email=candidate.email,
                        language=candidate.language, error=None))
            s.commit()
            return candidate.retry_id if claimed.rowcount == 1 else None
        send = EmailSend(kind=KIND, order_no=candidate.order_no, customer_id=candidate.customer_id, email=candidate.email,
                         language=candidate.language, status="sending", attempts=1, created_at=utcnow())
        s.add(send)
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
            return None
        return send.id


def _finish(store: DeskStore, send_id: int, **values) -> None:
    with store.session() as s:
        s.execute(update(EmailSend).where(EmailSend.id == send_id).values(**values))
        s.commit()


def _skip_reason(settings: Settings, row: Delivery, send: Optional[EmailSend], opted_out: set) -> Optional[str]:
    if send is not None:
        if send.status == "failed" and send.attempts < MAX_ATTEMPTS:
            pass  # retried below, if still allowed
        elif send.status == "failed":
            return "failed too often"
        elif send.status == "sending":
            return "interrupted earlier (never resent)"
        else:
            return "already sent"
    if settings.followup_needs_consent and not row.marketing_consent:
        return "no marketing consent"
    if row.email.lower() in opted_out:
        return "unsubscribed"
    return None


def _languages(session, customer_ids: List[int]) -> Dict[int, str]:
    """Each customer's language: that of their most recent conversation."""
    languages: Dict[int, str] = {}
    rows = session.execute(select(Conversation.customer_id, Conversation.language)
                           .where(Conversation.customer_id.in_(customer_ids))
                           .order_by(Conversation.last_message_at, Conversation.created_at)).all()
    for customer_id, language in rows:  # oldest first: the latest one wins
        languages[customer_id] = language if language in ("tr", "en") else "tr"
    return languages


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]
