"""Logging in through a staff page's shared login form (widget/shared/login.js), in Turkish."""
from playwright.sync_api import expect


def log_in_at(page, bridge, path, username):
    page.goto(bridge.url + path)
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.locator("#login-username")).to_be_focused()
    page.get_by_label("Kullanıcı adı", exact=True).fill(username)
    page.get_by_label("Şifre", exact=True).fill(bridge.passwords[username])
    page.get_by_role("button", name="Giriş yap").click()
    return page
