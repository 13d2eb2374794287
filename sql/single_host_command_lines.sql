-- Command lines seen on only one host
-- Hunts: command lines that ran on a single machine and rarely there: one-off reconnaissance, credential dumping and lateral movement commands typed by an operator stand out against software that runs the same command everywhere.
-- ATT&CK: T1059 Command and Scripting Interpreter; T1082 System Information Discovery; T1003 OS Credential Dumping
-- Tables: process_events (CommandLine, Computer, NewProcessName, TimeGenerated)
SELECT
  min(Computer) AS host,
  CommandLine,
  count(*) AS events,
  min(TimeGenerated) AS first_seen
FROM process_events
WHERE CommandLine IS NOT NULL AND trim(CommandLine) <> ''
GROUP BY CommandLine
HAVING count(DISTINCT Computer) = 1
ORDER BY events, first_seen, CommandLine
LIMIT 50;
