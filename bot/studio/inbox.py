"""What shoppers could not get answered: the editors' inbox (docs/editor-studio.md, "The inbox").

Where the items (`kb_inbox`) come from
- **the assistant**: when the bridge stores what the assistant read of a shopper message and counts
  it as not understood (asked back, out of scope, unsure: `bot.desk.rasa_client.understood`), it
  writes an item with the intent, the confidence and the language (`record_missed`). Written then,
  not read from `messages` later, because only the turn knows the confidence. A shopper saying
  "you don't understand me" (`bot_misunderstood`) puts the message before it in instead: that is
  the one the assistant got wrong.
- **agents**: "the assistant should have known this" on a shopper message or a whole chat, with an
  optional suggested answer (`suggest`, the agent event `suggest_knowledge`).

Items are grouped when read, not when written: the same folded text (`group_key`: case, Turkish
letters, punctuation and numbers do not matter), the same words in another order, or a near
duplicate (character trigram Jaccard >= NEAR_DUPLICATE). A group is named by one of its items' id
(the smallest when listed); an action on a group acts on the open group that holds that item now.

Editors decide per group: add it as a question to a topic (a draft change, published as usual),
start a new topic from it (a pre-filled draft; the topic is created through the studio API, then
the group is marked), or dismiss it. Each item keeps who decided, when, and where it went; agents
see what became of their marks (`agent_suggestions`).
"""
from __future__ import annotations

import copy
import logging
import re
from collections import Counter
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import i18n, knowledge
from bot.desk.models import Conversation, DeskUser, Handoff, Message
from bot.desk.store import iso, utcnow
from bot.patterns import find_entities
from bot.studio.models import KbInboxItem, KbTopic
from bot.studio.repository import STUDIO_LANGUAGE, Conflict, Studio, StudioError, studio_text
from bot.text import fold_words

log = logging.getLogger(__name__)

STATUSES = ("new", "added", "new_topic", "dismissed")
KNOWLEDGE = ("added", "new_topic")  # what counts as "turned into knowledge" in the reports
SORTS = ("frequent", "recent")
MISUNDERSTOOD_INTENT = "bot_misunderstood"
# Not a question for the knowledge base: left out of a whole chat's text.
SMALL_TALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "request_human", "bot_challenge", "stop",
                        MISUNDERSTOOD_INTENT})
NEAR_DUPLICATE = 0.6
MAX_ITEMS = 5000  # grouped per status, newest first: enough for a store of this size
MAX_ANSWER_CHARS = 2000
MAX_QUESTION_CHARS = 300
MAX_CHAT_TEXT = 1000
MAX_DRAFT_QUESTIONS = 100
TRANSCRIPT_AROUND = 8  # messages shown before and after the one in the inbox
SUGGESTED_TOPICS = 3
MIN_ASSISTANT_SCORE = 0.05
# Words that say nothing about a topic (folded); shorter words are ignored anyway.
STOPWORDS = frozenset("""
acaba ama ben beni bana bir biz bize bu bunu da de daha diye gibi icin ile ise kadar mi mu misiniz musunuz
miyim muyum nasil ne neden nedir nerede neler niye ve veya var yok siz size sizin zaman
the and you your are can does did for from have how what when where which with will would could
""".split())


class InboxError(StudioError):
    """A refused inbox step: `code` for the agents' acks, `message` in plain Turkish."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message, status)
        self.code = code


# --- grouping ----------------------------------------------------------------------------------

def group_key(text: str) -> str:
    """Messages that differ only in case, Turkish letters, punctuation or numbers share a key
    (the reports' `not_understood_key`)."""
    return re.sub(r"\d+", "#", fold_words(text or "")).strip()[:255]


def trigrams(key: str) -> Set[str]:
    padded = f" {key} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)} if key else set()


def jaccard(a: Set[str], b: Set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def similar(a: str, b: str, threshold: float = NEAR_DUPLICATE) -> bool:
    """One question? The same key, the same words in another order, or a near duplicate."""
    if a == b:
        return True
    if not a or not b:
        return False
    return sorted(a.split()) == sorted(b.split()) or jaccard(trigrams(a), trigrams(b)) >= threshold


def cluster_keys(keys: Iterable[str], threshold: float = NEAR_DUPLICATE) -> Dict[str, str]:
    """Each distinct key -> its group's first key (alphabetically): similar keys join, and
    through them their own similar keys (single linkage)."""
    distinct = sorted(set(keys))
    parent = {key: key for key in distinct}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def join(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    same_words: Dict[Tuple[str, ...], str] = {}
    for key in distinct:
        join(same_words.setdefault(tuple(sorted(key.split())), key), key)
    grams = {key: trigrams(key) for key in distinct}
    by_size = sorted(distinct, key=lambda key: len(grams[key]))
    for i, a in enumerate(by_size):
        for b in by_size[i + 1:]:
            # Jaccard >= t needs the smaller set to be at least t times the larger: stop there.
            if len(grams[a]) < threshold * len(grams[b]):
                break
            if root(a) != root(b) and jaccard(grams[a], grams[b]) >= threshold:
                join(a, b)
    return {key: root(key) for key in distinct}


def group_items(items: Sequence[KbInboxItem], threshold: float = NEAR_DUPLICATE) -> List[List[KbInboxItem]]:
    """The items in groups, each group newest first."""
    roots = cluster_keys((item.group_key for item in items), threshold)
    groups: Dict[str, List[KbInboxItem]] = {}
    for item in items:
        groups.setdefault(roots[item.group_key], []).append(item)
    return [sorted(members, key=lambda item: item.id, reverse=True) for members in groups.values()]


def order_groups(views: List[Dict[str, Any]], sort: str = "frequent") -> List[Dict[str, Any]]:
    """Most frequent first (newest among equals), or newest first (most frequent among equals)."""
    if sort == "recent":
        return sorted(views, key=lambda g: (g["last_at"] or "", g["count"], g["id"]), reverse=True)
    return sorted(views, key=lambda g: (g["count"], g["last_at"] or "", g["id"]), reverse=True)


# --- views -------------------------------------------------------------------------------------

def group_view(items: Sequence[KbInboxItem], names: Mapping[int, str]) -> Dict[str, Any]:
    """A group for the editor: what shoppers wrote, how often, where, and what agents suggested."""
    newest_first = sorted(items, key=lambda item: item.id, reverse=True)
    counts = Counter(item.text for item in newest_first)
    order = {text: position for position, text in enumerate(dict.fromkeys(item.text for item in newest_first))}
    text = min(counts, key=lambda t: (-counts[t], order[t]))  # the most frequent, the newest among equals
    languages = Counter(item.language or "tr" for item in newest_first)
    read = [item for item in newest_first if item.source == "assistant"]
    confidences = [item.confidence for item in read if item.confidence is not None]
    resolved = next((item for item in newest_first if item.status != "new"), None)
    return {
        "id": min(item.id for item in newest_first),
        "text": text,
        "key": newest_first[0].group_key,
        "count": len(newest_first),
        "shopper_messages": len(read),
        "agent_marks": len(newest_first) - len(read),
        "conversations": len({item.conversation_id for item in newest_first if item.conversation_id}),
        "language": languages.most_common(1)[0][0],
        "languages": dict(languages),
        "intents": [{"intent": intent, "count": count}
                    for intent, count in Counter(item.intent for item in read if item.intent).most_common()],
        "confidence": round(min(confidences), 3) if confidences else None,
        "first_at": iso(min(item.created_at for item in newest_first)),
        "last_at": iso(max(item.created_at for item in newest_first)),
        "examples": list(order)[:5],
        "marks": [{"item": item.id, "agent": names.get(item.agent_id), "suggested_answer": item.suggested_answer,
                   "conversation_id": item.conversation_id, "message_id": item.message_id, "at": iso(item.created_at)}
                  for item in newest_first if item.source == "agent"],
        "status": newest_first[0].status,
        "topic": resolved.topic if resolved else None,
        "resolved_by": resolved.resolved_by if resolved else None,
        "resolved_at": iso(resolved.resolved_at) if resolved else None,
        "items": [item.id for item in newest_first],
    }


def item_view(item: KbInboxItem, names: Mapping[int, str]) -> Dict[str, Any]:
    return {"id": item.id, "source": item.source, "text": item.text, "conversation_id": item.conversation_id,
            "message_id": item.message_id, "intent": item.intent,
            "confidence": round(item.confidence, 3) if item.confidence is not None else None,
            "language": item.language, "agent": names.get(item.agent_id) if item.agent_id else None,
            "suggested_answer": item.suggested_answer, "status": item.status, "topic": item.topic,
            "resolved_by": item.resolved_by, "resolved_at": iso(item.resolved_at), "created_at": iso(item.created_at)}


def outcome_text(status: str, topic_title: Optional[str], by: Optional[str]) -> str:
    """What became of an agent's mark, in the console's words."""
    who = f" ({by})" if by else ""
    if status == "added":
        return studio_text("inbox.outcome_added", topic=topic_title, who=who)
    if status == "new_topic":
        return studio_text("inbox.outcome_new_topic", topic=topic_title, who=who)
    if status == "dismissed":
        return studio_text("inbox.outcome_dismissed", who=who)
    return studio_text("inbox.outcome_waiting")


# --- topic suggestions -------------------------------------------------------------------------

def _stems(text: str) -> Set[str]:
    """Crude Turkish-friendly stems: the first five letters of each meaningful folded word
    (`kargom`, `kargonun` and `kargo` meet at `kargo`)."""
    return {word[:5] for word in fold_words(text).split()
            if len(word) >= 3 and not word.isdigit() and word not in STOPWORDS}


def topics_by_words(text: str, topics: Mapping[str, Mapping[str, Any]], limit: int = SUGGESTED_TOPICS) -> List[Tuple[str, float]]:
    """Topics ranked by the share of the text's stems found in their title and questions."""
    stems = _stems(text)
    if not stems:
        return []
    scored = []
    for name, content in topics.items():
        lines = [*(content.get("title") or {}).values()]
        for questions in (content.get("questions") or {}).values():
            lines += list(questions or [])
        topic_stems = set().union(*(_stems(line) for line in lines if isinstance(line, str))) if lines else set()
        score = len(stems & topic_stems) / len(stems)
        if score > 0:
            scored.append((name, round(score, 3)))
    return sorted(scored, key=lambda pair: (-pair[1], pair[0]))[:limit]


def topics_from_parse(parse: Optional[Mapping[str, Any]], known: Iterable[str],
                      limit: int = SUGGESTED_TOPICS) -> List[Tuple[str, float]]:
    """The live model's FAQ topic ranking (`response_selector.faq.ranking` of /model/parse)."""
    ranking = (((parse or {}).get("response_selector") or {}).get("faq") or {}).get("ranking") or []
    known = set(known)
    ranked: List[Tuple[str, float]] = []
    for entry in ranking:
        if not isinstance(entry, dict):
            continue
        key = str(entry.get("intent_response_key") or "")
        name = key.split("/", 1)[1] if "/" in key else None
        confidence = float(entry.get("confidence") or 0.0)
        if name in known and confidence >= MIN_ASSISTANT_SCORE and name not in dict(ranked):
            ranked.append((name, round(confidence, 3)))
    return ranked[:limit]


def suggested_topics(text: str, topics: Mapping[str, Mapping[str, Any]], parse: Optional[Mapping[str, Any]] = None,
                     limit: int = SUGGESTED_TOPICS) -> List[Dict[str, Any]]:
    """The likeliest topics for a group: the live model's ranking, filled up by word overlap
    (all of it by word overlap when the model could not be asked)."""
    chosen = [(name, score, "assistant") for name, score in topics_from_parse(parse, topics, limit)]
    for name, score in topics_by_words(text, topics, limit):
        if len(chosen) < limit and name not in {c[0] for c in chosen}:
            chosen.append((name, score, "words"))
    return [{"name": name, "title": (topics[name].get("title") or {}), "score": score, "source": source}
            for name, score, source in chosen]


# --- questions and drafts ----------------------------------------------------------------------

def check_question(text: Any) -> str:
    """A shopper's words as a topic question, or a clear reason why they cannot be one as they are."""
    if not isinstance(text, str) or not text.strip():
        raise StudioError(studio_text("question.empty"))
    text = " ".join(text.replace("\x00", "").split())
    if len(text) > MAX_QUESTION_CHARS:
        raise StudioError(studio_text("question.too_long", limit=MAX_QUESTION_CHARS))
    if knowledge.MARKUP_IN_QUESTION.search(text):
        raise StudioError(studio_text("question.markup", text=text))
    if find_entities(text):
        raise StudioError(studio_text("question.entities", text=text))
    return text


def usable_question(text: str) -> bool:
    try:
        check_question(text)
        return True
    except StudioError:
        return False


def topic_name_for(text: str, taken: Iterable[str]) -> str:
    """A free topic name from the first words (`hediye_paketi_yapiyor`)."""
    words = [re.sub(r"[^a-z0-9]", "", word) for word in fold_words(text).split()]
    words = [word for word in words if word and word not in STOPWORDS][:3] or ["yeni", "konu"]
    base = "_".join(words)[:40].strip("_")
    if not re.match(r"[a-z]", base):
        base = f"konu_{base}"[:40]
    taken = set(taken)
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name


def new_topic_draft(items: Sequence[KbInboxItem], view: Mapping[str, Any], taken: Iterable[str]) -> Dict[str, Any]:
    """A topic document pre-filled from a group: its texts as questions (those usable as such),
    the title from its commonest text, the answer an agent suggested (if any)."""
    questions: Dict[str, List[str]] = {language: [] for language in knowledge.LANGUAGES}
    seen: Set[str] = set()
    for text in [view["text"], *[item.text for item in items]]:
        language = next((i.language for i in items if i.text == text and i.language in questions), view["language"])
        if language not in questions:
            language = "tr"
        cleaned = " ".join(text.split())
        if len(seen) < MAX_DRAFT_QUESTIONS and fold_words(cleaned) not in seen and usable_question(cleaned):
            seen.add(fold_words(cleaned))
            questions[language].append(cleaned)
    language = view["language"] if view["language"] in questions else "tr"
    answer = next((item.suggested_answer for item in items if item.suggested_answer), "") or ""
    title = " ".join(view["text"].split())[:80]
    return {"name": topic_name_for(view["text"], taken),
            "content": {"title": {lang: (title[:1].upper() + title[1:] if lang == language else "") for lang in questions},
                        "questions": questions,
                        "answer": {lang: (answer if lang == language else "") for lang in questions}}}


# --- the inbox ---------------------------------------------------------------------------------

def reading_confidence(nlu: Mapping[str, Any]) -> Optional[float]:
    """How sure the assistant was: the lower of the intent's and (for FAQ) the topic's confidence."""
    values = [float(nlu[key]) for key in ("confidence", "topic_confidence") if isinstance(nlu.get(key), (int, float))]
    return min(values) if values else None


def record_missed(sessions: Callable[[], Session], message: Message, nlu: Mapping[str, Any],
                  language: Optional[str]) -> Optional[int]:
    """An item for a shopper message the assistant did not understand (`nlu`: what it read, see
    bot/channels.py); called by the bridge on the turn. Never fails the turn: a database error is
    logged and the item is skipped."""
    intent, confidence = nlu.get("intent"), reading_confidence(nlu)
    try:
        with sessions() as s:
            target = message
            if intent == MISUNDERSTOOD_INTENT:
                target = s.execute(select(Message).where(
                    Message.conversation_id == message.conversation_id, Message.sender == "shopper",
                    Message.id < message.id, Message.understood.is_not(None)).order_by(Message.id.desc()).limit(1)).scalar()
                if target is None:
                    return None
                intent, confidence = target.intent, None
            key = group_key(target.text)
            if not key or s.execute(select(KbInboxItem.id).where(KbInboxItem.source == "assistant",
                                                                 KbInboxItem.message_id == target.id)).first():
                return None
            item = KbInboxItem(source="assistant", text=target.text, group_key=key, language=language,
                               conversation_id=target.conversation_id, message_id=target.id, intent=intent,
                               confidence=confidence, status="new", created_at=utcnow())
            s.add(item)
            s.commit()
            return item.id
    except SQLAlchemyError:
        log.exception("could not put message %s into the editors' inbox", getattr(message, "id", None))
        return None


class Inbox:
    def __init__(self, sessions: Callable[[], Session], studio: Optional[Studio] = None):
        self.sessions = sessions
        self.studio = studio

    # --- agents ------------------------------------------------------------------------------
    def suggest(self, agent_id: int, role: str, conversation_id: Any, message_id: Any = None,
                suggested_answer: Any = None) -> Dict[str, Any]:
        """An agent's "the assistant should have known this" on a shopper message or (without
        `message_id`) the whole chat. Marking the same thing again updates the suggested answer."""
        if message_id is not None and (not isinstance(message_id, int) or isinstance(message_id, bool)
                                       or not 0 < message_id < 2 ** 63):
            raise InboxError("invalid", studio_text("inbox.bad_message_id"))
        if suggested_answer is not None and not isinstance(suggested_answer, str):
            raise InboxError("invalid", studio_text("inbox.answer_not_text"))
        answer = (suggested_answer or "").encode("utf-8", "replace").decode("utf-8").replace("\x00", "").strip() or None
        if answer and len(answer) > MAX_ANSWER_CHARS:
            raise InboxError("too_long", studio_text("inbox.answer_too_long", limit=MAX_ANSWER_CHARS))
        with self.sessions() as s:
            conversation = s.get(Conversation, conversation_id) if isinstance(conversation_id, str) else None
            if conversation is None:
                raise InboxError("unknown_conversation", i18n.say("bridge:error.unknown_conversation", STUDIO_LANGUAGE))
            if not self._may_mark(s, conversation, agent_id, role):
                raise InboxError("not_yours", studio_text("inbox.not_yours"))
            if message_id is not None:
                message = s.get(Message, message_id)
                if message is None or message.conversation_id != conversation.id or message.sender != "shopper":
                    raise InboxError("invalid", studio_text("inbox.not_shopper_message"))
                text = message.text
            else:
                text = self._chat_text(s, conversation)
                if not text:
                    raise InboxError("invalid", studio_text("inbox.no_shopper_message"))
            existing = s.execute(select(KbInboxItem).where(
                KbInboxItem.source == "agent", KbInboxItem.agent_id == agent_id,
                KbInboxItem.conversation_id == conversation.id, KbInboxItem.status == "new",
                KbInboxItem.message_id.is_(None) if message_id is None else KbInboxItem.message_id == message_id,
            ).limit(1)).scalar()
            if existing is not None:
                existing.suggested_answer = answer or existing.suggested_answer
                item = existing
            else:
                item = KbInboxItem(source="agent", text=text, group_key=group_key(text), language=conversation.language,
                                   conversation_id=conversation.id, message_id=message_id, agent_id=agent_id,
                                   suggested_answer=answer, status="new", created_at=utcnow())
                s.add(item)
            s.commit()
            return {**self._suggestion_view(s, item), "updated": existing is not None}

    @staticmethod
    def _may_mark(s: Session, conversation: Conversation, agent_id: int, role: str) -> bool:
        """The agent has the chat, had it, may preview it in the queue, or is an admin."""
        if role == "admin" or conversation.agent_id == agent_id or conversation.state == "queued":
            return True
        return s.execute(select(Handoff.id).where(Handoff.conversation_id == conversation.id,
                                                  Handoff.agent_id == agent_id).limit(1)).first() is not None

    @staticmethod
    def _chat_text(s: Session, conversation: Conversation) -> str:
        """A whole chat in a line, from the shopper's messages of the current visit: those the
        assistant did not understand, else what they asked it (no greetings, no "a person
        please"), else all; the last five."""
        query = select(Message).where(Message.conversation_id == conversation.id, Message.sender == "shopper")
        if conversation.contact_id:
            query = query.where(Message.contact_id == conversation.contact_id)
        messages = list(s.execute(query.order_by(Message.id)).scalars())
        read = [m for m in messages if m.understood is not None]
        chosen = ([m for m in read if m.understood is False] or [m for m in read if m.intent not in SMALL_TALK]
                  or read or messages)
        return " · ".join(m.text.strip() for m in chosen[-5:] if m.text.strip())[:MAX_CHAT_TEXT]

    def agent_suggestions(self, agent_id: int, limit: int = 50) -> List[Dict[str, Any]]:
        """The agent's marks, newest first, with what became of them."""
        with self.sessions() as s:
            items = s.execute(select(KbInboxItem).where(KbInboxItem.source == "agent", KbInboxItem.agent_id == agent_id)
                              .order_by(KbInboxItem.id.desc()).limit(limit)).scalars().all()
            titles = self._titles(s, {item.topic for item in items if item.topic})
            return [self._suggestion_view(s, item, titles) for item in items]

    def _suggestion_view(self, s: Session, item: KbInboxItem, titles: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        if titles is None:
            titles = self._titles(s, {item.topic} if item.topic else set())
        title = titles.get(item.topic, item.topic) if item.topic else None
        return {"id": item.id, "conversation_id": item.conversation_id, "message_id": item.message_id, "text": item.text,
                "suggested_answer": item.suggested_answer, "status": item.status, "topic": item.topic,
                "topic_title": title, "outcome": outcome_text(item.status, title, item.resolved_by),
                "resolved_by": item.resolved_by, "resolved_at": iso(item.resolved_at), "created_at": iso(item.created_at)}

    @staticmethod
    def _titles(s: Session, names: Set[str]) -> Dict[str, str]:
        if not names:
            return {}
        rows = s.execute(select(KbTopic.name, KbTopic.content).where(KbTopic.name.in_(names))).all()
        return {name: ((content or {}).get("title") or {}).get("tr") or name for name, content in rows}

    # --- editors: reading --------------------------------------------------------------------
    def counts(self) -> Dict[str, int]:
        with self.sessions() as s:
            rows = dict(s.execute(select(KbInboxItem.status, func.count(KbInboxItem.id)).group_by(KbInboxItem.status)).all())
        return {status: rows.get(status, 0) for status in STATUSES}

    def groups(self, status: str = "new", query: str = "", sort: str = "frequent", limit: int = 100) -> Dict[str, Any]:
        if status not in STATUSES:
            raise StudioError(studio_text("inbox.bad_status"))
        if sort not in SORTS:
            raise StudioError(studio_text("inbox.bad_order"))
        needle = fold_words(query) if query else ""
        with self.sessions() as s:
            items = self._items(s, status)
            names = self._names(s)
            views = [group_view(members, names) for members in group_items(items)]
        if needle:
            views = [view for view in views if any(needle in fold_words(text) for text in view["examples"])
                     or needle in view["key"]]
        ordered = order_groups(views, sort)
        return {"groups": ordered[:limit], "total": len(ordered), "counts": self.counts()}

    def group(self, group_id: int) -> Dict[str, Any]:
        with self.sessions() as s:
            members = self._group_of(s, group_id)
            names = self._names(s)
            return {**group_view(members, names), "entries": [item_view(item, names) for item in members]}

    def transcript(self, group_id: int, item_id: Optional[int] = None) -> Dict[str, Any]:
        """The conversation of one of the group's items (the newest by default) around its message."""
        with self.sessions() as s:
            members = self._group_of(s, group_id)
            chosen = next((item for item in members if item.id == item_id), None) if item_id is not None else \
                next((item for item in members if item.conversation_id), None)
            if chosen is None or not chosen.conversation_id:
                raise StudioError(studio_text("inbox.no_such_message"), 404)
            base = select(Message).where(Message.conversation_id == chosen.conversation_id, Message.sender != "note")
            # The message and the ones before it (newest first), then the ones after; one more
            # than shown on each side tells whether there is more.
            if chosen.message_id is not None:
                upto, before_count = base.where(Message.id <= chosen.message_id), TRANSCRIPT_AROUND + 1
                after = list(s.execute(base.where(Message.id > chosen.message_id).order_by(Message.id)
                                       .limit(TRANSCRIPT_AROUND + 1)).scalars())
            else:  # a whole chat: its end
                upto, before_count, after = base, 2 * TRANSCRIPT_AROUND + 1, []
            before = list(s.execute(upto.order_by(Message.id.desc()).limit(before_count + 1)).scalars())
            earlier, later = len(before) > before_count, len(after) > TRANSCRIPT_AROUND
            shown = list(reversed(before[:before_count])) + after[:TRANSCRIPT_AROUND]
            names = self._names(s)
            conversation = s.get(Conversation, chosen.conversation_id)
            return {
                "group": group_id, "item": chosen.id, "conversation_id": chosen.conversation_id,
                "language": conversation.language if conversation else chosen.language,
                "earlier": earlier, "later": later,
                "messages": [{"id": m.id, "sender": m.sender, "text": m.text, "time": iso(m.created_at),
                              "agent_name": names.get(m.agent_id) if m.agent_id else None,
                              "intent": m.intent, "understood": m.understood,
                              "marked": m.id == chosen.message_id} for m in shown],
            }

    def active_topics(self) -> Dict[str, Dict[str, Any]]:
        with self.sessions() as s:
            return {row.name: row.content for row in s.execute(select(KbTopic).where(KbTopic.retired.is_(False))).scalars()}

    def draft(self, group_id: int) -> Dict[str, Any]:
        with self.sessions() as s:
            members = self._group_of(s, group_id)
            view = group_view(members, self._names(s))
            taken = s.execute(select(KbTopic.name)).scalars().all()
            return {"group": view["id"], "draft": new_topic_draft(members, view, taken)}

    # --- editors: deciding -------------------------------------------------------------------
    def add_to_topic(self, group_id: int, topic: Any, by: str, text: Any = None, language: Any = None,
                     item_ids: Any = None) -> Dict[str, Any]:
        """The group's text (or the editor's wording of it) becomes a question of `topic`'s draft."""
        if self.studio is None:
            raise RuntimeError("the inbox needs the studio to change topics")
        if not isinstance(topic, str) or not topic:
            raise StudioError(studio_text("inbox.pick_topic"))
        with self.sessions() as s:
            members = self._open_members(s, group_id, item_ids)
            view = group_view(members, {})
        question = check_question(view["text"] if text is None else text)
        language = language if language is not None else view["language"]
        if language not in knowledge.LANGUAGES:
            raise StudioError(studio_text("inbox.bad_language"))
        saved, added = self._add_question(topic, language, question, by)
        # Someone deciding the same group meanwhile does not undo the question: no error then.
        group = self._resolve(members, "added", topic, by, must_change=False)
        return {"group": group, "topic": saved, "added": added, "question": question, "language": language}

    def _add_question(self, name: str, language: str, question: str, by: str) -> Tuple[Dict[str, Any], bool]:
        """Saves the topic with one more question. Adding a line commutes with any other edit, so
        a conflict is retried once on the fresh revision."""
        key = fold_words(question)
        for attempt in (1, 2):
            topic = self.studio.topic(name)
            if topic["retired"]:
                raise StudioError(studio_text("inbox.topic_retired", name=name))
            if key in {fold_words(q) for q in topic["content"]["questions"].get(language, [])}:
                return topic, False
            other = self._topic_with_question(key, name)
            if other:
                raise StudioError(studio_text("inbox.duplicate_question", topic=other))
            content = copy.deepcopy(topic["content"])
            content["questions"].setdefault(language, []).append(question)
            try:
                return self.studio.save_topic(name, content, topic["revision"], by), True
            except Conflict:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _topic_with_question(self, key: str, besides: str) -> Optional[str]:
        for name, content in self.active_topics().items():
            if name != besides and any(fold_words(q) == key for questions in (content.get("questions") or {}).values()
                                       for q in questions or []):
                return name
        return None

    def mark_new_topic(self, group_id: int, topic: Any, by: str, item_ids: Any = None) -> Dict[str, Any]:
        """After the editor created the topic from the draft: the group went there."""
        with self.sessions() as s:
            if not isinstance(topic, str) or s.get(KbTopic, topic) is None:
                raise StudioError(studio_text("inbox.no_topic"), 404)
            members = self._open_members(s, group_id, item_ids)
        return {"group": self._resolve(members, "new_topic", topic, by)}

    def dismiss(self, group_id: int, by: str, item_ids: Any = None) -> Dict[str, Any]:
        with self.sessions() as s:
            members = self._open_members(s, group_id, item_ids)
        return {"group": self._resolve(members, "dismissed", None, by)}

    def reopen(self, group_id: int, by: str) -> Dict[str, Any]:
        """A dismissed group back in the inbox (added ones stay: their topics changed)."""
        with self.sessions() as s:
            members = self._group_of(s, group_id)
            if members[0].status != "dismissed":
                raise StudioError(studio_text("inbox.not_dismissed"), 409)
        return {"group": self._resolve(members, "new", None, None, from_status="dismissed")}

    def _resolve(self, members: Sequence[KbInboxItem], status: str, topic: Optional[str], by: Optional[str],
                 from_status: str = "new", must_change: bool = True) -> Dict[str, Any]:
        ids = [item.id for item in members]
        now = utcnow() if by else None
        with self.sessions() as s:
            changed = s.execute(update(KbInboxItem).where(KbInboxItem.id.in_(ids), KbInboxItem.status == from_status)
                                .values(status=status, topic=topic, resolved_by=by, resolved_at=now)).rowcount
            s.commit()
            if not changed and must_change:
                raise StudioError(studio_text("inbox.decided_meanwhile"), 409)
            items = s.execute(select(KbInboxItem).where(KbInboxItem.id.in_(ids))).scalars().all()
            return group_view(items, self._names(s))

    # --- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _items(s: Session, status: str) -> List[KbInboxItem]:
        return list(s.execute(select(KbInboxItem).where(KbInboxItem.status == status)
                              .order_by(KbInboxItem.id.desc()).limit(MAX_ITEMS)).scalars())

    def _group_of(self, s: Session, item_id: Any) -> List[KbInboxItem]:
        """The group (of the item's status) that holds the item now."""
        item = s.get(KbInboxItem, item_id) if isinstance(item_id, int) and not isinstance(item_id, bool) else None
        if item is None:
            raise StudioError(studio_text("inbox.no_group"), 404)
        items = self._items(s, item.status)
        if all(other.id != item.id for other in items):
            items.append(item)
        return next(members for members in group_items(items) if any(other.id == item.id for other in members))

    def _open_members(self, s: Session, group_id: int, item_ids: Any) -> List[KbInboxItem]:
        """The open group's items, or those of them the editor chose."""
        members = self._group_of(s, group_id)
        if members[0].status != "new":
            raise StudioError(studio_text("inbox.already_decided"), 409)
        if item_ids is None:
            return members
        if not isinstance(item_ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in item_ids):
            raise StudioError(studio_text("inbox.items_not_list"))
        chosen = [item for item in members if item.id in set(item_ids)]
        if not chosen:
            raise StudioError(studio_text("inbox.items_not_in_group"), 409)
        return chosen

    @staticmethod
    def _names(s: Session) -> Dict[int, str]:
        return dict(s.execute(select(DeskUser.id, DeskUser.display_name)).all())
