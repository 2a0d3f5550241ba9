"""The insert path's attribute codes: every key the resolution reads must be listed, or it is never found."""

from __future__ import annotations

import re

from store import sql_files
from tests.conftest import rows

_KEY_READS = re.compile(r"sl_(?:at|first\d)\(mapValues\(attributes\), c,((?:\s*'[^']+',?)+)\)|sl_key_code\('([^']+)'\)")


def keys_read_by_the_insert() -> set[str]:
    text = sql_files.query("insert_otlp_spans")
    found: set[str] = set()
    for listed, single in _KEY_READS.findall(text):
        found.update(re.findall(r"'([^']+)'", listed) if listed else [single])
    return found


def test_every_key_the_resolution_reads_has_a_code(store) -> None:  # type: ignore[no-untyped-def]
    listed = rows(store, "SELECT sl_resolved_keys() AS keys")[0]["keys"]
    read = keys_read_by_the_insert()
    assert len(read) > 50  # the pattern above still finds the reads
    assert read - set(listed) == set()
    assert len(listed) == len(set(listed)) < 255  # codes are UInt8; 255 marks an unlisted key


def test_codes_pick_the_first_non_empty_key_in_order(store) -> None:  # type: ignore[no-untyped-def]
    found = rows(store, """
        SELECT sl_first3(mapValues(m), sl_key_codes(m), 'gen_ai.request.model', 'llm.request.model', 'langfuse.observation.model.name') AS first,
               sl_at(mapValues(m), sl_key_codes(m), 'llm.request.model') AS at,
               sl_at(mapValues(m), sl_key_codes(m), 'gen_ai.agent.name') AS absent,
               sl_at(mapValues(m), sl_key_codes(m), 'not.a.listed.key') AS unlisted
        FROM (SELECT map('other', 'x', 'gen_ai.request.model', '', 'llm.request.model', 'b', 'langfuse.observation.model.name', 'c') AS m)""")
    assert found == [{"first": "b", "at": "b", "absent": "", "unlisted": ""}]
