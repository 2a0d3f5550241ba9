"""The store: the only package that talks to ClickHouse (embedded chDB or a server)."""

from store.backend import StoreError
from store.store import Store, open_store

__all__ = ["Store", "StoreError", "open_store"]
