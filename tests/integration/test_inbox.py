"""The editors' inbox on the running stack: what the assistant did not understand and what agents
marked arrives there, counts in the reports, and an editor's decision reaches the topic's draft
and the agent's console."""
import pytest
import requests
from sqlalchemy import select

from bot.channels import reading
from bot.desk.models import Message
from bot.desk.rasa_client import understood
from bot.reports.periods import local_today
from bot.text import fold_words

pytestmark = pytest.mark.integration

OUT_OF_SCOPE = "bana bir fıkra anlatır mısın"
GIFT_WRAP = "hediye paketi yapıyor musunuz"
SUGGESTED = "Evet, siparişinizi 25 TL karşılığında hediye paketiyle gönderiyoruz."


def totals_today(bridge):
    day = local_today(bridge.settings.report_timezone).isoformat()
    response = requests.get(f"{bridge.url}/api/reports", params={"period": "day", "date": day},
                            headers=bridge.auth_headers("yonetici"), timeout=30)
    response.raise_for_status()
    return response.json()


def group_with(groups, text):
    return next((g for g in groups if any(fold_words(e) == fold_words(text) for e in g["examples"])), None)


def test_gibberish_and_an_unrelated_request_reach_the_inbox_and_count_as_not_understood(running_bridge, editor_api, parse):
    from tests.integration.test_assistant import GIBBERISH

    gibberish = next(text for text in GIBBERISH if parse(text)["intent"]["name"] == "nlu_fallback")
    assert parse(OUT_OF_SCOPE)["intent"]["name"] == "out_of_scope"
    before = totals_today(running_bridge)["report"]["totals"]
    shopper = running_bridge.shopper()
    try:
        shopper.say(gibberish)
        shopper.say(OUT_OF_SCOPE)
    finally:
        shopper.disconnect()

    with editor_api.store.session() as s:
        read = s.execute(select(Message.text, Message.intent, Message.understood).where(
            Message.conversation_id == shopper.session_id, Message.sender == "shopper").order_by(Message.id)).all()
    assert [tuple(row) for row in read] == [(gibberish, "nlu_fallback", False), (OUT_OF_SCOPE, "out_of_scope", False)]

    listed = editor_api("GET", "/inbox", params={"sort": "recent"})
    assert listed.status_code == 200
    body = listed.json()
    assert body["counts"]["new"] >= 2
    for text, intent in ((gibberish, "nlu_fallback"), (OUT_OF_SCOPE, "out_of_scope")):
        group = group_with(body["groups"], text)
        assert group is not None, text
        assert group["shopper_messages"] >= 1 and any(i["intent"] == intent for i in group["intents"])
        detail = editor_api("GET", f"/inbox/{group['id']}").json()["group"]
        entry = next(e for e in detail["entries"] if e["conversation_id"] == shopper.session_id)
        assert (entry["source"], entry["language"], entry["intent"]) == ("assistant", "tr", intent)
        assert entry["message_id"] and entry["confidence"] is not None
        transcript = editor_api("GET", f"/inbox/{group['id']}/messages", params={"item": entry["id"]}).json()
        assert transcript["conversation_id"] == shopper.session_id
        marked = [m for m in transcript["messages"] if m["marked"]]
        assert [(m["text"], m["understood"]) for m in marked] == [(text, False)]
        assert any(m["sender"] == "bot" for m in transcript["messages"])

    after = totals_today(running_bridge)
    assert after["report"]["totals"]["not_understood"] == before["not_understood"] + 2
    assert after["report"]["totals"]["shopper_messages"] == before["shopper_messages"] + 2
    assert any("Asistanın anlamadığı" in line for line in after["summary"])


def test_an_agents_mark_is_added_to_a_topic_and_the_agent_sees_what_became_of_it(running_bridge, editor_api, parse):
    assistant_missed = not understood(reading(parse(GIFT_WRAP)) or {})
    before = totals_today(running_bridge)["report"]["totals"]
    ayse = running_bridge.agent("ayse")
    shopper = running_bridge.shopper()
    try:
        shopper.say(GIFT_WRAP)
        mark = shopper.mark()
        shopper.say("bir temsilciyle görüşmek istiyorum")
        shopper.wait_for("handoff_status", lambda s: s["state"] == "queued", after=mark)
        accepted = ayse.call("accept", {"conversation_id": shopper.session_id})
        assert accepted["ok"], accepted
        question = next(m for m in accepted["conversation"]["messages"] if m["text"] == GIFT_WRAP)

        refused = ayse.call("suggest_knowledge", {"conversation_id": shopper.session_id, "message_id": "17"})
        assert refused == {"ok": False, "error": {"code": "invalid", "message": "Mesaj numarası geçersiz."}}
        ack = ayse.call("suggest_knowledge", {"conversation_id": shopper.session_id, "message_id": question["id"],
                                              "suggested_answer": SUGGESTED})
        assert ack["ok"], ack
        assert ack["suggestion"]["status"] == "new" and ack["suggestion"]["text"] == GIFT_WRAP
        assert "bekliyor" in ack["suggestion"]["outcome"]

        # The editor sees the mark with the agent's name, the conversation, and likely topics.
        group = group_with(editor_api("GET", "/inbox").json()["groups"], GIFT_WRAP)
        assert group is not None
        mark_of_ayse = next(m for m in group["marks"] if m["conversation_id"] == shopper.session_id)
        assert (mark_of_ayse["agent"], mark_of_ayse["suggested_answer"]) == ("Ayşe K.", SUGGESTED)
        mine = [e for e in editor_api("GET", f"/inbox/{group['id']}").json()["group"]["entries"]
                if e["conversation_id"] == shopper.session_id]
        assert sorted(e["source"] for e in mine) == (["agent", "assistant"] if assistant_missed else ["agent"])
        suggestions = editor_api("GET", f"/inbox/{group['id']}/suggestions").json()["suggestions"]
        assert suggestions and all(s["name"] and s["title"]["tr"] for s in suggestions)
        draft = editor_api("GET", f"/inbox/{group['id']}/draft").json()["draft"]
        assert GIFT_WRAP in draft["content"]["questions"]["tr"] and draft["content"]["answer"]["tr"] == SUGGESTED

        # Agents may not use the inbox.
        agent_headers = running_bridge.auth_headers("ayse")
        assert editor_api("GET", "/inbox", headers=agent_headers).status_code == 403
        assert editor_api("POST", f"/inbox/{group['id']}/add", headers=agent_headers, json={"topic": "shipping_cost"}).status_code == 403
        assert editor_api("GET", "/inbox", headers={}).status_code == 401

        # The editor adds the group as a question of a topic: the draft has it, the items are added.
        added = editor_api("POST", f"/inbox/{group['id']}/add", json={"topic": "shipping_cost"})
        assert added.status_code == 200, added.text
        assert added.json()["added"] and added.json()["group"]["status"] == "added"
        draft_topic = editor_api("GET", "/topics/shipping_cost").json()["topic"]
        assert GIFT_WRAP in draft_topic["content"]["questions"]["tr"]
        assert group_with(editor_api("GET", "/inbox").json()["groups"], GIFT_WRAP) is None
        resolved = group_with(editor_api("GET", "/inbox", params={"status": "added"}).json()["groups"], GIFT_WRAP)
        assert (resolved["topic"], resolved["resolved_by"]) == ("shipping_cost", "editor")
        again = editor_api("POST", f"/inbox/{group['id']}/dismiss")
        assert again.status_code == 409 and again.json()["error"]

        # The agent sees what became of the mark.
        listed = ayse.call("my_suggestions", {})
        assert listed["ok"]
        latest = next(s for s in listed["suggestions"] if s["id"] == ack["suggestion"]["id"])
        assert (latest["status"], latest["topic"], latest["resolved_by"]) == ("added", "shipping_cost", "editor")
        assert latest["outcome"].startswith("'Kargo ücreti' konusuna soru olarak eklendi")

        # The reports: the group's not-understood messages (all from today) became knowledge.
        after = totals_today(running_bridge)["report"]
        learned = after["totals"]["turned_into_knowledge"] - before["turned_into_knowledge"]
        assert resolved["shopper_messages"] >= int(assistant_missed) and learned == resolved["shopper_messages"]
        assert after["knowledge"]["added"] >= resolved["count"] and after["knowledge"]["agent_marks"] >= 1
        ayse.call("hand_back", {"conversation_id": shopper.session_id})
    finally:
        shopper.disconnect()
        ayse.disconnect()
