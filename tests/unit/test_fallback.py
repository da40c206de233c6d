from actions.fallback import consecutive_fallbacks
from actions.suggestions import human_offer_buttons, suggestions

TITLES = {"shipping_cost": {"tr": "Kargo ücreti", "en": "Shipping cost"},
          "shipping_time": {"tr": "Kargo süresi", "en": "Delivery time"},
          "return_policy": {"tr": "İade koşulları", "en": "Return policy"},
          "payment_methods": {"tr": "Ödeme yöntemleri", "en": "Payment methods"}}


def user(intent):
    return {"event": "user", "parse_data": {"intent": {"name": intent}}}


def test_consecutive_fallbacks_count_only_the_latest_run():
    bot = {"event": "bot"}
    assert consecutive_fallbacks([user("nlu_fallback"), bot, user("greet"), bot, user("nlu_fallback")]) == 1
    assert consecutive_fallbacks([user("greet"), user("nlu_fallback"), bot, user("nlu_fallback")]) == 2
    assert consecutive_fallbacks([user("nlu_fallback"), user("faq")]) == 0


def test_suggestions_follow_the_ranking_and_use_plain_questions_as_payloads():
    parse = {
        "intent_ranking": [{"name": "faq", "confidence": 0.4}, {"name": "order_status", "confidence": 0.3},
                           {"name": "greet", "confidence": 0.2}],
        "response_selector": {"faq": {"ranking": [{"intent_response_key": "faq/shipping_cost"}]}},
    }
    buttons = suggestions(parse, "tr", TITLES)
    assert [b["title"] for b in buttons] == ["Kargo ücreti", "Siparişim nerede?", "Kargo süresi"]
    assert all(not b["payload"].startswith("/") for b in buttons)


def test_suggestions_in_english_and_without_a_ranking():
    assert [b["title"] for b in suggestions({}, "en", TITLES)] == ["Delivery time", "Return policy", "Payment methods"]


def test_the_human_offer_is_in_the_shoppers_language():
    assert human_offer_buttons("en")[0]["payload"] == "I want to talk to an agent"


def _run(action, events, language="tr"):
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    latest = events[-1]["parse_data"]
    tracker = Tracker("shopper", {"language": language}, latest, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker, {})
    return dispatcher.messages


def test_clarify_action_asks_back_first_and_offers_a_person_second():
    from actions.fallback import ActionClarify

    miss = {"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}, "intent_ranking": [
        {"name": "nlu_fallback", "confidence": 0.55}, {"name": "order_status", "confidence": 0.3}]}}
    first = _run(ActionClarify(), [miss])
    assert first[0]["response"] == "utter_clarify"
    assert first[0]["buttons"][0]["payload"] == "Siparişim nerede?"
    assert first[1]["custom"] == {"fallback": {"count": 1}}
    second = _run(ActionClarify(), [miss, {"event": "bot"}, miss], language="en")
    assert second[0]["response"] == "utter_clarify_again"
    assert second[0]["buttons"][0]["payload"] == "I want to talk to an agent"
    assert second[1]["custom"] == {"handoff_offer": {"reason": "repeated_fallback"}}


def test_asking_for_a_person_signals_the_bridge():
    from actions.handoff import ActionOfferHuman

    messages = _run(ActionOfferHuman(), [user("request_human")])
    assert messages[0]["response"] == "utter_human_contact"
    assert messages[1]["custom"] == {"handoff_request": {"reason": "requested"}}


def test_behind_the_bridge_the_request_is_only_a_signal():
    from actions.handoff import ActionOfferHuman

    event = user("request_human")
    event["parse_data"]["metadata"] = {"live_chat": True}
    assert _run(ActionOfferHuman(), [event]) == [
        {"text": None, "buttons": [], "elements": [], "custom": {"handoff_request": {"reason": "requested"}},
         "template": None, "response": None, "image": None, "attachment": None}]
