"""The text catalogue (locale/<language>/LC_MESSAGES/<domain>.po, read by bot/i18n.py).

Every language has every key, in the same order, with the same placeholders (and a plural message
counts the same parameter everywhere); every key is used somewhere in bot/, actions/ or widget/.
Each check is a plain function, shown failing on a small bad catalogue before it is run on ours.

Keys that code builds at run time cannot be found as literals. They are listed here by prefix
(DYNAMIC_PREFIXES), and each such key must instead name a code the code really raises:
`error.<code>` a DeskError code or detail (or an InboxError code, or `error_text("<code>")`) in bot/,
`shopper_error.<code>` a code the shopper socket sends (`texts.error("<code>")`, `self._error(sid,
"<code>")`), `privacy:consent_error.<code>` a refused privacy choice (`ConsentError("<code>")`,
`failure("<code>", language)`), `privacy:admin_error.<code>` a refusal of the admins' personal data
API (`AdminError("<code>")`, `RequestError(...)`, `BadIdentifier(...)`). The other way round, every
such code raised must have its text.

The browser domains (bot/desk/texts_web.py serves them to their pages: `console`, `manager`, and
`staff`, `editor`, `privacy_page` for the editors' studio and the admins' personal data page) are
used only by their own pages: a key must appear in those pages' JS or HTML (BROWSER_SOURCES), or be
one of a family the page builds from a code (`t('reason.' + code)`, `word('action.', code)`: the
literal `'reason.'` is in the page) whose code is a quoted literal of the page or of the Python in
bot/ and actions/ (the codes the server sends). They have no plural forms: the pages have no rule to
pick one.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Set, Tuple

import pytest

from bot import i18n
from bot.desk import texts
from bot.desk.texts_web import BROWSER_DOMAINS
from bot.followup import texts as email_texts
from tests.unit.test_console_strings import TURKISH_LETTERS, without_comments

ROOT = Path(__file__).resolve().parents[2]
SOURCE_FOLDERS = ("bot", "actions", "widget")
SOURCE_SUFFIXES = {".py", ".js", ".html"}
CATALOGUES = i18n.CATALOGUES

# A quoted literal that may be a key: "queued", 'error.not_yours', `emails:subject`.
LITERAL = re.compile(r"""["'`]([\w.:-]+)["'`]""")
# Where the codes of the dynamically built keys come from, per (domain, prefix).
DESK_CODES = [re.compile(r"""\bDeskError\(\s*["'](\w+)["'](?:\s*,\s*["'](\w+)["'])?"""),
              re.compile(r"""\bInboxError\(\s*["'](\w+)["']"""),
              re.compile(r"""\berror_text\(\s*["'](\w+)["']""")]
SHOPPER_CODES = [re.compile(r"""\btexts\.error\(\s*["'](\w+)["']"""),
                 re.compile(r"""\b_error\(\s*[\w.\[\]]+\s*,\s*["'](\w+)["']""")]
# A refused privacy choice: `ConsentError("code")` and `failure("code", language)` (bot/privacy/consent.py,
# bot/desk/shoppers.py); not `failure(error.code, ...)` nor another module's `something_failure("code")`.
CONSENT_CODES = [re.compile(r"""\bConsentError\(\s*["'](\w+)["']"""),
                 re.compile(r"""(?<![\w])failure\(\s*["'](\w+)["']""")]
# A refusal of the admins' personal data API (bot/privacy/errors.py and its subclasses).
ADMIN_CODES = [re.compile(r"""\b(?:AdminError|RequestError|BadIdentifier)\(\s*["'](\w+)["']""")]
DYNAMIC_PREFIXES = {("bridge", "error."): DESK_CODES, ("bridge", "shopper_error."): SHOPPER_CODES,
                    ("privacy", "consent_error."): CONSENT_CODES, ("privacy", "admin_error."): ADMIN_CODES}
# The files of each browser domain's pages (the shared login form asks the page for its login.* words,
# and widget/shared/staff.js puts the studio's and the privacy page's words in). The first two of each
# may hold no Turkish outside comments.
SHARED = ["widget/shared/login.js", "widget/shared/texts.js"]
BROWSER_SOURCES = {
    "console": ["widget/console/console.js", "widget/console/index.html", *SHARED],
    "manager": ["widget/manager/manager.js", "widget/manager/index.html", *SHARED],
    "staff": ["widget/shared/staff.js", "widget/shared/login.js", "widget/editor/editor.js", "widget/editor/index.html",
              "widget/privacy/privacy.js", "widget/privacy/index.html"],
    "editor": ["widget/editor/editor.js", "widget/editor/index.html", "widget/shared/staff.js", *SHARED],
    "privacy_page": ["widget/privacy/privacy.js", "widget/privacy/index.html", "widget/shared/staff.js", *SHARED],
}
# A domain of few words: the shared one (the others have far more than 50).
FEW_KEYS = {"staff": 15}
# English texts that are Turkish on purpose: the toggle names the other language in that language.
TURKISH_IN_ENGLISH = {("staff", "lang.toggle")}


# --- the checks --------------------------------------------------------------------------------

def missing_keys(keys_by_language: Mapping[str, List[str]]) -> List[str]:
    every = set().union(*map(set, keys_by_language.values()))
    return [f"{key!r} missing in {language}" for language, keys in keys_by_language.items()
            for key in sorted(every - set(keys))]


def order_differences(keys_by_language: Mapping[str, List[str]]) -> List[str]:
    """The first place where a language's order leaves the first language's (keys both have)."""
    (first, reference), *others = keys_by_language.items()
    problems = []
    for language, keys in others:
        ours = [key for key in reference if key in keys]
        theirs = [key for key in keys if key in reference]
        for position, (a, b) in enumerate(zip(ours, theirs)):
            if a != b:
                problems.append(f"{language}: key {position} is {b!r}, in {first} it is {a!r}")
                break
    return problems


def placeholder_differences(entries_by_language: Mapping[str, Mapping[str, i18n.Entry]]) -> List[str]:
    (first, reference), *others = entries_by_language.items()
    problems = []
    for key, entry in reference.items():
        if entry.plural and entry.count not in entry.placeholders():
            problems.append(f"{key!r} counts {entry.count!r}, which it never shows")
        for language, entries in others:
            other = entries.get(key)
            if other is None:
                continue
            theirs, ours = sorted(other.placeholders()), sorted(entry.placeholders())
            if theirs != ours:
                problems.append(f"{key!r}: {language} {theirs} != {first} {ours}")
            if other.count != entry.count:
                problems.append(f"{key!r}: {language} counts {other.count!r}, {first} counts {entry.count!r}")
            if not all(other.forms):
                problems.append(f"{key!r}: an empty text in {language}")
    return problems


def used_literals(sources: Iterable[str]) -> Set[str]:
    return {match for text in sources for match in LITERAL.findall(text)}


def raised_codes(sources: Iterable[str], patterns: List[re.Pattern]) -> Set[str]:
    return {code for text in sources for pattern in patterns for groups in pattern.findall(text)
            for code in ((groups,) if isinstance(groups, str) else groups) if code}


def unused_keys(keys: Iterable[Tuple[str, str]], literals: Set[str],
                dynamic: Mapping[Tuple[str, str], Set[str]]) -> List[str]:
    """Keys (domain, key) no source names: neither as "key" nor as "domain:key", nor (for a dynamic
    prefix) as a code raised."""
    unused = []
    for domain, key in keys:
        if key in literals or f"{domain}:{key}" in literals:
            continue
        prefix = next((p for (d, p) in dynamic if d == domain and key.startswith(p)), None)
        if prefix is not None and key[len(prefix):] in dynamic[(domain, prefix)]:
            continue
        unused.append(f"{domain}:{key}")
    return unused


def unused_browser_keys(keys: Iterable[str], page_literals: Set[str], server_literals: Set[str]) -> List[str]:
    """Keys of a browser domain its page never names: neither as a literal nor as a family
    (`prefix.` literal in the page) whose code (each dotted part after the prefix) is a literal of
    the page or of the server."""
    families = sorted((literal for literal in page_literals if literal.endswith(".")), key=len, reverse=True)
    codes = page_literals | server_literals
    unused = []
    for key in keys:
        if key in page_literals:
            continue
        prefix = next((family for family in families if key.startswith(family) and len(key) > len(family)), None)
        if prefix is not None and all(part in codes for part in key[len(prefix):].split(".")):
            continue
        unused.append(key)
    return unused


def plural_keys(entries: Mapping[str, i18n.Entry]) -> List[str]:
    return [key for key, entry in entries.items() if entry.plural]


# --- reading ours ---------------------------------------------------------------------------------

def source_files() -> List[Path]:
    return sorted(path for folder in SOURCE_FOLDERS for path in (ROOT / folder).rglob("*")
                  if path.suffix in SOURCE_SUFFIXES and path.is_file() and "vendor" not in path.parts
                  and path != ROOT / "bot" / "i18n.py")


@pytest.fixture(scope="module")
def sources() -> Dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in source_files()}


def bot_python(sources: Dict[Path, str]) -> List[str]:
    return [text for path, text in sources.items() if path.suffix == ".py" and path.is_relative_to(ROOT / "bot")]


def dynamic_codes(sources: Dict[Path, str]) -> Dict[Tuple[str, str], Set[str]]:
    return {prefix: raised_codes(bot_python(sources), patterns) for prefix, patterns in DYNAMIC_PREFIXES.items()}


def server_literals(sources: Dict[Path, str]) -> Set[str]:
    """The quoted literals of the Python in bot/ and actions/: among them every code the server sends."""
    return used_literals(text for path, text in sources.items() if path.suffix == ".py")


def page_literals(domain: str) -> Set[str]:
    return used_literals((ROOT / name).read_text(encoding="utf-8") for name in BROWSER_SOURCES[domain])


def catalogue_keys(catalogues: i18n.Catalogues = CATALOGUES) -> List[Tuple[str, str]]:
    """Every (domain, key) of every language, once, in the files' order."""
    return list(dict.fromkeys((domain, key) for domain in catalogues.domains() for language in catalogues.languages()
                              for key in catalogues.entries(domain, language)))


def write_po(folder: Path, language: str, domain: str, body: str) -> None:
    path = folder / language / "LC_MESSAGES" / f"{domain}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    plural = "nplurals=1; plural=0;" if language == "tr" else "nplurals=2; plural=(n != 1);"
    header = ('msgid ""\nmsgstr ""\n"Language: %s\\n"\n"Plural-Forms: %s\\n"\n'
              '"Content-Type: text/plain; charset=utf-8\\n"\n\n') % (language, plural)
    path.write_text(header + body, encoding="utf-8")


def by_language(catalogues: i18n.Catalogues, domain: str) -> Dict[str, Dict[str, i18n.Entry]]:
    return {language: catalogues.entries(domain, language) for language in catalogues.languages()}


def keys_of(entries_by_language: Mapping[str, Mapping[str, i18n.Entry]]) -> Dict[str, List[str]]:
    return {language: list(entries) for language, entries in entries_by_language.items()}


@pytest.fixture()
def bad(tmp_path) -> i18n.Catalogues:
    """A catalogue with one of each fault: a key only in English, two keys swapped, a placeholder renamed."""
    write_po(tmp_path, "tr", "shop", 'msgid "hello"\nmsgstr "Merhaba {name}"\n\n'
                                     'msgid "a"\nmsgstr "A"\n\nmsgid "b"\nmsgstr "B"\n\n'
                                     'msgid "wait"\nmsgstr "{n} dakika"\n')
    write_po(tmp_path, "en", "shop", 'msgid "hello"\nmsgstr "Hello {first_name}"\n\n'
                                     'msgid "b"\nmsgstr "B"\n\nmsgid "a"\nmsgstr "A"\n\n'
                                     'msgid "wait"\nmsgstr "{n} minutes"\n\nmsgid "extra"\nmsgstr "Only English"\n')
    return i18n.Catalogues(tmp_path)


# --- the checks find what they are for ----------------------------------------------------------------

def test_a_key_in_one_language_only_is_found(bad):
    assert missing_keys(keys_of(by_language(bad, "shop"))) == ["'extra' missing in tr"]


def test_a_different_key_order_is_found(bad):
    assert order_differences(keys_of(by_language(bad, "shop"))) == ["en: key 1 is 'b', in tr it is 'a'"]


def test_a_different_placeholder_is_found(bad):
    assert placeholder_differences(by_language(bad, "shop")) == ["'hello': en ['first_name'] != tr ['name']"]


def test_an_unused_key_is_found():
    sources = ['say("shop:hello", language)', "t('wait')", 'raise DeskError("invalid", "empty")']
    codes = {("shop", "error."): raised_codes(sources, DESK_CODES)}
    assert codes == {("shop", "error."): {"invalid", "empty"}}
    keys = [("shop", "hello"), ("shop", "wait"), ("shop", "error.empty"), ("shop", "error.gone"), ("shop", "bye")]
    assert unused_keys(keys, used_literals(sources), codes) == ["shop:error.gone", "shop:bye"]


def test_the_codes_of_refused_privacy_choices_and_admin_requests_are_found():
    sources = ['raise ConsentError("wording_changed")', 'return consent.failure("no_session", language)',
               'return failure(error.code, error.message)', 'self._record_failure("x")',
               'raise RequestError("already_answered")', 'raise BadIdentifier("bad_email")',
               'raise _bad(request, AdminError("too_long", field=key, limit=limit))', 'raise RequestError(error.code)']
    assert raised_codes(sources, CONSENT_CODES) == {"wording_changed", "no_session"}
    assert raised_codes(sources, ADMIN_CODES) == {"already_answered", "bad_email", "too_long"}
    codes = {("privacy", "consent_error."): raised_codes(sources, CONSENT_CODES)}
    keys = [("privacy", "consent_error.no_session"), ("privacy", "consent_error.gone")]
    assert unused_keys(keys, used_literals(sources), codes) == ["privacy:consent_error.gone"]


def test_the_unused_key_check_runs_on_our_sources(sources):
    """The real scan flags a key that nothing uses (and none of ours)."""
    keys = server_keys() + [("bridge", "never_said_anywhere"), ("bridge", "error.never_raised")]
    assert unused_keys(keys, used_literals(sources.values()), dynamic_codes(sources)) == [
        "bridge:never_said_anywhere", "bridge:error.never_raised"]


def test_an_unused_browser_key_is_found():
    page = used_literals(["t('app.title')", "t('reason.' + code)", "t('error.' + code + '.' + event)",
                          "request('send', payload)"])
    server = used_literals(['DeskError("invalid")', 'reason = "requested"'])
    keys = ["app.title", "app.gone", "reason.requested", "reason.retired_code", "error.invalid.send",
            "error.invalid.dance", "state.bot"]
    assert unused_browser_keys(keys, page, server) == ["app.gone", "reason.retired_code", "error.invalid.dance",
                                                       "state.bot"]


def test_the_browser_key_check_runs_on_our_pages(sources):
    """A console key is used by the console, not by the dashboard (nor the other way round)."""
    server = server_literals(sources)
    assert unused_browser_keys(["chat.transfer", "kb.chatTitle", "status.kargoya_verildi", "status.kayboldu"],
                               page_literals("console"), server) == ["status.kayboldu"]
    assert unused_browser_keys(["chat.transfer", "kpi.nps"], page_literals("manager"), server) == ["chat.transfer"]
    # The studio's and the privacy page's families: word('action.', code) with the server's codes.
    assert unused_browser_keys(["topic.save", "retention.run", "action.publish", "action.dance"],
                               page_literals("editor"), server) == ["retention.run", "action.dance"]
    assert unused_browser_keys(["topic.save", "retention.run", "count.kept_orders", "count.nothing_of_ours"],
                               page_literals("privacy_page"), server) == ["topic.save", "count.nothing_of_ours"]
    assert unused_browser_keys(["login.home.editor", "common.cancel", "kpi.nps"], page_literals("staff"),
                               server) == ["kpi.nps"]


def test_a_plural_message_is_found(bad):
    write_po(bad.root, "tr", "page", '#. count: n\nmsgid "wait"\nmsgid_plural "wait.plural"\nmsgstr[0] "{n} dakika"\n\n'
                                     'msgid "hello"\nmsgstr "Merhaba"\n')
    assert plural_keys(bad.entries("page", "tr")) == ["wait"]


# --- our catalogue ----------------------------------------------------------------------------------

def test_every_domain_has_turkish_and_english():
    assert set(CATALOGUES.languages()) == set(i18n.LANGUAGES)
    assert set(CATALOGUES.domains()) >= {"bridge", "emails", "reports", "privacy", "studio", "console", "manager",
                                         "staff", "editor", "privacy_page"}
    assert set(BROWSER_DOMAINS) == set(BROWSER_SOURCES) == {"console", "manager", "staff", "editor", "privacy_page"}
    for domain in CATALOGUES.domains():
        for language in i18n.LANGUAGES:
            assert CATALOGUES.path(domain, language).is_file(), (domain, language)


@pytest.mark.parametrize("domain", CATALOGUES.domains())
def test_every_language_has_the_same_keys_in_the_same_order(domain):
    keys = keys_of(by_language(CATALOGUES, domain))
    assert missing_keys(keys) == []
    assert order_differences(keys) == []


@pytest.mark.parametrize("domain", CATALOGUES.domains())
def test_every_language_has_the_same_placeholders(domain):
    assert placeholder_differences(by_language(CATALOGUES, domain)) == []


def server_keys() -> List[Tuple[str, str]]:
    return [(domain, key) for domain, key in catalogue_keys() if domain not in BROWSER_DOMAINS]


def test_every_key_is_used(sources):
    assert unused_keys(server_keys(), used_literals(sources.values()), dynamic_codes(sources)) == []


@pytest.mark.parametrize("domain", BROWSER_DOMAINS)
def test_every_browser_key_is_used_by_its_page(sources, domain):
    keys = [key for (name, key) in catalogue_keys() if name == domain]
    assert len(keys) > FEW_KEYS.get(domain, 50)
    assert unused_browser_keys(keys, page_literals(domain), server_literals(sources)) == []


@pytest.mark.parametrize("domain", BROWSER_DOMAINS)
def test_the_english_browser_texts_are_english(domain):
    """The pages are complete in English: no English text is Turkish (or was left in Turkish)."""
    english = CATALOGUES.entries(domain, "en")
    assert [key for key, entry in english.items() if TURKISH_LETTERS.search(entry.forms[0])
            and (domain, key) not in TURKISH_IN_ENGLISH] == []


@pytest.mark.parametrize("domain", BROWSER_DOMAINS)
def test_browser_pages_keep_no_texts_of_their_own(domain):
    """Every word of the page's own files comes from its domain: no Turkish outside comments."""
    for name in BROWSER_SOURCES[domain][:2]:
        code = without_comments((ROOT / name).read_text(encoding="utf-8"))
        assert [line.strip() for line in code.splitlines() if TURKISH_LETTERS.search(line)] == [], name


@pytest.mark.parametrize("domain", BROWSER_DOMAINS)
def test_browser_texts_have_no_plural_forms(domain):
    for language in CATALOGUES.languages():
        assert plural_keys(CATALOGUES.entries(domain, language)) == [], language


def test_every_error_code_raised_has_its_text(sources):
    codes = dynamic_codes(sources)
    assert codes[("bridge", "error.")] >= {"invalid", "unknown_conversation", "unauthorized", "server_error"}
    assert codes[("bridge", "shopper_error.")] >= {"no_session", "too_many_connections"}
    assert codes[("privacy", "consent_error.")] == {"no_session", "invalid_consent", "wording_changed", "server_error"}
    assert codes[("privacy", "admin_error.")] >= {"not_object", "too_long", "no_such_request", "bad_email"}
    for (domain, prefix), raised in codes.items():
        assert domain in ("bridge", "privacy")
        entries = CATALOGUES.entries(domain, "tr")
        assert sorted(code for code in raised if prefix + code not in entries) == [], prefix


# --- what the catalogue says ----------------------------------------------------------------------

def test_the_queue_message_counts_minutes_in_english_only():
    one = texts.say("queued", "en", position=2, minutes=1)
    three = texts.say("queued", "en", position=2, minutes=3)
    assert "about 1 minute." in one and "about 3 minutes." in three and "1 minutes" not in one
    assert "yaklaşık 1 dakika." in texts.say("queued", "tr", position=2, minutes=1)
    assert "yaklaşık 3 dakika." in texts.say("queued", "tr", position=2, minutes=3)
    assert texts.error_text("chat_limit", "en", max_chats=1) == "You can handle at most 1 chat at a time."
    with pytest.raises(TypeError):  # a plural message needs its count as a number
        texts.say("queued", "en", position=2, minutes="3")
    # The key and the language are positional: a placeholder may be called {language} too.
    assert i18n.say("privacy:notice.missing_language", "en", language_name="Turkish", language="tr") == \
        "The Turkish texts ('tr') are missing."


def test_an_unknown_language_or_a_missing_translation_falls_back_to_turkish(bad):
    assert texts.say("agent_joined", "de", agent="Ayşe") == "Ayşe sohbete katıldı."
    assert texts.say("agent_joined", "en-GB", agent="Ayşe") == "Ayşe has joined the chat."
    assert bad.say("shop:wait", "en", n=2) == "2 minutes"
    write_po(bad.root, "en", "other", 'msgid "only_tr"\nmsgstr ""\n')
    write_po(bad.root, "tr", "other", 'msgid "only_tr"\nmsgstr "Yalnız Türkçe"\n')
    assert bad.say("other:only_tr", "en") == "Yalnız Türkçe"
    with pytest.raises(KeyError):
        texts.say("no_such_key", "tr")


def test_desk_error_codes_have_words_in_both_languages():
    assert texts.error_text("not_yours") == "Bu sohbet sizde değil."
    assert texts.error_text("taken", "en") == "Another agent has this chat."
    assert texts.error_text("too_long", "tr", max=4000) == "Mesaj en fazla 4000 karakter olabilir."
    assert texts.error_text("unknown_event", "en", event="dance") == "Unknown event: dance"
    assert texts.error_text("no_such_code", "en") == texts.error_text("server_error", "en")
    assert texts.error("message_too_long", "en", limit=10) == {
        "code": "message_too_long", "message": "Your message is too long; the limit is 10 characters."}


def test_old_callers_keep_their_shapes():
    assert texts.TEXTS["sensitive_data_masked"]["tr"].startswith("Güvenliğiniz için")
    assert set(texts.TEXTS["skip"]) == set(i18n.LANGUAGES) and "queued" in texts.TEXTS
    assert email_texts.say("subject", "en", order_no="400142") == i18n.say("emails:subject", "en", order_no="400142")
    assert email_texts.bad_link_title() == "Geçersiz bağlantı / Invalid link"


@pytest.mark.parametrize("text", ["İptal", "IPTAL", "iptal", "iptal et", "İPTAL ET!", "Vazgeç", "VAZGEÇ", "vazgec",
                                  "cancel", "Cancel.", "  hayır "])
def test_cancel_words_are_recognised_folded(text):
    assert texts.is_cancel(text)


@pytest.mark.parametrize("text", ["siparişimi iptal etmek istiyorum", "ayse@example.com", "", "iptaller"])
def test_other_words_do_not_cancel(text):
    assert not texts.is_cancel(text)


def test_lower_is_not_enough_for_turkish_capitals():
    """Why is_cancel folds: "İptal".lower() is "i̇ptal" (two code points for the i)."""
    assert "İptal".lower() not in texts.CANCEL_WORDS
    assert texts.is_cancel("İptal")


@pytest.mark.parametrize("text, skipped", [("YORUM YOK", True), ("Geç", True), ("GEC", True), ("İptal", False),
                                           ("No comment!", True), ("geçen hafta geldi", False)])
def test_skip_folds_the_same_way(text, skipped):
    assert texts.is_skip(text) == skipped
