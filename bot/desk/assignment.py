"""Routing: which agent is offered each waiting chat, offers and their timers, accepting and
declining, transfers, and the grace period of an agent whose connection dropped.

Who is picked is the pure `pick_agent` (routing.py); this module keeps the offers (presence.py),
changes the conversation through conversations.py and publishes what happened. Its timers run on
the injected clock and are owned by `BackgroundTasks`.
"""
from __future__ import annotations

from typing import Optional

from bot.desk import events
from bot.desk.clock import BackgroundTasks, Clock
from bot.desk.conversations import Conversations
from bot.desk.errors import DeskError
from bot.desk.models import Conversation
from bot.desk.panels import AgentDirectory, Panels
from bot.desk.presence import Offer, OnlineAgent, Presence
from bot.desk.routing import pick_agent
from bot.settings import Settings


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
        """After a restart: agents' chats stay theirs for a grace period, the queue is offered again."""
        for agent_id in {c.agent_id for c in self.store.conversations_in("agent") if c.agent_id}:
            self._start_grace(agent_id)

    # --- offering --------------------------------------------------------------------------
    async def dispatch(self, event: object = None) -> None:
        """Offers each waiting chat, in queue order, to the best free agent; then the desks refresh."""
        chats = self.panels.chats_per_agent()
        for conversation in self.panels.queue():
            if conversation.id in self.presence.offers:
                continue
            agent_id = pick_agent(self.presence.loads(chats), conversation.language,
                                  skip=tuple(self.presence.passed.get(conversation.id, ())),
                                  prefer=self.presence.preferred.get(conversation.id))
            if agent_id is not None:
                await self._offer(conversation, agent_id)
        await self.bus.publish(events.DeskChanged())

    async def _offer(self, conversation: Conversation, agent_id: int) -> None:
        current = self.store.conversation(conversation.id)  # an earlier await may have changed it
        if current.state != "queued" or conversation.id in self.presence.offers:
            return
        timer = self.tasks.start(self._expire_offer(conversation.id, agent_id), name=f"offer {conversation.id}")
        self.presence.offers[conversation.id] = Offer(conversation.id, agent_id, timer)
        handoff = self.store.current_handoff(conversation.id)
        if handoff:
            self.store.update_handoff(handoff.id, event="offered", by=agent_id)
        await self.bus.publish(events.OfferMade(conversation.id, agent_id, self.offer_timeout))

    async def _expire_offer(self, conversation_id: str, agent_id: int) -> None:
        await self.clock.sleep(self.offer_timeout)
        offer = self.presence.offers.get(conversation_id)
        if offer is not None and offer.agent_id == agent_id:
            await self._pass(conversation_id, agent_id, "offer_expired")

    async def _pass(self, conversation_id: str, agent_id: int, event: str) -> None:
        self.presence.withdraw(conversation_id)
        self.presence.passed.setdefault(conversation_id, set()).add(agent_id)
        self.presence.preferred.pop(conversation_id, None)
        handoff = self.store.current_handoff(conversation_id)
        if handoff:
            self.store.update_handoff(handoff.id, event=event, by=agent_id)
        await self.bus.publish(events.OfferWithdrawn(conversation_id, agent_id))
        if self._everyone_passed(conversation_id):
            self.presence.passed.pop(conversation_id, None)  # go round again rather than strand the shopper
        await self.dispatch()

    def _everyone_passed(self, conversation_id: str) -> bool:
        """Every agent who could take the chat right now has let it pass."""
        conversation = self.store.conversation(conversation_id)
        passed = self.presence.passed.get(conversation_id, set())
        return all(load.agent_id in passed for load in self.presence.loads(self.panels.chats_per_agent())
                   if conversation and load.available and conversation.language in load.languages
                   and load.load < load.max_chats)

    async def on_offer_cancelled(self, event: events.OfferCancelled) -> None:
        offer = self.presence.offers.get(event.conversation_id)
        self.presence.forget(event.conversation_id)
        if offer is not None:
            await self.bus.publish(events.OfferWithdrawn(event.conversation_id, offer.agent_id))

    # --- agents' answers -------------------------------------------------------------------
    async def accept(self, agent: OnlineAgent, conversation_id: str) -> Conversation:
        self.conversations.get(conversation_id)
        if self.panels.chats_per_agent().get(agent.user_id, 0) >= agent.max_chats:
            raise DeskError("chat_limit", max_chats=agent.max_chats)
        conversation = self.conversations.claim(conversation_id, agent.user_id)
        offer = self.presence.offers.get(conversation_id)
        self.presence.forget(conversation_id)
        if offer and offer.agent_id != agent.user_id:
            await self.bus.publish(events.OfferWithdrawn(conversation_id, offer.agent_id))
        await self.conversations.joined(conversation, agent.display_name)
        await self.dispatch()
        return self.store.conversation(conversation_id)

    async def decline(self, agent: OnlineAgent, conversation_id: str) -> None:
        offer = self.presence.offers.get(conversation_id)
        if offer is None or offer.agent_id != agent.user_id:
            raise DeskError("no_offer")
        await self._pass(conversation_id, agent.user_id, "declined")

    async def transfer(self, agent: OnlineAgent, conversation_id: str, to_agent: int) -> None:
        conversation = self.conversations.owned_by(agent.user_id, conversation_id)
        if to_agent == agent.user_id or not self.directory.knows(to_agent):
            raise DeskError("bad_target")
        self.presence.preferred[conversation_id] = to_agent  # before any await, so no dispatch misses it
        self.presence.passed[conversation_id] = {agent.user_id}
        await self.conversations.requeue_front(conversation, "transferred", agent.user_id)
        await self.conversations.system_message(conversation, "transferred")
        await self.dispatch()

    # --- presence --------------------------------------------------------------------------
    async def agent_connected(self, agent: OnlineAgent) -> None:
        await self.dispatch()

    async def set_available(self, agent: OnlineAgent, available: bool) -> None:
        agent.available = available
        (self.presence.away.discard if available else self.presence.away.add)(agent.user_id)
        await self.dispatch()

    async def agent_disconnected(self, agent_id: int) -> None:
        for conversation_id in self.presence.offers_to(agent_id):
            self.presence.withdraw(conversation_id)
        self._start_grace(agent_id)
        await self.dispatch()

    def _start_grace(self, agent_id: int) -> None:
        if agent_id not in self.presence.online and agent_id not in self.presence.grace:
            self.presence.grace[agent_id] = self.tasks.start(self._requeue_after_grace(agent_id),
                                                             name=f"grace agent {agent_id}")

    async def _requeue_after_grace(self, agent_id: int) -> None:
        await self.clock.sleep(self.grace_seconds)
        self.presence.grace.pop(agent_id, None)
        if agent_id in self.presence.online:
            return
        for conversation in self.store.conversations_in("agent", agent_id=agent_id):
            async with self.conversations.lock(conversation.id):
                current: Optional[Conversation] = self.store.conversation(conversation.id)
                if current is None or current.agent_id != agent_id:
                    continue
                await self.conversations.system_message(current, "agent_lost")
                await self.conversations.requeue_front(current, "requeued", agent_id)
        await self.dispatch()
