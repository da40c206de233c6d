"""Data subject requests on a real (SQLite) database with the demo store seeded: find, export,
erase, and retention with an injected clock (bot/privacy/)."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, func, inspect, select

from actions.store.database import make_engine
from actions.store.models import ComplaintTicket, Customer
from actions.store.seed import seed
from bot import i18n
from bot.desk.models import Conversation, EmailOptOut, EmailSend, Message, Rating
from bot.desk.store import DeskStore, utcnow
from bot.privacy import audit, erasure, export, requests, retention, subjects
from bot.privacy.audit import Actor
from bot.privacy.models import Consent, DestructionRecord
from bot.reports.metrics import build_report
from bot.reports.periods import local_today
from bot.studio.models import KbInboxItem
from bot.tickets.models import Ticket, TicketEntry
from bot.tickets.sla import SupportCalendar, parse_targets
from bot.tickets.store import NewTicket, TicketStore
from tests.report_fixtures import agent_ids

# Tables that keep the person's identifiers by law (order and invoice records and their buyer).
KEPT_TABLES = {"customers"}


@pytest.fixture
def store(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'kuzey.db'}")
    seed(engine)
    desk = DeskStore.open(str(engine.url))
    _rasa_events_table(engine)
    yield desk
    engine.dispose()


def _rasa_events_table(engine):
    """The shape of Rasa's SQLTrackerStore table, as Rasa creates it."""
    Table("events", MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
          Column("type_name", String(255)), Column("timestamp", Integer), Column("intent_name", String(255)),
          Column("action_name", String(255)), Column("data", Text)).create(engine)


def _customer(store, index=0):
    with store.session() as s:
        return s.execute(select(Customer).order_by(Customer.id).offset(index).limit(1)).scalar_one()


def _chat(store, customer, linked=True):
    """A conversation with everything a shopper leaves behind."""
    name = f"{customer.first_name} {customer.last_name}"
    conversation = store.create_conversation("tr")
    store.add_message(conversation.id, "shopper", f"Merhaba ben {name}, siparişim nerede? e-postam {customer.email.upper()}")
    store.add_message(conversation.id, "bot", "Siparişinizi buldum.")
    spaced = f"{customer.phone[:-7]} {customer.phone[-7:-4]} {customer.phone[-4:-2]}-{customer.phone[-2:]}"
    store.add_message(conversation.id, "shopper", f"telefonum {spaced}")
    if linked:
        store.update_conversation(conversation.id, customer_id=customer.id)
    handoff = store.open_handoff(conversation.id, "request_human", 0.2)
    store.update_handoff(handoff.id, status="ticket", ticket_email=customer.email, close_note=f"{name} aradı")
    store.add_rating(conversation.id, 2)  # takes the conversation's customer
    store.add_rating_comment(conversation.id, f"{name} olarak memnun kalmadım")
    now = utcnow()
    with store.session() as s:
        s.add(ComplaintTicket(reference=f"SKT-{conversation.id}", customer_id=customer.id if linked else None,
                              category="kargo", text=f"{name}: kargo gecikti", language="tr",
                              conversation_id=conversation.id, created_at=now, respond_by=now + timedelta(hours=48)))
        s.add(KbInboxItem(source="assistant", text=f"{customer.email} neden", group_key="neden", language="tr",
                          conversation_id=conversation.id, status="new", created_at=now))
        s.add(Consent(conversation_id=conversation.id, customer_id=customer.id if linked else None, kind="marketing",
                      granted=True, wording="Kampanya e-postaları", wording_version="1", language="tr", created_at=now))
        s.execute(Table("events", MetaData(), autoload_with=s.get_bind()).insert().values(
            sender_id=conversation.id, type_name="user", timestamp=0,
            data=json.dumps({"event": "user", "text": f"e-postam {customer.email}"})))
        s.commit()
    return conversation


def _ticket(store, customer=None, conversation_id=None, email=None, when=None, closed=False):
    """A ticket with the person's words, address and order, answered, noted, written back to, resolved and rated."""
    tickets = TicketStore(store.engine, SupportCalendar.from_settings("always", "none"), parse_targets("*=8/48"))
    with store.session() as s:
        agent = agent_ids(s)["ayse"]
        s.commit()
    when = when or utcnow() - timedelta(minutes=10)  # its steps (up to 9 minutes later) are over by now
    name = f"{customer.first_name} {customer.last_name}" if customer else "Bir müşteri"
    opened = tickets.open(NewTicket(source="complaint", category="kargo", language="tr",
                                    text=f"{name}: kargom gelmedi, telefonum {customer.phone if customer else '-'}",
                                    customer_id=customer.id if customer else None, conversation_id=conversation_id,
                                    email=email or (customer.email if customer else None), order_no="400101"), when)
    tickets.reply(opened.id, agent, f"Merhaba {name}, kargonuzu inceliyoruz.", when + timedelta(minutes=5),
                  message_id=f"<{opened.code}@kuzey.example>")
    tickets.note(opened.id, agent, f"{name} çok üzgün, {email or 'adres'} ile yazıştık", when + timedelta(minutes=6))
    tickets.customer_wrote(opened.id, f"Teşekkürler, ben {name}", when + timedelta(minutes=7), "email")
    tickets.set_status(opened.id, "closed" if closed else "resolved", when + timedelta(minutes=8))
    tickets.rate(opened.id, 4, when + timedelta(minutes=9))
    tickets.mail_result(opened.id, None, None, f"550 {email or 'x'} refused")
    return tickets.get(opened.id)


def _mail(store, customer):
    with store.session() as s:
        s.add(EmailSend(kind="delivery_followup", order_no="400101", customer_id=customer.id, email=customer.email,
                        language="tr", status="sent", attempts=1, created_at=utcnow(), comment="güzel"))
        s.add(EmailOptOut(email=customer.email.lower(), created_at=utcnow()))
        s.commit()


def _everywhere(store, needle: str):
    """Every (table, column) whose text holds `needle`, in every table of the database."""
    found = set()
    engine = store.engine
    for table_name in inspect(engine).get_table_names():
        table = Table(table_name, MetaData(), autoload_with=engine)
        for column in table.columns:
            if isinstance(column.type, (String, Text)) or column.type.__class__.__name__ in ("JSON", "VARCHAR", "TEXT"):
                with engine.connect() as connection:
                    hit = connection.execute(select(func.count()).select_from(table).where(
                        func.lower(func.cast(column, Text)).contains(needle.lower()))).scalar_one()
                if hit:
                    found.add((table_name, column.name))
    return found


def test_a_bad_identifier_gets_a_clear_message_and_changes_nothing(store):
    with store.session() as s:
        for kind, value in (("email", "not-an-address"), ("phone", "12"), ("customer", "x1"), ("name", "Ayşe")):
            with pytest.raises(requests.RequestError) as error:
                requests.open_request(s, "access", kind, value, utcnow(), 30)
            assert str(error.value)
        with pytest.raises(requests.RequestError):
            requests.open_request(s, "delete-everything", "email", "a@b.co", utcnow(), 30)
        assert requests.requests(s, utcnow()) == []


def test_refusals_have_a_code_and_words_in_the_admins_language(store):
    with store.session() as s:
        with pytest.raises(requests.RequestError) as refused:
            requests.open_request(s, "access", "phone", "12", utcnow(), 30)
        assert refused.value.code == "bad_phone"
        assert refused.value.words("en") == "A phone number has at least 10 digits (e.g. 0532 123 45 67)."
        assert str(refused.value) == refused.value.words("tr") == \
            "Telefon numarası en az 10 haneli olmalı (ör. 0532 123 45 67)."
        with pytest.raises(requests.RequestError) as refused:
            requests.refuse(s, 999, "yonetici", utcnow(), "  ")
        assert (refused.value.code, refused.value.words("en")) == (
            "reason_required", "Write the reason for refusing; the person is told this reason.")
        with pytest.raises(requests.RequestError) as refused:
            requests.preview(s, 999)
        assert (refused.value.code, refused.value.words("de")) == ("no_such_request", "Böyle bir talep yok.")


def test_the_outcome_is_kept_in_the_language_of_the_admin_who_answered(store):
    customer = _customer(store)
    _chat(store, customer)
    now = utcnow()
    with store.session() as s:
        english = requests.open_request(s, "access", "customer", str(customer.id), now, 30)
        turkish = requests.open_request(s, "access", "customer", str(customer.id), now, 30)
        nobody = requests.open_request(s, "erasure", "email", "nobody@example.com", now, 30)
        assert requests.answer(s, english["id"], "yonetici", now, language="en").request["outcome"] == \
            "Exported: chats 1, complaints 1, ratings 1."
        assert requests.answer(s, turkish["id"], "yonetici", now).request["outcome"] == \
            "1 sohbet, 1 şikâyet, 1 değerlendirme dışa aktarıldı."
        erased = requests.answer(s, nobody["id"], "yonetici", now, language="en").request["outcome"]
        assert erased.startswith("Erased/anonymised: ") and "sohbet" not in erased


def test_the_readable_export_says_every_heading_in_both_languages(store):
    customer = _customer(store)
    _chat(store, customer)
    with store.session() as s:
        document = export.export(s, subjects.find(s, "customer", str(customer.id)))
    assert document["kept_records"]["note"] == {
        "tr": i18n.say("privacy:export.kept_note", "tr"), "en": i18n.say("privacy:export.kept_note", "en")}
    assert document["kept_records"]["note"]["en"].startswith("Order, invoice and return records are kept")
    page = export.render_html(document)
    for heading in ("Kişisel verileriniz / Your personal data", "Sohbetler / Conversations",
                    "Asistanın hafızası (Rasa) / The assistant&#x27;s memory",
                    "Saklanan sipariş kayıtları / Kept order records"):
        assert heading in page, heading
    assert '<p lang="en">Order, invoice and return records' in page


def test_a_person_is_found_by_email_phone_or_customer_number_and_by_what_they_wrote(store):
    customer = _customer(store)
    linked, anonymous = _chat(store, customer), _chat(store, customer, linked=False)
    spaced = f"{customer.phone[:4]} {customer.phone[4:7]} {customer.phone[7:]}"
    with store.session() as s:
        for kind, value in (("email", customer.email.upper()), ("phone", spaced), ("customer", str(customer.id))):
            subject = subjects.find(s, kind, value)
            assert subject.customer_ids == {customer.id}
            assert subject.conversation_ids == {linked.id, anonymous.id}
        assert subjects.find(s, "email", "nobody@example.com").empty


def test_the_export_holds_everything_and_says_which_records_are_kept(store):
    customer = _customer(store)
    conversation = _chat(store, customer)
    _mail(store, customer)
    chat_ticket = _ticket(store, customer, conversation.id)
    mailed = _ticket(store, email=customer.email.upper())  # by e-mail only: no customer, no chat
    _ticket(store, _customer(store, 1))  # someone else's
    with store.session() as s:
        audit.record(lambda: s, Actor("ayse", 1, "agent"), "view_customer", customer_id=customer.id)
        document = export.export(s, subjects.find(s, "email", customer.email))
    assert document["customer"][0]["email"] == customer.email
    [chat] = document["conversations"]
    assert chat["id"] == conversation.id and len(chat["messages"]) == 3
    assert chat["handoffs"][0]["reply_email"] == customer.email
    assert document["complaints"][0]["text"].endswith("kargo gecikti")
    assert document["ratings"][0]["comment"].endswith("memnun kalmadım")
    assert document["email_sends"][0]["comment"] == "güzel"
    assert document["email_optouts"][0]["email"] == customer.email.lower()
    assert document["consents"][0]["wording"] == "Kampanya e-postaları"
    assert customer.email in document["assistant_memory"][0]["said"][0]
    assert document["access_log"][0]["actor"] == "ayse"
    assert document["kept_records"]["orders"] and "Ticaret" in document["kept_records"]["note"]["tr"]
    # The tickets with their whole thread: the reply, what they wrote, the agents' note, the history.
    assert [t["code"] for t in document["tickets"]] == [chat_ticket.code, mailed.code]
    first = document["tickets"][0]
    assert (first["email"], first["order_no"], first["rating"], first["status"]) == (customer.email, "400101", 4, "resolved")
    assert [(e["kind"], e["event"]) for e in first["thread"]] == [
        ("event", "opened"), ("reply", None), ("note", None), ("customer", None), ("event", "status")]
    assert first["thread"][2]["text"].endswith("ile yazıştık") and first["thread"][3]["text"].startswith("Teşekkürler")
    assert first["thread"][4]["text"] == "open → resolved"
    page = export.render_html(document)
    assert customer.email in page and "<script" not in page
    assert "Talepler / Tickets" in page and chat_ticket.code in page and "kargonuzu inceliyoruz" in page


def test_erasure_leaves_the_person_only_in_the_kept_order_records_and_reports_still_add_up(store, tmp_path):
    customer, other = _customer(store, 0), _customer(store, 1)
    linked = _chat(store, customer)
    _chat(store, customer)  # a repeat contact: reports must still count it as one after the erasure
    _chat(store, customer, linked=False)
    kept_chat = _chat(store, other)
    _mail(store, customer)
    # Tickets by chat, by customer number only, by e-mail only; and someone else's.
    _ticket(store, customer, linked.id)
    _ticket(store, customer)
    _ticket(store, email=customer.email)
    kept_ticket = _ticket(store, other, kept_chat.id)
    logs = tmp_path / "state" / "logs"
    logs.mkdir(parents=True)
    spaced = f"{customer.phone[:4]} {customer.phone[4:7]} {customer.phone[7:]}"
    (logs / "bridge.log").write_text(f"a line about {customer.email}\nphone {spaced}\nunrelated\n", encoding="utf-8")
    day = local_today("Europe/Istanbul")
    moment = utcnow()  # one clock for both reports: the backlog's age must not move between them
    report = build_report(store, "week", day, now=moment)
    before, tickets_before = report["totals"], report["tickets"]
    assert before["repeat_contacts"] >= 1 and tickets_before["totals"]["opened"] == 4
    with store.session() as s:
        entries_before = s.execute(select(func.count(TicketEntry.id))).scalar_one()
    with store.session() as s:
        messages_before = s.execute(select(func.count(Message.id))).scalar_one()
        opened = requests.open_request(s, "erasure", "email", customer.email, utcnow(), 30)
        answer = requests.answer(s, opened["id"], "yonetici", utcnow(), tmp_path / "state")
    assert answer.destroyed["messages"] == 9 and answer.destroyed["rasa_events"] == 3
    assert answer.destroyed["file_lines"] == 2
    assert (answer.destroyed["tickets"], answer.destroyed["ticket_entries"]) == (3, 15)
    name = f"{customer.first_name} {customer.last_name}"
    phone_digits = subjects.phone_digits(customer.phone)
    for needle in (customer.email, name, customer.phone, phone_digits):
        assert _everywhere(store, needle) <= {(table, column) for table in KEPT_TABLES
                                              for column in ("email", "phone", "first_name", "last_name")}, needle
    log_text = (logs / "bridge.log").read_text(encoding="utf-8")
    assert customer.email not in log_text and phone_digits not in "".join(filter(str.isdigit, log_text))
    assert "unrelated" in log_text
    with store.session() as s:
        # Reports count the same conversations, messages and scores, now anonymous.
        assert s.execute(select(func.count(Message.id))).scalar_one() == messages_before
        assert s.execute(select(func.count(Rating.id)).where(Rating.comment.is_(None))).scalar_one() == 3
        # The erased person's rows share one pseudonym, which leads to no customer.
        pseudonyms = set(s.execute(select(Conversation.customer_id).where(Conversation.anonymised_at.is_not(None))).scalars())
        assert len(pseudonyms - {None}) == 1 and all(p < 0 for p in pseudonyms - {None})
        # The other customer's chat is untouched; the unsubscribe is still honoured, hashed.
        assert s.get(Conversation, kept_chat.id).customer_id == other.id
        assert s.execute(select(EmailOptOut.email)).scalar_one() == erasure.optout_key(customer.email)
        assert s.execute(select(EmailSend.email)).scalar_one() == ""
        # The tickets stay as counts: dates, category, status, history and rating, without words or addresses.
        mine = s.execute(select(Ticket).where(Ticket.id != kept_ticket.id)).scalars().all()
        assert [(t.text, t.email, t.order_no, t.last_message_id, t.rating, t.status) for t in mine] == [
            ("", None, None, None, 4, "resolved")] * 3
        assert all(t.customer_id is None or t.customer_id < 0 for t in mine)
        assert set(s.execute(select(TicketEntry.text).where(TicketEntry.ticket_id != kept_ticket.id)).scalars()) == {""}
        assert s.execute(select(func.count(TicketEntry.id))).scalar_one() == entries_before
        kept = s.get(Ticket, kept_ticket.id)
        assert (kept.email, kept.customer_id) == (other.email, other.id) and kept.text.endswith(other.phone)
        record = s.execute(select(DestructionRecord)).scalar_one()
        assert record.trigger == "request" and customer.email not in json.dumps(record.counts)
        [answered] = requests.requests(s, utcnow())
        assert answered["status"] == "answered" and answered["identifier"] == erasure.ERASED
    after = build_report(store, "week", day, now=moment)
    assert after["totals"] == before and after["tickets"]["totals"] == tickets_before["totals"]
    assert after["tickets"]["categories"] == tickets_before["categories"]


def test_a_request_is_shown_with_its_deadline_until_answered(store):
    now = utcnow()
    with store.session() as s:
        late = requests.open_request(s, "access", "customer", "1", now - timedelta(days=31), 30)
        fresh = requests.open_request(s, "access", "customer", "2", now, 30)
        rows = requests.requests(s, now)
        assert [r["id"] for r in rows] == [late["id"], fresh["id"]]
        assert rows[0]["overdue"] and rows[1]["days_left"] == 30
        requests.answer(s, late["id"], "yonetici", now)
        with pytest.raises(requests.RequestError):
            requests.answer(s, late["id"], "yonetici", now)
        assert [r["id"] for r in requests.requests(s, now, include_answered=False)] == [fresh["id"]]


def test_retention_anonymises_exactly_what_expired_and_a_second_run_changes_nothing(store):
    customer = _customer(store)
    now = utcnow()
    periods = retention.Periods(transcript_days=730, unverified_days=180, audit_days=1095)
    ages = {"verified_old": (customer.id, 731), "verified_young": (customer.id, 700),
            "anonymous_old": (None, 181), "anonymous_young": (None, 179)}
    ids = {}
    for label, (customer_id, days) in ages.items():
        conversation = _chat(store, customer, linked=customer_id is not None)
        with store.session() as s:
            row = s.get(Conversation, conversation.id)
            row.last_message_at = now - timedelta(days=days)
            row.state = "bot"
            s.commit()
        ids[label] = conversation.id
    audit.record(store.session, Actor("ayse", 1, "agent"), "view_customer", customer_id=customer.id,
                 now=now - timedelta(days=1096))
    audit.record(store.session, Actor("ayse", 1, "agent"), "view_customer", customer_id=customer.id, now=now)
    with store.session() as s:
        record = retention.run_retention(s, periods, now)
        assert record.counts["conversations"] == 2 and record.counts["audit_entries"] == 1
        assert record.rules == periods.as_record()
        expired = {ids["verified_old"], ids["anonymous_old"]}
        for label, conversation_id in ids.items():
            texts = s.execute(select(Message.text).where(Message.conversation_id == conversation_id)).scalars().all()
            assert (set(texts) == {""}) == (conversation_id in expired), label
        assert len(audit.entries(s)) == 1
        snapshot = s.execute(select(Message.id, Message.text)).all()
        assert retention.run_retention(s, periods, now) is None
        assert s.execute(select(Message.id, Message.text)).all() == snapshot
        assert s.execute(select(func.count(DestructionRecord.id))).scalar_one() == 1


def test_retention_anonymises_tickets_with_their_chat_or_after_closing(store):
    customer = _customer(store)
    now = utcnow()
    periods = retention.Periods(transcript_days=730, unverified_days=180, audit_days=1095)
    old_chat = _chat(store, customer, linked=False)
    with store.session() as s:
        row = s.get(Conversation, old_chat.id)
        row.last_message_at, row.state = now - timedelta(days=181), "bot"
        s.commit()
    with_chat = _ticket(store, conversation_id=old_chat.id, email="a@example.com", when=now - timedelta(days=1))
    closed_long_ago = _ticket(store, email="b@example.com", when=now - timedelta(days=181, hours=1), closed=True)
    closed_lately = _ticket(store, email="c@example.com", when=now - timedelta(days=179), closed=True)
    tickets = TicketStore(store.engine, SupportCalendar.from_settings("always", "none"), parse_targets("*=8/48"))
    still_open = tickets.open(NewTicket(source="complaint", category="kargo", language="tr", text="hâlâ bekliyorum",
                                        email="d@example.com"), now - timedelta(days=400))
    with store.session() as s:
        record = retention.run_retention(s, periods, now)
        assert (record.counts["tickets"], record.counts["ticket_entries"]) == (2, 10)
        emails = dict(s.execute(select(Ticket.id, Ticket.email)).all())
        assert emails == {with_chat.id: None, closed_long_ago.id: None, closed_lately.id: "c@example.com",
                          still_open.id: "d@example.com"}
        snapshot = s.execute(select(TicketEntry.id, TicketEntry.text)).all()
        assert retention.run_retention(s, periods, now) is None
        assert s.execute(select(TicketEntry.id, TicketEntry.text)).all() == snapshot


def test_a_person_known_only_by_a_tickets_address_is_found(store):
    ticket = _ticket(store, email="Yalniz.Eposta@example.com")
    with store.session() as s:
        subject = subjects.find(s, "email", "yalniz.eposta@example.com")
        assert subject.ticket_ids == {ticket.id} and not subject.empty
        assert requests.holdings(s, subject)["counts"]["tickets"] == 1
        assert subjects.find(s, "email", "baska@example.com").empty


def test_an_e_mail_finds_only_chats_where_that_exact_address_was_written(store):
    mine, others = store.create_conversation("tr"), store.create_conversation("tr")
    store.add_message(mine.id, "shopper", "adresim ali_veli@example.com.")
    for text in ("adresim ali.veli@example.com", "vali_veli@example.com", "ali_veli@example.com.tr"):
        store.add_message(others.id, "shopper", text)
    with store.session() as s:
        assert subjects.find(s, "email", "ali_veli@example.com").conversation_ids == {mine.id}
        with pytest.raises(subjects.BadIdentifier):
            subjects.find(s, "email", "%@%.%")
        with pytest.raises(subjects.BadIdentifier):
            subjects.find(s, "customer", "²")


def test_the_audit_csv_never_hands_a_spreadsheet_a_formula():
    rows = audit.spreadsheet_safe([{"reason": "=HYPERLINK(\"http://x\")", "subject": "/api/x", "actor": "@ayse",
                                    "customer_id": 5}])
    assert rows == [{"reason": "'=HYPERLINK(\"http://x\")", "subject": "/api/x", "actor": "'@ayse", "customer_id": 5}]
