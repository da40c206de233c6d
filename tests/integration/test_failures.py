"""When a part fails the shopper hears so, and is offered a person: never silence."""
import time

import pytest

from bot.training import rasa_env

pytestmark = pytest.mark.integration


def test_action_server_down_gives_an_honest_answer_and_a_person(assistant_group, shopper):
    actions = next(s for s in assistant_group.services if s.name == "action server")
    actions.stop()
    try:
        messages = shopper().say("siparişim nerede")
        text = " ".join(m.get("text", "") for m in messages)
        assert "tamamlayamıyorum" in text
        assert any(m.get("custom", {}).get("handoff_offer") for m in messages)
    finally:
        actions.start(rasa_env(assistant_group.settings))
        deadline = time.monotonic() + 60
        while not actions.healthy() and time.monotonic() < deadline:
            time.sleep(0.5)
    assert actions.healthy()
    # the same conversation path works again once the action server is back
    assert "Sipariş numaranızı" in " ".join(m.get("text", "") for m in shopper().say("siparişim nerede"))
