import pytest

from bot.nlu_metrics import Case, Prediction, Targets, compute_metrics, percentile, prediction_from_parse


def test_figures_computed_by_hand():
    cases = [
        Case("a", "greet", "plain"),
        Case("b", "faq", "plain", topic="invoice"),
        Case("c", "faq", "english", topic="warranty"),
        Case("d", "order_status", "english", entities=(("order_no", "400142"),)),
    ]
    predictions = [
        Prediction("greet"),
        Prediction("faq", "invoice"),
        Prediction("faq", "invoice"),  # right intent, wrong topic
        Prediction("inform", entities=(("order_no", "400142"), ("email", "x@y.com"))),
    ]
    m = compute_metrics(cases, predictions)
    assert m["intent"]["accuracy"] == 0.75
    assert m["intent_by_style"]["plain"]["accuracy"] == 1.0
    assert m["intent_by_style"]["english"]["accuracy"] == 0.5
    assert m["topic_accuracy"] == 0.5
    assert m["entities"]["order_no"] == {"precision": 1.0, "recall": 1.0, "support": 1}
    assert m["entities"]["email"]["precision"] == 0.0
    assert [e["text"] for e in m["errors"]] == ["c", "d"]
    # macro-F1 over the true labels: greet 1, faq 2/3 (p=1, r=... ) computed by sklearn
    assert 0 < m["intent"]["macro_f1"] < 1


def test_reading_rasas_parse_answer():
    parse = {
        "intent": {"name": "faq", "confidence": 0.9},
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/invoice"}}},
        "entities": [{"entity": "order_no", "value": "400142"}, {"entity": "language", "value": "tr"}],
    }
    assert prediction_from_parse(parse) == Prediction("faq", "invoice", (("order_no", "400142"),))


def test_percentile_interpolates():
    assert percentile([10, 20, 30, 40], 0.5) == pytest.approx(25)
    assert percentile([10, 20, 30, 40], 0.95) == pytest.approx(38.5)


def test_targets():
    metrics = {"intent_by_style": {"plain": {"accuracy": 0.96}, "slang": {"accuracy": 0.94}},
               "topic_accuracy": 0.93, "entities": {"order_no": {"recall": 1.0}}}
    results = Targets().check(metrics, p95_ms=40)
    assert [ok for ok in results.values()] == [False, True, True, True]
