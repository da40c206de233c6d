"""A short plain-Turkish summary of a report: what happened and what changed since the period before."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from bot.reports.charts import contact_reason_label, duration, handoff_reason_label, number
from bot.reports.charts import percent as charts_percent

# How the period and the one before are named in a sentence: "16–22 Kasım 2026 haftasında ... (önceki hafta 2)".
PERIOD_NAMES = {"day": ("gününde", "önceki gün"), "week": ("haftasında", "önceki hafta"), "month": ("ayında", "önceki ay")}


def percent(value: Optional[float]) -> str:
    """Whole percentages in sentences ("%40"); the tables show one decimal."""
    return charts_percent(value, 0)


def change_in_points(now: Optional[float], before: Optional[float], better_when_higher: bool = True) -> str:
    """"(geçen dönem %60; 5 puan iyileşme)" for rates."""
    if now is None or before is None:
        return ""
    points = round((now - before) * 100)
    if points == 0:
        return f" (öncekiyle aynı: {percent(before)})"
    improved = (points > 0) == better_when_higher
    return f" (önceki {percent(before)}; {abs(points)} puan {'iyileşme' if improved else 'kötüleşme'})"


def summary_lines(report: Dict[str, Any]) -> List[str]:
    now, before = report["totals"], report["previous_totals"]
    within, last = PERIOD_NAMES[report["period"]["kind"]]
    this = f"{report['period']['label']} {within}"
    if not now["contacts"]:
        return [f"{this} hiç sohbet olmadı" + (f"; {last} {before['contacts']} sohbet vardı." if before["contacts"] else ".")]
    lines = [f"{this} {now['contacts']} sohbet oldu" + count_change(now["contacts"], before["contacts"], last) + "."]
    lines.append(f"Asistan sohbetlerin {percent(now['containment_rate'])} kadarını bir temsilciye gerek kalmadan çözdü"
                 + change_in_points(now["containment_rate"], before["containment_rate"]) + ".")
    if now["handoffs"]:
        reasons = report.get("handoff_reasons") or []
        top = f"; en sık neden: {handoff_reason_label(reasons[0]['reason']).lower()}" if reasons else ""
        lines.append(f"{now['handoffs']} sohbet bir temsilciye aktarıldı ({percent(now['handoff_rate'])}){top}.")
        if now["first_response_seconds"] is not None:
            lines.append(f"Temsilcinin ilk yanıtı ortalama {duration(now['first_response_seconds'])} sürdü"
                         + time_change(now["first_response_seconds"], before["first_response_seconds"]) + ".")
    if now["fallback_rate"] is not None:
        lines.append(f"Asistan müşteri mesajlarının {percent(now['fallback_rate'])} kadarını anlayamadı"
                     + change_in_points(now["fallback_rate"], before["fallback_rate"], better_when_higher=False) + ".")
    if now["csat_count"]:
        lines.append(f"Memnuniyet (CSAT) {now['csat_count']} yanıtla ortalama {decimal(now['csat_mean'])}/5"
                     + (f" (önceki {decimal(before['csat_mean'])})" if before["csat_mean"] is not None else "") + ".")
    if now["nps_count"]:
        lines.append(f"NPS {now['nps_count']} yanıtla {now['nps']:+.0f}"
                     + (f" (önceki {before['nps']:+.0f})" if before["nps"] is not None else "") + ".")
    contact_reasons = report.get("contact_reasons") or []
    if contact_reasons:
        lines.append(f"En sık konu: {contact_reason_label(contact_reasons[0]['reason'])} ({contact_reasons[0]['count']} sohbet).")
    return lines


def count_change(now: int, before: int, last: str) -> str:
    if not before:
        return ""
    change = round((now - before) / before * 100)
    if change == 0:
        return f" ({last} ile aynı)"
    return f" ({last} {before}; %{abs(change)} {'artış' if change > 0 else 'azalış'})"


def time_change(now: Optional[float], before: Optional[float]) -> str:
    if now is None or before is None or round(now) == round(before):
        return ""
    return f" (önceki {duration(before)}; {'daha hızlı' if now < before else 'daha yavaş'})"


def decimal(value: Optional[float]) -> str:
    return number(value, 1)
