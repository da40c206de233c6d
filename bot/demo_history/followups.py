"""Follow-up e-mails after delivery in the demo history, their answers, and the tickets that
follow from an answer of 1 or 2 (low_score).

The e-mails go out as the follow-up job sends them (FOLLOWUP_DELAY after delivery, to customers
with marketing consent, once per order); about two in five are answered.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import List, Set

from bot.demo_history import lines as L
from bot.demo_history.plans import EmailPlan, TicketPlan
from bot.demo_history.shop import Shop
from bot.tickets.store import NewTicket

FOLLOWUP_DELAY = timedelta(days=2)
ANSWER_RATE = 0.4
SCORES = {5: 50, 4: 25, 3: 10, 2: 8, 1: 7}


def plan_emails(seed: object, shop: Shop, start: datetime, now: datetime, english: Set[int],
                already_sent: Set[str]) -> List[EmailPlan]:
    emails: List[EmailPlan] = []
    for order in shop.delivered_between(start - FOLLOWUP_DELAY, now):
        rng = random.Random(f"{seed}:email:{order.order_no}")
        customer = shop.customer(order.customer_id)
        sent_at = order.delivered_at + FOLLOWUP_DELAY + timedelta(minutes=rng.uniform(0, 60))
        if not customer.marketing_consent or order.order_no in already_sent or not start <= sent_at < now:
            continue
        email = EmailPlan(order.order_no, customer.id, customer.email, "en" if customer.id in english else "tr", sent_at)
        answered_at = sent_at + timedelta(hours=rng.uniform(1, 48))
        if rng.random() < ANSWER_RATE and answered_at < now - timedelta(minutes=5):
            email.answered_at = answered_at
            email.order_score = rng.choices(list(SCORES), weights=list(SCORES.values()))[0]
            email.service_score = min(5, max(1, email.order_score + rng.choice((-1, 0, 0, 1))))
            if rng.random() < 0.5 or is_low(email):
                email.comment = rng.choice((L.FOLLOWUP_COMMENT_LOW if is_low(email) else L.FOLLOWUP_COMMENT_HIGH)[email.language])
        emails.append(email)
    answered = [e for e in emails if e.answered_at is not None]
    if answered and not any(is_low(e) for e in answered):  # the demo shows what a low answer leads to
        e = answered[0]
        e.order_score, e.service_score = 2, 3
        e.comment = L.FOLLOWUP_COMMENT_LOW[e.language][0]
    return emails


def is_low(email: EmailPlan) -> bool:
    return email.answered_at is not None and min(email.order_score, email.service_score) <= 2


def low_score_tickets(shop: Shop, emails: List[EmailPlan]) -> List[TicketPlan]:
    plans = []
    for email in filter(is_low, emails):
        about_shipping = "kargo" in (email.comment or "").lower() or "late" in (email.comment or "").lower()
        category = "hizmet" if email.service_score < email.order_score else ("kargo" if about_shipping else "urun")
        scores = (f"Sipariş {email.order_score}/5, hizmet {email.service_score}/5" if email.language == "tr"
                  else f"Order {email.order_score}/5, service {email.service_score}/5")
        text = f"{scores}. {email.comment}" if email.comment else scores
        plans.append(TicketPlan(NewTicket("low_score", category, email.language, text, email.customer_id, email.email,
                                          order_no=email.order_no, channel="email"),
                                email.answered_at + timedelta(seconds=2),
                                customer_name=shop.customer(email.customer_id).first_name))
    return plans
