"""A refused request of an agent or a shopper: a stable code the client words itself, and the
server's own wording (the text catalogue, in the requester's language) for older clients."""
from __future__ import annotations

from typing import Any, Dict, Optional

from bot.desk import texts


class DeskError(Exception):
    """`code` is the protocol's (docs/live-chat.md); `detail` names the exact wording when one code
    covers several cases (code "invalid", detail "empty": an empty message)."""

    def __init__(self, code: str, detail: Optional[str] = None, **params: Any):
        super().__init__(code)
        self.code, self.detail, self.params = code, detail, params

    def worded(self, language: str = "tr") -> str:
        return texts.error_text(self.detail or self.code, language, **self.params)

    @property
    def message(self) -> str:
        return self.worded()

    def answer(self, language: str = "tr") -> Dict[str, Any]:
        """The ack of a refused agent event (docs/live-chat.md)."""
        return failure(self.code, self.worded(language), self.detail, **self.params)


def failure(code: str, message: str, detail: Optional[str] = None, **params: Any) -> Dict[str, Any]:
    error: Dict[str, Any] = {"code": code, "message": message}
    if detail:
        error["detail"] = detail
    if params:
        error["params"] = params  # e.g. {"max_chats": 3}: the console words the code with them
    return {"ok": False, "error": error}
