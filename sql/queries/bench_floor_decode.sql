-- Bench only (bench/floor_profile.py): the Protobuf decode of a batch and nothing else, the floor under every load.
SELECT sum(length(arrayFlatten(arrayMap(r -> arrayMap(ss -> ss.spans, r.scope_spans), resource_spans)))) FROM {source}
