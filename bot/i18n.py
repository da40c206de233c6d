"""One text catalogue for everything a person reads from the bridge: gettext PO files read with Babel.

Why PO files and not Python dicts: translators' tools (Poedit, Weblate) and reviewers know the
format, a language is one file per domain, plural forms are declared per language (English
"1 minute" / "3 minutes", Turkish one form) and tests/unit/test_catalogue.py can compare the
languages key by key.

Layout: `locale/<language>/LC_MESSAGES/<domain>.po`, Turkish first and English second, the same keys
in the same order in every language. A message id is a stable key (`queued`, `error.not_yours`), its
msgstr the text with named `str.format` placeholders (`{position}`). A message is addressed as
`"<domain>:<key>"` (`"emails:subject"`); a key without a domain is in `bridge`. A plural message names
its count parameter in an extracted comment (`#. count: minutes`); its msgid_plural is the key
followed by `.plural`.

The one call: `say(key, language, **params)` (key first, then language; both positional, so a
placeholder may be called `{language}` too). An unknown language falls
back to Turkish, and so does a key missing in a language (the catalogue test keeps that from
happening). The files are read at first use and kept; each is also compiled to a .mo in memory, so
plural forms follow gettext's own rule from the file's Plural-Forms header and no compile step is
needed at setup.
"""
from __future__ import annotations

import re
import string
import threading
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Tuple

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("tr", "en")
DEFAULT_LANGUAGE = "tr"
DEFAULT_DOMAIN = "bridge"
PLURAL_SUFFIX = ".plural"
_COUNT_COMMENT = re.compile(r"^count:\s*(\w+)\s*$")


@dataclass(frozen=True)
class Entry:
    """One message of one language: its key, its forms (one, or one per plural form) and, for a
    plural message, the parameter that counts."""

    key: str
    forms: Tuple[str, ...]
    count: Optional[str] = None

    @property
    def plural(self) -> bool:
        return self.count is not None

    def placeholders(self) -> frozenset:
        return frozenset().union(*(placeholders(form) for form in self.forms))


@dataclass(frozen=True)
class _Loaded:
    entries: Dict[str, Entry]  # in the file's order
    translations: Translations


def placeholders(template: str) -> frozenset:
    """The named fields of a `str.format` template: "{position} of {total:d}" -> {"position", "total"}."""
    return frozenset(field.split(".")[0].split("[")[0]
                     for _, field, _, _ in string.Formatter().parse(template) if field)


def split_key(address: str) -> Tuple[str, str]:
    """"emails:subject" -> ("emails", "subject"); "queued" -> ("bridge", "queued")."""
    domain, sep, key = address.partition(":")
    return (domain, key) if sep else (DEFAULT_DOMAIN, address)


def language_of(language: Optional[str]) -> str:
    """A supported language for whatever a caller has ("en", "en-GB", "EN", None, "de" -> Turkish)."""
    base = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


class Catalogues:
    """The PO files under one locale folder, read at first use and kept."""

    def __init__(self, root: Path = LOCALE_DIR):
        self.root = Path(root)
        self._loaded: Dict[Tuple[str, str], _Loaded] = {}
        self._lock = threading.Lock()

    # --- reading -----------------------------------------------------------------------------
    def path(self, domain: str, language: str) -> Path:
        return self.root / language / "LC_MESSAGES" / f"{domain}.po"

    def domains(self) -> List[str]:
        """The domains of the default language, by name."""
        return sorted(p.stem for p in (self.root / DEFAULT_LANGUAGE / "LC_MESSAGES").glob("*.po"))

    def languages(self) -> List[str]:
        """Every language folder there is, Turkish first (the test compares them all)."""
        found = sorted(p.name for p in self.root.iterdir() if (p / "LC_MESSAGES").is_dir())
        return sorted(found, key=lambda language: (language != DEFAULT_LANGUAGE, language))

    def entries(self, domain: str, language: str) -> Dict[str, Entry]:
        """The messages of one file, in the file's order ({} when there is no such file)."""
        return self._load(domain, language).entries

    def _load(self, domain: str, language: str) -> _Loaded:
        cached = self._loaded.get((domain, language))
        if cached is not None:
            return cached
        with self._lock:
            cached = self._loaded.get((domain, language))
            if cached is None:
                cached = self._read(domain, language)
                self._loaded[(domain, language)] = cached
        return cached

    def _read(self, domain: str, language: str) -> _Loaded:
        path = self.path(domain, language)
        if not path.is_file():
            return _Loaded({}, Translations())
        with path.open("rb") as file:
            catalog = read_po(file, locale=language, domain=domain, abort_invalid=True)
        entries: Dict[str, Entry] = {}
        for message in catalog:
            if not message.id:
                continue  # the header
            if message.pluralizable:
                key = message.id[0]
                counts = [m.group(1) for m in map(_COUNT_COMMENT.match, message.auto_comments) if m]
                if len(counts) != 1:
                    raise ValueError(f"{path}: plural message {key!r} needs one '#. count: <parameter>' comment")
                forms = tuple(message.string)
                entries[key] = Entry(key, forms, counts[0])
            else:
                entries[message.id] = Entry(message.id, (message.string,))
        return _Loaded(entries, _compiled(catalog))

    # --- speaking ----------------------------------------------------------------------------
    def template(self, address: str, language: str, count: Optional[int] = None) -> str:
        """The unformatted text of a message in a language (Turkish when that language lacks it);
        for a plural message, the form for `count` (the last form, "other", without one)."""
        domain, key = split_key(address)
        language = language_of(language)
        loaded = self._load(domain, language)
        entry = loaded.entries.get(key)
        if entry is None or not any(entry.forms):
            if language == DEFAULT_LANGUAGE:
                raise KeyError(f"no text {address!r} in locale/{DEFAULT_LANGUAGE}/LC_MESSAGES/{domain}.po")
            return self.template(address, DEFAULT_LANGUAGE, count)
        if not entry.plural:
            return entry.forms[0]
        if count is None:
            return entry.forms[-1]
        return loaded.translations.ngettext(key, key + PLURAL_SUFFIX, count)

    def say(self, address: str, language: str, /, **params: object) -> str:
        """The text of `address` in `language`, its placeholders filled from `params`."""
        domain, key = split_key(address)
        entry = self._load(domain, DEFAULT_LANGUAGE).entries.get(key)
        count = None
        if entry is not None and entry.plural:
            value = params.get(entry.count)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{address!r} counts {entry.count!r}: give it as an int, not {value!r}")
            count = value
        return self.template(address, language, count).format(**params)

    def by_language(self, address: str) -> Dict[str, str]:
        """{language: unformatted text} of one message, for code that must recognise a text it sent."""
        return {language: self.template(address, language) for language in LANGUAGES}


def _compiled(catalog: Catalog) -> Translations:
    """The catalogue as gettext translations (compiled to a .mo in memory): plural forms by its rule."""
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=catalog.domain)


class TextsByKey(Mapping):
    """A read-only {key: {language: text}} view of one domain, for callers of the old dicts."""

    def __init__(self, domain: str, catalogues: Optional[Catalogues] = None):
        self.domain = domain
        self._catalogues = catalogues

    @property
    def catalogues(self) -> Catalogues:
        return self._catalogues or CATALOGUES

    def __getitem__(self, key: str) -> Dict[str, str]:
        if key not in self.catalogues.entries(self.domain, DEFAULT_LANGUAGE):
            raise KeyError(key)
        return self.catalogues.by_language(f"{self.domain}:{key}")

    def __iter__(self) -> Iterator[str]:
        return iter(self.catalogues.entries(self.domain, DEFAULT_LANGUAGE))

    def __len__(self) -> int:
        return len(self.catalogues.entries(self.domain, DEFAULT_LANGUAGE))


CATALOGUES = Catalogues()


def say(address: str, language: str, /, **params: object) -> str:
    """`say("queued", "en", position=2, minutes=1)`, `say("emails:subject", "tr", order_no="400142")`."""
    return CATALOGUES.say(address, language, **params)


def by_language(address: str) -> Dict[str, str]:
    return CATALOGUES.by_language(address)
