"""Shared endings of the order flows: explain an error honestly, offer a person, reset slots."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.access import proof_wait_text, reset_flow
from actions.suggestions import human_offer_buttons
from actions.texts import option_buttons, say
from bot.contract import REASON_STORE_UNAVAILABLE, REASON_VERIFICATION_LOCKED, HandoffOffer

# Explanations after which the shopper is offered a return as a quick reply.
RETURN_OFFERED_AFTER = {"cancel_delivered", "cancel_shipped"}
RETURN_BUTTON = {"tr": "İade etmek istiyorum", "en": "I want to return an item"}
# Explanations after which the shopper is offered a person (the bridge picks up the signal).
HUMAN_OFFERED_AFTER = {REASON_VERIFICATION_LOCKED, REASON_STORE_UNAVAILABLE, "return_window_passed",
                       "return_non_returnable", "status_teslim_edilemedi"}


def offer_human(dispatcher: CollectingDispatcher, language: str, reason: str) -> None:
    dispatcher.utter_message(buttons=human_offer_buttons(language))
    dispatcher.utter_message(json_message=HandoffOffer(reason).to_json())


def end_with_error(dispatcher: CollectingDispatcher, tracker: Tracker, error: Text,
                   **values: Any) -> List[Dict[Text, Any]]:
    """Explains why the flow stopped (the texts' keys are the error names) and resets it."""
    language = context.language(tracker)
    if error == REASON_VERIFICATION_LOCKED:
        values["wait"] = proof_wait_text(tracker, language)
    buttons = option_buttons([RETURN_BUTTON], language) if error in RETURN_OFFERED_AFTER else []
    dispatcher.utter_message(text=say(error, language, **values), buttons=buttons)
    if error in HUMAN_OFFERED_AFTER:
        offer_human(dispatcher, language, error)
    return reset_flow()


def flow_error(tracker: Tracker) -> Optional[Text]:
    return tracker.get_slot("flow_error")


def leave_form() -> List[Dict[Text, Any]]:
    return [ActiveLoop(None), SlotSet("requested_slot", None), *reset_flow()]


class ActionStopFlow(Action):
    """"vazgeç" inside a flow: stop it, forget its answers, say so."""

    def name(self) -> Text:
        return "action_stop_flow"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=say("flow_stopped", context.language(tracker)))
        return leave_form()
