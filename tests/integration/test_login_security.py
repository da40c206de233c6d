"""The desk's login doors on a running bridge: growing waits per login and per account instead of
an address lockout, the same answer time for unknown usernames, logout ending the token, and the
account as it is now (role, active) deciding every request."""
import statistics
import time
import uuid
from datetime import datetime, timezone

import pytest
import requests
import socketio
from sqlalchemy import select

from bot.desk.accounts import hash_password, issue_token, set_active, set_password
from bot.desk.models import DeskUser
from bot.privacy.models import AuditEntry
from bot.processes import free_port
from tests.stack import RunningBridge

pytestmark = pytest.mark.integration

PASSWORD = "a-long-enough-test-password"
ADMINS_ONLY = {"error": "Bu sayfa yalnızca yöneticiler içindir."}
NOT_LOGGED_IN = {"error": "Oturum açmanız gerekiyor."}


@pytest.fixture(scope="module")
def proxied(running_bridge):
    """A second bridge on the same database that takes the client address from X-Forwarded-For,
    so that a test can come from many addresses; its login limits start empty."""
    bridge = RunningBridge(running_bridge.settings.copy(update={"bridge_port": free_port(), "trust_proxy": True}))
    bridge.start()
    yield bridge
    bridge.stop()


@pytest.fixture(scope="module")
def store(running_bridge):
    store = running_bridge.desk_store()
    yield store
    store.engine.dispose()


@pytest.fixture
def new_user(store):
    """Creates a throwaway desk account (no chats, so routing never picks it): new_user(role) -> username."""
    def make(role="agent"):
        username = f"t{uuid.uuid4().hex[:10]}"
        with store.session() as s:
            s.add(DeskUser(username=username, display_name=username, role=role, password_hash=hash_password(PASSWORD),
                           languages=["tr"], max_chats=0, active=True, created_at=datetime.now(timezone.utc)))
            s.commit()
        return username

    return make


def log_in(bridge, username, password=PASSWORD, address=None):
    headers = {"X-Forwarded-For": address} if address else {}
    return requests.post(f"{bridge.url}/api/login", json={"username": username, "password": password},
                         headers=headers, timeout=30)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def address():
    """A client address of its own (the proxied bridge believes X-Forwarded-For)."""
    return "10.{}.{}.{}".format(*uuid.uuid4().bytes[:3])


def refusals(store, username):
    with store.session() as s:
        return s.execute(select(AuditEntry.subject).where(AuditEntry.actor == username,
                                                          AuditEntry.action == "refused")).scalars().all()


def socket_refused(bridge, token) -> bool:
    client = socketio.Client(reconnection=False)
    try:
        client.connect(bridge.url, namespaces=["/agents"], auth={"token": token}, transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return True
    client.disconnect()
    return False


# --------------------------------------------------------------------------- growing waits

def test_others_failing_from_the_same_address_do_not_lock_out_an_account(proxied, new_user):
    office, mistyper, colleague = address(), new_user(), new_user()
    answers = [log_in(proxied, mistyper, "wrong-password", office) for _ in range(7)]
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 2
    assert int(answers[5].headers["Retry-After"]) >= 1 and "saniye sonra tekrar deneyin" in answers[5].json()["error"]
    for n in range(10):  # and a few people who forgot their username
        assert log_in(proxied, f"nobody{n}", "wrong-password", office).status_code == 401
    assert log_in(proxied, colleague, PASSWORD, office).status_code == 200


def test_a_refused_login_is_worded_in_the_forms_language_with_a_stable_code(proxied, new_user):
    username, office = new_user(), address()
    english = requests.post(f"{proxied.url}/api/login", timeout=30, headers={"X-Forwarded-For": office},
                            json={"username": username, "password": "wrong-password", "language": "en"})
    turkish = log_in(proxied, username, "wrong-password", address())
    assert english.status_code == turkish.status_code == 401
    assert english.json() == {"error": "Wrong username or password.", "code": "wrong_login"}
    assert turkish.json() == {"error": "Kullanıcı adı veya şifre hatalı.", "code": "wrong_login"}


def test_guessing_one_account_from_many_addresses_slows_it_more_each_time(proxied, new_user):
    target = new_user()

    def fail_until_told_to_wait():
        for _ in range(15):
            answer = log_in(proxied, target, "wrong-password", address())
            if answer.status_code == 429:
                return int(answer.headers["Retry-After"]), answer
            assert answer.status_code == 401
        raise AssertionError("never slowed")

    first, answer = fail_until_told_to_wait()
    assert first >= 1 and answer.json()["retry_after"] == first
    assert log_in(proxied, target, PASSWORD, address()).status_code == 429  # even the right password waits
    time.sleep(first + 0.2)
    second, _ = fail_until_told_to_wait()
    assert second > first
    time.sleep(second + 0.2)
    assert log_in(proxied, target, PASSWORD, address()).status_code == 200


def test_unknown_usernames_take_as_long_as_wrong_passwords(proxied, new_user):
    known = [new_user() for _ in range(5)]  # three tries each: no account reaches its limit

    def took(username):
        started = time.perf_counter()
        assert log_in(proxied, username, "wrong-password", address()).status_code == 401
        return time.perf_counter() - started

    unknown_times, known_times = [], []
    for n in range(15):  # alternating, so that both see the same load on the machine
        unknown_times.append(took(f"nobody-{uuid.uuid4().hex[:8]}"))
        known_times.append(took(known[n % 5]))
    unknown, known_median = statistics.median(unknown_times), statistics.median(known_times)
    assert unknown >= 0.02 and known_median >= 0.02, (unknown, known_median)
    assert max(unknown, known_median) / min(unknown, known_median) < 3, (unknown, known_median)


# --------------------------------------------------------------------------- sessions

def test_logout_ends_the_token_for_rest_and_socket(running_bridge):
    token = running_bridge.token("ayse")
    canned = f"{running_bridge.url}/api/desk/canned"
    assert requests.get(canned, headers=bearer(token), timeout=10).status_code == 200
    ended = []
    client = socketio.Client(reconnection=False)
    client.on("disconnect", lambda *args: ended.append(True), namespace="/agents")
    client.connect(running_bridge.url, namespaces=["/agents"], auth={"token": token}, transports=["websocket"],
                   wait_timeout=5)
    try:
        logout = requests.post(f"{running_bridge.url}/api/logout", headers=bearer(token), timeout=10)
        assert logout.status_code == 204
        deadline = time.monotonic() + 5
        while not ended and time.monotonic() < deadline:  # its open socket is closed too
            time.sleep(0.1)
        assert ended
    finally:
        client.disconnect()
    refused = requests.get(canned, headers=bearer(token), timeout=10)
    assert refused.status_code == 401 and refused.json() == NOT_LOGGED_IN
    assert socket_refused(running_bridge, token)
    assert requests.post(f"{running_bridge.url}/api/logout", headers=bearer(token), timeout=10).status_code == 204
    assert requests.post(f"{running_bridge.url}/api/logout", timeout=10).status_code == 401
    assert requests.get(canned, headers=running_bridge.auth_headers("ayse"), timeout=10).status_code == 200  # a new login


def test_a_validly_signed_token_without_a_session_is_refused(running_bridge, store):
    with store.session() as s:
        ayse = s.execute(select(DeskUser).where(DeskUser.username == "ayse")).scalar_one()
    sessionless = issue_token(ayse, running_bridge.settings.desk_signing_secret(), hours=1)
    assert requests.get(f"{running_bridge.url}/api/desk/canned", headers=bearer(sessionless), timeout=10).status_code == 401
    assert socket_refused(running_bridge, sessionless)


def test_a_new_password_ends_the_accounts_sessions(running_bridge, store, new_user):
    username = new_user("editor")
    token = log_in(running_bridge, username).json()["token"]
    topics = f"{running_bridge.url}/api/editor/topics"
    assert requests.get(topics, headers=bearer(token), timeout=30).status_code == 200
    set_password(store.session(), username, "another-long-password")
    assert requests.get(topics, headers=bearer(token), timeout=30).status_code == 401


# --------------------------------------------------------------------------- the account as it is now

def test_a_demoted_or_disabled_account_loses_what_its_token_said(running_bridge, store, new_user):
    username = new_user("admin")
    token = log_in(running_bridge, username).json()["token"]
    reports = f"{running_bridge.url}/api/reports.csv"
    assert requests.get(reports, headers=bearer(token), timeout=60).status_code == 200
    with store.session() as s:
        s.execute(select(DeskUser).where(DeskUser.username == username)).scalar_one().role = "agent"
        s.commit()
    refused = requests.get(reports, headers=bearer(token), timeout=30)
    assert refused.status_code == 403 and refused.json() == ADMINS_ONLY
    set_active(store.session(), username, False)
    gone = requests.get(reports, headers=bearer(token), timeout=30)
    assert gone.status_code == 401 and gone.json() == NOT_LOGGED_IN


def test_an_agent_at_an_admins_route_is_refused_and_written_down(running_bridge, store):
    before = len(refusals(store, "ayse"))
    refused = requests.get(f"{running_bridge.url}/api/reports", headers=running_bridge.auth_headers("ayse"), timeout=30)
    assert refused.status_code == 403 and refused.json() == ADMINS_ONLY
    assert refusals(store, "ayse")[before:] == ["/api/reports"]
    with store.session() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.actor == "ayse").order_by(AuditEntry.id.desc())).scalars().first()
        assert (entry.role, entry.action, entry.address) == ("agent", "refused", "127.0.0.1")
        assert entry.actor_id == s.execute(select(DeskUser.id).where(DeskUser.username == "ayse")).scalar_one()


def test_a_connected_agent_socket_ends_at_its_next_event_once_the_account_is_disabled(running_bridge, store, new_user):
    username = new_user("agent")
    token = log_in(running_bridge, username).json()["token"]
    client = socketio.Client(reconnection=False)
    client.connect(running_bridge.url, namespaces=["/agents"], auth={"token": token}, transports=["websocket"],
                   wait_timeout=5)
    try:
        assert client.call("set_available", {"available": False}, namespace="/agents", timeout=10)["ok"]
        set_active(store.session(), username, False)
        refused = client.call("set_available", {"available": True}, namespace="/agents", timeout=10)
        assert refused["ok"] is False and refused["error"]["code"] == "unauthorized"
        deadline = time.monotonic() + 5
        while client.connected and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not client.connected
    finally:
        client.disconnect()
