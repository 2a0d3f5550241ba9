"""OTLP in: the only package that knows the OpenTelemetry protocol (protobuf types, JSON mapping, transports)."""
