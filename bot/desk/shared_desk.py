"""The desk's routing state, in the database so that every bridge shares it: which agents are
online (on any bridge) or paused, the offers out and their deadlines, and what routing remembers
of a waiting chat (agents who let it pass, a transfer's target).

Whatever two bridges could race on is decided by one statement: an offer is one row per chat
(its key refuses a second), and only the bridge whose DELETE removes an offer by its token acts
on it (an expiry, a decline, an acceptance), so an offer times out once, also when the bridge that
made it has died. Each bridge refreshes the presence rows of its own sockets; the rows of a
bridge that stopped refreshing no longer count after PRESENCE_TTL_SECONDS.
"""
from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Dict, List, Optional, Set, Tuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.desk.clock import Clock
from bot.desk.models import AgentAway, AgentPresence, PendingOffer, RoutingMark

PRESENCE_TTL_SECONDS = 30.0  # a bridge that has not refreshed its agents for this long is gone
HEARTBEAT_SECONDS = 5.0      # how often a bridge refreshes them (and sweeps overdue offers)
PASSED, PREFERRED = "passed", "preferred"


@dataclass(frozen=True)
class OfferRow:
    conversation_id: str
    agent_id: int
    token: str
    expires_at: datetime


def _offer(row: PendingOffer) -> OfferRow:
    return OfferRow(row.conversation_id, row.agent_id, row.token, row.expires_at)


class SharedDesk:
    def __init__(self, session: Callable[[], Session], clock: Clock, bridge_id: Optional[str] = None):
        self.session = session
        self.clock = clock
        self.bridge_id = bridge_id or uuid.uuid4().hex[:16]

    # --- presence ----------------------------------------------------------------------------
    def set_sockets(self, agent_id: int, sockets: int) -> None:
        """This bridge's open sockets of an agent (0 when the last one closed: offline since now)."""
        now = self.clock.now()
        with self.session() as s:
            changed = s.execute(update(AgentPresence)
                                .where(AgentPresence.agent_id == agent_id, AgentPresence.bridge_id == self.bridge_id)
                                .values(sockets=sockets, seen_at=now)).rowcount
            if not changed:
                s.add(AgentPresence(agent_id=agent_id, bridge_id=self.bridge_id, sockets=sockets, seen_at=now))
            s.commit()

    def heartbeat(self, agent_ids: Set[int]) -> None:
        """This bridge still holds these agents' sockets (and no other agent's)."""
        with self.session() as s:
            s.execute(update(AgentPresence).where(AgentPresence.bridge_id == self.bridge_id,
                                                  AgentPresence.sockets > 0,
                                                  AgentPresence.agent_id.in_(agent_ids))
                      .values(seen_at=self.clock.now()))
            s.commit()

    def leave(self) -> None:
        """A clean shutdown: this bridge's agents are offline from now (their grace period starts)."""
        with self.session() as s:
            s.execute(update(AgentPresence).where(AgentPresence.bridge_id == self.bridge_id, AgentPresence.sockets > 0)
                      .values(sockets=0, seen_at=self.clock.now()))
            s.commit()

    def _fresh(self) -> datetime:
        return self.clock.now() - timedelta(seconds=PRESENCE_TTL_SECONDS)

    def online(self) -> Dict[int, bool]:
        """Agents with an open socket on any live bridge -> whether they take chats (not paused)."""
        with self.session() as s:
            ids = set(s.execute(select(AgentPresence.agent_id)
                                .where(AgentPresence.sockets > 0, AgentPresence.seen_at >= self._fresh())).scalars())
            away = set(s.execute(select(AgentAway.agent_id)).scalars()) if ids else set()
        return {agent_id: agent_id not in away for agent_id in ids}

    def offline_since(self) -> Dict[int, datetime]:
        """Agents with no open socket on a live bridge -> since when (their last sign of life)."""
        fresh = self._fresh()
        with self.session() as s:
            rows = s.execute(select(AgentPresence.agent_id, AgentPresence.sockets, AgentPresence.seen_at)).all()
        online = {agent for agent, sockets, seen in rows if sockets > 0 and seen >= fresh}
        since: Dict[int, datetime] = {}
        for agent, _, seen in rows:
            if agent not in online:
                since[agent] = max(seen, since.get(agent, seen))
        return since

    def set_away(self, agent_id: int, away: bool) -> None:
        with self.session() as s:
            s.execute(delete(AgentAway).where(AgentAway.agent_id == agent_id))
            if away:
                s.add(AgentAway(agent_id=agent_id))
            s.commit()

    def is_away(self, agent_id: int) -> bool:
        with self.session() as s:
            return s.get(AgentAway, agent_id) is not None

    # --- offers ------------------------------------------------------------------------------
    def make_offer(self, conversation_id: str, agent_id: int, seconds: float) -> Optional[OfferRow]:
        """The offer, or None when the chat already has one (another bridge was faster)."""
        offer = OfferRow(conversation_id, agent_id, uuid.uuid4().hex,
                         self.clock.now() + timedelta(seconds=seconds))
        with self.session() as s:
            s.add(PendingOffer(conversation_id=conversation_id, agent_id=agent_id, token=offer.token,
                               expires_at=offer.expires_at))
            try:
                s.commit()
            except IntegrityError:
                return None
        return offer

    def offers(self) -> Dict[str, OfferRow]:
        with self.session() as s:
            return {row.conversation_id: _offer(row) for row in s.execute(select(PendingOffer)).scalars()}

    def offer_for(self, conversation_id: str) -> Optional[OfferRow]:
        with self.session() as s:
            row = s.get(PendingOffer, conversation_id)
            return _offer(row) if row else None

    def offers_to(self, agent_id: int) -> List[OfferRow]:
        with self.session() as s:
            return [_offer(row) for row in s.execute(select(PendingOffer).where(PendingOffer.agent_id == agent_id))
                    .scalars()]

    def offer_counts(self) -> Dict[int, int]:
        with self.session() as s:
            return dict(s.execute(select(PendingOffer.agent_id, func.count()).group_by(PendingOffer.agent_id)).all())

    def take(self, offer: OfferRow) -> bool:
        """Removes this very offer; True for the one caller (of any bridge) that removed it."""
        with self.session() as s:
            removed = s.execute(delete(PendingOffer).where(PendingOffer.conversation_id == offer.conversation_id,
                                                           PendingOffer.token == offer.token)).rowcount
            s.commit()
        return removed == 1

    def overdue(self, margin_seconds: float) -> List[OfferRow]:
        """Offers past their deadline by more than `margin_seconds` (their own bridge's timer should
        have acted: that bridge is gone or busy)."""
        before = self.clock.now() - timedelta(seconds=margin_seconds)
        with self.session() as s:
            return [_offer(row) for row in s.execute(select(PendingOffer).where(PendingOffer.expires_at <= before))
                    .scalars()]

    # --- what routing remembers of a waiting chat ----------------------------------------------
    def marks(self) -> Tuple[Dict[str, Set[int]], Dict[str, int]]:
        """(chat -> agents who let it pass, chat -> a transfer's target), for every chat."""
        passed: Dict[str, Set[int]] = {}
        preferred: Dict[str, int] = {}
        with self.session() as s:
            for conversation_id, agent_id, kind in s.execute(select(RoutingMark.conversation_id, RoutingMark.agent_id,
                                                                    RoutingMark.kind)):
                if kind == PASSED:
                    passed.setdefault(conversation_id, set()).add(agent_id)
                else:
                    preferred[conversation_id] = agent_id
        return passed, preferred

    def passed(self, conversation_id: str) -> Set[int]:
        with self.session() as s:
            return set(s.execute(select(RoutingMark.agent_id).where(RoutingMark.conversation_id == conversation_id,
                                                                    RoutingMark.kind == PASSED)).scalars())

    def let_pass(self, conversation_id: str, agent_id: int) -> None:
        """The agent let the chat pass: it is offered to others (and no longer to a transfer's target)."""
        with self.session() as s:
            s.execute(delete(RoutingMark).where(RoutingMark.conversation_id == conversation_id,
                                                (RoutingMark.kind == PREFERRED) | (RoutingMark.agent_id == agent_id)))
            s.add(RoutingMark(conversation_id=conversation_id, agent_id=agent_id, kind=PASSED))
            s.commit()

    def clear_passes(self, conversation_id: str) -> None:
        with self.session() as s:
            s.execute(delete(RoutingMark).where(RoutingMark.conversation_id == conversation_id,
                                                RoutingMark.kind == PASSED))
            s.commit()

    def transferring(self, conversation_id: str, from_agent: int, to_agent: int) -> None:
        """A transfer: offered to its target first, never back to the agent who let it go."""
        with self.session() as s:
            s.execute(delete(RoutingMark).where(RoutingMark.conversation_id == conversation_id))
            s.add_all([RoutingMark(conversation_id=conversation_id, agent_id=from_agent, kind=PASSED),
                       RoutingMark(conversation_id=conversation_id, agent_id=to_agent, kind=PREFERRED)])
            s.commit()

    def forget(self, conversation_id: str) -> Optional[OfferRow]:
        """The chat left the queue: its offer (returned, if any) and routing memory go."""
        with self.session() as s:
            row = s.get(PendingOffer, conversation_id)
            offer = _offer(row) if row else None
            s.execute(delete(PendingOffer).where(PendingOffer.conversation_id == conversation_id))
            s.execute(delete(RoutingMark).where(RoutingMark.conversation_id == conversation_id))
            s.commit()
        return offer


def bridge_id(settings) -> str:
    """This bridge among the others: its host and port, so that a bridge restarted in its place
    takes over (and first resets) the presence rows its previous process left."""
    return f"{socket.gethostname()}:{settings.bridge_port}"[:64]
