"""An agent turn instrumented by OpenLIT (openlit.init, its own tracer provider exporting OTLP/HTTP): the agent's span
from the OpenTelemetry API, then a model call that asks for a tool, the tool's span, a streamed answer, an embedding,
a call the provider fails and one to Anthropic. Run in tests/openlit/.venv by tests/test_openlit.py.

Usage: agent.py OTLP_HTTP_BASE OPENAI_BASE_URL SERVICE SESSION
"""

from __future__ import annotations

import sys

import anthropic
import openai
import openlit
from opentelemetry import trace

FAIL_MARKER = "FAIL_WITH_500"  # tests/fake_openai.py answers HTTP 500 to a prompt holding it


def main(otlp: str, base_url: str, service: str, session: str) -> None:
    # Without network OpenLIT cannot fetch its price list: it then states a cost of 0 for every call.
    openlit.init(otlp_endpoint=otlp, application_name=service, service_name=service, environment="staging",
                 disable_metrics=True, disable_events=True, disable_batch=True)
    tracer = trace.get_tracer("weather-agent")
    client = openai.OpenAI(base_url=base_url, api_key="sk-fake", max_retries=0)
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city.",
                                               "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    question = [{"role": "user", "content": "What's the weather in Paris?"}]
    with tracer.start_as_current_span("invoke_agent weather-assistant", attributes={
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "weather-assistant", "gen_ai.conversation.id": session}):
        asked = client.chat.completions.create(model="gpt-4o-mini", messages=question, tools=tools)
        call = asked.choices[0].message.tool_calls[0]
        with tracer.start_as_current_span("execute_tool get_weather", attributes={
                "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": call.function.name}):
            result = '{"temperature": 21}'
        answer = client.chat.completions.create(model="gpt-4o-mini", stream=True, stream_options={"include_usage": True}, messages=[
            *question, asked.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": result}])
        for _ in answer:
            pass
        client.embeddings.create(model="text-embedding-3-small", input=["Paris", "weather"])
        try:
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": FAIL_MARKER}])
        except openai.InternalServerError:
            pass
        # A second opinion from Anthropic, whose input count leaves out what was read from and written to the cache.
        claude = anthropic.Anthropic(base_url=base_url.removesuffix("/v1"), api_key="sk-ant-fake", max_retries=0)
        claude.messages.create(model="claude-sonnet-4-5", max_tokens=256, messages=question)
    trace.get_tracer_provider().shutdown()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main(*sys.argv[1:5])
