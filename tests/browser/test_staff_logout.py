"""The staff pages' "Çıkış yap" ends the login on the server (POST /api/logout through
widget/shared/login.js) before the page forgets the token: a copy of it is refused afterwards."""
import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP
from tests.browser.login import log_in_at

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("path, username, prefix", [
    ("/agent", "ayse", "kuzey.desk"), ("/manager", "yonetici", "kuzey.manager"), ("/editor", "editor", "kuzey.editor"),
])
def test_logging_out_ends_the_token_on_the_server(running_bridge, new_page, path, username, prefix):
    page = log_in_at(new_page(viewport=LAPTOP), running_bridge, path, username)
    expect(page.locator("#app-view")).to_be_visible()
    token = page.evaluate(f"sessionStorage.getItem('{prefix}.token')")
    canned = f"{running_bridge.url}/api/desk/canned"
    assert requests.get(canned, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200
    with page.expect_response("**/api/logout") as logout:
        page.locator("#logout").click()
    assert logout.value.status == 204
    expect(page.locator("#login-view")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    assert requests.get(canned, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 401
