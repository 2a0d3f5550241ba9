"""What the demo fleet is made of: agents, their versions, the models and tools they call.

Plain data only. Every chat and embedding model here is in store/prices.csv except UNPRICED, which is
deliberately missing so the 'unpriced' cost source shows up; tests/test_demo.py checks both.
"""

from __future__ import annotations

from dataclasses import dataclass


class RateLimitError(Exception):
    """What a provider SDK raises on HTTP 429."""


class ContextWindowExceededError(Exception):
    """What a provider SDK raises when the prompt no longer fits the model."""


class ToolExecutionError(Exception):
    """What an agent framework raises when a tool returns an error."""


@dataclass(frozen=True)
class Model:
    name: str  # gen_ai.request.model
    response: str  # gen_ai.response.model, a dated snapshot where the provider returns one
    provider: str  # gen_ai.provider.name
    server: str  # server.address
    tokens_per_second: float
    caching: bool = True  # the provider reports cache-read input tokens
    reasoning: bool = False  # the model reports reasoning output tokens


@dataclass(frozen=True)
class Tool:
    name: str
    latency_s: tuple[float, float]  # uniform range of a successful call
    failure: tuple[type[Exception], str]  # what a failed call raises


@dataclass(frozen=True)
class Version:
    version: str
    prod_weight: float  # share of the agent's prod traffic (0: not deployed in prod)
    staging_weight: float  # share of the agent's staging traffic
    models: tuple[tuple[str, float], ...]  # chat model name, weight
    turns: tuple[int, int]  # model calls in an ordinary session, inclusive range
    error_rate: float  # sessions that fail
    escalation_rate: float  # sessions handed off to a human
    tool_failure_rate: float  # tool calls that fail
    context_scale: float = 1.0  # multiplies the prompt size (a longer system prompt, more history kept)


@dataclass(frozen=True)
class Agent:
    name: str
    weight: float  # share of all sessions
    tools: tuple[Tool, ...]
    knowledge_base: str  # gen_ai.data_source.id of its retrievals; '' when it retrieves nothing
    embedding_model: str
    versions: tuple[Version, ...]


_OPENAI, _ANTHROPIC = "api.openai.com", "api.anthropic.com"
_GOOGLE, _MISTRAL, _DEEPSEEK = "generativelanguage.googleapis.com", "api.mistral.ai", "api.deepseek.com"

UNPRICED = "acme-travel-ft-8b"  # a self-hosted fine-tune nobody publishes a price for

MODELS: dict[str, Model] = {model.name: model for model in (
    Model("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "openai", _OPENAI, 110),
    Model("gpt-4o", "gpt-4o-2024-11-20", "openai", _OPENAI, 80),
    Model("gpt-4.1", "gpt-4.1-2025-04-14", "openai", _OPENAI, 75),
    Model("gpt-5-mini", "gpt-5-mini-2025-08-07", "openai", _OPENAI, 90, reasoning=True),
    Model("o3", "o3-2025-04-16", "openai", _OPENAI, 60, reasoning=True),
    Model("o4-mini", "o4-mini-2025-04-16", "openai", _OPENAI, 100, reasoning=True),
    Model("claude-haiku-4-5", "claude-haiku-4-5-20251001", "anthropic", _ANTHROPIC, 120),
    Model("claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "anthropic", _ANTHROPIC, 70),
    Model("gemini-2.0-flash", "gemini-2.0-flash-001", "gcp.gemini", _GOOGLE, 150),
    Model("gemini-2.5-pro", "gemini-2.5-pro", "gcp.gemini", _GOOGLE, 65),
    Model("mistral-large", "mistral-large-2411", "mistral_ai", _MISTRAL, 55, caching=False),
    Model("mistral-small", "mistral-small-2503", "mistral_ai", _MISTRAL, 130, caching=False),
    Model("deepseek-chat", "deepseek-chat", "deepseek", _DEEPSEEK, 45),
    Model("deepseek-reasoner", "deepseek-reasoner", "deepseek", _DEEPSEEK, 40, reasoning=True),
    Model(UNPRICED, UNPRICED, "vllm", "llm.internal.acme.dev", 160, caching=False),
    Model("text-embedding-3-small", "text-embedding-3-small", "openai", _OPENAI, 0, caching=False),
    Model("text-embedding-3-large", "text-embedding-3-large", "openai", _OPENAI, 0, caching=False),
    Model("gemini-embedding-001", "gemini-embedding-001", "gcp.gemini", _GOOGLE, 0, caching=False),
)}


def _tool(name: str, low: float, high: float, error: type[Exception], message: str) -> Tool:
    return Tool(name, (low, high), (error, message))


AGENTS: tuple[Agent, ...] = (
    Agent("support-bot", 0.4, (
        _tool("lookup_order", 0.05, 0.4, ToolExecutionError, "order service returned 404 for the given order id"),
        _tool("refund_order", 0.2, 1.2, PermissionError, "refund above the agent's approval limit"),
        _tool("update_address", 0.1, 0.6, ValueError, "postal code does not match the country"),
        _tool("send_email", 0.1, 0.8, ConnectionError, "SMTP relay refused the connection"),
    ), "support-kb", "text-embedding-3-small", (
        Version("2.3.1", 0.8, 0.0, (("gpt-4o-mini", 0.75), ("gpt-4o", 0.25)), (2, 5), 0.03, 0.12, 0.05),
        Version("2.4.0", 0.2, 0.5, (("claude-haiku-4-5", 0.8), ("claude-sonnet-4-5", 0.2)), (2, 4), 0.015, 0.06, 0.03, 1.3),
        Version("2.5.0-rc.1", 0.0, 0.5, (("gpt-5-mini", 1.0),), (2, 6), 0.08, 0.08, 0.06),
    )),
    Agent("research-assistant", 0.2, (
        _tool("web_search", 0.4, 2.0, TimeoutError, "search provider did not answer within 2000 ms"),
        _tool("fetch_url", 0.1, 1.5, ConnectionError, "connection reset by peer"),
        _tool("read_pdf", 0.3, 1.8, ValueError, "PDF is encrypted"),
    ), "papers-index", "text-embedding-3-large", (
        Version("1.8.2", 0.9, 0.3, (("claude-sonnet-4-5", 0.6), ("gemini-2.5-pro", 0.4)), (3, 8), 0.04, 0.05, 0.08),
        Version("1.9.0", 0.1, 0.7, (("o3", 0.7), ("gpt-4.1", 0.3)), (3, 7), 0.02, 0.03, 0.08, 1.5),
    )),
    Agent("code-reviewer", 0.2, (
        _tool("git_diff", 0.05, 0.3, ToolExecutionError, "revision not found in repository"),
        _tool("read_file", 0.05, 0.2, FileNotFoundError, "no such file in the checked-out tree"),
        _tool("run_tests", 0.8, 2.0, TimeoutError, "test run exceeded the 2 s sandbox budget"),
        _tool("post_review_comment", 0.1, 0.5, PermissionError, "token lacks pull_requests:write"),
    ), "", "", (
        Version("0.9.4", 0.85, 0.4, (("gpt-4.1", 0.5), ("deepseek-chat", 0.5)), (2, 6), 0.05, 0.02, 0.06),
        Version("1.0.0", 0.15, 0.6, (("o4-mini", 0.6), ("deepseek-reasoner", 0.4)), (2, 5), 0.03, 0.02, 0.04, 1.2),
    )),
    Agent("travel-planner", 0.2, (
        _tool("search_flights", 0.3, 2.0, TimeoutError, "flights API timed out after 2000 ms"),
        _tool("search_hotels", 0.2, 1.5, ConnectionError, "hotel inventory service unavailable (503)"),
        _tool("get_weather", 0.05, 0.3, ToolExecutionError, "unknown location"),
        _tool("book_trip", 0.5, 1.8, ValueError, "fare no longer available"),
    ), "destinations-guide", "gemini-embedding-001", (
        Version("3.2.0", 0.9, 0.4, (("gemini-2.0-flash", 0.6), ("mistral-large", 0.4)), (2, 6), 0.03, 0.09, 0.07),
        Version("3.3.0", 0.1, 0.6, ((UNPRICED, 0.5), ("mistral-small", 0.3), ("deepseek-chat", 0.2)),
                (2, 7), 0.07, 0.05, 0.10, 0.8),
    )),
)

ENVIRONMENTS = (("prod", 0.85), ("staging", 0.15))
RUNAWAY_RATE = 0.02  # sessions that loop for many turns over a huge context: the expensive long tail
USERS = 400  # distinct user ids per agent
