"""The manager's dashboard: the page (/manager), its JSON (/api/reports) and CSV (/api/reports.csv).

Admins only (`authorised`: a logged-in account whose role is admin now). The app keys come from
bot/desk/keys.py, so this module never imports the app that mounts it.

Both answers are worded in the reader's language, `lang` (tr or en; Turkish by default): the
charts, the summary, the names of codes (reasons, tags, languages) and the period, the CSV's
headers and number format, and the errors, which also carry a `code` (`{"error": words, "code":
"period"}`). The words are in the `reports` domain of the text catalogue. `language` is another
thing: the shoppers' language the figures are filtered by.

The CSV has a table per `group`: the period's slices, the trend, the agents, the languages (each row
with the chats' figures, what became of those no agent took, and the tickets' own), or one of the
tickets' tables (TICKET_CSV_GROUPS: by category, channel, source, owner), or the contacts by customer
segment (`segments`). Ticket times count in the support hours of the settings (SUPPORT_HOURS,
SUPPORT_HOLIDAYS); segments follow the settings' rules (VIP_ORDERS_12M, VIP_SPEND_12M_TL).
"""
from __future__ import annotations

import asyncio
import csv
import io
from datetime import date
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import web

from bot import i18n
from bot.desk.auth import authorised
from bot.desk.keys import DESK, SETTINGS
from bot.desk.pages import page
from bot.language import SUPPORTED
from bot.reports.charts import (charts, contact_reason_label, handoff_reason_label, language_label, period_label,
                                tag_label, ticket_category_label, ticket_channel_label, ticket_source_label)
from bot.reports.html import knowledge_lines
from bot.reports.metrics import build_report
from bot.reports.periods import KINDS, local_today
from bot.reports.segments import TOP_SEGMENT_REASONS, segment_label
from bot.reports.summary import summary_lines
from bot.tickets.setup import segment_rules
from bot.tickets.sla import SupportCalendar

CSV_GROUPS = ("series", "trend", "agents", "languages")
# Tables of the tickets (report["tickets"][part]): one row per category, channel, source or owner.
TICKET_CSV_GROUPS = {"ticket_categories": "categories", "ticket_channels": "channels", "ticket_sources": "sources",
                     "ticket_agents": "agents"}
# The contacts by customer segment (report["segments"]): one row per segment.
SEGMENTS_GROUP = "segments"
CSV_LANGUAGES = ("tr", "en")
# How a spreadsheet in that language reads a CSV: Turkish Excel expects ";" between cells and a
# decimal comma (with "," and dots it puts a whole row in one cell and reads 75.0 as a date or
# 750); English keeps "," and dots. Both start with a UTF-8 BOM so Excel reads Turkish letters.
CSV_FORMATS = {"tr": {"delimiter": ";", "decimal": ","}, "en": {"delimiter": ",", "decimal": "."}}

# The row's own columns per group, then TOTALS in this fixed order: (key, {language: header}, format).
GROUP_COLUMNS = {
    "series": [("start", i18n.by_language("reports:csv.start"), "text"),
               ("label", i18n.by_language("reports:csv.slice"), "text")],
    "trend": [("start", i18n.by_language("reports:csv.start"), "text"),
              ("label", i18n.by_language("reports:csv.period"), "text")],
    "agents": [("agent_id", i18n.by_language("reports:csv.agent_id"), "text"),
               ("name", i18n.by_language("reports:csv.agent"), "text")],
    "languages": [("language", i18n.by_language("reports:csv.language"), "text")],
}
TOTALS_COLUMNS = [
    ("contacts", i18n.by_language("reports:csv.contacts"), "count"),
    ("contained", i18n.by_language("reports:csv.contained"), "count"),
    ("containment_rate", i18n.by_language("reports:csv.containment_rate"), "rate"),
    ("handoffs", i18n.by_language("reports:csv.handoffs"), "count"),
    ("handoff_rate", i18n.by_language("reports:csv.handoff_rate"), "rate"),
    ("shopper_messages", i18n.by_language("reports:csv.shopper_messages"), "count"),
    ("not_understood", i18n.by_language("reports:csv.not_understood"), "count"),
    ("fallback_rate", i18n.by_language("reports:csv.fallback_rate"), "rate"),
    ("turned_into_knowledge", i18n.by_language("reports:csv.turned_into_knowledge"), "count"),
    ("queue_seconds", i18n.by_language("reports:csv.queue_seconds"), "seconds"),
    ("first_response_seconds", i18n.by_language("reports:csv.first_response_seconds"), "seconds"),
    ("handling_seconds", i18n.by_language("reports:csv.handling_seconds"), "seconds"),
    ("csat_count", i18n.by_language("reports:csv.csat_count"), "count"),
    ("csat_mean", i18n.by_language("reports:csv.csat_mean"), "score"),
    ("csat_satisfied_rate", i18n.by_language("reports:csv.csat_satisfied_rate"), "rate"),
    ("nps_count", i18n.by_language("reports:csv.nps_count"), "count"),
    ("nps", i18n.by_language("reports:csv.nps"), "nps"),
    ("promoters", i18n.by_language("reports:csv.promoters"), "count"),
    ("passives", i18n.by_language("reports:csv.passives"), "count"),
    ("detractors", i18n.by_language("reports:csv.detractors"), "count"),
    ("repeat_contacts", i18n.by_language("reports:csv.repeat_contacts"), "count"),
    ("repeat_rate", i18n.by_language("reports:csv.repeat_rate"), "rate"),
    # What became of the chats sent to people that no agent took (`handoffs` are those one did).
    ("queued_then_ticketed", i18n.by_language("reports:csv.queued_then_ticketed"), "count"),
    ("after_hours_tickets", i18n.by_language("reports:csv.after_hours_tickets"), "count"),
    ("left_queue", i18n.by_language("reports:csv.left_queue"), "count"),
    # The tickets of the row's slice, agent (as owner) or language; times in support seconds.
    ("tickets_opened", i18n.by_language("reports:csv.tickets_opened"), "count"),
    ("tickets_resolved", i18n.by_language("reports:csv.tickets_resolved"), "count"),
    ("tickets_sla_met_rate", i18n.by_language("reports:csv.tickets_sla_met_rate"), "rate"),
    ("tickets_first_response_median_seconds", i18n.by_language("reports:csv.tickets_first_response_median_seconds"),
     "seconds"),
    ("tickets_resolution_median_seconds", i18n.by_language("reports:csv.tickets_resolution_median_seconds"), "seconds"),
    ("tickets_backlog", i18n.by_language("reports:csv.tickets_backlog"), "count"),
]
# The ticket tables: the row's own columns, then TICKET_COLUMNS.
TICKET_GROUP_COLUMNS = {
    "ticket_categories": [("category", i18n.by_language("reports:csv.category"), "text"),
                          ("category_name", i18n.by_language("reports:csv.category_name"), "text"),
                          ("previous_opened", i18n.by_language("reports:csv.previous_opened"), "count")],
    "ticket_channels": [("channel", i18n.by_language("reports:csv.channel"), "text"),
                        ("channel_name", i18n.by_language("reports:csv.channel_name"), "text")],
    "ticket_sources": [("source", i18n.by_language("reports:csv.source"), "text"),
                       ("source_name", i18n.by_language("reports:csv.source_name"), "text")],
    "ticket_agents": [("agent_id", i18n.by_language("reports:csv.agent_id"), "text"),
                      ("name", i18n.by_language("reports:csv.agent"), "text")],
}
TICKET_COLUMNS = [
    ("opened", i18n.by_language("reports:csv.opened"), "count"),
    ("resolved", i18n.by_language("reports:csv.resolved"), "count"),
    ("first_responses", i18n.by_language("reports:csv.first_responses"), "count"),
    ("first_response_median_seconds", i18n.by_language("reports:csv.first_response_median_seconds"), "seconds"),
    ("first_response_p90_seconds", i18n.by_language("reports:csv.first_response_p90_seconds"), "seconds"),
    ("resolution_median_seconds", i18n.by_language("reports:csv.resolution_median_seconds"), "seconds"),
    ("resolution_p90_seconds", i18n.by_language("reports:csv.resolution_p90_seconds"), "seconds"),
    ("sla_targets", i18n.by_language("reports:csv.sla_targets"), "count"),
    ("sla_met", i18n.by_language("reports:csv.sla_met"), "count"),
    ("sla_met_rate", i18n.by_language("reports:csv.sla_met_rate"), "rate"),
    ("first_response_sla_rate", i18n.by_language("reports:csv.first_response_sla_rate"), "rate"),
    ("resolution_sla_rate", i18n.by_language("reports:csv.resolution_sla_rate"), "rate"),
    ("reopened", i18n.by_language("reports:csv.reopened"), "count"),
    ("reopen_rate", i18n.by_language("reports:csv.reopen_rate"), "rate"),
    ("backlog", i18n.by_language("reports:csv.backlog"), "count"),
    ("backlog_age_median_seconds", i18n.by_language("reports:csv.backlog_age_median_seconds"), "seconds"),
    ("backlog_oldest_seconds", i18n.by_language("reports:csv.backlog_oldest_seconds"), "seconds"),
    ("ratings", i18n.by_language("reports:csv.ratings"), "count"),
    ("rating_mean", i18n.by_language("reports:csv.rating_mean"), "score"),
]
# The segments' table: the segment, its figures, then each top reason's name and contacts.
SEGMENT_COLUMNS = [
    ("segment", i18n.by_language("reports:csv.segment"), "text"),
    ("segment_name", i18n.by_language("reports:csv.segment_name"), "text"),
    ("contacts", i18n.by_language("reports:csv.contacts"), "count"),
    ("csat_responses", i18n.by_language("reports:csv.csat_count"), "count"),
    ("csat_mean", i18n.by_language("reports:csv.csat_mean"), "score"),
    ("handoff_rate", i18n.by_language("reports:csv.handoff_rate"), "rate"),
] + [column for rank in range(1, TOP_SEGMENT_REASONS + 1) for column in (
    (f"reason_{rank}", {lang: i18n.say("reports:csv.top_reason", lang, rank=rank) for lang in CSV_LANGUAGES}, "text"),
    (f"reason_{rank}_contacts", {lang: i18n.say("reports:csv.top_reason_contacts", lang, rank=rank)
                                 for lang in CSV_LANGUAGES}, "count"))]
# The names a ticket table's codes get in the CSV's language.
TICKET_NAMES = {"ticket_categories": ("category", "category_name", ticket_category_label),
                "ticket_channels": ("channel", "channel_name", ticket_channel_label),
                "ticket_sources": ("source", "source_name", ticket_source_label)}


class BadQuery(ValueError):
    """A parameter the API cannot use: `key` names its words in the reports domain (`error.period`),
    and the code the answer carries is the key's last part (`period`)."""

    def __init__(self, key: str, **params: Any):
        super().__init__(key)
        self.key, self.params = key, params

    @property
    def code(self) -> str:
        return self.key.rpartition(".")[2]

    def worded(self, language: str = i18n.DEFAULT_LANGUAGE) -> str:
        return i18n.say(f"reports:{self.key}", language, **self.params)

    def __str__(self) -> str:
        return self.worded()


def add_routes(app: web.Application) -> None:

    app.router.add_get("/manager", page("manager/index.html"))
    app.router.add_get("/api/reports", reports_json)
    app.router.add_get("/api/reports.csv", reports_csv)


# --------------------------------------------------------------------------- handlers

def reader_language(request: web.Request) -> str:
    """The language the answer is worded in (`lang`); Turkish for none or one we do not have."""
    return i18n.language_of(request.query.get("lang"))


async def reports_json(request: web.Request) -> web.Response:
    lang = reader_language(request)
    await authorised(request, ("admin",), refusal=i18n.say("reports:error.admins_only", lang))
    try:
        query = parse_query(request)
    except BadQuery as error:
        return _error(error, lang)
    report = await _build(request, query)
    body = {"report": report, "charts": charts(report, lang),
            "summary": summary_lines(report, lang) + knowledge_lines(report, lang),
            "agents": _agents(request, report), "languages": list(SUPPORTED), "labels": labels(report, lang)}
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def reports_csv(request: web.Request) -> web.Response:
    # The file's language (headers, separator, decimal mark); `language` is the conversations' filter.
    lang = request.query.get("lang") or "tr"
    await authorised(request, ("admin",), refusal=i18n.say("reports:error.admins_only", i18n.language_of(lang)))
    try:
        group = request.query.get("group", "series")
        if group not in CSV_GROUPS and group not in TICKET_CSV_GROUPS and group != SEGMENTS_GROUP:
            raise BadQuery("error.group")
        if lang not in CSV_LANGUAGES:
            raise BadQuery("error.csv_language")
        query = parse_query(request)
    except BadQuery as error:
        return _error(error, i18n.language_of(lang))
    report = await _build(request, query)
    filename = f"kuzey-rapor-{report['period']['kind']}-{report['period']['start']}-{group}.csv"
    # The BOM makes Excel read the file as UTF-8 (Turkish letters) instead of the local code page.
    body = ("\ufeff" + csv_text(csv_rows(report, group, lang), group, lang)).encode("utf-8")
    return web.Response(body=body, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


def parse_query(request: web.Request) -> Tuple[str, date, Optional[int], Optional[str]]:
    """period, date, agent, language from the query string; defaults: this week (Istanbul)."""

    query = request.query
    kind = query.get("period") or "week"
    if kind not in KINDS:
        raise BadQuery("error.period")
    raw_day = query.get("date")
    if raw_day:
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise BadQuery("error.date") from None
        if not 2000 <= day.year <= 2100:  # far dates would overflow the eight-period trend
            raise BadQuery("error.date_range")
    else:
        day = local_today(request.app[SETTINGS].report_timezone)
    raw_agent = query.get("agent") or ""
    # At most 9 digits: int() refuses a 4300-digit string, and no agent id is that long.
    if raw_agent and not (raw_agent.isascii() and raw_agent.isdigit() and len(raw_agent) <= 9):
        raise BadQuery("error.agent")
    language = query.get("language") or None
    if language is not None and language not in SUPPORTED:
        raise BadQuery("error.language", languages=", ".join(SUPPORTED))
    return kind, day, int(raw_agent) if raw_agent else None, language


async def _build(request: web.Request, query: tuple) -> Dict[str, Any]:

    kind, day, agent_id, language = query
    settings = request.app[SETTINGS]
    store, zone = request.app[DESK].store, settings.report_timezone
    calendar = SupportCalendar.from_settings(settings.support_hours, settings.support_holidays)
    # Reading a few months of conversations takes a moment: keep the chats' event loop free.
    return await asyncio.to_thread(build_report, store, kind, day, agent_id, language, zone, calendar,
                                   rules=segment_rules(settings))


def _agents(request: web.Request, report: dict) -> List[dict]:
    """The people to filter by: today's agents, plus anyone who took chats in the period."""

    agents = {user.id: user.display_name for user in request.app[DESK].store.agents()}
    for row in [*report["agents"], *report["tickets"]["agents"]]:
        agents.setdefault(row["agent_id"], row["name"])
    return [{"id": agent_id, "name": name} for agent_id, name in agents.items()]


def labels(report: dict, language: str = i18n.DEFAULT_LANGUAGE) -> Dict[str, Any]:
    """The names of the codes in this report for the page's tables (the same as the charts'), and the
    period and the one before as the reader names them, in `language`."""
    return {
        "handoff_reasons": {row["reason"]: handoff_reason_label(row["reason"], language)
                            for row in report["handoff_reasons"]},
        # The top reasons overall and those of each customer segment.
        "contact_reasons": {reason: contact_reason_label(reason, language) for reason in [
            *(row["reason"] for row in report["contact_reasons"]),
            *(item["reason"] for row in report.get("segments", []) for item in row["top_reasons"])]},
        "segments": {row["segment"]: segment_label(row["segment"], language) for row in report.get("segments", [])},
        "tags": {row["tag"]: tag_label(row["tag"], language) for row in report["resolution_tags"]},
        "languages": {code: language_label(code, language) for code in SUPPORTED},
        "ticket_categories": {row["category"]: ticket_category_label(row["category"], language)
                              for row in report["tickets"]["categories"]},
        "ticket_channels": {row["channel"]: ticket_channel_label(row["channel"], language)
                            for row in report["tickets"]["channels"]},
        "ticket_sources": {row["source"]: ticket_source_label(row["source"], language)
                           for row in report["tickets"]["sources"]},
        "period": period_label(report["period"], language),
        "previous": period_label(report["previous"], language),
    }


# --------------------------------------------------------------------------- CSV

def csv_rows(report: dict, group: str, lang: str = "tr") -> List[dict]:
    """The rows of a CSV table: the report's own, or a ticket or segment table's with its codes named in `lang`."""
    if group in CSV_GROUPS:
        return report[group]
    if group == SEGMENTS_GROUP:
        return [segment_csv_row(row, lang) for row in report["segments"]]
    rows = report["tickets"][TICKET_CSV_GROUPS[group]]
    if group not in TICKET_NAMES:
        return rows
    code, name, label = TICKET_NAMES[group]
    return [{**row, name: label(row[code], lang)} for row in rows]


def segment_csv_row(row: dict, lang: str) -> dict:
    """A segment's row with its name and its top reasons' names and contacts in their own columns."""
    named = {**row, "segment_name": segment_label(row["segment"], lang)}
    for rank, item in enumerate(row["top_reasons"], start=1):
        named[f"reason_{rank}"] = contact_reason_label(item["reason"], lang)
        named[f"reason_{rank}_contacts"] = item["contacts"]
    return named


def csv_text(rows: List[dict], group: str, lang: str = "tr") -> str:
    """One row per bucket, period, agent or language (or per ticket category, channel, source, owner,
    or customer segment): rates in % (one decimal), times in seconds, empty for none; headers,
    separator and decimal mark of `lang` (CSV_FORMATS)."""
    if group in CSV_GROUPS:
        columns = GROUP_COLUMNS[group] + TOTALS_COLUMNS
    elif group == SEGMENTS_GROUP:
        columns = SEGMENT_COLUMNS
    else:
        columns = TICKET_GROUP_COLUMNS[group] + TICKET_COLUMNS
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_FORMATS[lang]["delimiter"], lineterminator="\r\n")
    writer.writerow([headers[lang] for _, headers, _ in columns])
    for row in rows:
        writer.writerow([csv_cell(row.get(key), kind, lang) for key, _, kind in columns])
    return out.getvalue()


def csv_cell(value: Any, kind: str, lang: str = "tr") -> str:
    if value is None:
        return ""
    if kind == "rate":
        number = f"{value * 100:.1f}"
    elif kind == "seconds":
        number = f"{value:.0f}"
    elif kind == "score":
        number = f"{value:.2f}"
    elif kind == "nps":
        number = f"{value:.1f}"
    else:
        return str(value)  # counts have no decimals; texts (names, labels, dates) stay as they are
    return number.replace(".", CSV_FORMATS[lang]["decimal"])


def _error(error: BadQuery, language: str, status: int = 400) -> web.Response:
    return web.json_response({"error": error.worded(language), "code": error.code}, status=status,
                             headers={"Cache-Control": "no-store"})
