"""The JSON shapes of docs/live-chat.md: messages, conversation summaries and details."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Mapping, Optional

from bot.desk.models import Conversation, Message
from bot.desk.store import iso, utcnow


def message_view(message: Message, agent_names: Mapping[int, str]) -> Dict[str, Any]:
    return {
        "id": message.id, "conversation_id": message.conversation_id, "sender": message.sender,
        "text": message.text, "quick_replies": list(message.quick_replies or []),
        "agent_name": agent_names.get(message.agent_id) if message.agent_id else None,
        "time": iso(message.created_at),
    }


def bot_uttered(message: Message, agent_name: Optional[str]) -> Dict[str, Any]:
    """Rasa's SocketIOInput shape, plus who wrote it in `metadata`."""
    payload: Dict[str, Any] = {"text": message.text}
    if message.quick_replies:
        payload["quick_replies"] = list(message.quick_replies)
    payload["metadata"] = {"sender": message.sender, "agent_name": agent_name, "message_id": message.id,
                           "time": iso(message.created_at)}
    notice = message.data.get("notice") if isinstance(message.data, dict) else None
    if notice:  # e.g. "assistant_busy": a system notice, not an answer
        payload["metadata"]["notice"] = notice
    return payload


def summary_view(conversation: Conversation, agent_names: Mapping[int, str], customer_name: Optional[str],
                 preview: str, now: Optional[datetime] = None) -> Dict[str, Any]:
    now = now or utcnow()
    return {
        "id": conversation.id, "language": conversation.language, "state": conversation.state,
        "reason": conversation.reason, "frustration": round(conversation.frustration or 0.0, 2),
        "queued_at": iso(conversation.queued_at),
        "waiting_seconds": int((now - conversation.queued_at).total_seconds()) if conversation.queued_at else None,
        "agent": ({"id": conversation.agent_id, "display_name": agent_names.get(conversation.agent_id)}
                  if conversation.agent_id else None),
        "customer": {"id": conversation.customer_id, "name": customer_name} if conversation.customer_id else None,
        "preview": preview[:140], "last_message_at": iso(conversation.last_message_at),
        "segments": list(conversation.segments or []),
    }
