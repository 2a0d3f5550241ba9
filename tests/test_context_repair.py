"""Children exported before their root still end up in the root's session; the session takes the root's user and agent."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tests.conftest import rows, run_jobs


def _tracer(service, name: str, version: str):  # type: ignore[no-untyped-def]
    """A tracer of service `name` that exports every span on its own the moment it ends, over OTLP/gRPC."""
    provider = TracerProvider(resource=Resource.create({"service.name": name, "service.version": version}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"http://127.0.0.1:{service.grpc_port}", insecure=True)))
    return provider, provider.get_tracer("test")


def test_children_sent_before_the_root_take_its_context(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    # One export request per span, in end order: the children reach the store long before the root.
    provider, tracer = _tracer(service, f"late-{unique}", "9.9.9")
    with tracer.start_as_current_span("invoke_agent triage", attributes={
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "triage", "gen_ai.agent.version": "2.0.0",
            "gen_ai.conversation.id": f"conv-{unique}", "user.id": "u-7"}):
        with tracer.start_as_current_span("chat gpt-4o-mini", attributes={"gen_ai.request.model": "gpt-4o-mini"}):
            pass
        with tracer.start_as_current_span("execute_tool lookup", attributes={"gen_ai.tool.name": "lookup"}):
            service.writer.flush()  # the chat span is stored while the root is still open
    provider.shutdown()
    service.flush()
    found = rows(store, "SELECT name, session_id, user_id, agent_name, agent_version FROM spans FINAL "
                        "WHERE service_name = {s:String} ORDER BY start_time", {"s": f"late-{unique}"})
    assert [row["name"] for row in found] == ["invoke_agent triage", "chat gpt-4o-mini", "execute_tool lookup"]
    for row in found:
        assert (row["session_id"], row["user_id"], row["agent_name"], row["agent_version"]) == (f"conv-{unique}", "u-7", "triage", "2.0.0"), row


def test_a_trace_that_never_names_a_session_is_its_own_session(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    provider, tracer = _tracer(service, f"anon-{unique}", "1.0")
    with tracer.start_as_current_span("root"):
        with tracer.start_as_current_span("child"):
            pass
    provider.shutdown()
    service.flush()
    found = rows(store, "SELECT trace_id, session_id, agent_name, agent_version FROM spans FINAL WHERE service_name = {s:String}",
                 {"s": f"anon-{unique}"})
    assert len(found) == 2
    for row in found:
        assert row["session_id"] == row["trace_id"]
        assert (row["agent_name"], row["agent_version"]) == (f"anon-{unique}", "1.0")


def test_a_span_stored_after_its_root_takes_the_context_the_root_named(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    provider, tracer = _tracer(service, f"after-{unique}", "3.1.0")
    root = tracer.start_span("invoke_agent triage", attributes={
        "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "triage", "gen_ai.agent.version": "2.0.0",
        "gen_ai.conversation.id": f"conv-{unique}", "user.id": "u-9"})
    root.end()  # exported and stored first, as a span whose parent ended earlier would be
    service.writer.flush()
    with tracer.start_as_current_span("execute_tool lookup", context=trace.set_span_in_context(root),
                                      attributes={"gen_ai.tool.name": "lookup"}):
        pass
    provider.shutdown()
    service.flush()
    found = rows(store, "SELECT name, session_id, user_id, agent_name, agent_version FROM spans FINAL "
                        "WHERE service_name = {s:String} ORDER BY start_time", {"s": f"after-{unique}"})
    assert [row["name"] for row in found] == ["invoke_agent triage", "execute_tool lookup"]
    for row in found:
        assert (row["session_id"], row["user_id"], row["agent_name"], row["agent_version"]) == (f"conv-{unique}", "u-9", "triage", "2.0.0"), row


def test_a_child_naming_its_session_keeps_its_own_agent_version_and_its_session_takes_the_roots(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    # The chat span names the conversation itself, the root alone names the agent version: the chat span is not
    # rewritten (only spans whose session was a fallback are), and the session still runs agent version 2.0.0.
    provider, tracer = _tracer(service, f"own-{unique}", "9.9.9")
    with tracer.start_as_current_span("invoke_agent triage", attributes={
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "triage", "gen_ai.agent.version": "2.0.0",
            "gen_ai.conversation.id": f"conv-{unique}", "user.id": "u-3"}):
        with tracer.start_as_current_span("chat gpt-4o-mini", attributes={
                "gen_ai.request.model": "gpt-4o-mini", "gen_ai.conversation.id": f"conv-{unique}"}):
            pass
        service.writer.flush()  # the chat span is stored while the root is still open
    provider.shutdown()
    service.flush()
    found = rows(store, "SELECT name, session_id, user_id, agent_name, agent_version FROM spans FINAL "
                        "WHERE service_name = {s:String} ORDER BY start_time", {"s": f"own-{unique}"})
    assert [(row["name"], row["session_id"], row["user_id"], row["agent_name"], row["agent_version"]) for row in found] == [
        ("invoke_agent triage", f"conv-{unique}", "u-3", "triage", "2.0.0"),
        ("chat gpt-4o-mini", f"conv-{unique}", "", f"own-{unique}", "9.9.9")]
    run_jobs(service)
    session = rows(store, "SELECT spans, user_id, agent_name, agent_version FROM sessions FINAL WHERE session_id = {s:String}",
                   {"s": f"conv-{unique}"})
    assert session == [{"spans": 2, "user_id": "u-3", "agent_name": "triage", "agent_version": "2.0.0"}]


def test_a_handoff_marked_on_a_child_sent_before_the_root_escalates_the_roots_session(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    # The tool span marks the handoff and names no session: it is stored under its trace id, then rewritten into the
    # root's session. The pass must read the marked span's newest version, or the handoff lands in the old session.
    provider, tracer = _tracer(service, f"handoff-{unique}", "1.0")
    with tracer.start_as_current_span("invoke_agent triage", attributes={
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "triage", "gen_ai.conversation.id": f"conv-{unique}"}):
        with tracer.start_as_current_span("execute_tool page_human", attributes={
                "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "page_human", "spanledger.handoff": "true"}):
            pass
        service.writer.flush()  # the tool span is stored while the root is still open
    provider.shutdown()
    service.flush()
    run_jobs(service)
    sessions = rows(store, "SELECT session_id, spans, handoffs, outcome FROM sessions FINAL WHERE agent_name = 'triage' "
                           "AND session_id IN ({s:String}, (SELECT any(trace_id) FROM spans WHERE service_name = {n:String}))",
                    {"s": f"conv-{unique}", "n": f"handoff-{unique}"})
    assert sessions == [{"session_id": f"conv-{unique}", "spans": 2, "handoffs": 1, "outcome": "escalated"}]


def test_a_session_takes_its_segment_from_its_first_root_not_a_later_one(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    # Two traces of one conversation: the first root names no segment, the second does (README, Sessions: the
    # context comes from the session's first root span, the segment with it).
    provider, tracer = _tracer(service, f"segment-{unique}", "1.0")
    for segment in (None, "pro"):
        attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "triage", "gen_ai.conversation.id": f"conv-{unique}"}
        if segment:
            attributes["spanledger.user_segment"] = segment
        with tracer.start_as_current_span("invoke_agent triage", attributes=attributes):
            pass
    provider.shutdown()
    service.flush()
    run_jobs(service)
    sessions = rows(store, "SELECT spans, segment FROM sessions FINAL WHERE session_id = {s:String}", {"s": f"conv-{unique}"})
    assert sessions == [{"spans": 2, "segment": ""}]


def test_in_a_trace_of_two_agents_each_span_is_its_nearest_agents(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    # triage hands off to billing in one trace; each model call and tool call is stored before the agent span it ran
    # under (spans end first), some in loads of their own.
    provider, tracer = _tracer(service, f"multi-{unique}", "5.0.0")
    with tracer.start_as_current_span("agent workflow", attributes={"gen_ai.conversation.id": f"conv-{unique}"}):
        with tracer.start_as_current_span("invoke_agent triage", attributes={
                "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "triage", "gen_ai.agent.version": "1.0"}):
            with tracer.start_as_current_span("turn"):
                with tracer.start_as_current_span("chat triage", attributes={"gen_ai.request.model": "gpt-4o-mini"}):
                    pass
            service.writer.flush()
        with tracer.start_as_current_span("invoke_agent billing", attributes={
                "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "billing"}):
            with tracer.start_as_current_span("chat billing", attributes={"gen_ai.request.model": "gpt-4o-mini"}):
                pass
            with tracer.start_as_current_span("execute_tool refund", attributes={"gen_ai.tool.name": "refund"}):
                pass
            service.writer.flush()
    provider.shutdown()
    service.flush()
    found = rows(store, "SELECT name, agent_name, agent_version FROM spans FINAL WHERE service_name = {s:String} ORDER BY start_time",
                 {"s": f"multi-{unique}"})
    assert [(row["name"], row["agent_name"], row["agent_version"]) for row in found] == [
        ("agent workflow", "triage", "1.0"),  # no agent above it: the trace's, the root's else the largest name
        ("invoke_agent triage", "triage", "1.0"), ("turn", "triage", "1.0"), ("chat triage", "triage", "1.0"),
        # billing names no version: its service's, not triage's
        ("invoke_agent billing", "billing", "5.0.0"), ("chat billing", "billing", "5.0.0"), ("execute_tool refund", "billing", "5.0.0")]
    # a repair that finds them right writes nothing (merges may drop older versions meanwhile, never the newest)
    newest = "SELECT max(ingested_at) AS at FROM spans WHERE service_name = {s:String}"
    before = rows(store, newest, {"s": f"multi-{unique}"})
    service.flush()
    assert rows(store, newest, {"s": f"multi-{unique}"}) == before
    run_jobs(service)
    assert rows(store, "SELECT agent_name, agent_version FROM sessions FINAL WHERE session_id = {s:String}", {"s": f"conv-{unique}"}) == [
        {"agent_name": "triage", "agent_version": "1.0"}]


def test_a_trace_of_two_agents_over_the_walk_limit_keeps_its_traces_agent(service, store, unique, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(store.settings, "context_repair_agent_max_spans", 3)  # SPANLEDGER_CONTEXT_REPAIR_AGENT_MAX_SPANS
    provider, tracer = _tracer(service, f"big-{unique}", "5.0.0")
    with tracer.start_as_current_span("agent workflow", attributes={"gen_ai.conversation.id": f"conv-{unique}"}):
        with tracer.start_as_current_span("invoke_agent billing", attributes={"gen_ai.agent.name": "billing"}):
            with tracer.start_as_current_span("chat billing", attributes={"gen_ai.request.model": "gpt-4o-mini"}):
                pass
            service.writer.flush()
        with tracer.start_as_current_span("invoke_agent triage", attributes={"gen_ai.agent.name": "triage"}):
            pass
    provider.shutdown()
    service.flush()
    found = rows(store, "SELECT name, agent_name FROM spans FINAL WHERE service_name = {s:String} ORDER BY start_time",
                 {"s": f"big-{unique}"})
    # four spans, over the limit of 3: no walk, so billing's call holds its trace's agent (the largest name, triage's),
    # not its service's
    assert [(row["name"], row["agent_name"]) for row in found] == [
        ("agent workflow", "triage"), ("invoke_agent billing", "billing"), ("chat billing", "triage"), ("invoke_agent triage", "triage")]


def test_a_repaired_span_keeps_what_its_load_redacted(service, store, unique) -> None:  # type: ignore[no-untyped-def]
    provider, tracer = _tracer(service, f"masked-{unique}", "1.0")
    with tracer.start_as_current_span("invoke_agent triage", attributes={
            "gen_ai.agent.name": "triage", "gen_ai.conversation.id": f"conv-{unique}"}):
        with tracer.start_as_current_span("execute_tool lookup", attributes={"gen_ai.tool.name": "lookup", "customer": "ana@example.com"}):
            pass
        service.writer.flush()  # stored with a fallback session, then rewritten by the repair
    provider.shutdown()
    service.flush()
    found = rows(store, "SELECT session_id, redactions, context_fallback FROM spans FINAL WHERE service_name = {s:String} "
                        "AND name = 'execute_tool lookup'", {"s": f"masked-{unique}"})
    assert [(row["session_id"], dict(row["redactions"]), row["context_fallback"] >= 128) for row in found] == [
        (f"conv-{unique}", {"email": 1}, True)]
