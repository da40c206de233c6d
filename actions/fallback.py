"""What the assistant does when it did not understand: clarify first, offer a human second.

A shopper who says so ("beni anlamıyorsun", "you're not getting it") is a miss as well, in any
flow: the assistant apologises, ends the flow and offers a person; a second miss in a row hands
the chat over (the bridge escalates on `REASON_REPEATED_FALLBACK`, bot/contract.py).
"""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.flow import leave_form
from actions.suggestions import faq_titles, human_offer_buttons, suggestions
from actions.texts import say
from bot.contract import REASON_REPEATED_FALLBACK, Fallback, HandoffOffer

FALLBACK_INTENT = "nlu_fallback"
MISUNDERSTOOD_INTENT = "bot_misunderstood"
MISSES = frozenset({FALLBACK_INTENT, MISUNDERSTOOD_INTENT})


def consecutive_fallbacks(events: List[Dict[Text, Any]]) -> int:
    """How many of the shopper's latest messages in a row the assistant did not understand
    (or the shopper said it did not)."""
    count = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        if (event.get("parse_data") or {}).get("intent", {}).get("name") not in MISSES:
            break
        count += 1
    return count


class ActionClarify(Action):
    def name(self) -> Text:
        return "action_clarify"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        language = tracker.get_slot("language") or "tr"
        if consecutive_fallbacks(tracker.events) >= 2:
            dispatcher.utter_message(response="utter_clarify_again", buttons=human_offer_buttons(language))
            # Picked up by the bridge to offer a live agent (issue #4).
            dispatcher.utter_message(json_message=HandoffOffer(REASON_REPEATED_FALLBACK).to_json())
        else:
            buttons = suggestions(tracker.latest_message, language, faq_titles())
            dispatcher.utter_message(response="utter_clarify", buttons=buttons)
            # Counted by the bridge (frustration, fallback rate).
            dispatcher.utter_message(json_message=Fallback().to_json())
        return []


class ActionBotMisunderstood(Action):
    """The shopper says the assistant does not understand them."""

    def name(self) -> Text:
        return "action_bot_misunderstood"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        language = context.language(tracker)
        if consecutive_fallbacks(tracker.events) >= 2:
            dispatcher.utter_message(text=say("misunderstood_again", language))
            dispatcher.utter_message(json_message=HandoffOffer(REASON_REPEATED_FALLBACK).to_json())
        else:
            dispatcher.utter_message(text=say("misunderstood", language), buttons=human_offer_buttons(language))
            dispatcher.utter_message(json_message=Fallback().to_json())
        return leave_form() if tracker.active_loop_name else []
