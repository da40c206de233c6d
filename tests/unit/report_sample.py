"""A hand-written report in the shape of docs/reports.md ("The report object"), for the tests of
the charts, the CSV and the HTML report without a database."""
import copy


def totals(contacts, contained, handoffs, shopper_messages, not_understood, queue, first_response, handling,
           csat, nps, repeat):
    """TOTALS from a few numbers: csat = (count, mean, satisfied), nps = (promoters, passives, detractors)."""
    csat_count, csat_mean, satisfied = csat
    promoters, passives, detractors = nps
    nps_count = promoters + passives + detractors
    return {
        "contacts": contacts, "contained": contained,
        "containment_rate": contained / contacts if contacts else None,
        "handoffs": handoffs, "handoff_rate": handoffs / contacts if contacts else None,
        "shopper_messages": shopper_messages, "not_understood": not_understood,
        "fallback_rate": not_understood / shopper_messages if shopper_messages else None,
        "queue_seconds": queue, "first_response_seconds": first_response, "handling_seconds": handling,
        "csat_count": csat_count, "csat_mean": csat_mean if csat_count else None,
        "csat_satisfied_rate": satisfied / csat_count if csat_count else None,
        "nps_count": nps_count,
        "nps": (promoters - detractors) * 100 / nps_count if nps_count else None,
        "promoters": promoters, "passives": passives, "detractors": detractors,
        "repeat_contacts": repeat, "repeat_rate": repeat / contacts if contacts else None,
    }


EMPTY = totals(0, 0, 0, 0, 0, None, None, None, (0, None, 0), (0, 0, 0), 0)

DAYS = [("2026-11-23", "23 Kas"), ("2026-11-24", "24 Kas"), ("2026-11-25", "25 Kas"), ("2026-11-26", "26 Kas"),
        ("2026-11-27", "27 Kas"), ("2026-11-28", "28 Kas"), ("2026-11-29", "29 Kas")]
WEEKS = [("2026-10-05", "5–11 Eki"), ("2026-10-12", "12–18 Eki"), ("2026-10-19", "19–25 Eki"),
         ("2026-10-26", "26 Eki–1 Kas"), ("2026-11-02", "2–8 Kas"), ("2026-11-09", "9–15 Kas"),
         ("2026-11-16", "16–22 Kas"), ("2026-11-23", "23–29 Kas")]

THIS_WEEK = totals(42, 29, 9, 160, 14, 48.5, 95.0, 410.0, (8, 4.25, 6), (5, 3, 2), 4)
LAST_WEEK = totals(35, 22, 10, 140, 18, 75.0, 130.5, 380.0, (6, 3.5, 3), (2, 3, 3), 5)

DAY_TOTALS = [
    totals(8, 6, 1, 30, 2, 30.0, 70.0, 300.0, (1, 5.0, 1), (1, 0, 0), 1),
    totals(7, 5, 2, 28, 3, 60.0, 100.0, 420.0, (2, 4.0, 2), (1, 1, 0), 0),
    totals(6, 4, 1, 22, 2, 45.0, 90.0, 500.0, (1, 3.0, 0), (0, 1, 1), 1),
    totals(9, 6, 2, 35, 3, 55.0, 110.0, 380.0, (2, 4.5, 2), (2, 0, 0), 1),
    totals(7, 4, 2, 25, 3, 50.0, 100.0, 450.0, (2, 4.0, 1), (1, 1, 1), 1),
    totals(5, 4, 1, 20, 1, 40.0, 85.0, 400.0, (0, None, 0), (0, 0, 0), 0),
    EMPTY,
]

WEEK_TOTALS = [
    totals(30, 18, 9, 120, 20, 90.0, 150.0, 400.0, (5, 3.4, 2), (1, 2, 3), 3),
    totals(33, 20, 9, 130, 19, 85.0, 140.0, 390.0, (6, 3.6, 3), (2, 2, 2), 4),
    totals(0, 0, 0, 0, 0, None, None, None, (0, None, 0), (0, 0, 0), 0),  # a quiet week: every rate empty
    totals(38, 24, 10, 150, 17, 70.0, 120.0, 370.0, (7, 3.9, 5), (3, 2, 2), 5),
    totals(36, 23, 9, 145, 16, 65.0, 125.0, 360.0, (5, 4.0, 4), (2, 2, 1), 3),
    totals(40, 27, 9, 155, 15, 60.0, 110.0, 395.0, (7, 4.1, 5), (3, 1, 2), 4),
    LAST_WEEK,
    THIS_WEEK,
]

REPORT = {
    "period": {"kind": "week", "start": "2026-11-23", "end": "2026-11-30", "label": "23–29 Kasım 2026"},
    "previous": {"kind": "week", "start": "2026-11-16", "end": "2026-11-23", "label": "16–22 Kasım 2026"},
    "filters": {"agent_id": None, "language": None},
    "totals": THIS_WEEK,
    "previous_totals": LAST_WEEK,
    "handoff_reasons": [{"reason": "requested", "count": 4}, {"reason": "frustration", "count": 3},
                        {"reason": "repeated_fallback", "count": 1}, {"reason": "verification_locked", "count": 1}],
    "contact_reasons": [{"reason": "order_status", "count": 12}, {"reason": "faq/shipping_cost", "count": 7},
                        {"reason": "return_request", "count": 5}, {"reason": "faq/refund_time", "count": 4},
                        {"reason": "greet", "count": 4}, {"reason": "faq/new_topic", "count": 2},
                        {"reason": "complaint", "count": 2}, {"reason": "cancel_order", "count": 1}],
    "not_understood": [
        {"text": "kupon kodu calismiyor", "count": 3,
         "examples": ["Kupon kodu çalışmıyor!", "kupon kodu calismiyor"]},
        {"text": "hediye paketi var mi", "count": 2, "examples": ["Hediye paketi var mı?"]},
        {"text": "<script>alert(1)</script>", "count": 1, "examples": ["<script>alert(1)</script>"]},
        {"text": "siparis # ne zaman", "count": 1, "examples": ["sipariş 400142 ne zaman"]},
    ],
    "resolution_tags": [{"tag": "solved", "count": 6}, {"tag": "shipping_delay", "count": 3},
                        {"tag": "return_refund", "count": 2}, {"tag": "custom_tag", "count": 1}],
    "series": [{"start": start, "label": label, **day} for (start, label), day in zip(DAYS, DAY_TOTALS)],
    "trend": [{"start": start, "label": label, **week} for (start, label), week in zip(WEEKS, WEEK_TOTALS)],
    "agents": [
        {"agent_id": 1, "name": "Ayşe K.", **totals(5, 0, 5, 30, 2, 40.0, 80.0, 390.0, (5, 4.4, 4), (3, 1, 1), 1)},
        {"agent_id": 2, "name": "Mehmet <b>Y.</b>", **totals(3, 0, 3, 20, 1, 60.0, 115.0, 450.0, (2, 4.0, 2), (1, 1, 1), 0)},
        {"agent_id": 3, "name": "Zeynep A.", **totals(1, 0, 1, 5, 0, 55.0, 100.0, None, (0, None, 0), (0, 0, 0), 0)},
    ],
    "languages": [
        {"language": "tr", **totals(36, 25, 8, 140, 12, 50.0, 96.0, 415.0, (7, 4.3, 6), (5, 2, 2), 4)},
        {"language": "en", **totals(6, 4, 1, 20, 2, 35.0, 88.0, 370.0, (1, 4.0, 1), (0, 1, 0), 0)},
    ],
}

SUMMARY = [
    "Bu hafta 42 görüşme oldu; önceki haftadan 7 fazla.",
    "Asistan görüşmelerin %69'unu kendi çözdü (önceki hafta %63).",
    "Kuyrukta bekleme ortalama 49 saniyeye indi.",
]


def sample_report() -> dict:
    """A fresh copy, so that a test may change it."""
    return copy.deepcopy(REPORT)
