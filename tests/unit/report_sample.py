"""A hand-written report in the shape of docs/reports.md ("The report object"), for the tests of
the charts, the CSV and the HTML report without a database."""
import copy


def totals(contacts, contained, handoffs, shopper_messages, not_understood, queue, first_response, handling,
           csat, nps, repeat, not_taken=(0, 0, 0), tickets=(0, 0, None, None, None, 0)):
    """TOTALS from a few numbers: csat = (count, mean, satisfied), nps = (promoters, passives, detractors),
    not_taken = (queued then ticketed, after-hours tickets, left the queue), tickets = (opened, resolved,
    SLA met rate, first response and resolution medians in support seconds, backlog)."""
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
        "queued_then_ticketed": not_taken[0], "after_hours_tickets": not_taken[1], "left_queue": not_taken[2],
        **dict(zip(["tickets_opened", "tickets_resolved", "tickets_sla_met_rate",
                    "tickets_first_response_median_seconds", "tickets_resolution_median_seconds", "tickets_backlog"],
                   tickets)),
    }


def ticket_totals(opened, resolved, first_response, resolution, sla, reopened, backlog, oldest, ratings):
    """The tickets' figures: sla = (met, decided), ratings = (count, mean); times in support seconds."""
    met, decided = sla
    count, mean = ratings
    return {
        "opened": opened, "resolved": resolved, "first_responses": resolved,
        "first_response_median_seconds": first_response, "first_response_p90_seconds": first_response,
        "resolution_median_seconds": resolution, "resolution_p90_seconds": resolution,
        "sla_targets": decided, "sla_met": met, "sla_met_rate": met / decided if decided else None,
        "first_response_sla_rate": met / decided if decided else None, "resolution_sla_rate": None,
        "reopened": reopened, "reopen_rate": reopened / resolved if resolved else None,
        "backlog": backlog, "backlog_age_median_seconds": oldest, "backlog_oldest_seconds": oldest,
        "ratings": count, "rating_mean": mean,
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

TICKETS = {
    "running": False,
    "totals": ticket_totals(12, 9, 3 * 3600.0, 20 * 3600.0, (15, 18), 1, 4, 80 * 3600.0, (5, 4.2)),
    "previous_totals": ticket_totals(8, 8, 5 * 3600.0, 26 * 3600.0, (12, 16), 0, 1, 30 * 3600.0, (3, 3.7)),
    "categories": [
        {"category": "kargo", "previous_opened": 4, **ticket_totals(7, 5, 2 * 3600.0, 18 * 3600.0, (9, 10), 1, 2,
                                                                   80 * 3600.0, (3, 4.0))},
        {"category": "<b>yeni</b>", "previous_opened": 0, **ticket_totals(3, 2, 4 * 3600.0, 22 * 3600.0, (4, 5), 0,
                                                                         1, 10 * 3600.0, (1, 5.0))},
        {"category": "urun", "previous_opened": 4, **ticket_totals(2, 2, 3 * 3600.0, 20 * 3600.0, (2, 3), 0, 1,
                                                                  5 * 3600.0, (1, 4.0))},
    ],
    "channels": [{"channel": "chat", **ticket_totals(10, 8, 3 * 3600.0, 20 * 3600.0, (13, 15), 1, 3, 80 * 3600.0,
                                                      (4, 4.0))},
                 {"channel": "email", **ticket_totals(2, 1, 2 * 3600.0, 22 * 3600.0, (2, 3), 0, 1, 9 * 3600.0,
                                                       (1, 5.0))}],
    "sources": [{"source": "complaint", **ticket_totals(8, 6, 3 * 3600.0, 20 * 3600.0, (10, 12), 1, 2, 80 * 3600.0,
                                                         (3, 4.0))},
                {"source": "after_hours", **ticket_totals(4, 3, 4 * 3600.0, 20 * 3600.0, (5, 6), 0, 2, 12 * 3600.0,
                                                           (2, 4.5))}],
    "agents": [{"agent_id": 1, "name": "Ayşe K.", **ticket_totals(6, 5, 2 * 3600.0, 18 * 3600.0, (8, 9), 1, 2,
                                                                  80 * 3600.0, (3, 4.33))},
               {"agent_id": 2, "name": "Mehmet <b>Y.</b>", **ticket_totals(6, 4, 4 * 3600.0, 22 * 3600.0, (7, 9), 0,
                                                                          2, 12 * 3600.0, (2, 4.0))}],
}
REPORT["tickets"] = TICKETS

SUMMARY = [
    "Bu hafta 42 görüşme oldu; önceki haftadan 7 fazla.",
    "Asistan görüşmelerin %69'unu kendi çözdü (önceki hafta %63).",
    "Kuyrukta bekleme ortalama 49 saniyeye indi.",
]


def sample_report() -> dict:
    """A fresh copy, so that a test may change it."""
    return copy.deepcopy(REPORT)
