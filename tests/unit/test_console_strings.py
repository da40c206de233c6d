"""The agent console's texts: the text catalogue's domain `console` (locale/<language>/LC_MESSAGES/
console.po), which the console loads from GET /api/texts/console (bot/desk/texts_web.py).

Every key has every language with the same {placeholders}; every key the console and its page use
exists; every error code the bridge acknowledges agents with (`DeskError("code", ...)`,
`failure("code", ...)` in bot/desk/*.py and the inbox's codes that bot/desk/agents.py passes on) has
its own words; and the console keeps no texts of its own. (tests/unit/test_catalogue.py checks the
order of the keys, that every key is used and that there are no plural forms.)"""
import re
from pathlib import Path

import pytest

from bot import i18n
from bot.desk.texts_web import browser_texts

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "widget" / "console"
SOURCE = (CONSOLE / "console.js").read_text(encoding="utf-8")
PAGE = (CONSOLE / "index.html").read_text(encoding="utf-8")
LANGUAGES = i18n.LANGUAGES
# The words widget/shared/login.js asks the page for (its `text(key)` calls).
LOGIN_KEYS = ["login.missing", "login.busy", "login.submit", "login.failed", "login.network", "login.wrongRole",
              "login.yourPage", "login.home.agent", "login.home.editor", "login.home.admin"]
TURKISH_LETTERS = re.compile("[çğıİöşüÇĞÖŞÜ]")


def console_texts(catalogues: i18n.Catalogues = i18n.CATALOGUES) -> dict:
    """{key: {language: text}}, from the .po files of every language there is."""
    table: dict = {}
    for language in catalogues.languages():
        for key, entry in catalogues.entries("console", language).items():
            table.setdefault(key, {})[language] = entry.forms[0]
    return table


STRINGS = console_texts()


def placeholders(text: str) -> set:
    return set(re.findall(r"\{(\w+)\}", text))


def table_problems(table: dict) -> list:
    problems = []
    for key, entry in table.items():
        if set(entry) != set(LANGUAGES):
            problems.append(f"{key}: languages {sorted(entry)}")
            continue
        if not all(entry[lang].strip() for lang in LANGUAGES):
            problems.append(f"{key}: an empty text")
        elif placeholders(entry["tr"]) != placeholders(entry["en"]):
            problems.append(f"{key}: placeholders {placeholders(entry['tr'])} vs {placeholders(entry['en'])}")
    return problems


def test_the_check_finds_a_missing_language_an_empty_text_and_another_placeholder(tmp_path):
    for language, body in (("tr", 'msgid "a"\nmsgstr "A {n}"\n\nmsgid "b"\nmsgstr "B"\n\nmsgid "c"\nmsgstr "C"\n'),
                           ("en", 'msgid "a"\nmsgstr "A {count}"\n\nmsgid "b"\nmsgstr ""\n')):
        path = tmp_path / language / "LC_MESSAGES" / "console.po"
        path.parent.mkdir(parents=True)
        path.write_text(f'msgid ""\nmsgstr ""\n"Language: {language}\\n"\n\n{body}', encoding="utf-8")
    assert table_problems(console_texts(i18n.Catalogues(tmp_path))) == [
        "a: placeholders {'n'} vs {'count'}", "b: an empty text", "c: languages ['tr']"]


def test_every_key_has_every_language_with_the_same_placeholders():
    assert len(STRINGS) > 150
    assert table_problems(STRINGS) == []


def test_the_english_texts_are_english():
    """An English text copied from Turkish (or left Turkish) has Turkish letters; a few keys are the same
    in both languages on purpose (TR/EN badges, a masked phone)."""
    same = {key for key, entry in STRINGS.items() if entry["tr"] == entry["en"]}
    assert same <= {"lang.tr", "lang.en", "context.phoneMasked"}, same
    turkish = {key for key, entry in STRINGS.items() if TURKISH_LETTERS.search(entry["en"])}
    assert not turkish, turkish


def test_the_console_is_served_its_catalogue_in_each_language():
    for language in LANGUAGES:
        served = browser_texts("console", language)
        assert list(served) == list(STRINGS)
        assert served == {key: entry[language] for key, entry in STRINGS.items()}


def without_comments(source: str) -> str:
    """JS or HTML without its comments (/* */, // to the end of a line, <!-- -->)."""
    source = re.sub(r"/\*.*?\*/|<!--.*?-->", "", source, flags=re.S)
    return re.sub(r"(^|\s)//.*$", "", source, flags=re.M)


def test_the_comment_stripper_keeps_the_code():
    code = "const a = 'Gönder'; // the button\n/* a\n çok */ const b = 1;\n<!-- İç not --><p>x</p>"
    assert without_comments(code) == "const a = 'Gönder';\n const b = 1;\n<p>x</p>"


def test_the_console_keeps_no_texts_of_its_own():
    """Every word on the page comes from the catalogue: no Turkish outside comments, no table."""
    for name, source in (("console.js", SOURCE), ("index.html", PAGE)):
        found = [line.strip() for line in without_comments(source).splitlines() if TURKISH_LETTERS.search(line)]
        assert not found, f"{name}: {found}"
    assert "STRINGS" not in SOURCE and "KuzeyTexts.words('console'" in SOURCE


def used_keys() -> set:
    keys = set(re.findall(r"""\bt\(\s*'([\w.]+)'\s*[,)]""", SOURCE))
    for pair in re.findall(r"""\bt\([^()']*\?\s*'([\w.]+)'\s*:\s*'([\w.]+)'""", SOURCE):  # t(x ? 'a' : 'b')
        keys |= set(pair)
    keys |= {"kb." + key for key in re.findall(r"""\bkt\(\s*'(\w+)'\s*[,)]""", SOURCE)}
    keys |= set(re.findall(r"""data-i18n(?:-aria-label|-title)?="([\w.]+)\"""", PAGE))
    # Keys made from a prefix and a value in console.js.
    keys |= {f"conn.{status}" for status in ("connecting", "online", "offline")}
    keys |= {f"sender.{sender}" for sender in ("shopper", "bot", "agent", "system", "note")}
    keys |= {f"{prefix}.{lang}" for prefix in ("lang", "langName") for lang in LANGUAGES}
    return keys | set(LOGIN_KEYS)


def test_every_text_the_console_uses_is_in_the_catalogue():
    assert {"app.title", "composer.modeNote", "hours.closed", "kb.chat", "langName.en"} <= used_keys()
    missing = sorted(used_keys() - set(STRINGS))
    assert not missing, missing


def error_codes() -> set:
    codes = set()
    for path in sorted((ROOT / "bot" / "desk").glob("*.py")):
        codes |= set(re.findall(r"""\b(?:DeskError|failure)\(\s*["'](\w+)["']""", path.read_text(encoding="utf-8")))
    # "The assistant should have known this": agents.py passes the inbox's codes on as DeskErrors.
    inbox = (ROOT / "bot" / "studio" / "inbox.py").read_text(encoding="utf-8")
    codes |= set(re.findall(r"""\bInboxError\(\s*["'](\w+)["']""", inbox))
    return codes


def test_every_error_code_of_the_bridge_has_words_in_both_languages():
    codes = error_codes()
    assert {"invalid", "too_long", "unauthorized", "server_error", "chat_limit", "not_waiting", "not_yours"} <= codes
    missing = sorted(code for code in codes if f"error.{code}" not in STRINGS)
    assert not missing, f"add error.<code> to locale/*/LC_MESSAGES/console.po for: {missing}"


@pytest.mark.parametrize("key", sorted(k for k in STRINGS if k.startswith("error.") and k.count(".") == 2))
def test_error_words_for_one_event_belong_to_a_known_code(key):
    """error.<code>.<event>: the code is one the bridge uses and the event one the console sends."""
    _, code, event = key.split(".")
    assert f"error.{code}" in STRINGS
    assert re.search(r"""request\(\s*(?:asNote \? 'note' : 'send'|'""" + event + "')", SOURCE) or \
        event in ("send", "note"), f"the console never sends {event!r}"
