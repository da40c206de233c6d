"""The shopper asked for a person."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.flow import leave_form


class ActionOfferHuman(Action):
    def name(self) -> Text:
        return "action_offer_human"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_human_contact")
        # Picked up by the bridge, which owns the live-agent queue (issue #4).
        dispatcher.utter_message(json_message={"handoff_request": {"reason": "requested"}})
        # Asked inside an order flow: the flow ends here (the person takes over from scratch).
        return leave_form() if tracker.active_loop_name else []
