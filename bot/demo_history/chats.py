"""Plans the demo conversations: what each shopper asked and what the assistant answered.

Each visit follows one of the product's paths (a knowledge-base question, an order's status with
its proof, a return, a cancellation, a complaint recorded as a ticket, a request for a person, a
question the assistant did not understand), with the assistant's real texts (the knowledge base
and actions/texts.py); who then talks to the shopper, and what they rate, is people.py. Pure: a
seed and the shop's data in, plans out.
"""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Tuple

from actions import texts as actions_texts
from bot.contract import HUMAN_BUTTON, ORDER_DELIVERED
from bot.demo_history import lines as L
from bot.demo_history.people import People
from bot.demo_history.plans import TicketPlan, Visit
from bot.demo_history.script import ChatContext, Script, pick
from bot.demo_history.shop import ShopCustomer, ShopOrder, ShopReturn, return_deadline
from bot.demo_history.traffic import Day
from bot.desk.surveys import answers, contact_reason
from bot.tickets.store import NewTicket

ENGLISH_SHARE = 0.25
CONTACT_IDLE = timedelta(minutes=30)  # a shopper back after this long starts a new contact
SAME_CONVERSATION = 0.6  # a returning customer's widget usually still has its session
REPEAT_WINDOW = timedelta(days=7)  # the reports' repeat contact
REPEAT_CONTACT = 0.2  # the share of order questions from a customer who wrote in the last week
FLOWS = {"faq": 40, "order_status": 21, "return_request": 5, "return_status": 5, "cancel_order": 4,
         "complaint": 6, "request_human": 4, "missed": 9, "small_talk": 6}
FAQ_WEIGHTS = {"shipping_time": 14, "shipping_cost": 12, "return_policy": 12, "refund_time": 10, "payment_methods": 8,
               "installments": 8, "invoice": 6, "warranty": 5, "change_address": 6, "exchange": 7, "carriers": 5,
               "contact_hours": 7}
TOPIC_OF_CATEGORY = {"kargo": "shipping", "urun": "returns", "iade": "returns", "odeme": "payment",
                     "hizmet": "general", "diger": "general"}
CSAT_BOT = {5: 50, 4: 28, 3: 10, 2: 5, 1: 7}


class ChatPlanner(People):
    """Plans visits one at a time, in the order they began; remembers each customer's conversation,
    when they last wrote and when they were last asked for NPS."""

    def __init__(self, seed: object, context: ChatContext):
        self.seed = seed
        self.rng = random.Random(seed)
        self.c = context
        self._begun: Dict[Tuple[str, datetime], int] = {}  # visits begun at the same moment, to key their generators
        self.conversation_of: Dict[int, Tuple[str, datetime]] = {}  # customer -> (conversation, its last message)
        self.nps_asked: Dict[int, datetime] = {}
        self.refund_tickets: Dict[str, TicketPlan] = {}  # order -> its missed-refund ticket (one per order)
        self._lang = "tr"  # the language of the visit being planned
        self._start = context.now  # when the visit being planned begins
        self.last_seen: Dict[int, datetime] = {}  # customer -> their latest visit

    # --- who and what ------------------------------------------------------------------------
    def _begin(self, kind: str, start: datetime) -> None:
        """Each visit draws from its own generator, keyed by the seed, its kind and when it began."""
        count = self._begun[(kind, start)] = self._begun.get((kind, start), 0) + 1
        self.rng = random.Random(f"{self.seed}:{kind}:{start.isoformat()}:{count}")
        self._start = start

    def visit(self, start: datetime, day: Day) -> Optional[Visit]:
        self._begin("visit", start)
        factor = {"complaint": 1.8, "order_status": 1.4} if day.after_campaign else None
        flow = pick(self.rng, FLOWS, factor)
        order = self._order_for(flow, start)
        if flow in ("order_status", "return_request", "return_status", "cancel_order") and order is None:
            flow = "faq"
        customer = self.c.shop.customer(order.customer_id) if order else self._maybe_customer(flow)
        language = self._lang = self._language(customer)
        script = Script(self.rng, start, language)
        visit = Visit("", start, language, customer.id if customer else None, script.lines)
        getattr(self, f"_{flow}")(script, visit, customer, order, day)
        return self._finish(visit)

    def return_opened(self, item: ShopReturn, day: Day) -> Optional[Visit]:
        """The chat in which a return of the demo store was opened (at its opening time)."""
        self._begin("return", item.opened_at)
        order = self.c.shop.orders[item.order_no]
        customer = self.c.shop.customer(order.customer_id)
        language = self._lang = self._language(customer)
        script = Script(self.rng, item.opened_at - timedelta(minutes=4), language)
        visit = Visit("", script.t, language, customer.id, script.lines, order_no=order.order_no)
        lang = language
        script.shopper(self._say(L.RETURN_REQUEST), "return_request", True)
        self._prove(script, customer, order)
        script.bot(actions_texts.say("ask_return_item", lang), [actions_texts.quick_reply(i) for i in order.items])
        script.shopper(item.product, "inform", True)
        reasons = actions_texts.RETURN_REASON_LABELS
        script.bot(actions_texts.say("ask_return_reason", lang), actions_texts.option_buttons(reasons.values(), lang))
        reason = reasons.get(item.reason, reasons["vazgectim"])[lang]
        script.shopper(reason, "inform", True)
        script.bot(actions_texts.say("return_confirm", lang, product=item.product, reason=reason))
        script.shopper(self._say(L.AFFIRM), "affirm", True)
        refund_by = actions_texts.format_date(item.refund_by, lang)
        script.bot(actions_texts.say("return_created", lang, rma_code=item.rma_code, cargo_code=item.cargo_code or "-",
                                     refund_by=refund_by, amount=actions_texts.format_money(item.refund_kurus, lang)))
        self._closing(script, visit, customer, order, day)
        return self._finish(visit)

    def order_cancelled(self, order: ShopOrder, day: Day) -> Optional[Visit]:
        """The chat in which a cancelled order of the demo store was cancelled."""
        self._begin("cancel", order.cancelled_at)
        customer = self.c.shop.customer(order.customer_id)
        language = self._lang = self._language(customer)
        script = Script(self.rng, order.cancelled_at - timedelta(minutes=3), language)
        visit = Visit("", script.t, language, customer.id, script.lines, order_no=order.order_no)
        script.shopper(self._say(L.CANCEL_ORDER), "cancel_order", True)
        self._prove(script, customer, order)
        script.bot(actions_texts.say("cancel_confirm", language, order_no=order.order_no, items=", ".join(order.items)))
        script.shopper(self._say(L.AFFIRM), "affirm", True)
        script.bot(actions_texts.say("cancel_done", language, order_no=order.order_no))
        self._closing(script, visit, customer, order, day)
        return self._finish(visit)

    def _order_for(self, flow: str, start: datetime) -> Optional[ShopOrder]:
        if flow not in ("order_status", "return_request", "return_status", "cancel_order", "complaint"):
            return None
        recent = [o for o in self.c.shop.orders.values() if start - timedelta(days=40) <= o.placed_at < start]
        if flow == "return_status":
            recent = [o for o in recent if any(r.opened_at < start for r in self.c.shop.returns_of.get(o.order_no, []))]
        elif flow == "return_request":
            recent = [o for o in recent if o.delivered_at is not None and o.delivered_at < start]
        elif flow == "cancel_order":
            recent = [o for o in recent if start - o.placed_at < timedelta(days=10)]
        elif flow == "complaint" and self.rng.random() < 0.3:
            return None  # an anonymous shopper's complaint
        if self.rng.random() > REPEAT_CONTACT:  # most customers write again only after a week or more
            recent = [o for o in recent if self._rested(o.customer_id, start)]
        if not recent:
            return None
        weights = [4 if o.state_at(start) in ("kargoya_verildi", "teslim_edilemedi") else
                   2 if start - o.placed_at < timedelta(days=7) else 1 for o in recent]
        return self.rng.choices(recent, weights=weights)[0]

    def _maybe_customer(self, flow: str) -> Optional[ShopCustomer]:
        """A shopper signed in on the storefront, now and then."""
        if flow in ("faq", "small_talk", "request_human", "missed") and self.rng.random() < 0.12:
            rested = [c for c in self.c.shop.customers if self._rested(c.id, self._start)]
            return self.rng.choice(rested) if rested else None
        return None

    def _rested(self, customer_id: int, moment: datetime) -> bool:
        last = self.last_seen.get(customer_id)
        return last is None or moment - last > REPEAT_WINDOW

    def _language(self, customer: Optional[ShopCustomer]) -> str:
        if customer is not None:
            return "en" if customer.id in self.c.english else "tr"
        return "en" if self.rng.random() < ENGLISH_SHARE else "tr"

    def _say(self, options: Dict[str, List[str]], language: Optional[str] = None, **values) -> str:
        return self.rng.choice(options[language or self._lang]).format(**values)

    # --- flows ---------------------------------------------------------------------------------
    def _opening(self, script: Script) -> None:
        if self.rng.random() < 0.4:
            script.shopper(self._say(L.GREETINGS), "greet", True)
            script.bot(L.ASSISTANT_GREETING[script.language])

    def _faq(self, script, visit, customer, order, day, topic: Optional[str] = None) -> None:
        self._opening(script)
        if self.rng.random() < 0.06:  # a miss first, then the same need in other words
            self._miss(script)
        self._ask_topic(script, topic or pick(self.rng, FAQ_WEIGHTS))
        if self.rng.random() < 0.2:
            self._ask_topic(script, pick(self.rng, FAQ_WEIGHTS))
        if self.rng.random() < 0.03:
            self._hand_over(script, visit, customer, "requested", "general", day, self._say(L.REQUEST_HUMAN))
            return
        self._closing(script, visit, customer, None, day)

    def _ask_topic(self, script: Script, name: str) -> None:
        topic = self.c.topics[name]
        lang = script.language
        script.shopper(self.rng.choice(topic.questions[lang]), f"faq/{name}", True)
        script.bot(topic.answer[lang])

    def _order_status(self, script, visit, customer, order, day) -> None:
        self._opening(script)
        lang = script.language
        script.shopper(self._say(L.ORDER_STATUS, order_no=order.order_no), "order_status", True)
        if self.rng.random() < 0.03:
            self._locked_out(script, visit, customer, order, day)
            return
        self._prove(script, customer, order)
        visit.order_no = order.order_no
        state = order.state_at(script.t)
        script.bot(self._order_reply(order, state, script.t, lang))
        late = state in ("kargoya_verildi", "teslim_edilemedi")
        if late and self.rng.random() < (0.35 if day.after_campaign else 0.22):
            self._hand_over(script, visit, customer, "frustration", "shipping", day, self._say(L.FRUSTRATED))
        elif self.rng.random() < 0.06:
            self._hand_over(script, visit, customer, "requested", "shipping", day, self._say(L.REQUEST_HUMAN))
        else:
            self._closing(script, visit, customer, order, day)

    def _return_request(self, script, visit, customer, order, day) -> None:
        self._opening(script)
        lang = script.language
        script.shopper(self._say(L.RETURN_REQUEST), "return_request", True)
        self._prove(script, customer, order)
        visit.order_no = order.order_no
        deadline = return_deadline(order)
        if deadline is not None and deadline < script.t:
            script.bot(actions_texts.say("return_window_passed", lang, order_no=order.order_no,
                                         return_deadline=actions_texts.format_date(deadline, lang)))
            if self.rng.random() < 0.35:
                self._hand_over(script, visit, customer, "requested", "returns", day, self._say(L.REQUEST_HUMAN))
                return
        else:
            script.bot(actions_texts.say("ask_return_item", lang), [actions_texts.quick_reply(i) for i in order.items])
            script.shopper("vazgeçtim" if lang == "tr" else "never mind", "stop", True)
            script.bot(actions_texts.say("flow_stopped", lang))
            if self.rng.random() < 0.5:
                self._ask_topic(script, "exchange")
        self._closing(script, visit, customer, order, day)

    def late_refund(self, item: ShopReturn, moment: datetime, day: Day) -> Optional[Visit]:
        """A customer asks about a refund whose promised day has passed (the chat opens a ticket)."""
        self._begin("late_refund", moment)
        order = self.c.shop.orders[item.order_no]
        customer = self.c.shop.customer(order.customer_id)
        language = self._lang = self._language(customer)
        script = Script(self.rng, moment, language)
        visit = Visit("", moment, language, customer.id, script.lines)
        self._return_status(script, visit, customer, order, day, item)
        return self._finish(visit)

    def _return_status(self, script, visit, customer, order, day, item: Optional[ShopReturn] = None) -> None:
        self._opening(script)
        lang = script.language
        item = item or next(r for r in self.c.shop.returns_of[order.order_no] if r.opened_at < script.t)
        script.shopper(self._say(L.RETURN_STATUS), "return_status", True)
        script.bot(actions_texts.say("ask_order_no", lang))
        script.shopper(item.rma_code, "inform", True)
        script.bot(L.ASK_PROOF[lang])
        script.shopper(customer.email, "inform", True)
        visit.order_no = order.order_no
        # a return refunded by now was still being inspected in its first days
        recent = script.t - item.opened_at <= timedelta(days=10) and item.status.startswith("iade")
        status = "inceleniyor" if recent else item.status
        stage = actions_texts.RETURN_STAGES.get(status, actions_texts.RETURN_STAGES["inceleniyor"])[lang]
        line = actions_texts.say("return_stage", lang, rma_code=item.rma_code, product=item.product, stage=stage)
        late = item.refund_late(script.t)
        if late:
            line += actions_texts.say("refund_overdue", lang, promised=actions_texts.format_day_on(item.refund_by, lang))
        elif item.open and item.status != "acildi":
            line += actions_texts.say("refund_expected", lang, refund_by=actions_texts.format_date(item.refund_by, lang))
        script.bot(line)
        if late:
            self._missed_refund(script, visit, customer, order, item)
        if late and self.rng.random() < 0.3:
            self._hand_over(script, visit, customer, "frustration", "returns", day, self._say(L.FRUSTRATED))
            return
        self._closing(script, visit, customer, order, day)

    def _missed_refund(self, script, visit, customer, order, item: ShopReturn) -> None:
        """A missed refund date becomes a ticket by itself, once per order (actions/returns.py)."""
        lang = script.language
        plan = self.refund_tickets.get(order.order_no)
        if plan is not None:
            script.bot(fill=lambda: actions_texts.say("refund_followup_exists", lang, code=plan.ticket.code))
            return
        stage = actions_texts.RETURN_STAGES.get(item.status, {}).get(lang, item.status)
        items = actions_texts.say("missed_refund_item", lang, rma_code=item.rma_code, product=item.product, stage=stage,
                                  refund_by=actions_texts.format_date(item.refund_by, lang))
        text = actions_texts.say("missed_refund_ticket", lang, returns=items)
        plan = TicketPlan(NewTicket("missed_promise", "iade", lang, text, customer.id, customer.email, order_no=order.order_no),
                          script.t + timedelta(seconds=1), customer_name=customer.first_name)
        self.refund_tickets[order.order_no] = plan
        visit.tickets.append(plan)
        script.bot(fill=lambda: actions_texts.say("refund_followup_opened", lang, code=plan.ticket.code,
                                                  due=actions_texts.format_due(plan.ticket.first_response_due, lang)))

    def _cancel_order(self, script, visit, customer, order, day) -> None:
        self._opening(script)
        lang = script.language
        script.shopper(self._say(L.CANCEL_ORDER), "cancel_order", True)
        self._prove(script, customer, order)
        visit.order_no = order.order_no
        state = order.state_at(script.t)
        values = {"order_no": order.order_no}
        if state in ("hazirlaniyor", "odeme_bekleniyor"):
            script.bot(actions_texts.say("cancel_confirm", lang, items=", ".join(order.items), **values))
            script.shopper("hayır vazgeçtim" if lang == "tr" else "no, keep it", "deny", True)
            script.bot(actions_texts.say("cancel_kept", lang, **values))
        else:
            key = {"kargoya_verildi": "cancel_shipped", "teslim_edilemedi": "cancel_shipped",
                   ORDER_DELIVERED: "cancel_delivered", "iptal_edildi": "cancel_already"}.get(state, "cancel_in_return")
            script.bot(actions_texts.say(key, lang, **values))
            if key == "cancel_shipped" and self.rng.random() < 0.15:
                self._hand_over(script, visit, customer, "requested", "shipping", day, self._say(L.REQUEST_HUMAN))
                return
        self._closing(script, visit, customer, order, day)

    def _complaint(self, script, visit, customer, order, day) -> None:
        self._opening(script)
        lang = script.language
        category = pick(self.rng, L.COMPLAINT_WEIGHTS, {"kargo": 2.0} if day.after_campaign else None)
        words = self._say(L.COMPLAINTS[category])
        script.shopper(words, "complaint", True)
        labels = actions_texts.COMPLAINT_CATEGORIES
        script.bot(actions_texts.say("ask_complaint_category", lang), actions_texts.option_buttons(labels.values(), lang))
        script.shopper(labels[category][lang], "inform", True)
        email = customer.email if customer else None
        shown = actions_texts.mask_email(email) if email else None  # the chat names an address on file masked
        if email is None:  # an anonymous shopper is asked where the answer can go; some go on without
            skip = actions_texts.SKIP_EMAIL
            script.bot(actions_texts.say("ask_contact_email", lang), actions_texts.option_buttons([skip], lang))
            if self.rng.random() < 0.8:
                email = shown = self.rng.choice(L.ANONYMOUS_EMAILS)
                script.shopper(email, "inform", True)
            else:
                script.shopper(skip[lang], "inform", True)
        plan = TicketPlan(NewTicket("complaint", category, lang, words, customer.id if customer else None, email,
                                    order_no=order.order_no if order else None), script.t + timedelta(seconds=1),
                          customer_name=customer.first_name if customer else "")
        visit.tickets.append(plan)
        visit.order_no = order.order_no if order else None

        def recorded() -> str:
            due = actions_texts.format_due(plan.ticket.first_response_due, lang)
            if shown:
                return actions_texts.say("complaint_recorded", lang, reference=plan.ticket.code, due=due, email=shown)
            return actions_texts.say("complaint_recorded_no_contact", lang, reference=plan.ticket.code, due=due)
        script.bot(fill=recorded)
        if category == "urun":  # a broken, wrong or incomplete item also needs the way back
            script.bot(actions_texts.say("complaint_return_offer", lang))
        if self.rng.random() < 0.12:
            self._hand_over(script, visit, customer, "frustration", TOPIC_OF_CATEGORY[category], day, self._say(L.FRUSTRATED))
            return
        self._closing(script, visit, customer, order, day)

    def _request_human(self, script, visit, customer, order, day) -> None:
        self._opening(script)
        text = HUMAN_BUTTON[script.language] if self.rng.random() < 0.4 else self._say(L.REQUEST_HUMAN)
        topic = pick(self.rng, {"shipping": 3, "returns": 2, "payment": 1, "general": 2})
        self._hand_over(script, visit, customer, "requested", topic, day, text)

    def _missed(self, script, visit, customer, order, day) -> None:
        self._opening(script)
        first = self._miss(script)
        if self.rng.random() < 0.45:
            self._ask_topic(script, pick(self.rng, FAQ_WEIGHTS))
            self._closing(script, visit, customer, None, day)
            return
        again = first.upper() if self.rng.random() < 0.4 else self._say(L.MISSED)
        script.shopper(again, "nlu_fallback", False, escalates=True)
        script.bot(actions_texts.say("misunderstood_again", script.language))
        self._hand_over(script, visit, customer, "repeated_fallback", "missed", day, None)

    def _miss(self, script: Script) -> str:
        text = self._say(L.MISSED, script.language)
        script.shopper(text, "nlu_fallback", False)
        script.bot(actions_texts.say("misunderstood", script.language), [HUMAN_BUTTON_REPLY[script.language]])
        return text

    def _small_talk(self, script, visit, customer, order, day) -> None:
        if self.rng.random() < 0.5:
            script.shopper(self._say(L.GREETINGS), "greet", True)
            script.bot(L.ASSISTANT_GREETING[script.language])
        else:
            script.shopper(self._say(L.OUT_OF_SCOPE), "out_of_scope", False)
            script.bot(L.OUT_OF_SCOPE_ANSWER[script.language])

    # --- pieces ---------------------------------------------------------------------------------
    def _prove(self, script: Script, customer: ShopCustomer, order: ShopOrder) -> None:
        lang = script.language
        script.bot(actions_texts.say("ask_order_no", lang))
        script.shopper(self._say(L.ORDER_NUMBER, order_no=order.order_no), "inform", True)
        script.bot(L.ASK_PROOF[lang])
        script.shopper(customer.email if self.rng.random() < 0.6 else customer.phone_last4, "inform", True)

    def _locked_out(self, script, visit, customer, order, day) -> None:
        lang = script.language
        script.bot(actions_texts.say("ask_order_no", lang))
        script.shopper(order.order_no, "inform", True)
        for guess in ("1234", "0000", "4321"):
            script.bot(L.ASK_PROOF[lang] if guess == "1234" else actions_texts.say("verification_failed", lang))
            script.shopper(guess, "inform", True)
        wait = "15 dakika" if lang == "tr" else "15 minutes"
        script.lines[-1].escalates = True
        script.bot(actions_texts.say("verification_locked", lang, wait=wait))
        self._hand_over(script, visit, customer, "verification_locked", "shipping", day, None)

    def _order_reply(self, order: ShopOrder, state: str, moment: datetime, lang: str) -> str:
        date = lambda value: actions_texts.format_date(value, lang)  # noqa: E731
        values = {"order_no": order.order_no, "estimated": date(order.estimated_delivery), "carrier": order.carrier or "-",
                  "tracking_no": order.tracking_no or "-", "tracking_url": order.tracking_url or "-",
                  "shipped": date(order.shipped_at), "delivered": date(order.delivered_at),
                  "cancelled": date(order.cancelled_at), "return_deadline": date(return_deadline(order)),
                  "returns": ", ".join(r.rma_code for r in self.c.shop.returns_of.get(order.order_no, [])) or "-"}
        key = f"status_{state}"
        if state == ORDER_DELIVERED and return_deadline(order) < moment:
            key += "_window_passed"
        return actions_texts.say(key, lang, **values)

    def _closing(self, script: Script, visit: Visit, customer: Optional[ShopCustomer], order: Optional[ShopOrder],
                 day: Day) -> None:
        """Thanks, then the CSAT question (asked once per contact) and perhaps NPS."""
        if self.rng.random() > 0.55:
            return
        script.shopper(self._say(L.THANKS, script.language), "thank", True)
        script.bot(L.ASSISTANT_WELCOME[script.language])
        if not any(answers(line.intent) and line.understood for line in script.lines if line.sender == "shopper"):
            return
        self._survey(script, visit, customer, order, "ask_csat", CSAT_BOT, answer_rate=0.4)

    # --- the conversation it belongs to -----------------------------------------------------------
    def _finish(self, visit: Visit) -> Optional[Visit]:
        if visit.ended_at >= self.c.now - timedelta(minutes=5) or any(t.at >= self.c.now for t in visit.tickets):
            return None  # still going on: the history ends a little before now
        visit.started_at = visit.lines[0].at
        visit.conversation_id = self._conversation(visit)
        if visit.customer_id is not None:
            self.last_seen[visit.customer_id] = visit.started_at
        for plan in visit.tickets:  # a ticket links the chat it started in
            plan.new = replace(plan.new, conversation_id=visit.conversation_id)
        return visit

    def _conversation(self, visit: Visit) -> str:
        customer = visit.customer_id
        known = self.conversation_of.get(customer) if customer is not None else None
        if known and visit.started_at - known[1] > CONTACT_IDLE and self.rng.random() < SAME_CONVERSATION:
            conversation_id = known[0]
        else:
            conversation_id = f"demo-{self.rng.getrandbits(80):020x}"
        if customer is not None:
            self.conversation_of[customer] = (conversation_id, visit.ended_at)
        return conversation_id


HUMAN_BUTTON_REPLY = {lang: actions_texts.quick_reply(text) for lang, text in HUMAN_BUTTON.items()}


def visit_reason(visit: Visit) -> Optional[str]:
    """The contact's reason as the bridge records it: the first need the assistant recognised."""
    for line in visit.lines:
        if line.sender == "shopper" and line.intent and (line.understood or line.intent == "out_of_scope"):
            reason = contact_reason(line.intent)
            if reason:
                return reason
    return None


def visit_answered(visit: Visit) -> bool:
    return any(answers(line.intent) and line.understood and not line.escalates
               for line in visit.lines if line.sender == "shopper")
