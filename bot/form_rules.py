"""Rasa rules for interruptions inside the order, return and complaint forms, derived at
training time from the domain's forms, so that every form handles them the same way.

- a knowledge-base question, a bot challenge or an out-of-scope remark is answered and the
  form asks its question again;
- "vazgeç" (`stop`) ends the form; asking for a person ends it and offers one; saying the
  assistant does not understand ends it too, apologises and offers a person.
"""
from __future__ import annotations

from typing import Dict, List

import yaml

ANSWER_AND_RETURN = {"faq": "utter_faq", "bot_challenge": "utter_iamabot", "out_of_scope": "utter_out_of_scope"}
ANSWER_AND_END = {"stop": "action_stop_flow", "request_human": "action_offer_human",
                  "bot_misunderstood": "action_bot_misunderstood"}


def interruption_rules(forms: List[str]) -> List[Dict]:
    rules = []
    for form in forms:
        for intent, action in ANSWER_AND_RETURN.items():
            rules.append({
                "rule": f"{intent} inside {form}",
                "condition": [{"active_loop": form}],
                "steps": [{"intent": intent}, {"action": action}, {"action": form}, {"active_loop": form}],
            })
        for intent, action in ANSWER_AND_END.items():
            rules.append({
                "rule": f"{intent} ends {form}",
                "condition": [{"active_loop": form}],
                "steps": [{"intent": intent}, {"action": action}, {"active_loop": None}],
            })
    return rules


def rules_yaml(domain_yaml: str) -> str:
    forms = sorted((yaml.safe_load(domain_yaml) or {}).get("forms") or {})
    document = {"version": "3.1", "rules": interruption_rules(forms)}
    header = "# Generated from domain.yml's forms by bot/form_rules.py. Do not edit.\n"
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
