-- Network indicators and hashes in command lines
-- Hunts: IPs, domains, URLs, e-mail addresses and file hashes written into process command lines (download cradles, C2 addresses, exfiltration targets), refanged, with how many hosts and processes used each; the rarest first, as the one-host indicators are the ones to check (vt_reputation).
-- ATT&CK: T1105 Ingress Tool Transfer; T1071 Application Layer Protocol; T1059 Command and Scripting Interpreter
-- Tables: process_events (CommandLine, Computer, NewProcessName, TimeGenerated)
SELECT
  ioc['ioc_type'] AS ioc_type,
  ioc['observable'] AS observable,
  count(DISTINCT Computer) AS hosts,
  count(*) AS events,
  min(TimeGenerated) AS first_seen,
  max(TimeGenerated) AS last_seen,
  min(process_name(NewProcessName)) AS a_process
FROM (
  SELECT Computer, NewProcessName, TimeGenerated, unnest(extract_iocs(CommandLine)) AS ioc
  FROM process_events
)
GROUP BY ioc['ioc_type'], ioc['observable']
ORDER BY hosts, events, ioc_type, observable;
