-- The redaction of one text and one attribute map under the given parameters (ingest/redaction.py): run
-- at start, so a pattern ClickHouse's RE2 refuses stops the start instead of every load, and by tests.
SELECT sl_redact_text({text:String}, {redact_detectors:Array(String)}, {redact_salt:String}, {redact_custom:String}) AS text,
       sl_redact_map(map('key', {text:String}), {redact_detectors:Array(String)}, {redact_salt:String}, {redact_custom:String},
                     {redact_keep:Array(String)}, {redact_drop:Array(String)})['key'] AS attribute
