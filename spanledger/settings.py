"""The one settings class: every knob spanledger has, with its default and a one-line description.

Precedence: command-line flag, then environment (SPANLEDGER_*), then the settings file
(SPANLEDGER_CONFIG, TOML), then the default. Nothing else in the code reads the environment.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ingest.redaction import DETECTORS, Redaction


class SettingsError(Exception):
    """Raised at start when a setting is invalid; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPANLEDGER_", extra="forbid", validate_default=True)

    data_dir: Path = Field(Path("./spanledger-data"), description="Directory of the embedded chDB store, the spool and the dead-letter files.")
    clickhouse_url: str = Field("", description="ClickHouse server URL (http[s]://user:pass@host:8123/db). Empty: use the embedded chDB store in data_dir.")
    host: str = Field("127.0.0.1", description="Address the gRPC, HTTP and UI servers bind to.")
    grpc_port: int = Field(4317, ge=0, le=65535, description="OTLP/gRPC port (TraceService/Export).")
    http_port: int = Field(4318, ge=0, le=65535, description="OTLP/HTTP port (POST /v1/traces) and the JSON API.")
    ui_port: int = Field(8050, ge=0, le=65535, description="Dashboard UI port.")
    retention_days: int = Field(30, ge=1, le=3650, description="Spans older than this many days are deleted by the table TTL.")
    price_file: Path | None = Field(None, description="Optional CSV of price overrides (same columns as store/prices.csv); its rows win over the shipped table.")
    max_request_bytes: int = Field(16 * 1024 * 1024, ge=1024, description="Largest accepted OTLP request body, after decompression.")
    max_attribute_bytes: int = Field(1024 * 1024, ge=64, le=2**31, description="Attribute values longer than this many bytes are stored cut to it, with a '…[truncated N bytes]' marker (not rejected).")
    max_spans_per_request: int = Field(100_000, ge=1, description="Requests holding more spans are refused whole (HTTP 400, gRPC INVALID_ARGUMENT): export smaller batches.")
    max_attributes_per_span: int = Field(2048, ge=1, le=1_000_000, description="Attributes of a span (and of each of its events) beyond this many are not stored; the span gets spanledger.dropped_attributes with their number.")
    batch_max_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="A group commit is written to the spool when its requests reach this many bytes.")
    batch_max_delay_ms: int = Field(20, ge=1, le=10_000, description="A request waits at most this many milliseconds for its group commit (write and fsync to the spool, then acknowledge).")
    load_max_bytes: int = Field(128 * 1024 * 1024, ge=1024, description="Most spooled bytes one load into the store takes: a load's fixed cost (about 0.25 s of planning) is shared by more spans, at the price of the store's working memory (at the default the server's RSS peaked at 2.3–3.8 GB in the bench at full speed, two loads and the jobs at once).")
    load_parallelism: int = Field(2, ge=1, le=8, description="Loads into the store that run at once: while one moves its spans into the table (on one core), the next parses (README, Ingest performance). Each holds a stage of up to load_max_bytes in memory and, embedded, a chDB connection of its own.")
    load_interval_ms: int = Field(2500, ge=10, le=60_000, description="How often spooled requests are loaded into the store while at least load_min_bytes wait (spans then become queryable within about this long, plus the load); a full load_max_bytes goes at once. Each load costs about 0.25 s of CPU to plan and makes a part that merges rewrite: at 60,000 spans/s the server used 140–154% of a core at 2500 ms, 175–177% at 1000 ms (README, Ingest performance).")
    load_min_bytes: int = Field(1024 * 1024, ge=0, description="Below this many spooled bytes a load waits for load_max_wait_ms instead of load_interval_ms: every load costs about 0.25 s of CPU however few spans it holds, so a trickle of spans is loaded less often.")
    load_max_wait_ms: int = Field(3000, ge=10, le=60_000, description="The longest a spooled request waits for its load when less than load_min_bytes are spooled (spans of a trickle become queryable within about this long).")
    queue_max_bytes: int = Field(512 * 1024 * 1024, ge=1024, description="Bytes of requests accepted but not yet loaded into the store (memory and spool) before new ones get a retryable backpressure answer.")
    fsync: bool = Field(True, description="fsync each spool file before acknowledging (protects acknowledged spans against power loss, not only process death).")
    context_repair_seconds: float = Field(30.0, gt=0, description="How often spans stored before their trace named its session are given that session (and the user and agent the trace names). Each run rereads the spans of the traces that changed since the last one, so a shorter interval rereads the same spans more often (README, Ingest performance).")
    context_repair_agent_max_spans: int = Field(5_000, ge=1, description="In a trace where several agents name themselves, each span is given its nearest agent ancestor's name by the context repair; finding the ancestors costs the square of the trace's spans (1.1 s of CPU for 10,000), so a trace of more spans keeps its trace's agent (README, Attribute resolution).")
    context_repair_window_hours: int = Field(24, ge=1, le=48, description="How far back the context repair looks for such spans (at most 48: trace_context keeps a trace for two days after its last span).")
    demo: bool = Field(False, description="Run the built-in synthetic agent fleet that exports to this server over OTLP.")
    demo_sessions_per_second: float = Field(2.0, gt=0, description="Sessions per second the demo fleet produces.")
    query_max_rows: int = Field(100_000, ge=1, description="Most rows the read-only query API returns.")
    query_max_seconds: int = Field(30, ge=1, description="Longest run time of one query through the query API.")
    # Security: API keys, logins, TLS (README "Security").
    auth_required: bool = Field(False, description="Refuse OTLP, API and UI requests without a valid API key or login. Off: a request without credentials is served as an admin, and its spans go to tenant 'default' (loopback only, see allow_unauthenticated_remote).")
    allow_unauthenticated_remote: bool = Field(False, description="Start even though host is not a loopback address while auth_required is off: anyone who reaches the ports may then write and read everything.")
    api_key: str = Field("", description="The API key the CLI sends to the server at --url (Authorization: Bearer).")
    auth_cache_seconds: float = Field(0.5, gt=0, le=1, description="API keys and users are read from the store again after this long; a key revoked through this server is refused at once.")
    auth_proxy_header: str = Field("", description="Trusted reverse-proxy login (SSO in front) for the UI and API: the request header naming the signed-in user, who must exist as a spanledger user. Empty: off.")
    auth_proxy_trusted: list[str] = Field(["127.0.0.1", "::1"], description="Peer addresses whose auth_proxy_header is believed; from any other peer the header is ignored.")
    session_secret: str = Field("", description="Secret that signs UI login cookies. Empty: a random one per start (logins end at a restart).")
    tls_cert_file: Path | None = Field(None, description="PEM certificate (chain) served by OTLP/gRPC, OTLP/HTTP + API and the UI; TLS is on when this and tls_key_file are set.")
    tls_key_file: Path | None = Field(None, description="PEM private key of tls_cert_file.")
    jobs_enabled: bool = Field(True, description="Run the scheduled jobs (sessions, rollups, weekly review) inside `spanledger serve`.")
    jobs_interval_seconds: float = Field(60.0, gt=0, description="How often the incremental sessions + rollups pass runs.")
    jobs_max_share: float = Field(0.5, gt=0, le=1, description="The largest share of the time the incremental passes may take: after a pass of D seconds the next starts no sooner than D x (1 / share - 1) seconds later, even when jobs_interval_seconds is shorter. Beyond it the metrics lag rather than the ingest (passes grow with the data: README, Ingest performance); 1 lets passes run back to back.")
    jobs_nice: int = Field(10, ge=0, le=19, description="OS priority (nice) of the scheduled jobs' statements in ClickHouse (os_thread_priority): when the CPU is full, loads and requests go first and the passes take longer. At 100,000 spans/s offered, each run at 10 acknowledged between 1.6% fewer and 6% more spans than the run at 0 between them, inside the machine's drift (README, Ingest performance). ClickHouse applies it only with the CAP_SYS_NICE capability (root, or cap_add SYS_NICE in docker); 0: off.")
    jobs_late_window_seconds: int = Field(15, ge=0, description="Each incremental pass re-reads this many seconds before its watermark, for spans that another spanledger on the same ClickHouse server was still loading when the last pass ran; this process's own loads hold the watermark back themselves. Every second of it is read again at each pass (at 100,000 spans/s, 120 s tripled a pass's work).")
    jobs_backfill_chunk_hours: int = Field(24, ge=1, description="Backfills over a time range work through it in chunks of this many hours (one progress step each).")
    jobs_session_lookback_hours: int = Field(24, ge=0, description="A backfill range also reads spans up to this many hours before it, for sessions that started earlier.")
    session_idle_minutes: float = Field(30.0, gt=0, description="A session whose traces have not all ended is finished once no span of it ended for this long.")
    session_idle_outcome: Literal["resolved", "escalated", "failed", "abandoned"] = Field("abandoned", description="Outcome of a session finished by idling with a trace whose root span never arrived.")
    session_outcome_attributes: list[str] = Field(["spanledger.outcome", "session.outcome"], max_length=4, description="Root span attributes naming a session's outcome (resolved, escalated, failed, abandoned); the first set one wins; at most 4.")
    session_handoff_attributes: list[str] = Field(["spanledger.handoff", "session.handoff"], max_length=4, description="Span attributes that mark a human handoff when 'true' or '1' (handoff spans count too); at most 4.")
    session_segment_attributes: list[str] = Field(["spanledger.user_segment", "user.segment"], max_length=4, description="Root span attributes naming the user segment the metrics are split by; the first set one wins; at most 4.")
    budgets_file: Path | None = Field(None, description="TOML file of per-agent budgets: [agents.NAME] cost_per_session_p95_usd, daily_spend_usd; carried into the rollups.")
    weekly_review_cron: str = Field("0 0 * * mon", description="When the weekly top-sessions review of the past ISO week runs (crontab, UTC; day names avoid numbering doubts).")
    weekly_review_size: int = Field(10, ge=1, le=100, description="How many of the most expensive sessions the weekly review keeps per tenant and per agent.")
    gate_min_sessions: int = Field(100, ge=1, description="`spanledger gate`: finished sessions each version needs before it decides (else exit 2).")
    gate_success_margin: float = Field(0.02, ge=0, le=1, description="`spanledger gate`: largest tolerated drop in success rate (absolute, 0.02 = 2 points).")
    gate_latency_margin: float = Field(0.10, ge=0, description="`spanledger gate`: largest tolerated rise of p95 session latency (relative, 0.10 = 10%).")
    gate_cost_margin: float = Field(0.10, ge=0, description="`spanledger gate`: largest tolerated rise of p95 cost per session (relative).")
    gate_alpha: float = Field(0.05, gt=0, lt=1, description="`spanledger gate`: significance level of the one-sided test that the success rate dropped.")
    redact_detectors: list[str] = Field(list(DETECTORS), description="PII and secret detectors applied to every stored attribute value, event attribute, status message, session and user id before storage (empty: none): " + ", ".join(DETECTORS) + ".")
    redact_patterns: list[str] = Field([], description="Extra RE2 patterns (e.g. 'ORDER-\\d{6}'); each whole match is stored as [redacted:custom].")
    redact_keep_attributes: list[str] = Field([], description="Attribute keys stored as sent, never redacted ('prefix.*' names a prefix).")
    redact_drop_attributes: list[str] = Field([], description="Attribute keys whose values are never stored, only their size ('prefix.*' names a prefix), e.g. gen_ai.input.messages.")
    redact_salt: str = Field("", description="Key of the email and phone pseudonyms ([redacted:email 1a2b3c4d]). Empty: a random key kept in data_dir/redaction.key (set one when several processes share a store).")
    # -- alerts (alerts/): rules file, dashboards link base, outbox retries, channels --
    alerts_rules_file: Path | None = Field(None, description="YAML file of alert rules and silences (README: Alerts), validated at start; none: no rules are evaluated.")
    alerts_ui_url: str = Field("http://127.0.0.1:8050", description="Base URL of the dashboards as the people paged reach them: notification links start with it.")
    alerts_delivery_interval_seconds: float = Field(5.0, gt=0, description="How often the outbox sends the notifications that are due (new ones and retries).")
    alerts_retry_base_seconds: float = Field(10.0, gt=0, description="First retry delay of a failed delivery; it doubles with each attempt up to alerts_retry_max_seconds.")
    alerts_retry_max_seconds: float = Field(600.0, gt=0, description="Longest delay between two delivery attempts of one notification.")
    alerts_give_up_hours: float = Field(24.0, gt=0, description="A notification still undelivered this long after it was created is marked failed and no longer retried.")
    alerts_weekly_review_channels: list[str] = Field([], description="Channels the weekly top-sessions review is sent to once computed (slack, webhook, email).")
    alert_pagerduty_routing_key: SecretStr | None = Field(None, description="PagerDuty Events API v2 integration (routing) key; set: the pagerduty channel is on.")
    alert_pagerduty_url: str = Field("https://events.pagerduty.com/v2/enqueue", description="PagerDuty Events API v2 endpoint.")
    alert_slack_webhook_url: SecretStr | None = Field(None, description="Slack incoming webhook URL (a secret); set: the slack channel is on.")
    alert_webhook_url: str = Field("", description="Generic webhook URL receiving each notification as JSON; set: the webhook channel is on.")
    alert_webhook_secret: SecretStr | None = Field(None, description="Key of the webhook's HMAC-SHA256 signature header (X-Spanledger-Signature).")
    alert_smtp_host: str = Field("", description="SMTP server for the email channel (on when this and alert_email_to are set).")
    alert_smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port.")
    alert_smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS before logging in and sending.")
    alert_smtp_username: str = Field("", description="SMTP login user (empty: no login).")
    alert_smtp_password: SecretStr | None = Field(None, description="SMTP login password.")
    alert_email_from: str = Field("spanledger@localhost", description="From address of alert emails.")
    alert_email_to: list[str] = Field([], description="Recipients of alert emails.")
    alert_http_timeout_seconds: float = Field(10.0, gt=0, description="Timeout of one delivery attempt (HTTP request or SMTP session).")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")

    @field_validator("host")
    @classmethod
    def _host_is_address(cls, value: str) -> str:
        if value in ("localhost", "0.0.0.0", "::"):
            return value
        try:
            ipaddress.ip_address(value)
        except ValueError as exc:
            raise ValueError(f"not an IP address: {value!r}") from exc
        return value

    @field_validator("redact_detectors")
    @classmethod
    def _known_detectors(cls, value: list[str]) -> list[str]:
        Redaction(detectors=tuple(value))  # raises ValueError naming the unknown ones
        return value

    @field_validator("clickhouse_url")
    @classmethod
    def _url_scheme(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("tls_cert_file", "tls_key_file")
    @classmethod
    def _readable_file(cls, value: Path | None) -> Path | None:
        if value is not None and not Path(value).is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @model_validator(mode="after")
    def _tls_pair(self) -> Settings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file are set together")
        return self

    @property
    def tls(self) -> bool:
        return self.tls_cert_file is not None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls))

    @property
    def embedded(self) -> bool:
        return not self.clickhouse_url


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the file named by SPANLEDGER_CONFIG, if any; keys are the field names."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("SPANLEDGER_CONFIG")
        if not path:
            return {}
        try:
            with open(path, "rb") as handle:
                return tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"SPANLEDGER_CONFIG={path}: {exc}") from exc


def load_settings(**overrides: Any) -> Settings:
    """Builds the settings; flags passed as overrides win. Invalid values raise SettingsError naming the variable."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            if not error["loc"]:  # a check across fields names them in its message
                problems.append(str(error["msg"]))
                continue
            field = str(error["loc"][0])
            problems.append(f"SPANLEDGER_{field.upper()} ({field}): {error['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None


def settings_table() -> str:
    """The README's settings table, generated from the class so the two cannot drift apart."""
    lines = ["| variable | default | description |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "" if default is None else str(default)
        lines.append(f"| `SPANLEDGER_{name.upper()}` | `{shown}` | {field.description} |")
    return "\n".join(lines)
