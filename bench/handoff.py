"""Handoff: from the shopper's "I want a person" to the agent holding the transcript, and back.

One agent is logged in and available. Each round a new shopper sends `HANDOFF_TEXT` (Rasa
answers it with a `handoff_request` and no text; the bridge escalates). Moments measured from
that message on:
- `typing`: the shopper sees "bot is typing" (the bridge stored and scored the message and is
  about to ask Rasa);
- `shopper_told`: the shopper's first `bot_uttered`, the system message with the queue position;
- `offer`: the agent's `offer` arrives;
- `transcript`: the agent accepted as soon as the offer came, and the acknowledgement with the
  full transcript (conversation detail) is back: the agent holds it.
Then the agent's reply: from emitting `send` to the shopper's `bot_uttered` from the agent.
Each chat is closed afterwards (tag `information`). The same message through Rasa's REST
channel alone, right after, shows Rasa's own part.
"""
from __future__ import annotations

import asyncio
import tempfile
import uuid
from pathlib import Path
from typing import Any, Dict, List

import aiohttp

from bench.clients import AgentSocket, ShopperSocket, now, rest_turn
from bench.conversations import AGENT_REPLY, HANDOFF_TEXT
from bench.stack import AGENT, Stack
from bench.stats import summary

PHASES = ("rasa_rest_alone", "rasa_read_slots", "rasa_pause", "typing", "shopper_told", "offer", "transcript", "accept_round_trip",
          "bridge_share_of_transcript", "agent_reply_to_shopper")


async def first_events(shopper: ShopperSocket, names, timeout: float = 30.0) -> Dict[str, float]:
    """Arrival time of the first event of each name (the shopper's inbox, in order)."""
    seen: Dict[str, float] = {}
    deadline = now() + timeout
    while set(names) - set(seen):
        arrived, event, data = await shopper.inbox.next(deadline - now())
        if event == "typing" and not (isinstance(data, dict) and data.get("active")):
            continue
        seen.setdefault(event, arrived)
    return seen


async def one_handoff(stack: Stack, agent: AgentSocket, http: aiohttp.ClientSession) -> Dict[str, float]:
    shopper = await ShopperSocket(stack.bridge_url, "tr").connect()
    try:
        agent.inbox.clear()
        shopper.inbox.clear()
        sent = now()
        await shopper.sio.emit("user_uttered", {"message": HANDOFF_TEXT, "session_id": shopper.session_id,
                                                "metadata": shopper.metadata})
        offered, _ = await agent.inbox.wait_for(
            "offer", lambda data: data["conversation"]["id"] == shopper.session_id)
        detail = (await agent.call("accept", {"conversation_id": shopper.session_id}))["conversation"]
        accepted = now()
        if not any(m["text"] == HANDOFF_TEXT for m in detail["messages"]):
            raise RuntimeError("the transcript the agent got lacks the shopper's message")
        told = await first_events(shopper, ("typing", "bot_uttered"))

        shopper.inbox.clear()
        replied = now()
        await agent.call("send", {"conversation_id": shopper.session_id, "text": AGENT_REPLY})
        seen = await shopper.answer(replied, quiet=0.0, where=lambda d: (d.get("metadata") or {}).get("sender") == "agent")
        await agent.call("close", {"conversation_id": shopper.session_id, "tags": ["information"], "note": ""})
    finally:
        await shopper.close()
    sender = f"bench-handoff-{uuid.uuid4().hex[:12]}"
    rest = await rest_turn(http, stack.rest_url, sender, HANDOFF_TEXT, {"language": "tr", "live_chat": True})
    tracker_calls = await rasa_tracker_calls(stack, http, sender)
    ms = lambda moment: (moment - sent) * 1000  # noqa: E731
    return {
        "rasa_rest_alone": rest.last_ms,
        "typing": ms(told["typing"]),
        "shopper_told": ms(told["bot_uttered"]),
        "offer": ms(offered),
        "transcript": ms(accepted),
        "accept_round_trip": (accepted - offered) * 1000,
        "bridge_share_of_transcript": ms(accepted) - rest.last_ms if rest.last_ms else None,
        "agent_reply_to_shopper": seen.first_ms,
        **tracker_calls,
        "transcript_messages": len(detail["messages"]),
    }


async def rasa_tracker_calls(stack: Stack, http: aiohttp.ClientSession, sender: str) -> Dict[str, float]:
    """The two Rasa calls the bridge makes while escalating, timed alone on a similar conversation:
    reading the slots (who the customer is) and pausing the tracker (then resumed here)."""
    url = f"{stack.settings.rasa_url}/conversations/{sender}/tracker"
    token = stack.settings.rasa_api_token()
    started = now()
    async with http.get(url, params={"token": token, "include_events": "NONE"}) as response:
        await response.read()
    read = now()
    async with http.post(f"{url}/events", params={"token": token}, json=[{"event": "pause"}]) as response:
        await response.read()
    paused = now()
    async with http.post(f"{url}/events", params={"token": token},
                         json=[{"event": "resume"}, {"event": "action", "name": "action_listen"}]) as response:
        await response.read()
    return {"rasa_read_slots": (read - started) * 1000, "rasa_pause": (paused - read) * 1000}


async def measure(stack: Stack, rounds: int, progress=print) -> Dict[str, Any]:
    agent = await AgentSocket(stack.bridge_url).connect(AGENT, stack.passwords[AGENT])
    rows: List[Dict[str, float]] = []
    try:
        async with aiohttp.ClientSession() as http:
            await one_handoff(stack, agent, http)  # warm-up, unmeasured
            for _ in range(rounds):
                rows.append(await one_handoff(stack, agent, http))
                await asyncio.sleep(0.2)
    finally:
        await agent.close()
    progress(f"handoff: {rounds} rounds, transcript p50 {summary([r['transcript'] for r in rows]).get('p50')} ms")
    return {
        "phases_ms": {phase: summary([r[phase] for r in rows if r[phase] is not None]) for phase in PHASES},
        "rounds": rows,
        "method": {"agent": AGENT, "text": HANDOFF_TEXT, "close_tags": ["information"]},
    }


async def profile(stack: Stack, folder, rounds: int, progress=print) -> Dict[str, Any]:
    """The same handoffs with py-spy on the bridge (raw stacks summarised, and a flame graph)."""
    from bench import profiling

    if not profiling.available():
        return {"skipped": "py-spy is not installed in the virtual environment"}
    progress(f"profile: {2 * rounds} handoffs with py-spy on the bridge")
    agent = await AgentSocket(stack.bridge_url).connect(AGENT, stack.passwords[AGENT])
    results: Dict[str, Any] = {}
    try:
        async with aiohttp.ClientSession() as http:
            with tempfile.TemporaryDirectory(prefix="kuzey-bench-profile-") as raw_folder:
                for fmt, path in (("raw", Path(raw_folder) / "handoff-bridge.txt"),
                                  ("flamegraph", Path(folder) / "profile-handoff-bridge.svg")):
                    recording = await profiling.Recording(stack.pid("bridge"), path, fmt, idle=True).start()
                    await asyncio.sleep(1.0)  # py-spy attaches
                    for _ in range(rounds):
                        await one_handoff(stack, agent, http)
                    if await recording.stop() and fmt == "raw":
                        results["bridge"] = profiling.summarise(path, wall_clock=True)
                    elif fmt == "flamegraph" and path.exists():
                        results["flame_graph"] = path.name
    finally:
        await agent.close()
    return results
