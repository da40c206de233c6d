"""The desk assembled from its parts, and every event subscription in one place.

    shoppers.py / agents.py (sockets, checks)
        -> inbound.py (a shopper's message)  -> assistant_turn.py (Rasa -> a typed Turn)
        -> agent_actions.py, assignment.py (routing: queue, offers, timers, transfers)
        -> conversations.py (state: writes the store, publishes events.py)
    subscribers: delivery.py (the only emitter), surveys.py, recovery.py, the assistant's pause/resume

`build_desk` takes its collaborators (settings, store, Rasa client, socket server, shop directory,
frustration scorer, clock), so tests build a desk with a fake Rasa and a fake clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import socketio
from sqlalchemy.exc import SQLAlchemyError

from bot.desk import events
from bot.desk.agent_actions import AgentActions
from bot.desk.assignment import Assignment
from bot.desk.assistant_turn import Assistant
from bot.desk.bridge_sync import BridgeSync, RoomsManager, bridge_sync
from bot.desk.clock import BackgroundTasks, Clock, SystemClock
from bot.desk.conversations import Conversations
from bot.desk.delivery import Delivery
from bot.desk.inbound import ShopperMessages
from bot.desk.panels import AgentDirectory, Panels
from bot.desk.presence import Presence
from bot.desk.shared_desk import SharedDesk, bridge_id
from bot.desk.rasa_client import RasaClient
from bot.desk.rasa_replicas import RasaReplicas
from bot.desk.recovery import Recovery
from bot.desk.spool import Spool
from bot.desk.store import DeskStore
from bot.desk.surveys import Surveys
from bot.desk.ticket_desk import TicketDesk
from bot.settings import Settings
from bot.tickets.service import TicketService
from bot.tickets.setup import ticket_mail, ticket_store


@dataclass
class Desk:
    """The parts, for the namespaces and web routes that use them; no logic of its own."""
    settings: Settings
    store: DeskStore
    rasa: RasaClient | RasaReplicas
    customers: Any
    bus: events.EventBus
    clock: Clock
    tasks: BackgroundTasks
    presence: Presence
    directory: AgentDirectory
    panels: Panels
    conversations: Conversations
    assistant: Assistant
    surveys: Surveys
    inbound: ShopperMessages
    assignment: Assignment
    agent_actions: AgentActions
    delivery: Delivery
    recovery: Recovery
    tickets: TicketDesk
    sync: Optional[BridgeSync] = None  # several bridges (REDIS_URL): desk changes between them

    async def start(self) -> None:
        await self.assignment.start()
        await self.recovery.resume_spool()
        self.tickets.start()
        if self.sync is not None:
            self.sync.start()

    async def close(self) -> None:
        """Every timer, watcher and retry is cancelled and awaited; this bridge's agents go offline."""
        await self.tasks.close()
        if self.sync is not None:
            await self.sync.close()
        try:
            await self.assignment.close()
        except SQLAlchemyError:  # the database is away: the rows go stale and count as offline soon
            pass

    def forget(self, conversation_id: str) -> None:
        """The shopper's last socket is gone: drop what is kept in memory for the conversation
        (unless a message of theirs is still being answered)."""
        if self.conversations.forget_lock(conversation_id):
            self.inbound.forget(conversation_id)


def build_desk(settings: Settings, store: DeskStore, rasa: RasaClient | RasaReplicas, sio: socketio.AsyncServer, customers: Any,
               scorer: Any, clock: Optional[Clock] = None) -> Desk:
    clock = clock or SystemClock()
    bus, tasks = events.EventBus(), BackgroundTasks()
    presence = Presence(SharedDesk(store.session, clock, bridge_id(settings)), store.agents)
    tickets = ticket_store(settings, store.engine)
    hours = tickets.calendar  # live chat and ticket deadlines keep the same hours and holidays
    directory = AgentDirectory(store)
    panels = Panels(store, presence, directory, customers, hours, settings.support_hours, clock)
    conversations = Conversations(store, bus, clock, customers.session)
    assistant = Assistant(rasa, store, clock, tasks)
    surveys = Surveys(conversations, assistant.slots, customers, settings.nps_interval_days, clock)
    ticket_desk = TicketDesk(TicketService(tickets, ticket_mail(settings), agent_name=directory.name), conversations,
                             store, customers, presence, bus, clock, tasks, settings.ticket_warn_hours)
    inbound = ShopperMessages(conversations, assistant, surveys, panels, customers, scorer, hours, clock, bus,
                              ticket_desk)
    assignment = Assignment(conversations, panels, presence, directory, bus, clock, tasks, settings)
    recovery = Recovery(conversations, panels, presence.offered, inbound.escalate, rasa.healthy,
                        settings.action_server_url, Spool(spool_path(settings)),
                        bus, clock, tasks)
    desk = Desk(settings, store, rasa, customers, bus, clock, tasks, presence, directory, panels, conversations,
                assistant, surveys, inbound, assignment, AgentActions(conversations, panels, bus),
                Delivery(sio, store, panels, presence, tasks), recovery, ticket_desk)
    rooms = getattr(sio, "manager", None)
    desk.sync = bridge_sync(settings.redis_url, presence.shared.bridge_id, tasks,
                            lambda: desk.delivery.on_desk_changed(events.DeskChanged()), desk.delivery.resync,
                            rooms if isinstance(rooms, RoomsManager) else None)
    subscribe(desk)
    return desk


def spool_path(settings: Settings):
    """Where shoppers' messages wait while the database is down: one file per bridge when several
    share a state folder (`bot up --bridges N`), so that each writes back only its own."""
    name = "messages.jsonl" if settings.bridge_replicas == 1 else f"messages-{settings.bridge_port}.jsonl"
    return settings.state_dir / "spool" / name


def subscribe(desk: Desk) -> None:
    """Who reacts to what, in order. Handlers run one after the other inside the publisher's lock."""
    on = desk.bus.subscribe
    on(events.MessageStored, desk.delivery.on_message_stored)
    on(events.MessageNotStored, desk.recovery.on_message_not_stored)
    on(events.MessageUnstored, desk.delivery.on_message_unstored)
    on(events.Typing, desk.delivery.on_typing)
    on(events.StateChanged, desk.delivery.on_state_changed)
    on(events.Queued, desk.assignment.dispatch)            # an agent is offered the chat first,
    on(events.Queued, desk.assistant.on_queued)            # then Rasa pauses (bookkeeping)
    on(events.BackToAssistant, desk.assistant.on_back_to_assistant)
    on(events.BackToAssistant, desk.inbound.on_back_to_assistant)
    on(events.Released, desk.delivery.on_released)
    on(events.QueueChanged, desk.assignment.dispatch)
    on(events.OfferCancelled, desk.assignment.on_offer_cancelled)
    on(events.OfferMade, desk.delivery.on_offer_made)
    on(events.OfferWithdrawn, desk.delivery.on_offer_withdrawn)
    on(events.DeskChanged, desk.delivery.on_desk_changed)
    if desk.sync is not None:
        on(events.DeskChanged, desk.sync.on_desk_changed)
    on(events.AssistantAnswered, desk.surveys.on_assistant_answered)
    on(events.ClosedByAgent, desk.tickets.on_closed_for_follow_up)  # the ticket first: surveys then ask once
    on(events.ClosedByAgent, desk.surveys.on_closed_by_agent)
    on(events.TicketOpenedByAssistant, desk.tickets.on_opened_by_assistant)
    on(events.TicketsChanged, desk.delivery.on_tickets_changed)
    on(events.TicketAlert, desk.delivery.on_ticket_alert)
    on(events.PartFailed, desk.recovery.on_part_failed)
    on(events.AgentAlert, desk.delivery.on_agent_alert)
    on(events.Ended, desk.assistant.on_ended)
    on(events.Ended, desk.inbound.on_ended)
