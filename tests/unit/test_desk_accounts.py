"""Desk accounts: hashed passwords, login tokens, demo accounts from the demo store."""
from datetime import datetime, timedelta, timezone

import pytest

from actions.store.database import make_engine
from bot.desk.accounts import (LoginError, authenticate, ensure_demo_accounts, issue_token, read_token,
                               set_password)
from bot.desk.app import DEMO_STORE
from bot.desk.store import DeskStore, migrate


@pytest.fixture
def desk(monkeypatch):
    for name in ("MEHMET", "ZEYNEP", "YONETICI", "EDITOR"):
        monkeypatch.delenv(f"KUZEY_PASSWORD_{name}", raising=False)
    monkeypatch.setenv("KUZEY_PASSWORD_AYSE", "ayse-chosen-password")
    engine = make_engine("sqlite://")
    migrate(engine)
    store = DeskStore(engine)
    generated = ensure_demo_accounts(store.session(), DEMO_STORE, datetime(2026, 11, 23))
    return store, generated


def test_demo_agents_come_from_the_demo_store_with_passwords_from_the_environment(desk):
    store, generated = desk
    assert "ayse" not in generated and set(generated) == {"mehmet", "zeynep", "yonetici", "editor"}
    with store.session() as s:
        ayse = authenticate(s, "ayse", "ayse-chosen-password")
        assert (ayse.display_name, ayse.role, ayse.languages, ayse.max_chats) == ("Ayşe K.", "agent", ["tr", "en"], 3)
        assert ayse.password_hash.startswith("$argon2") and "ayse-chosen-password" not in ayse.password_hash
        assert authenticate(s, "MEHMET", generated["mehmet"]).role == "agent"
        assert authenticate(s, "yonetici", generated["yonetici"]).role == "admin"


def test_running_again_creates_nothing_and_changes_no_password(desk):
    store, _ = desk
    assert ensure_demo_accounts(store.session(), DEMO_STORE, datetime(2026, 11, 24)) == {}
    with store.session() as s:
        authenticate(s, "ayse", "ayse-chosen-password")


@pytest.mark.parametrize("username, password", [("ayse", "wrong"), ("nobody", "ayse-chosen-password"), ("ayse", "")])
def test_wrong_logins_are_refused_with_the_same_words(desk, username, password):
    store, _ = desk
    with store.session() as s, pytest.raises(LoginError, match="Kullanıcı adı veya şifre hatalı"):
        authenticate(s, username, password)


def test_a_new_password_replaces_the_old_one(desk):
    store, _ = desk
    set_password(store.session(), "ayse", "a-brand-new-password")
    with store.session() as s:
        authenticate(s, "ayse", "a-brand-new-password")
        with pytest.raises(LoginError):
            authenticate(s, "ayse", "ayse-chosen-password")
    with pytest.raises(ValueError):
        set_password(store.session(), "ayse", "short")
    with pytest.raises(LookupError):
        set_password(store.session(), "nobody", "long-enough-password")


def test_login_tokens_expire_and_need_the_secret(desk):
    store, _ = desk
    secret = "s" * 32
    with store.session() as s:
        ayse = authenticate(s, "ayse", "ayse-chosen-password")
    identity = read_token(issue_token(ayse, secret, hours=1), secret)
    assert (identity.user_id, identity.username, identity.role) == (ayse.id, "ayse", "agent")
    assert read_token(issue_token(ayse, secret, hours=1), "x" * 32) is None
    expired = issue_token(ayse, secret, hours=1, now=datetime.now(timezone.utc) - timedelta(hours=2))
    assert read_token(expired, secret) is None
    assert read_token(None, secret) is None and read_token("garbage", secret) is None
