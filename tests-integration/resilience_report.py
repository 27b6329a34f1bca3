"""Render the figures of ``test_resilience.py`` into the figures section of docs/resilience.md.

    python tests-integration/resilience_report.py REPORT.json [docs/resilience.md]

The page keeps its prose; only the text between the ``figures:begin`` / ``figures:end`` markers
is replaced. Without a page argument the Markdown is printed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"


def _crash_section(crash: dict[str, Any]) -> list[str]:
    ref, run = crash["reference"], crash["faulted"]
    window, limit = crash["ch_window"], crash["ch_limit"]

    def row(label: str, key: str, fmt: str = "{:,}") -> str:
        return f"| {label} | {fmt.format(ref[key])} | {fmt.format(run[key])} |"

    lines = [
        f"### Crash anywhere — {crash['finished_at']}",
        "",
        f"{crash['companies']:,} companies entering proposal to strike off on the stream at "
        f"{crash['feed_rate']:g} per second; Companies House limit {limit} calls per "
        f"{window:g} s; kill seed `{crash['seed']}`; {crash['machine']}.",
        "",
        "| figure | unfaulted run | run with crashes |",
        "|---|---:|---:|",
        f"| faults injected (`kill -9`, then restart) | 0 | {crash['faults']['total']} |",
        row("events published to JetStream", "events_published"),
        row("events processed (inbox claims of every consumer)", "events_processed"),
        row("leads (company + officer) in crm-sync, all synced", "leads_synced"),
        row("GoHighLevel contacts", "contacts"),
        f"| leads lost | - | {crash['leads_lost'] + crash['lost']} |",
        f"| leads or contacts not in the unfaulted run | - | "
        f"{crash['leads_unexpected'] + crash['unexpected']} |",
        row("duplicate GoHighLevel contacts", "duplicates"),
        f"| contacts whose content differs (order-independent fields) | - | "
        f"{crash['differing']} |",
        row("GoHighLevel upsert calls", "upserts"),
        row("Snov.io credits charged", "credits"),
        row("Snov.io lookups searched", "lookups"),
        row("Snov.io lookups searched more than once", "searched_twice"),
        f"| Snov.io searches differing from the unfaulted run | - | "
        f"{crash['lookups_differing']} |",
        row("Snov.io tasks started", "snov_tasks"),
        row("Companies House calls", "ch_calls"),
        row("Companies House 429s", "ch_429"),
        row(f"most Companies House calls in any {window:g} s window (limit {limit})",
            "ch_max_in_window"),
        row("dead letters", "dead_letters"),
        row("wall time of the run (s)", "seconds", "{:.0f}"),
        "",
        "Crashes per service, and how long the restarted service took to answer `/readyz`:",
        "",
        "| service | kills | of which while ready | restart → ready, slowest (s) |",
        "|---|---:|---:|---:|",
    ]  # fmt: skip
    for name, figures in crash["faults"]["by_service"].items():
        ready = "-" if figures["ready_max"] is None else f"{figures['ready_max']:.1f}"
        lines.append(f"| {name} | {figures['kills']} | {figures['while_ready']} | {ready} |")
    lines += [
        "",
        f"The run with crashes settled {crash['settle_after_last_kill']:.0f} s after the last "
        f"kill; the test took {crash['wall_seconds']:.0f} s in all. Order-dependent facts (see "
        f"above): contacts without a strike-off kind tag {ref['without_kind_tag']:,} (unfaulted) "
        f"and {run['without_kind_tag']:,} (with crashes); contacts differing in those facts "
        f"only: {crash['racy']:,}; e-mails shared by two directors: {ref['shared_emails']} and "
        f"{run['shared_emails']}.",
        "",
    ]
    return lines


def _dependency_section(deps: dict[str, Any]) -> list[str]:
    limit = deps["recovery_limit"]
    lines = [
        f"### Dependency restarts — {deps['finished_at']}",
        "",
        f"Seconds from the dependency's return until each service answered `/readyz` again "
        f"(limit {limit:g} s).",
        "",
        "| service | NATS restart | Postgres restart |",
        "|---|---:|---:|",
    ]
    nats, postgres = deps["nats"]["recovery"], deps["postgres"]["recovery"]
    for name in nats:
        lines.append(f"| {name} | {nats[name]:.1f} | {postgres[name]:.1f} |")
    lines += [
        "",
        f"NATS was down {deps['nats']['down_seconds']:.1f} s and Postgres "
        f"{deps['postgres']['down_seconds']:.1f} s; {deps['companies_after']} companies that "
        f"entered strike-off during the outages went through to {deps['leads_after']} new leads "
        f"in the CRM. The test took {deps['wall_seconds']:.0f} s.",
        "",
    ]
    return lines


def render(report: dict[str, Any]) -> str:
    """The figures of a report as Markdown."""
    lines: list[str] = []
    if "crash_anywhere" in report:
        lines += _crash_section(report["crash_anywhere"])
    if "dependency_restarts" in report:
        lines += _dependency_section(report["dependency_restarts"])
    return "\n".join(lines)


def replace_figures(page: str, figures: str) -> str:
    """``page`` with the text between the markers replaced by ``figures``."""
    head, begin, rest = page.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"the page has no {BEGIN} … {END} section")
    return f"{head}{BEGIN}\n{figures}{END}{tail}"


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    figures = render(json.loads(Path(argv[0]).read_text()))
    if len(argv) == 1:
        print(figures)
        return 0
    page = Path(argv[1])
    page.write_text(replace_figures(page.read_text(), figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
