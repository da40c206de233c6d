"""Desk accounts: hashed passwords, login tokens and their sessions, demo accounts from the demo
store; `authorised` (bot/desk/auth.py) on a small app."""
from datetime import datetime, timedelta, timezone

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from actions.store.database import make_engine
from bot.desk import accounts
from bot.desk.accounts import (LoginError, authenticate, end_session, ensure_demo_accounts, issue_token, open_session,
                               read_token, session_user, set_active, set_password)
from bot.desk.app import DEMO_STORE
from bot.desk.auth import AUTH, DeskAuth, authorised
from bot.desk.limits import MemoryLoginThrottle
from bot.desk.models import DeskUser
from bot.desk.store import DeskStore, migrate
from bot.privacy.models import AuditEntry, DeskSession
from tests.asyncio_thread import run_async

SECRET = "s" * 32


@pytest.fixture
def desk(monkeypatch, tmp_path):
    for name in ("MEHMET", "ZEYNEP", "YONETICI", "EDITOR"):
        monkeypatch.delenv(f"KUZEY_PASSWORD_{name}", raising=False)
    monkeypatch.setenv("KUZEY_PASSWORD_AYSE", "ayse-chosen-password")
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")  # a file: `authorised` reads it from other threads
    migrate(engine)
    store = DeskStore(engine)
    generated = ensure_demo_accounts(store.session(), DEMO_STORE, datetime(2026, 11, 23, tzinfo=timezone.utc))
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
    assert ensure_demo_accounts(store.session(), DEMO_STORE, datetime(2026, 11, 24, tzinfo=timezone.utc)) == {}
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


def test_unknown_and_disabled_accounts_cost_a_password_check_too(desk, monkeypatch):
    """The answer's time must not tell which usernames exist: every attempt runs argon2 once."""
    store, _ = desk
    set_active(store.session(), "mehmet", False)
    checks = []
    real = accounts.password_matches
    monkeypatch.setattr(accounts, "password_matches", lambda *args: checks.append(args) or real(*args))
    for username in ("nobody", "mehmet", "ayse"):
        with store.session() as s, pytest.raises(LoginError):
            authenticate(s, username, "wrong-password")
    assert len(checks) == 3 and all(stored.startswith("$argon2") for stored, _ in checks)


def ayse_of(store) -> DeskUser:
    with store.session() as s:
        return s.execute(select(DeskUser).where(DeskUser.username == "ayse")).scalar_one()


def test_a_token_counts_only_while_its_session_is_open(desk):
    store, _ = desk
    ayse = ayse_of(store)
    with store.session() as s:
        first, second = open_session(s, ayse, SECRET, hours=1), open_session(s, ayse, SECRET, hours=1)
    claimed, other = read_token(first, SECRET), read_token(second, SECRET)
    assert claimed.session_id and claimed.session_id != other.session_id  # a new jti per token
    assert session_user(store.session, claimed).username == "ayse"
    with store.session() as s:
        assert end_session(s, claimed.session_id, ayse.id) and not end_session(s, claimed.session_id, ayse.id)
    assert session_user(store.session, claimed) is None
    assert session_user(store.session, other) is not None  # logging out in one tab leaves the others
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    assert session_user(store.session, other, now=later) is None  # the session expired
    assert session_user(store.session, read_token(issue_token(ayse, SECRET, hours=1), SECRET)) is None  # no jti
    someone_else = accounts.Identity(ayse.id + 1, "mehmet", "admin", session_id=other.session_id)
    assert session_user(store.session, someone_else) is None  # a session is its own user's only


def test_a_new_password_or_disabling_ends_the_accounts_sessions(desk):
    store, _ = desk
    ayse = ayse_of(store)
    with store.session() as s:
        tokens = [read_token(open_session(s, ayse, SECRET, hours=1), SECRET) for _ in range(2)]
    set_password(store.session(), "ayse", "a-brand-new-password")
    assert all(session_user(store.session, claimed) is None for claimed in tokens)
    with store.session() as s:
        fresh = read_token(open_session(s, ayse, SECRET, hours=1), SECRET)
    set_active(store.session(), "ayse", False)
    assert session_user(store.session, fresh) is None
    with store.session() as s:
        assert s.execute(select(DeskSession).where(DeskSession.ended_at.is_(None))).first() is None
    set_active(store.session(), "ayse", True)
    assert session_user(store.session, fresh) is None  # enabling again does not revive old logins
    with pytest.raises(LookupError):
        set_active(store.session(), "nobody", False)


def ask(store, requests):
    """GETs each (path, token) from a small app whose routes call `authorised`; returns (status, json)."""
    async def admins(request):
        who = await authorised(request, ("admin",))
        return web.json_response({"username": who.username, "role": who.role})

    async def main():
        app = web.Application()
        app[AUTH] = DeskAuth(store.session, SECRET, 1.0, False, MemoryLoginThrottle())
        app.router.add_get("/admins", admins)
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            answers = []
            for path, token in requests:
                response = await client.get(path, headers={"Authorization": f"Bearer {token}"} if token else {})
                answers.append((response.status, response.content_type, await response.json()))
            return answers
        finally:
            await client.close()

    return run_async(main)


def test_authorised_goes_by_the_account_as_it_is_now(desk):
    store, _ = desk
    with store.session() as s:
        admin = s.execute(select(DeskUser).where(DeskUser.username == "yonetici")).scalar_one()
        token = open_session(s, admin, SECRET, hours=1)
    (ok,) = ask(store, [("/admins", token)])
    assert ok == (200, "application/json", {"username": "yonetici", "role": "admin"})

    with store.session() as s:  # demoted while logged in: the token still says admin
        s.get(DeskUser, admin.id).role = "agent"
        s.commit()
    refused, missing, forged = ask(store, [("/admins", token), ("/admins", None), ("/admins", issue_token(admin, "x" * 32, 1))])
    assert refused == (403, "application/json", {"error": "Bu sayfa için yetkiniz yok."})
    assert missing == forged == (401, "application/json", {"error": "Oturum açmanız gerekiyor."})
    with store.session() as s:
        entry = s.execute(select(AuditEntry)).scalar_one()
    assert (entry.actor, entry.actor_id, entry.role, entry.action, entry.subject) == (
        "yonetici", admin.id, "agent", "refused", "/admins")
    assert entry.address

    set_active(store.session(), "yonetici", False)
    assert ask(store, [("/admins", token)])[0][0] == 401
