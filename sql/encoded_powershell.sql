-- PowerShell started with an encoded command
-- Hunts: powershell.exe / pwsh.exe run with -EncodedCommand (or any abbreviation PowerShell accepts: -e, -en, -enc, ..., -ec), the usual way droppers and C2 stagers hide a script from command-line logging; the script is decoded (UTF-16LE) beside it.
-- ATT&CK: T1059.001 PowerShell; T1027 Obfuscated Files or Information
-- Tables: process_events (CommandLine, Computer, Account, ParentProcessName, TimeGenerated)
SELECT
  TimeGenerated,
  Computer,
  Account,
  lower(regexp_replace(ParentProcessName, '^.*[\\/]', '')) AS parent,
  length(encoded[1]) AS encoded_chars,
  substr(encoded[1], 1, 60) AS encoded_start,
  substr(b64_decode(encoded[1]), 1, 200) AS decoded_start,
  CommandLine
FROM (
  SELECT *,
    regexp_match(CommandLine, '(?i)\s[-/](?:ec|e|en|enc|enco|encod|encode|encoded|encodedc|encodedco|encodedcom|encodedcomm|encodedcomma|encodedcomman|encodedcommand)\s+["'']?([A-Za-z0-9+/]{16,}={0,2})') AS encoded
  FROM process_events
  WHERE regexp_like(CommandLine, '(?i)(powershell|pwsh)(\.exe)?')
)
WHERE encoded IS NOT NULL
ORDER BY TimeGenerated, Computer;
