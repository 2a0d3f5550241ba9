-- spans merges parts thirty at a time rather than ten (sql/0073_spans_merge_base.sql): each span is rewritten by
-- about log30 rather than log10 of the parts a day makes (a day at 100,000 spans/s loads about 40,000 parts of
-- 200,000 spans: 3 merges rather than 4.6), for up to three times as many parts per level to read. Over 600 s at
-- 60,000 spans/s the merges used 20% of a core instead of 27%, and the store kept up with 53,727 spans/s instead
-- of 52,340 (README, Ingest performance). Reads of recent spans (the jobs' passes) cover a few parts either way.
ALTER TABLE spans MODIFY SETTING merge_selector_base = 30;
