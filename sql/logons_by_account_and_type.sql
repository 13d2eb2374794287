-- Logons grouped by account and logon type
-- Hunts: accounts logging on in unusual ways: service or machine accounts with interactive (2) or RemoteInteractive (10) logons, failures (4625) piling up on one account (password guessing), NewCredentials (9) logons that mark runas /netonly and pass-the-hash tooling.
-- ATT&CK: T1078 Valid Accounts; T1110 Brute Force; T1550.002 Pass the Hash
-- Tables: logon_events (TargetDomainName, TargetUserName, LogonType, EventID, Computer, IpAddress, TimeGenerated)
SELECT
  coalesce(TargetDomainName || '\', '') || TargetUserName AS account,
  LogonType,
  CASE LogonType
    WHEN 2 THEN 'Interactive' WHEN 3 THEN 'Network' WHEN 4 THEN 'Batch'
    WHEN 5 THEN 'Service' WHEN 7 THEN 'Unlock' WHEN 8 THEN 'NetworkCleartext'
    WHEN 9 THEN 'NewCredentials' WHEN 10 THEN 'RemoteInteractive'
    WHEN 11 THEN 'CachedInteractive' ELSE 'Other' END AS logon_type_name,
  count(*) FILTER (WHERE EventID = 4624) AS successes,
  count(*) FILTER (WHERE EventID = 4625) AS failures,
  count(DISTINCT Computer) AS hosts,
  count(DISTINCT IpAddress) FILTER (WHERE IpAddress NOT IN ('-', '::1', '127.0.0.1')) AS source_ips,
  min(TimeGenerated) AS first_seen,
  max(TimeGenerated) AS last_seen
FROM logon_events
GROUP BY 1, 2, 3
ORDER BY failures DESC, successes, account, LogonType;
