"""Dashboards: the Dash UI for agent owners and ops. Reads the jobs' tables (sessions, rollups, weekly
reviews) through store/ and jobs/ functions that return frames; never writes what the jobs own."""
