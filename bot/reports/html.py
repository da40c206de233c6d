"""The self-contained HTML report of `python -m bot report`: one file that opens offline.

Chart.js (widget/vendor/) and the chart configs are inlined; nothing is fetched from another
host. Every text that comes from the data (shoppers' messages, agents' names) is escaped. The
report's own words are in the `reports` domain of the text catalogue (Turkish by default); every
label, number, duration and period name is asked for in the report's language (bot/reports/charts.py).
"""
from __future__ import annotations

import json
from html import escape
from typing import Any, Dict, List, Optional

from bot import i18n
from bot.reports.charts import (age, contact_reason_label, duration, language_label, number, percent, period_label,
                                 tag_label, ticket_category_label, ticket_channel_label, ticket_source_label)
from bot.reports.segments import segment_label, top_reasons_text
from bot.settings import PROJECT_ROOT

CHART_JS = PROJECT_ROOT / "widget" / "vendor" / "chart.umd.min.js"
LANGUAGE = "tr"
KIND_TITLES = {"day": "title.day", "week": "title.week", "month": "title.month"}  # catalogue keys

# (key in TOTALS, the label's catalogue key, how to show it, the key counted beside a rate, which way is better)
KPIS = [
    ("contacts", "kpi.contacts", "count", None, None),
    ("containment_rate", "kpi.containment_rate", "rate", "contained", "up"),
    ("handoff_rate", "kpi.handoff_rate", "rate", "handoffs", "down"),
    # Sent to people, but no agent took them (not "handed to an agent").
    ("queued_then_ticketed", "kpi.queued_then_ticketed", "count", None, "down"),
    ("after_hours_tickets", "kpi.after_hours_tickets", "count", None, None),
    ("left_queue", "kpi.left_queue", "count", None, "down"),
    ("fallback_rate", "kpi.fallback_rate", "rate", "not_understood", "down"),
    ("turned_into_knowledge_rate", "kpi.turned_into_knowledge_rate", "rate", "turned_into_knowledge", "up"),
    ("queue_seconds", "kpi.queue_seconds", "seconds", None, "down"),
    ("first_response_seconds", "kpi.first_response_seconds", "seconds", None, "down"),
    ("handling_seconds", "kpi.handling_seconds", "seconds", None, None),
    ("csat_mean", "kpi.csat_mean", "score", "csat_count", "up"),
    ("csat_satisfied_rate", "kpi.csat_satisfied_rate", "rate", None, "up"),
    ("nps", "kpi.nps", "nps", "nps_count", "up"),
    ("repeat_rate", "kpi.repeat_rate", "rate", "repeat_contacts", "down"),
]
# The tickets' key figures, as KPIS (report["tickets"]["totals"]).
TICKET_KPIS = [
    ("opened", "ticket_kpi.opened", "count", None, None),
    ("resolved", "ticket_kpi.resolved", "count", None, None),
    ("sla_met_rate", "ticket_kpi.sla_met_rate", "rate", "sla_met", "up"),
    ("first_response_sla_rate", "ticket_kpi.first_response_sla_rate", "rate", None, "up"),
    ("resolution_sla_rate", "ticket_kpi.resolution_sla_rate", "rate", None, "up"),
    ("first_response_median_seconds", "ticket_kpi.first_response_median_seconds", "seconds", None, "down"),
    ("first_response_p90_seconds", "ticket_kpi.first_response_p90_seconds", "seconds", None, "down"),
    ("resolution_median_seconds", "ticket_kpi.resolution_median_seconds", "seconds", None, "down"),
    ("resolution_p90_seconds", "ticket_kpi.resolution_p90_seconds", "seconds", None, "down"),
    ("reopen_rate", "ticket_kpi.reopen_rate", "rate", "reopened", "down"),
    ("backlog", "ticket_kpi.backlog", "count", None, "down"),
    ("backlog_age_median_seconds", "ticket_kpi.backlog_age_median_seconds", "age", None, "down"),
    ("backlog_oldest_seconds", "ticket_kpi.backlog_oldest_seconds", "age", None, "down"),
    ("rating_mean", "ticket_kpi.rating_mean", "score", "ratings", "up"),
]


def _say(key: str, language: str = LANGUAGE, /, **params: Any) -> str:
    return i18n.say(f"reports:{key}", language, **params)


def render_html(report: Dict[str, Any], charts: List[Dict[str, Any]], summary: List[str],
                language: str = LANGUAGE) -> str:
    period, previous = report["period"], report["previous"]
    kind = _say(KIND_TITLES.get(period["kind"], "title.other"), language)
    title = f"Kuzey Destek · {kind} · {period_label(period, language)}"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(i18n.language_of(language))}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">{escape(_say("previous_period", language, period=period_label(previous, language)))}'
        f'{escape(_filters_text(report, language))}</p>',
        "</header>",
        "<main>",
        _summary_section(summary, language),
        _kpi_section(report, language),
        _charts_section(charts, language),
        _not_understood_section(report["not_understood"], report, language),
        _reasons_section(report["contact_reasons"], language),
        _segments_section(report.get("segments"), language),
        _tags_section(report["resolution_tags"], language),
        _agents_section(report["agents"], language),
        _tickets_section(report.get("tickets"), language),
        "</main>",
        f'<script type="application/json" id="chart-data">{_script_json(charts)}</script>',
        f"<script>{_chart_js()}</script>",
        f"<script>{DRAW}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- sections

def _filters_text(report: dict, language: str = LANGUAGE) -> str:
    filters = report.get("filters") or {}
    parts = []
    if filters.get("agent_id") is not None:
        names = {row["agent_id"]: row["name"] for row in report["agents"]}
        parts.append(_say("filter.agent", language, name=names.get(filters["agent_id"], f"#{filters['agent_id']}")))
    if filters.get("language"):
        parts.append(_say("filter.language", language, language=language_label(filters["language"], language)))
    return (" · " + _say("filter.all", language, filters=", ".join(parts))) if parts else ""


def _summary_section(summary: List[str], language: str = LANGUAGE) -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in summary) or \
        f"<li>{escape(_say('section.summary_empty', language))}</li>"
    return f'<section><h2>{escape(_say("section.summary", language))}</h2><ul class="summary">{items}</ul></section>'


def _kpi_section(report: dict, language: str = LANGUAGE) -> str:
    return (f"<section><h2>{escape(_say('section.kpis', language))}</h2>"
            f"{_kpi_table(report['totals'], report['previous_totals'], KPIS, language)}</section>")


def _kpi_table(this: dict, before: dict, kpis: list, language: str = LANGUAGE) -> str:
    """Each figure of `kpis` in this period and the one before, and the change."""
    rows = []
    for key, label, kind, count_key, better in kpis:
        change, direction = _change(this.get(key), before.get(key), kind, better, language)
        rows.append(
            f"<tr><th scope=\"row\">{escape(_say(label, language))}</th>"
            f"<td>{escape(kpi_value(this, key, kind, count_key, language))}</td>"
            f"<td>{escape(kpi_value(before, key, kind, count_key, language))}</td>"
            f'<td class="{direction}">{escape(change)}</td></tr>'
        )
    head = "".join(f'<th scope="col">{escape(_say(key, language))}</th>'
                   for key in ("column.indicator", "column.this", "column.before", "column.change"))
    return f'<table class="kpis"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _tickets_section(tickets: Optional[dict], language: str = LANGUAGE) -> str:
    """The tickets: key figures against the period before, then by category, by channel and source,
    and by owner. Times in support hours; the age of open tickets in calendar time."""
    title = f'<h2>{escape(_say("section.tickets", language))}</h2>'
    this, before = (tickets or {}).get("totals"), (tickets or {}).get("previous_totals")
    if not tickets or not any(totals[key] for totals in (this, before)
                              for key in ("opened", "resolved", "backlog", "sla_targets")):
        return f'<section>{title}<p class="muted">{escape(_say("section.tickets_empty", language))}</p></section>'
    note = f'<p class="muted">{escape(_say("section.tickets_note", language))}</p>'
    categories = [(ticket_category_label(row["category"], language), number(row["opened"], language=language),
                   number(row["previous_opened"], language=language), number(row["resolved"], language=language),
                   percent(row["sla_met_rate"], language=language),
                   duration(row["first_response_median_seconds"], language),
                   duration(row["resolution_median_seconds"], language), number(row["backlog"], language=language))
                  for row in tickets["categories"]]
    channels = [(label, number(row["opened"], language=language), number(row["resolved"], language=language),
                 percent(row["sla_met_rate"], language=language))
                for label, row in [*((ticket_channel_label(r["channel"], language), r) for r in tickets["channels"]),
                                   *((ticket_source_label(r["source"], language), r) for r in tickets["sources"])]]
    agents = [(row["name"], number(row["resolved"], language=language),
               duration(row["first_response_median_seconds"], language), percent(row["sla_met_rate"], language=language),
               kpi_value(row, "rating_mean", "score", "ratings", language), number(row["backlog"], language=language))
              for row in tickets["agents"]]
    sub = [_table_section("section.ticket_categories", ["column.category", "column.opened", "column.previous_opened",
                                                         "column.resolved", "column.sla_met",
                                                         "column.ticket_first_response", "column.ticket_resolution",
                                                         "column.backlog"], categories, "section.tickets_empty", language,
                          level=3),
           _table_section("section.ticket_channels", ["column.channel", "column.opened", "column.resolved",
                                                       "column.sla_met"], channels, "section.tickets_empty", language,
                          level=3),
           _table_section("section.ticket_agents", ["column.agent", "column.resolved", "column.ticket_first_response",
                                                     "column.sla_met", "column.rating", "column.backlog"], agents,
                          "section.tickets_empty", language, level=3)]
    return (f'<section class="tickets">{title}{note}{_kpi_table(this, before, TICKET_KPIS, language)}'
            f'{"".join(sub)}</section>')


def _charts_section(charts: List[dict], language: str = LANGUAGE) -> str:
    figures = []
    for chart in charts:
        chart_id = escape(chart["id"])
        if chart.get("empty"):
            body = f'<p class="muted">{escape(chart["summary"])}</p>'
        else:
            body = (f'<div class="canvas-box"><canvas id="chart-{chart_id}" role="img" '
                    f'aria-label="{escape(chart["title"] + ": " + chart["summary"])}"></canvas></div>'
                    f'<figcaption>{escape(chart["summary"])}</figcaption>')
        figures.append(f'<figure class="chart"><h3>{escape(chart["title"])}</h3>{body}</figure>')
    return (f'<section><h2>{escape(_say("section.charts", language))}</h2>'
            f'<div class="charts">{"".join(figures)}</div></section>')


def _not_understood_section(groups: List[dict], report: Optional[dict] = None, language: str = LANGUAGE) -> str:
    rows = [(group["text"], number(group["count"], language=language), " · ".join(group.get("examples") or []))
            for group in groups]
    section = _table_section("section.not_understood", ["column.message", "column.count", "column.examples"], rows,
                             "section.not_understood_empty", language)
    lines = knowledge_lines(report, language) if report else []
    if not lines:
        return section
    text = "".join(f'<p class="muted">{escape(line)}</p>' for line in lines)
    return section.replace("</h2>", "</h2>" + text, 1)


def knowledge_lines(report: dict, language: str = LANGUAGE) -> List[str]:
    """What became of what the assistant did not understand: how many messages came in, how many
    editors turned into knowledge (a question of a topic, or a new topic), and the inbox's work."""
    now, work = report["totals"], report.get("knowledge") or {}
    lines = []
    if now.get("not_understood"):
        lines.append(_say("knowledge.turned", language, count=now["not_understood"],
                          turned=now.get("turned_into_knowledge", 0)))
    if work.get("turned_into_knowledge") or work.get("dismissed") or work.get("agent_marks"):
        lines.append(_say("knowledge.work", language, turned=work.get("turned_into_knowledge", 0),
                          dismissed=work.get("dismissed", 0), marks=work.get("agent_marks", 0)))
    return lines


def _reasons_section(reasons: List[dict], language: str = LANGUAGE) -> str:
    rows = [(contact_reason_label(row["reason"], language), number(row["count"], language=language)) for row in reasons]
    return _table_section("section.reasons", ["column.reason", "column.contacts"], rows, "section.reasons_empty",
                          language)


def _segments_section(segments: Optional[List[dict]], language: str = LANGUAGE) -> str:
    """The contacts by the customer's segments when each began (a customer may be in several)."""
    rows = [(segment_label(row["segment"], language), number(row["contacts"], language=language),
             kpi_value(row, "csat_mean", "score", "csat_responses", language),
             percent(row["handoff_rate"], language=language), top_reasons_text(row, language))
            for row in segments or []] if any(row["contacts"] for row in segments or []) else []
    section = _table_section("section.segments", ["column.segment", "column.contacts", "column.csat",
                                                  "column.handed_to_agent", "column.top_reasons"], rows,
                             "section.segments_empty", language)
    section = section.replace("<section>", '<section class="segments">', 1)
    if not rows:
        return section
    note = f'<p class="muted">{escape(_say("section.segments_note", language))}</p>'
    return section.replace("</h2>", "</h2>" + note, 1)


def _tags_section(tags: List[dict], language: str = LANGUAGE) -> str:
    rows = [(tag_label(row["tag"], language), number(row["count"], language=language)) for row in tags]
    return _table_section("section.tags", ["column.tag", "column.count"], rows, "section.tags_empty", language)


def _agents_section(agents: List[dict], language: str = LANGUAGE) -> str:
    rows = [(row["name"], number(row["handoffs"], language=language), duration(row["queue_seconds"], language),
             duration(row["first_response_seconds"], language), duration(row["handling_seconds"], language),
             kpi_value(row, "csat_mean", "score", "csat_count", language)) for row in agents]
    headers = ["column.agent", "column.handoffs", "column.queue", "column.first_response", "column.handling",
               "column.csat"]
    return _table_section("section.agents", headers, rows, "section.agents_empty", language)


def _table_section(title_key: str, header_keys: List[str], rows: List[tuple], empty_key: str,
                   language: str = LANGUAGE, level: int = 2) -> str:
    """A titled table, or the title and why it is empty; the three texts are catalogue keys. `level`
    3 makes it a part of a section (h3)."""
    title, headers, empty = _say(title_key, language), [_say(k, language) for k in header_keys], _say(empty_key, language)
    opening = f"<section><h2>{escape(title)}</h2>" if level == 2 else \
        f'<section class="sub"><h3>{escape(title)}</h3>'
    if not rows:
        return f'{opening}<p class="muted">{escape(empty)}</p></section>'
    head = "".join(f'<th scope="col">{escape(header)}</th>' for header in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    return f"{opening}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>"


# --------------------------------------------------------------------------- figures

def kpi_value(totals: dict, key: str, kind: str, count_key: Optional[str] = None, language: str = LANGUAGE) -> str:
    value = totals.get(key)
    if kind == "rate":
        text = percent(value, language=language)
    elif kind == "seconds":
        text = duration(value, language)
    elif kind == "age":
        text = age(value, language)
    elif kind == "score":
        text = number(value, 2, language)
    elif kind == "nps":
        text = _signed(value, 0, language)
    else:
        text = number(value, language=language)
    if count_key and value is not None:
        text += f" ({number(totals.get(count_key), language=language)})"
    return text


def _change(now: Optional[float], before: Optional[float], kind: str, better: Optional[str],
            language: str = LANGUAGE) -> tuple:
    """The change as text ("+3,2 puan") and "better"/"worse"/"same" for its colour."""
    if now is None or before is None:
        return "—", "same"
    delta = now - before
    if kind == "rate":
        text = _say("change.rate_points", language, value=_signed(delta * 100, 1, language))
    elif kind in ("seconds", "age"):
        shown = duration if kind == "seconds" else age
        text = ("+" if delta > 0 else "−" if delta < 0 else "") + shown(abs(delta), language)
    elif kind == "score":
        text = _signed(delta, 2, language)
    else:
        text = _signed(delta, 0 if kind == "count" else 1, language)
    if better is None or abs(delta) < 1e-9:
        return text, "same"
    return text, "better" if (delta > 0) == (better == "up") else "worse"


def _signed(value: Optional[float], digits: int, language: str = LANGUAGE) -> str:
    if value is None:
        return "—"
    if round(value, digits) == 0:
        return number(0, digits, language)
    return ("+" if value > 0 else "−") + number(abs(value), digits, language)


def _script_json(value: Any) -> str:
    """JSON safe inside <script>: no `</script>`, `<!--` or `]]>` can appear in it."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _chart_js() -> str:
    source = CHART_JS.read_text(encoding="utf-8")
    # The minified library has no "</script"; guard anyway, a newer copy must not end our tag.
    return source.replace("</script", "<\\/script")


# --------------------------------------------------------------------------- page assets

DRAW = """
(function () {
  'use strict';
  var charts = JSON.parse(document.getElementById('chart-data').textContent);
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif';
  var drawn = [];
  charts.forEach(function (chart) {
    var canvas = document.getElementById('chart-' + chart.id);
    if (canvas && !chart.empty) drawn.push(new Chart(canvas, chart.config));
  });
  // Printing changes the page width: redraw the charts to fit it.
  window.addEventListener('beforeprint', function () { drawn.forEach(function (c) { c.resize(); }); });
})();
"""

STYLE = """
:root { --text: #1f2937; --muted: #5b6472; --line: #d6dbe3; --navy: #0f2742; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; color: var(--text);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; }
h1 { margin: 0 0 4px; font-size: 22px; color: var(--navy); }
h2 { margin: 28px 0 10px; font-size: 17px; color: var(--navy); border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { margin: 0 0 8px; font-size: 14px; }
.sub h3 { margin: 18px 0 8px; font-size: 15px; color: var(--navy); }
.muted { color: var(--muted); }
.summary li { margin: 4px 0; }
table { width: 100%; border-collapse: collapse; }
th, td { padding: 6px 8px; text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); }
thead th { background: #f3f5f8; }
td { overflow-wrap: anywhere; }
.kpis td:not(:first-child) { white-space: nowrap; }
.better { color: #15803d; font-weight: 600; }
.worse { color: #b91c1c; font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
.chart { min-width: 0; margin: 0; padding: 12px; border: 1px solid var(--line); border-radius: 8px; break-inside: avoid; }
.canvas-box { position: relative; height: 280px; }
figcaption { margin-top: 6px; font-size: 12px; color: var(--muted); }
@media (max-width: 600px) { body { padding: 12px; } .charts { grid-template-columns: 1fr; } }
@media print {
  body { max-width: none; padding: 0; font-size: 12px; }
  .charts { grid-template-columns: 1fr 1fr; }
  tr { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""
