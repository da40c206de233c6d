"""A Socket.IO client written by hand over a plain websocket: it sends exactly the bytes a test
gives, as a browser would (UTF-8, not \\u escapes) or as an attacker could (broken packets)."""
from __future__ import annotations

import json
import time
from typing import Any, List, Tuple, Union

import websocket


class RawSocket:
    def __init__(self, base_url: str):
        url = base_url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(url, timeout=10)
        self.events: List[Tuple[str, Any]] = []
        self.closed_by_server = False
        assert self.ws.recv().startswith("0")  # Engine.IO's open packet
        self.ws.send("40")  # join the shoppers' namespace "/"
        assert self.ws.recv().startswith("40")

    def emit(self, event: str, data: Any = None) -> None:
        """Like a browser's socket.io client: JSON with the text as UTF-8."""
        self.ws.send("42" + json.dumps([event, data], ensure_ascii=False))

    def send_raw(self, frame: Union[str, bytes]) -> None:
        """A text frame with these exact bytes (which need not be UTF-8 at all)."""
        payload = frame.encode("utf-8") if isinstance(frame, str) else frame
        self.ws.send(payload, opcode=websocket.ABNF.OPCODE_TEXT)

    def wait_for(self, name: str, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            for event, data in self.events:
                if event == name:
                    self.events.remove((event, data))
                    return data
            remaining = deadline - time.monotonic()
            assert remaining > 0 and not self.closed_by_server, f"no {name!r} within {timeout}s; got {self.events}"
            self._read(remaining)

    def drain(self, seconds: float) -> List[Tuple[str, Any]]:
        """Every event that arrives within `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read(deadline - time.monotonic())
        events, self.events = self.events, []
        return events

    def session(self) -> str:
        self.emit("session_request", {"session_id": None})
        return self.wait_for("session_confirm")

    def close(self) -> None:
        if self.ws.connected:
            self.ws.close()

    def _read(self, timeout: float) -> None:
        self.ws.settimeout(max(timeout, 0.01))
        try:
            packet = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return
        except (websocket.WebSocketConnectionClosedException, OSError):
            self.closed_by_server = True
            return
        if not packet:  # the server's close frame
            self.closed_by_server = True
            return
        if packet == "2":  # Engine.IO ping
            self.ws.send("3")
        elif isinstance(packet, str) and packet.startswith("42"):
            event, *data = json.loads(packet[2:])
            self.events.append((event, data[0] if data else None))
