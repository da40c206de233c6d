import pytest

from bot.nlu_metrics import (Case, OutsideTargets, Prediction, Targets, compute_metrics, percentile,
                             prediction_from_parse, with_thresholds)


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
    # Macro-F1 over the expected intents only (faq, greet, order_status; the predicted "inform" is
    # not one): faq p=2/2 r=2/2 F1=1, greet F1=1, order_status p=0/0 r=0/1 F1=0, so (1 + 1 + 0) / 3.
    # Over every label seen (inform too) it would be 2/4; weighted by support, 3/4.
    assert m["intent"]["macro_f1"] == pytest.approx(2 / 3)
    assert m["intent_by_style"]["plain"]["macro_f1"] == pytest.approx(1.0)
    assert m["intent_by_style"]["english"]["macro_f1"] == pytest.approx(1 / 2)  # faq 1, order_status 0


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
    metrics = {"intent": {"accuracy": 0.975}, "intent_by_style": {"plain": {"accuracy": 0.96}, "slang": {"accuracy": 0.94}},
               "topic_accuracy": 0.93, "entities": {"order_no": {"recall": 1.0}}}
    results = Targets().check(metrics, p95_ms=40)
    assert [ok for ok in results.values()] == [True, False, True, True, True]


def test_right_asked_back_and_confidently_wrong_add_up_per_language():
    cases = [
        Case("a", "greet", "plain"),
        Case("b", "faq", "english", topic="invoice"),
        Case("c", "faq", "english", topic="warranty"),
        Case("d", "out_of_scope", "long", lang="tr"),
        Case("e", "cancel_order", "mixed", lang="tr"),
    ]
    predictions = [
        Prediction("greet"),
        Prediction("faq", "invoice"),
        Prediction("faq", "invoice"),       # right intent, wrong topic: confidently wrong
        Prediction("nlu_fallback"),         # asked back: a miss, not a wrong answer
        Prediction("out_of_scope"),
    ]
    m = compute_metrics(cases, predictions)
    # Turkish: a greet->greet, d out_of_scope->nlu_fallback, e cancel_order->out_of_scope. Macro-F1 over
    # the expected intents: greet 1, out_of_scope p=0/1 r=0/1 0, cancel_order p=0/0 r=0/1 0 -> 1/3.
    assert m["by_language"]["tr"] == pytest.approx(
        {"n": 3, "accuracy": 1 / 3, "macro_f1": 1 / 3, "correct": 1 / 3,
         "fallback_rate": 1 / 3, "confidently_wrong_rate": 1 / 3})
    assert m["by_language"]["en"]["macro_f1"] == pytest.approx(1.0)  # faq->faq twice (topics aside)
    assert m["by_language"]["en"]["correct"] == 0.5 and m["by_language"]["en"]["confidently_wrong_rate"] == 0.5
    assert m["out_of_scope_recall"] == 0.0
    assert m["per_intent"]["faq"]["recall"] == 1.0 and m["per_intent"]["out_of_scope"]["fallback_rate"] == 1.0
    assert m["confusions"] == [{"expected": "cancel_order", "predicted": "out_of_scope", "count": 1},
                               {"expected": "faq/warranty", "predicted": "faq/invoice", "count": 1}]


def test_outside_targets_can_fail_on_each_figure():
    good = {"by_language": {"tr": {"correct": 0.93, "confidently_wrong_rate": 0.03},
                            "en": {"correct": 0.9, "confidently_wrong_rate": 0.02}}, "out_of_scope_recall": 0.9}
    assert all(OutsideTargets().check(good).values())
    wrong = {**good, "by_language": {**good["by_language"], "en": {"correct": 0.9, "confidently_wrong_rate": 0.05}}}
    assert [name for name, ok in OutsideTargets().check(wrong).items() if not ok] == ["en: confidently wrong <= 4%"]
    assert not all(OutsideTargets().check({**good, "out_of_scope_recall": 0.5}).values())


def test_a_higher_threshold_turns_a_doubtful_answer_into_a_question():
    parse = {"intent": {"name": "faq", "confidence": 0.5},
             "intent_ranking": [{"name": "faq", "confidence": 0.5}, {"name": "complaint", "confidence": 0.3}],
             "response_selector": {"faq": {"response": {"intent_response_key": "faq/invoice"}}}, "entities": []}
    assert with_thresholds(parse, 0.4, 0.1) == Prediction("faq", "invoice")
    assert with_thresholds(parse, 0.6, 0.1) == Prediction("nlu_fallback")
    assert with_thresholds(parse, 0.4, 0.25) == Prediction("nlu_fallback")  # too close to the runner-up
