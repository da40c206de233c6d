"""Chart.js configurations of a report (the dict of bot/reports/metrics.py, docs/reports.md).

`charts(report)` feeds both the dashboard (/manager, through /api/reports) and the HTML report
(`python -m bot report`), so both show the same charts. Configs are plain JSON (no JS
callbacks) so that they can travel through the API and be inlined into a file. Also the
Turkish labels and number formats that the HTML report and the CSV share.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Iterable, List, Optional

import yaml

from bot.settings import PROJECT_ROOT
from bot.text import turkish_lower

FAQ_DIR = PROJECT_ROOT / "data" / "faq"
DESK_CONFIG = PROJECT_ROOT / "data" / "desk.yml"

COLORS = {"green": "#15803d", "amber": "#d97706", "grey": "#94a3b8", "blue": "#1d4ed8", "red": "#b91c1c",
          "purple": "#7c3aed", "teal": "#0f766e", "pink": "#be185d", "navy": "#0f2742"}
PALETTE = ["#1d4ed8", "#d97706", "#15803d", "#b91c1c", "#7c3aed", "#0f766e", "#be185d", "#64748b",
           "#ca8a04", "#0369a1"]

HANDOFF_REASONS = {
    "requested": "Müşteri temsilci istedi",
    "frustration": "Müşteri sinirliydi",
    "repeated_fallback": "Asistan üst üste anlamadı",
    "assistant_failed": "Asistan hata verdi",
    "assistant_unavailable": "Asistana ulaşılamadı",
    "verification_locked": "Doğrulama kilitlendi",
    "store_unavailable": "Mağaza sistemine ulaşılamadı",
    "transfer": "Aktarıldı",
}

INTENTS = {
    "greet": "Selamlaşma", "goodbye": "Vedalaşma", "thank": "Teşekkür", "affirm": "Onay", "deny": "Ret",
    "bot_challenge": "Bot musun sorusu", "order_status": "Sipariş durumu", "cancel_order": "Sipariş iptali",
    "return_request": "İade talebi", "return_status": "İade durumu", "complaint": "Şikâyet",
    "request_human": "Temsilci isteği", "inform": "Bilgi verdi (sipariş no, e-posta…)", "stop": "Vazgeçti",
    "out_of_scope": "Kapsam dışı soru", "nlu_fallback": "Anlaşılmadı", "bot_misunderstood": "Asistan anlamadı dedi",
}

LANGUAGES = {"tr": "Türkçe", "en": "İngilizce"}
PERIOD_WORDS = {"day": "gün", "week": "hafta", "month": "ay"}
BUCKET_WORDS = {"day": "saat saat", "week": "gün gün", "month": "gün gün"}


# --------------------------------------------------------------------------- labels

@functools.lru_cache(maxsize=None)
def _faq_titles() -> Dict[str, str]:
    """Knowledge-base topic → its Turkish title, from the editors' files (new topics get theirs)."""
    titles = {}
    for path in sorted(FAQ_DIR.glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            title = (data.get("title") or {}).get("tr")
        except (OSError, yaml.YAMLError, AttributeError):
            continue  # kb-check reports broken files; a report must still render
        if isinstance(title, str) and title:
            titles[path.stem] = turkish_lower(title[0]) + title[1:]
    return titles


@functools.lru_cache(maxsize=None)
def _tag_labels() -> Dict[str, str]:
    try:
        tags = (yaml.safe_load(DESK_CONFIG.read_text(encoding="utf-8")) or {}).get("tags") or []
        return {tag["key"]: tag["label"]["tr"] for tag in tags}
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return {}


def handoff_reason_label(reason: str) -> str:
    return HANDOFF_REASONS.get(reason, reason)


def contact_reason_label(reason: str) -> str:
    """`faq/shipping_cost` → "SSS: kargo ücreti", `order_status` → "Sipariş durumu"; unknown ones as is."""
    if reason.startswith("faq/"):
        topic = reason[4:]
        return "SSS: " + _faq_titles().get(topic, topic)
    return INTENTS.get(reason, reason)


def tag_label(tag: str) -> str:
    return _tag_labels().get(tag, tag)


def language_label(language: str) -> str:
    return LANGUAGES.get(language, language)


# --------------------------------------------------------------------------- Turkish number formats

def number(value: Optional[float], digits: int = 0) -> str:
    """12345.6 → "12.345,6" (Turkish separators); None → "—"."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def percent(rate: Optional[float], digits: int = 1) -> str:
    """0.425 → "%42,5" (Turkish puts the sign first)."""
    return "—" if rate is None else "%" + number(rate * 100, digits)


def duration(seconds: Optional[float]) -> str:
    """95 → "1 dk 35 sn"; 3700 → "1 sa 2 dk"."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} sn"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} dk {seconds} sn" if seconds else f"{minutes} dk"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} sa {minutes} dk" if minutes else f"{hours} sa"


# --------------------------------------------------------------------------- charts

def charts(report: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The report's charts, in the order the dashboard and the HTML report show them.

    Each is {"id", "title", "config", "summary", "empty"}: a Chart.js config, a one-sentence Turkish
    description (aria-label and text alternative), and whether there is anything to draw.
    """
    builders = [contacts_chart, rates_chart, satisfaction_chart, handoff_reasons_chart, contact_reasons_chart,
                agents_chart, resolution_tags_chart, languages_chart]
    return [builder(report) for builder in builders]


def contacts_chart(report: dict) -> dict:
    series = report["series"]
    kind = report["period"]["kind"]
    total = report["totals"]["contacts"]
    busiest = max(series, key=lambda row: row["contacts"], default=None)
    summary = f"Toplam {number(total)} sohbet"
    if busiest and busiest["contacts"]:
        summary += f"; en yoğun: {busiest['label']} ({number(busiest['contacts'])})"
    return _chart(
        "contacts", f"Sohbetler ({BUCKET_WORDS.get(kind, '')})", summary + ".", total == 0,
        _stacked_bar([row["label"] for row in series], series, "Sohbet"),
    )


def rates_chart(report: dict) -> dict:
    trend = report["trend"]
    this = report["totals"]
    datasets = [
        _line("Asistanın çözdüğü (%)", [_pct(row["containment_rate"]) for row in trend], COLORS["green"]),
        _line("Temsilciye aktarılan (%)", [_pct(row["handoff_rate"]) for row in trend], COLORS["amber"]),
        _line("Anlaşılmayan mesaj (%)", [_pct(row["fallback_rate"]) for row in trend], COLORS["red"]),
    ]
    summary = (f"Bu dönemde: çözüm {percent(this['containment_rate'])}, "
               f"aktarma {percent(this['handoff_rate'])}, anlaşılmayan mesaj {percent(this['fallback_rate'])}.")
    options = _options(y={"min": 0, "max": 100, "title": {"display": True, "text": "%"}})
    empty = all(row["contacts"] == 0 and row["shopper_messages"] == 0 for row in trend)
    return _chart("rates", f"Çözüm, aktarma ve anlamama oranları ({_trend_span(report)})", summary, empty,
                  {"type": "line", "data": {"labels": [row["label"] for row in trend], "datasets": datasets},
                   "options": options})


def satisfaction_chart(report: dict) -> dict:
    trend = report["trend"]
    this = report["totals"]
    csat = _line("CSAT ortalaması (1–5)", [_round(row["csat_mean"], 2) for row in trend], COLORS["blue"])
    nps = _line("NPS (−100…100)", [_round(row["nps"], 1) for row in trend], COLORS["purple"])
    nps["yAxisID"] = "y1"
    nps["borderDash"] = [6, 4]
    options = _options(
        y={"min": 1, "max": 5, "title": {"display": True, "text": "CSAT"}},
        y1={"min": -100, "max": 100, "position": "right", "grid": {"drawOnChartArea": False},
            "title": {"display": True, "text": "NPS"}},
    )
    summary = (f"Bu dönemde: CSAT {number(this['csat_mean'], 2)} ({number(this['csat_count'])} yanıt), "
               f"NPS {_signed(this['nps'])} ({number(this['nps_count'])} yanıt).")
    empty = all(row["csat_count"] == 0 and row["nps_count"] == 0 for row in trend)
    return _chart("satisfaction", f"Memnuniyet: CSAT ve NPS ({_trend_span(report)})", summary, empty,
                  {"type": "line", "data": {"labels": [row["label"] for row in trend], "datasets": [csat, nps]},
                   "options": options})


def handoff_reasons_chart(report: dict) -> dict:
    rows = report["handoff_reasons"]
    labels = [handoff_reason_label(row["reason"]) for row in rows]
    config = {
        "type": "doughnut",
        "data": {"labels": labels, "datasets": [{"label": "Aktarma", "data": [row["count"] for row in rows],
                                                 "backgroundColor": _colors(len(rows))}]},
        "options": {"responsive": True, "maintainAspectRatio": False, "animation": False,
                    "plugins": {"legend": {"position": "bottom"}}},
    }
    return _chart("handoff_reasons", "Temsilciye aktarma nedenleri", _top_summary(labels, rows),
                  not rows, config)


def contact_reasons_chart(report: dict) -> dict:
    rows = report["contact_reasons"]
    labels = [contact_reason_label(row["reason"]) for row in rows]
    return _chart("contact_reasons", "En sık başvuru nedenleri", _top_summary(labels, rows), not rows,
                  _bar(labels, "Sohbet", [row["count"] for row in rows], COLORS["blue"], horizontal=True))


def agents_chart(report: dict) -> dict:
    rows = report["agents"]
    datasets = [
        _dataset("Kuyrukta bekleme", [_minutes(row["queue_seconds"]) for row in rows], COLORS["grey"]),
        _dataset("İlk yanıt", [_minutes(row["first_response_seconds"]) for row in rows], COLORS["blue"]),
        _dataset("İşlem süresi", [_minutes(row["handling_seconds"]) for row in rows], COLORS["teal"]),
    ]
    config = {"type": "bar", "data": {"labels": [row["name"] for row in rows], "datasets": datasets},
              "options": _options(y={"beginAtZero": True, "title": {"display": True, "text": "dakika"}})}
    summary = "; ".join(f"{row['name']}: ilk yanıt {duration(row['first_response_seconds'])}, "
                        f"işlem {duration(row['handling_seconds'])}" for row in rows)
    return _chart("agents", "Temsilciler: ortalama süreler (dakika)",
                  (summary + ".") if rows else "Bu dönemde temsilciye aktarılan sohbet yok.", not rows, config)


def resolution_tags_chart(report: dict) -> dict:
    rows = report["resolution_tags"]
    labels = [tag_label(row["tag"]) for row in rows]
    return _chart("resolution_tags", "Temsilcilerin sonuç etiketleri", _top_summary(labels, rows), not rows,
                  _bar(labels, "Etiket", [row["count"] for row in rows], COLORS["teal"], horizontal=True))


def languages_chart(report: dict) -> dict:
    rows = report["languages"]
    labels = [language_label(row["language"]) for row in rows]
    summary = ", ".join(f"{label}: {number(row['contacts'])} sohbet" for label, row in zip(labels, rows))
    return _chart("languages", "Dillere göre sohbetler", (summary + ".") if rows else "Bu dönemde veri yok.",
                  not any(row["contacts"] for row in rows), _stacked_bar(labels, rows, "Sohbet"))


# --------------------------------------------------------------------------- pieces

def _chart(chart_id: str, title: str, summary: str, empty: bool, config: dict) -> dict:
    if empty:
        summary = "Bu dönemde gösterilecek veri yok."
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
        _dataset("Asistan çözdü", [row["contained"] for row in rows], COLORS["green"]),
        _dataset("Temsilciye aktarıldı", [row["handoffs"] for row in rows], COLORS["amber"]),
        _dataset("Diğer", [max(row["contacts"] - row["contained"] - row["handoffs"], 0) for row in rows],
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
    return f"En çok: {top}."


def _colors(count: int) -> List[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(count)]


def _period_word(report: dict) -> str:
    return PERIOD_WORDS.get(report["period"]["kind"], "dönem")


def _trend_span(report: dict) -> str:
    return f"son {len(report['trend'])} {_period_word(report)}"


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
