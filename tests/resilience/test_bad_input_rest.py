"""Bad input on the bridge's REST doors: the login, the console's canned responses, the manager's
reports and the follow-up e-mail pages. Each answers a clear 4xx (JSON for the APIs, a page in both
languages for the e-mail links), never a 500; nothing stored changes; the bridge stays up.

Few of these requests are wrong logins: ten from one address would lock the test machine out."""
import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest
import requests

from bot.desk.models import EmailSend
from bot.desk.store import utcnow
from bot.followup.links import FEEDBACK, feedback_token, unsubscribe_token
from tests.resilience.conftest import assert_still_serving

pytestmark = pytest.mark.integration

JSON_HEADERS = {"Content-Type": "application/json"}


def post_login(bridge, body, headers=JSON_HEADERS):
    return requests.post(f"{bridge.url}/api/login", data=body, headers=headers, timeout=30)


def token_of(bridge, username):
    response = requests.post(f"{bridge.url}/api/login",
                             json={"username": username, "password": bridge.passwords[username]}, timeout=30)
    response.raise_for_status()
    return response.json()["token"]


# --- POST /api/login --------------------------------------------------------------------------

BAD_LOGIN_BODIES = {
    "not JSON": b"username=ayse&password=x",
    "JSON that is cut": b'{"username": "ayse", "password": ',
    "a JSON list": b'["ayse", "x"]',
    "a JSON string": b'"ayse"',
    "JSON null": b"null",
    "an empty body": b"",
    "no password": b'{"username": "ayse"}',
    "a numeric username": b'{"username": 42, "password": "x"}',
    "a list as password": b'{"username": "ayse", "password": ["x"]}',
    "null fields": b'{"username": null, "password": null}',
    "bytes that are not UTF-8": b'{"username": "ay\xff\xfese", "password": "x"}',
    "Latin-5 instead of UTF-8": '{"username": "ayşe", "password": "x"}'.encode("iso-8859-9"),
    "a UTF-16 body": '{"username": "ayse", "password": "x"}'.encode("utf-16"),
}


@pytest.mark.parametrize("case", BAD_LOGIN_BODIES, ids=list(BAD_LOGIN_BODIES))
def test_a_login_body_of_the_wrong_shape_gets_400(running_bridge, unchanged_desk, case):
    with unchanged_desk():
        response = post_login(running_bridge, BAD_LOGIN_BODIES[case])
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "Kullanıcı adı ve şifre gerekli.", "code": "credentials_required"}


def test_a_login_body_of_a_megabyte_is_refused_before_it_is_read(running_bridge):
    response = post_login(running_bridge, b'{"username": "' + b"a" * 1_048_576 + b'", "password": "x"}')
    assert response.status_code == 413


@pytest.mark.parametrize("body", [b'{"username": "\\ud800", "password": "x"}',
                                  b'{"username": "ayse", "password": "\\udfff"}'],
                         ids=["in the username", "in the password"])
def test_a_login_with_a_lone_surrogate_gets_a_clear_answer(running_bridge, body):
    response = post_login(running_bridge, body)
    assert response.status_code == 400 and "error" in response.json(), response.text


def test_a_deeply_nested_login_body_gets_400(running_bridge):
    response = post_login(running_bridge, b"[" * 30_000 + b"]" * 30_000)
    assert response.status_code == 400, response.text


def test_the_bridge_is_still_up_after_the_bad_logins(running_bridge):
    assert_still_serving(running_bridge)
    assert token_of(running_bridge, "ayse")  # and not locked out


# --- GET /api/desk/canned ---------------------------------------------------------------------

def forged_tokens(bridge):
    secret = bridge.settings.desk_signing_secret()
    now = datetime.now(timezone.utc)
    someone = "1"
    return {
        "no header": None,
        "empty": "",
        "Bearer only": "Bearer",
        "not a token": "Bearer abc.def.ghi",
        "Basic auth": "Basic YXlzZTp4",
        "expired": "Bearer " + jwt.encode({"sub": someone, "role": "agent", "exp": now - timedelta(minutes=1)}, secret),
        "alg none": "Bearer " + jwt.encode({"sub": someone, "role": "admin", "exp": now + timedelta(hours=1)}, None,
                                           algorithm="none"),
        "another secret": "Bearer " + jwt.encode({"sub": someone, "role": "admin", "exp": now + timedelta(hours=1)},
                                                 "x" * 40),
        "a feedback link": "Bearer " + feedback_token(secret, 1, "tr"),
        "sub is not a number": "Bearer " + jwt.encode({"sub": "1' OR '1'='1", "role": "admin",
                                                       "exp": now + timedelta(hours=1)}, secret),
    }


def test_the_canned_responses_need_a_real_login(running_bridge):
    for case, header in forged_tokens(running_bridge).items():
        headers = {} if header is None else {"Authorization": header}
        response = requests.get(f"{running_bridge.url}/api/desk/canned", headers=headers, timeout=30)
        assert response.status_code == 401 and response.json() == {"error": "Oturum açmanız gerekiyor."}, case


# --- GET /api/reports and /api/reports.csv ----------------------------------------------------

BAD_REPORT_QUERIES = [
    "period=year", "period=%FF", "period=week%00", "date=2026-13-01", "date=2026-02-30", "date=99999-01-01",
    "date=0001-01-01", "date=1999-12-31", "date=%ED%A0%80", "date=2026-11-23T00:00", "date='; DROP TABLE messages; --",
    "agent=abc", "agent=-1", "agent=1.5", "agent=%D9%A1%D9%A2", "agent=" + "9" * 5000, "agent=1' OR '1'='1",
    "language=de", "language=TR", "language=%00",
]


@pytest.mark.parametrize("path", ["/api/reports", "/api/reports.csv"])
def test_reports_with_bad_parameters_get_a_clear_400(running_bridge, unchanged_desk, path):
    headers = {"Authorization": f"Bearer {token_of(running_bridge, 'yonetici')}"}
    with unchanged_desk():
        for query in BAD_REPORT_QUERIES:
            response = requests.get(f"{running_bridge.url}{path}?{query}", headers=headers, timeout=60)
            assert response.status_code == 400, (query, response.status_code, response.text[:200])
            assert response.json()["error"], query
        bad_group = requests.get(f"{running_bridge.url}/api/reports.csv?group=x%27", headers=headers, timeout=60)
        assert bad_group.status_code == 400 and "series" in bad_group.json()["error"]
        assert requests.get(f"{running_bridge.url}{path}", headers=headers, timeout=60).status_code == 200


def test_reports_refuse_agents_and_forged_tokens(running_bridge):
    agent = {"Authorization": f"Bearer {token_of(running_bridge, 'ayse')}"}
    assert requests.get(f"{running_bridge.url}/api/reports", headers=agent, timeout=30).status_code == 403
    for case, header in forged_tokens(running_bridge).items():
        headers = {} if header is None else {"Authorization": header}
        response = requests.get(f"{running_bridge.url}/api/reports.csv", headers=headers, timeout=30)
        assert response.status_code == 401 and "error" in response.json(), (case, response.status_code)


# --- /feedback/<token> and /unsubscribe/<token> ------------------------------------------------

@pytest.fixture
def follow_up_send(running_bridge):
    """One follow-up e-mail as the job would have sent it, and its feedback link's token."""
    store = running_bridge.desk_store()
    with store.session() as s:
        send = EmailSend(kind="delivery_followup", order_no=f"R{uuid.uuid4().hex[:10]}", customer_id=1,
                         email="resilience@example.com", language="tr", status="sent", attempts=1,
                         created_at=utcnow(), sent_at=utcnow())
        s.add(send)
        s.commit()
        send_id = send.id
    yield send_id, feedback_token(running_bridge.settings.desk_signing_secret(), send_id, "tr")
    with store.session() as s:
        s.delete(s.get(EmailSend, send_id))
        s.commit()
    store.engine.dispose()


def the_send(bridge, send_id):
    store = bridge.desk_store()
    try:
        with store.session() as s:
            send = s.get(EmailSend, send_id)
            return send.order_score, send.service_score, send.comment, send.answered_at
    finally:
        store.engine.dispose()


def form(**fields):
    return {"order_score": "5", "service_score": "4", "comment": "", **fields}


BAD_LINK_TOKENS = ["x", "a.b.c", "%FF%FE", "eyJ" * 2000, "' OR 1=1 --", "..%2F..%2Fetc%2Fpasswd", "%00", "%ED%A0%80"]


def test_a_bad_link_gets_a_clear_page_and_changes_nothing(running_bridge, unchanged_desk):
    secret = running_bridge.settings.desk_signing_secret()
    login = token_of(running_bridge, "ayse")  # an agent's login is never a link
    yesterday = datetime.now(timezone.utc) - timedelta(days=1)
    expired = jwt.encode({"purpose": FEEDBACK, "send": 1, "lang": "tr", "exp": yesterday}, secret)
    nobody = feedback_token(secret, 987_654_321, "tr")
    with unchanged_desk():
        for token in BAD_LINK_TOKENS + [login, expired, nobody]:
            for method, path, body in (("GET", "feedback", None), ("POST", "feedback", form()),
                                       ("GET", "unsubscribe", None), ("POST", "unsubscribe", {"List-Unsubscribe": "One-Click"})):
                response = requests.request(method, f"{running_bridge.url}/{path}/{token}", data=body, timeout=30)
                assert response.status_code in (400, 404), (method, path, token[:30], response.status_code)
                if response.status_code == 400:
                    assert "text/html" in response.headers["Content-Type"] and "<form" not in response.text


FORM_ENCODED = {"Content-Type": "application/x-www-form-urlencoded"}
BAD_FEEDBACK_FORMS = {  # the arguments of requests.post
    "no fields": {"data": {}},
    "a score of 6": {"data": form(order_score="6")},
    "a score of 0": {"data": form(service_score="0")},
    "a score that is a word": {"data": form(order_score="beş")},
    "a score with HTML": {"data": form(order_score="<b>5</b>")},
    "a score of 4.5": {"data": form(order_score="4.5")},
    "a comment over 2000 characters": {"data": form(comment="ç" * 2001)},
    "a JSON body": {"json": {"order_score": 5, "service_score": 4}},
    "bytes that are not UTF-8": {"data": b"order_score=5&service_score=4&comment=\xff\xfe", "headers": FORM_ENCODED},
    "a multipart body without its boundary": {"data": b"order_score=5", "headers": {"Content-Type": "multipart/form-data"}},
    "a file instead of a score": {"files": {"order_score": ("score.txt", b"5"), "service_score": (None, "4")}},
}


@pytest.mark.parametrize("case", BAD_FEEDBACK_FORMS, ids=list(BAD_FEEDBACK_FORMS))
def test_a_bad_feedback_form_is_shown_again_with_an_error_and_stores_nothing(running_bridge, follow_up_send, case):
    send_id, token = follow_up_send
    response = requests.post(f"{running_bridge.url}/feedback/{token}", timeout=30, **BAD_FEEDBACK_FORMS[case])
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert "text/html" in response.headers["Content-Type"] and 'class="error"' in response.text
    assert the_send(running_bridge, send_id) == (None, None, None, None)


def test_a_feedback_form_of_a_megabyte_is_refused_before_it_is_read(running_bridge, follow_up_send):
    send_id, token = follow_up_send
    response = requests.post(f"{running_bridge.url}/feedback/{token}", data=form(comment="x" * 1_048_576), timeout=30)
    assert response.status_code == 413
    assert the_send(running_bridge, send_id) == (None, None, None, None)


def test_an_unusual_feedback_comment_is_stored_as_text(running_bridge, follow_up_send):
    """HTML, emoji and right-to-left text are a valid comment, kept as typed and shown escaped;
    a NUL (which PostgreSQL cannot store) is dropped."""
    send_id, token = follow_up_send
    comment = "<script>alert(1)</script> 😀 مرحبا \x00teşekkürler"
    response = requests.post(f"{running_bridge.url}/feedback/{token}", data=form(comment=comment), timeout=30)
    assert response.status_code == 200
    order_score, service_score, stored, answered_at = the_send(running_bridge, send_id)
    assert (order_score, service_score, stored) == (5, 4, comment.replace("\x00", ""))
    page = requests.get(f"{running_bridge.url}/feedback/{token}", timeout=30).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_opening_an_unsubscribe_link_changes_nothing(running_bridge, unchanged_desk):
    token = unsubscribe_token(running_bridge.settings.desk_signing_secret(), "resilience@example.com", "tr")
    with unchanged_desk():
        for query in ("", "?List-Unsubscribe=One-Click", "?x=%FF"):
            assert requests.get(f"{running_bridge.url}/unsubscribe/{token}{query}", timeout=30).status_code == 200
    assert_still_serving(running_bridge)
