"""spanledger: trace and cost observability for AI agents. This package holds the CLI, settings and wiring."""

__version__ = "0.1.0"
