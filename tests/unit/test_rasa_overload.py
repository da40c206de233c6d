"""Overload: the bridge's Rasa client bounds the turns in flight to one Rasa, lets the others wait
in order, tells a shopper who waits too long (once), and keeps "unavailable" for a Rasa that is
down or too slow once asked (bot/desk/rasa_client.py). Against a small aiohttp server that plays
Rasa's REST channel."""
from __future__ import annotations

import asyncio
from typing import List, Optional

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.desk.assistant_turn import Assistant
from bot.desk.rasa_client import RasaClient, RasaUnavailable
from bot.processes import free_port
from tests.asyncio_thread import run_async


class SlowRasa:
    """Answers each message after `delay` seconds (or when `gate` opens), echoing it; records the
    order messages arrived in and the most it was answering at once."""

    def __init__(self, delay: float = 0.0, status: int = 200):
        self.delay = delay
        self.status = status
        self.gate: Optional[asyncio.Event] = None
        self.arrived: List[str] = []
        self.now = 0
        self.most = 0

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.arrived.append(body["message"])
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            if self.gate is not None:
                await self.gate.wait()
            await asyncio.sleep(self.delay)
        finally:
            self.now -= 1
        if self.status != 200:
            return web.Response(status=self.status)
        return web.json_response([{"recipient_id": body["sender"], "text": f"re: {body['message']}"}])

    async def serve(self) -> TestServer:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self.webhook)
        server = TestServer(app)
        await server.start_server()
        return server


async def with_client(rasa: SlowRasa, scenario, **options):
    server = await rasa.serve()
    client = RasaClient(str(server.make_url("")), "token", **options)
    await client.start()
    try:
        return await scenario(client)
    finally:
        await client.close()
        await server.close()


async def until(condition, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


def test_a_bound_below_one_is_refused():
    with pytest.raises(ValueError):
        RasaClient("http://127.0.0.1:1", "t", max_in_flight=0)


def test_never_more_turns_at_rasa_than_the_bound():
    rasa = SlowRasa(delay=0.05)

    async def scenario(client: RasaClient):
        return await asyncio.gather(*(client.send(f"s{i}", f"m{i}", {}) for i in range(12)))

    answers = run_async(lambda: with_client(rasa, scenario, max_in_flight=3))
    assert rasa.most == 3  # reached, never passed
    assert [a[0].text for a in answers] == [f"re: m{i}" for i in range(12)]
    assert sorted(rasa.arrived) == sorted(f"m{i}" for i in range(12))


def test_waiting_turns_are_sent_in_the_order_they_came():
    rasa = SlowRasa()

    async def scenario(client: RasaClient):
        rasa.gate = asyncio.Event()
        first = asyncio.create_task(client.send("s0", "first", {}))
        await until(lambda: rasa.arrived == ["first"])
        waiting = []
        for name in ("a", "b", "c", "d"):
            waiting.append(asyncio.create_task(client.send(f"s-{name}", name, {})))
            await until(lambda n=len(waiting): client.waiting == n)
        assert rasa.arrived == ["first"] and client.in_flight == 1
        rasa.gate.set()
        await asyncio.gather(first, *waiting)
        return client

    client = run_async(lambda: with_client(rasa, scenario, max_in_flight=1))
    assert rasa.arrived == ["first", "a", "b", "c", "d"]
    assert client.in_flight == 0 and client.waiting == 0


def test_a_turn_that_waits_past_the_threshold_is_told_once():
    rasa = SlowRasa(delay=0.4)
    notices: List[str] = []

    async def scenario(client: RasaClient):
        async def busy():
            notices.append("busy")
        fast = await client.send("s0", "alone", {}, on_busy=busy)  # a free place: no notice
        assert notices == []
        ahead = asyncio.create_task(client.send("s1", "ahead", {}))
        await until(lambda: client.in_flight == 1)
        behind = await client.send("s2", "behind", {}, on_busy=busy)  # waits ~0.4 s, threshold 0.1 s
        await ahead
        return fast, behind

    fast, behind = run_async(lambda: with_client(rasa, scenario, max_in_flight=1, busy_notice_seconds=0.1))
    assert notices == ["busy"]
    assert fast[0].text == "re: alone" and behind[0].text == "re: behind"


def test_a_short_wait_gets_no_notice():
    rasa = SlowRasa(delay=0.05)
    notices: List[str] = []

    async def scenario(client: RasaClient):
        async def busy():
            notices.append("busy")
        ahead = asyncio.create_task(client.send("s1", "ahead", {}))
        await until(lambda: client.in_flight == 1)
        await client.send("s2", "behind", {}, on_busy=busy)  # waits ~0.05 s, threshold 1 s
        await ahead

    run_async(lambda: with_client(rasa, scenario, max_in_flight=1, busy_notice_seconds=1.0))
    assert notices == []


def test_a_failing_notice_does_not_lose_the_turn():
    rasa = SlowRasa(delay=0.2)

    async def scenario(client: RasaClient):
        async def broken():
            raise RuntimeError("database down")
        ahead = asyncio.create_task(client.send("s1", "ahead", {}))
        await until(lambda: client.in_flight == 1)
        answer = await client.send("s2", "behind", {}, on_busy=broken)
        await ahead
        return answer

    answer = run_async(lambda: with_client(rasa, scenario, max_in_flight=1, busy_notice_seconds=0.01))
    assert answer[0].text == "re: behind"


def test_a_long_queue_never_counts_as_unavailable():
    """Twelve turns, one at a time, 0.15 s each: the last waits ~1.6 s, over the 0.5 s timeout,
    which applies only once a turn is sent."""
    rasa = SlowRasa(delay=0.15)

    async def scenario(client: RasaClient):
        return await asyncio.gather(*(client.send(f"s{i}", f"m{i}", {}) for i in range(12)))

    answers = run_async(lambda: with_client(rasa, scenario, max_in_flight=1, timeout=0.5))
    assert len(answers) == 12 and all(a[0].text.startswith("re: ") for a in answers)


def test_a_turn_at_rasa_past_the_timeout_is_unavailable():
    rasa = SlowRasa(delay=1.0)

    async def scenario(client: RasaClient):
        with pytest.raises(RasaUnavailable):
            await client.send("s0", "slow", {})
        return client

    client = run_async(lambda: with_client(rasa, scenario, timeout=0.2))
    assert client.in_flight == 0


def test_an_error_answer_is_unavailable():
    async def scenario(client: RasaClient):
        with pytest.raises(RasaUnavailable, match="503"):
            await client.send("s0", "hello", {})

    run_async(lambda: with_client(SlowRasa(status=503), scenario))


def test_a_refused_connection_is_unavailable_and_gives_its_place_back():
    async def scenario():
        client = RasaClient(f"http://127.0.0.1:{free_port()}", "token", max_in_flight=1)
        await client.start()
        try:
            for _ in range(3):  # a place leaked by a failure would block the second try for good
                with pytest.raises(RasaUnavailable):
                    await asyncio.wait_for(client.send("s0", "hello", {}), 5)
            return client.in_flight, client.waiting
        finally:
            await client.close()

    assert run_async(scenario) == (0, 0)


def test_a_cancelled_wait_gives_its_place_back():
    """A shopper who leaves while waiting (the task cancelled) holds no place afterwards."""
    rasa = SlowRasa()

    async def scenario(client: RasaClient):
        rasa.gate = asyncio.Event()
        ahead = asyncio.create_task(client.send("s0", "ahead", {}))
        await until(lambda: client.in_flight == 1)
        leaving = asyncio.create_task(client.send("s1", "leaving", {}, on_busy=None))
        await until(lambda: client.waiting == 1)
        leaving.cancel()
        await asyncio.gather(leaving, return_exceptions=True)
        rasa.gate.set()
        await ahead
        after = await asyncio.wait_for(client.send("s2", "after", {}), 5)
        return after, client

    after, client = run_async(lambda: with_client(rasa, scenario, max_in_flight=1))
    assert after[0].text == "re: after" and rasa.arrived == ["ahead", "after"]
    assert client.in_flight == 0 and client.waiting == 0


def test_the_assistant_passes_its_callback_to_the_client():
    rasa = SlowRasa(delay=0.3)
    notices: List[str] = []

    async def scenario(client: RasaClient):
        assistant = Assistant(client, store=None, clock=None, tasks=None)

        async def busy():
            notices.append("busy")
        ahead = asyncio.create_task(assistant.take_turn("s1", "ahead", {}))
        await until(lambda: client.in_flight == 1)
        turn = await assistant.take_turn("s2", "/behind", {}, on_busy=busy)
        await ahead
        return turn

    turn = run_async(lambda: with_client(rasa, scenario, max_in_flight=1, busy_notice_seconds=0.05))
    assert notices == ["busy"] and turn.replies[0].text == "re: behind"
