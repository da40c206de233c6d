"""Starts the real assistant once per test session: the trained model (cached by data hash),
the Rasa server with its HTTP API and the action server, on free ports and a temporary state
folder so a running `make run` is not disturbed."""
import socket
import uuid

import pytest
import requests

from actions.store.database import make_engine, make_sessionmaker
from actions.store.seed import seed
from actions.store.sql_store import SqlStore
from bot.processes import assistant
from bot.settings import Settings
from bot.training import train


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def trained_model():
    return train(Settings())


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    return Settings(
        state_dir=tmp_path_factory.mktemp("state"), rasa_port=free_port(), action_port=free_port(),
        rasa_token=uuid.uuid4().hex,
    )


@pytest.fixture(scope="session")
def assistant_group(settings, trained_model):
    seed(make_engine(settings.store_database_url))
    group = assistant(settings, trained_model)
    group.start(progress=lambda _: None)
    yield group
    group.stop()


@pytest.fixture(scope="session")
def running_assistant(assistant_group):
    return assistant_group.settings


@pytest.fixture
def running_store(running_assistant):
    """The store the running action server uses (to check what a conversation changed)."""
    engine = make_engine(running_assistant.store_database_url)
    yield SqlStore(make_sessionmaker(engine))
    engine.dispose()


class Shopper:
    """One conversation over Rasa's REST channel."""

    def __init__(self, settings: Settings, metadata=None):
        self.url = f"{settings.rasa_url}/webhooks/rest/webhook"
        self.settings = settings
        self.sender = f"test-{uuid.uuid4().hex}"
        self.metadata = metadata or {}

    def say(self, text: str):
        response = requests.post(self.url, json={"sender": self.sender, "message": text, "metadata": self.metadata}, timeout=60)
        response.raise_for_status()
        return response.json()

    def tracker(self):
        response = requests.get(
            f"{self.settings.rasa_url}/conversations/{self.sender}/tracker",
            params={"token": self.settings.rasa_api_token()}, timeout=30,
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture
def shopper(running_assistant):
    return lambda metadata=None: Shopper(running_assistant, metadata)


@pytest.fixture
def parse(running_assistant):
    def _parse(text: str):
        response = requests.post(
            f"{running_assistant.rasa_url}/model/parse", params={"token": running_assistant.rasa_api_token()},
            json={"text": text}, timeout=30,
        )
        response.raise_for_status()
        return response.json()
    return _parse
