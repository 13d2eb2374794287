-- Builds the embedded sample from the shared corpus, keeping only the
-- MIT-licensed rows (OTRF Security-Datasets "mordor" and msticpy's test data).
-- Run from the repository root:
--   huntsql --data ../shared/data/corpus -f data/sample/build.sql

-- Process creations in the Sentinel SecurityEvent 4688 shape. Sysmon event 1
-- rows are mapped onto it (Image -> NewProcessName, User -> Account, decimal
-- process ids -> hex) and keep EventID 1, so `WHERE EventID = 4688` selects
-- the Security log's own events.
COPY (
  SELECT
    _time AS TimeGenerated,
    coalesce(Computer, Hostname, _computer) AS Computer,
    arrow_cast(_event_id, 'Int32') AS EventID,
    CASE WHEN _event_id = 1 THEN "User"
         ELSE coalesce(Account, SubjectDomainName || '\' || SubjectUserName) END AS Account,
    CASE WHEN _event_id = 1 THEN split_part("User", '\', 2) ELSE SubjectUserName END AS SubjectUserName,
    CASE WHEN _event_id = 1 THEN split_part("User", '\', 1) ELSE SubjectDomainName END AS SubjectDomainName,
    SubjectUserSid,
    CASE WHEN _event_id = 1 THEN LogonId ELSE SubjectLogonId END AS SubjectLogonId,
    CASE WHEN _event_id = 1 THEN '0x' || to_hex(arrow_cast(ProcessId, 'Int64')) ELSE NewProcessId END AS NewProcessId,
    CASE WHEN _event_id = 1 THEN Image ELSE NewProcessName END AS NewProcessName,
    CASE WHEN _event_id = 1 THEN '0x' || to_hex(arrow_cast(ParentProcessId, 'Int64')) ELSE ProcessId END AS ProcessId,
    CASE WHEN _event_id = 1 THEN ParentImage ELSE ParentProcessName END AS ParentProcessName,
    CommandLine,
    TokenElevationType,
    _source,
    _dataset,
    _attack
  FROM process_creation
  WHERE _source IN ('mordor', 'msticpy')
  ORDER BY TimeGenerated, _source, _dataset, _row_id
) TO 'data/sample/process_events.parquet' STORED AS PARQUET;

-- Logons (4624) and failed logons (4625) in the Sentinel SecurityEvent shape.
COPY (
  SELECT
    _time AS TimeGenerated,
    coalesce(Computer, Hostname, _computer) AS Computer,
    arrow_cast(_event_id, 'Int32') AS EventID,
    coalesce(Account, TargetDomainName || '\' || TargetUserName) AS Account,
    TargetUserName,
    TargetDomainName,
    TargetUserSid,
    TargetLogonId,
    arrow_cast(LogonType, 'Int32') AS LogonType,
    trim(LogonProcessName) AS LogonProcessName,
    AuthenticationPackageName,
    WorkstationName,
    IpAddress,
    IpPort,
    Status,
    SubStatus,
    FailureReason,
    SubjectUserName,
    SubjectDomainName,
    SubjectLogonId,
    ProcessName,
    _source,
    _dataset,
    _attack
  FROM logon_events
  WHERE _source IN ('mordor', 'msticpy') AND _event_id IN (4624, 4625)
  ORDER BY TimeGenerated, _source, _dataset, _row_id
) TO 'data/sample/logon_events.parquet' STORED AS PARQUET;
