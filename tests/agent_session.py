"""One small agent session instrumented by one real library, exported over real OTLP; run as a subprocess.

Usage: agent_session.py {openai_v2,openinference,openllmetry,logfire,langfuse} --otlp URL --processor {simple,batch} --openai-base-url URL
                        --service NAME --session ID --user ID
Each instrumentation patches openai and installs tracing process-wide, so every library gets a process of its own.
The session: a chat offering a tool (the fake answers with a tool call), the tool run, a streamed chat with
the tool result, an embeddings call and a chat the provider fails with HTTP 500, all under one agent span.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

import openai
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

AGENT = "weather-assistant"
MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-small"
QUESTION = "What's the weather in Paris right now, and what should I wear?"
WEATHER_TOOL: Any = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string"}}, "required": ["city"]}}}


def get_weather(city: str, unit: str = "celsius") -> str:
    return json.dumps({"city": city, "temperature": 21, "unit": unit, "condition": "sunny"})


def run_session(client: openai.OpenAI, run_tool: Callable[[str, str], str]) -> None:
    """The calls every library sees; run_tool(call_id, arguments) wraps the tool in the library's own tool span."""
    messages: list[Any] = [{"role": "user", "content": QUESTION}]
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL], temperature=0.2)
    call: Any = (first.choices[0].message.tool_calls or [])[0]
    result = run_tool(call.id, call.function.arguments)
    messages += [first.choices[0].message.model_dump(exclude_none=True), {"role": "tool", "tool_call_id": call.id, "content": result}]
    stream = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL],
                                            stream=True, stream_options={"include_usage": True})
    answer = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    client.embeddings.create(model=EMBEDDING_MODEL, input=[QUESTION, answer])
    try:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": f"Summarize: {answer} FAIL_WITH_500"}])
    except openai.InternalServerError:
        pass  # the failed call is part of the session: one error span
    else:
        raise SystemExit("the fake provider should have failed the last call")


def with_openai_v2(provider: TracerProvider, client: openai.OpenAI, session: str, user: str) -> None:
    """opentelemetry-instrumentation-openai-v2; agent and tool spans from util-genai, its TelemetryHandler."""
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    from opentelemetry.util.genai.handler import TelemetryHandler

    OpenAIInstrumentor().instrument(tracer_provider=provider)
    handler = TelemetryHandler(tracer_provider=provider)

    def run_tool(call_id: str, arguments: str) -> str:
        tool: Any
        with handler.tool("get_weather", tool_call_id=call_id, tool_type="function") as tool:
            tool.arguments = arguments
            tool.tool_result = get_weather(**json.loads(arguments))
            return str(tool.tool_result)

    agent: Any
    with handler.invoke_local_agent(agent_name=AGENT, request_model=MODEL) as agent:
        agent.conversation_id = session
        agent.attributes["user.id"] = user  # util-genai has no user field
        run_session(client, run_tool)


def with_openinference(provider: TracerProvider, client: openai.OpenAI, session: str, user: str) -> None:
    """openinference-instrumentation-openai; session and user from using_session/using_user, an AGENT span, a TOOL span."""
    from openinference.instrumentation import using_session, using_user
    from openinference.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=provider)
    tracer: Any = provider.get_tracer(__name__)  # an OITracer: it has tool() and span kinds

    @tracer.tool(name="get_weather", description="Get the current weather for a city.")
    def weather_tool(city: str, unit: str = "celsius") -> str:
        return get_weather(city, unit)

    with using_session(session), using_user(user):
        with tracer.start_as_current_span(AGENT, openinference_span_kind="agent", attributes={"agent.name": AGENT}):
            run_session(client, lambda call_id, arguments: weather_tool(**json.loads(arguments)))


def with_openllmetry(provider: TracerProvider, client: openai.OpenAI, session: str, user: str) -> None:
    """OpenLLMetry's openai and anthropic instrumentations (opentelemetry-instrumentation-openai and -anthropic, without
    traceloop-sdk); agent and tool spans from the OpenTelemetry API with the GenAI conventions' attributes. After the
    session's calls, one to Anthropic (whose usage reports cache reads and writes beside the input)."""
    import anthropic
    from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    OpenAIInstrumentor().instrument(tracer_provider=provider)
    AnthropicInstrumentor().instrument(tracer_provider=provider)
    tracer = provider.get_tracer(__name__)
    claude = anthropic.Anthropic(base_url=str(client.base_url).removesuffix("/").removesuffix("/v1"), api_key="sk-ant-fake", max_retries=0)

    def run_tool(call_id: str, arguments: str) -> str:
        with tracer.start_as_current_span("execute_tool get_weather", attributes={
                "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": call_id}):
            return get_weather(**json.loads(arguments))

    with tracer.start_as_current_span(f"invoke_agent {AGENT}", attributes={
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": AGENT, "gen_ai.conversation.id": session, "user.id": user}):
        run_session(client, run_tool)
        claude.messages.create(model="claude-sonnet-4-5", max_tokens=256, messages=[{"role": "user", "content": QUESTION}])


def with_logfire(processor: SpanProcessor, service: str, client: openai.OpenAI, session: str, user: str) -> None:
    """Pydantic Logfire: its own tracer provider (local, nothing sent to Logfire's servers), our exporter as an
    additional processor, instrument_openai; agent and tool spans are logfire spans with GenAI attributes."""
    import logfire

    fire = logfire.configure(local=True, send_to_logfire=False, service_name=service, service_version="0.3.0", console=False,
                             metrics=False, inspect_arguments=False, additional_span_processors=[processor])
    fire.instrument_openai(client)

    def run_tool(call_id: str, arguments: str) -> str:
        with fire.span("execute_tool {tool}", tool="get_weather", **{
                "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": call_id}):
            return get_weather(**json.loads(arguments))

    try:
        with fire.span("invoke_agent {agent}", agent=AGENT, **{
                "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": AGENT, "gen_ai.conversation.id": session, "user.id": user}):
            run_session(client, run_tool)
    finally:
        fire.shutdown()  # flushes every span before the process ends


def with_langfuse(base_url: str, service: str, openai_base_url: str, session: str, user: str) -> None:
    """The Langfuse SDK: its OpenAI integration (a drop-in client that records each call as a generation, the
    provider's usage object as its usage_details), an agent observation and a tool observation. It exports
    OTLP/HTTP itself, to base_url's /api/public/otel/v1/traces."""
    from langfuse import Langfuse, propagate_attributes
    from langfuse.openai import OpenAI

    provider = TracerProvider(resource=Resource.create({"service.name": service, "service.version": "0.3.0"}))
    langfuse = Langfuse(public_key="pk-lf-test", secret_key="sk-lf-test", base_url=base_url, tracer_provider=provider)
    client = OpenAI(base_url=openai_base_url, api_key="sk-fake", max_retries=0, timeout=10)

    def run_tool(call_id: str, arguments: str) -> str:
        with langfuse.start_as_current_observation(name="get_weather", as_type="tool", input=arguments) as tool:
            result = get_weather(**json.loads(arguments))
            tool.update(output=result)
            return result

    try:
        with propagate_attributes(session_id=session, user_id=user):
            with langfuse.start_as_current_observation(name=AGENT, as_type="agent"):
                run_session(client, run_tool)
    finally:
        langfuse.shutdown()  # flushes every span before the process ends


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("library", choices=["openai_v2", "openinference", "openllmetry", "logfire", "langfuse"])
    parser.add_argument("--otlp", required=True, help="OTLP endpoint: http://host:port (gRPC) or http://host:port/v1/traces (HTTP); langfuse: http://host:port")
    parser.add_argument("--processor", choices=["simple", "batch"], default="batch",
                        help="simple: one export request per span as it ends, so the agent root comes last; batch: one request")
    parser.add_argument("--openai-base-url", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--session", required=True)
    parser.add_argument("--user", required=True)
    args = parser.parse_args()
    if args.library == "langfuse":  # its own exporter: --otlp is the server's base URL
        with_langfuse(args.otlp, args.service, args.openai_base_url, args.session, args.user)
        return

    resource = Resource.create({"service.name": args.service, "service.version": "0.3.0"})
    exporter: Any
    if args.otlp.endswith("/v1/traces"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

        exporter = HttpExporter(endpoint=args.otlp, timeout=10)
    else:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

        exporter = GrpcExporter(endpoint=args.otlp, insecure=True, timeout=10)
    processor = SimpleSpanProcessor(exporter) if args.processor == "simple" else BatchSpanProcessor(exporter)
    client = openai.OpenAI(base_url=args.openai_base_url, api_key="sk-fake", max_retries=0, timeout=10)
    if args.library == "logfire":
        with_logfire(processor, args.service, client, args.session, args.user)
        return
    if args.library == "openinference":
        from openinference.instrumentation import TracerProvider as OITracerProvider

        provider: TracerProvider = OITracerProvider(resource=resource)
    else:
        provider = TracerProvider(resource=resource)
    provider.add_span_processor(processor)
    session = {"openai_v2": with_openai_v2, "openinference": with_openinference, "openllmetry": with_openllmetry}[args.library]
    try:
        session(provider, client, args.session, args.user)
    finally:
        provider.shutdown()  # flushes every span before the process ends


if __name__ == "__main__":
    main()
