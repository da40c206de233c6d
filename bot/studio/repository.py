"""The knowledge base in the database: drafts with optimistic locking, history, published versions.

Every write is one transaction. A save names the revision it edited; if someone saved in between,
nothing is overwritten and the caller gets both versions (`Conflict`). Drafts are checked with
the same rules and messages as `kb-check` (bot/knowledge.py) on every save; an invalid draft is
kept, with its problems, and blocks publishing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import yaml
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import i18n, knowledge
from bot.desk.store import iso, utcnow
from bot.studio.models import KbChange, KbDocument, KbJob, KbTopic, KbVersion
from bot.studio.diff import document_diff
from bot.text import fold

TOPIC_FIELDS = ("title", "questions", "answer")
DESK_DOCUMENT = "desk"
# Far beyond any real topic; a request over these is refused outright and stores nothing.
MAX_QUESTIONS_PER_LANGUAGE = 400
MAX_TEXT_CHARS = 2000
MAX_TOPIC_NAME_CHARS = 64


# The studio speaks Turkish to editors; its words are in locale/*/LC_MESSAGES/studio.po (English too).
STUDIO_LANGUAGE = "tr"


def studio_text(key: str, /, **params: Any) -> str:
    """A text of the studio's catalogue domain, in the studio's language."""
    return i18n.say(f"studio:{key}", STUDIO_LANGUAGE, **params)


class StudioError(Exception):
    """Bad input or a forbidden step, in plain Turkish for the editor (words from `studio_text`)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Conflict(Exception):
    """Someone saved the same thing since the editor opened it."""

    yours: Any
    theirs: Any
    revision: int
    by: Optional[str]
    at: Optional[datetime]


def clean_content(raw: Any) -> Dict[str, Any]:
    """The shape of a topic document, with text normalised (NUL and broken UTF-8 removed).
    Refuses what cannot be a topic at all; everything else is stored and checked by the rules."""
    if not isinstance(raw, dict):
        raise StudioError(studio_text("topic.invalid_content"))
    cleaned: Dict[str, Any] = {}
    for field in TOPIC_FIELDS:
        value = raw.get(field) or {}
        if not isinstance(value, dict):
            raise StudioError(studio_text("topic.invalid_field", field=field))
        cleaned[field] = {}
        for language in knowledge.LANGUAGES:
            item = value.get(language, [] if field == "questions" else "")
            if field == "questions":
                if not isinstance(item, list) or not all(isinstance(q, str) for q in item):
                    raise StudioError(studio_text("topic.questions_not_list"))
                if len(item) > MAX_QUESTIONS_PER_LANGUAGE:
                    raise StudioError(studio_text("topic.too_many_questions", limit=MAX_QUESTIONS_PER_LANGUAGE,
                                                  count=len(item)))
                cleaned[field][language] = [_text(q) for q in item]
            else:
                if not isinstance(item, str):
                    raise StudioError(studio_text("topic.field_not_text", field=field))
                cleaned[field][language] = _text(item)
    return cleaned


def _text(value: str) -> str:
    if len(value) > MAX_TEXT_CHARS:
        raise StudioError(studio_text("topic.text_too_long", limit=MAX_TEXT_CHARS, length=len(value)))
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "").strip()


def check_topic_name(name: Any) -> str:
    if not isinstance(name, str) or not knowledge.TOPIC_NAME.match(name) or len(name) > MAX_TOPIC_NAME_CHARS:
        raise StudioError(studio_text("topic.bad_name", limit=MAX_TOPIC_NAME_CHARS))
    return name


class Studio:
    def __init__(self, sessions: Callable[[], Session], faq_dir: Path):
        self.sessions = sessions
        self.faq_dir = faq_dir

    # --- seeding ---------------------------------------------------------------------------
    def seed_if_empty(self, desk_config: Path, model: Optional[str] = None) -> bool:
        """First start: the repository's files become the drafts and the first live version."""
        with self.sessions() as s:
            if s.execute(select(KbVersion.id).limit(1)).first() is not None:
                return False
            kb = knowledge.load(self.faq_dir)
            if kb.problems:
                raise StudioError("data/faq/ has problems; fix them with `python -m bot kb-check`:\n"
                                  + "\n".join(map(str, kb.problems)))
            now = utcnow()
            content = {t.name: knowledge.topic_document(t) for t in kb.topics}
            for name, document in content.items():
                s.add(KbTopic(name=name, content=document, revision=1, retired=False, problems=[], updated_by="data/faq",
                              updated_at=now))
                s.add(KbChange(subject=name, action="seed", revision=1, after=document, by="data/faq", at=now))
            desk = yaml.safe_load(desk_config.read_text(encoding="utf-8")) or {}
            s.add(KbDocument(name=DESK_DOCUMENT, content={"responses": desk.get("responses", []), "tags": desk.get("tags", [])},
                             revision=1, updated_by="data/desk.yml", updated_at=now))
            s.add(KbVersion(kind="seed", status="live", content=content, model=model, created_by="data/faq",
                            created_at=now, published_at=now, note="data/faq/"))
            try:
                s.commit()
            except IntegrityError:  # another bridge starting at the same moment seeded it first
                s.rollback()
                return False
            return True

    # --- reading ---------------------------------------------------------------------------
    def live_version(self, s: Optional[Session] = None) -> Optional[KbVersion]:
        if s is None:
            with self.sessions() as own:
                return self.live_version(own)
        return s.execute(select(KbVersion).where(KbVersion.status == "live").order_by(KbVersion.id.desc())).scalars().first()

    def topics(self, query: str = "") -> List[Dict[str, Any]]:
        needle = fold(query.strip()) if query else ""
        with self.sessions() as s:
            live = self.live_version(s)
            live_content = live.content if live else {}
            rows = s.execute(select(KbTopic).order_by(KbTopic.name)).scalars().all()
            return [self._summary(row, live_content) for row in rows if not needle or needle in _searchable(row)]

    @staticmethod
    def _summary(row: KbTopic, live_content: Dict[str, Any]) -> Dict[str, Any]:
        return {"name": row.name, "title": row.content.get("title", {}), "retired": row.retired, "revision": row.revision,
                "valid": not row.problems, "problems": len(row.problems or []),
                "changed": _changed(row, live_content), "updated_by": row.updated_by, "updated_at": iso(row.updated_at)}

    def topic(self, name: str) -> Dict[str, Any]:
        with self.sessions() as s:
            row = s.get(KbTopic, name)
            if row is None:
                raise StudioError(studio_text("topic.not_found"), 404)
            live = self.live_version(s)
            return self._full(row, (live.content if live else {}).get(name))

    @staticmethod
    def _full(row: KbTopic, live: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        return {"name": row.name, "content": row.content, "revision": row.revision, "retired": row.retired,
                "problems": list(row.problems or []), "live": live, "updated_by": row.updated_by,
                "updated_at": iso(row.updated_at)}

    def drafts(self, s: Session) -> Dict[str, Dict[str, Any]]:
        """The content a publish would make live: every topic that is not retired."""
        rows = s.execute(select(KbTopic).where(KbTopic.retired.is_(False))).scalars().all()
        return {row.name: row.content for row in rows}

    # --- writing topics --------------------------------------------------------------------
    def create_topic(self, name: Any, content: Any, by: str) -> Dict[str, Any]:
        name = check_topic_name(name)
        content = clean_content(content)
        with self.sessions() as s:
            if s.get(KbTopic, name) is not None:
                raise StudioError(studio_text("topic.exists", name=name))
            row = KbTopic(name=name, content=content, revision=1, retired=False, problems=[], updated_by=by, updated_at=utcnow())
            s.add(row)
            s.add(KbChange(subject=name, action="create", revision=1, after=content, by=by, at=row.updated_at))
            s.flush()
            self._recheck(s)
            s.commit()
            return self._full(row, None)

    def save_topic(self, name: str, content: Any, revision: Any, by: str) -> Dict[str, Any]:
        content = clean_content(content)
        return self._change(name, revision, by, "edit", lambda row: setattr(row, "content", content), content)

    def retire_topic(self, name: str, revision: Any, by: str) -> Dict[str, Any]:
        if name in knowledge.REQUIRED_TOPICS:
            raise StudioError(studio_text("topic.required", name=name))
        return self._change(name, revision, by, "retire", lambda row: setattr(row, "retired", True), None)

    def restore_topic(self, name: str, revision: Any, by: str) -> Dict[str, Any]:
        return self._change(name, revision, by, "restore", lambda row: setattr(row, "retired", False), None)

    def _change(self, name: str, revision: Any, by: str, action: str, apply: Callable[[KbTopic], None],
                yours: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        if not isinstance(revision, int) or isinstance(revision, bool):
            raise StudioError(studio_text("revision_missing"))
        with self.sessions() as s:
            row = s.get(KbTopic, name)
            if row is None:
                raise StudioError(studio_text("topic.not_found"), 404)
            before = {"content": row.content, "retired": row.retired}
            # The conditional update is the lock: it changes the row only if nobody saved since.
            claimed = s.execute(update(KbTopic).where(KbTopic.name == name, KbTopic.revision == revision)
                                .values(revision=revision + 1)).rowcount
            if claimed != 1:
                s.rollback()
                theirs = s.get(KbTopic, name)
                raise Conflict(yours=yours if yours is not None else before["content"], theirs=theirs.content,
                               revision=theirs.revision, by=theirs.updated_by, at=theirs.updated_at)
            s.refresh(row)
            apply(row)
            row.updated_by, row.updated_at = by, utcnow()
            s.add(KbChange(subject=name, action=action, revision=row.revision, before=before,
                           after={"content": row.content, "retired": row.retired}, by=by, at=row.updated_at))
            s.flush()
            self._recheck(s)
            s.commit()
            live = self.live_version(s)
            return self._full(row, (live.content if live else {}).get(name))

    def _recheck(self, s: Session) -> None:
        """Checks every active draft together (a question may clash with another topic's)."""
        rows = {row.name: row for row in s.execute(select(KbTopic)).scalars()}
        active = {name: row.content for name, row in rows.items() if not row.retired}
        kb = knowledge.from_documents(active, self.faq_dir)
        found: Dict[str, List[Dict[str, str]]] = {name: [] for name in rows}
        for problem in kb.problems:
            name = problem.path.stem
            if name in found:
                found[name].append({"field": problem.field, "message": problem.message})
                if problem.other_topic in found:
                    found[problem.other_topic].append({"field": problem.field, "message": problem.message})
            else:  # about the whole knowledge base (a required topic retired): shown on every topic
                for entries in found.values():
                    entries.append({"field": "", "message": problem.message})
        for name, row in rows.items():
            problems = [] if row.retired else found[name]
            if row.problems != problems:
                row.problems = problems

    def history(self, subject: str) -> List[Dict[str, Any]]:
        with self.sessions() as s:
            changes = s.execute(select(KbChange).where(KbChange.subject == subject).order_by(KbChange.id.desc())
                                .limit(200)).scalars().all()
            return [{"at": iso(c.at), "by": c.by, "action": c.action, "revision": c.revision, "note": c.note,
                     "diff": document_diff(c.before, c.after)} for c in changes]

    # --- canned responses and resolution tags ----------------------------------------------
    def document(self, name: str = DESK_DOCUMENT) -> Dict[str, Any]:
        with self.sessions() as s:
            row = s.get(KbDocument, name)
            if row is None:
                raise StudioError(studio_text("document.not_found"), 404)
            return {"content": row.content, "revision": row.revision, "updated_by": row.updated_by,
                    "updated_at": iso(row.updated_at)}

    def save_document(self, content: Dict[str, Any], revision: Any, by: str, name: str = DESK_DOCUMENT) -> Dict[str, Any]:
        if not isinstance(revision, int) or isinstance(revision, bool):
            raise StudioError(studio_text("revision_missing"))
        with self.sessions() as s:
            row = s.get(KbDocument, name)
            before = row.content
            claimed = s.execute(update(KbDocument).where(KbDocument.name == name, KbDocument.revision == revision)
                                .values(revision=revision + 1, content=content, updated_by=by, updated_at=utcnow())).rowcount
            if claimed != 1:
                s.rollback()
                theirs = s.get(KbDocument, name)
                raise Conflict(yours=content, theirs=theirs.content, revision=theirs.revision, by=theirs.updated_by,
                               at=theirs.updated_at)
            s.add(KbChange(subject=name, action="edit", revision=revision + 1, before=before, after=content, by=by, at=utcnow()))
            s.commit()
        return self.document(name)

    # --- versions --------------------------------------------------------------------------
    def pending(self) -> Dict[str, Any]:
        """What a publish would change, and whether it needs a new model."""
        with self.sessions() as s:
            live = self.live_version(s)
            live_content = live.content if live else {}
            rows = s.execute(select(KbTopic)).scalars().all()
            drafts = {row.name: row.content for row in rows if not row.retired}
            changed = sorted(name for name in set(drafts) | set(live_content) if drafts.get(name) != live_content.get(name))
            invalid = sorted(row.name for row in rows if row.problems and not row.retired)
            return {"changed": changed, "invalid": invalid, "needs_training": needs_training(live_content, drafts)}

    def versions(self, limit: int = 100) -> List[Dict[str, Any]]:
        with self.sessions() as s:
            rows = s.execute(select(KbVersion).order_by(KbVersion.id.desc()).limit(limit)).scalars().all()
            return [version_summary(v) for v in rows]

    def version(self, version_id: int) -> KbVersion:
        with self.sessions() as s:
            version = s.get(KbVersion, version_id)
            if version is None:
                raise StudioError(studio_text("version.not_found"), 404)
            return version

    def make_version(self, kind: str, by: str, note: Optional[str] = None) -> KbVersion:
        """A candidate of the current drafts; refused while any draft is invalid or nothing changed."""
        pending = self.pending()
        if pending["invalid"]:
            raise StudioError(studio_text("version.invalid_drafts", topics=", ".join(pending["invalid"])))
        if not pending["changed"]:
            raise StudioError(studio_text("version.unchanged"))
        with self.sessions() as s:
            live = self.live_version(s)
            version = KbVersion(kind=kind, status="candidate", content=self.drafts(s), note=note, created_by=by,
                                created_at=utcnow(), based_on=live.id if live else None,
                                model=live.model if (live and kind == "answers") else None)
            s.add(version)
            s.commit()
            return version

    def go_live(self, version_id: int, by: str, model: Optional[str] = None, override_reason: Optional[str] = None,
                action: str = "publish") -> KbVersion:
        with self.sessions() as s:
            version = s.get(KbVersion, version_id)
            now = utcnow()
            s.execute(update(KbVersion).where(KbVersion.status == "live").values(status="superseded"))
            version.status, version.published_at = "live", now
            if model is not None:
                version.model = model
            if override_reason:
                version.override_reason = override_reason
            s.add(KbChange(subject="version", action=action, revision=version.id, note=override_reason or version.note,
                           after={"version": version.id, "kind": version.kind}, by=by, at=now))
            s.commit()
            return version

    def rollback_copy(self, version_id: int, by: str) -> KbVersion:
        """A new version with an earlier one's content and model; drafts follow it."""
        with self.sessions() as s:
            old = s.get(KbVersion, version_id)
            if old is None or old.status in ("candidate", "failed", "blocked") or not old.published_at:
                raise StudioError(studio_text("version.not_published"))
            live = self.live_version(s)
            copy = KbVersion(kind="rollback", status="candidate", content=old.content, model=old.model, gate=old.gate,
                             note=studio_text("version.rollback_note", version=old.id), created_by=by, created_at=utcnow(),
                             based_on=live.id if live else None)
            s.add(copy)
            s.commit()
            return copy

    def reset_drafts(self, content: Dict[str, Any], by: str) -> None:
        """After a rollback the drafts show what is live (edits since are kept in the history)."""
        with self.sessions() as s:
            now = utcnow()
            rows = {row.name: row for row in s.execute(select(KbTopic)).scalars()}
            for name, row in rows.items():
                target, retired = content.get(name, row.content), name not in content
                if row.content != target or row.retired != retired:
                    s.add(KbChange(subject=name, action="rollback", revision=row.revision + 1,
                                   before={"content": row.content, "retired": row.retired},
                                   after={"content": target, "retired": retired}, by=by, at=now))
                    row.content, row.retired, row.revision = target, retired, row.revision + 1
                    row.updated_by, row.updated_at = by, now
            for name in set(content) - set(rows):
                s.add(KbTopic(name=name, content=content[name], revision=1, retired=False, problems=[], updated_by=by,
                              updated_at=now))
            s.flush()
            self._recheck(s)
            s.commit()

    def set_version(self, version_id: int, **values: Any) -> None:
        with self.sessions() as s:
            s.execute(update(KbVersion).where(KbVersion.id == version_id).values(**values))
            s.commit()

    # --- jobs ------------------------------------------------------------------------------
    def add_job(self, version_id: int, by: str) -> KbJob:
        with self.sessions() as s:
            job = KbJob(version_id=version_id, status="queued", progress=0.0, requested_by=by, created_at=utcnow())
            s.add(job)
            s.commit()
            return job

    def job(self, job_id: int) -> Optional[KbJob]:
        with self.sessions() as s:
            return s.get(KbJob, job_id)

    def current_job(self) -> Optional[KbJob]:
        """The running job, else the oldest queued one, else the newest finished one."""
        with self.sessions() as s:
            for status in ("running", "queued"):
                job = s.execute(select(KbJob).where(KbJob.status == status).order_by(KbJob.id)).scalars().first()
                if job:
                    return job
            return s.execute(select(KbJob).order_by(KbJob.id.desc())).scalars().first()

    def claim_next_job(self) -> Optional[KbJob]:
        """Marks the oldest queued job running unless one runs already (one training at a time)."""
        with self.sessions() as s:
            if s.execute(select(KbJob.id).where(KbJob.status == "running")).first():
                return None
            job = s.execute(select(KbJob).where(KbJob.status == "queued").order_by(KbJob.id)).scalars().first()
            if job is None:
                return None
            claimed = s.execute(update(KbJob).where(KbJob.id == job.id, KbJob.status == "queued")
                                .values(status="running", started_at=utcnow(), phase="starting")).rowcount
            # An older candidate nobody published is replaced by this one (its "try it" server stops).
            s.execute(update(KbVersion).where(KbVersion.status.in_(("candidate", "blocked")), KbVersion.id != job.version_id,
                                              KbVersion.kind != "answers").values(status="superseded"))
            s.commit()
            return s.get(KbJob, job.id) if claimed else None

    def update_job(self, job_id: int, **values: Any) -> None:
        with self.sessions() as s:
            s.execute(update(KbJob).where(KbJob.id == job_id).values(**values))
            s.commit()


def carry_answers(candidate: Dict[str, Any], base: Dict[str, Any], live: Dict[str, Any]) -> Dict[str, Any]:
    """A candidate trained from `base` goes live after `live`: answers published in between (an
    answers-only publish during the training) win over the candidate's unchanged copies."""
    merged = {}
    for name, document in candidate.items():
        before, now = (base.get(name) or {}).get("answer"), (live.get(name) or {}).get("answer")
        if now is not None and before != now and document.get("answer") == before:
            document = {**document, "answer": now}
        merged[name] = document
    return merged


def needs_training(live: Dict[str, Any], drafts: Dict[str, Any]) -> bool:
    """Questions and titles are training examples, topics are classes: only answers are not."""
    if set(live) != set(drafts):
        return True
    return any(live[name].get(key) != drafts[name].get(key) for name in drafts for key in ("title", "questions"))


def _changed(row: KbTopic, live_content: Dict[str, Any]) -> bool:
    live = live_content.get(row.name)
    return (live is None) != row.retired or (live is not None and live != row.content)


def _searchable(row: KbTopic) -> str:
    content = row.content
    parts = [row.name]
    for field in TOPIC_FIELDS:
        for value in (content.get(field) or {}).values():
            parts += value if isinstance(value, list) else [value]
    return fold(" ".join(parts))


def version_summary(version: KbVersion) -> Dict[str, Any]:
    return {"id": version.id, "kind": version.kind, "status": version.status, "at": iso(version.published_at or version.created_at),
            "by": version.created_by, "note": version.note, "gate": version.gate, "model": Path(version.model).name if version.model else None,
            "override_reason": version.override_reason, "topics": len(version.content or {})}


def job_summary(job: Optional[KbJob]) -> Optional[Dict[str, Any]]:
    if job is None:
        return None
    return {"id": job.id, "version": job.version_id, "status": job.status, "phase": job.phase, "progress": round(job.progress, 3),
            "eta_seconds": job.eta_seconds, "error": job.error, "requested_by": job.requested_by,
            "started_at": iso(job.started_at), "finished_at": iso(job.finished_at)}
