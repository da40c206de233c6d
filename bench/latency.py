"""Latency of one turn, straight to Rasa's REST channel and through the bridge, side by side.

The same scripted conversations run in three variants, one conversation each:
- `rest`: Rasa's REST channel with only the page language as metadata;
- `rest_live_chat`: the same plus `live_chat: true`, the metadata the bridge sends (the REST
  channel then also reads the tracker to report the intent): the fair baseline for the bridge;
- `bridge`: a Socket.IO shopper on the bridge, timed to its first `bot_uttered` and to the
  complete turn (see bench/clients.py); also to its `typing` event, which the bridge sends
  once it has stored and scored the message, just before it asks Rasa.
The three take turns message by message, in a rotating order, so that they share the noise of
a busy machine; one unmeasured round warms everything up first. Turns run one at a time.
"""
from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from typing import Any, Dict, List, Sequence

import aiohttp

from bench.clients import ShopperSocket, Turn, rest_turn
from bench.conversations import FAQ_SCRIPTS, ORDER_SCRIPT, TRACKING_NO, Script
from bench.stack import Stack
from bench.stats import ratio, summary

VARIANTS = ("rest", "rest_live_chat", "bridge")
ORDERS = list(itertools.permutations(VARIANTS))


class Conversation:
    """One scripted conversation in one variant."""

    def __init__(self, stack: Stack, http: aiohttp.ClientSession, variant: str, language: str):
        self.stack, self.http, self.variant = stack, http, variant
        self.sender = f"bench-{variant}-{uuid.uuid4().hex[:12]}"
        self.metadata: Dict[str, Any] = {"language": language}
        if variant == "rest_live_chat":
            self.metadata["live_chat"] = True
        self.socket = ShopperSocket(stack.bridge_url, language) if variant == "bridge" else None

    async def open(self) -> None:
        if self.socket:
            await self.socket.connect()

    async def say(self, text: str) -> Turn:
        if self.socket:
            return await self.socket.turn(text)
        return await rest_turn(self.http, self.stack.rest_url, self.sender, text, self.metadata)

    async def close(self) -> None:
        if self.socket:
            await self.socket.close()


def read_intent(turn: Turn) -> str:
    """What the assistant read, from the `custom.nlu` the REST channel adds for live chat."""
    for message in turn.messages:
        nlu = (message.get("custom") or {}).get("nlu")
        if nlu:
            return nlu.get("intent") or ""
    return ""


async def run_script(stack: Stack, http: aiohttp.ClientSession, script: Script, rotation: int,
                     record) -> int:
    conversations = {v: Conversation(stack, http, v, script.language) for v in VARIANTS}
    try:
        for conversation in conversations.values():
            await conversation.open()
        for index, text in enumerate(script.turns):
            order = ORDERS[rotation % len(ORDERS)]
            rotation += 1
            turns = {}
            for variant in order:
                turns[variant] = await conversations[variant].say(text)
            record(script, index, text, turns)
    finally:
        for conversation in conversations.values():
            await conversation.close()
    return rotation


class Samples:
    """Every timed turn, and the summaries of each series."""

    def __init__(self) -> None:
        self.rows: List[Dict[str, Any]] = []

    def record(self, script: Script, index: int, text: str, turns: Dict[str, Turn]) -> None:
        self.rows.append({
            "script": script.name, "turn": index, "text": text,
            "intent": read_intent(turns["rest_live_chat"]),
            "rest": turns["rest"].last_ms, "rest_live_chat": turns["rest_live_chat"].last_ms,
            "bridge_typing": turns["bridge"].typing_ms,
            "bridge_first": turns["bridge"].first_ms, "bridge_complete": turns["bridge"].last_ms,
            "bridge_messages": len(turns["bridge"].messages), "rest_messages": len(turns["rest"].messages),
            "errors": {v: t.error for v, t in turns.items() if t.error},
            "answers": {v: t.text()[:200] for v, t in turns.items()},
        })

    def series(self, name: str) -> List[float]:
        return [row[name] for row in self.rows if row[name] is not None]

    def paired(self, a: str, b: str) -> List[float]:
        """Per turn: series a minus series b (the same text in the same round, one after the other)."""
        return [row[a] - row[b] for row in self.rows if row[a] is not None and row[b] is not None]

    def result(self) -> Dict[str, Any]:
        series = {name: summary(self.series(name))
                  for name in ("rest", "rest_live_chat", "bridge_typing", "bridge_first", "bridge_complete")}
        base = series["rest_live_chat"].get("p50", float("nan"))
        overhead = {
            "baseline": "rest_live_chat",
            "complete_p50_ms": round(series["bridge_complete"]["p50"] - base, 1),
            "complete_ratio_of_rasa_p50": ratio(series["bridge_complete"]["p50"] - base, base),
            "first_p50_ms": round(series["bridge_first"]["p50"] - base, 1),
            "first_ratio_of_rasa_p50": ratio(series["bridge_first"]["p50"] - base, base),
            "paired_complete_ms": summary(self.paired("bridge_complete", "rest_live_chat")),
            "paired_first_ms": summary(self.paired("bridge_first", "rest_live_chat")),
            "live_chat_metadata_cost_ms": summary(self.paired("rest_live_chat", "rest")),
        }
        errors: Dict[str, int] = defaultdict(int)
        for row in self.rows:
            for variant, error in row["errors"].items():
                errors[f"{variant}:{error}"] += 1
        return {"series": series, "overhead": overhead, "errors": dict(errors), "per_text": per_text(self.rows),
                "samples": {name: self.series(name) for name in series}}


def per_text(rows: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Median of each series per message text: where the differences come from."""
    by_text: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_text[row["text"]].append(row)
    table = []
    for text, group in by_text.items():
        entry = {"text": text, "intent": group[0]["intent"], "n": len(group)}
        for name in ("rest", "rest_live_chat", "bridge_typing", "bridge_first", "bridge_complete"):
            entry[name] = summary([r[name] for r in group if r[name] is not None]).get("p50")
        table.append(entry)
    return table


async def measure(stack: Stack, rounds: int, order_rounds: int, progress=print) -> Dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        progress("latency: warming up")
        rotation = 0
        for script in (*FAQ_SCRIPTS, ORDER_SCRIPT):  # unmeasured
            rotation = await run_script(stack, http, script, rotation, lambda *_: None)

        faq = Samples()
        for round_no in range(rounds):
            for script in FAQ_SCRIPTS:
                rotation = await run_script(stack, http, script, rotation, faq.record)
            progress(f"latency: FAQ round {round_no + 1}/{rounds}")

        order = Samples()
        for round_no in range(order_rounds):
            rotation = await run_script(stack, http, ORDER_SCRIPT, rotation, order.record)
        progress(f"latency: {order_rounds} order-status conversations")

    status_rows = [row for row in order.rows if row["turn"] == 1]
    status = Samples()
    status.rows = status_rows
    question = Samples()
    question.rows = [row for row in order.rows if row["turn"] == 0]
    correct = {v: sum(TRACKING_NO in row["answers"][v] for row in status_rows) for v in VARIANTS}
    return {
        "faq": faq.result(),
        "order_status": {
            "status_turn": status.result(),          # "mailim <e-mail>": proof checked, order read, status told
            "order_question_turn": question.result(),  # "400142 nolu siparişim nerede": asks for proof
            "answers_with_tracking_number": correct,
            "conversations": len(status_rows),
        },
        "method": {"rounds": rounds, "order_rounds": order_rounds, "scripts": [s.__dict__ for s in FAQ_SCRIPTS],
                   "order_script": ORDER_SCRIPT.__dict__, "quiet_seconds": 0.3},
    }
