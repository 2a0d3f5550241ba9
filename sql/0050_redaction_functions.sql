-- PII and secret redaction on the insert path (README, "PII redaction"). Every string the spans table
-- keeps from a request passes through sl_redact_text before it is stored. Detectors are switched by name
-- (SPANLEDGER_REDACT_DETECTORS); a match is replaced by a '[redacted:<detector> ...]' mask. Emails and
-- phone numbers become a short keyed hash, so one user stays one user in the metrics without being named.
-- Cost: one vectorscan pass per value (multiMatchAny); only values it flags pay for the extraction.
-- Card numbers: 15 or 16 digits, or the printed groupings (4-4-4-4 up to 19 digits, Amex 4-6-5), not part
-- of a longer word, number or decimal, and Luhn-valid, so ids (UUIDs, hex, 64-bit numbers) and decimals
-- are left alone. IBANs: a registry country code and the mod-97 check.

-- The Luhn checksum of the digits in s (separators ignored): true for a plausible payment card number.
CREATE FUNCTION IF NOT EXISTS sl_luhn AS (s) -> arraySum(arrayMap((d, i) -> if(i % 2 = 0, if(d * 2 > 9, d * 2 - 9, d * 2), d),
    arrayMap(c -> toUInt8(c), reverse(extractAll(s, '\\d'))), arrayEnumerate(extractAll(s, '\\d')))) % 10 = 0;

-- The ISO 13616 mod-97 check of an IBAN (spaces ignored).
CREATE FUNCTION IF NOT EXISTS sl_iban_ok AS (s) -> arrayFold(
    (acc, c) -> toUInt64(if(c BETWEEN 'A' AND 'Z', (acc * 100 + toUInt64(ascii(c) - 55)) % 97, (acc * 10 + toUInt64(ascii(c) - 48)) % 97)),
    splitByString('', concat(substring(replaceAll(s, ' ', ''), 5), substring(replaceAll(s, ' ', ''), 1, 4))), toUInt64(0)) = 1;

-- A short keyed hash: the same value gives the same mask, without the value being recoverable from it.
CREATE FUNCTION IF NOT EXISTS sl_pseudonym AS (salt, s) -> substring(lower(hex(sipHash64(concat(salt, s)))), 1, 8);

-- s with every detected value masked. detectors: Array(String) of enabled detector names; salt: the
-- pseudonym key; custom: one RE2 pattern of the user's own (its matches become '[redacted:custom]'),
-- '\\b\\B' (never matches) when there is none.
CREATE FUNCTION IF NOT EXISTS sl_redact_text AS (s, detectors, salt, custom) -> if(
    empty(detectors) AND custom = '\\b\\B' OR NOT (multiMatchAny(s, ['@[A-Za-z0-9-]+\\.', '[2-6]\\d{3}[ -]?\\d{4}', '[Bb][Ee][Aa][Rr][Ee][Rr]\\s+[A-Za-z0-9._~+/=-]{8}',
        'sk-[A-Za-z0-9_-]{20}', '(?:AKIA|ASIA)[0-9A-Z]{16}', 'gh[pousr]_[A-Za-z0-9]{36}', 'github_pat_', '[A-Z]{2}\\d{2} ?[A-Z0-9]{4}',
        '\\+[1-9]\\d{0,2}[ .-]?\\(?\\d', '\\d{3}\\)? ?[.-]?\\d{3}[ .-]\\d{4}']) OR (custom != '\\b\\B' AND match(s, custom))),
    s,
    arrayFold((acc, p) -> replaceAll(acc, p.1, p.2), arrayConcat(
        arrayMap(m -> (m, '[redacted:anthropic_key]'), if(has(detectors, 'api_key'), extractAll(s, '\\b(sk-ant-[A-Za-z0-9_-]{20,})'), [])),
        arrayMap(m -> (m, '[redacted:openai_key]'), if(has(detectors, 'api_key'), extractAll(s, '\\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,})'), [])),
        arrayMap(m -> (m, '[redacted:aws_key]'), if(has(detectors, 'api_key'), extractAll(s, '\\b((?:AKIA|ASIA)[0-9A-Z]{16})\\b'), [])),
        arrayMap(m -> (m, '[redacted:github_token]'), if(has(detectors, 'api_key'), extractAll(s, '\\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})'), [])),
        arrayMap(m -> (m, 'Bearer [redacted:bearer]'), if(has(detectors, 'bearer'), extractAll(s, '\\b([Bb][Ee][Aa][Rr][Ee][Rr]\\s+[A-Za-z0-9._~+/=-]{8,})'), [])),
        arrayMap(m -> (m, concat('[redacted:email ', sl_pseudonym(salt, lower(m)), ']')),
                 if(has(detectors, 'email'), extractAll(s, '([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,})'), [])),
        arrayMap(m -> (m, concat('[redacted:card ****', right(replaceRegexpAll(m, '[^0-9]', ''), 4), ']')),
                 arrayFilter(m -> sl_luhn(m), if(has(detectors, 'card'), extractAll(s, '(?:^|[^0-9A-Za-z.])([2-6]\\d{14,15}|[2-6]\\d{3} \\d{4} \\d{4} \\d{1,7}|[2-6]\\d{3}-\\d{4}-\\d{4}-\\d{1,7}|3\\d{3}[ -]\\d{6}[ -]\\d{5})\\b'), []))),
        arrayMap(m -> (m, '[redacted:iban]'),
                 arrayFilter(m -> sl_iban_ok(m), if(has(detectors, 'iban'), extractAll(s, '\\b((?:AD|AE|AL|AT|AZ|BA|BE|BG|BH|BI|BR|BY|CH|CR|CY|CZ|DE|DJ|DK|DO|EE|EG|ES|FI|FK|FO|FR|GB|GE|GI|GL|GR|GT|HR|HU|IE|IL|IQ|IS|IT|JO|KW|KZ|LB|LC|LI|LT|LU|LV|LY|MC|MD|ME|MK|MN|MR|MT|MU|NI|NL|NO|OM|PK|PL|PS|PT|QA|RO|RS|RU|SA|SC|SD|SE|SI|SK|SM|SO|ST|SV|TL|TN|TR|UA|VA|VG|XK|YE)\\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\\b'), []))),
        arrayMap(m -> (m, concat('[redacted:phone ', sl_pseudonym(salt, replaceRegexpAll(m, '[^0-9+]', '')), ']')),
                 if(has(detectors, 'phone'), extractAll(s, '(?:^|[^0-9A-Za-z/+=_])(\\+[1-9]\\d{0,2}[ .-]?\\(?\\d{1,4}\\)?(?:[ .-]?\\d{2,4}){2,4}|\\(\\d{3}\\) ?\\d{3}[ .-]\\d{4}|\\d{3}[.-]\\d{3}[.-]\\d{4})\\b'), [])),
        arrayMap(m -> (m, '[redacted:custom]'), if(custom = '\\b\\B', [], extractAll(s, custom)))),
      s));

-- Is attribute key k named by the list (exact keys, or prefixes ending in '*')?
CREATE FUNCTION IF NOT EXISTS sl_key_listed AS (k, keys) -> notEmpty(keys) AND arrayExists(p -> if(endsWith(p, '*'), startsWith(k, substring(p, 1, length(p) - 1)), k = p), keys);

-- An attribute map with its values redacted: keys on the drop list lose their value entirely, keys on the
-- keep list are stored as sent, every other value goes through sl_redact_text.
CREATE FUNCTION IF NOT EXISTS sl_redact_map AS (m, detectors, salt, custom, keep, drop) -> mapApply((k, v) -> (k, multiIf(
    sl_key_listed(k, drop), concat('[redacted:dropped ', toString(length(v)), ' bytes]'),
    sl_key_listed(k, keep), v,
    sl_redact_text(v, detectors, salt, custom))), m);

-- Per detector, how many masks the redaction put into a span: masks in what is stored, less any the
-- request already held (a span exported twice through two redacting hops is not counted twice).
CREATE FUNCTION IF NOT EXISTS sl_redaction_counts AS (stored, sent) -> mapFilter((k, n) -> n > 0, mapSubtract(
    mapFromArrays(arrayDistinct(extractAll(stored, '\\[redacted:([a-z_]+)')),
                  arrayMap(d -> toUInt32(countEqual(extractAll(stored, '\\[redacted:([a-z_]+)'), d)), arrayDistinct(extractAll(stored, '\\[redacted:([a-z_]+)')))),
    mapFromArrays(arrayDistinct(extractAll(sent, '\\[redacted:([a-z_]+)')),
                  arrayMap(d -> toUInt32(countEqual(extractAll(sent, '\\[redacted:([a-z_]+)'), d)), arrayDistinct(extractAll(sent, '\\[redacted:([a-z_]+)'))))));
