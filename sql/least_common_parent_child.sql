-- Least common parent/child process pairs
-- Hunts: process launches whose parent -> child pair is rare. Malware and hands-on-keyboard activity create lineages that normal software never does (Office or a service spawning a shell, a script host spawning rundll32); stacking the pairs puts them at the top.
-- ATT&CK: T1059 Command and Scripting Interpreter; T1204 User Execution
-- Tables: process_events (ParentProcessName, NewProcessName, Computer, TimeGenerated)
-- Note: hosts that log both Security 4688 and Sysmon 1 count each launch twice; add `WHERE EventID = 4688` to count once.
SELECT
  lower(regexp_replace(ParentProcessName, '^.*[\\/]', '')) AS parent,
  lower(regexp_replace(NewProcessName, '^.*[\\/]', '')) AS child,
  count(*) AS events,
  count(DISTINCT Computer) AS hosts,
  min(TimeGenerated) AS first_seen,
  max(TimeGenerated) AS last_seen
FROM process_events
WHERE ParentProcessName IS NOT NULL AND NewProcessName IS NOT NULL
GROUP BY 1, 2
ORDER BY events, hosts, parent, child
LIMIT 25;
