"""Chart.js configurations of a report (the dict of bot/reports/metrics.py, docs/reports.md).

`charts(report, language)` feeds both the dashboard (/manager, through /api/reports) and the HTML
report (`python -m bot report`), so both show the same charts. Configs are plain JSON (no JS
callbacks) so that they can travel through the API and be inlined into a file. Also the labels
and number formats that the HTML report, the summary and the CSV share.

Every word is in the `reports` domain of the text catalogue (locale/<language>/LC_MESSAGES/
reports.po), Turkish unless a language is given. The labels and formats (`handoff_reason_label`,
`number`, `duration`, …) take a language too, and the summary and the HTML report
(bot/reports/summary.py, html.py) pass theirs to every one. Without one they speak the language
of the surrounding `speaking(language)` block, Turkish outside any: `charts()` words its chart
builders that way.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
from datetime import date, datetime, timedelta
from typing import Any, Dict, Iterable, Iterator, List, Optional

import yaml
from babel.dates import get_month_names

from bot import i18n
from bot.settings import PROJECT_ROOT
from bot.text import turkish_lower

FAQ_DIR = PROJECT_ROOT / "data" / "faq"
DESK_CONFIG = PROJECT_ROOT / "data" / "desk.yml"

COLORS = {"green": "#15803d", "amber": "#d97706", "grey": "#94a3b8", "blue": "#1d4ed8", "red": "#b91c1c",
          "purple": "#7c3aed", "teal": "#0f766e", "pink": "#be185d", "navy": "#0f2742"}
PALETTE = ["#1d4ed8", "#d97706", "#15803d", "#b91c1c", "#7c3aed", "#0f766e", "#be185d", "#64748b",
           "#ca8a04", "#0369a1"]

# Codes of the report -> their catalogue keys (reports domain unless the key names another).
HANDOFF_REASONS = {
    "requested": "handoff.requested",
    "frustration": "handoff.frustration",
    "repeated_fallback": "handoff.repeated_fallback",
    "assistant_failed": "handoff.assistant_failed",
    "assistant_unavailable": "handoff.assistant_unavailable",
    "verification_locked": "handoff.verification_locked",
    "store_unavailable": "handoff.store_unavailable",
    "transfer": "handoff.transfer",
}

INTENTS = {
    "greet": "intent.greet", "goodbye": "intent.goodbye", "thank": "intent.thank", "affirm": "intent.affirm",
    "deny": "intent.deny", "bot_challenge": "intent.bot_challenge", "order_status": "intent.order_status",
    "cancel_order": "intent.cancel_order", "return_request": "intent.return_request",
    "return_status": "intent.return_status", "complaint": "intent.complaint", "request_human": "intent.request_human",
    "ticket_status": "intent.ticket_status",
    "inform": "intent.inform", "stop": "intent.stop", "out_of_scope": "intent.out_of_scope",
    "nlu_fallback": "intent.nlu_fallback", "bot_misunderstood": "intent.bot_misunderstood",
}

LANGUAGES = {"tr": "bridge:language.tr", "en": "bridge:language.en"}
# Tickets (bot/tickets/models.py): categories (the assistant's complaint categories), sources, channels.
TICKET_CATEGORIES = {"kargo": "ticket.category.kargo", "urun": "ticket.category.urun", "iade": "ticket.category.iade",
                     "odeme": "ticket.category.odeme", "hizmet": "ticket.category.hizmet",
                     "diger": "ticket.category.diger"}
TICKET_SUBJECTS = {"kargo": "ticket.subject.kargo", "urun": "ticket.subject.urun", "iade": "ticket.subject.iade",
                   "odeme": "ticket.subject.odeme", "hizmet": "ticket.subject.hizmet", "diger": "ticket.subject.diger"}
TICKET_SOURCES = {"complaint": "ticket.source.complaint", "after_hours": "ticket.source.after_hours",
                  "chat_followup": "ticket.source.chat_followup", "low_score": "ticket.source.low_score",
                  "missed_promise": "ticket.source.missed_promise"}
TICKET_CHANNELS = {"chat": "ticket.channel.chat", "email": "ticket.channel.email"}
# "last 8 weeks" in a chart's title, and how the contacts chart slices the period.
TREND_SPANS = {"day": "chart.span.day", "week": "chart.span.week", "month": "chart.span.month"}
CONTACTS_TITLES = {"day": "chart.contacts.title.day", "week": "chart.contacts.title.week",
                   "month": "chart.contacts.title.month"}
# Digit grouping and decimal mark per language.
SEPARATORS = {"tr": (".", ","), "en": (",", ".")}

_LANGUAGE: contextvars.ContextVar[str] = contextvars.ContextVar("report_language", default=i18n.DEFAULT_LANGUAGE)


# --------------------------------------------------------------------------- language

@contextlib.contextmanager
def speaking(language: Optional[str]) -> Iterator[str]:
    """Labels and formats without a language of their own speak `language` inside the block."""
    token = _LANGUAGE.set(i18n.language_of(language))
    try:
        yield _LANGUAGE.get()
    finally:
        _LANGUAGE.reset(token)


def _language(language: Optional[str] = None) -> str:
    return i18n.language_of(language) if language else _LANGUAGE.get()


def _say(key: str, /, **params: Any) -> str:
    """A text of the reports domain (or "<domain>:<key>") in the language spoken now."""
    address = key if ":" in key else f"reports:{key}"
    return i18n.say(address, _language(), **params)


# --------------------------------------------------------------------------- labels

@functools.lru_cache(maxsize=None)
def _faq_titles(language: str = "tr") -> Dict[str, str]:
    """Knowledge-base topic -> its title, from the editors' files (new topics get theirs)."""
    titles = {}
    for path in sorted(FAQ_DIR.glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            found = data.get("title") or {}
            title = found.get(language) or found.get("tr")
        except (OSError, yaml.YAMLError, AttributeError):
            continue  # kb-check reports broken files; a report must still render
        if isinstance(title, str) and title:
            first = turkish_lower(title[0]) if language == "tr" else title[0].lower()
            titles[path.stem] = first + title[1:]
    return titles


@functools.lru_cache(maxsize=None)
def _tag_labels(language: str = "tr") -> Dict[str, str]:
    try:
        tags = (yaml.safe_load(DESK_CONFIG.read_text(encoding="utf-8")) or {}).get("tags") or []
        return {tag["key"]: tag["label"].get(language) or tag["label"]["tr"] for tag in tags}
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError):
        return {}


def handoff_reason_label(reason: str, language: Optional[str] = None) -> str:
    key = HANDOFF_REASONS.get(reason)
    return i18n.say(f"reports:{key}", _language(language)) if key else reason


def contact_reason_label(reason: str, language: Optional[str] = None) -> str:
    """`faq/shipping_cost` -> "SSS: kargo ücreti", `order_status` -> "Sipariş durumu"; unknown ones as is."""
    language = _language(language)
    if reason.startswith("faq/"):
        topic = reason[4:]
        return i18n.say("reports:intent.faq", language, topic=_faq_titles(language).get(topic, topic))
    key = INTENTS.get(reason)
    return i18n.say(f"reports:{key}", language) if key else reason


def tag_label(tag: str, language: Optional[str] = None) -> str:
    return _tag_labels(_language(language)).get(tag, tag)


def ticket_category_label(category: str, language: Optional[str] = None) -> str:
    """"kargo" -> "Kargo ve teslimat" ("Shipping and delivery"); an unknown category as is."""
    key = TICKET_CATEGORIES.get(category)
    return i18n.say(f"reports:{key}", _language(language)) if key else category


def ticket_subject(category: str, language: Optional[str] = None) -> str:
    """The category as a sentence's subject: "Kargo ve teslimat talepleri", "Other tickets"."""
    key = TICKET_SUBJECTS.get(category)
    if key:
        return i18n.say(f"reports:{key}", _language(language))
    return i18n.say("reports:ticket.subject.unknown", _language(language), category=category)


def ticket_source_label(source: str, language: Optional[str] = None) -> str:
    key = TICKET_SOURCES.get(source)
    return i18n.say(f"reports:{key}", _language(language)) if key else source


def ticket_channel_label(channel: str, language: Optional[str] = None) -> str:
    key = TICKET_CHANNELS.get(channel)
    return i18n.say(f"reports:{key}", _language(language)) if key else channel


def language_label(code: str, language: Optional[str] = None) -> str:
    """The name of a shopper's language ("en") in the reader's language ("İngilizce", "English")."""
    key = LANGUAGES.get(code)
    return i18n.say(key, _language(language)) if key else code


# --------------------------------------------------------------------------- period labels

def _month(month: int, width: str, language: str) -> str:
    return get_month_names(width, locale=language)[month]


def period_label(period: Dict[str, Any], language: Optional[str] = None) -> str:
    """A report's period ({"kind", "start", "end", "label"}) named in `language`: the report's own
    (Turkish) label, or "16–22 November 2026", "November 2026", "23 November 2026"."""
    language = _language(language)
    if language == "tr":
        return period["label"]
    start = date.fromisoformat(period["start"][:10])
    kind = period["kind"]
    if kind == "day":
        return f"{start.day} {_month(start.month, 'wide', language)} {start.year}"
    if kind == "month":
        return f"{_month(start.month, 'wide', language)} {start.year}"
    last = date.fromisoformat(period["end"][:10]) - timedelta(days=1)
    if last.month == start.month:
        return f"{start.day}–{last.day} {_month(last.month, 'wide', language)} {last.year}"
    return (f"{start.day} {_month(start.month, 'wide', language)} – "
            f"{last.day} {_month(last.month, 'wide', language)} {last.year}")


def slice_label(row: Dict[str, Any], kind: str, language: Optional[str] = None) -> str:
    """The short label of a row of `series` or `trend` (`kind`: hour, day, week or month) in `language`."""
    language = _language(language)
    if language == "tr" or "start" not in row:
        return row["label"]
    start = datetime.fromisoformat(row["start"])
    if kind == "hour":
        return f"{start:%H}:00"
    month = _month(start.month, "abbreviated", language).rstrip(".")
    if kind == "month":
        return f"{month} {start:%y}"
    return f"{start.day} {month}"


def _series_kind(report: dict) -> str:
    return "hour" if report["period"]["kind"] == "day" else "day"


# --------------------------------------------------------------------------- number formats

def number(value: Optional[float], digits: int = 0, language: Optional[str] = None) -> str:
    """12345.6 -> "12.345,6" in Turkish, "12,345.6" in English; None -> "—"."""
    if value is None:
        return "—"
    group, decimal = SEPARATORS[_language(language)]
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", decimal).replace(" ", group)


def percent(rate: Optional[float], digits: int = 1, language: Optional[str] = None) -> str:
    """0.425 -> "%42,5" (Turkish puts the sign first), "42.5%" in English."""
    if rate is None:
        return "—"
    language = _language(language)
    return i18n.say("reports:format.percent", language, value=number(rate * 100, digits, language))


def duration(seconds: Optional[float], language: Optional[str] = None) -> str:
    """95 -> "1 dk 35 sn"; 3700 -> "1 sa 1 dk" (English: "1 min 35 s", "1 h 1 min")."""
    if seconds is None:
        return "—"
    language = _language(language)
    seconds = int(round(seconds))
    if seconds < 60:
        return i18n.say("reports:duration.seconds", language, seconds=seconds)
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        if seconds:
            return i18n.say("reports:duration.minutes_seconds", language, minutes=minutes, seconds=seconds)
        return i18n.say("reports:duration.minutes", language, minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if minutes:
        return i18n.say("reports:duration.hours_minutes", language, hours=hours, minutes=minutes)
    return i18n.say("reports:duration.hours", language, hours=hours)


def age(seconds: Optional[float], language: Optional[str] = None) -> str:
    """A wait that may last days: 306000 -> "3 gün 13 sa" ("3 d 13 h"); under two days as `duration`."""
    if seconds is None:
        return "—"
    language = _language(language)
    if seconds < 48 * 3600:
        return duration(seconds, language)
    days, hours = divmod(int(round(seconds / 3600)), 24)
    if hours:
        return i18n.say("reports:duration.days_hours", language, days=days, hours=hours)
    return i18n.say("reports:duration.days", language, days=days)


# --------------------------------------------------------------------------- charts

def charts(report: Dict[str, Any], language: Optional[str] = None) -> List[Dict[str, Any]]:
    """The report's charts, in the order the dashboard and the HTML report show them.

    Each is {"id", "title", "config", "summary", "empty"}: a Chart.js config, a one-sentence
    description (aria-label and text alternative), and whether there is anything to draw; every
    word in `language` (the one spoken now without it: Turkish by default).
    """
    builders = [contacts_chart, rates_chart, satisfaction_chart, handoff_reasons_chart, contact_reasons_chart,
                agents_chart, resolution_tags_chart, languages_chart]
    with speaking(_language(language)):
        return [builder(report) for builder in builders]


def contacts_chart(report: dict) -> dict:
    series = report["series"]
    kind = report["period"]["kind"]
    total = report["totals"]["contacts"]
    busiest = max(series, key=lambda row: row["contacts"], default=None)
    if busiest and busiest["contacts"]:
        summary = _say("chart.contacts.summary_busiest", total=number(total),
                       busiest=slice_label(busiest, _series_kind(report)), count=number(busiest["contacts"]))
    else:
        summary = _say("chart.contacts.summary", total=number(total))
    return _chart("contacts", _say(CONTACTS_TITLES[kind]), summary, total == 0,
                  _stacked_bar([slice_label(row, _series_kind(report)) for row in series], series,
                               _say("chart.axis.contacts")))


def rates_chart(report: dict) -> dict:
    trend = report["trend"]
    this = report["totals"]
    datasets = [
        _line(_say("chart.rates.containment"), [_pct(row["containment_rate"]) for row in trend], COLORS["green"]),
        _line(_say("chart.rates.handoff"), [_pct(row["handoff_rate"]) for row in trend], COLORS["amber"]),
        _line(_say("chart.rates.fallback"), [_pct(row["fallback_rate"]) for row in trend], COLORS["red"]),
    ]
    summary = _say("chart.rates.summary", containment=percent(this["containment_rate"]),
                   handoff=percent(this["handoff_rate"]), fallback=percent(this["fallback_rate"]))
    options = _options(y={"min": 0, "max": 100, "title": {"display": True, "text": "%"}})
    empty = all(row["contacts"] == 0 and row["shopper_messages"] == 0 for row in trend)
    return _chart("rates", _say("chart.rates.title", span=_trend_span(report)), summary, empty,
                  {"type": "line", "data": {"labels": _trend_labels(report), "datasets": datasets},
                   "options": options})


def satisfaction_chart(report: dict) -> dict:
    trend = report["trend"]
    this = report["totals"]
    csat = _line(_say("chart.satisfaction.csat"), [_round(row["csat_mean"], 2) for row in trend], COLORS["blue"])
    nps = _line("NPS (−100…100)", [_round(row["nps"], 1) for row in trend], COLORS["purple"])
    nps["yAxisID"] = "y1"
    nps["borderDash"] = [6, 4]
    options = _options(
        y={"min": 1, "max": 5, "title": {"display": True, "text": "CSAT"}},
        y1={"min": -100, "max": 100, "position": "right", "grid": {"drawOnChartArea": False},
            "title": {"display": True, "text": "NPS"}},
    )
    summary = _say("chart.satisfaction.summary", csat=number(this["csat_mean"], 2), csat_count=number(this["csat_count"]),
                   nps=_signed(this["nps"]), nps_count=number(this["nps_count"]))
    empty = all(row["csat_count"] == 0 and row["nps_count"] == 0 for row in trend)
    return _chart("satisfaction", _say("chart.satisfaction.title", span=_trend_span(report)), summary, empty,
                  {"type": "line", "data": {"labels": _trend_labels(report), "datasets": [csat, nps]},
                   "options": options})


def handoff_reasons_chart(report: dict) -> dict:
    rows = report["handoff_reasons"]
    labels = [handoff_reason_label(row["reason"]) for row in rows]
    config = {
        "type": "doughnut",
        "data": {"labels": labels, "datasets": [{"label": _say("chart.handoff_reasons.dataset"),
                                                 "data": [row["count"] for row in rows],
                                                 "backgroundColor": _colors(len(rows))}]},
        "options": {"responsive": True, "maintainAspectRatio": False, "animation": False,
                    "plugins": {"legend": {"position": "bottom"}}},
    }
    return _chart("handoff_reasons", _say("chart.handoff_reasons.title"), _top_summary(labels, rows),
                  not rows, config)


def contact_reasons_chart(report: dict) -> dict:
    rows = report["contact_reasons"]
    labels = [contact_reason_label(row["reason"]) for row in rows]
    return _chart("contact_reasons", _say("chart.contact_reasons.title"), _top_summary(labels, rows), not rows,
                  _bar(labels, _say("chart.axis.contacts"), [row["count"] for row in rows], COLORS["blue"],
                       horizontal=True))


def agents_chart(report: dict) -> dict:
    rows = report["agents"]
    datasets = [
        _dataset(_say("chart.agents.queue"), [_minutes(row["queue_seconds"]) for row in rows], COLORS["grey"]),
        _dataset(_say("chart.agents.first_response"), [_minutes(row["first_response_seconds"]) for row in rows],
                 COLORS["blue"]),
        _dataset(_say("chart.agents.handling"), [_minutes(row["handling_seconds"]) for row in rows], COLORS["teal"]),
    ]
    config = {"type": "bar", "data": {"labels": [row["name"] for row in rows], "datasets": datasets},
              "options": _options(y={"beginAtZero": True, "title": {"display": True, "text": _say("chart.agents.axis")}})}
    parts = [_say("chart.agents.summary_part", name=row["name"], first_response=duration(row["first_response_seconds"]),
                  handling=duration(row["handling_seconds"])) for row in rows]
    summary = _say("chart.sentence", items="; ".join(parts)) if rows else _say("chart.agents.none")
    return _chart("agents", _say("chart.agents.title"), summary, not rows, config)


def resolution_tags_chart(report: dict) -> dict:
    rows = report["resolution_tags"]
    labels = [tag_label(row["tag"]) for row in rows]
    return _chart("resolution_tags", _say("chart.resolution_tags.title"), _top_summary(labels, rows), not rows,
                  _bar(labels, _say("chart.resolution_tags.dataset"), [row["count"] for row in rows], COLORS["teal"],
                       horizontal=True))


def languages_chart(report: dict) -> dict:
    rows = report["languages"]
    labels = [language_label(row["language"]) for row in rows]
    parts = [_say("chart.languages.summary_part", language=label, contacts=number(row["contacts"]))
             for label, row in zip(labels, rows)]
    summary = _say("chart.sentence", items=", ".join(parts)) if rows else _say("chart.no_data")
    return _chart("languages", _say("chart.languages.title"), summary,
                  not any(row["contacts"] for row in rows), _stacked_bar(labels, rows, _say("chart.axis.contacts")))


# --------------------------------------------------------------------------- pieces

def _chart(chart_id: str, title: str, summary: str, empty: bool, config: dict) -> dict:
    if empty:
        summary = _say("chart.empty")
    return {"id": chart_id, "title": title, "summary": summary, "empty": bool(empty), "config": config}


def _options(**scales: dict) -> dict:
    # No animation: the HTML report is printed and screenshotted right after drawing.
    return {"responsive": True, "maintainAspectRatio": False, "animation": False,
            "interaction": {"mode": "index", "intersect": False},
            "plugins": {"legend": {"position": "bottom"}}, "scales": scales}


def _dataset(label: str, data: list, color: str) -> dict:
    # maxBarThickness: two bars must not fill the whole width (lines ignore it).
    return {"label": label, "data": data, "backgroundColor": color, "borderColor": color, "maxBarThickness": 56}


def _line(label: str, data: list, color: str) -> dict:
    # spanGaps: an empty period (null) does not break the line into pieces.
    return {**_dataset(label, data, color), "tension": 0.25, "spanGaps": True, "pointRadius": 3}


def _bar(labels: list, label: str, data: list, color: str, horizontal: bool = False) -> dict:
    value_axis = "x" if horizontal else "y"
    options = _options(**{value_axis: {"beginAtZero": True, "ticks": {"precision": 0}}})
    options["plugins"]["legend"] = {"display": False}
    if horizontal:
        options["indexAxis"] = "y"
    return {"type": "bar", "data": {"labels": labels, "datasets": [_dataset(label, data, color)]}, "options": options}


def _stacked_bar(labels: list, rows: Iterable[dict], axis_title: str) -> dict:
    """Contacts split into contained / handed off / the rest (neither: e.g. left unanswered)."""
    rows = list(rows)
    datasets = [
        _dataset(_say("chart.stack.contained"), [row["contained"] for row in rows], COLORS["green"]),
        _dataset(_say("chart.stack.handed_off"), [row["handoffs"] for row in rows], COLORS["amber"]),
        _dataset(_say("chart.stack.other"), [max(row["contacts"] - row["contained"] - row["handoffs"], 0) for row in rows],
                 COLORS["grey"]),
    ]
    options = _options(x={"stacked": True},
                       y={"stacked": True, "beginAtZero": True, "ticks": {"precision": 0},
                          "title": {"display": True, "text": axis_title}})
    return {"type": "bar", "data": {"labels": labels, "datasets": datasets}, "options": options}


def _top_summary(labels: List[str], rows: List[dict]) -> str:
    if not rows:
        return ""
    top = ", ".join(f"{label} ({number(row['count'])})" for label, row in list(zip(labels, rows))[:3])
    return _say("chart.top", top=top)


def _colors(count: int) -> List[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(count)]


def _trend_span(report: dict) -> str:
    """"son 8 hafta", "last 8 weeks"."""
    return _say(TREND_SPANS[report["period"]["kind"]], count=len(report["trend"]))


def _trend_labels(report: dict) -> List[str]:
    return [slice_label(row, report["period"]["kind"]) for row in report["trend"]]


def _round(value: Optional[float], digits: int) -> Optional[float]:
    return None if value is None else round(value, digits)


def _pct(rate: Optional[float]) -> Optional[float]:
    return None if rate is None else round(rate * 100, 1)


def _minutes(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else round(seconds / 60, 1)


def _signed(value: Optional[float]) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + number(value, 0)
