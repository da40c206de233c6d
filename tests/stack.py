"""The real stack for the integration, browser and resilience tests, started once per test
session (tests/conftest.py registers these fixtures for every folder, so all share one stack):
the trained model (cached by data hash), the Rasa server with its HTTP API, the action server
and the bridge, on free ports and a temporary state folder so a running `make run` is not disturbed."""
import contextlib
import os
import uuid

import pytest
import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from actions.store.database import make_engine, make_sessionmaker
from actions.store.seed import seed
from actions.store.sql_store import SqlStore
from bot.desk.models import Message
from bot.desk.store import DeskStore
from bot.processes import ServiceGroup, assistant, bridge, free_port
from bot.settings import Settings
from bot.training import train
from tests.live_chat import AgentClient, ShopperClient


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


# --- the bridge (bot/desk) in front of the running assistant --------------------------------

DESK_PASSWORDS = {"ayse": "ayse-test-secret", "mehmet": "mehmet-test-secret", "zeynep": "zeynep-test-secret",
                  "yonetici": "yonetici-test-secret", "editor": "editor-test-secret"}


class RunningBridge:
    """The bridge as its own process (or a whole stack, `group`), so that a test can restart it."""

    def __init__(self, settings: Settings, group: ServiceGroup = None):
        self.settings = settings
        self.url = settings.bridge_url
        self.passwords = DESK_PASSWORDS
        self.group = group or ServiceGroup(settings, [bridge(settings)])

    def start(self) -> None:
        self.group.start(progress=lambda _: None)

    def stop(self) -> None:
        self.group.stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    def token(self, username: str) -> str:
        """A desk account's login token from the bridge's own login API."""
        response = requests.post(f"{self.url}/api/login", json={"username": username, "password": self.passwords[username]},
                                 timeout=10)
        response.raise_for_status()
        return response.json()["token"]

    def auth_headers(self, username: str) -> dict:
        return {"Authorization": f"Bearer {self.token(username)}"}

    def agent(self, username: str) -> AgentClient:
        return AgentClient(self.url, username, self.passwords[username]).connect()

    def shopper(self, session_id=None, language="tr") -> ShopperClient:
        return ShopperClient(self.url, session_id, {"language": language}).connect()

    def desk_store(self) -> DeskStore:
        return DeskStore(make_engine(self.settings.store_database_url))

    def stored_messages(self, conversation_id: str) -> list:
        """The conversation's messages as the bridge stored them, oldest first."""
        store = self.desk_store()
        try:
            with store.session() as s:
                return s.execute(select(Message).where(Message.conversation_id == conversation_id)
                                 .order_by(Message.id)).scalars().all()
        finally:
            store.engine.dispose()


POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def service_missing(reason: str) -> None:
    """A server the test needs is absent: skipped on a developer's machine, a failure under CI
    (CI=true, as .ci/run sets it), where a silent skip would hide the missing coverage."""
    if under_ci():
        pytest.fail(f"{reason} (CI=true: PostgreSQL and Redis are required)", pytrace=False)
    pytest.skip(reason)


def redis_test_url(db: int) -> str:
    """The local Redis's database `db`, emptied (skips the test where there is no Redis)."""
    import redis

    url = f"{REDIS_URL}/{db}"
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as error:
        service_missing(f"no Redis at {REDIS_URL}: {error}")
    finally:
        client.close()
    return url


@contextlib.contextmanager
def postgres_schema_url(server_url: str = POSTGRES_URL):
    """A fresh schema on the local PostgreSQL (skips the test where there is none); yields its URL
    on `server_url` (e.g. through a proxy to the same server)."""
    admin = create_engine(POSTGRES_URL, future=True)
    schema = f"kuzey_test_{uuid.uuid4().hex[:8]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        service_missing(f"no PostgreSQL at {POSTGRES_URL}: {error.orig}")
    try:
        yield f"{server_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextlib.contextmanager
def desk_passwords():
    """The bridge creates the demo accounts with these passwords on its first start."""
    passwords = {f"KUZEY_PASSWORD_{username.upper()}": password for username, password in DESK_PASSWORDS.items()}
    saved = {name: os.environ.get(name) for name in passwords}
    os.environ.update(passwords)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def running_bridge(running_assistant):
    settings = running_assistant.copy(update={
        "bridge_port": free_port(), "support_hours": "always", "offer_timeout_seconds": 3.0,
        "agent_grace_seconds": 4.0,
    })
    running = RunningBridge(settings)
    with desk_passwords():
        running.start()
    yield running
    running.stop()


@pytest.fixture
def editor_api(running_bridge):
    """Calls the studio's API (`/api/editor...`) as the editor: `editor_api(method, path, **kw)`,
    with `.studio`, `.store` and `.headers`; afterwards the drafts go back to the live version."""
    from bot.studio.repository import Studio
    from bot.training import FAQ_DIR

    headers = running_bridge.auth_headers("editor")
    store = DeskStore.open(running_bridge.settings.store_database_url)
    studio = Studio(store.session, FAQ_DIR)

    def call(method, path, headers=headers, **kwargs):
        return requests.request(method, f"{running_bridge.url}/api/editor{path}", headers=headers, timeout=30, **kwargs)

    call.studio, call.store, call.headers = studio, store, headers
    yield call
    studio.reset_drafts(studio.live_version().content, "test-cleanup")
    store.engine.dispose()
