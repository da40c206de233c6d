"""Rasa's own checks: data validation and story tests on the trained model."""
import re
import subprocess
import sys

import pytest

from bot.settings import PROJECT_ROOT
from bot.training import rasa_command, rasa_env

pytestmark = pytest.mark.integration


# Warnings of `rasa data validate` that do not point at a mistake:
# - Rasa adds retrieval intents found in the training data to the domain and then reports
#   the domain's own `faq` as a duplicate (every project with a retrieval intent sees it);
# - responses sent by custom actions (actions/) or by forms asking for a slot (utter_ask_*)
#   are not used in a story or rule by design.
HARMLESS_WARNINGS = [
    re.compile(r"The following duplicated intents have been found across multiple domain files: faq$"),
    re.compile(r"The utterance '(utter_clarify|utter_clarify_again|utter_human_contact|utter_default|"
               r"utter_ask_order_proof|utter_ask_return_key|utter_ask_complaint_text)' "
               r"is not used in any story or rule\.$"),
]


def test_rasa_data_validate_passes_without_warnings_that_matter(settings):
    result = subprocess.run([sys.executable, "-m", "bot", "validate"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, env=rasa_env(settings))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    warnings = [line.split("UserWarning: ", 1)[1].strip() for line in output.splitlines() if "UserWarning: " in line]
    assert warnings, "expected Rasa's validator output"
    unexpected = [w for w in warnings if not any(p.search(w) for p in HARMLESS_WARNINGS)]
    assert unexpected == []


def test_story_tests_pass_with_fail_on_prediction_errors(settings, trained_model, tmp_path):
    result = subprocess.run(
        rasa_command("test", "core", "--model", str(trained_model), "--stories", "tests/stories",
                     "--fail-on-prediction-errors", "--out", str(tmp_path)),
        cwd=PROJECT_ROOT, capture_output=True, text=True, env=rasa_env(settings),
    )
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert result.returncode == 0, failed + result.stdout[-3000:] + result.stderr[-3000:]
    # Wrongly classified intents (also a wrong knowledge-base topic) do not stop `rasa test`,
    # but they land in this file.
    assert "- story:" not in failed, failed
