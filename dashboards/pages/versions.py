"""Versions: an agent's candidate (canary) against its baseline, side by side: every metric with its
delta and whether the difference is significant for the sample sizes, and the verdict `spanledger gate`
gives for the same two versions."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboards import components as ui
from dashboards.compare import compare_versions
from dashboards.data import filter_options
from dashboards.filters import View

PATH = "/versions"
NAME = "Versions"
_FORMATS = {"pct": ui.pct, "ms": ui.ms, "usd": ui.usd, "count": lambda value: "—" if value is None else f"{value:,.1f}".removesuffix(".0")}


def render(context: Any, view: View) -> Any:
    if view.agent is None:
        agents = sorted(set(filter_options(context.store, view).get_column("agent_name").to_list()))
        links = [html.Li(html.A(agent, href=PATH + view.with_agent(agent).query())) for agent in agents]
        return ui.page("Versions", ui.notice("Choose an agent to compare two of its versions."), html.Ul(links, className="agent-list"))
    comparison = compare_versions(context.store, context.settings, view, view.get("baseline") or None, view.get("candidate") or None)
    if comparison is None:
        return ui.page("Versions", ui.notice(f"{view.agent} has fewer than two versions with sessions in this range."))
    gate = comparison.gate
    tone = {"pass": "ok", "fail": "error", "not enough data": "warn"}[gate.verdict]
    pickers = html.Div([ui.select("baseline", "Baseline", comparison.versions, comparison.baseline, clearable=False),
                        ui.select("candidate", "Candidate (canary)", comparison.versions, comparison.candidate, clearable=False)],
                       className="filters inline")
    checks = [html.Li(f"{check['check']}: {'passed' if check['passed'] else 'FAILED'}"
                      + (f" (p = {check['p_value']:.3g})" if check.get("p_value") is not None else "")) for check in gate.checks]
    verdict = ui.notice([html.Strong(f"Gate: {gate.verdict}"), f" — {gate.reason}", html.Ul(checks) if checks else ""], tone)
    head = html.Thead(html.Tr([html.Th("Metric"), html.Th(f"Baseline {comparison.baseline}", className="num"),
                               html.Th(f"Candidate {comparison.candidate}", className="num"), html.Th("Delta", className="num"),
                               html.Th("Test"), html.Th("Significant?")]))
    rows = []
    for row in comparison.rows.iter_rows(named=True):
        fmt = _FORMATS[row["fmt"]]
        delta = "—" if row["delta"] is None else (("+" if row["delta"] > 0 else "−" if row["delta"] < 0 else "") + fmt(abs(row["delta"]))
                                                   + (f" ({row['relative']:+.1%})" if row["relative"] is not None else ""))
        verdict_text = "—" if row["significant"] is None else ("yes" if row["significant"] else "no")
        if row["p_value"] is not None:
            verdict_text += f" (p = {row['p_value']:.3g})"
        rows.append(html.Tr([html.Td(row["metric"]), html.Td(fmt(row["baseline"]), className="num"),
                             html.Td(fmt(row["candidate"]), className="num"), html.Td(delta, className="num"),
                             html.Td(row["test"] or "—"), html.Td(verdict_text, className="sig-yes" if row["significant"] else "")]))
    return ui.page(
        f"Versions of {view.agent}", pickers, verdict,
        ui.section("Side by side", html.Table([head, html.Tbody(rows)], id="versions-table", className="data-table"),
                   note=f"significance at alpha = {context.settings.gate_alpha:g}; "
                        f"the gate needs {context.settings.gate_min_sessions} finished sessions per version"),
        subtitle=f"{view.since:%Y-%m-%d %H:%M} – {view.until:%Y-%m-%d %H:%M} UTC",
    )
