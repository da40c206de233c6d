"""Rasa's REST channel, with one promise added: the shopper never gets silence.

When an action fails (the action server is down, an action raises), Rasa logs the error and
answers nothing. This channel notices an empty answer and sends an honest message with the
offer of a person instead (the bridge turns `handoff_offer` into a live-agent offer).
Registered in credentials.yml under its module path; it keeps the name `rest`, so the URL
stays `/webhooks/rest/webhook`.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput

from actions.suggestions import INTENT_SUGGESTIONS
from actions.texts import quick_reply
from bot.language import message_language

FAILURE_TEXT = {
    "tr": "Üzgünüm, şu anda bu isteğinizi tamamlayamıyorum; bir sorun yaşıyoruz. Biraz sonra tekrar deneyebilir ya da bir müşteri temsilcisiyle görüşebilirsiniz.",
    "en": "Sorry, I can't complete this right now; we are having a problem. You can try again in a little while or talk to a customer service agent.",
}


class HonestRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]):
        async def answer_or_apologise(message: UserMessage) -> None:
            try:
                await on_new_message(message)
            finally:
                collector = message.output_channel
                if isinstance(collector, CollectingOutputChannel) and not collector.messages:
                    language = message_language(message.text or "", message.metadata) or "tr"
                    button = quick_reply(INTENT_SUGGESTIONS["request_human"][language])
                    await collector.send_text_with_buttons(message.sender_id, FAILURE_TEXT[language], [button])
                    await collector.send_custom_json(message.sender_id, {"handoff_offer": {"reason": "assistant_failed"}})

        return super().blueprint(answer_or_apologise)
