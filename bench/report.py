"""Results as JSON and a Markdown summary (the plots are bench/plots.py)."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict, List

from bench.handoff_plots import block_title, plot_agents
from bench.plots import plots
from bench.targets import SERIES_LABELS, get, targets


def _ms(value: Any) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.1f}"


def _row(*cells: Any) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def machine_md(results: Dict[str, Any]) -> List[str]:
    m = results.get("machine", {})
    packages = ", ".join(f"{k} {v}" for k, v in m.get("packages", {}).items())
    lines = [f"- {m.get('cpu_model')}, {m.get('cores_logical')} logical cores, {m.get('ram_gb')} GB RAM; "
             f"{m.get('os')} (kernel {m.get('kernel')}); Python {m.get('python')}",
             f"- {packages}",
             f"- git commit `{(m.get('git_commit') or '')[:12]}`{' (with uncommitted changes)' if m.get('git_dirty') else ''}; "
             f"mode `{results.get('mode')}`; total {results.get('total_seconds', 0):.0f} s"]
    for when in ("load_before", "load_after"):
        snap = results.get(when)
        if snap:
            busy = "; ".join(f"{p['command'][:70]} ({p['cpu']:.0f}%)" for p in snap["busy_processes"]) or "none"
            lines.append(f"- {when.replace('_', ' ')}: load average {snap['loadavg']}; other busy processes: {busy}")
    stack = results.get("stack", {})
    if stack:
        rss = ", ".join(f"{k} {v:.0f} MB" for k, v in stack.get("rss_after_start_mb", {}).items())
        lines.append(f"- memory right after start: {rss}; model `{stack.get('model')}`")
    return lines


def latency_md(latency: Dict[str, Any]) -> List[str]:
    lines = ["## Latency, one turn at a time", "", f"Measured {latency['measured_at']}.", ""]
    for title, part in (("FAQ turns (greetings, questions, thanks; Turkish and English)", latency["faq"]),
                        ("Order-status turn (`mailim <e-mail>` after `400142 nolu siparişim nerede`: proof checked by "
                         "the action server, order read from the database)", latency["order_status"]["status_turn"])):
        lines += [f"**{title}**", "", _row("series", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"), "|---|---|---|---|---|---|"]
        for name, label in SERIES_LABELS.items():
            s = part["series"][name]
            lines.append(_row(label, s.get("n"), _ms(s.get("p50")), _ms(s.get("p95")), _ms(s.get("p99")), _ms(s.get("max"))))
        o = part["overhead"]
        lines += ["", f"Bridge overhead over Rasa with the same metadata (p50 minus p50): complete turn "
                      f"**{_ms(o['complete_p50_ms'])} ms = {o['complete_ratio_of_rasa_p50']:.1%}** of Rasa's p50; "
                      f"first message {_ms(o['first_p50_ms'])} ms = {o['first_ratio_of_rasa_p50']:.1%}. "
                      f"Median of the paired differences (same text, same round): complete "
                      f"{_ms(o['paired_complete_ms'].get('p50'))} ms, first {_ms(o['paired_first_ms'].get('p50'))} ms. "
                      f"The `live_chat` metadata itself costs Rasa {_ms(o['live_chat_metadata_cost_ms'].get('p50'))} ms "
                      f"(paired median).", ""]
        if part.get("errors"):
            lines += [f"Errors: {part['errors']}", ""]
    status = latency["order_status"]
    lines += [f"Order-status answers with the tracking number: {status['answers_with_tracking_number']} "
              f"of {status['conversations']} conversations per variant.", "",
              "Median per message (ms):", "",
              _row("text", "intent", "REST", "REST+live_chat", "bridge typing", "bridge first", "bridge complete"),
              "|---|---|---|---|---|---|---|"]
    for row in latency["faq"]["per_text"] + latency["order_status"]["status_turn"]["per_text"]:
        lines.append(_row(row["text"], row["intent"], _ms(row["rest"]), _ms(row["rest_live_chat"]),
                          _ms(row["bridge_typing"]), _ms(row["bridge_first"]), _ms(row["bridge_complete"])))
    return lines + ["", "![latency](latency.png)", ""]


def load_md(load: Dict[str, Any]) -> List[str]:
    method = load["method"]
    lines = ["## Load: concurrent shoppers", "",
             f"Measured {load['measured_at']}; {method['duration_s']:g} s per level, think time "
             f"{method['think_s'][0]:g}-{method['think_s'][1]:g} s, turn timeout {method['turn_timeout_s']:g} s. "
             "CPU in % of one core (mean / peak), memory RSS peak.", "",
             _row("shoppers", "answers/s", "p50 ms", "p95 ms", "p99 ms", "errors", "false handoffs", "busy notices",
                  "bridge CPU", "Rasa CPU", "actions CPU", "client CPU", "bridge MB", "Rasa MB", "actions MB",
                  "machine CPU"),
             "|" + "---|" * 16]
    for level in load["levels"]:
        r = level["resources"]
        cpu = lambda n: f"{get(r, n, 'cpu_mean', default=0):.0f} / {get(r, n, 'cpu_max', default=0):.0f}"  # noqa: E731
        mb = lambda n: f"{get(r, n, 'rss_max_mb', default=0):.0f}"  # noqa: E731
        errors = sum(level["errors"].values())
        lines.append(_row(level["shoppers"], level["throughput_per_s"], _ms(level["first_ms"].get("p50")),
                          _ms(level["first_ms"].get("p95")), _ms(level["first_ms"].get("p99")),
                          f"{errors} ({level['error_rate']:.1%})" + (f" {level['errors']}" if errors else ""),
                          level.get("false_handoffs", "–"), level.get("busy_notices", "–"), cpu("bridge"), cpu("rasa"), cpu("actions"), cpu("bench_client"),
                          mb("bridge"), mb("rasa"), mb("actions"), f"{get(r, 'system', 'cpu_mean', default=0):.0f}%"))
    lines += ["", "First-answer latency by kind of turn: FAQ turns, and the turns of the order-status conversation "
                  "(a form, the action server and the store database in Rasa's part):", "",
              _row("shoppers", "FAQ n", "FAQ p50", "FAQ p95", "order n", "order p50", "order p95"), "|---|---|---|---|---|---|---|"]
    for level in load["levels"]:
        faq, order = (get(level, "first_ms_by_kind", kind, default={}) for kind in ("faq", "order"))
        lines.append(_row(level["shoppers"], faq.get("n"), _ms(faq.get("p50")), _ms(faq.get("p95")),
                          order.get("n"), _ms(order.get("p50")), _ms(order.get("p95"))))
    return lines + ["", "![load](load.png)", ""]


def idle_md(idle: Dict[str, Any]) -> List[str]:
    lines = ["## Idle connections", "", f"Measured {idle['measured_at']}.", "",
             _row("connections", "bridge RSS MB", "per connection KB", "time to open s"), "|---|---|---|---|"]
    for p in idle["points"]:
        lines.append(_row(p["connections"], _ms(p["bridge_rss_mb"]), _ms(p.get("per_connection_kb")), _ms(p.get("open_seconds"))))
    live = idle.get("live_turn_ms_with_idle", {})
    reopened = idle.get("reopened", {})
    lines += ["", f"After all closed: {_ms(idle['after_close_rss_mb'])} MB; {reopened.get('connections')} opened again: "
                  f"{_ms(reopened.get('bridge_rss_mb'))} MB. Errors while opening: {idle['errors'] or 'none'}. "
                  f"A live shopper's turn with all of them connected: p50 {_ms(live.get('p50'))} ms, "
                  f"max {_ms(live.get('max'))} ms (n={live.get('n')}).", "", "![idle](idle.png)", ""]
    return lines


HANDOFF_LABELS = {
    "rasa_rest_alone": "Rasa alone (the same text over REST, right after)",
    "rasa_read_slots": "Rasa alone: reading the tracker's slots (the bridge does it to escalate)",
    "rasa_pause": "Rasa alone: appending `pause` to the tracker (the bridge does it to escalate)",
    "typing": "message → \"bot is typing\" (the bridge stored and scored it)",
    "shopper_told": "message → queue position on the shopper's screen",
    "offer": "message → `offer` at the agent",
    "transcript": "message → agent holds the transcript (accept acknowledged)",
    "accept_round_trip": "offer → accept acknowledged with the transcript",
    "bridge_share_of_transcript": "transcript minus Rasa alone: the bridge's share",
    "agent_reply_to_shopper": "agent's `send` → shopper's `bot_uttered`",
    "desk_all": "message → every logged-in agent has the new `desk` (50 ms batching included)",
    "desk_spread": "first → last agent receiving that desk",
}


def handoff_md(handoff: Dict[str, Any]) -> List[str]:
    blocks = handoff.get("by_agents") or []
    first = blocks[0] if blocks else {"agents": 1}
    lines = ["## Handoff", "", f"Measured {handoff['measured_at']}; {len(handoff['rounds'])} handoffs"
             + (f" per number of agents logged in ({', '.join(b['label'] for b in blocks)}), in that order"
                if blocks else ", one agent") + ".", "",
             f"**{first['agents']} agent logged in** (`{handoff['method']['agent']}`, as in the earlier runs):", "",
             _row("phase", "p50 ms", "p95 ms", "max ms"), "|---|---|---|---|"]
    for name, label in HANDOFF_LABELS.items():
        s = handoff["phases_ms"].get(name, {})
        if s.get("n") or name not in ("desk_all", "desk_spread"):
            lines.append(_row(label, _ms(s.get("p50")), _ms(s.get("p95")), _ms(s.get("max"))))
    lines += ["", "![handoff](handoff.png)", ""]
    if not blocks:
        return lines
    method = handoff["method"]
    lines += ["**By number of agents logged in** (p50 / p95 ms). Every agent online and available, "
              f"`max_chats` {method.get('max_chats')}; `{method['agent']}` gets every offer (ties go to the lowest "
              "id) and accepts at once, the others never get one; every agent receives each desk broadcast. "
              "The chat is held until every agent has the broadcast that follows the message. "
              f"The last block is {method['agent']} alone again, after the others (drift check).", "",
              _row("phase", *(block_title(b) for b in blocks)),
              "|---|" + "---|" * len(blocks)]
    for name, label in HANDOFF_LABELS.items():
        if name.startswith("rasa_read") or name == "rasa_pause":
            continue
        cells = []
        for b in blocks:
            s = b["phases_ms"].get(name, {})
            cells.append(f"{_ms(s.get('p50'))} / {_ms(s.get('p95'))}" if s.get("n") else "–")
        lines.append(_row(label, *cells))
    lines.append(_row("desks per agent per round (received)", *(b.get("desks_per_agent_per_round") for b in blocks)))
    lines.append(_row("rounds whose broadcast missed an agent (5 s)", *(b.get("desks_missing") for b in blocks)))
    lines.append(_row("agents online and available on the desk", *(b.get("online_available") for b in blocks)))
    ratios = handoff.get("ratios", {})
    counts = sorted({b["agents"] for b in blocks if b["agents"] > 1})
    lines += ["", "Ratio N agents / 1 agent (the first 1-agent block), p50 and p95:", "",
              _row("phase", *(f"{n} agents p50" for n in counts), *(f"{n} agents p95" for n in counts)),
              "|---|" + "---|" * 2 * len(counts)]
    for phase in ("transcript", "bridge_share_of_transcript", "desk_all"):
        lines.append(_row(HANDOFF_LABELS[phase], *(ratios.get(f"{phase}_{stat}_{n}_to_1", "n/a")
                                                   for stat in ("p50", "p95") for n in counts)))
    lines += ["", "![handoff by agents](handoff-agents.png)", ""]
    return lines


def training_md(training: Dict[str, Any]) -> List[str]:
    nlu = training["nlu"]
    lines = ["## Training and NLU", "", f"Measured {training['measured_at']}.", "",
             f"- model `{training['model']}`: {training['size_mb']} MB; the last `bot train` of it took "
             f"{training.get('recorded_training_seconds')} s (Rasa reuses its cache of trained components when it "
             f"can: not a cold figure); results/nlu_evaluation.json records "
             f"{training.get('evaluation_file_training_seconds')} s for the training it evaluated"]
    if training.get("cold_training"):
        cold = training["cold_training"]
        lines.append(f"- cold training measured now (`rasa train --force`): {cold['seconds']} s, {cold['size_mb']} MB")
    lines += [f"- held-out set `{nlu['test_set']}` ({nlu['utterances']} utterances) parsed by the benchmark's Rasa: "
              f"intent accuracy {nlu['intent_accuracy']:.1%}, macro-F1 {nlu['intent_macro_f1']:.3f}, "
              f"knowledge-base topic accuracy {nlu['topic_accuracy']:.1%}, {nlu['misclassified']} misclassified; "
              f"parse p50 {_ms(nlu['parse_ms'].get('p50'))} ms, p95 {_ms(nlu['parse_ms'].get('p95'))} ms",
              "- per style: " + ", ".join(f"{s} {v['accuracy']:.1%}" for s, v in nlu["intent_by_style"].items()),
              "- entities: " + ", ".join(f"{e} P {v['precision']:.0%} R {v['recall']:.0%}" for e, v in nlu["entities"].items()),
              ""]
    return lines


def profile_md(profile: Dict[str, Any], title: str) -> List[str]:
    if profile.get("skipped"):
        return [f"## {title}", "", f"Skipped: {profile['skipped']}", ""]
    lines = [f"## {title}", "", f"Measured {profile['measured_at']}. py-spy, 100 samples/s. Rasa: samples while it ran "
             "Python code. Bridge: also while blocked (`--idle`), without the samples of its event loop waiting for "
             "sockets (`parked`): where the loop's busy time went.", ""]
    processes = profile.get("processes") or ({"bridge": profile["bridge"]} if "bridge" in profile else {})
    for name, summary in processes.items():
        libraries = ", ".join(f"{r['library']} {r['share']:.0%}" for r in summary["by_library"][:8])
        parked = summary.get("parked_samples", 0)
        busy = (f"; event loop busy {summary['samples'] / (summary['samples'] + parked):.0%} of the time"
                if summary.get("wall_clock") else "; CPU samples only")
        lines += [f"**{name}** ({summary['samples']} samples{busy}). By library (innermost frame): {libraries}.", "",
                  "Heaviest functions of the project and of Rasa (inclusive: with what they call):", ""]
        lines += [f"- {r['share']:.0%} `{r['function']}`" for r in summary["inclusive_top"][:8]]
        lines += ["", "Heaviest innermost functions:", ""]
        lines += [f"- {r['share']:.0%} `{r['function']}`" for r in summary["self_top"][:8]]
        lines.append("")
    graphs = profile.get("flame_graphs") or ([profile["flame_graph"]] if profile.get("flame_graph") else [])
    if graphs:
        lines += ["Flame graphs: " + ", ".join(f"[{g}]({g})" for g in graphs), ""]
    if "processes" in profile:
        lines += ["![profile](profile.png)", ""]
    return lines


def scale_md(scale: Dict[str, Any]) -> List[str]:
    lines = ["## Scale: bridges and Rasa replicas on PostgreSQL and Redis", ""]
    if "skipped" in scale:
        return lines + [f"Measured {scale['measured_at']}: skipped, {scale['skipped']}.", ""]
    method = scale["method"]
    lines += [f"Measured {scale['measured_at']} on {method['cores']} cores; {method['duration_s']:g} s per level, "
              f"think time {method['think_s'][0]:g}-{method['think_s'][1]:g} s; {method['database']}, Redis. "
              "With two bridges shoppers connect through HAProxy (`bot up --bridges 2`). CPU in % of one core, mean over the level, added up "
              "over the processes of a kind (PostgreSQL and Redis: the whole server).", "",
              _row("bridges", "replicas", "shoppers", "answers/s", "p50 ms", "p95 ms", "errors", "false handoffs",
                   "bridge CPU", "HAProxy CPU", "Rasa CPU", "actions CPU", "PostgreSQL CPU", "Redis CPU", "machine CPU"),
              "|" + "---|" * 15]
    for configuration in scale["configurations"]:
        for level in configuration["levels"]:
            r = level["resources"]
            cpu = lambda kind: f"{sum(v['cpu_mean'] for n, v in r.items() if n.split('-')[0] == kind):.0f}"  # noqa: E731
            lines.append(_row(configuration["bridges"], configuration["replicas"], level["shoppers"],
                              level["throughput_per_s"], _ms(level["first_ms"].get("p50")),
                              _ms(level["first_ms"].get("p95")), sum(level["errors"].values()),
                              level["false_handoffs"], cpu("bridge"), cpu("haproxy"), cpu("rasa"), cpu("actions"), cpu("postgresql"),
                              cpu("redis"), f"{get(r, 'system', 'cpu_mean', default=0):.0f}%"))
    lines += ["", "Ratios in the same run (answers/s):", "", _row("bridges", "replicas", "shoppers",
                                                                 "2 replicas / 1", "2 bridges / 1"), "|---|---|---|---|---|"]
    for row in scale["ratios"]:
        lines.append(_row(row["bridges"], row["replicas"], row["shoppers"], row.get("replicas_2_over_1", "–"),
                          row.get("bridges_2_over_1", "–")))
    prediction = scale.get("prediction") or {}
    if prediction:
        source = prediction["from"]
        per = ", ".join(f"{kind} {value * 1000:.0f} ms" for kind, value in prediction["cpu_seconds_per_answer"].items())
        lines += ["", f"CPU per answered turn at {source['shoppers']} shoppers on {source['bridges']} bridge(s) and "
                      f"{source['replicas']} replica(s): {per} (total {prediction['cpu_seconds_per_answer_total'] * 1000:.0f} ms). "
                      "If more cores ran the same work per answer with enough replicas and bridges, and PostgreSQL "
                      "kept up, they would carry about "
                      + ", ".join(f"{answers} answers/s on {cores} cores"
                                  for cores, answers in prediction["answers_per_s"].items())
                      + " (an estimate, not a measurement)."]
    return lines + [""]


def markdown(results: Dict[str, Any]) -> str:
    sections = results.get("sections", {})
    lines = ["# Kuzey Destek benchmark", "", f"Generated {results.get('generated_at')} by `python -m bench` "
             "(how to read it: docs/benchmarks.md).", "", "## Machine", "", *machine_md(results), "", "## Targets", "",
             _row("target", "goal", "measured", "met"), "|---|---|---|---|"]
    for t in results.get("targets", []):
        met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        lines.append(_row(t["name"], t["target"], f"{_ms(t['measured'])} {t['unit']}", met))
    lines.append("")
    if "latency" in sections:
        lines += latency_md(sections["latency"])
    if "load" in sections:
        lines += load_md(sections["load"])
    if "idle" in sections:
        lines += idle_md(sections["idle"])
    if "handoff" in sections:
        lines += handoff_md(sections["handoff"])
    if "training" in sections:
        lines += training_md(sections["training"])
    if "profile" in sections:
        lines += profile_md(sections["profile"], f"Profile: {sections['profile'].get('shoppers')} shoppers")
    if "handoff_profile" in sections:
        lines += profile_md(sections["handoff_profile"], "Profile: handoffs")
    if "scale" in sections:
        lines += scale_md(sections["scale"])
    return "\n".join(lines) + "\n"


def write(results: Dict[str, Any], output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    sections = results.get("sections", {})
    results["targets"] = targets(sections)
    results["plots"] = plots(sections, output)
    if "handoff" in sections:
        results["plots"] += plot_agents(sections["handoff"], output)
    (output / "bench.json").write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    (output / "bench.md").write_text(markdown(results), encoding="utf-8")
