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

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


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
    batch_max_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="A batch is flushed to the store when its requests reach this many bytes.")
    batch_max_delay_ms: int = Field(50, ge=1, le=10_000, description="A batch is flushed at most this many milliseconds after its first request arrived.")
    queue_max_bytes: int = Field(256 * 1024 * 1024, ge=1024, description="Bytes of requests waiting for the store before new ones get a retryable backpressure answer.")
    fsync: bool = Field(True, description="fsync the batch file before it is inserted (protects acknowledged spans against power loss, not only process death).")
    context_repair_seconds: float = Field(5.0, gt=0, description="How often spans stored before their trace named its session or agent are given that context.")
    context_repair_window_hours: int = Field(24, ge=1, description="How far back the context repair looks for such spans.")
    demo: bool = Field(False, description="Run the built-in synthetic agent fleet that exports to this server over OTLP.")
    demo_sessions_per_second: float = Field(2.0, gt=0, description="Sessions per second the demo fleet produces.")
    query_max_rows: int = Field(100_000, ge=1, description="Most rows the read-only query API returns.")
    query_max_seconds: int = Field(30, ge=1, description="Longest run time of one query through the query API.")
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

    @field_validator("clickhouse_url")
    @classmethod
    def _url_scheme(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

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
            field = str(error["loc"][0]) if error["loc"] else "?"
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
