"""The people in a demo conversation: handoffs (the live queue, an offer that expires, an agent's
chat, the queue closing with the day, an after-hours ticket) and the surveys after a conversation.

A mixin of the chat planner (chats.py): it uses the planner's generator `rng`, context `c`,
`_say` and its NPS memory, so each visit's people draw from that visit's generator.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Sequence, Tuple

from bot.contract import ORDER_DELIVERED
from bot.demo_history import lines as L
from bot.demo_history.plans import HandoffPlan, RatingPlan, TicketPlan, Visit
from bot.demo_history.script import Agent, Script, pick
from bot.demo_history.shop import ShopCustomer, ShopOrder
from bot.demo_history.traffic import Day
from bot.desk import texts as desk_texts
from bot.desk.ticket_desk import FOLLOW_UP_TAG, TAG_CATEGORIES, WORDS_KEPT
from bot.tickets.customer_texts import when
from bot.tickets.store import NewTicket

NPS_INTERVAL = timedelta(days=90)
OFFER_TIMEOUT = 30.0  # seconds: the setting's default
CLOSING_WINDOW = timedelta(minutes=30)  # a chat queued this close to closing time is still waiting when agents leave
CSAT_LIVE = {5: 45, 4: 25, 3: 12, 2: 8, 1: 10}


class People:
    """Handoffs and surveys of the visit being planned (see the module's docstring)."""

    def _survey(self, script: Script, visit: Visit, customer: Optional[ShopCustomer], order: Optional[ShopOrder],
                question: str, scores: Dict[int, int], answer_rate: float) -> None:
        lang = script.language
        script.system(desk_texts.say(question, lang), desk_texts.rating_replies())
        visit.csat_asked_at = script.t
        if self.rng.random() > answer_rate:
            return
        score = pick(self.rng, scores)
        script.shopper(str(score))
        visit.ratings.append(RatingPlan("csat", score, script.t, of_handoff=visit.handoff is not None))
        script.system(desk_texts.say("ask_comment", lang))
        if score <= 2 or self.rng.random() < 0.2:
            comment = self._say(L.CSAT_COMMENT_LOW if score <= 2 else L.CSAT_COMMENT_HIGH, lang)
            script.shopper(comment)
            visit.ratings[-1].comment = comment
        else:
            script.shopper(desk_texts.say("no_comment", lang))
        script.system(desk_texts.say("thanks_rating", lang))
        delivered = order is not None and order.state_at(script.t) == ORDER_DELIVERED
        if score >= 4 and customer is not None and delivered and self._nps_due(customer.id, script.t):
            self.nps_asked[customer.id] = script.t
            visit.nps_asked_at = script.t
            script.system(desk_texts.say("ask_nps", lang))
            if self.rng.random() < 0.7:
                nps = self.rng.choices(range(11), weights=(1, 1, 1, 1, 1, 2, 3, 8, 10, 14, 16))[0]
                script.shopper(str(nps))
                rating = RatingPlan("nps", nps, script.t, of_handoff=visit.handoff is not None)
                visit.ratings.append(rating)
                if nps < 9:
                    script.system(desk_texts.say("ask_nps_reason", lang))
                    rating.comment = self._say(L.NPS_REASON, lang)
                    script.shopper(rating.comment)
                script.system(desk_texts.say("thanks_nps", lang))

    def _nps_due(self, customer_id: int, moment: datetime) -> bool:
        last = self.nps_asked.get(customer_id)
        return last is None or moment - last >= NPS_INTERVAL

    # --- handoffs -------------------------------------------------------------------------------
    def _hand_over(self, script: Script, visit: Visit, customer: Optional[ShopCustomer], reason: str, topic: str,
                   day: Day, text: Optional[str]) -> None:
        """To a person: the queue in support hours, an after-hours ticket outside them."""
        if text is not None:  # a frustrated message escalates before the assistant reads it (no intent)
            intent = "request_human" if reason == "requested" else None
            script.shopper(text, intent, True if intent else None, escalates=True)
        if reason == "frustration":
            visit.frustration = round(self.rng.uniform(0.72, 0.96), 2)
            visit.signals = self.rng.sample(["anger", "capitals", "exclamations", "repetition", "impatience"], 2)
        else:
            visit.frustration = round(self.rng.uniform(0.05, 0.4), 2)
        start = script.t + timedelta(seconds=1)
        open_now = self.c.calendar.is_open(start)
        closing = open_now and not self.c.calendar.is_open(start + CLOSING_WINDOW)
        if not open_now:
            self._after_hours(script, visit, customer, reason, start)
        elif closing and self.rng.random() < 0.7:  # agents leave at closing time: the queue becomes tickets
            self._queue_then_ticket(script, visit, customer, reason, start)
        else:
            self._live(script, visit, customer, reason, topic, day, start)

    def _wait_seconds(self, day: Day, language: str) -> float:
        factor = {"campaign": 3.5, "busy": 1.5}.get(day.kind, 1.0) * (1.8 if day.after_campaign else 1.0)
        factor *= 1.3 if language == "en" else 1.0
        return min(max(self.rng.lognormvariate(math.log(40 * factor), 0.6), 8.0), 1500.0)

    def _agent_for(self, language: str, skip: Sequence[int] = ()) -> Agent:
        fitting = [a for a in self.c.agents if language in a.languages and a.id not in skip]
        return self.rng.choice(fitting or [a for a in self.c.agents if language in a.languages] or self.c.agents)

    def _live(self, script, visit, customer, reason, topic, day, start) -> None:
        lang = script.language
        wait = self._wait_seconds(day, lang)
        minutes = max(1, round(wait / 60))
        script.system(desk_texts.say("queued", lang, position=1 + int(wait // 90), minutes=minutes))
        events: List[Tuple[str, Optional[int], datetime]] = [("queued", None, start)]
        first = self._agent_for(lang)
        events.append(("offered", first.id, start + timedelta(seconds=2)))
        agent = first
        expire_rate = 0.25 if day.kind == "campaign" else 0.1
        if wait > OFFER_TIMEOUT + 5 and self.rng.random() < expire_rate:
            expired = start + timedelta(seconds=2 + OFFER_TIMEOUT)
            agent = self._agent_for(lang, skip=(first.id,))
            events += [("offer_expired", first.id, expired), ("offered", agent.id, expired + timedelta(seconds=1))]
        accepted = start + timedelta(seconds=wait)
        handoff = HandoffPlan(reason, visit.frustration, start, "closed", events)
        visit.handoff = handoff
        if self.rng.random() < 0.05:  # gave up waiting: back to the assistant
            script.wait_until(accepted)
            handoff.status, handoff.closed_at = "handed_back", accepted
            events.append(("handed_back", None, accepted))
            script.system(desk_texts.say("handed_back", lang))
            return
        events.append(("accepted", agent.id, accepted))
        handoff.agent_id, handoff.accepted_at = agent.id, accepted
        script.wait_until(accepted)
        script.system(desk_texts.say("agent_joined", lang, agent=agent.name))
        script.agent(agent.id, self.c.canned["greeting"][lang], 8, 40)
        handoff.first_response_at = script.t
        script.shopper(self._say(L.SHOPPER_IN_CHAT[topic if topic in L.SHOPPER_IN_CHAT else "general"], lang))
        script.agent(agent.id, self.c.canned["checking"][lang], 10, 40)
        script.agent(agent.id, self._say(L.AGENT_CHAT[topic if topic in L.AGENT_CHAT else "general"], lang), 60, 300)
        follow_up = self.rng.random() < 0.12
        if follow_up:
            promise = self.c.canned["cargo_followup"] if topic == "shipping" else L.AGENT_FOLLOW_UP
            script.agent(agent.id, promise[lang], 20, 60)
        script.shopper(self._say(L.SHOPPER_SATISFIED, lang))
        script.agent(agent.id, self.c.canned["goodbye"][lang], 10, 40)
        handoff.closed_at = script.t + timedelta(seconds=self.rng.uniform(5, 30))
        events.append(("closed", agent.id, handoff.closed_at))
        handoff.tags = [FOLLOW_UP_TAG, L.RESOLUTION_TAGS[topic][0]] if follow_up else list(L.RESOLUTION_TAGS[topic])
        script.wait_until(handoff.closed_at)
        if follow_up:  # as bot/desk/ticket_desk.py opens it: the agent's note, the tags' category, owned by the agent
            handoff.note = self._say(L.FOLLOW_UP_NOTE.get(topic, L.FOLLOW_UP_NOTE["general"]), lang)
            category = next((TAG_CATEGORIES[t] for t in handoff.tags if t in TAG_CATEGORIES), "diger")
            plan = TicketPlan(NewTicket("chat_followup", category, lang, handoff.note, customer.id if customer else None,
                                        customer.email if customer else None, order_no=visit.order_no),
                              handoff.closed_at + timedelta(seconds=2), owner=agent.id,
                              customer_name=customer.first_name if customer else "")
            visit.tickets.append(plan)
            script.system(fill=lambda: desk_texts.say("followup_ticket", lang, code=plan.ticket.code))
        self._survey(script, visit, customer, self.c.shop.orders.get(visit.order_no or ""), "closed", CSAT_LIVE,
                     answer_rate=0.55)

    def _queue_then_ticket(self, script, visit, customer, reason, start) -> None:
        """Queued as support closes; nobody is left to take it: a ticket and an e-mail reply."""
        lang = script.language
        first = self._agent_for(lang)
        script.system(desk_texts.say("queued", lang, position=3, minutes=5))
        expired = start + timedelta(seconds=2 + OFFER_TIMEOUT)
        closes = start + self.c.calendar.between(start, start + CLOSING_WINDOW)  # open without a break until then
        moved = max(closes, expired) + timedelta(seconds=self.rng.uniform(30, 120))  # the desk's watch sees it
        events = [("queued", None, start), ("offered", first.id, start + timedelta(seconds=2)),
                  ("offer_expired", first.id, expired), ("ticketed", None, moved)]  # as Conversations.queue_to_ticket
        script.wait_until(moved)
        self._ticket_handoff(script, visit, customer, reason, start, events, "queue_closed_ask_email")

    def _after_hours(self, script, visit, customer, reason, start) -> None:
        self._ticket_handoff(script, visit, customer, reason, start, [("ticket", None, start)], "after_hours_ask_email")

    def _ticket_handoff(self, script, visit, customer, reason, start, events, ask_email: str) -> None:
        """The shopper's address (asked for when not known), then an after-hours ticket with their last words."""
        lang = script.language
        email = customer.email if customer else None
        if email is None:
            script.system(desk_texts.say(ask_email, lang))
            email = self.rng.choice(L.ANONYMOUS_EMAILS)
            script.shopper(email)
        words = "\n".join([line.text for line in script.lines if line.sender == "shopper"][-WORDS_KEPT:])
        visit.handoff = HandoffPlan(reason, visit.frustration, start, "ticket", events, ticket_email=email)
        plan = TicketPlan(NewTicket("after_hours", "diger", lang, words, customer.id if customer else None, email),
                          script.t + timedelta(seconds=1), customer_name=customer.first_name if customer else "")
        visit.tickets.append(plan)
        script.system(fill=lambda: desk_texts.say("after_hours_ticket", lang, code=plan.ticket.code, email=email,
                                                  due=when(plan.ticket.first_response_due, lang)))
