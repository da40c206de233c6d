"""GET /api/texts/{domain}?lang= (bot/desk/texts_web.py): the browser domains of the text catalogue
as {key: text}, for the agent console and the manager's dashboard; nothing else; cacheable by ETag."""
import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import i18n
from bot.desk import texts_web
from tests.asyncio_thread import run_async


def ask(requests, catalogues=None):
    """GETs each (path, headers) on an app with only this route; returns (status, headers, body) each."""

    async def main():
        app = web.Application()
        texts_web.add_routes(app, catalogues)
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            answers = []
            for path, headers in requests:
                response = await client.get(path, headers=headers)
                answers.append((response.status, response.headers.copy(), await response.read()))
            return answers
        finally:
            await client.close()

    return run_async(main)


def test_a_page_gets_its_domain_in_its_language_in_the_files_order():
    (tr_status, tr_headers, tr_body), (en_status, en_headers, en_body) = ask([
        ("/api/texts/console?lang=tr", {}), ("/api/texts/console?lang=en", {})])
    assert tr_status == en_status == 200
    assert tr_headers["Content-Type"] == "application/json; charset=utf-8"
    turkish, english = json.loads(tr_body), json.loads(en_body)
    assert list(turkish) == list(english) == list(i18n.CATALOGUES.entries("console", "tr"))
    assert turkish["chat.transfer"] == "Aktar" and english["chat.transfer"] == "Transfer"
    assert english["offer.countdown"] == "Time left: {s} s"  # placeholders are filled in by the page
    assert (tr_headers["Content-Language"], en_headers["Content-Language"]) == ("tr", "en")
    assert tr_headers["Cache-Control"] == "no-cache" and tr_headers["ETag"] != en_headers["ETag"]


def test_an_unchanged_table_is_not_sent_again():
    (_, headers, body), = ask([("/api/texts/manager?lang=en", {})])
    assert json.loads(body)["kpi.contacts"] == "Chats"
    again, other, weak = ask([("/api/texts/manager?lang=en", {"If-None-Match": headers["ETag"]}),
                              ("/api/texts/manager?lang=en", {"If-None-Match": '"something-else"'}),
                              ("/api/texts/manager?lang=en", {"If-None-Match": "W/" + headers["ETag"]})])
    assert again[0] == 304 and again[2] == b"" and again[1]["ETag"] == headers["ETag"]
    assert other[0] == 200 and other[2] == body
    assert weak[0] == 304


@pytest.mark.parametrize("path", ["/api/texts/bridge?lang=tr", "/api/texts/reports", "/api/texts/studio?lang=en",
                                  "/api/texts/emails", "/api/texts/nothing", "/api/texts/..%2Fbridge"])
def test_only_the_browser_domains_are_served(path):
    (status, _, _), = ask([(path, {})])
    assert status == 404


@pytest.mark.parametrize("query", ["", "?lang=de", "?lang=", "?lang=TR-tr"])
def test_no_language_or_an_unknown_one_gets_turkish(query):
    (status, headers, body), = ask([("/api/texts/console" + query, {})])
    assert status == 200 and headers["Content-Language"] == "tr"
    assert json.loads(body)["app.logout"] == "Çıkış yap"


def write_po(root, language, domain, body):
    path = root / language / "LC_MESSAGES" / f"{domain}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    plural = "nplurals=1; plural=0;" if language == "tr" else "nplurals=2; plural=(n != 1);"
    path.write_text(f'msgid ""\nmsgstr ""\n"Language: {language}\\n"\n"Plural-Forms: {plural}\\n"\n\n{body}',
                    encoding="utf-8")


def test_a_text_missing_in_english_is_turkish_and_a_plural_one_is_refused(tmp_path):
    write_po(tmp_path, "tr", "console", 'msgid "a"\nmsgstr "Bir"\n\nmsgid "b"\nmsgstr "İki"\n')
    write_po(tmp_path, "en", "console", 'msgid "a"\nmsgstr "One"\n\nmsgid "b"\nmsgstr ""\n')
    write_po(tmp_path, "tr", "manager", '#. count: n\nmsgid "wait"\nmsgid_plural "wait.plural"\nmsgstr[0] "{n} dk"\n')
    catalogues = i18n.Catalogues(tmp_path)
    assert texts_web.browser_texts("console", "en", catalogues) == {"a": "One", "b": "İki"}
    with pytest.raises(ValueError, match="plural"):
        texts_web.browser_texts("manager", "tr", catalogues)
    with pytest.raises(KeyError):
        texts_web.browser_texts("bridge", "tr", catalogues)
    (status, _, body), = ask([("/api/texts/console?lang=en", {})], catalogues)
    assert status == 200 and json.loads(body) == {"a": "One", "b": "İki"}
