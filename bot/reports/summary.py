"""A short plain-language summary of a report (Turkish by default): what happened and what changed
since the period before. The sentences are in the `reports` domain of the text catalogue
(locale/<language>/LC_MESSAGES/reports.po); the figures' own formats and labels (percentages,
durations, reasons, the period's name) come from bot/reports/charts.py, each asked for in the
summary's language.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from bot import i18n
from bot.reports.charts import age, contact_reason_label, duration, handoff_reason_label, number, period_label
from bot.reports.charts import percent as charts_percent
from bot.reports.charts import ticket_subject
from bot.reports.segments import segment_lines
from bot.reports.tickets import grown_categories
from bot.text import turkish_lower

LANGUAGE = "tr"
# How the period and the one before are named in a sentence: "16–22 Kasım 2026 haftasında ... (önceki hafta 2)".
PERIOD_NAMES = {"day": ("reports:period.day.this", "reports:period.day.last"),
                "week": ("reports:period.week.this", "reports:period.week.last"),
                "month": ("reports:period.month.this", "reports:period.month.last")}
COMPARED = {"day": "tickets.compared.day", "week": "tickets.compared.week", "month": "tickets.compared.month"}
GROWN_SHOWN = 3  # categories named in the summary at most

# The last word of a number read aloud in Turkish decides its case ending ("7'den", "12'ye"):
# (from: ablative, to: dative) of the ones and of the tens.
_ONES = {1: ("den", "e"), 2: ("den", "ye"), 3: ("ten", "e"), 4: ("ten", "e"), 5: ("ten", "e"), 6: ("dan", "ya"),
         7: ("den", "ye"), 8: ("den", "e"), 9: ("dan", "a")}
_TENS = {10: ("dan", "a"), 20: ("den", "ye"), 30: ("dan", "a"), 40: ("tan", "a"), 50: ("den", "ye"),
         60: ("tan", "a"), 70: ("ten", "e"), 80: ("den", "e"), 90: ("dan", "a")}


def _say(key: str, language: str, /, **params: Any) -> str:
    return i18n.say(f"reports:{key}", language, **params)


def _aside(key: str, language: str, /, **params: Any) -> str:
    """A bracketed remark after a figure, with the space before it."""
    return " " + _say(key, language, **params)


def percent(value: Optional[float], language: str = LANGUAGE) -> str:
    """Whole percentages in sentences ("%40", "40%"); the tables show one decimal."""
    return charts_percent(value, 0, language)


def change_in_points(now: Optional[float], before: Optional[float], better_when_higher: bool = True,
                     language: str = LANGUAGE) -> str:
    """"(geçen dönem %60; 5 puan iyileşme)" for rates."""
    if now is None or before is None:
        return ""
    points = round((now - before) * 100)
    if points == 0:
        return _aside("change.points_same", language, before=percent(before, language))
    improved = (points > 0) == better_when_higher
    return _aside("change.points_better" if improved else "change.points_worse", language,
                  before=percent(before, language), points=abs(points))


def summary_lines(report: Dict[str, Any], language: str = LANGUAGE) -> List[str]:
    """The summary's sentences in `language`: every figure and label in it is asked for in that language."""
    now, before = report["totals"], report["previous_totals"]
    this_key, last_key = PERIOD_NAMES[report["period"]["kind"]]
    this = i18n.say(this_key, language, label=period_label(report["period"], language))
    last = i18n.say(last_key, language)
    if not now["contacts"]:
        if before["contacts"]:
            return [_say("summary.no_chats_before", language, this=this, last=last, before=before["contacts"]),
                    *ticket_lines(report, language)]
        return [_say("summary.no_chats", language, this=this), *ticket_lines(report, language)]
    lines = [_say("summary.chats", language, this=this, count=now["contacts"],
                  change=count_change(now["contacts"], before["contacts"], last, language))]
    lines.append(_say("summary.containment", language, rate=percent(now["containment_rate"], language),
                      change=change_in_points(now["containment_rate"], before["containment_rate"], language=language)))
    lines += handoff_lines(report, language)
    if now["handoffs"]:
        if now["first_response_seconds"] is not None:
            lines.append(_say("summary.first_response", language,
                              duration=duration(now["first_response_seconds"], language),
                              change=time_change(now["first_response_seconds"], before["first_response_seconds"],
                                                 language)))
    if now["fallback_rate"] is not None:
        lines.append(_say("summary.fallback", language, rate=percent(now["fallback_rate"], language),
                          change=change_in_points(now["fallback_rate"], before["fallback_rate"],
                                                  better_when_higher=False, language=language)))
    if now["csat_count"]:
        change = _aside("change.before", language, before=decimal(before["csat_mean"], language)) \
            if before["csat_mean"] is not None else ""
        lines.append(_say("summary.csat", language, count=now["csat_count"], mean=decimal(now["csat_mean"], language),
                          change=change))
        lines += segment_lines(report, language)  # a customer segment far from that mean, if any
    if now["nps_count"]:
        change = _aside("change.before", language, before=f"{before['nps']:+.0f}") if before["nps"] is not None else ""
        lines.append(_say("summary.nps", language, count=now["nps_count"], nps=f"{now['nps']:+.0f}", change=change))
    lines += ticket_lines(report, language)
    contact_reasons = report.get("contact_reasons") or []
    if contact_reasons:
        lines.append(_say("summary.top_topic", language,
                          topic=contact_reason_label(contact_reasons[0]["reason"], language),
                          count=contact_reasons[0]["count"]))
    return lines


def handoff_lines(report: Dict[str, Any], language: str = LANGUAGE) -> List[str]:
    """Chats sent to people. When every one reached an agent, one sentence says so; otherwise the
    chats sent to people, then what became of them: reached an agent, became a ticket after the
    queue or outside support hours, left the queue (an after-hours ticket never "reached an agent")."""
    now = report["totals"]
    live = now["handoffs"]
    queued, after_hours, left = (now.get(key, 0) for key in ("queued_then_ticketed", "after_hours_tickets", "left_queue"))
    sent = live + queued + after_hours + left
    if not sent:
        return []
    reasons = report.get("handoff_reasons") or []
    label = handoff_reason_label(reasons[0]["reason"], language) if reasons else None
    reason = (turkish_lower(label) if language == "tr" else label.lower()) if label else None
    live_rate = percent(now["handoff_rate"], language)
    if sent == live:
        if reason:
            return [_say("summary.handoffs_top", language, count=live, rate=live_rate, reason=reason)]
        return [_say("summary.handoffs", language, count=live, rate=live_rate)]
    sent_rate = percent(sent / now["contacts"] if now["contacts"] else None, language)
    first = (_say("summary.escalations_top", language, count=sent, rate=sent_rate, reason=reason) if reason
             else _say("summary.escalations", language, count=sent, rate=sent_rate))
    return [first, _say("summary.escalation_outcomes", language, live=number(live, language=language), rate=live_rate,
                        queued=number(queued, language=language), after_hours=number(after_hours, language=language),
                        left=number(left, language=language))]


def ticket_lines(report: Dict[str, Any], language: str = LANGUAGE) -> List[str]:
    """The tickets: opened and resolved with the SLA kept, the times in support hours, the
    categories opened more often than in the period before, and what was open at the end."""
    section = report.get("tickets")
    if not section:
        return []
    now, before = section["totals"], section["previous_totals"]
    lines = []
    if now["opened"] or now["resolved"]:
        if now["sla_met_rate"] is not None:
            lines.append(_say("summary.tickets_sla", language, count=now["opened"], resolved=now["resolved"],
                              rate=percent(now["sla_met_rate"], language),
                              change=change_in_points(now["sla_met_rate"], before["sla_met_rate"], language=language)))
        else:
            lines.append(_say("summary.tickets", language, count=now["opened"], resolved=now["resolved"]))
    if now["first_response_median_seconds"] is not None or now["resolution_median_seconds"] is not None:
        lines.append(_say("summary.ticket_times", language, first=duration(now["first_response_median_seconds"], language),
                          resolution=duration(now["resolution_median_seconds"], language)))
    compared = _say(COMPARED[report["period"]["kind"]], language)
    for row in grown_categories(section["categories"])[:GROWN_SHOWN]:
        lines.append(_say("summary.ticket_grew", language, subject=ticket_subject(row["category"], language),
                          compared=compared, before=from_count(row["previous_opened"], language),
                          now=to_count(row["opened"], language)))
    if now["backlog"]:
        # A period still running has no end yet: its backlog is the one open now.
        lines.append(_say("summary.ticket_backlog_now" if section.get("running") else "summary.ticket_backlog",
                          language, count=now["backlog"], oldest=age(now["backlog_oldest_seconds"], language)))
    return lines


def _turkish_endings(count: int) -> tuple:
    """(ablative, dative) endings of a whole number as Turkish reads it: 7 -> ("den", "ye"), by its
    last word read aloud: the ones, else the tens, else yüz, bin, milyon or milyar."""
    count = abs(int(count))
    if count == 0:
        return "dan", "a"  # sıfır
    if count % 10:
        return _ONES[count % 10]
    if count % 100:
        return _TENS[count % 100]
    if count % 1000 or count % 10 ** 6:
        return "den", "e"  # yüz, bin
    return "dan", "a"  # milyon, milyar


def from_count(count: int, language: str = LANGUAGE) -> str:
    """A count as the start of a change: "7'den" in Turkish, "7" in English."""
    text = number(count, language=language)
    return f"{text}'{_turkish_endings(count)[0]}" if language == "tr" else text


def to_count(count: int, language: str = LANGUAGE) -> str:
    """A count as the end of a change: "12'ye" in Turkish, "12" in English."""
    text = number(count, language=language)
    return f"{text}'{_turkish_endings(count)[1]}" if language == "tr" else text


def count_change(now: int, before: int, last: str, language: str = LANGUAGE) -> str:
    if not before:
        return ""
    change = round((now - before) / before * 100)
    if change == 0:
        return _aside("change.count_same", language, last=last)
    return _aside("change.count_up" if change > 0 else "change.count_down", language, last=last, before=before,
                  percent=abs(change))


def time_change(now: Optional[float], before: Optional[float], language: str = LANGUAGE) -> str:
    if now is None or before is None or round(now) == round(before):
        return ""
    return _aside("change.faster" if now < before else "change.slower", language, before=duration(before, language))


def decimal(value: Optional[float], language: str = LANGUAGE) -> str:
    return number(value, 1, language)
