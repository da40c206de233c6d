"""Handoff: from the shopper's "I want a person" to the agent holding the transcript, and back,
with 1, 5 and 20 agents logged in.

Each round a new shopper sends `HANDOFF_TEXT` (Rasa answers it with a `handoff_request` and no
text; the bridge escalates). Moments measured from that message on:
- `typing`: the shopper sees "bot is typing" (the bridge stored and scored the message and is
  about to ask Rasa);
- `shopper_told`: the shopper's first `bot_uttered`, the system message with the queue position;
- `offer`: the agent's `offer` arrives;
- `transcript`: the agent accepted as soon as the offer came, and the acknowledgement with the
  full transcript (conversation detail) is back: the agent holds it.
Then the agent's reply: from emitting `send` to the shopper's `bot_uttered` from the agent.
Then the desk broadcast: `desk_all` is the moment the last logged-in agent has their first new
`desk` since the message (the bridge batches desk changes for `delivery.BATCH_SECONDS`, 50 ms,
so this includes that wait), `desk_spread` the time between the first and the last agent getting
that desk. The agent keeps the chat until every agent has it, then closes it (tag
`information`), and the round ends once the close's desks have arrived too, so that no broadcast
of one round runs into the next one's timed phases. The same message through Rasa's REST
channel alone, right after, shows Rasa's own part.

Agents (`AGENT_BLOCKS`): `AGENT` (ayse) alone, as in the earlier runs; then 5 and 20 agents; then
ayse alone again (a check of drift during the section). Every agent who logs in is online and
available, speaks Turkish, and has `MAX_CHATS` (10) as chat limit: all are eligible for every
chat, count in the wait estimates and get every desk broadcast, whose queue and team change with
each handoff. Routing breaks the tie between equally loaded agents with equal limits by the
lowest id, which is ayse's: she gets every offer and accepts it at once; the others never
accept (and are never offered a chat). Besides ayse the agents are the demo store's other agents
and, beyond them, accounts `bench01`, `bench02`, ... created in the benchmark's own database the
way the bridge creates the demo ones (`accounts.ensure_demo_accounts`, password from
`KUZEY_PASSWORD_<NAME>`), after the first block, so that it runs with the same team as before.
They log in through `POST /api/login` like ayse; python-socketio's client is heavy, so the
agents who only watch speak the wire protocol over aiohttp websockets (as bench/idle.py) and
note when each `desk` frame arrives without decoding it.
"""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import tempfile
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import aiohttp

from bench.clients import DEFAULT_TIMEOUT, AgentSocket, ShopperSocket, now, rest_turn
from bench.conversations import AGENT_REPLY, DEMO_STORE, HANDOFF_TEXT
from bench.stack import AGENT, Stack
from bench.stats import summary

PHASES = ("rasa_rest_alone", "rasa_read_slots", "rasa_pause", "typing", "shopper_told", "offer", "transcript", "accept_round_trip",
          "bridge_share_of_transcript", "agent_reply_to_shopper", "desk_all", "desk_spread")
AGENT_BLOCKS: Tuple[Tuple[str, int], ...] = (("1", 1), ("5", 5), ("20", 20), ("1 again", 1))  # (label, agents logged in)
MAX_CHATS = 10        # every logged-in agent's limit: far above the one chat a round opens
DESK_WAIT = 5.0       # seconds to wait for a broadcast's desks before counting them missing
BENCH_ACCOUNT = "bench{:02d}"


# --- the agents -------------------------------------------------------------------------------
class AcceptingAgent(AgentSocket):
    """`AGENT`, who accepts every offer; also keeps when each `desk` arrived, and the last one."""

    def __init__(self, url: str):
        super().__init__(url)
        self.desks: List[float] = []
        self.last_desk: Dict[str, Any] = {}
        queue_it = self.inbox.handler("desk")

        def desk(data: Any = None) -> None:
            self.desks.append(now())
            self.last_desk = data if isinstance(data, dict) else {}
            queue_it(data)

        self.sio.on("desk", desk, namespace="/agents")


class WatchingAgent:
    """A logged-in agent who only receives: raw Engine.IO 4 / Socket.IO 5 over an aiohttp websocket
    (`40/agents,{"token":…}` to join; pings `2` answered with `3`), noting when `desk` frames and
    `offer` frames arrive without decoding them."""

    def __init__(self, username: str):
        self.username = username
        self.ws: Optional[aiohttp.ClientWebSocketResponse] = None
        self.reader: Optional[asyncio.Task] = None
        self.desks: List[float] = []
        self.offers = 0

    async def open(self, http: aiohttp.ClientSession, base_url: str, password: str,
                   timeout: float = DEFAULT_TIMEOUT) -> "WatchingAgent":
        token = await login(http, base_url, self.username, password)
        url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await http.ws_connect(url, timeout=timeout, autoping=True)
        opened = await self._text(timeout)
        if not opened.startswith("0"):
            raise RuntimeError(f"unexpected open packet {opened[:60]!r}")
        await self.ws.send_str("40/agents," + json.dumps({"token": token}))
        while True:
            packet = await self._text(timeout)
            if packet.startswith("44/agents,"):
                raise RuntimeError(f"{self.username}: /agents refused: {packet[:200]}")
            self._note(packet)
            if packet.startswith("40/agents,"):
                break
        self.reader = asyncio.create_task(self._read())
        return self

    async def _text(self, timeout: float) -> str:
        message = await self.ws.receive(timeout=timeout)
        if message.type != aiohttp.WSMsgType.TEXT:
            raise RuntimeError(f"{self.username}: websocket {message.type.name}")
        return message.data

    def _note(self, packet: str) -> None:
        if packet.startswith('42/agents,["desk"'):
            self.desks.append(now())
        elif packet.startswith('42/agents,["offer"'):
            self.offers += 1

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            if message.data == "2":
                await self.ws.send_str("3")
            else:
                self._note(message.data)

    async def close(self) -> None:
        if self.reader:
            self.reader.cancel()
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()


async def login(http: aiohttp.ClientSession, base_url: str, username: str, password: str) -> str:
    async with http.post(f"{base_url}/api/login", json={"username": username, "password": password}) as response:
        response.raise_for_status()
        return (await response.json())["token"]


def team(count: int) -> List[str]:
    """Who is logged in with `count` agents: AGENT first, the other demo agents, then bench accounts."""
    demo = [agent["username"] for agent in DEMO_STORE["agents"] if agent["username"] != AGENT]
    names = [AGENT, *demo][:count]
    return names + [BENCH_ACCOUNT.format(i) for i in range(1, count - len(names) + 1)]


def prepare_accounts(stack: Stack, usernames: Sequence[str]) -> None:
    """Creates the missing bench accounts (as the bridge creates the demo accounts) and gives every
    one of `usernames` the chat limit MAX_CHATS, in the benchmark's own database."""
    from sqlalchemy import update

    from bot.desk.accounts import ensure_demo_accounts
    from bot.desk.models import DeskUser
    from bot.desk.store import DeskStore, utcnow

    extra = [name for name in usernames if name.startswith("bench")]
    for name in extra:
        password = stack.passwords.setdefault(name, secrets.token_urlsafe(12))
        os.environ[f"KUZEY_PASSWORD_{name.upper()}"] = password
    store = DeskStore.open(stack.settings.store_database_url)
    with tempfile.TemporaryDirectory(prefix="kuzey-bench-agents-") as folder:
        accounts = Path(folder) / "agents.json"
        accounts.write_text(json.dumps({"agents": [
            {"username": name, "display_name": f"Bench {name[5:]}", "max_concurrent_chats": MAX_CHATS,
             "languages": ["tr", "en"]} for name in extra]}), encoding="utf-8")
        with store.session() as session:
            generated = ensure_demo_accounts(session, accounts, utcnow())
    if generated:
        raise RuntimeError(f"accounts created without the benchmark's password: {sorted(generated)}")
    with store.session() as session:
        session.execute(update(DeskUser).where(DeskUser.username.in_(list(usernames))).values(max_chats=MAX_CHATS))
        session.commit()


def online_available(agent: AcceptingAgent) -> int:
    """Agents online and available on the team list of the accepting agent's latest desk."""
    return sum(1 for a in agent.last_desk.get("agents", []) if a.get("online") and a.get("available"))


# --- one handoff ------------------------------------------------------------------------------
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


async def desks_after(agents: Sequence[Any], moment: float, timeout: float = DESK_WAIT) -> Optional[List[float]]:
    """Each agent's first `desk` after `moment`, once every one has it; None after `timeout`."""
    deadline = now() + timeout
    while True:
        firsts = [next((t for t in agent.desks if t > moment), None) for agent in agents]
        if all(first is not None for first in firsts):
            return firsts
        if now() > deadline:
            return None
        await asyncio.sleep(0.002)


async def one_handoff(stack: Stack, agent: AgentSocket, http: aiohttp.ClientSession,
                      watchers: Sequence[WatchingAgent] = ()) -> Dict[str, float]:
    desk_agents = [a for a in (agent, *watchers) if hasattr(a, "desks")]
    shopper = await ShopperSocket(stack.bridge_url, "tr").connect()
    try:
        agent.inbox.clear()
        shopper.inbox.clear()
        for a in desk_agents:
            a.desks.clear()
        sent = now()
        await shopper.sio.emit("user_uttered", {"message": HANDOFF_TEXT, "session_id": shopper.session_id,
                                                "metadata": shopper.metadata})
        try:
            offered, _ = await agent.inbox.wait_for(
                "offer", lambda data: data["conversation"]["id"] == shopper.session_id)
        except asyncio.TimeoutError:
            elsewhere = [w.username for w in watchers if w.offers]
            raise RuntimeError(f"no offer reached {AGENT} within {DEFAULT_TIMEOUT:g} s"
                               + (f"; offers went to {elsewhere}" if elsewhere else "")) from None
        detail = (await agent.call("accept", {"conversation_id": shopper.session_id}))["conversation"]
        accepted = now()
        if not any(m["text"] == HANDOFF_TEXT for m in detail["messages"]):
            raise RuntimeError("the transcript the agent got lacks the shopper's message")
        told = await first_events(shopper, ("typing", "bot_uttered"))

        shopper.inbox.clear()
        replied = now()
        await agent.call("send", {"conversation_id": shopper.session_id, "text": AGENT_REPLY})
        seen = await shopper.answer(replied, quiet=0.0, where=lambda d: (d.get("metadata") or {}).get("sender") == "agent")
        desks = await desks_after(desk_agents, sent) if desk_agents else None  # the chat stays open until then
        closing = now()
        await agent.call("close", {"conversation_id": shopper.session_id, "tags": ["information"], "note": ""})
        closed_desks = await desks_after(desk_agents, closing) if desk_agents else None
        per_agent = sum(len(a.desks) for a in desk_agents) / len(desk_agents) if desk_agents else None
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
        "desk_all": ms(max(desks)) if desks else None,
        "desk_spread": (max(desks) - min(desks)) * 1000 if desks and len(desks) > 1 else None,
        "desks_missing": desks is None,
        "close_desks_missing": bool(desk_agents) and closed_desks is None,
        "desks_per_agent": per_agent,
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


# --- the section ------------------------------------------------------------------------------
def block_figures(label: str, count: int, rows: List[Dict[str, Any]], online: int) -> Dict[str, Any]:
    per_agent = [r["desks_per_agent"] for r in rows if r.get("desks_per_agent") is not None]
    return {
        "label": label, "agents": count, "online_available": online,
        "phases_ms": {phase: summary([r[phase] for r in rows if r.get(phase) is not None]) for phase in PHASES},
        "desks_missing": sum(1 for r in rows if r.get("desks_missing")),
        "close_desks_missing": sum(1 for r in rows if r.get("close_desks_missing")),
        "desks_per_agent_per_round": round(sum(per_agent) / len(per_agent), 2) if per_agent else None,
        "rounds": rows,
    }


def ratio(blocks: List[Dict[str, Any]], phase: str, stat: str, many: int, few: int = 1) -> Optional[float]:
    values = {b["agents"]: b["phases_ms"][phase].get(stat) for b in reversed(blocks)}  # the first block of a count wins
    top, bottom = values.get(many), values.get(few)
    return round(top / bottom, 2) if top and bottom else None


async def measure(stack: Stack, rounds: int, progress=print,
                  blocks: Sequence[Tuple[str, int]] = AGENT_BLOCKS) -> Dict[str, Any]:
    from bench.sampler import wait_until_quiet

    prepare_accounts(stack, [AGENT])  # ayse's limit as in every block; the other accounts come later
    agent = await AcceptingAgent(stack.bridge_url).connect(AGENT, stack.passwords[AGENT])
    results: List[Dict[str, Any]] = []
    prepared = 1
    try:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession() as http, aiohttp.ClientSession(connector=connector) as sockets:
            for label, count in blocks:
                if count > prepared:
                    prepare_accounts(stack, team(max(c for _, c in blocks)))
                    prepared = max(c for _, c in blocks)
                watchers = [WatchingAgent(name) for name in team(count)[1:]]
                try:
                    await asyncio.gather(*(w.open(sockets, stack.bridge_url, stack.passwords[w.username])
                                           for w in watchers))
                    await asyncio.sleep(1.0)  # the logins' broadcasts
                    await asyncio.to_thread(wait_until_quiet, stack.pids())
                    await asyncio.sleep(0.2)
                    online = online_available(agent)
                    if online != count:
                        raise RuntimeError(f"{count} agents logged in, but {online} online and available on the desk")
                    await one_handoff(stack, agent, http, watchers)  # warm-up, unmeasured
                    rows: List[Dict[str, Any]] = []
                    for _ in range(rounds):
                        rows.append(await one_handoff(stack, agent, http, watchers))
                        await asyncio.sleep(0.2)
                    if any(w.offers for w in watchers):
                        raise RuntimeError(f"offers reached agents other than {AGENT}: "
                                           f"{[w.username for w in watchers if w.offers]}")
                finally:
                    await asyncio.gather(*(w.close() for w in watchers), return_exceptions=True)
                figures = block_figures(label, count, rows, online)
                results.append(figures)
                p = figures["phases_ms"]
                progress(f"handoff, {count} agent(s) ({label}): transcript p50 {p['transcript'].get('p50')} / "
                         f"p95 {p['transcript'].get('p95')} ms, every desk p50 {p['desk_all'].get('p50')} ms")
                await asyncio.sleep(1.0)  # the logouts' broadcasts
    finally:
        await agent.close()
    first = results[0]
    return {
        "phases_ms": first["phases_ms"],  # one agent, as in the earlier runs (targets and handoff.png)
        "rounds": first["rounds"],
        "by_agents": results,
        "ratios": {f"{phase}_{stat}_{many}_to_1": ratio(results, phase, stat, many)
                   for phase in ("transcript", "bridge_share_of_transcript", "desk_all") for stat in ("p50", "p95")
                   for many in sorted({c for _, c in blocks if c > 1})},
        "method": {"agent": AGENT, "text": HANDOFF_TEXT, "close_tags": ["information"],
                   "blocks": [{"label": label, "agents": count, "team": team(count)} for label, count in blocks],
                   "max_chats": MAX_CHATS, "rounds_per_block": rounds,
                   "others": "online, available, Turkish, never offered a chat (ties go to the lowest id, ayse's)",
                   "chat_held_until": "every logged-in agent received the desk broadcast after the message"},
    }


async def profile(stack: Stack, folder, rounds: int, progress=print) -> Dict[str, Any]:
    """The same handoffs with py-spy on the bridge (raw stacks summarised, and a flame graph)."""
    from bench import profiling

    if not profiling.available():
        return {"skipped": "py-spy is not installed in the virtual environment"}
    progress(f"profile: {2 * rounds} handoffs with py-spy on the bridge")
    agent = await AcceptingAgent(stack.bridge_url).connect(AGENT, stack.passwords[AGENT])
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
