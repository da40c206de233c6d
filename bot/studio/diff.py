"""A readable diff of two versions of a topic (or of any stored document), line by line.

Editors read it in the history: "+ " added, "- " removed, the field each line belongs to first.
"""
from __future__ import annotations

import difflib
from typing import Any, Iterator, List, Tuple


def flatten(document: Any, prefix: str = "") -> Iterator[Tuple[str, str]]:
    """("answer.tr", "text"), ("questions.en", "one question"), ... in a stable order."""
    if isinstance(document, dict):
        for key in document:
            yield from flatten(document[key], f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(document, list):
        for item in document:
            yield from flatten(item, prefix)
    elif document is not None:
        yield prefix, str(document)


def document_diff(before: Any, after: Any) -> List[str]:
    old = [f"{_label(field)}: {text}" for field, text in flatten(before)]
    new = [f"{_label(field)}: {text}" for field, text in flatten(after)]
    return [line for line in difflib.unified_diff(old, new, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def _label(field: str) -> str:
    return field.removeprefix("content.")
