"""Turkish-aware text normalisation shared by the NLU pipeline, the knowledge base and reports.

Python's `str.lower()` turns `İ` into `i̇` (two code points) and `I` into `i` instead of `ı`.
Shoppers also write without Turkish letters, so matching happens on an accent-folded form.
"""
import re
import unicodedata

_TURKISH_UPPER_TO_LOWER = str.maketrans({"İ": "i", "I": "ı"})
_ASCII_FOLD = str.maketrans(
    {"ı": "i", "ğ": "g", "ü": "u", "ş": "s", "ö": "o", "ç": "c", "â": "a", "î": "i", "û": "u"}
)
_REPEATED_LETTERS = re.compile(r"([^\W\d])\1{2,}")
_NON_WORD = re.compile(r"[^\w@.\-]+")


def turkish_lower(text: str) -> str:
    """Lower-case with Turkish dotted/dotless i rules (`İSTANBUL` -> `istanbul`, `IŞIK` -> `ışık`)."""
    return unicodedata.normalize("NFC", text).translate(_TURKISH_UPPER_TO_LOWER).lower()


def fold(text: str) -> str:
    """Turkish-lower, drop diacritics and squeeze letters repeated 3+ times (`NEREDEEE` -> `nerede`).

    `siparişim`, `SİPARİŞİM`, `SIPARISIM` and `siparisim` all fold to `siparisim`.
    """
    lowered = turkish_lower(text).translate(_ASCII_FOLD)
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _REPEATED_LETTERS.sub(r"\1", stripped)


def fold_words(text: str) -> str:
    """Fold and reduce to space-separated words: the key used to compare questions."""
    return " ".join(_NON_WORD.sub(" ", fold(text)).replace(".", " ").split())
