"""Idle connections: thousands of shoppers connected, each with a session, saying nothing.

python-socketio's client is too heavy for 5,000 sockets in one process, so this speaks the
wire protocol itself over aiohttp websockets (Engine.IO 4 / Socket.IO 5): the server's open
packet `0{...}`, `40` to join the "/" namespace, `42["session_request",{"session_id":null}]`,
then `42["session_confirm","<id>"]` back; the server's pings `2` are answered with `3`.

The bridge's memory (RSS, with children) is read before, at 1,000 and at 5,000 connections,
after they all closed, and with 5,000 opened again (memory that stays flat then is reused, not
leaked); the cost of one connection is the growth divided by the count. With all of them
connected, a few real turns show whether idle sockets slow the live ones.
"""
from __future__ import annotations

import asyncio
import gc
import json
import time
from typing import Any, Dict, List, Sequence

import aiohttp

from bench.clients import ShopperSocket
from bench.conversations import FAQ_SCRIPTS
from bench.sampler import ProcessTree
from bench.stack import Stack
from bench.stats import summary

OPENING_AT_ONCE = 100
SETTLE_SECONDS = 3.0


class IdleShopper:
    def __init__(self) -> None:
        self.ws: aiohttp.ClientWebSocketResponse = None
        self.session_id: str = ""
        self.reader: asyncio.Task = None

    async def open(self, http: aiohttp.ClientSession, url: str, timeout: float = 30.0) -> None:
        self.ws = await http.ws_connect(url, timeout=timeout, autoping=True)
        opened = await self._text(timeout)
        if not opened.startswith("0"):
            raise RuntimeError(f"unexpected open packet {opened[:60]!r}")
        await self.ws.send_str("40")
        while True:
            packet = await self._text(timeout)
            if packet.startswith("44"):
                raise RuntimeError(f"namespace refused: {packet[:120]}")
            if packet.startswith("40"):
                break
        await self.ws.send_str('42["session_request",{"session_id":null}]')
        while not self.session_id:
            packet = await self._text(timeout)
            if packet.startswith("42"):
                name, *args = json.loads(packet[2:])
                if name == "session_confirm":
                    self.session_id = args[0]
            elif packet == "2":
                await self.ws.send_str("3")
        self.reader = asyncio.create_task(self._answer_pings())

    async def _text(self, timeout: float) -> str:
        message = await self.ws.receive(timeout=timeout)
        if message.type != aiohttp.WSMsgType.TEXT:
            raise RuntimeError(f"websocket {message.type.name}")
        return message.data

    async def _answer_pings(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.TEXT and message.data == "2":
                await self.ws.send_str("3")

    async def close(self) -> None:
        if self.reader:
            self.reader.cancel()
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()


async def open_many(http: aiohttp.ClientSession, url: str, count: int, errors: Dict[str, int]) -> List[IdleShopper]:
    gate = asyncio.Semaphore(OPENING_AT_ONCE)
    opened: List[IdleShopper] = []

    async def one() -> None:
        async with gate:
            shopper = IdleShopper()
            try:
                await shopper.open(http, url)
                opened.append(shopper)
            except Exception as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                await shopper.close()

    await asyncio.gather(*(one() for _ in range(count)))
    return opened


async def live_turns(stack: Stack, count: int) -> Dict[str, Any]:
    """Shoppers' turns while the idle ones are connected: each a new conversation with one
    question (the same question again in one conversation would count as frustration)."""
    times = []
    for index in range(count):
        script = FAQ_SCRIPTS[index % len(FAQ_SCRIPTS)]
        socket = await ShopperSocket(stack.bridge_url, script.language).connect()
        try:
            turn = await socket.turn(script.turns[1])
            if turn.ok and "bot" in turn.senders():
                times.append(turn.first_ms)
        finally:
            await socket.close()
    return summary(times)


async def measure(stack: Stack, steps: Sequence[int] = (1000, 5000), live: int = 10, progress=print) -> Dict[str, Any]:
    bridge = ProcessTree(stack.pid("bridge"))
    url = stack.bridge_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    errors: Dict[str, int] = {}
    points = []

    async def settle() -> float:
        gc.collect()
        await asyncio.sleep(SETTLE_SECONDS)
        return bridge.rss_mb()

    before = await settle()
    points.append({"connections": 0, "bridge_rss_mb": before})
    connected: List[IdleShopper] = []
    connector = aiohttp.TCPConnector(limit=0)  # the default limit of 100 would hold the 101st socket forever
    async with aiohttp.ClientSession(connector=connector) as http:
        try:
            for target in steps:
                started = time.monotonic()
                connected += await open_many(http, url, target - len(connected), errors)
                seconds = time.monotonic() - started
                rss = await settle()
                point = {"connections": len(connected), "bridge_rss_mb": rss, "open_seconds": round(seconds, 1),
                         "per_connection_kb": round((rss - before) * 1024 / max(len(connected), 1), 1)}
                progress(f"idle: {len(connected)} connected in {seconds:.1f} s, bridge RSS {rss:.0f} MB "
                         f"({point['per_connection_kb']} KB per connection)")
                points.append(point)
            turns = await live_turns(stack, live)
            progress(f"idle: a live shopper with {len(connected)} idle ones: p50 {turns.get('p50')} ms")
        finally:
            await asyncio.gather(*(shopper.close() for shopper in connected), return_exceptions=True)
        after = await settle()
        # The same number again: if memory stays flat, the bridge reuses what it kept (no leak).
        again = await open_many(http, url, steps[-1], errors)
        reopened = await settle()
        progress(f"idle: closed, {after:.0f} MB; {len(again)} again, {reopened:.0f} MB")
        await asyncio.gather(*(shopper.close() for shopper in again), return_exceptions=True)
    return {
        "points": points,
        "after_close_rss_mb": after,
        "reopened": {"connections": len(again), "bridge_rss_mb": reopened},
        "errors": errors,
        "live_turn_ms_with_idle": turns,
        "method": {"opening_at_once": OPENING_AT_ONCE, "settle_seconds": SETTLE_SECONDS,
                   "client": "raw Engine.IO 4 / Socket.IO 5 over aiohttp websockets, one process"},
    }
