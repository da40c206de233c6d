"""What the assistant does when it did not understand: clarify first, offer a human second."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.suggestions import faq_titles, human_offer_buttons, suggestions

FALLBACK_INTENT = "nlu_fallback"


def consecutive_fallbacks(events: List[Dict[Text, Any]]) -> int:
    """How many of the shopper's latest messages in a row the assistant did not understand."""
    count = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        if (event.get("parse_data") or {}).get("intent", {}).get("name") != FALLBACK_INTENT:
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
            dispatcher.utter_message(json_message={"handoff_offer": {"reason": "repeated_fallback"}})
        else:
            buttons = suggestions(tracker.latest_message, language, faq_titles())
            dispatcher.utter_message(response="utter_clarify", buttons=buttons)
            # Counted by the bridge (frustration, fallback rate).
            dispatcher.utter_message(json_message={"fallback": {"count": 1}})
        return []
