"""Rasa's REST channel, with one promise added: the shopper never gets silence.

When an action fails (the action server is down, an action raises), Rasa logs the error and
answers nothing. This channel notices an empty answer and sends an honest message with the
offer of a person instead (the bridge turns the `HandoffOffer` signal, bot/contract.py, into a
live-agent offer).
Registered in credentials.yml under its module path; it keeps the name `rest`, so the URL
stays `/webhooks/rest/webhook`.

For the bridge (metadata `live_chat`), the answer ends with what the assistant read:
`{"custom": {"nlu": {"intent": "faq/shipping_cost", "confidence": 0.97, "topic_confidence": 0.99}}}`,
which the bridge stores with the shopper's message for the reports (contact reasons, fallback
rate) and the editors' inbox. `confidence` is the classifier's confidence in its best intent; for
`nlu_fallback` (where Rasa reports the threshold itself) it is the confidence of the intent it was
unsure about, named in `guess`. `topic_confidence` is the response selector's, for FAQ answers.

Card numbers, CVVs, TCKNs and IBANs in the message (and in its metadata) are masked as the request
is read (bot/privacy/masking.py), before Rasa logs, parses or stores it in the tracker: the bridge
masks them already, but any client may talk to this channel directly.

For the same reason the metadata's `client_address` (where the shopper is, by which the actions
limit guesses of order proofs: actions/access.py) is believed only from the bridge, which sends
Rasa's API token as the `token` query parameter. From anyone else it is replaced by the address
the request came from, so a caller cannot get fresh guesses by naming a new address each time.
"""
from __future__ import annotations

import hmac
import logging
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic.request import Request

from actions.texts import quick_reply
from bot.contract import HUMAN_BUTTON, REASON_ASSISTANT_FAILED, HandoffOffer, NluReading
from bot.language import message_language
from bot.privacy.masking import mask_text, mask_values
from bot.settings import get_settings

log = logging.getLogger(__name__)
CLIENT_ADDRESS = "client_address"  # actions/access.py reads it

FAILURE_TEXT = {
    "tr": "Üzgünüm, şu anda bu isteğinizi tamamlayamıyorum; bir sorun yaşıyoruz. Biraz sonra tekrar deneyebilir ya da bir müşteri temsilcisiyle görüşebilirsiniz.",
    "en": "Sorry, I can't complete this right now; we are having a problem. You can try again in a little while or talk to a customer service agent.",
}


class HonestRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def _extract_message(self, req: Request) -> Optional[str]:
        text = super()._extract_message(req)
        return mask_text(text) if isinstance(text, str) else text

    def get_metadata(self, request: Request) -> Optional[Dict[str, Any]]:
        metadata = super().get_metadata(request)
        if not isinstance(metadata, dict):
            return metadata
        metadata = mask_values(metadata)  # customer_token kept
        if CLIENT_ADDRESS in metadata and not from_the_bridge(request):
            metadata[CLIENT_ADDRESS] = request_address(request)
        return metadata

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]):
        app = {}

        async def answer_or_apologise(message: UserMessage) -> None:
            try:
                await on_new_message(message)
            finally:
                collector = message.output_channel
                if isinstance(collector, CollectingOutputChannel) and not collector.messages:
                    language = message_language(message.text or "", message.metadata) or "tr"
                    button = quick_reply(HUMAN_BUTTON[language])
                    await collector.send_text_with_buttons(message.sender_id, FAILURE_TEXT[language], [button])
                    await collector.send_custom_json(message.sender_id, HandoffOffer(REASON_ASSISTANT_FAILED).to_json())
                if isinstance(collector, CollectingOutputChannel) and (message.metadata or {}).get("live_chat") and app:
                    understood = await what_was_read(app["sanic"], message.sender_id)
                    if understood:
                        await collector.send_custom_json(message.sender_id, NluReading(understood).to_json())

        blueprint = super().blueprint(answer_or_apologise)

        @blueprint.listener("before_server_start")
        async def remember_app(sanic_app, _loop) -> None:  # the agent (and its tracker store) lives on the app
            app["sanic"] = sanic_app

        return blueprint


def from_the_bridge(request: Request) -> bool:
    """The request carries Rasa's API token as its `token` query parameter (bot/desk/rasa_client.py)."""
    args = getattr(request, "args", None)
    given = args.get("token") if args is not None else None
    if not isinstance(given, str) or not given:
        return False
    try:
        expected = get_settings().rasa_api_token()
    except OSError as error:  # the state folder cannot be read: nobody is believed
        log.warning("Rasa's API token could not be read: %s", error)
        return False
    return bool(expected) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def request_address(request: Request) -> Optional[str]:
    """Where the request came from, as Sanic sees it (a proxy's address unless Sanic is told to trust one)."""
    return getattr(request, "remote_addr", None) or getattr(request, "ip", None) or None


async def what_was_read(sanic_app: Any, sender_id: str) -> Optional[Dict[str, Any]]:
    """The intent of the conversation's latest message; for the knowledge base its faq/<topic>."""
    agent = getattr(sanic_app.ctx, "agent", None)
    tracker = await agent.tracker_store.retrieve(sender_id) if agent and agent.tracker_store else None
    if tracker is None:
        return None
    parse = tracker.latest_message.parse_data if tracker.latest_message else {}
    return reading(parse)


def reading(parse: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """What the bridge is told about one parse (see the module's docstring)."""
    intent = (parse.get("intent") or {}).get("name")
    if not intent:
        return None
    confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
    read: Dict[str, Any] = {}
    if intent == "nlu_fallback":
        # The FallbackClassifier puts itself first with its threshold as confidence; the intent it
        # was unsure about comes next in the ranking.
        guess = next((r for r in parse.get("intent_ranking") or [] if r.get("name") not in (None, "nlu_fallback")), None)
        if guess is not None:
            read["guess"] = guess["name"]
            confidence = float(guess.get("confidence") or 0.0)
    selected = ((parse.get("response_selector") or {}).get(intent) or {}).get("response") or {}
    if selected.get("confidence") is not None:
        read["topic_confidence"] = round(float(selected["confidence"]), 4)
    return {"intent": selected.get("intent_response_key") or intent, "confidence": round(confidence, 4), **read}
