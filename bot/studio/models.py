"""The studio's tables. They share the desk's metadata so that the desk's migrations create them
(one migration chain for the bridge's own tables); times are aware UTC like the desk's (UtcDateTime columns)."""
from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Text

from actions.store.types import UtcDateTime
from bot.desk.models import Base


class KbTopic(Base):
    """One FAQ topic's draft: what editors work on. Published content lives in KbVersion."""

    __tablename__ = "kb_topics"
    name = Column(String(64), primary_key=True)
    # {"title": {"tr", "en"}, "questions": {"tr": [...], "en": [...]}, "answer": {"tr", "en"}}
    content = Column(JSON, nullable=False)
    revision = Column(Integer, nullable=False, default=1)  # optimistic locking: a save names the revision it edited
    retired = Column(Boolean, nullable=False, default=False)
    problems = Column(JSON, nullable=False, default=list)  # [{"field", "message"}]; empty = publishable
    updated_by = Column(String(64), nullable=True)
    updated_at = Column(UtcDateTime, nullable=False)


class KbDocument(Base):
    """Other edited content with the same locking: `desk` holds canned responses and resolution tags."""

    __tablename__ = "kb_documents"
    name = Column(String(32), primary_key=True)
    content = Column(JSON, nullable=False)
    revision = Column(Integer, nullable=False, default=1)
    updated_by = Column(String(64), nullable=True)
    updated_at = Column(UtcDateTime, nullable=False)


class KbChange(Base):
    """Every save, creation, retirement, publication and rollback: who, when, before and after."""

    __tablename__ = "kb_changes"
    id = Column(Integer, primary_key=True)
    subject = Column(String(64), nullable=False)  # a topic name, "desk", or "version"
    action = Column(String(16), nullable=False)  # seed | create | edit | retire | restore | publish | rollback | override
    revision = Column(Integer, nullable=True)
    before = Column(JSON, nullable=True)
    after = Column(JSON, nullable=True)
    note = Column(Text, nullable=True)
    by = Column(String(64), nullable=True)
    at = Column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_kb_changes_subject", "subject", "id"),)


class KbVersion(Base):
    """A published (or attempted) version of the whole knowledge base and the model it runs on."""

    __tablename__ = "kb_versions"
    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)  # seed | answers | model | rollback
    status = Column(String(16), nullable=False)  # candidate | live | superseded | blocked | failed
    content = Column(JSON, nullable=False)  # {topic name: content} of the topics in this version
    model = Column(String(255), nullable=True)  # file name under the studio's model folder
    gate = Column(JSON, nullable=True)
    note = Column(Text, nullable=True)
    override_reason = Column(Text, nullable=True)
    based_on = Column(Integer, nullable=True)  # the live version when this one was made
    created_by = Column(String(64), nullable=True)
    created_at = Column(UtcDateTime, nullable=False)
    published_at = Column(UtcDateTime, nullable=True)

    __table_args__ = (Index("ix_kb_versions_status", "status"),)


class KbJob(Base):
    """A training and gate run for a candidate version, in its own process; one runs at a time."""

    __tablename__ = "kb_jobs"
    id = Column(Integer, primary_key=True)
    version_id = Column(Integer, ForeignKey("kb_versions.id"), nullable=False)
    status = Column(String(16), nullable=False)  # queued | running | passed | blocked | failed | published
    phase = Column(String(32), nullable=True)
    progress = Column(Float, nullable=False, default=0.0)
    eta_seconds = Column(Float, nullable=True)
    error = Column(Text, nullable=True)
    pid = Column(Integer, nullable=True)
    candidate_url = Column(String(255), nullable=True)  # the candidate's Rasa (parse only) for "try it"
    requested_by = Column(String(64), nullable=True)
    created_at = Column(UtcDateTime, nullable=False)
    started_at = Column(UtcDateTime, nullable=True)
    finished_at = Column(UtcDateTime, nullable=True)

    __table_args__ = (Index("ix_kb_jobs_status", "status"),)


class KbInboxItem(Base):
    """A shopper message the assistant did not understand (or answered unsure), or one an agent
    marked "the assistant should have known this"."""

    __tablename__ = "kb_inbox"
    id = Column(Integer, primary_key=True)
    source = Column(String(16), nullable=False)  # assistant | agent
    text = Column(Text, nullable=False)
    group_key = Column(String(255), nullable=False)  # folded text: similar messages group together
    language = Column(String(8), nullable=True)
    conversation_id = Column(String(64), nullable=True)
    message_id = Column(Integer, nullable=True)
    intent = Column(String(80), nullable=True)
    confidence = Column(Float, nullable=True)
    agent_id = Column(Integer, ForeignKey("desk_users.id"), nullable=True)
    suggested_answer = Column(Text, nullable=True)
    status = Column(String(16), nullable=False, default="new")  # new | added | new_topic | dismissed
    topic = Column(String(64), nullable=True)  # where it went
    resolved_by = Column(String(64), nullable=True)
    resolved_at = Column(UtcDateTime, nullable=True)
    created_at = Column(UtcDateTime, nullable=False)

    __table_args__ = (Index("ix_kb_inbox_status", "status", "group_key"), Index("ix_kb_inbox_created", "created_at"))
