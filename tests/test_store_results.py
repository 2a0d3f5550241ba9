"""A result the store returned stays as it was read while later queries run. chDB hands Arrow results over
from memory it reuses for the next query; store/embedded.py keeps them compressed so that pyarrow owns its
copy (uncompressed, this test's first table came back garbled)."""

from __future__ import annotations

NUMBERS = ("SELECT number * {k} AS n, toString(number * {k}) AS s, arrayMap(x -> toUInt8(x % 7 + {k}), range(number % 40)) AS a "
           "FROM numbers(200000)")


def test_a_result_read_earlier_is_unchanged_by_later_queries(store) -> None:  # type: ignore[no-untyped-def]
    first = store.backend.query_arrow(NUMBERS.format(k=1))
    kept = first.to_pylist()
    for k in (3, 5, 7):
        assert store.backend.query_arrow(NUMBERS.format(k=k)).num_rows == 200000
    assert first.to_pylist() == kept
    assert kept[199999] == {"n": 199999, "s": "199999", "a": [x % 7 + 1 for x in range(199999 % 40)]}
