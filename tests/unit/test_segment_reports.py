"""CSAT and contact reasons by customer segment (bot/reports/segments.py) against figures worked out
by hand, on a small database with the shop's tables and the desk's, and their place in the CSV, the
HTML report, the dashboard's labels and the summary.

The week of Monday 16 November 2026 in Istanbul (15 November 21:00 to 22 November 21:00 UTC). Each
contact counts in the segments its customer was in when it began (rules: 5 orders or 10.000 TL in the
12 months before, a return opened in the 30 days before, a ticket open then). Times below are UTC.

  K1  Vera    17 Nov 09:00  order_status      taken by an agent  CSAT 2   vip (5 orders in 12 months) + open_ticket
  K2  Vera    20 Nov 09:00  order_status                         CSAT 4   none: the 19 Nov 2025 order has aged out,
                                                                          her ticket was resolved on 18 Nov
  K3  Sami    18 Nov 10:00  faq/shipping_cost                    CSAT 5   vip (one 12.000 TL order); NPS 9 is no CSAT
  K4  Rana    18 Nov 12:00  return_status     taken by an agent  CSAT 3   recent_return (opened 8 Nov: 10 days before,
                                                                          on an order of July 2025)
  K5  Rana    19 Nov 12:00  return_status                                 recent_return (11 days)
  K6  Tarık   19 Nov 15:00  complaint         left the queue     CSAT 1   open_ticket (open since 12 Nov)
  K7  Ufuk    19 Nov 16:00  faq/refund_time                      CSAT 4   none: his ticket was resolved on 13 Nov
  K8  Reşat   18 Nov 09:00  return_request                                none: return 40 days before; a ticket
                                                                          opened during the chat (09:05) is not "then"
  K9  —       16 Nov 10:00  faq/shipping_cost (en)               CSAT 5   anonymous
  K10 —       21 Nov 10:00  (nothing recognised) taken by an agent        anonymous
  K11 Cem     17 Nov 12:00  cancel_order                                  vip: his 15.000 TL order was cancelled on 18 Nov
  K12 Cem     19 Nov 12:00  cancel_order                                  none: cancelled by then
  K13 Vildan  18 Nov 14:00  complaint                                     open_ticket: resolved 14 Nov, reopened 17 Nov
"""
import csv
import io
import re
from datetime import date, datetime, timezone
from html import unescape

import pytest
from sqlalchemy import event

from actions.store.migrate import upgrade
from actions.store.models import Customer, Order, Product, ReturnRequest
from bot.desk.models import Contact, Conversation, Handoff, HandoffEvent, Rating
from bot.desk.segments import SegmentRules
from bot.desk.store import DeskStore
from bot.reports import segments as seg
from bot.reports.charts import charts
from bot.reports.html import render_html
from bot.reports.metrics import build_report, load_contacts
from bot.reports.summary import summary_lines
from bot.reports.web import SEGMENTS_GROUP, csv_rows, csv_text, labels
from bot.tickets.sla import parse_targets
from bot.tickets.store import NewTicket, TicketStore
from tests import report_fixtures as fx

UTC = timezone.utc
WEEK = date(2026, 11, 16)
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
RULES = SegmentRules()  # 5 orders or 10.000 TL in 12 months


def at(year, month, day, hour=12, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def nov(day, hour=12, minute=0):
    return at(2026, 11, day, hour, minute)


VERA, SAMI, RANA, TARIK, UFUK, RESAT, CEM, VILDAN = 2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008
# order: (order no, customer, placed, total TL, status, cancelled at)
ORDERS = [
    ("500000", VERA, at(2025, 6, 1), 400, "teslim_edildi", None),   # 17 months before K1: never counts
    ("500001", VERA, at(2025, 11, 19), 400, "teslim_edildi", None),  # in K1's 12 months, out of K2's
    ("500002", VERA, at(2026, 2, 3), 400, "teslim_edildi", None),
    ("500003", VERA, at(2026, 5, 5), 400, "teslim_edildi", None),
    ("500004", VERA, at(2026, 8, 8), 400, "teslim_edildi", None),
    ("500005", VERA, at(2026, 10, 10), 400, "teslim_edildi", None),
    ("500006", SAMI, at(2026, 3, 1), 12000, "teslim_edildi", None),
    ("500007", RANA, at(2026, 10, 20), 900, "iade_surecinde", None),
    ("500008", RESAT, at(2026, 9, 20), 700, "iade_edildi", None),
    ("500009", CEM, at(2026, 11, 10), 15000, "iptal_edildi", nov(18, 0)),
    ("500010", VERA, nov(21), 400, "hazirlaniyor", None),  # after every contact of hers
    ("500011", RANA, at(2025, 7, 15), 900, "teslim_edildi", None),  # over a year old: returned under warranty
]
RETURNS = [("IADE-9001", "500011", nov(8)), ("IADE-9002", "500008", at(2026, 10, 9))]

# contact: (session, customer, start, reason, language, what became of its handoff or None, ratings)
CONTACTS = {
    "K1": ("seg-vera", VERA, nov(17, 9), "order_status", "tr", "live", [("csat", 2)]),
    "K2": ("seg-vera", VERA, nov(20, 9), "order_status", "tr", None, [("csat", 4)]),
    "K3": ("seg-sami", SAMI, nov(18, 10), "faq/shipping_cost", "tr", None, [("csat", 5), ("nps", 9)]),
    "K4": ("seg-rana", RANA, nov(18, 12), "return_status", "tr", "live", [("csat", 3)]),
    "K5": ("seg-rana", RANA, nov(19, 12), "return_status", "tr", None, []),
    "K6": ("seg-tarik", TARIK, nov(19, 15), "complaint", "tr", "left_queue", [("csat", 1)]),
    "K7": ("seg-ufuk", UFUK, nov(19, 16), "faq/refund_time", "tr", None, [("csat", 4)]),
    "K8": ("seg-resat", RESAT, nov(18, 9), "return_request", "tr", None, []),
    "K9": ("seg-anon1", None, nov(16, 10), "faq/shipping_cost", "en", None, [("csat", 5)]),
    "K10": ("seg-anon2", None, nov(21, 10), None, "tr", "live", []),
    "K11": ("seg-cem", CEM, nov(17, 12), "cancel_order", "tr", None, []),
    "K12": ("seg-cem", CEM, nov(19, 12), "cancel_order", "tr", None, []),
    "K13": ("seg-vildan", VILDAN, nov(18, 14), "complaint", "tr", None, []),
    "K14": ("seg-vera", VERA, nov(23, 9), "order_status", "tr", None, [("csat", 1)]),  # the week after
}
# ticket: (customer, opened, steps): ("resolved", when) or ("customer", when): the customer wrote again.
TICKETS = {
    "vera": (VERA, nov(10, 9), [("resolved", nov(18, 6))]),
    "tarik": (TARIK, nov(12, 9), []),
    "ufuk": (UFUK, nov(10, 9), [("resolved", nov(13, 9))]),
    "resat": (RESAT, nov(18, 9, 5), []),
    "vildan": (VILDAN, nov(11, 9), [("resolved", nov(14, 9)), ("customer", nov(17, 9))]),
}

EXPECTED = [
    {"segment": "vip", "contacts": 3, "csat_responses": 2, "csat_mean": 3.5, "handoff_rate": 0.3333,  # K1 K3 K11
     "top_reasons": [{"reason": "cancel_order", "contacts": 1}, {"reason": "faq/shipping_cost", "contacts": 1},
                     {"reason": "order_status", "contacts": 1}]},
    {"segment": "open_ticket", "contacts": 3, "csat_responses": 2, "csat_mean": 1.5, "handoff_rate": 0.3333,  # K1 K6 K13
     "top_reasons": [{"reason": "complaint", "contacts": 2}, {"reason": "order_status", "contacts": 1}]},
    {"segment": "recent_return", "contacts": 2, "csat_responses": 1, "csat_mean": 3, "handoff_rate": 0.5,  # K4 K5
     "top_reasons": [{"reason": "return_status", "contacts": 2}]},
    {"segment": "none", "contacts": 4, "csat_responses": 2, "csat_mean": 4, "handoff_rate": 0.0,  # K2 K7 K8 K12
     "top_reasons": [{"reason": "cancel_order", "contacts": 1}, {"reason": "faq/refund_time", "contacts": 1},
                     {"reason": "order_status", "contacts": 1}]},  # return_request (K8) is the fourth
    {"segment": "anonymous", "contacts": 2, "csat_responses": 1, "csat_mean": 5, "handoff_rate": 0.5,  # K9 K10
     "top_reasons": [{"reason": "faq/shipping_cost", "contacts": 1}]},
]


def write_shop(engine):
    upgrade(engine)  # the shop's tables beside the desk's, as in the bridge's database
    from actions.store.database import make_sessionmaker

    with make_sessionmaker(engine).begin() as s:
        s.add(Product(sku="SEG-1", name="Kupa", category="ev", price_kurus=10000, returnable=True, warranty_months=0))
        for customer in {row[1] for row in ORDERS}:
            s.add(Customer(id=customer, first_name="Ad", last_name="Soyad", email=f"c{customer}@example.com",
                           phone="05550000000", city="İzmir", member_since=date(2024, 1, 1)))
        s.flush()
        for order_no, customer, placed, total, status, cancelled in ORDERS:
            s.add(Order(order_no=order_no, customer_id=customer, status=status, subtotal_kurus=total * 100,
                        shipping_fee_kurus=0, total_kurus=total * 100, payment_method="kart", installments=1,
                        shipping_city="İzmir", placed_at=placed, cancelled_at=cancelled))
        s.flush()
        for code, order_no, opened in RETURNS:
            s.add(ReturnRequest(rma_code=code, order_no=order_no, sku="SEG-1", quantity=1, reason="vazgectim",
                                status="acildi", opened_at=opened))


def write_contacts(store, prefix=""):
    with store.session() as s:
        agent = fx.agent_ids(s)["ayse"]
        for key, (session_id, customer, start, reason, language, became, ratings) in CONTACTS.items():
            conversation = s.get(Conversation, prefix + session_id)
            if conversation is None:
                conversation = Conversation(id=prefix + session_id, created_at=start, last_message_at=start,
                                            language=language, state="bot", customer_id=customer, frustration=0.0,
                                            signals=[], queue_priority=1)
                s.add(conversation)
                s.flush()
            contact = Contact(conversation_id=conversation.id, started_at=start, last_message_at=start,
                              language=language, reason=reason, answered=became is None)
            s.add(contact)
            s.flush()
            handoff_id = None
            if became:
                status, history = fx.HANDOFF_STATES[became]
                live = became == "live"
                handoff = Handoff(conversation_id=conversation.id, contact_id=contact.id, reason="requested",
                                  status=status, requested_at=start, accepted_at=start if live else None,
                                  first_response_at=start if live else None, closed_at=start,
                                  agent_id=agent if live else None, resolution_tags=[], frustration=0.0)
                s.add(handoff)
                s.flush()
                handoff_id = handoff.id
                s.add_all(HandoffEvent(handoff_id=handoff.id, kind=kind, created_at=start) for kind in history)
            for kind, score in ratings:
                s.add(Rating(conversation_id=conversation.id, contact_id=contact.id, handoff_id=handoff_id, kind=kind,
                             score=score, language=language, customer_id=customer, created_at=start))
        s.commit()
    return agent


def write_tickets(store, agent, prefix=""):
    tickets = TicketStore(store.engine, fx.calendar(), parse_targets(fx.TARGETS))
    for key, (customer, opened, steps) in TICKETS.items():
        ticket = tickets.open(NewTicket(source="complaint", category="kargo", language="tr", channel="chat",
                                        text="Kargom gelmedi.", customer_id=customer,
                                        email=f"{prefix}{key}@example.com"), opened)
        tickets.assign(ticket.id, agent, opened)
        for step, when in steps:
            if step == "resolved":
                tickets.set_status(ticket.id, "resolved", when, by=agent)
            else:
                tickets.customer_wrote(ticket.id, "Hâlâ gelmedi.", when, "email")


@pytest.fixture
def store(tmp_path):
    store = DeskStore.open(f"sqlite:///{tmp_path / 'kuzey.db'}")
    write_shop(store.engine)
    write_tickets(store, write_contacts(store))
    return store


def report_of(store, **filters):
    return build_report(store, "week", WEEK, calendar=fx.calendar(), now=NOW, rules=RULES, **filters)


# --- on the database ------------------------------------------------------------------------------

def test_each_segment_counts_the_contacts_of_its_customers_as_they_stood_then(store):
    assert report_of(store)["segments"] == EXPECTED


def test_a_contact_in_two_segments_counts_in_both_and_the_rows_keep_their_order(store):
    rows = report_of(store)["segments"]
    assert [row["segment"] for row in rows] == ["vip", "open_ticket", "recent_return", "none", "anonymous"]
    report = report_of(store)
    assert report["totals"]["contacts"] == 13 and sum(row["contacts"] for row in rows) == 14  # K1 twice


def test_the_segments_follow_the_reports_filters(store):
    english = report_of(store, language="en")["segments"]
    assert [(row["segment"], row["contacts"]) for row in english] == [
        ("vip", 0), ("open_ticket", 0), ("recent_return", 0), ("none", 0), ("anonymous", 1)]
    assert english[0]["csat_mean"] is None and english[0]["handoff_rate"] is None and english[0]["top_reasons"] == []
    # An agent's report: the contacts that agent took (K1, K4, K10), each handed to them.
    ayse = report_of(store, agent_id=fx.agent_ids(store.session())["ayse"])["segments"]
    assert [(row["segment"], row["contacts"], row["handoff_rate"]) for row in ayse] == [
        ("vip", 1, 1.0), ("open_ticket", 1, 1.0), ("recent_return", 1, 1.0), ("none", 0, None),
        ("anonymous", 1, 1.0)]


def test_the_rules_of_the_settings_decide_who_is_vip(store):
    stricter = build_report(store, "week", WEEK, calendar=fx.calendar(), now=NOW,
                            rules=SegmentRules(vip_orders=6, vip_spend_kurus=1_300_000))["segments"]
    assert stricter[0]["contacts"] == 1  # Cem's 15.000 TL only: Vera has 5 orders, Sami spent 12.000 TL


def test_a_few_queries_for_the_whole_period_however_many_contacts(store, tmp_path):
    def queries(desk):
        contacts = load_contacts(desk, nov(15, 21), nov(22, 21))
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
        event.listen(desk.engine, "before_cursor_execute", listener)
        try:
            seg.segments_section(desk.engine, desk.session, contacts, (nov(15, 21), nov(22, 21)), RULES,
                                 fx.calendar(), lambda contact: False)
        finally:
            event.remove(desk.engine, "before_cursor_execute", listener)
        return len(statements), len(contacts)

    few, contacts = queries(store)
    write_tickets(store, write_contacts(store, prefix="again-"), prefix="again-")
    many, more_contacts = queries(store)
    assert more_contacts == 2 * contacts and few == many <= 8


def test_a_database_without_the_shops_tables_knows_only_the_tickets(tmp_path):
    desk_only = DeskStore.open(f"sqlite:///{tmp_path / 'desk.db'}")
    write_tickets(desk_only, write_contacts(desk_only))
    rows = {row["segment"]: row["contacts"] for row in report_of(desk_only)["segments"]}
    assert rows == {"vip": 0, "open_ticket": 3, "recent_return": 0, "none": 8, "anonymous": 2}


# --- the rules as of a moment (pure) ------------------------------------------------------------------

def test_orders_returns_and_tickets_count_only_once_they_existed():
    history = seg.CustomerHistory(
        orders=[seg.ShopOrderRow("1", at(2026, 1, 1), "iptal_edildi", nov(18), 1_500_000),
                seg.ShopOrderRow("2", at(2024, 1, 1), "teslim_edildi", None, 10_000)],
        returns=[("2", nov(10))])  # a recent return of an old order still counts
    assert seg.segments_as_of(history, nov(5), RULES) == ["vip"]  # not cancelled yet, no return yet
    assert seg.segments_as_of(history, nov(17), RULES) == ["vip", "recent_return"]
    assert seg.segments_as_of(history, nov(19), RULES) == ["recent_return"]  # cancelled on the 18th
    assert seg.segments_as_of(history, at(2026, 12, 11), RULES) == []  # 31 days after the return
    assert seg.segments_as_of(history, at(2025, 12, 31), RULES) == []  # before the big order was placed
    # Cancelled with no date: cancelled all along.
    undated = seg.CustomerHistory(orders=[seg.ShopOrderRow("3", at(2026, 1, 1), "iptal_edildi", None, 1_500_000)])
    assert seg.segments_as_of(undated, nov(17), RULES) == []


# --- outputs ---------------------------------------------------------------------------------------------

def test_the_csv_has_a_row_per_segment_with_its_reasons_named_in_the_files_language(store):
    report = report_of(store)
    turkish = list(csv.DictReader(io.StringIO(csv_text(csv_rows(report, SEGMENTS_GROUP, "tr"), SEGMENTS_GROUP, "tr")),
                                  delimiter=";"))
    assert [row["Segment"] for row in turkish] == ["VIP müşteri", "Açık talebi olan", "Yakın zamanda iade",
                                                   "Segmenti yok", "Kimliği bilinmeyen"]
    vip = turkish[0]
    assert (vip["Segment kodu"], vip["Sohbet"], vip["CSAT yanıtı"], vip["CSAT ortalaması (1-5)"],
            vip["Temsilciye aktarılan (%)"], vip["1. neden"], vip["1. neden: sohbet"], vip["3. neden"]) == (
        "vip", "3", "2", "3,50", "33,3", "Sipariş iptali", "1", "Sipariş durumu")
    assert (turkish[2]["2. neden"], turkish[2]["2. neden: sohbet"]) == ("", "")  # one reason only
    english = list(csv.DictReader(io.StringIO(csv_text(csv_rows(report, SEGMENTS_GROUP, "en"), SEGMENTS_GROUP, "en"))))
    assert [row["Segment"] for row in english] == ["VIP customer", "With an open ticket", "Recent return", "No segment",
                                                   "Not identified"]
    assert (english[1]["CSAT average (1-5)"], english[1]["Reason 1"], english[1]["Reason 1: contacts"]) == (
        "1.50", "Complaint", "2")


def test_the_html_report_and_the_dashboards_labels_name_the_segments(store):
    report = report_of(store)
    html = render_html(report, charts(report), summary_lines(report))
    section = html[html.index('<section class="segments">'):]
    section = section[:section.index("</section>")]
    text = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)))
    assert "Müşteri segmentleri" in text
    assert "VIP müşteri 3 3,50 (2) %33,3 Sipariş iptali (1) · SSS: kargo ücreti (1) · Sipariş durumu (1)" in text
    assert "Kimliği bilinmeyen 2 5,00 (1) %50,0 SSS: kargo ücreti (1)" in text
    # A reason's name comes from the editors' files or is the code itself: shown as text.
    report["segments"][4]["top_reasons"] = [{"reason": "<b>yeni</b>", "contacts": 1}]
    html = render_html(report, charts(report), [])
    assert "<b>yeni</b>" not in html and "&lt;b&gt;yeni&lt;/b&gt; (1)" in html
    english = labels(report, "en")
    assert english["segments"] == {"vip": "VIP customer", "open_ticket": "With an open ticket",
                                   "recent_return": "Recent return", "none": "No segment",
                                   "anonymous": "Not identified"}
    assert english["contact_reasons"]["cancel_order"] and english["contact_reasons"]["return_status"]
    quiet = build_report(store, "week", date(2026, 10, 5), calendar=fx.calendar(), now=NOW, rules=RULES)
    assert all(row["contacts"] == 0 for row in quiet["segments"])
    quiet_html = render_html(quiet, charts(quiet), [], "en")
    assert "Customer segments</h2><p class=\"muted\">No chats in this period." in quiet_html


def test_the_summary_names_a_segment_only_when_its_csat_stands_out():
    def report(vip_mean, vip_answers=6, all_answers=20):
        return {"totals": {"csat_count": all_answers, "csat_mean": 4.2},
                "segments": [{"segment": "vip", "csat_responses": vip_answers, "csat_mean": vip_mean},
                             {"segment": "none", "csat_responses": 12, "csat_mean": 2.0},  # never named
                             {"segment": "recent_return", "csat_responses": 5, "csat_mean": 3.6}]}

    assert seg.segment_lines(report(3.1)) == [
        "VIP müşterilerin memnuniyeti (CSAT) ortalama 3,1/5 oldu (tüm sohbetlerde 4,2/5)."]
    assert seg.segment_lines(report(3.1), "en") == [
        "VIP customers rated their chats 3.1/5 on average (CSAT; all chats: 4.2/5)."]
    assert seg.segment_lines(report(4.0)) == [  # VIP is close: the returns' 0.6 stands out
        "Yakın zamanda iade açan müşterilerin memnuniyeti (CSAT) ortalama 3,6/5 oldu (tüm sohbetlerde 4,2/5)."]
    assert seg.segment_lines(report(4.0, all_answers=9)) == []  # too few answers in the period
    assert seg.segment_lines(report(3.1, vip_answers=4))[0].startswith("Yakın zamanda")
    assert seg.segment_lines({"totals": {"csat_count": 0, "csat_mean": None}}) == []
