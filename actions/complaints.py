"""Complaints: recorded as a ticket with the shopper's own words, a category and a reference."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import context
from actions.access import answering, find_order, has_access, reset_flow
from actions.flow import RETURN_BUTTON, end_with_error
from actions.store.interface import StoreUnavailable
from actions.texts import COMPLAINT_CATEGORIES, format_date, label_key, option_buttons, say
from bot.contract import REASON_STORE_UNAVAILABLE, ComplaintRecorded
from bot.text import fold_words

MIN_WORDS = 3  # shorter complaint messages ("şikayetim var") are asked to tell more
RETURN_OFFERED_FOR = {"urun"}  # complaints about the item itself: a return is offered beside the record
CATEGORY_WORDS = {
    "kargo": r"kargo|kurye|teslim|gecikt|gelmedi|paket|cargo|courier|deliver|late",
    "urun": r"urun|kirik|bozuk|hasar|kalite|defect|broken|product|quality",
    "iade": r"iade|para iade|refund|return",
    "odeme": r"odeme|fatura|kart|cekildi|ucret|payment|invoice|charged",
    "hizmet": r"temsilci|musteri hizmet|kaba|ilgisiz|cevap vermi|agent|rude|service",
    "diger": r"diger|baska|other",
}


def category_from_text(text: str) -> Optional[str]:
    folded = fold_words(text)
    return label_key(text, COMPLAINT_CATEGORIES) or next(
        (code for code, pattern in CATEGORY_WORDS.items() if re.search(pattern, folded)), None)


def complaint_message(tracker: Tracker) -> Optional[str]:
    """The complaint as the shopper wrote it when they raised it, if it says enough."""
    latest = tracker.latest_message or {}
    text = (latest.get("text") or "").strip()
    if (latest.get("intent") or {}).get("name") == "complaint" and len(text.split()) >= MIN_WORDS:
        return text
    return None


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_complaint_form"

    def extract_complaint_text(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("complaint_text"):
            return {}
        if answering(tracker, "complaint_text"):
            return {"complaint_text": (tracker.latest_message.get("text") or "").strip()}
        message = complaint_message(tracker)
        return {"complaint_text": message} if message else {}

    def extract_complaint_category(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("complaint_category"):
            return {}
        text = tracker.latest_message.get("text") or ""
        category = category_from_text(text)
        if tracker.get_slot("requested_slot") == "complaint_category" and label_key(text, COMPLAINT_CATEGORIES):
            return {"complaint_category": category}  # a tapped button, whatever NLU made of it
        if answering(tracker, "complaint_category"):
            return {"complaint_category": category or "unknown"}
        return {"complaint_category": category} if category and complaint_message(tracker) else {}

    def validate_complaint_category(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        if value not in COMPLAINT_CATEGORIES:
            dispatcher.utter_message(text=say("complaint_category_invalid", context.language(tracker)))
            return {"complaint_category": None}
        return {"complaint_category": value}


class ActionRecordComplaint(Action):
    def name(self) -> Text:
        return "action_record_complaint"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = context.language(tracker)
        order_no = tracker.get_slot("order_no")
        linked_order = order_no if has_access(tracker, order_no) else None
        customer_id = context.token_customer(tracker)
        if customer_id is None and linked_order:
            order, _ = find_order(linked_order)
            customer_id = order.owner.id if order else None
        try:
            ticket = context.store().record_complaint(
                category=tracker.get_slot("complaint_category") or "diger", text=tracker.get_slot("complaint_text") or "",
                language=language, now=context.now(), customer_id=customer_id, order_no=linked_order,
                conversation_id=tracker.sender_id,
            )
        except StoreUnavailable:
            return end_with_error(dispatcher, tracker, REASON_STORE_UNAVAILABLE)
        dispatcher.utter_message(text=say("complaint_recorded", language, reference=ticket.reference,
                                          respond_by=format_date(ticket.respond_by, language)))
        dispatcher.utter_message(json_message=ComplaintRecorded(ticket.reference, ticket.category).to_json())
        if ticket.category in RETURN_OFFERED_FOR:
            # a broken, wrong or incomplete item also needs the way back, not only a reference
            dispatcher.utter_message(text=say("complaint_return_offer", language),
                                     buttons=option_buttons([RETURN_BUTTON], language))
        return reset_flow()


class ActionAskComplaintCategory(Action):
    def name(self) -> Text:
        return "action_ask_complaint_category"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = context.language(tracker)
        dispatcher.utter_message(text=say("ask_complaint_category", language),
                                 buttons=option_buttons(COMPLAINT_CATEGORIES.values(), language))
        return []
