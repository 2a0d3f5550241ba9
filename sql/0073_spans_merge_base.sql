-- spans merges parts ten at a time rather than five (merge_selector_base: the ratio between the sizes of
-- successive merge levels), so each span is rewritten by fewer merges over its life: about log10 rather than
-- log5 of the parts a day makes, for up to twice as many parts per level to read. At 60,000 spans/s the server
-- used 135-137% of a core instead of 140-144%, the merges 14% instead of 21-22%; reads of the spans the bench
-- left were no slower (README, Ingest performance). The dashboards read rollups, not spans.
ALTER TABLE spans MODIFY SETTING merge_selector_base = 10;
