"""The agent console's text table (widget/console/console.js, `STRINGS`): one object keyed by
string id with {tr, en}. Every id has both languages with the same {placeholders}; every id the
console and its page use exists; every error code the bridge acknowledges agents with
(`DeskError("code", ...)`, `failure("code", ...)` in bot/desk/*.py and the inbox's codes that
bot/desk/agents.py passes on) has its own words."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "widget" / "console"
SOURCE = (CONSOLE / "console.js").read_text(encoding="utf-8")
PAGE = (CONSOLE / "index.html").read_text(encoding="utf-8")
LANGUAGES = ("tr", "en")
# The words widget/shared/login.js asks the page for (its `text(key)` calls).
LOGIN_KEYS = ["login.missing", "login.busy", "login.submit", "login.failed", "login.network", "login.wrongRole",
              "login.yourPage", "login.home.agent", "login.home.editor", "login.home.admin"]


class JsObjectReader:
    """Reads a JavaScript object literal of string keys and string values (comments allowed),
    enough for the text table; anything else (a function, a variable) is an error."""

    def __init__(self, text: str, position: int):
        self.text, self.i = text, position

    def skip(self):
        while True:
            while self.i < len(self.text) and self.text[self.i].isspace():
                self.i += 1
            if self.text.startswith("//", self.i):
                self.i = self.text.index("\n", self.i)
            elif self.text.startswith("/*", self.i):
                self.i = self.text.index("*/", self.i) + 2
            else:
                return

    def expect(self, char: str):
        self.skip()
        if self.text[self.i] != char:
            raise ValueError(f"expected {char!r} at {self.i}: {self.text[self.i:self.i + 40]!r}")
        self.i += 1

    def string(self) -> str:
        self.skip()
        quote = self.text[self.i]
        if quote not in "'\"":
            raise ValueError(f"expected a string at {self.i}: {self.text[self.i:self.i + 40]!r}")
        self.i += 1
        out = []
        while self.text[self.i] != quote:
            char = self.text[self.i]
            if char == "\\":
                escaped = self.text[self.i + 1]
                if escaped == "u":
                    out.append(chr(int(self.text[self.i + 2:self.i + 6], 16)))
                    self.i += 6
                    continue
                out.append({"n": "\n", "t": "\t"}.get(escaped, escaped))
                self.i += 2
                continue
            if char == "\n":
                raise ValueError(f"unterminated string at {self.i}")
            out.append(char)
            self.i += 1
        self.i += 1
        return "".join(out)

    def key(self) -> str:
        self.skip()
        if self.text[self.i] in "'\"":
            return self.string()
        match = re.compile(r"[A-Za-z_$][\w$]*").match(self.text, self.i)
        if not match:
            raise ValueError(f"expected a key at {self.i}: {self.text[self.i:self.i + 40]!r}")
        self.i = match.end()
        return match.group()

    def value(self):
        self.skip()
        return self.object() if self.text[self.i] == "{" else self.string()

    def object(self) -> dict:
        self.expect("{")
        result = {}
        while True:
            self.skip()
            if self.text[self.i] == "}":
                self.i += 1
                return result
            name = self.key()
            if name in result:
                raise ValueError(f"{name!r} twice")
            self.expect(":")
            result[name] = self.value()
            self.skip()
            if self.text[self.i] == ",":
                self.i += 1
            elif self.text[self.i] != "}":
                raise ValueError(f"expected ',' or '}}' at {self.i}: {self.text[self.i:self.i + 40]!r}")


def console_strings() -> dict:
    return JsObjectReader(SOURCE, SOURCE.index("const STRINGS = ") + len("const STRINGS = ")).object()


STRINGS = console_strings()


def placeholders(text: str) -> set:
    return set(re.findall(r"\{(\w+)\}", text))


def test_the_table_is_one_object_keyed_by_string_id_with_every_language():
    assert len(STRINGS) > 150
    problems = []
    for key, entry in STRINGS.items():
        if not isinstance(entry, dict) or set(entry) != set(LANGUAGES):
            problems.append(f"{key}: languages {sorted(entry) if isinstance(entry, dict) else entry!r}")
            continue
        if not all(isinstance(entry[lang], str) and entry[lang].strip() for lang in LANGUAGES):
            problems.append(f"{key}: an empty text")
        elif placeholders(entry["tr"]) != placeholders(entry["en"]):
            problems.append(f"{key}: placeholders {placeholders(entry['tr'])} vs {placeholders(entry['en'])}")
    assert not problems, problems


def test_the_english_texts_are_english():
    """An English text copied from Turkish (or left Turkish) has Turkish letters; a few ids are the same
    in both languages on purpose (TR/EN badges, a masked phone)."""
    same = {key for key, entry in STRINGS.items() if entry["tr"] == entry["en"]}
    assert same <= {"lang.tr", "lang.en", "context.phoneMasked"}, same
    turkish = {key for key, entry in STRINGS.items() if re.search("[çğıİöşüÇĞÖŞÜ]", entry["en"])}
    assert not turkish, turkish


def used_keys() -> set:
    keys = set(re.findall(r"""\bt\(\s*'([\w.]+)'\s*[,)]""", SOURCE))
    for pair in re.findall(r"""\bt\([^()']*\?\s*'([\w.]+)'\s*:\s*'([\w.]+)'""", SOURCE):  # t(x ? 'a' : 'b')
        keys |= set(pair)
    keys |= {"kb." + key for key in re.findall(r"""\bkt\(\s*'(\w+)'\s*[,)]""", SOURCE)}
    keys |= set(re.findall(r"""data-i18n(?:-aria-label)?="([\w.]+)\"""", PAGE))
    # Ids made from a prefix and a value in console.js.
    keys |= {f"conn.{status}" for status in ("connecting", "online", "offline")}
    keys |= {f"sender.{sender}" for sender in ("shopper", "bot", "agent", "system", "note")}
    keys |= {f"{prefix}.{lang}" for prefix in ("lang", "langName") for lang in LANGUAGES}
    return keys | set(LOGIN_KEYS)


def test_every_text_the_console_uses_is_in_the_table():
    assert {"app.title", "composer.modeNote", "hours.closed", "kb.chat"} <= used_keys()
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
    assert not missing, f"add error.<code> to STRINGS in widget/console/console.js for: {missing}"


@pytest.mark.parametrize("key", sorted(k for k in STRINGS if k.startswith("error.") and k.count(".") == 2))
def test_error_words_for_one_event_belong_to_a_known_code(key):
    """error.<code>.<event>: the code is one the bridge uses and the event one the console sends."""
    _, code, event = key.split(".")
    assert f"error.{code}" in STRINGS
    assert re.search(r"""request\(\s*(?:asNote \? 'note' : 'send'|'""" + event + "')", SOURCE) or \
        event in ("send", "note"), f"the console never sends {event!r}"


def test_the_reader_refuses_what_is_not_a_text_table():
    with pytest.raises(ValueError):
        JsObjectReader("{ 'a': { tr: t('x'), en: 'y' } }", 0).object()
    with pytest.raises(ValueError):
        JsObjectReader("{ 'a': { tr: 'x' }, 'a': { tr: 'y' } }", 0).object()
    assert JsObjectReader("{ 'a\\'b': { tr: 'x', en: \"y\" }, // c\n }", 0).object() == {"a'b": {"tr": "x", "en": "y"}}
