-- Bench only: merge the spans table's parts as background merges eventually do, so a bench measures
-- spans at rest (bench/jobs_bench.py --no-settle measures them unmerged).
OPTIMIZE TABLE spans FINAL
