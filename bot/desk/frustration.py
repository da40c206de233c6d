"""How frustrated a shopper sounds, so the bridge can hand the chat to a human agent.

Every point of the score comes from a named signal (a word list in data/frustration.yml, the
learned tone of bot/desk/tone.py, capitals, `!!!`, a long wait, the same question asked again,
...), so an agent sees why a chat was escalated and a non-programmer can edit the lists and the
examples. Repetition alone is not anger: asking again calmly stays below the threshold.

The text is folded first (bot.text.fold), so `ŞİKAYET`, `şikayet` and `sikayet` are one form,
then tokenised by spaCy's Turkish tokenizer. Entries ending in `*` match as word stems, since
Turkish glues endings to words (`rezil*` finds `rezilsiniz`, `dolandirici*` `dolandırıcısınız`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import spacy
import yaml
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span

from bot.desk.tone import ToneModel
from bot.patterns import ORDER_NO
from bot.settings import PROJECT_ROOT
from bot.text import fold, fold_words

DEFAULT_LEXICON = PROJECT_ROOT / "data" / "frustration.yml"
DEFAULT_THRESHOLD = 0.5  # tuned on tests/frustration/labelled.yml; tests/frustration/outside.yml is held out

WORD_SIGNALS = ("insult", "anger", "public_threat", "legal_threat", "negative", "impatience")
NEGATABLE = frozenset({"insult", "anger", "negative", "public_threat", "legal_threat"})
# Every signal a Frustration may name, in the order they are reported (strong kinds first).
SIGNALS = ("insult", "anger", "public_threat", "legal_threat", "tone", "long_wait", "repetition", "negative_trend",
           "bot_failures", "negative", "impatience", "capitals", "exclamations")

_WORDS_FOR_CAPITALS = re.compile(r"[^\W\d_]{3,}")
_PUNCTUATION_RUN = re.compile(r"[!?]{2,}")
_TR_SINCE = re.compile(r"[dt][iu]r$")  # gün-dür, saat-tir, hafta-dır, ay-dır (folded)
_QUESTION_PARTICLES = frozenset({"mi", "mu"})  # "kötü değil mi?" asks, it does not deny


@dataclass(frozen=True)
class Frustration:
    score: float              # 0.0 .. 1.0
    signals: Tuple[str, ...]  # what raised the score, names from SIGNALS
    escalate: bool            # score >= threshold


class FrustrationScorer:
    def __init__(self, lexicon_path: Optional[Path] = None, threshold: float = DEFAULT_THRESHOLD,
                 tone: Optional[ToneModel] = None, learned_tone: bool = True):
        config = yaml.safe_load(Path(lexicon_path or DEFAULT_LEXICON).read_text(encoding="utf-8"))
        self.threshold = threshold
        self._tone_model = tone or (ToneModel() if learned_tone else None)
        self._tone = config["tone"]
        self._nlp = spacy.blank("tr")
        self._weights = {name: float(config["signals"][name]["weight"]) for name in WORD_SIGNALS}
        self._matcher = Matcher(self._nlp.vocab)
        for name in WORD_SIGNALS:
            entries = _strings(config["signals"][name]["entries"], f"signals.{name}")
            self._matcher.add(name, [self._pattern(entry) for entry in entries])
        self._negation = _Negation(config["negation"])
        self._waits = _LongWait(config["long_wait"], self._nlp.vocab)
        self._emphasis = config["emphasis"]
        self._repetition = config["repetition"]
        self._failures = config["bot_failures"]
        self._trend = config["negative_trend"]

    def score(self, text: str, history: Sequence[str] = (), bot_failures: int = 0,
              previous_scores: Sequence[float] = ()) -> Frustration:
        doc = self._nlp.make_doc(fold(text))
        parts: Dict[str, float] = {}  # signal -> what it adds to the score
        for name in self._word_signals(doc):
            parts[name] = self._weights[name]
        if self._tone_model and self._tone_model.probability(text) >= self._tone["min_probability"]:
            parts["tone"] = float(self._tone["weight"])
        wait = self._waits.weight(doc)
        if wait:
            parts["long_wait"] = wait
        repeats = self._repeats(text, history, has_words=bool(parts))
        if repeats:
            rule = self._repetition
            weight = min(rule["weight"] + rule["each_more"] * (repeats - 1), rule["max_weight"])
            # asking again calmly (the page was slow, the answer did not help) is not anger
            parts["repetition"] = weight if parts else min(weight, rule["alone_max_weight"])
        has_evidence = bool(parts)  # the message itself says something is wrong
        if bot_failures > 0:
            parts["bot_failures"] = min(self._failures["each"] * bot_failures, self._failures["max_weight"])
        if _rising(previous_scores) and has_evidence:
            parts["negative_trend"] = self._trend["weight"]
        emphasis = self._emphasis_weights(text)
        # Capitals and "!!!" are weak alone ("HARİKA TEŞEKKÜRLER!!!": the two count once) but strong
        # on top of something wrong ("NEREDE!!!", "REZALET!!!").
        if has_evidence and emphasis:
            emphasis_score = sum(emphasis.values()) + self._emphasis["with_words_bonus"]
        else:
            emphasis_score = max(emphasis.values(), default=0.0)
        score = round(min(1.0, sum(parts.values()) + emphasis_score), 3)
        signals = tuple(name for name in SIGNALS if name in parts or name in emphasis)
        return Frustration(score, signals, score >= self.threshold)

    # --- words -------------------------------------------------------------------------------
    def _tokens(self, text: str) -> List[str]:
        return [token.text for token in self._nlp.make_doc(fold(text))]

    def _pattern(self, entry: str) -> List[dict]:
        """`tüketici hakem*` -> [{"LOWER": "tuketici"}, {"LOWER": {"REGEX": "^hakem"}}]."""
        pattern = []
        for word in entry.split():
            stem = word.endswith("*")
            tokens = self._tokens(word.rstrip("*"))  # `where's` is two tokens, like in messages
            pattern += [{"LOWER": token} for token in tokens[:-1]]
            pattern.append({"LOWER": {"REGEX": "^" + re.escape(tokens[-1])}} if stem else {"LOWER": tokens[-1]})
        return pattern

    def _word_signals(self, doc: Doc) -> Set[str]:
        found = set()
        for match_id, start, end in self._matcher(doc):
            name = self._nlp.vocab.strings[match_id]
            if name not in found and not (name in NEGATABLE and self._negation.negated(doc[start:end])):
                found.add(name)
        return found

    # --- shouting ------------------------------------------------------------------------------
    def _emphasis_weights(self, text: str) -> Dict[str, float]:
        weights = {}
        if self._shouts(text):
            weights["capitals"] = float(self._emphasis["capitals"]["weight"])
        if any(self._exclamation(run) for run in _PUNCTUATION_RUN.findall(text)):
            weights["exclamations"] = float(self._emphasis["exclamations"]["weight"])
        return weights

    def _shouts(self, text: str) -> bool:
        """Mostly capitals over at least a few words: `ARTIK YETER HER SEFERİNDE` but not `400142 İADE`."""
        rule = self._emphasis["capitals"]
        words = _WORDS_FOR_CAPITALS.findall(text)
        if len(words) < rule["min_words"]:
            return False
        letters = "".join(words)
        return sum(ch.isupper() for ch in letters) / len(letters) >= rule["min_ratio"]

    @staticmethod
    def _exclamation(run: str) -> bool:
        """`!!`, `?!`, `!!!` and `???`, not a plain `??`."""
        return "!" in run or len(run) >= 3

    # --- the conversation ----------------------------------------------------------------------
    def _repeats(self, text: str, history: Sequence[str], has_words: bool) -> int:
        """How many earlier messages asked the same thing: near-duplicates, or the same order
        number again while sounding impatient or negative (`400142 nerede diyorum`)."""
        words = _stems(text)
        orders = set(ORDER_NO.findall(text))
        repeats = 0
        for earlier in history:
            if not earlier:  # a picture or an empty message in the stored history
                continue
            earlier_words = _stems(earlier)
            similar = len(words) >= 2 and len(earlier_words) >= 2 and _jaccard(words, earlier_words) >= \
                self._repetition["min_similarity"]
            same_order = has_words and bool(orders & set(ORDER_NO.findall(earlier)))
            repeats += similar or same_order
        return repeats


class _Negation:
    """`kızgın değilim`, `hiç kötü değil`, `not angry`: the word is there, the anger is not."""

    def __init__(self, config: dict):
        self.window = int(config["window"])
        self.after = [_cue(word) for word in _strings(config["after"], "negation.after")]
        self.before = [_cue(word) for word in _strings(config["before"], "negation.before")]
        self.breaks = frozenset(fold(word) for word in _strings(config["clause_breaks"], "negation.clause_breaks"))

    def negated(self, span: Span) -> bool:
        doc = span.doc
        for i in range(span.end, min(span.end + self.window, len(doc))):
            if self._ends_clause(doc[i]):
                break
            if _matches(doc[i].text, self.after):
                following = doc[i + 1].text if i + 1 < len(doc) else ""
                return following not in _QUESTION_PARTICLES
        for i in range(span.start - 1, max(span.start - self.window, 0) - 1, -1):
            if self._ends_clause(doc[i]):
                break
            if _matches(doc[i].text, self.before):
                return True
        return False

    def _ends_clause(self, token) -> bool:
        return token.is_punct or token.text in self.breaks


class _LongWait:
    """`3 haftadır`, `45 dakikadır`, `günlerdir`, `waiting for 2 weeks`: the longest wait decides."""

    def __init__(self, config: dict, vocab):
        self.weights = (float(config["weight"]), float(config["very_long_weight"]))
        self.many = int(config["many"])
        self.numbers = {fold(word): int(value) for word, value in
                        zip(_strings(config["numbers"], "long_wait.numbers"), config["numbers"].values())}
        self.units = config["units"]
        words = {language: {fold(word): unit for unit, spec in self.units.items()
                            for word in _strings(spec[language], f"long_wait.units.{unit}.{language}")}
                 for language in ("tr", "en")}
        self.unit_of = {**words["tr"], **words["en"]}  # folded unit word -> unit name
        tr_units = "|".join(words["tr"])
        en_units = list(words["en"])
        number = {"REGEX": r"^(\d+|" + "|".join(self.numbers) + ")$"}
        before = [fold(word) for word in _strings(config["english_before"], "long_wait.english_before")]
        waiting = [{"LOWER": {"IN": before}}, {"LOWER": "for", "OP": "?"}]
        self.matcher = Matcher(vocab)
        # Turkish "-dır" after a time unit means "for ... now": gündür, saattir, aydır, haftalardır.
        self.matcher.add("counted", [
            [{"LOWER": number}, {"LOWER": {"REGEX": rf"^({tr_units}){_TR_SINCE.pattern}"}}],
            waiting + [{"LOWER": number}, {"LOWER": {"IN": en_units}}],
        ])
        self.matcher.add("many", [
            [{"LOWER": {"REGEX": rf"^({tr_units})(lar|ler){_TR_SINCE.pattern}"}}],
            waiting + [{"LOWER": {"IN": [word for word in en_units if word.endswith("s")] + ["ages"]}}],
        ])

    def weight(self, doc: Doc) -> float:
        best = 0.0
        for match_id, start, end in self.matcher(doc):
            if doc.vocab.strings[match_id] == "many":
                count = self.many
            else:
                word = doc[end - 2].text
                count = int(word) if word.isdigit() else self.numbers[word]
            spec = self.units[self._unit(doc[end - 1].text)]
            if count >= spec["very_long"]:
                best = max(best, self.weights[1])
            elif count >= spec["long"]:
                best = max(best, self.weights[0])
        return best

    def _unit(self, word: str) -> str:
        """`weeks` -> week, `haftalardir` -> week, `ages` -> day."""
        return self.unit_of.get(word) or self.unit_of.get(re.sub(rf"(lar|ler)?{_TR_SINCE.pattern}", "", word), "day")


def _strings(values: Iterable, where: str = "") -> List[str]:
    """The lexicon's words; YAML turns a bare `no` or `on` into a boolean, which would silently never match."""
    values = list(values)
    for value in values:
        if not isinstance(value, str):
            raise ValueError(f"frustration lexicon, {where}: {value!r} is not a word; write it in quotes")
    return values


def _cue(word: str) -> Tuple[str, bool]:
    return fold(word.rstrip("*")), word.endswith("*")


def _matches(token: str, cues: Iterable[Tuple[str, bool]]) -> bool:
    return any(token.startswith(cue) if stem else token == cue for cue, stem in cues)


def _stems(text: str) -> Set[str]:
    """Words cut to five letters: enough to see `kargom nerede` and `kargo nerede` as the same."""
    return {word[:5] for word in fold_words(text).split()}


def _jaccard(a: Set[str], b: Set[str]) -> float:
    return len(a & b) / len(a | b)


def _rising(scores: Sequence[float]) -> bool:
    """The last two earlier scores went up, from something already noticeable."""
    return len(scores) >= 2 and scores[-1] > scores[-2] and scores[-1] >= 0.2
