"""Fixtures shared by unit and integration tests: the demo store, seeded into a real database."""
import json
import shutil
from pathlib import Path

import pytest

from actions.store.database import make_engine, make_sessionmaker
from actions.store.seed import DEMO_STORE, seed
from actions.store.sql_store import SqlStore
from tests.stack import (  # noqa: F401  (registered here once: every folder shares one running stack)
    assistant_group, editor_api, parse, running_assistant, running_bridge, running_store, settings, shopper,
    trained_model,
)

DEMO = json.loads(Path(DEMO_STORE).read_text(encoding="utf-8"))
EDGE = DEMO["edge_cases"]


def demo_order(order_no):
    return next(o for o in DEMO["orders"] if o["order_no"] == order_no)


def demo_customer(customer_id):
    return next(c for c in DEMO["customers"] if c["id"] == customer_id)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    """The demo store seeded once; each test gets its own copy of the file."""
    path = tmp_path_factory.mktemp("template") / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    report = seed(engine)
    engine.dispose()
    return path, report.anchor


@pytest.fixture
def seeded_db_url(seeded_template, tmp_path):
    path, _ = seeded_template
    copy = tmp_path / "store.db"
    shutil.copy(path, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def seeded_store(seeded_db_url, seeded_template):
    """A fresh SQLite store per test: actions may change it (cancel, open returns)."""
    engine = make_engine(seeded_db_url)
    store = SqlStore(make_sessionmaker(engine))
    store.anchor = seeded_template[1]
    yield store
    engine.dispose()


@pytest.fixture
def smtp():
    """A local SMTP server (tests/smtp.py) on a free port, for the e-mail tests of every folder."""
    from bot.processes import free_port
    from tests.smtp import SmtpServer

    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()
