//! The Sentinel / Log Analytics connector against the loopback emulator
//! (tests/servers/log_analytics_emulator.py), which evaluates the KQL
//! huntsql sends with duckdb-kql, an independent KQL engine.

use std::time::{Duration, Instant};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit};
use datafusion::arrow::util::pretty::pretty_format_batches;
use huntsql_engine::{HuntConfig, HuntSession};
use huntsql_tests::log_analytics::*;
use huntsql_tests::shared_dir;

const DAY_US: i64 = 86_400_000_000;
/// 2024-01-01T00:00:00Z in microseconds.
const BASE_US: i64 = 1_704_067_200_000_000;

const HOSTILE: &[&str] = &[
    "it's",
    "say \"hi\"",
    "back\\slash",
    "trailing\\",
    "\\\"",
    "two\nlines",
    "cr\rtab\t",
    "pipe | take 1",
    "semi; SecurityEvent",
    "// not a comment",
    "\") or true or (\"",
    "' or 1=1 --",
    "é ✓ 日本",
];

fn setup_sql() -> String {
    let events = shared_dir().join("data/process_events.dev.parquet");
    let mut sql = format!(
        "CREATE TABLE base.SecurityEvent AS SELECT Computer, EventID, TimeGenerated, NewProcessName, \
         CommandLine, SubjectUserName, ParentProcessName FROM read_parquet('{}');\n",
        events.display()
    );
    sql.push_str(
        "CREATE TABLE base.AllTypes (b BOOLEAN, i INTEGER, l BIGINT, r DOUBLE, d DECIMAL(18,4), \
         s VARCHAR, g UUID, ts INTERVAL, dyn JSON, TimeGenerated TIMESTAMPTZ);\n\
         INSERT INTO base.AllTypes VALUES (true, -7, 9007199254740993, 2.5, 1.25, 'text', \
         '82482c0d-8227-4aef-93eb-9a91eaf93978', INTERVAL '1 day 90 seconds', '{\"a\":[1,2]}', \
         TIMESTAMPTZ '2024-01-01 00:00:00.123456+00'), \
         (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);\n",
    );
    sql.push_str("CREATE TABLE base.Hostile (id INTEGER, s VARCHAR);\n");
    for (i, s) in HOSTILE.iter().enumerate() {
        sql.push_str(&format!(
            "INSERT INTO base.Hostile VALUES ({i}, '{}');\n",
            s.replace('\'', "''")
        ));
    }
    // Rows exactly on day edges, a microsecond either side, and mid-day.
    sql.push_str("CREATE TABLE base.Edges (id INTEGER, TimeGenerated TIMESTAMPTZ);\n");
    let mut id = 0;
    for day in 0..=10 {
        for offset in [-1, 0, 1, DAY_US / 2] {
            let us = BASE_US + day * DAY_US + offset;
            sql.push_str(&format!(
                "INSERT INTO base.Edges VALUES ({id}, make_timestamptz({us}::BIGINT));\n"
            ));
            id += 1;
        }
    }
    // 30 rows at one instant: a chunk that cannot be split below the limit.
    sql.push_str(
        "CREATE TABLE base.Same AS SELECT range::INTEGER AS id, \
         TIMESTAMPTZ '2024-01-01 00:00:00+00' AS TimeGenerated FROM range(30);\n",
    );
    sql
}

async fn session(server: &LogAnalyticsEmulator, extra: &str) -> HuntSession {
    let config = HuntConfig::parse(&server.source_toml("sentinel", extra), "test.toml").unwrap();
    let session = HuntSession::builder()
        .with_config(config.clone())
        .build()
        .unwrap();
    session.register_config_data(&config).await.unwrap();
    session
}

async fn rows(session: &HuntSession, sql: &str) -> Vec<String> {
    let batches = session
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out: Vec<String> = pretty_format_batches(&batches)
        .unwrap()
        .to_string()
        .lines()
        .filter(|l| l.starts_with("| "))
        .skip(1)
        .map(String::from)
        .collect();
    out.sort();
    out
}

fn count(batches: &[RecordBatch]) -> i64 {
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

fn last_query(server: &LogAnalyticsEmulator) -> String {
    server
        .requests()
        .last()
        .and_then(|r| r["query"].as_str().map(String::from))
        .unwrap_or_default()
}

#[tokio::test]
async fn every_type_decodes_from_tables_and_kql() {
    let server = LogAnalyticsEmulator::start(&setup_sql(), &[]);
    let session = session(&server, "").await;
    let names = session.table_names();
    assert!(
        names.contains(&"sentinel.SecurityEvent".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"sentinel.AllTypes".to_string()),
        "{names:?}"
    );

    for sql in [
        "SELECT * FROM sentinel.AllTypes ORDER BY i NULLS LAST",
        "SELECT * FROM kql('sentinel', 'AllTypes | sort by i asc nulls last')",
    ] {
        let batches = session.query(sql).await.unwrap();
        let batch = &batches[0];
        let schema = batch.schema();
        let types: Vec<(&str, &DataType)> = schema
            .fields()
            .iter()
            .map(|f| (f.name().as_str(), f.data_type()))
            .collect();
        assert_eq!(
            types,
            vec![
                ("b", &DataType::Boolean),
                ("i", &DataType::Int32),
                ("l", &DataType::Int64),
                ("r", &DataType::Float64),
                ("d", &DataType::Float64),
                ("s", &DataType::Utf8),
                ("g", &DataType::Utf8),
                ("ts", &DataType::Duration(TimeUnit::Nanosecond)),
                ("dyn", &DataType::Utf8),
                (
                    "TimeGenerated",
                    &DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
                ),
            ],
            "{sql}"
        );
        let printed = pretty_format_batches(&batches).unwrap().to_string();
        for expected in [
            "true",
            "-7",
            "9007199254740993",
            "2.5",
            "1.25",
            "text",
            "82482c0d-8227-4aef-93eb-9a91eaf93978",
            "{\"a\":[1,2]}",
            "2024-01-01T00:00:00.123456Z",
        ] {
            assert!(
                printed.contains(expected),
                "{sql}: no {expected} in\n{printed}"
            );
        }
        assert_eq!(batch.num_rows(), 2);
        let ts = batch
            .column(7)
            .as_primitive::<datafusion::arrow::datatypes::DurationNanosecondType>();
        assert_eq!(ts.value(0), (86_400 + 90) * 1_000_000_000, "{sql}");
        for c in 0..batch.num_columns() {
            assert!(
                batch.column(c).is_null(1),
                "{sql}: column {c} row 2 is not null"
            );
        }
    }
    // dynamic is JSON text the JSON functions (or a LIKE) can use.
    let dyn_rows = rows(
        &session,
        "SELECT dyn FROM sentinel.AllTypes WHERE dyn LIKE '{\"a\":%'",
    )
    .await;
    assert_eq!(dyn_rows.len(), 1);
}

#[tokio::test]
async fn pushed_kql_matches_datafusion_filtering() {
    let server = LogAnalyticsEmulator::start(&setup_sql(), &[]);
    let session = session(&server, "").await;
    session
        .query("CREATE TABLE local_events AS SELECT * FROM sentinel.SecurityEvent")
        .await
        .unwrap();
    let total = count(
        &session
            .query("SELECT count(*) FROM local_events")
            .await
            .unwrap(),
    );
    assert_eq!(total, 5489);
    // (predicate, KQL expected in the request, exact: no Filter above the scan)
    let cases: &[(&str, &str, bool)] = &[
        ("EventID = 4688", "EventID == 4688", true),
        ("EventID <> 4688", "EventID != 4688", false),
        ("EventID > 1", "EventID > 1", true),
        ("EventID <= 1", "EventID <= 1", true),
        (
            "EventID IN (1, 4688)",
            "(EventID == 1 or EventID == 4688)",
            true,
        ),
        (
            "EventID IN (1, 4624, 4688, 4689)",
            "EventID in (1, 4624, 4688, 4689)",
            true,
        ),
        (
            "EventID NOT IN (1, 2, 3, 4)",
            "EventID !in (1, 2, 3, 4)",
            false,
        ),
        ("CommandLine IS NULL", "isnull(CommandLine)", true),
        (
            "ParentProcessName IS NOT NULL",
            "isnotnull(ParentProcessName)",
            true,
        ),
        (
            "EventID BETWEEN 2 AND 5000",
            "EventID >= 2 and EventID <= 5000",
            true,
        ),
        (
            "EventID NOT BETWEEN 2 AND 5000",
            "(EventID < 2 or EventID > 5000)",
            true,
        ),
        (
            "Computer LIKE 'WORKSTATION%'",
            "Computer startswith_cs \"WORKSTATION\"",
            true,
        ),
        (
            "Computer LIKE '%.local'",
            "Computer endswith_cs \".local\"",
            true,
        ),
        (
            "CommandLine LIKE '%powershell%'",
            "CommandLine contains_cs \"powershell\"",
            true,
        ),
        (
            "Computer NOT LIKE '%shire%'",
            "Computer !contains_cs \"shire\"",
            false,
        ),
        (
            "Computer ILIKE '%workstation%'",
            "Computer contains \"workstation\"",
            false,
        ),
        ("Computer = 'IEWIN7'", "Computer == \"IEWIN7\"", true),
        ("Computer = 'iewin7'", "Computer == \"iewin7\"", true),
        ("NOT (EventID = 1)", "EventID != 1", false),
        (
            "NOT (Computer LIKE 'WORK%')",
            "Computer !startswith_cs \"WORK\"",
            false,
        ),
        (
            "EventID = 1 OR Computer = 'Pedro01'",
            "(EventID == 1 or Computer == \"Pedro01\")",
            true,
        ),
        (
            "TimeGenerated >= '2019-02-10T00:00:00Z' AND TimeGenerated < '2019-02-11T00:00:00Z'",
            "TimeGenerated >= datetime(2019-02-10T00:00:00.0000000Z)",
            true,
        ),
        ("lower(Computer) = 'iewin7'", "", false),
    ];
    let mut non_empty = 0;
    for (predicate, kql, exact) in cases {
        server.reset();
        let columns = "Computer, EventID, TimeGenerated, CommandLine";
        let remote = rows(
            &session,
            &format!("SELECT {columns} FROM sentinel.SecurityEvent WHERE {predicate}"),
        )
        .await;
        let sent = last_query(&server);
        let local = rows(
            &session,
            &format!("SELECT {columns} FROM local_events WHERE {predicate}"),
        )
        .await;
        assert_eq!(
            remote.len(),
            local.len(),
            "{predicate}: row counts differ; KQL: {sent}"
        );
        assert!(remote == local, "{predicate}: rows differ; KQL: {sent}");
        if !remote.is_empty() {
            non_empty += 1;
        }
        assert!(
            sent.contains(kql),
            "{predicate}: expected `{kql}` in KQL:\n{sent}"
        );
        assert!(
            sent.contains("| project Computer, EventID, TimeGenerated, CommandLine"),
            "{sent}"
        );
        let explain = rows(
            &session,
            &format!("EXPLAIN SELECT {columns} FROM sentinel.SecurityEvent WHERE {predicate}"),
        )
        .await
        .join("\n");
        assert!(explain.contains("LogAnalyticsExec"), "{explain}");
        if !kql.is_empty() {
            assert!(
                explain.contains(kql),
                "{predicate}: EXPLAIN lacks the KQL:\n{explain}"
            );
        }
        let filtered_again = explain.contains("FilterExec");
        assert_eq!(
            !filtered_again, *exact,
            "{predicate}: exact pushdown should leave no FilterExec (and inexact one):\n{explain}"
        );
    }
    assert!(
        non_empty >= 17,
        "too many predicates matched nothing ({non_empty})"
    );

    // Limit becomes `take`, count(*) a summarize.
    server.reset();
    let limited = session
        .query("SELECT Computer FROM sentinel.SecurityEvent LIMIT 7")
        .await
        .unwrap();
    assert_eq!(limited.iter().map(|b| b.num_rows()).sum::<usize>(), 7);
    assert!(
        last_query(&server).contains("| take 7"),
        "{}",
        last_query(&server)
    );
    let n = count(
        &session
            .query("SELECT count(*) FROM sentinel.SecurityEvent WHERE EventID = 1")
            .await
            .unwrap(),
    );
    assert_eq!(n, 2609);
    assert!(
        last_query(&server).contains("summarize"),
        "{}",
        last_query(&server)
    );
}

fn sql_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[tokio::test]
async fn hostile_strings_round_trip_exactly() {
    let server = LogAnalyticsEmulator::start(&setup_sql(), &[]);
    let session = session(&server, "").await;
    // Read back as stored.
    let batches = session
        .query("SELECT id, s FROM sentinel.Hostile ORDER BY id")
        .await
        .unwrap();
    let mut read = Vec::new();
    for b in &batches {
        let s = b.column(1).as_string::<i32>();
        for i in 0..b.num_rows() {
            read.push(s.value(i).to_string());
        }
    }
    assert_eq!(read, HOSTILE);
    session
        .query("CREATE TABLE local_hostile AS SELECT * FROM sentinel.Hostile")
        .await
        .unwrap();
    // Each value as a filter selects its own row, pushed down, and the same
    // rows as DataFusion's own filtering of a local copy.
    for (id, value) in HOSTILE.iter().enumerate() {
        let mut predicates = vec![
            format!("s = {}", sql_quote(value)),
            format!("s IN ({}, 'a', 'b', 'c')", sql_quote(value)),
        ];
        // LIKE reads a backslash as an escape: such patterns are other tests.
        if !value.contains('\\') {
            predicates.push(format!("s LIKE {}", sql_quote(&format!("{value}%"))));
            predicates.push(format!("s LIKE {}", sql_quote(&format!("%{value}"))));
            predicates.push(format!("s LIKE {}", sql_quote(&format!("%{value}%"))));
        }
        for predicate in predicates {
            server.reset();
            let got = ids(
                &session,
                &format!("SELECT id FROM sentinel.Hostile WHERE {predicate}"),
            )
            .await;
            let sent = last_query(&server);
            assert!(
                got.contains(&(id as i32)),
                "{predicate}: row {id} missing from {got:?}; KQL: {sent}"
            );
            let local = ids(
                &session,
                &format!("SELECT id FROM local_hostile WHERE {predicate}"),
            )
            .await;
            assert_eq!(got, local, "{predicate}; KQL: {sent}");
            assert!(sent.contains("| where "), "{predicate} not pushed: {sent}");
        }
    }
}

async fn ids(session: &HuntSession, sql: &str) -> Vec<i32> {
    let batches = session
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out: Vec<i32> = batches
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_primitive::<datafusion::arrow::datatypes::Int32Type>()
                .values()
                .to_vec()
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn chunks_meet_exactly_at_their_edges() {
    let server = LogAnalyticsEmulator::start(&setup_sql(), &[]);
    let session = session(&server, "chunk = \"1d\"\nmax_concurrency = 3").await;
    // [day 0, day 10): rows on edges belong to exactly one chunk.
    let sql = "SELECT id FROM sentinel.Edges WHERE TimeGenerated >= '2024-01-01T00:00:00Z' \
               AND TimeGenerated < '2024-01-11T00:00:00Z' ORDER BY id";
    server.reset();
    let batches = session.query(sql).await.unwrap();
    let ids: Vec<i32> = batches
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_primitive::<datafusion::arrow::datatypes::Int32Type>()
                .values()
                .to_vec()
        })
        .collect();
    // Expected: every row from day 0 00:00 (included) to day 10 00:00
    // (excluded): offsets 0, +1us, mid-day of days 0..9 and -1us of days 1..10.
    let mut expected = Vec::new();
    let mut id = 0;
    for day in 0..=10i64 {
        for offset in [-1, 0, 1, DAY_US / 2] {
            let us = day * DAY_US + offset;
            if (0..10 * DAY_US).contains(&us) {
                expected.push(id);
            }
            id += 1;
        }
    }
    assert_eq!(ids, expected, "duplicates or missing rows at chunk edges");
    let requests = server.requests();
    assert_eq!(requests.len(), 10, "one request per day: {requests:?}");
    for r in &requests {
        let q = r["query"].as_str().unwrap();
        assert!(
            q.contains("TimeGenerated >= datetime(") && q.contains("TimeGenerated < datetime("),
            "{q}"
        );
        assert!(
            r["timespan"].as_str().is_some_and(|t| t.contains('/')),
            "{r}"
        );
        assert_eq!(r["prefer"].as_str(), Some("wait=180"));
    }
    // Shorter than one chunk: one request.
    server.reset();
    let short = session
        .query(
            "SELECT count(*) FROM sentinel.Edges WHERE TimeGenerated BETWEEN \
             '2024-01-02T00:00:00Z' AND '2024-01-02T12:00:00Z'",
        )
        .await
        .unwrap();
    assert_eq!(count(&short), 3);
    assert_eq!(server.requests().len(), 1);
    let explain = rows(&session, &format!("EXPLAIN {sql}")).await.join("\n");
    assert!(explain.contains("chunks=10"), "{explain}");
}

#[tokio::test]
async fn results_over_the_limit_are_split_and_never_partial() {
    let server = LogAnalyticsEmulator::start(&setup_sql(), &["--max-rows", "50"]);
    let session = session(&server, "chunk = \"30d\"").await;
    let sql = "SELECT Computer FROM sentinel.SecurityEvent \
               WHERE TimeGenerated >= '2019-02-01T00:00:00Z' AND TimeGenerated < '2019-03-01T00:00:00Z'";
    server.reset();
    let got: i64 = session
        .query(sql)
        .await
        .unwrap()
        .iter()
        .map(|b| b.num_rows() as i64)
        .sum();
    let reference = session
        .context()
        .read_parquet(
            shared_dir()
                .join("data/process_events.dev.parquet")
                .to_str()
                .unwrap(),
            Default::default(),
        )
        .await
        .unwrap();
    session
        .context()
        .register_table("reference_events", reference.into_view())
        .unwrap();
    let expected = count(
        &session
            .query(
                "SELECT count(*) FROM reference_events WHERE TimeGenerated >= '2019-02-01T00:00:00Z' \
                 AND TimeGenerated < '2019-03-01T00:00:00Z'",
            )
            .await
            .unwrap(),
    );
    assert!(
        expected > 50,
        "the test needs more rows than the limit ({expected})"
    );
    assert_eq!(got, expected);
    let requests = server.requests().len();
    assert!(
        requests > 3,
        "the chunk should have been split: {requests} requests"
    );

    // 30 rows at one instant over a limit of 20 cannot be split: an error
    // naming the range, not 20 rows.
    let strict = LogAnalyticsEmulator::start(&setup_sql(), &["--max-rows", "20"]);
    let session = self::session(&strict, "").await;
    let err = session
        .query(
            "SELECT id FROM sentinel.Same WHERE TimeGenerated >= '2023-12-31T00:00:00Z' \
             AND TimeGenerated < '2024-01-02T00:00:00Z'",
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing") && err.contains("2024-01-01"),
        "{err}"
    );
    let err = session
        .query("SELECT * FROM kql('sentinel', 'Same')")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("partial results") && err.contains("kql()"),
        "{err}"
    );
}

#[tokio::test]
async fn faults_are_retried_and_reported() {
    let server = LogAnalyticsEmulator::start(&setup_sql(), &[]);
    let session = session(&server, "").await;
    let sql = "SELECT count(*) FROM sentinel.SecurityEvent WHERE EventID = 4688";
    server.reset();
    server.add_fault(r#"{"status": 429, "retry_after": "1", "count": 1}"#);
    server.add_fault(r#"{"status": 503, "retry_after": "0", "count": 1}"#);
    server.add_fault(r#"{"status": 500, "count": 1}"#);
    server.add_fault(r#"{"status": 0, "count": 1}"#);
    let started = Instant::now();
    let n = count(&session.query(sql).await.unwrap());
    assert_eq!(n, 2880);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );
    assert_eq!(server.stats().1, 5, "4 faults then the answer");

    // More failures than retries: the error says what happened.
    server.add_fault(r#"{"status": 503, "retry_after": "0", "count": 10}"#);
    let err = session.query(sql).await.unwrap_err().to_string();
    assert!(
        err.contains("503") && err.contains("attempts") && err.contains("sentinel"),
        "{err}"
    );
    server.reset();
    server.add_fault(r#"{"malformed": true, "count": 1}"#);
    let err = session.query(sql).await.unwrap_err().to_string();
    assert!(
        err.contains("malformed JSON") && err.contains("'sentinel'"),
        "{err}"
    );
    // A KQL error from the service is shown.
    let err = session
        .query("SELECT * FROM kql('sentinel', 'SecurityEvent | whre x')")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("400") || err.contains("parse"), "{err}");
}

#[tokio::test]
async fn tokens_are_cached_and_credentials_failures_are_clear() {
    let server = LogAnalyticsEmulator::start(&setup_sql(), &[]);
    let session = session(&server, "").await;
    for _ in 0..3 {
        session
            .query("SELECT count(*) FROM sentinel.AllTypes")
            .await
            .unwrap();
    }
    assert_eq!(server.stats().0, 1, "one token for every request");

    // A wrong client secret.
    let bad = server
        .source_toml("bad", "")
        .replace(CLIENT_SECRET, "wrong-secret-0000");
    let config = HuntConfig::parse(&bad, "t.toml").unwrap();
    let s = HuntSession::builder()
        .with_config(config.clone())
        .build()
        .unwrap();
    let err = s
        .register_config_data(&config)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("invalid_client") && err.contains("AZURE_CLIENT_SECRET"),
        "{err}"
    );
    assert!(!err.contains("wrong-secret-0000"), "secret in {err}");

    // A token from the environment: refused (401) and without access (403).
    std::env::set_var("HUNTSQL_TEST_LA_TOKEN_401", "not-a-valid-token-1234");
    std::env::set_var("HUNTSQL_TEST_LA_TOKEN_403", FORBIDDEN_TOKEN);
    std::env::set_var("HUNTSQL_TEST_LA_TOKEN_OK", STATIC_TOKEN);
    for (var, expected) in [
        ("HUNTSQL_TEST_LA_TOKEN_401", "401"),
        ("HUNTSQL_TEST_LA_TOKEN_403", "Log Analytics Reader"),
    ] {
        let toml = format!(
            "[sources.tok]\nkind = \"log_analytics\"\nworkspace_id = \"{WORKSPACE}\"\nauth = \"token\"\n\
             token_env = \"{var}\"\nendpoint = \"{}\"\nmax_retries = 0\n",
            server.endpoint()
        );
        let config = HuntConfig::parse(&toml, "t.toml").unwrap();
        let s = HuntSession::builder()
            .with_config(config.clone())
            .build()
            .unwrap();
        let err = s
            .register_config_data(&config)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{var}: {err}");
        assert!(
            !err.contains("not-a-valid-token-1234") && !err.contains(FORBIDDEN_TOKEN),
            "{err}"
        );
    }
    let toml = format!(
        "[sources.tok]\nkind = \"log_analytics\"\nworkspace_id = \"{WORKSPACE}\"\nauth = \"token\"\n\
         token_env = \"HUNTSQL_TEST_LA_TOKEN_OK\"\nendpoint = \"{}\"\n",
        server.endpoint()
    );
    let config = HuntConfig::parse(&toml, "t.toml").unwrap();
    let s = HuntSession::builder()
        .with_config(config.clone())
        .build()
        .unwrap();
    s.register_config_data(&config).await.unwrap();
    let n = count(
        &s.query("SELECT count(*) FROM kql('tok', 'AllTypes')")
            .await
            .unwrap(),
    );
    assert_eq!(n, 2);
}

#[tokio::test]
async fn secrets_never_appear_in_output() {
    let server = LogAnalyticsEmulator::start(&setup_sql(), &[]);
    let text = server.source_toml("sentinel", "");
    let config = HuntConfig::parse(&text, "t.toml").unwrap();
    let session = HuntSession::builder()
        .with_config(config.clone())
        .build()
        .unwrap();
    session.register_config_data(&config).await.unwrap();
    let mut outputs = vec![format!("{config:?}")];
    for sql in [
        "EXPLAIN SELECT * FROM sentinel.SecurityEvent WHERE EventID = 1",
        "EXPLAIN VERBOSE SELECT * FROM kql('sentinel', 'AllTypes')",
        "SELECT * FROM information_schema.tables",
    ] {
        let batches = session.query(sql).await.unwrap();
        outputs.push(pretty_format_batches(&batches).unwrap().to_string());
    }
    server.add_fault(r#"{"status": 401, "count": 5}"#);
    for sql in [
        "SELECT * FROM sentinel.AllTypes",
        "SELECT * FROM kql('nosuch', 'x')",
    ] {
        let err = session.query(sql).await.unwrap_err();
        outputs.push(format!("{err} {err:?}"));
    }
    let plan = session
        .sql("SELECT * FROM sentinel.AllTypes")
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    outputs.push(format!("{plan:?}"));
    for out in &outputs {
        assert!(!out.contains(CLIENT_SECRET), "client secret in: {out}");
    }
}

#[tokio::test]
async fn kql_function_external_table_and_docs() {
    let server = LogAnalyticsEmulator::start(&setup_sql(), &[]);
    let session = session(&server, "").await;
    // start/end become the timespan.
    server.reset();
    let n = count(
        &session
            .query(
                "SELECT count(*) FROM kql('sentinel', 'Edges', '2024-01-02T00:00:00Z', \
                 TIMESTAMP '2024-01-03 00:00:00')",
            )
            .await
            .unwrap(),
    );
    // The emulator applies the timespan with both ends included.
    assert_eq!(n, 5);
    let requests = server.requests();
    let span = requests.last().unwrap()["timespan"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        span,
        "2024-01-02T00:00:00.0000000Z/2024-01-03T00:00:00.0000000Z"
    );
    let err = session
        .query("SELECT * FROM kql('nosuch', 'T')")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no Log Analytics source 'nosuch'") && err.contains("sentinel"),
        "{err}"
    );

    let doc = session
        .functions()
        .into_iter()
        .find(|f| f.name == "kql")
        .and_then(|f| f.documentation)
        .expect("kql is documented");
    assert!(doc.sql_example.unwrap().contains("kql('sentinel'"));

    session
        .query(&format!(
            "CREATE EXTERNAL TABLE ev STORED AS LOG_ANALYTICS LOCATION '{WORKSPACE}' OPTIONS (\
             'table' 'SecurityEvent', 'auth' 'client_secret', 'tenant_id' '{TENANT}', \
             'client_id' '{CLIENT_ID}', 'client_secret' '{CLIENT_SECRET}', \
             'endpoint' '{ep}', 'authority_host' '{ep}', 'progress' 'false')",
            ep = server.endpoint()
        ))
        .await
        .unwrap();
    let n = count(
        &session
            .query("SELECT count(*) FROM ev WHERE EventID = 1")
            .await
            .unwrap(),
    );
    assert_eq!(n, 2609);
    let definitions = session
        .query("SELECT * FROM information_schema.tables WHERE table_name = 'ev'")
        .await
        .unwrap();
    let printed = pretty_format_batches(&definitions).unwrap().to_string();
    assert!(!printed.contains(CLIENT_SECRET), "{printed}");
}
