-- The peer-benchmark hunt pipeline in huntsql: plain SQL, run by the release binary.
--
--   huntsql --data DATA_DIR -f benchmarks/peers/huntsql_pipeline.sql
--
-- DATA_DIR holds process_events.parquet (benchmarks/peers/amplify.py writes one per size).
-- Each stage is materialised in memory (CREATE TABLE ... AS) so `\timing` gives its time,
-- as the Python peers materialise each of theirs; the driver (benchmarks/peers/bench.py)
-- reads the `-- stage:` markers and the `Time:` lines. The COPY statements at the end
-- write what the driver compares across systems into the current directory (the driver
-- runs huntsql in the run's output directory).
\timing on

-- stage: load
CREATE TABLE events AS
SELECT row_id, Computer, TimeGenerated, NewProcessName, CommandLine, SubjectLogonId, ParentProcessName
FROM process_events;

-- stage: features
-- msticpy's add_process_features: NULL path / command line count as '' (fillna), and the
-- path separator is '\' (what msticpy picks from the first 10 rows of these events).
CREATE TABLE features AS
SELECT
  row_id, Computer, TimeGenerated, ParentProcessName, CommandLine,
  process_name(coalesce(NewProcessName, ''), '\') AS "processName",
  path_score(coalesce(NewProcessName, '')) AS "pathScore",
  path_log_score(coalesce(NewProcessName, '')) AS "pathLogScore",
  path_hash(coalesce(NewProcessName, '')) AS "pathHash",
  cmdline_len(coalesce(CommandLine, '')) AS "commandlineLen",
  cmdline_log_len(coalesce(CommandLine, '')) AS "commandlineLogLen",
  cmdline_tokens(coalesce(CommandLine, '')) AS "commandlineTokensFull",
  cmdline_score(coalesce(CommandLine, '')) AS "commandlineScore",
  cmdline_tokens_hash(coalesce(CommandLine, '')) AS "commandlineTokensHash",
  coalesce(is_system_session(SubjectLogonId), false) AS "isSystemSession"
FROM events;

-- stage: cluster
-- msticpy's dbcluster_events defaults as the shared baseline runs them: DBSCAN with
-- max_cluster_distance 0.0001, min_cluster_samples 2, normalize=True (l2), on
-- commandlineTokensFull, pathScore, isSystemSession; here per host, rows in input order.
CREATE TABLE clustered AS
SELECT
  row_id, Computer,
  dbscan_cluster(0.0001, 2, 'l2', "commandlineTokensFull", "pathScore", "isSystemSession")
    OVER (PARTITION BY Computer ORDER BY row_id) AS "ClusterId"
FROM features;

-- stage: iocs
CREATE TABLE iocs AS
SELECT row_id, ioc['ioc_type'] AS ioc_type, ioc['observable'] AS observable
FROM (SELECT row_id, unnest(extract_iocs(CommandLine)) AS ioc FROM events);

-- stage: b64
CREATE TABLE b64 AS
SELECT row_id, item['reference'] AS reference, item['depth'] AS depth, item['md5'] AS md5,
       item['encoding'] AS encoding, item['container'] AS container
FROM (SELECT row_id, unnest(b64_items(CommandLine)) AS item FROM events);

-- stage: stack
-- Stack count of parent/child process pairs (file names, lower case; '' for no parent).
CREATE TABLE stack AS
SELECT lower(process_name(coalesce(ParentProcessName, ''), '\')) AS parent,
       lower("processName") AS child,
       count(*) AS events,
       count(DISTINCT Computer) AS hosts
FROM features
GROUP BY 1, 2;

-- stage: write
COPY (SELECT f.row_id, f.Computer, "processName", "pathScore", "pathLogScore", "pathHash",
             "commandlineLen", "commandlineLogLen", "commandlineTokensFull", "commandlineScore",
             "commandlineTokensHash", "isSystemSession", c."ClusterId"
      FROM features f JOIN clustered c ON f.row_id = c.row_id)
  TO 'rows.parquet' STORED AS PARQUET;
COPY iocs TO 'iocs.parquet' STORED AS PARQUET;
COPY b64 TO 'b64.parquet' STORED AS PARQUET;
COPY stack TO 'stack.parquet' STORED AS PARQUET;
