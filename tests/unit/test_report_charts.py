"""The charts, the CSV and the self-contained HTML report, on a hand-written report (report_sample.py)."""
import csv
import io
import json
import re
from html.parser import HTMLParser

from bot.reports.charts import HANDOFF_REASONS, charts, contact_reason_label, duration, number, percent
from bot.reports.html import render_html
from bot.reports.summary import summary_lines
from bot.reports.web import CSV_GROUPS, TOTALS_COLUMNS, csv_text
from tests.unit.report_sample import EMPTY, SUMMARY, sample_report


def by_id(report):
    return {chart["id"]: chart for chart in charts(report)}


def test_every_chart_is_plain_json_with_a_turkish_title_and_summary():
    made = charts(sample_report())
    assert [c["id"] for c in made] == ["contacts", "rates", "satisfaction", "handoff_reasons", "contact_reasons",
                                       "agents", "resolution_tags", "languages"]
    assert json.loads(json.dumps(made, allow_nan=False)) == made  # no JS functions, no NaN
    for chart in made:
        assert chart["title"] and chart["summary"] and chart["empty"] is False
        assert chart["config"]["type"] in ("bar", "line", "doughnut")
        assert chart["config"]["data"]["datasets"]


def test_labels_are_turkish_and_unknown_codes_stay_readable():
    made = by_id(sample_report())
    assert made["handoff_reasons"]["config"]["data"]["labels"] == [
        "Müşteri temsilci istedi", "Müşteri sinirliydi", "Asistan üst üste anlamadı", "Doğrulama kilitlendi"]
    assert made["contact_reasons"]["config"]["data"]["labels"][:4] == [
        "Sipariş durumu", "SSS: kargo ücreti", "İade talebi", "SSS: para iadesi süresi"]
    assert contact_reason_label("faq/new_topic") == "SSS: new_topic"
    assert contact_reason_label("something_new") == "something_new"
    assert made["resolution_tags"]["config"]["data"]["labels"] == [
        "Çözüldü", "Kargo gecikmesi", "İade / para iadesi", "custom_tag"]
    assert made["languages"]["config"]["data"]["labels"] == ["Türkçe", "İngilizce"]
    for reason in ("requested", "frustration", "repeated_fallback", "assistant_failed", "assistant_unavailable",
                   "verification_locked", "store_unavailable"):
        assert HANDOFF_REASONS[reason] != reason


def test_figures_in_the_charts():
    made = by_id(sample_report())
    contacts = made["contacts"]["config"]["data"]
    assert len(contacts["labels"]) == 7
    contained, handed, other = (d["data"] for d in contacts["datasets"])
    assert (contained[0], handed[0], other[0]) == (6, 1, 1)  # 8 contacts on the first day
    rates = made["rates"]["config"]["data"]["datasets"]
    assert rates[0]["data"][-1] == 69.0 and rates[0]["data"][2] is None  # a quiet week stays a gap, not 0
    agents = made["agents"]["config"]["data"]
    assert agents["datasets"][1]["data"] == [1.3, 1.9, 1.7]  # first response in minutes
    assert agents["datasets"][2]["data"][2] is None


def test_a_period_without_anything_gives_empty_charts_not_errors():
    report = sample_report()
    report.update(totals=EMPTY, handoff_reasons=[], contact_reasons=[], not_understood=[], resolution_tags=[],
                  agents=[], languages=[], series=[{**row, **EMPTY} for row in report["series"]],
                  trend=[{**row, **EMPTY} for row in report["trend"]])
    made = charts(report)
    assert all(chart["empty"] for chart in made)
    assert all(chart["summary"] == "Bu dönemde gösterilecek veri yok." for chart in made)
    html = render_html(report, made, [])
    assert "Bu dönemde anlaşılmayan mesaj yok." in html and "<canvas" not in html


def test_turkish_number_formats():
    assert (number(12345.6, 1), percent(0.425), percent(None), duration(95), duration(3700), duration(None)) == (
        "12.345,6", "%42,5", "—", "1 dk 35 sn", "1 sa 1 dk", "—")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.addresses, self.scripts = [], []

    def handle_starttag(self, tag, attrs):
        self.addresses += [value for name, value in attrs if name in ("src", "href", "action", "srcset") and value]
        if tag == "script":
            self.scripts.append(dict(attrs))


def test_html_report_is_self_contained_turkish_and_escaped():
    report = sample_report()
    made = charts(report)
    html = render_html(report, made, SUMMARY)
    links = Links()
    links.feed(html)
    assert links.addresses == []  # nothing loaded from anywhere, not even from our own host
    assert all("src" not in script for script in links.scripts)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "Chart.js v4.5.1" in html  # the library itself is inside
    assert '<html lang="tr">' in html and "Haftalık rapor · 23–29 Kasım 2026" in html
    assert "Önceki dönem: 16–22 Kasım 2026" in html
    for line in SUMMARY:
        assert line.replace("'", "&#x27;") in html
    # What shoppers and agents wrote is shown as text, never as markup.
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Y.</b>" not in html and "Mehmet &lt;b&gt;Y.&lt;/b&gt;" in html


def test_html_report_carries_the_same_charts_as_json_that_cannot_end_its_script():
    report = sample_report()
    made = charts(report)
    html = render_html(report, made, SUMMARY)
    inline = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S).group(1)
    assert "</" not in inline and "<" not in inline
    assert json.loads(inline) == made
    assert html.count("<canvas") == len(made)


def test_key_figures_table_compares_with_the_period_before():
    report = sample_report()
    report["previous_totals"]["csat_mean"] = None
    html = render_html(report, charts(report), SUMMARY)
    row = re.search(r"<th scope=\"row\">Asistanın kendi çözdüğü</th>(.*?)</tr>", html).group(1)
    assert "%69,0 (29)" in row and "%62,9 (22)" in row and "+6,2 puan" in row and 'class="better"' in row
    csat = re.search(r"<th scope=\"row\">CSAT \(1–5\)</th>(.*?)</tr>", html).group(1)
    assert "4,25 (8)" in csat and "<td>—</td>" in csat


def test_the_summary_and_the_html_report_word_english_themselves():
    """No `speaking("en")` block around them: every label, number, duration and period name is asked
    for in the language they are given."""
    report = sample_report()
    report["filters"] = {"agent_id": None, "language": "en"}
    lines = summary_lines(report, "en")
    assert lines[0].startswith("In the week of 23–29 November 2026 there were 42 chats")
    assert lines[1].startswith("The assistant solved 69% of the chats")
    assert "the customer asked for an agent" in lines[2] and "1 min 35 s" in lines[3] and "4.2/5" in lines[5]
    assert lines[-1] == "The most frequent topic: Order status (12 chats)."
    page = render_html(report, charts(report, "en"), lines, "en")
    assert '<html lang="en">' in page and "Weekly report · 23–29 November 2026" in page
    assert "Period before: 16–22 November 2026" in page and "language: English" in page
    row = re.search(r"<th scope=\"row\">Solved by the assistant</th>(.*?)</tr>", page).group(1)
    assert "69.0% (29)" in row and "62.9% (22)" in row and "+6.2 points" in row
    assert "Kasım" not in page and "%69" not in page and "1 dk" not in page


def test_csv_rows_have_every_total_in_a_stable_order():
    report = sample_report()
    for group in CSV_GROUPS:
        for lang, delimiter in (("tr", ";"), ("en", ",")):
            rows = list(csv.reader(io.StringIO(csv_text(report[group], group, lang)), delimiter=delimiter))
            assert len(rows) == len(report[group]) + 1
            assert rows[0][-len(TOTALS_COLUMNS):] == [headers[lang] for _, headers, _ in TOTALS_COLUMNS]
            assert all(len(row) == len(rows[0]) for row in rows)


def test_the_turkish_csv_has_semicolons_and_decimal_commas_for_turkish_excel():
    report = sample_report()
    text = csv_text(report["series"], "series")  # Turkish unless asked otherwise
    assert text.splitlines()[0].startswith("Başlangıç;Dilim;Sohbet;")
    series = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    first, last = series[0], series[-1]
    assert (first["Başlangıç"], first["Sohbet"], first["Asistanın çözdüğü (%)"], first["İlk yanıt (sn, ort.)"]) == (
        "2026-11-23", "8", "75,0", "70")
    assert (last["Sohbet"], last["Asistanın çözdüğü (%)"], last["CSAT ortalaması (1-5)"]) == ("0", "", "")
    assert all("." not in row["Asistanın çözdüğü (%)"] for row in series)
    agents = list(csv.DictReader(io.StringIO(csv_text(report["agents"], "agents", "tr")), delimiter=";"))
    assert agents[1]["Temsilci"] == "Mehmet <b>Y.</b>"
    scores = [row["CSAT ortalaması (1-5)"] for row in agents if row["CSAT ortalaması (1-5)"]]
    assert scores and all(re.fullmatch(r"\d,\d\d", score) for score in scores)


def test_the_english_csv_keeps_commas_and_decimal_points():
    report = sample_report()
    text = csv_text(report["series"], "series", "en")
    assert text.splitlines()[0].startswith("Start,Slice,Contacts,")
    first = next(csv.DictReader(io.StringIO(text)))
    assert (first["Start"], first["Contacts"], first["Containment (%)"], first["First response (s, avg.)"]) == (
        "2026-11-23", "8", "75.0", "70")
