"""Scheduled work over the store: context repair, sessions, rollups, reports. Reads and writes only through store/."""
