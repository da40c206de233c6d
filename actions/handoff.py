"""The shopper asked for a person."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.flow import leave_form
from bot.contract import HandoffRequest


class ActionOfferHuman(Action):
    def name(self) -> Text:
        return "action_offer_human"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        # Behind the bridge (live chat) the bridge itself tells the shopper what happens next;
        # elsewhere (REST, terminal) the shopper gets our phone, e-mail and hours.
        if not (tracker.latest_message.get("metadata") or {}).get("live_chat"):
            dispatcher.utter_message(response="utter_human_contact")
        dispatcher.utter_message(json_message=HandoffRequest().to_json())
        # Asked inside an order flow: the flow ends here (the person takes over from scratch).
        return leave_form() if tracker.active_loop_name else []
