"""The team's NLU training texts as plain (intent, text) pairs, without Rasa's loader.

Used to check that held-out sets stay held out and to give the tone model ordinary, calm
shopper messages; the bridge reads them without importing Rasa.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import List, Tuple

import yaml

from bot import knowledge
from bot.settings import PROJECT_ROOT

NLU_DIR = PROJECT_ROOT / "data" / "nlu"
FAQ_DIR = PROJECT_ROOT / "data" / "faq"
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def plain_text(example: str) -> str:
    """`#[400142](order_no) nerede` -> `#400142 nerede`."""
    return _ANNOTATION.sub(r"\1", example)


def nlu_examples(folder: Path = NLU_DIR) -> List[Tuple[str, str]]:
    examples = []
    for path in sorted(Path(folder).glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" not in block:
                continue
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.append((block["intent"], plain_text(line[2:].strip())))
    return examples


def faq_questions(folder: Path = FAQ_DIR) -> List[Tuple[str, str]]:
    """(`faq/<topic>`, question) for every question variant of the knowledge base, both languages."""
    kb = knowledge.load(folder)
    return [(f"faq/{topic.name}", question) for topic in kb.topics
            for questions in topic.questions.values() for question in questions]
