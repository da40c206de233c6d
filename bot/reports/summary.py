"""A short plain-language summary of a report (Turkish by default): what happened and what changed
since the period before. The sentences are in the `reports` domain of the text catalogue
(locale/<language>/LC_MESSAGES/reports.po); the figures' own formats and labels (percentages,
durations, reasons, the period's name) come from bot/reports/charts.py, each asked for in the
summary's language.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from bot import i18n
from bot.reports.charts import contact_reason_label, duration, handoff_reason_label, number, period_label
from bot.reports.charts import percent as charts_percent
from bot.text import turkish_lower

LANGUAGE = "tr"
# How the period and the one before are named in a sentence: "16–22 Kasım 2026 haftasında ... (önceki hafta 2)".
PERIOD_NAMES = {"day": ("reports:period.day.this", "reports:period.day.last"),
                "week": ("reports:period.week.this", "reports:period.week.last"),
                "month": ("reports:period.month.this", "reports:period.month.last")}


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
            return [_say("summary.no_chats_before", language, this=this, last=last, before=before["contacts"])]
        return [_say("summary.no_chats", language, this=this)]
    lines = [_say("summary.chats", language, this=this, count=now["contacts"],
                  change=count_change(now["contacts"], before["contacts"], last, language))]
    lines.append(_say("summary.containment", language, rate=percent(now["containment_rate"], language),
                      change=change_in_points(now["containment_rate"], before["containment_rate"], language=language)))
    if now["handoffs"]:
        reasons = report.get("handoff_reasons") or []
        rate = percent(now["handoff_rate"], language)
        if reasons:
            label = handoff_reason_label(reasons[0]["reason"], language)
            lines.append(_say("summary.handoffs_top", language, count=now["handoffs"], rate=rate,
                              reason=turkish_lower(label) if language == "tr" else label.lower()))
        else:
            lines.append(_say("summary.handoffs", language, count=now["handoffs"], rate=rate))
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
    if now["nps_count"]:
        change = _aside("change.before", language, before=f"{before['nps']:+.0f}") if before["nps"] is not None else ""
        lines.append(_say("summary.nps", language, count=now["nps_count"], nps=f"{now['nps']:+.0f}", change=change))
    contact_reasons = report.get("contact_reasons") or []
    if contact_reasons:
        lines.append(_say("summary.top_topic", language,
                          topic=contact_reason_label(contact_reasons[0]["reason"], language),
                          count=contact_reasons[0]["count"]))
    return lines


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
