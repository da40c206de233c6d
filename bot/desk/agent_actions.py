"""What an agent does in a chat they hold: open it, write to the shopper, leave a note, type,
close or hand back. Routing moves (accept, decline, transfer) are in assignment.py.

Called under the conversation's lock (bot/desk/agents.py); writes through conversations.py.
"""
from __future__ import annotations

from typing import Any, Dict, List

from bot.desk import events
from bot.desk.conversations import Conversations
from bot.desk.errors import DeskError
from bot.desk.models import Conversation
from bot.desk.panels import Panels
from bot.desk.presence import OnlineAgent
from bot.desk.views import message_view


class AgentActions:
    def __init__(self, conversations: Conversations, panels: Panels, bus: events.EventBus):
        self.conversations = conversations
        self.store = conversations.store
        self.panels = panels
        self.bus = bus

    def open_for(self, agent: OnlineAgent, conversation_id: Any) -> Conversation:
        """A queued chat or one's own; admins may read any."""
        conversation = self.conversations.get(conversation_id)
        if agent.role == "admin":
            return conversation
        if conversation.state not in ("queued", "agent"):
            raise DeskError("not_available")
        if conversation.state == "agent" and conversation.agent_id != agent.user_id:
            raise DeskError("not_yours", "taken")
        return conversation

    async def send(self, agent: OnlineAgent, conversation_id: Any, text: str) -> Dict[str, Any]:
        conversation = self.conversations.owned_by(agent.user_id, conversation_id)
        message = await self.conversations.say(conversation, "agent", text, agent_id=agent.user_id)
        handoff = self.store.current_handoff(conversation.id)
        if handoff and handoff.first_response_at is None:
            self.store.update_handoff(handoff.id, first_response_at=message.created_at)
        return message_view(message, self.panels.directory.names())

    async def note(self, agent: OnlineAgent, conversation_id: Any, text: str) -> Dict[str, Any]:
        """Internal: stored with the chat, read by agents only (delivery never sends notes to shoppers)."""
        conversation = self.conversations.owned_by(agent.user_id, conversation_id)
        message = await self.conversations.say(conversation, "note", text, agent_id=agent.user_id, to_shopper=False)
        return message_view(message, self.panels.directory.names())

    async def typing(self, agent: OnlineAgent, conversation_id: Any, active: bool) -> None:
        conversation = self.conversations.owned_by(agent.user_id, conversation_id)
        await self.bus.publish(events.Typing(conversation.id, "agent", active, agent.display_name))

    async def close(self, agent: OnlineAgent, conversation_id: Any, tags: List[str], note: str) -> None:
        conversation = self.conversations.owned_by(agent.user_id, conversation_id)
        await self.conversations.release(conversation, agent.user_id, "closed", tags=tags, note=note)
        await self.bus.publish(events.ClosedByAgent(conversation.id, agent.user_id, tuple(tags), note))

    async def hand_back(self, agent: OnlineAgent, conversation_id: Any) -> None:
        conversation = self.conversations.owned_by(agent.user_id, conversation_id)
        await self.conversations.release(conversation, agent.user_id, "handed_back")
        await self.conversations.system_message(conversation, "handed_back")
