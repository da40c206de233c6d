"""The manager's dashboard: the page (/manager), its JSON (/api/reports) and CSV (/api/reports.csv).

Admins only (`authorised`: a logged-in account whose role is admin now). The app keys come from
bot/desk/keys.py, so this module never imports the app that mounts it.
"""
from __future__ import annotations

import asyncio
import csv
import io
from datetime import date
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import web

from bot.desk.auth import authorised
from bot.desk.keys import DESK, SETTINGS
from bot.desk.pages import page
from bot.language import SUPPORTED
from bot.reports.charts import charts, contact_reason_label, handoff_reason_label, language_label, tag_label
from bot.reports.html import knowledge_lines
from bot.reports.metrics import build_report
from bot.reports.periods import KINDS, local_today
from bot.reports.summary import summary_lines

ADMINS_ONLY = "Bu sayfa yalnızca yöneticiler içindir."
CSV_GROUPS = ("series", "trend", "agents", "languages")
CSV_LANGUAGES = ("tr", "en")
# How a spreadsheet in that language reads a CSV: Turkish Excel expects ";" between cells and a
# decimal comma (with "," and dots it puts a whole row in one cell and reads 75.0 as a date or
# 750); English keeps "," and dots. Both start with a UTF-8 BOM so Excel reads Turkish letters.
CSV_FORMATS = {"tr": {"delimiter": ";", "decimal": ","}, "en": {"delimiter": ",", "decimal": "."}}

# The row's own columns per group, then TOTALS in this fixed order: (key, {language: header}, format).
GROUP_COLUMNS = {
    "series": [("start", {"tr": "Başlangıç", "en": "Start"}, "text"), ("label", {"tr": "Dilim", "en": "Slice"}, "text")],
    "trend": [("start", {"tr": "Başlangıç", "en": "Start"}, "text"), ("label", {"tr": "Dönem", "en": "Period"}, "text")],
    "agents": [("agent_id", {"tr": "Temsilci no", "en": "Agent id"}, "text"),
               ("name", {"tr": "Temsilci", "en": "Agent"}, "text")],
    "languages": [("language", {"tr": "Dil", "en": "Language"}, "text")],
}
TOTALS_COLUMNS = [
    ("contacts", {"tr": "Sohbet", "en": "Contacts"}, "count"),
    ("contained", {"tr": "Asistanın çözdüğü", "en": "Contained"}, "count"),
    ("containment_rate", {"tr": "Asistanın çözdüğü (%)", "en": "Containment (%)"}, "rate"),
    ("handoffs", {"tr": "Temsilciye aktarılan", "en": "Handoffs"}, "count"),
    ("handoff_rate", {"tr": "Temsilciye aktarılan (%)", "en": "Handoff rate (%)"}, "rate"),
    ("shopper_messages", {"tr": "Müşteri mesajı", "en": "Shopper messages"}, "count"),
    ("not_understood", {"tr": "Anlaşılmayan mesaj", "en": "Not understood"}, "count"),
    ("fallback_rate", {"tr": "Anlaşılmayan mesaj (%)", "en": "Fallback rate (%)"}, "rate"),
    ("turned_into_knowledge", {"tr": "Bilgi bankasına eklenen anlaşılmayan mesaj",
                               "en": "Not understood, added to the knowledge base"}, "count"),
    ("queue_seconds", {"tr": "Kuyrukta bekleme (sn, ort.)", "en": "Time in queue (s, avg.)"}, "seconds"),
    ("first_response_seconds", {"tr": "İlk yanıt (sn, ort.)", "en": "First response (s, avg.)"}, "seconds"),
    ("handling_seconds", {"tr": "İşlem süresi (sn, ort.)", "en": "Handling time (s, avg.)"}, "seconds"),
    ("csat_count", {"tr": "CSAT yanıtı", "en": "CSAT answers"}, "count"),
    ("csat_mean", {"tr": "CSAT ortalaması (1-5)", "en": "CSAT average (1-5)"}, "score"),
    ("csat_satisfied_rate", {"tr": "Memnun (4-5) (%)", "en": "Satisfied (4-5) (%)"}, "rate"),
    ("nps_count", {"tr": "NPS yanıtı", "en": "NPS answers"}, "count"),
    ("nps", {"tr": "NPS", "en": "NPS"}, "nps"),
    ("promoters", {"tr": "Destekçi (9-10)", "en": "Promoters (9-10)"}, "count"),
    ("passives", {"tr": "Pasif (7-8)", "en": "Passives (7-8)"}, "count"),
    ("detractors", {"tr": "Kötüleyen (0-6)", "en": "Detractors (0-6)"}, "count"),
    ("repeat_contacts", {"tr": "7 günde yeniden gelen", "en": "Repeat contacts (7 days)"}, "count"),
    ("repeat_rate", {"tr": "7 günde yeniden gelen (%)", "en": "Repeat contacts (7 days) (%)"}, "rate"),
]


class BadQuery(ValueError):
    """A parameter the API cannot use; its message is shown to the manager."""


def add_routes(app: web.Application) -> None:

    app.router.add_get("/manager", page("manager/index.html"))
    app.router.add_get("/api/reports", reports_json)
    app.router.add_get("/api/reports.csv", reports_csv)


# --------------------------------------------------------------------------- handlers

async def reports_json(request: web.Request) -> web.Response:
    await authorised(request, ("admin",), refusal=ADMINS_ONLY)
    try:
        query = parse_query(request)
    except BadQuery as error:
        return _error(str(error), 400)
    report = await _build(request, query)
    return web.json_response(
        {"report": report, "charts": charts(report), "summary": summary_lines(report) + knowledge_lines(report),
         "agents": _agents(request, report), "languages": list(SUPPORTED), "labels": labels(report)},
        headers={"Cache-Control": "no-store"},
    )


async def reports_csv(request: web.Request) -> web.Response:
    await authorised(request, ("admin",), refusal=ADMINS_ONLY)
    group = request.query.get("group", "series")
    if group not in CSV_GROUPS:
        return _error("Tablo series, trend, agents ya da languages olmalı.", 400)
    # The file's language (headers, separator, decimal mark); `language` is the conversations' filter.
    lang = request.query.get("lang") or "tr"
    if lang not in CSV_LANGUAGES:
        return _error("CSV dili (lang) tr ya da en olmalı.", 400)
    try:
        query = parse_query(request)
    except BadQuery as error:
        return _error(str(error), 400)
    report = await _build(request, query)
    filename = f"kuzey-rapor-{report['period']['kind']}-{report['period']['start']}-{group}.csv"
    # The BOM makes Excel read the file as UTF-8 (Turkish letters) instead of the local code page.
    body = ("\ufeff" + csv_text(report[group], group, lang)).encode("utf-8")
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
        raise BadQuery("Dönem day (gün), week (hafta) ya da month (ay) olmalı.")
    raw_day = query.get("date")
    if raw_day:
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise BadQuery("Tarih YYYY-AA-GG biçiminde olmalı (ör. 2026-11-23).") from None
        if not 2000 <= day.year <= 2100:  # far dates would overflow the eight-period trend
            raise BadQuery("Tarih 2000 ile 2100 yılları arasında olmalı.")
    else:
        day = local_today(request.app[SETTINGS].report_timezone)
    raw_agent = query.get("agent") or ""
    # At most 9 digits: int() refuses a 4300-digit string, and no agent id is that long.
    if raw_agent and not (raw_agent.isascii() and raw_agent.isdigit() and len(raw_agent) <= 9):
        raise BadQuery("Temsilci numarası bir sayı olmalı.")
    language = query.get("language") or None
    if language is not None and language not in SUPPORTED:
        raise BadQuery("Dil " + " ya da ".join(SUPPORTED) + " olmalı.")
    return kind, day, int(raw_agent) if raw_agent else None, language


async def _build(request: web.Request, query: tuple) -> Dict[str, Any]:

    kind, day, agent_id, language = query
    store, zone = request.app[DESK].store, request.app[SETTINGS].report_timezone
    # Reading a few months of conversations takes a moment: keep the chats' event loop free.
    return await asyncio.to_thread(build_report, store, kind, day, agent_id, language, zone)


def _agents(request: web.Request, report: dict) -> List[dict]:
    """The people to filter by: today's agents, plus anyone who took chats in the period."""

    agents = {user.id: user.display_name for user in request.app[DESK].store.agents()}
    for row in report["agents"]:
        agents.setdefault(row["agent_id"], row["name"])
    return [{"id": agent_id, "name": name} for agent_id, name in agents.items()]


def labels(report: dict) -> Dict[str, Dict[str, str]]:
    """Turkish names of the codes in this report, for the page's tables (same as the charts')."""
    return {
        "handoff_reasons": {row["reason"]: handoff_reason_label(row["reason"]) for row in report["handoff_reasons"]},
        "contact_reasons": {row["reason"]: contact_reason_label(row["reason"]) for row in report["contact_reasons"]},
        "tags": {row["tag"]: tag_label(row["tag"]) for row in report["resolution_tags"]},
        "languages": {code: language_label(code) for code in SUPPORTED},
    }


# --------------------------------------------------------------------------- CSV

def csv_text(rows: List[dict], group: str, lang: str = "tr") -> str:
    """One row per bucket, period, agent or language: rates in % (one decimal), times in seconds, empty for none;
    headers, separator and decimal mark of `lang` (CSV_FORMATS)."""
    columns = GROUP_COLUMNS[group] + TOTALS_COLUMNS
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


def _error(message: str, status: int) -> web.Response:
    return web.json_response({"error": message}, status=status, headers={"Cache-Control": "no-store"})
