-- Rare process patterns per host (DBSCAN clustering)
-- Hunts: process launches whose shape is rare on their host. Each host's launches are clustered with DBSCAN on msticpy's event-clustering features (command-line delimiter count, path character score, system session), so routine launches collapse into large clusters; what is left (noise and clusters of one or two launches) are one-off commands, unusual binaries and hands-on-keyboard activity worth a look.
-- ATT&CK: T1059 Command and Scripting Interpreter; T1036 Masquerading; T1204 User Execution
-- Tables: process_events (Computer, TimeGenerated, NewProcessId, NewProcessName, CommandLine, SubjectLogonId, SubjectUserName, ParentProcessName)
-- Note: eps 0.0001 on l2-normalised features, as in msticpy's dbcluster_events examples; hosts with fewer than 20 launches are skipped (too few to tell rare from normal). Hosts that log both Security 4688 and Sysmon 1 see each launch twice, so a one-off launch shows as a cluster of 2.
WITH clustered AS (
  SELECT
    Computer, TimeGenerated, SubjectUserName, ParentProcessName, NewProcessName, CommandLine,
    dbscan_cluster(0.0001, 2, 'l2',
      cmdline_tokens(coalesce(CommandLine, '')),
      path_score(coalesce(NewProcessName, '')),
      coalesce(is_system_session(SubjectLogonId), false))
      OVER (PARTITION BY Computer ORDER BY TimeGenerated, NewProcessId, CommandLine) AS cluster_id
  FROM process_events
),
sized AS (
  SELECT *,
    CASE WHEN cluster_id = -1 THEN 1 ELSE count(*) OVER (PARTITION BY Computer, cluster_id) END AS cluster_size,
    count(*) OVER (PARTITION BY Computer) AS host_events
  FROM clustered
)
SELECT
  Computer,
  cluster_id,
  cluster_size,
  host_events,
  TimeGenerated,
  SubjectUserName,
  lower(regexp_replace(ParentProcessName, '^.*[\\/]', '')) AS parent,
  NewProcessName,
  CommandLine
FROM sized
WHERE cluster_size <= 2 AND host_events >= 20
ORDER BY Computer, cluster_size, cluster_id, TimeGenerated
LIMIT 200;
