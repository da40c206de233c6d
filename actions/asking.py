"""Form questions that depend on the shopper: their own orders as quick replies."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import context
from actions.presenters import order_button_title
from actions.store.interface import StoreUnavailable
from actions.texts import say

MAX_ORDER_BUTTONS = 5


class ActionAskOrderNo(Action):
    """Asks for the order number; a customer known by the storefront's token picks from theirs."""

    def name(self) -> Text:
        return "action_ask_order_no"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = context.language(tracker)
        customer_id = context.token_customer(tracker)
        orders = []
        if customer_id is not None:
            try:
                orders = context.store().customer_orders(customer_id, limit=MAX_ORDER_BUTTONS)
            except StoreUnavailable:
                orders = []
        if orders:
            buttons = [{"title": order_button_title(o, language), "payload": o.order_no} for o in orders]
            dispatcher.utter_message(text=say("ask_order_no_pick", language), buttons=buttons)
        else:
            dispatcher.utter_message(text=say("ask_order_no", language))
        return []
