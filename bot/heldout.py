"""Held out means held out: no evaluation text may equal a training text once the model has
normalised both (tokenised, Turkish-folded, digits and e-mails masked), or the figures measure
memory instead of understanding. Used by the tests and printed by `python -m bot evaluate`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

import yaml

from bot.nlu_data import faq_questions, nlu_examples
from bot.settings import PROJECT_ROOT

_WORD = re.compile(r"\w+")
NLU_HELDOUT_SETS = (PROJECT_ROOT / "tests" / "nlu" / "heldout.yml", PROJECT_ROOT / "tests" / "nlu" / "outside.yml")
FRUSTRATION_TRAINING = (PROJECT_ROOT / "data" / "frustration_examples.yml",
                        PROJECT_ROOT / "tests" / "frustration" / "labelled.yml")
FRUSTRATION_HELDOUT = PROJECT_ROOT / "tests" / "frustration" / "outside.yml"


def normal_form(text: str) -> str:
    """The text as the model's featurizers see it: Rasa's whitespace tokens, each folded by
    the TurkishNormalizer (`SİPARİŞİM 400142!` and `siparisim 400999` are the same), with
    punctuation left inside a token ignored too (`no:401211` and `no: 400142` are the same)."""
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.turkish_normalizer import token_lemma

    message = Message(data={"text": text})
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process([message])
    lemmas = " ".join(token_lemma(token.text) for token in message.get("text_tokens") or [])
    return " ".join(_WORD.findall(lemmas))


def nlu_training_texts() -> List[str]:
    """Every NLU example of data/nlu/ (entity mark-up removed) and every FAQ question variant."""
    return [text for _, text in nlu_examples() + faq_questions()]


def frustration_training_texts() -> List[str]:
    texts = []
    for path in FRUSTRATION_TRAINING:
        rows = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [row["text"] for row in (rows["examples"] if isinstance(rows, dict) else rows)]
    return texts


def heldout_texts(path: Path) -> List[str]:
    return [row["text"] for row in yaml.safe_load(path.read_text(encoding="utf-8"))]


def overlaps(heldout: Iterable[str], training: Iterable[str]) -> List[Tuple[str, str]]:
    """(held-out text, training text) pairs that are one text for the model."""
    seen: Dict[str, str] = {}
    for text in training:
        seen.setdefault(normal_form(text), text)
    return [(text, seen[form]) for text in heldout if (form := normal_form(text)) in seen]
