"""The store's per-turn path (SQLAlchemy Core, bot/desk/store.py): the same rows as the ORM wrote
them, the contact rules, one transaction per batch of messages, the turn's record with its replies,
and "stored before delivered" for a turn's replies."""
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from bot.desk.models import Contact, Conversation, Message
from bot.desk.rasa_client import BotReply
from bot.desk.store import DeskStore, Draft, TurnRecord, utcnow
from tests.asyncio_thread import run_async
from tests.unit.desk_harness import build

FAQ_NLU = {"nlu": {"intent": "faq/shipping_cost", "confidence": 0.97, "topic_confidence": 0.99}}


@pytest.fixture
def store():
    return DeskStore.open("sqlite://", contact_idle_minutes=30)


def contact_row(store: DeskStore, contact_id: int) -> Contact:
    with store.session() as s:
        return s.get(Contact, contact_id)


def message_row(store: DeskStore, message_id: int) -> Message:
    with store.session() as s:
        return s.get(Message, message_id)


def conversation_row(store: DeskStore, conversation_id: str) -> Conversation:
    with store.session() as s:
        return s.get(Conversation, conversation_id)


def columns(row) -> dict:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


# --- the objects callers get -------------------------------------------------------------------
def test_conversation_gives_the_same_values_as_the_orm(store):
    created = store.create_conversation(language="en")
    assert columns(created) == columns(conversation_row(store, created.id))
    store.update_conversation(created.id, customer_id=1001, signals=["caps"], segments=["vip"], awaiting="rating")
    read = store.conversation(created.id)
    assert isinstance(read, Conversation)
    assert columns(read) == columns(conversation_row(store, created.id))
    assert read.created_at.tzinfo is not None  # aware UTC, as the ORM gives it
    read.state = "agent"  # an ordinary object of the model: callers may set attributes
    assert read.state == "agent" and store.conversation(created.id).state == "bot"
    assert store.conversation("nobody") is None


def test_a_stored_message_has_the_columns_of_its_row(store):
    conversation = store.create_conversation()
    message = store.add_message(conversation.id, "shopper", "kargo ücreti", quick_replies=[{"title": "a", "payload": "a"}],
                                data={"language": "tr"})
    assert isinstance(message, Message)
    assert columns(message) == columns(message_row(store, message.id))
    assert (message.intent, message.understood, message.sender) == (None, None, "shopper")


def test_a_message_for_an_unknown_conversation_is_refused(store):
    with pytest.raises(LookupError):
        store.add_message("nobody", "bot", "merhaba")


# --- contact rules -------------------------------------------------------------------------------
def test_the_first_shopper_message_opens_a_contact_and_moves_the_conversation(store):
    conversation = store.create_conversation(language="en")
    assert store.add_message(conversation.id, "bot", "Hello!").contact_id is None  # only shoppers open one
    at = utcnow() + timedelta(minutes=1)
    [message], after = store.add_messages(conversation.id, [Draft("shopper", "hi", created_at=at)])
    contact = contact_row(store, message.contact_id)
    assert (contact.conversation_id, contact.started_at, contact.last_message_at, contact.language, contact.answered) \
        == (conversation.id, at, at, "en", False)
    stored = conversation_row(store, conversation.id)
    assert (stored.contact_id, stored.last_message_at) == (message.contact_id, at)
    assert (after.contact_id, after.last_message_at) == (message.contact_id, at)  # what the caller gets back


def test_a_contact_follows_the_shoppers_language_and_its_last_message(store):
    conversation = store.create_conversation(language="tr")
    start = utcnow()
    first = store.add_message(conversation.id, "shopper", "merhaba", created_at=start)
    store.update_conversation(conversation.id, language="en")
    bot = store.add_message(conversation.id, "bot", "Hello", created_at=start + timedelta(minutes=1))
    assert contact_row(store, first.contact_id).language == "tr"  # the assistant's message leaves it
    later = start + timedelta(minutes=5)
    again = store.add_message(conversation.id, "shopper", "thanks", created_at=later)
    contact = contact_row(store, first.contact_id)
    assert bot.contact_id == again.contact_id == first.contact_id
    assert (contact.language, contact.last_message_at, contact.started_at) == ("en", later, start)


def test_after_quiet_minutes_only_the_shopper_opens_a_new_contact(store):
    conversation = store.create_conversation()
    start = utcnow()
    first = store.add_message(conversation.id, "shopper", "kargo ücreti", created_at=start)
    late = start + timedelta(minutes=45)
    assert store.add_message(conversation.id, "bot", "Hâlâ orada mısınız?", created_at=late).contact_id == first.contact_id
    later = late + timedelta(minutes=31)
    new = store.add_message(conversation.id, "shopper", "yine ben", created_at=later)
    assert new.contact_id != first.contact_id
    assert contact_row(store, first.contact_id).last_message_at == late  # the old visit ends where it ended
    assert contact_row(store, new.contact_id).started_at == later
    assert conversation_row(store, conversation.id).contact_id == new.contact_id


@pytest.mark.parametrize("state, awaiting", [("agent", None), ("queued", None), ("bot", "ticket_email")])
def test_no_new_contact_in_a_batch_while_a_person_has_the_chat_or_we_wait(store, state, awaiting):
    conversation = store.create_conversation()
    start = utcnow()
    first = store.add_message(conversation.id, "shopper", "merhaba", created_at=start)
    store.update_conversation(conversation.id, state=state, awaiting=awaiting)
    [message], _ = store.add_messages(conversation.id, [Draft("shopper", "5", created_at=start + timedelta(hours=2))])
    assert message.contact_id == first.contact_id


def test_a_contact_whose_row_is_gone_is_replaced_by_the_next_shopper_message(store):
    conversation = store.create_conversation()
    store.update_conversation(conversation.id, contact_id=987654)  # e.g. removed by an erasure
    assert store.add_message(conversation.id, "bot", "merhaba").contact_id is None
    message = store.add_message(conversation.id, "shopper", "selam")
    assert message.contact_id not in (None, 987654)
    assert conversation_row(store, conversation.id).contact_id == message.contact_id


def test_a_batch_is_stored_in_order_in_one_transaction(store):
    conversation = store.create_conversation()
    shopper = store.add_message(conversation.id, "shopper", "kargo ücreti")
    commits = []
    event.listen(store.engine, "commit", lambda *_: commits.append(1))
    start = utcnow()
    messages, after = store.add_messages(conversation.id, [
        Draft("bot", "49,90 TL.", created_at=start), Draft("bot", "Başka?", [{"title": "Evet", "payload": "/affirm"}],
                                                           data={"custom": []}, created_at=start + timedelta(seconds=1))])
    assert len(commits) == 1
    assert [m.text for m in store.messages(conversation.id, include_notes=False)] == ["kargo ücreti", "49,90 TL.", "Başka?"]
    assert [m.id for m in messages] == sorted(m.id for m in messages)
    assert {m.contact_id for m in messages} == {shopper.contact_id}
    assert messages[1].quick_replies == [{"title": "Evet", "payload": "/affirm"}] and messages[1].data == {"custom": []}
    assert contact_row(store, shopper.contact_id).last_message_at == start + timedelta(seconds=1)
    assert conversation_row(store, conversation.id).last_message_at == after.last_message_at == start + timedelta(seconds=1)


def test_the_shoppers_message_comes_with_their_earlier_texts(store):
    conversation = store.create_conversation()
    for number in range(12):
        store.add_message(conversation.id, "shopper", f"soru {number}")
        store.add_message(conversation.id, "bot", f"cevap {number}")
    commits = []
    event.listen(store.engine, "commit", lambda *_: commits.append(1))
    message, after, history = store.add_shopper_message(conversation.id, "yine ben", data={"language": "tr"}, history=10)
    assert len(commits) == 1
    assert history == [f"soru {number}" for number in range(2, 12)]  # oldest first, without the new message
    assert history == store.shopper_texts(conversation.id, limit=11)[:-1]  # what the scorer read before
    assert (message.text, message.data, message.sender) == ("yine ben", {"language": "tr"}, "shopper")
    assert after.contact_id == message.contact_id
    assert store.add_shopper_message(store.create_conversation().id, "ilk mesaj", history=10)[2] == []


# --- the turn's record -----------------------------------------------------------------------------
@pytest.mark.parametrize("contact_known", [True, False])
def test_the_turns_record_comes_with_its_replies(store, contact_known):
    conversation = store.create_conversation()
    first = store.add_message(conversation.id, "shopper", "kargo ücreti")
    turn = TurnRecord(first.id, "faq/shipping_cost", True, "faq/shipping_cost", answered=True,
                      contact_id=first.contact_id if contact_known else None)
    store.add_messages(conversation.id, [Draft("bot", "49,90 TL.")], turn)
    assert (message_row(store, first.id).intent, message_row(store, first.id).understood) == ("faq/shipping_cost", True)
    second = store.add_message(conversation.id, "shopper", "asdfgh")
    store.add_messages(conversation.id, [Draft("bot", "Anlayamadım.")],
                       TurnRecord(second.id, "nlu_fallback", False, None, answered=False,
                                  contact_id=second.contact_id if contact_known else None))
    third = store.add_message(conversation.id, "shopper", "iade?")
    store.add_messages(conversation.id, [Draft("bot", "14 gün.")],
                       TurnRecord(third.id, "faq/return_policy", True, "faq/return_policy", answered=False,
                                  contact_id=third.contact_id if contact_known else None))
    contact = contact_row(store, first.contact_id)
    assert (contact.reason, contact.answered) == ("faq/shipping_cost", True)  # the first reason; answered stays
    assert (message_row(store, second.id).intent, message_row(store, second.id).understood) == ("nlu_fallback", False)


def test_record_turn_alone_sets_the_contacts_first_reason(store):
    conversation = store.create_conversation()
    message = store.add_message(conversation.id, "shopper", "siparişim nerede")
    store.record_turn(message.id, "order_status", True, reason=None, answered=False)
    assert (contact_row(store, message.contact_id).reason, contact_row(store, message.contact_id).answered) == (None, False)
    store.record_turn(message.id, "order_status", True, reason="order_status", answered=False)
    store.record_turn(message.id, "faq/shipping_cost", True, reason="faq/shipping_cost", answered=True)
    contact = contact_row(store, message.contact_id)
    assert (contact.reason, contact.answered) == ("order_status", True)
    assert message_row(store, message.id).intent == "faq/shipping_cost"


# --- a whole turn through the desk -------------------------------------------------------------------
def test_a_turns_replies_and_record_are_committed_before_the_first_is_delivered(tmp_path):
    harness = build(tmp_path)
    harness.rasa.will_answer(BotReply(text="Kargo 49,90 TL."), BotReply(text="Başka bir sorunuz var mı?"),
                             BotReply(custom=FAQ_NLU))
    seen_when_delivered = []
    emit = harness.sio.emit

    async def checking_emit(event_name, data=None, **kwargs):
        if event_name == "bot_uttered":
            with harness.store.engine.connect() as other:  # what any other connection sees now
                seen_when_delivered.append(other.execute(
                    select(Message.sender, Message.text, Message.intent).order_by(Message.id)).all())
        await emit(event_name, data, **kwargs)

    harness.sio.emit = checking_emit
    run_async(lambda: harness.shopper_says("c1", "kargo ücreti ne kadar"))
    expected = [("shopper", "kargo ücreti ne kadar", "faq/shipping_cost"), ("bot", "Kargo 49,90 TL.", None),
                ("bot", "Başka bir sorunuz var mı?", None)]
    assert seen_when_delivered == [expected, expected]
    assert harness.shopper_saw("c1") == ["Kargo 49,90 TL.", "Başka bir sorunuz var mı?"]
    contact = contact_row(harness.store, harness.store.conversation("c1").contact_id)
    assert (contact.reason, contact.answered) == ("faq/shipping_cost", True)


def test_a_faq_turn_commits_twice(tmp_path):
    """One commit for the shopper's message (before Rasa is asked), one for the turn's record and replies."""
    harness = build(tmp_path)
    run_async(lambda: harness.shopper_says("c1", "merhaba"))
    harness.rasa.will_answer(BotReply(text="Kargo 49,90 TL."), BotReply(text="Başka?"), BotReply(custom=FAQ_NLU))
    commits = []
    event.listen(harness.store.engine, "commit", lambda *_: commits.append(1))
    run_async(lambda: harness.shopper_says("c1", "kargo ücreti ne kadar"))
    assert len(commits) == 2
