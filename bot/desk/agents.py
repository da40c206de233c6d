"""The agent namespace "/agents": logged-in agents only; every event answers through its ack.

Acks are `{"ok": true, ...}` or `{"ok": false, "error": {"code", "message"}}` (docs/live-chat.md).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Dict, Optional

import socketio

from bot.desk.accounts import Identity, read_token, session_user
from bot.desk.delivery import AGENTS, agent_room
from bot.desk.errors import DeskError, failure
from bot.desk.presence import OnlineAgent
from bot.desk.wiring import Desk
from bot.desk.shoppers import forged_reserved_event, is_session_id
from bot.privacy import audit
from bot.privacy.audit import Actor
from bot.privacy.masking import mask_text
from bot.settings import Settings
from bot.studio.inbox import Inbox, InboxError

log = logging.getLogger(__name__)

CHAT_ROLES = ("agent", "admin")
MAX_TEXT = 4000


def login_room(session_id: str) -> str:
    """The sockets of one login (token), closed when it logs out."""
    return f"login:{session_id}"


def text_field(data: Dict[str, Any], key: str = "text") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DeskError("invalid", "empty")
    if len(value) > MAX_TEXT:
        raise DeskError("too_long", max=MAX_TEXT)
    # Masked like the shoppers' texts: an agent's message or note never stores a card number either.
    return mask_text(value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "").strip())


class AgentNamespace(socketio.AsyncNamespace):
    def __init__(self, desk: Desk, settings: Settings):
        super().__init__(AGENTS)
        self.desk = desk
        self.secret = settings.desk_signing_secret()
        self.inbox = Inbox(desk.store.session)

    async def on_connect(self, sid: str, environ: Dict[str, Any], auth: Any = None) -> None:
        # The token's session must be open and the account active, with a chat role now.
        claimed = read_token(auth.get("token") if isinstance(auth, dict) else None, self.secret)
        user = await asyncio.to_thread(session_user, self.desk.store.session, claimed) if claimed else None
        if user is None or user.role not in CHAT_ROLES:
            raise socketio.exceptions.ConnectionRefusedError(DeskError("unauthorized").answer()["error"])
        await self.save_session(sid, {"user_id": user.id, "claimed": claimed})
        await self.enter_room(sid, agent_room(user.id))
        await self.enter_room(sid, login_room(claimed.session_id))
        agent = self.desk.presence.connect(user, sid)
        alerts = await asyncio.to_thread(self.desk.customers.recent_proof_alerts)  # raised before this login
        await self.desk.delivery.welcome(agent, sid, alerts)
        await self.desk.assignment.agent_connected(agent)
        await self.desk.tickets.assign()  # tickets waiting for someone who speaks their language

    def _still_allowed(self, claimed: Identity) -> bool:
        """The account as it is now, on every event (one query by primary keys): a disabled account,
        a role change or a logout on another bridge takes effect at the socket's next event."""
        user = session_user(self.desk.store.session, claimed)
        return user is not None and user.role in CHAT_ROLES

    async def _disconnect_after_ack(self, sid: str) -> None:
        await asyncio.sleep(0.5)  # the refusal's ack goes out first, so the console can say why
        await self.disconnect(sid)

    async def end_session(self, session_id: str) -> None:
        """After a logout: closes that login's sockets on this bridge."""
        for sid, _ in list(self.server.manager.get_participants(self.namespace, login_room(session_id))):
            await self.disconnect(sid)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = await self.get_session(sid)
        if session and self.desk.presence.disconnect(session["user_id"], sid):
            self.desk.delivery.agent_gone(session["user_id"])
            await self.desk.assignment.agent_disconnected(session["user_id"])

    async def on_open(self, agent: OnlineAgent, data: Dict[str, Any]) -> Dict[str, Any]:
        conversation = self.desk.agent_actions.open_for(agent, data.get("conversation_id"))
        return {"conversation": self._audited(agent, self.desk.panels.detail(conversation), data)}

    async def on_accept(self, agent: OnlineAgent, data: Dict[str, Any]) -> Dict[str, Any]:
        conversation = await self.desk.assignment.accept(agent, data.get("conversation_id"))
        return {"conversation": self._audited(agent, self.desk.panels.detail(conversation), data)}

    def _audited(self, agent: OnlineAgent, conversation: Dict[str, Any], data: Dict[str, Any]) -> Dict[str, Any]:
        """A verified customer's panel is personal data: who opened it is written to the audit log."""
        customer = conversation.get("customer")
        if customer:
            reason = data.get("reason") if isinstance(data.get("reason"), str) else None
            audit.record(self.desk.store.session, Actor(agent.username, agent.user_id, agent.role), "view_customer",
                         customer_id=customer["id"], subject=conversation["id"], reason=reason)
        return conversation

    async def on_decline(self, agent: OnlineAgent, data: Dict[str, Any]) -> Dict[str, Any]:
        await self.desk.assignment.decline(agent, data.get("conversation_id"))
        return {}

    async def on_send(self, agent: OnlineAgent, data: Dict[str, Any]) -> Dict[str, Any]:
        return {"message": await self.desk.agent_actions.send(agent, data.get("conversation_id"), text_field(data))}

    async def on_note(self, agent: OnlineAgent, data: Dict[str, Any]) -> Dict[str, Any]:
        return {"message": await self.desk.agent_actions.note(agent, data.get("conversation_id"), text_field(data))}

    async def on_typing(self, agent: OnlineAgent, data: Dict[str, Any]) -> Dict[str, Any]:
        await self.desk.agent_actions.typing(agent, data.get("conversation_id"), bool(data.get("active")))
        return {}

    async def on_transfer(self, agent: OnlineAgent, data: Dict[str, Any]) -> Dict[str, Any]:
        target = data.get("agent_id")
        if not isinstance(target, int) or isinstance(target, bool):  # true is 1 to Python: not an agent
            raise DeskError("invalid", "pick_target")
        await self.desk.assignment.transfer(agent, data.get("conversation_id"), target)
        return {}

    async def on_close(self, agent: OnlineAgent, data: Dict[str, Any]) -> Dict[str, Any]:
        tags = data.get("tags") or []
        note = data.get("note") or ""
        if not isinstance(tags, list) or not all(isinstance(t, str) and len(t) <= 64 for t in tags) or len(tags) > 20:
            raise DeskError("invalid", "bad_tags")
        if not isinstance(note, str) or len(note) > MAX_TEXT:
            raise DeskError("invalid", "bad_note")
        await self.desk.agent_actions.close(agent, data.get("conversation_id"), tags, mask_text(note.strip()))
        return {}

    async def on_hand_back(self, agent: OnlineAgent, data: Dict[str, Any]) -> Dict[str, Any]:
        await self.desk.agent_actions.hand_back(agent, data.get("conversation_id"))
        return {}

    async def on_suggest_knowledge(self, agent: OnlineAgent, data: Dict[str, Any]) -> Dict[str, Any]:
        """"The assistant should have known this": a shopper message (or the whole chat) for the
        editors' inbox, with an optional suggested answer."""
        try:
            answer = data.get("suggested_answer")
            return {"suggestion": self.inbox.suggest(agent.user_id, agent.role, data.get("conversation_id"),
                                                     data.get("message_id"),
                                                     mask_text(answer) if isinstance(answer, str) else answer)}
        except InboxError as error:
            return failure(error.code, error.message)

    async def on_my_suggestions(self, agent: OnlineAgent, data: Dict[str, Any]) -> Dict[str, Any]:
        """The agent's marks, newest first, with what the editors made of them."""
        return {"suggestions": self.inbox.agent_suggestions(agent.user_id)}

    async def on_set_available(self, agent: OnlineAgent, data: Dict[str, Any]) -> Dict[str, Any]:
        if not isinstance(data.get("available"), bool):  # "no" or a missing field must not change anything
            raise DeskError("invalid", "bad_available")
        await self.desk.assignment.set_available(agent, data["available"])
        return {"available": agent.available}

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Connect/disconnect as usual; every other event gets the agent, checked data and an ack."""
        sid = args[0]
        if event in ("connect", "disconnect"):
            return None if forged_reserved_event(self, sid) else await super().trigger_event(event, *args)
        handler: Optional[Callable] = getattr(self, f"on_{event}", None)
        session = await self.get_session(sid)
        agent = self.desk.presence.online.get(session["user_id"]) if session else None
        if handler is None:
            return DeskError("unknown_event", event=event[:64]).answer()
        if agent is None or not self._still_allowed(session["claimed"]):
            if agent is not None:  # logged out elsewhere, disabled or no longer a chat role: this socket ends
                self.server.start_background_task(self._disconnect_after_ack, sid)
            return DeskError("unauthorized").answer()
        data = args[1] if len(args) > 1 else None
        if not isinstance(data, dict):
            return DeskError("invalid").answer()
        conversation_id = data.get("conversation_id")
        if conversation_id is not None and not is_session_id(conversation_id):  # a list, 42, "1' OR '1'='1"
            return DeskError("unknown_conversation").answer()
        try:
            if isinstance(conversation_id, str):
                async with self.desk.conversations.lock(conversation_id):  # not at the same time as the shopper's messages
                    return {"ok": True, **(await handler(agent, data))}
            return {"ok": True, **(await handler(agent, data))}
        except DeskError as error:
            return error.answer()
        except Exception:
            log.exception("agent event %s failed", event)
            return DeskError("server_error").answer()
