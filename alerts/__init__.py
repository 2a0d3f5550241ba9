"""Alerts: rules over the jobs' tables (sessions and rollups), a state machine per rule and series, and
delivery through a persistent outbox to PagerDuty, Slack, a webhook and email. Reads only through jobs/
functions and store queries; never scans spans."""
