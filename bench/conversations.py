"""Scripted shopper conversations, in Turkish and English, that the assistant answers from its
knowledge base (phrases as in tests/integration/), and the order-status conversation on a demo
store order (data/demo_store.json `edge_cases`)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Tuple

from bot.settings import PROJECT_ROOT

DEMO_STORE = json.loads((PROJECT_ROOT / "data" / "demo_store.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Script:
    name: str
    language: str
    turns: Tuple[str, ...]


FAQ_SCRIPTS = (
    Script("tr-shipping-returns", "tr", ("merhaba", "kargo ücreti ne kadar", "iade süresi kaç gün", "teşekkürler")),
    Script("tr-payment", "tr", ("selam", "taksit var mı", "hangi ödeme yöntemlerini kabul ediyorsunuz", "tamamdır sağol")),
    Script("en-shipping", "en", ("hello", "how much does shipping cost", "how long does delivery take", "thanks")),
    Script("en-payment", "en", ("hi", "can I pay in installments?", "how long does a refund take", "thank you")),
)

# The order is in transit; its owner proves it with their e-mail (order -> customer in the demo store).
ORDER_NO = DEMO_STORE["edge_cases"]["in_transit"]
_ORDER = next(o for o in DEMO_STORE["orders"] if o["order_no"] == ORDER_NO)
ORDER_EMAIL = next(c["email"] for c in DEMO_STORE["customers"] if c["id"] == _ORDER["customer_id"])
TRACKING_NO = _ORDER["tracking_no"]

ORDER_SCRIPT = Script("tr-order-status", "tr", (f"{ORDER_NO} nolu siparişim nerede", f"mailim {ORDER_EMAIL}"))

HANDOFF_TEXT = "bir temsilciyle görüşmek istiyorum"
AGENT_REPLY = "Merhaba, ben Ayşe. Siparişinizle hemen ilgileniyorum."

# What the simulated shoppers of the load test talk about: mostly questions, sometimes an order.
LOAD_MIX = FAQ_SCRIPTS * 2 + (ORDER_SCRIPT,)
