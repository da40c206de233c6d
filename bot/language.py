"""Which language a shopper writes in: Turkish (the default) or English.

The storefront may state the page language in the message metadata; otherwise the words of
the message decide. A message that says nothing either way (`400142`, `ok`) returns None,
so the conversation keeps the language it had.
"""
import re
from typing import Any, Mapping, Optional

from bot.text import fold_words

SUPPORTED = ("tr", "en")
TURKISH_LETTERS = re.compile(r"[çğıöşüÇĞİÖŞÜ]")
ENGLISH_WORDS = frozenset(
    """a about am an and any are as at be bye can cancel cannot could customer day days deliver
    delivered delivery did do does dont exchange for from get give got hello help hey hi how i im
    in installment installments invoice is it its item just long me money much my need no not
    now of on order package payment pay person please real refund return returned robot
    shipping ship shipped should still thank thanks that the there this to want what when where
    which who why will with would yes you your""".split()
)
TURKISH_WORDS = frozenset(
    """abi ama ben benim bir bu bugun cok da de degil evet gibi gun hala hangi hayir hemen icin
    ile iade iptal istiyorum kac kanka kargo kargom kim lutfen mi mu musteri nasil ne neden
    nerde nerede niye olur param selam siparis siparisim slm su tamam tesekkur tesekkurler tsk
    ucret urun var ve ya yok zaman merhaba sagol saol iyi gunler aksamlar""".split()
)
TURKISH_ENDINGS = ("iyorum", "iyor", "uyor", "misiniz", "musunuz", "mısınız", "mek", "mak",
                   "acak", "ecek", "imi", "umu", "ler", "lar", "dir", "dur", "sin", "nız", "niz")


def language_from_metadata(metadata: Optional[Mapping[str, Any]]) -> Optional[str]:
    """`{"language": "en-GB"}` (or `lang`, `locale`) -> `"en"`; unsupported values are ignored."""
    if not isinstance(metadata, Mapping):
        return None
    for key in ("language", "lang", "locale"):
        value = metadata.get(key)
        if isinstance(value, str) and value[:2].lower() in SUPPORTED:
            return value[:2].lower()
    return None


def detect_language(text: str) -> Optional[str]:
    if TURKISH_LETTERS.search(text):
        return "tr"
    words = [w for w in fold_words(text).split() if w.isalpha()]
    english = sum(w in ENGLISH_WORDS for w in words)
    turkish = sum(
        w in TURKISH_WORDS or (len(w) > 4 and w.endswith(TURKISH_ENDINGS) and w not in ENGLISH_WORDS)
        for w in words
    )
    if english > turkish:
        return "en"
    if turkish > english:
        return "tr"
    return None


def message_language(text: str, metadata: Optional[Mapping[str, Any]] = None) -> Optional[str]:
    return language_from_metadata(metadata) or detect_language(text)
