"""Routing: which agent is offered each waiting chat, offers and their timers, accepting and
declining, transfers, and the grace period of an agent whose connection dropped.

Who is picked is the pure `pick_agent` (routing.py); this module keeps the offers (presence.py),
changes the conversation through conversations.py and publishes what happened. Its timers run on
the injected clock and are owned by `BackgroundTasks`.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Optional

from sqlalchemy.exc import SQLAlchemyError

from bot.desk import events
from bot.desk.clock import BackgroundTasks, Clock
from bot.desk.conversations import Conversations
from bot.desk.errors import DeskError
from bot.desk.models import Conversation
from bot.desk.panels import AgentDirectory, Panels
from bot.desk.presence import OnlineAgent, Presence
from bot.desk.routing import pick_agent
from bot.desk.shared_desk import HEARTBEAT_SECONDS, OfferRow
from bot.settings import Settings

log = logging.getLogger(__name__)


class Assignment:
    def __init__(self, conversations: Conversations, panels: Panels, presence: Presence, directory: AgentDirectory,
                 bus: events.EventBus, clock: Clock, tasks: BackgroundTasks, settings: Settings):
        self.conversations = conversations
        self.store = conversations.store
        self.panels = panels
        self.presence = presence
        self.directory = directory
        self.bus = bus
        self.clock = clock
        self.tasks = tasks
        self.offer_timeout = settings.offer_timeout_seconds
        self.grace_seconds = settings.agent_grace_seconds

    async def start(self) -> None:
        """After a restart: agents' chats stay theirs for a grace period; every bridge keeps the team's
        presence fresh and takes over the offers and grace periods of a bridge that died."""
        self.presence.shared.leave()  # what this bridge's previous process left: offline since now
        online = self.presence.shared.online()
        for agent_id in {c.agent_id for c in self.store.conversations_in("agent") if c.agent_id}:
            if agent_id not in online:
                self._start_grace(agent_id)
        self.tasks.start(self._keep_shared_state(), name="shared desk heartbeat")

    async def close(self) -> None:
        self.presence.shared.leave()

    # --- offering --------------------------------------------------------------------------
    async def dispatch(self, event: object = None) -> None:
        """Offers each waiting chat, in queue order, to the best free agent; then the desks refresh."""
        chats = self.panels.chats_per_agent()
        offered = self.presence.offered()
        passed, preferred = self.presence.shared.marks()
        loads = None
        for conversation in self.panels.queue():
            if conversation.id in offered:
                continue
            loads = self.presence.loads(chats) if loads is None else loads
            agent_id = pick_agent(loads, conversation.language, skip=tuple(passed.get(conversation.id, ())),
                                  prefer=preferred.get(conversation.id))
            if agent_id is not None and await self._offer(conversation, agent_id):
                loads = None  # the agent's load grew by this offer
        await self.bus.publish(events.DeskChanged())

    async def _offer(self, conversation: Conversation, agent_id: int) -> bool:
        current = self.store.conversation(conversation.id)  # an earlier await may have changed it
        if current.state != "queued":
            return False
        offer = self.presence.shared.make_offer(conversation.id, agent_id, self.offer_timeout)
        if offer is None:  # another bridge offered it first
            return False
        self.presence.offer_timers[conversation.id] = self.tasks.start(self._expire_offer(offer),
                                                                       name=f"offer {conversation.id}")
        handoff = self.store.current_handoff(conversation.id)
        if handoff:
            self.store.update_handoff(handoff.id, event="offered", by=agent_id)
        await self.bus.publish(events.OfferMade(conversation.id, agent_id, self.offer_timeout))
        return True

    async def _expire_offer(self, offer: OfferRow) -> None:
        await self.clock.sleep(self.offer_timeout)
        if self.presence.offer_timers.get(offer.conversation_id) is asyncio.current_task():
            del self.presence.offer_timers[offer.conversation_id]
        await self._pass(offer, "offer_expired")

    async def _pass(self, offer: OfferRow, event: str) -> None:
        """The agent let the offer go (declined, or its time ran out): of every bridge that tries,
        the one that removes the offer moves the chat on."""
        if not self.presence.shared.take(offer):
            return
        self.presence.stop_timer(offer.conversation_id)
        self.presence.shared.let_pass(offer.conversation_id, offer.agent_id)
        handoff = self.store.current_handoff(offer.conversation_id)
        if handoff:
            self.store.update_handoff(handoff.id, event=event, by=offer.agent_id)
        await self.bus.publish(events.OfferWithdrawn(offer.conversation_id, offer.agent_id))
        if self._everyone_passed(offer.conversation_id):
            self.presence.shared.clear_passes(offer.conversation_id)  # go round again rather than strand the shopper
        await self.dispatch()

    def _everyone_passed(self, conversation_id: str) -> bool:
        """Every agent who could take the chat right now has let it pass."""
        conversation = self.store.conversation(conversation_id)
        passed = self.presence.shared.passed(conversation_id)
        return all(load.agent_id in passed for load in self.presence.loads(self.panels.chats_per_agent())
                   if conversation and load.available and conversation.language in load.languages
                   and load.load < load.max_chats)

    async def on_offer_cancelled(self, event: events.OfferCancelled) -> None:
        offer = self.presence.shared.forget(event.conversation_id)
        self.presence.stop_timer(event.conversation_id)
        if offer is not None:
            await self.bus.publish(events.OfferWithdrawn(event.conversation_id, offer.agent_id))

    # --- agents' answers -------------------------------------------------------------------
    async def accept(self, agent: OnlineAgent, conversation_id: str) -> Conversation:
        self.conversations.get(conversation_id)
        conversation = self.conversations.claim(conversation_id, agent.user_id, agent.max_chats)
        offer = self.presence.shared.forget(conversation_id)
        self.presence.stop_timer(conversation_id)
        if offer and offer.agent_id != agent.user_id:
            await self.bus.publish(events.OfferWithdrawn(conversation_id, offer.agent_id))
        await self.conversations.joined(conversation, agent.display_name)
        await self.dispatch()
        return self.store.conversation(conversation_id)

    async def decline(self, agent: OnlineAgent, conversation_id: str) -> None:
        offer = self.presence.shared.offer_for(conversation_id)
        if offer is None or offer.agent_id != agent.user_id:
            raise DeskError("no_offer")
        await self._pass(offer, "declined")

    async def transfer(self, agent: OnlineAgent, conversation_id: str, to_agent: int) -> None:
        conversation = self.conversations.owned_by(agent.user_id, conversation_id)
        if to_agent == agent.user_id or not self.directory.knows(to_agent):
            raise DeskError("bad_target")
        self.presence.shared.transferring(conversation_id, agent.user_id, to_agent)  # before the chat is queued
        await self.conversations.requeue_front(conversation, "transferred", agent.user_id)
        await self.conversations.system_message(conversation, "transferred")
        await self.dispatch()

    # --- presence --------------------------------------------------------------------------
    async def agent_connected(self, agent: OnlineAgent) -> None:
        await self.dispatch()

    async def set_available(self, agent: OnlineAgent, available: bool) -> None:
        self.presence.set_available(agent, available)
        await self.dispatch()

    async def agent_disconnected(self, agent_id: int) -> None:
        """The agent's last socket on this bridge closed: offers to them go (unless they are still
        online on another bridge) and their chats wait out the grace period."""
        if agent_id in self.presence.team():
            return
        for offer in self.presence.shared.offers_to(agent_id):
            if self.presence.shared.take(offer):
                self.presence.stop_timer(offer.conversation_id)
        self._start_grace(agent_id)
        await self.dispatch()

    def _start_grace(self, agent_id: int) -> None:
        if agent_id not in self.presence.online and agent_id not in self.presence.grace:
            self.presence.grace[agent_id] = self.tasks.start(self._requeue_after_grace(agent_id),
                                                             name=f"grace agent {agent_id}")

    async def _requeue_after_grace(self, agent_id: int) -> None:
        await self.clock.sleep(self.grace_seconds)
        self.presence.grace.pop(agent_id, None)
        await self._requeue_chats_of(agent_id)

    async def _requeue_chats_of(self, agent_id: int) -> None:
        """The agent is gone: their chats go back to the queue's front, each by exactly one bridge.
        Not while they are online, nor before they have been away for the whole grace period: a
        timer of this bridge may be from an earlier absence, since when they came back on another
        bridge and left it again (that bridge's own timer covers the new absence)."""
        if agent_id in self.presence.team():
            return
        since = self.presence.shared.offline_since().get(agent_id)
        if since is not None and (self.clock.now() - since).total_seconds() < self.grace_seconds:
            return
        for conversation in self.store.conversations_in("agent", agent_id=agent_id):
            async with self.conversations.lock(conversation.id):
                current: Optional[Conversation] = self.store.conversation(conversation.id)
                if current is None or current.agent_id != agent_id:
                    continue
                await self.conversations.requeue_front(current, "requeued", agent_id, only_from=agent_id,
                                                       say="agent_lost")
        await self.dispatch()

    # --- what a bridge that died left behind -----------------------------------------------
    async def _keep_shared_state(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)  # real time: presence is about processes, not the desk's clock
            try:
                await self.sweep()
            except SQLAlchemyError:  # the database is away; recovery.py tells shoppers, this retries
                log.warning("could not refresh the desk's shared state", exc_info=True)

    async def sweep(self) -> None:
        """Keeps this bridge's agents online, moves on the offers whose own bridge's timer did not
        act (that bridge died), and re-queues the chats of agents offline past their grace."""
        self.presence.shared.heartbeat(set(self.presence.online))
        for offer in self.presence.shared.overdue(margin_seconds=HEARTBEAT_SECONDS):
            await self._pass(offer, "offer_expired")
        now = self.clock.now()
        owners = {c.agent_id for c in self.store.conversations_in("agent") if c.agent_id}
        for agent_id, since in self.presence.shared.offline_since().items():
            if (agent_id in owners and agent_id not in self.presence.grace
                    and (now - since).total_seconds() > self.grace_seconds + HEARTBEAT_SECONDS):
                await self._requeue_chats_of(agent_id)
