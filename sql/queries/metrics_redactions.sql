-- Values masked by the redaction since the store was created, per tenant and detector (/metrics).
SELECT tenant, detector, sum(masked) AS masked
FROM redaction_counts
GROUP BY tenant, detector
ORDER BY tenant, detector
