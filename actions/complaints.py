"""Complaints: recorded as a ticket with the shopper's own words, a category and a reference."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions import context, tickets
from actions.access import answering, reset_flow
from actions.flow import RETURN_BUTTON, end_with_error
from actions.store.interface import StoreUnavailable
from actions.texts import COMPLAINT_CATEGORIES, SKIP_EMAIL, format_due, label_key, mask_email, option_buttons, say
from bot.contract import REASON_STORE_UNAVAILABLE, ComplaintRecorded
from bot.patterns import EMAIL, ORDER_NO
from bot.text import fold_words
from bot.tickets.store import NewTicket

MIN_WORDS = 3  # shorter complaint messages ("şikayetim var") are asked to tell more
NO_EMAIL = "none"  # contact_email of a shopper who chose to go on without an address
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

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        # Only an anonymous shopper is asked where to answer: a known customer's address is on file.
        return [slot for slot in domain_slots if slot != "contact_email" or not identified(tracker)]

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

    def extract_contact_email(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("contact_email"):
            return {}
        latest = tracker.latest_message or {}
        text = latest.get("text") or ""
        address = EMAIL.search(text)
        if tracker.get_slot("requested_slot") != "contact_email":
            # an address written in the complaint itself ("... bana x@y.com'dan ulaşın")
            return {"contact_email": address.group("value")} if address and complaint_message(tracker) else {}
        if label_key(text, {"skip": SKIP_EMAIL}) or (latest.get("intent") or {}).get("name") == "deny":
            return {"contact_email": NO_EMAIL}  # the skip button (whatever NLU made of it) or a plain no
        if address:
            return {"contact_email": address.group("value")}
        return {"contact_email": text.strip()} if answering(tracker, "contact_email") else {}

    def validate_contact_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        address = str(value or "").strip().rstrip(".").lower()
        if value == NO_EMAIL:
            return {"contact_email": NO_EMAIL}
        if EMAIL.fullmatch(address):
            return {"contact_email": address}
        dispatcher.utter_message(text=say("contact_email_invalid", context.language(tracker)),
                                 buttons=option_buttons([SKIP_EMAIL], context.language(tracker)))
        return {"contact_email": None}


def identified(tracker: Tracker) -> bool:
    """The shopper is a known customer: the storefront's token, or an order proven in this chat."""
    return context.token_customer(tracker) is not None or bool(tracker.get_slot("verified_order_no"))


@dataclass(frozen=True)
class Complainant:
    customer_id: Optional[int]
    order_no: Optional[str]  # linked only when the shopper may see it
    email: Optional[str]  # where the answer goes
    shown_email: Optional[str]  # how the chat names that address


def complainant(tracker: Tracker) -> Complainant:
    """Who complains and about which order. An order named but not proven stays in the words only
    (shoppers see only their own orders); an address typed by the shopper that is the named
    order's own proves it, silently, so an address cannot be tested against an order here.
    Raises StoreUnavailable."""
    store = context.store()
    token_customer = context.token_customer(tracker)
    proven_no = tracker.get_slot("verified_order_no")
    named_no = _order_named(tracker.get_slot("order_no") or "") or _order_named(tracker.get_slot("complaint_text") or "")
    typed = tracker.get_slot("contact_email")
    typed = typed if typed and typed != NO_EMAIL else None
    linked = None
    if named_no:
        named = store.find_order(named_no)
        if named and (named_no == proven_no or named.owner.id == token_customer
                      or (typed is not None and typed == named.owner.email.lower())):
            linked = named
    elif proven_no:
        linked = store.find_order(proven_no)  # a complaint right after asking about an order is about it
    if token_customer is not None:
        customer_id: Optional[int] = token_customer
    elif linked is not None:
        customer_id = linked.owner.id
    else:
        proven = store.find_order(proven_no) if proven_no else None
        customer_id = proven.owner.id if proven else None
    customer = store.customer(customer_id) if customer_id is not None else None
    on_file = customer.email.lower() if customer and customer.email else None
    return Complainant(customer_id, linked.order_no if linked else None, typed or on_file,
                       typed or (mask_email(on_file) if on_file else None))


def _order_named(text: str) -> Optional[str]:
    match = ORDER_NO.search(text)
    return match.group("value") if match else None


class ActionRecordComplaint(Action):
    def name(self) -> Text:
        return "action_record_complaint"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = context.language(tracker)
        category = tracker.get_slot("complaint_category") or "diger"
        try:
            who = complainant(tracker)
            ticket = tickets.open_ticket(NewTicket(
                source="complaint", category=category, language=language, text=tracker.get_slot("complaint_text") or "",
                customer_id=who.customer_id, email=who.email, conversation_id=tracker.sender_id, order_no=who.order_no))
        except StoreUnavailable:
            return end_with_error(dispatcher, tracker, REASON_STORE_UNAVAILABLE) + forget_skipped(tracker)
        # The promise is the ticket's own first-response deadline: what the desk's SLA clock counts.
        due = format_due(ticket.first_response_due, language)
        if who.email:
            dispatcher.utter_message(text=say("complaint_recorded", language, reference=ticket.code, due=due,
                                              email=who.shown_email))
        else:
            dispatcher.utter_message(text=say("complaint_recorded_no_contact", language, reference=ticket.code, due=due))
        dispatcher.utter_message(json_message=ComplaintRecorded(ticket.code, ticket.category).to_json())
        if ticket.category in RETURN_OFFERED_FOR:
            # a broken, wrong or incomplete item also needs the way back, not only a reference
            dispatcher.utter_message(text=say("complaint_return_offer", language),
                                     buttons=option_buttons([RETURN_BUTTON], language))
        return reset_flow() + forget_skipped(tracker)


def forget_skipped(tracker: Tracker) -> List[Dict[Text, Any]]:
    """An address given stays for this conversation's next complaint; a skip is asked again."""
    return [SlotSet("contact_email", None)] if tracker.get_slot("contact_email") == NO_EMAIL else []


class ActionAskContactEmail(Action):
    def name(self) -> Text:
        return "action_ask_contact_email"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = context.language(tracker)
        dispatcher.utter_message(text=say("ask_contact_email", language), buttons=option_buttons([SKIP_EMAIL], language))
        return []


class ActionAskComplaintCategory(Action):
    def name(self) -> Text:
        return "action_ask_complaint_category"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = context.language(tracker)
        dispatcher.utter_message(text=say("ask_complaint_category", language),
                                 buttons=option_buttons(COMPLAINT_CATEGORIES.values(), language))
        return []
