"""Test clients of the bridge: a shopper on the "/" namespace and an agent on "/agents".

Both are python-socketio's synchronous clients over a real websocket; every event received is
kept so that a test can wait for the one it expects.
"""
from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import requests
import socketio

Event = Tuple[str, Any]
DEFAULT_TIMEOUT = 30.0


class Recorder:
    def __init__(self) -> None:
        self.events: List[Event] = []
        self._cond = threading.Condition()

    def record(self, name: str, data: Any) -> None:
        with self._cond:
            self.events.append((name, data))
            self._cond.notify_all()

    def wait_for(self, name: str, where: Callable[[Any], bool] = lambda _: True, timeout: float = DEFAULT_TIMEOUT,
                 after: int = 0) -> Any:
        """The first event `name` (from index `after` on) that satisfies `where`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event, data in self.events[after:]:
                    if event == name and where(data):
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {name!r} event within {timeout}s; got {self.events[after:]!r}")
                self._cond.wait(remaining)

    def mark(self) -> int:
        with self._cond:
            return len(self.events)

    def of(self, name: str, after: int = 0) -> List[Any]:
        with self._cond:
            return [data for event, data in self.events[after:] if event == name]


class ShopperClient(Recorder):
    EVENTS = ("session_confirm", "bot_uttered", "history", "handoff_status", "typing", "error", "session_ended")

    def __init__(self, url: str, session_id: Optional[str] = None, metadata: Optional[Dict[str, Any]] = None):
        super().__init__()
        self.url = url
        self.metadata = metadata or {"language": "tr"}
        self.sio = socketio.Client(reconnection=False)
        for name in self.EVENTS:
            self.sio.on(name, lambda data=None, _name=name: self.record(_name, data))
        self.session_id = session_id

    def connect(self) -> "ShopperClient":
        mark = self.mark()
        self.sio.connect(self.url, transports=["websocket"], wait_timeout=10)
        self.sio.emit("session_request", {"session_id": self.session_id})
        self.session_id = self.wait_for("session_confirm", after=mark)
        return self

    def say(self, text: str, wait: bool = True, timeout: float = DEFAULT_TIMEOUT) -> List[Dict[str, Any]]:
        """Sends a message; with `wait`, returns the bot/system messages up to the end of the answer."""
        mark = self.mark()
        self.sio.emit("user_uttered", {"message": text, "session_id": self.session_id, "metadata": self.metadata})
        if not wait:
            return []
        self.wait_for("bot_uttered", after=mark, timeout=timeout)
        time.sleep(0.3)  # the rest of a multi-message answer
        return self.of("bot_uttered", after=mark)

    def call(self, event: str, data: Any = None, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """An event with an acknowledgement (privacy_state, consent, end_session): the server's answer."""
        return self.sio.call(event, data, timeout=timeout)

    def acknowledge_notice(self, language: Optional[str] = None) -> Dict[str, Any]:
        """What our widget does before the first message: reads the privacy notice and acknowledges
        it. The protocol does not require it (Rasa's webchat never does)."""
        language = language or self.metadata.get("language", "tr")
        state = self.call("privacy_state", {"language": language})
        assert state["ok"], state
        answer = self.call("consent", {"kind": "notice", "granted": True, "language": language,
                                       "version": state["notice"]["version"]})
        assert answer["ok"], answer
        return answer

    def disconnect(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


class AgentClient(Recorder):
    EVENTS = ("desk", "offer", "offer_withdrawn", "message", "typing", "conversation_closed", "alert")

    def __init__(self, base_url: str, username: str, password: str):
        super().__init__()
        self.base_url = base_url
        response = requests.post(f"{base_url}/api/login", json={"username": username, "password": password}, timeout=10)
        response.raise_for_status()
        self.token = response.json()["token"]
        self.user = response.json()["user"]
        self.sio = socketio.Client(reconnection=False)
        for name in self.EVENTS:
            self.sio.on(name, lambda data=None, _name=name: self.record(_name, data), namespace="/agents")

    def connect(self) -> "AgentClient":
        self.sio.connect(self.base_url, namespaces=["/agents"], auth={"token": self.token},
                         transports=["websocket"], wait_timeout=10)
        self.wait_for("desk")
        return self

    def call(self, event: str, data: Dict[str, Any], timeout: float = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        return self.sio.call(event, data, namespace="/agents", timeout=timeout)

    def disconnect(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()
