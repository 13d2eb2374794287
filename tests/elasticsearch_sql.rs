//! es_sql and Elasticsearch's point-in-time URLs against the loopback
//! emulator of Elastic's documented SQL and search APIs
//! (tests/src/es_emulator.rs): cursor paging, early close, every type,
//! retries after 429, authentication failures.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{
    BooleanArray, Float64Array, Int16Array, Int32Array, Int64Array, Int8Array, RecordBatch,
    StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::physical_plan::execute_stream;
use futures::StreamExt;
use huntsql_engine::{HuntConfig, HuntSession};
use huntsql_tests::es_data::{self, COLUMNS};
use huntsql_tests::es_emulator::{EmuTable, EsEmulator};

const KEY: &str = "a2V5LWlkOmtleS1TRUNSRVQtOTk=";

fn text(batches: &[RecordBatch]) -> String {
    pretty_format_batches(batches).unwrap().to_string()
}

fn all_types() -> EmuTable {
    let ts = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    let schema = Arc::new(Schema::new(vec![
        Field::new("k", DataType::Utf8, true),
        Field::new("t_text", DataType::Utf8, true),
        Field::new("t_ip", DataType::Utf8, true),
        Field::new("t_version", DataType::Utf8, true),
        Field::new("l", DataType::Int64, true),
        Field::new("i", DataType::Int32, true),
        Field::new("s", DataType::Int16, true),
        Field::new("b", DataType::Int8, true),
        Field::new("d", DataType::Float64, true),
        Field::new("t_float", DataType::Float64, true),
        Field::new("t_half", DataType::Float64, true),
        Field::new("t_scaled", DataType::Float64, true),
        Field::new("ok", DataType::Boolean, true),
        Field::new("ts", ts, true),
        Field::new("t_object", DataType::Utf8, true),
        Field::new("t_nested", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(StringArray::from(vec![Some("cmd.exe"), None])),
            Arc::new(StringArray::from(vec![
                Some("powershell -enc SQBFAFgA"),
                None,
            ])),
            Arc::new(StringArray::from(vec![Some("10.1.2.3"), None])),
            Arc::new(StringArray::from(vec![Some("8.15.0"), None])),
            Arc::new(Int64Array::from(vec![Some(9_007_199_254_740_993), None])),
            Arc::new(Int32Array::from(vec![Some(-4688), None])),
            Arc::new(Int16Array::from(vec![Some(443), None])),
            Arc::new(Int8Array::from(vec![Some(-7), None])),
            Arc::new(Float64Array::from(vec![Some(0.1), None])),
            Arc::new(Float64Array::from(vec![Some(1.5), None])),
            Arc::new(Float64Array::from(vec![Some(2.25), None])),
            Arc::new(Float64Array::from(vec![Some(99.99), None])),
            Arc::new(BooleanArray::from(vec![Some(true), None])),
            Arc::new(
                TimestampMillisecondArray::from(vec![Some(1_704_164_645_678), None])
                    .with_timezone("UTC"),
            ),
            Arc::new(StringArray::from(vec![
                Some(r#"{"pid":4,"name":"System"}"#),
                None,
            ])),
            Arc::new(StringArray::from(vec![
                Some(r#"[{"k":"v"},{"k":"w"}]"#),
                None,
            ])),
        ],
    )
    .unwrap();
    EmuTable {
        name: "all_types".into(),
        schema,
        batches: vec![batch],
    }
}

fn type_overrides() -> HashMap<String, String> {
    [
        ("t_text", "text"),
        ("t_ip", "ip"),
        ("t_version", "version"),
        ("t_float", "float"),
        ("t_half", "half_float"),
        ("t_scaled", "scaled_float"),
        ("t_object", "object"),
        ("t_nested", "nested"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

/// The emulator (API key [`KEY`]) serving the events and all_types, and a
/// session with source `emu` (extra TOML `options`) and `local_events`.
async fn setup(options: &str) -> (EsEmulator, HuntSession) {
    let (schema, batches) = es_data::sample_events().await;
    let emulator = EsEmulator::start(
        vec![
            EmuTable {
                name: "events".into(),
                schema: Arc::clone(&schema),
                batches: batches.clone(),
            },
            all_types(),
        ],
        Some(KEY),
        type_overrides(),
    );
    let session = session_for(&emulator, &format!("api_key = \"{KEY}\"\n{options}"))
        .await
        .unwrap();
    es_data::register_local(&session, &schema, &batches);
    (emulator, session)
}

async fn session_for(
    emulator: &EsEmulator,
    options: &str,
) -> datafusion::error::Result<HuntSession> {
    let config = HuntConfig::parse(
        &format!(
            "[sources.emu]\nkind = \"elasticsearch\"\nurl = \"{}\"\nretry_delay_ms = 1\n{options}\n",
            emulator.url
        ),
        "test.toml",
    )?;
    let session = HuntSession::builder().build()?;
    session.register_config_data(&config).await?;
    Ok(session)
}

fn count(requests: &[String], what: &str) -> usize {
    requests.iter().filter(|r| r.as_str() == what).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_api_pages_with_the_cursor_until_it_is_exhausted() {
    let (emulator, session) = setup("page_size = 500").await;
    let es = session
        .query(&format!(
            "SELECT {COLUMNS} FROM es_sql('emu', 'SELECT {} FROM events ORDER BY row_id')",
            COLUMNS.replace('\'', "''")
        ))
        .await
        .unwrap();
    let local = session
        .query(&format!(
            "SELECT {COLUMNS} FROM local_events ORDER BY row_id"
        ))
        .await
        .unwrap();
    assert_eq!(es.iter().map(|b| b.num_rows()).sum::<usize>(), 3878);
    assert_eq!(text(&es), text(&local));
    let requests = emulator.requests();
    // 3878 rows at 500 a page: the query, then 7 cursor pages.
    assert_eq!(count(&requests, "POST /_sql query"), 1, "{requests:?}");
    assert_eq!(count(&requests, "POST /_sql cursor"), 7, "{requests:?}");
    // Exhausted cursors need no close.
    assert_eq!(count(&requests, "POST /_sql/close"), 0);
    assert_eq!(emulator.open_cursors(), 0);

    // EXPLAIN names the API and the query.
    let explain = text(
        &session
            .query("EXPLAIN SELECT * FROM es_sql('emu', 'SELECT row_id FROM events')")
            .await
            .unwrap(),
    );
    assert!(
        explain.contains("EsSqlExec")
            && explain.contains("/_sql")
            && explain.contains("fetch_size=500"),
        "{explain}"
    );

    // filter (query DSL) and time_zone arguments.
    let es = session
        .query(r#"SELECT count(*) AS n FROM es_sql('emu', 'SELECT * FROM events', '{"term":{"host.name":"Pedro01"}}', 'Z')"#)
        .await
        .unwrap();
    assert!(text(&es).contains("| 283 |"), "{}", text(&es));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cursor_is_closed_when_the_query_stops_early() {
    let (emulator, session) = setup("page_size = 100").await;
    // LIMIT reaches the scan: it stops after the first page and closes.
    let rows = session
        .query("SELECT row_id FROM es_sql('emu', 'SELECT row_id FROM events ORDER BY row_id') LIMIT 150")
        .await
        .unwrap();
    assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 150);
    assert_eq!(emulator.closed_cursors().len(), 1);
    assert_eq!(emulator.open_cursors(), 0);

    // A consumer that drops the stream: the cursor is closed in the background.
    let df = session
        .sql("SELECT * FROM es_sql('emu', 'SELECT row_id FROM events')")
        .await
        .unwrap();
    let plan = df.create_physical_plan().await.unwrap();
    let mut stream = execute_stream(plan, session.context().task_ctx()).unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    drop(stream);
    for _ in 0..200 {
        if emulator.closed_cursors().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        emulator.closed_cursors().len(),
        2,
        "{:?}",
        emulator.requests()
    );
    assert_eq!(emulator.open_cursors(), 0);

    // Planned but never run (EXPLAIN): the first page's cursor is closed too.
    session
        .query("EXPLAIN SELECT * FROM es_sql('emu', 'SELECT row_id FROM events')")
        .await
        .unwrap();
    for _ in 0..200 {
        if emulator.open_cursors() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(emulator.open_cursors(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sql_type_decodes() {
    let (_emulator, session) = setup("").await;
    let df = session
        .sql("SELECT * FROM es_sql('emu', 'SELECT * FROM all_types')")
        .await
        .unwrap();
    let types: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| format!("{} {}", f.name(), f.data_type()))
        .collect();
    assert_eq!(
        types,
        [
            "k Utf8",
            "t_text Utf8",
            "t_ip Utf8",
            "t_version Utf8",
            "l Int64",
            "i Int32",
            "s Int16",
            "b Int8",
            "d Float64",
            "t_float Float64",
            "t_half Float64",
            "t_scaled Float64",
            "ok Boolean",
            "ts Timestamp(ms, \"UTC\")",
            "t_object Utf8",
            "t_nested Utf8"
        ]
    );
    let rows = text(&df.collect().await.unwrap());
    for cell in [
        "| cmd.exe ",
        "| powershell -enc SQBFAFgA ",
        "| 10.1.2.3 ",
        "| 8.15.0 ",
        "| 9007199254740993 ",
        "| -4688 ",
        "| 443 ",
        "| -7 ",
        "| 0.1 ",
        "| 1.5 ",
        "| 2.25 ",
        "| 99.99 ",
        "| true ",
        "| 2024-01-02T03:04:05.678Z ",
        r#"| {"name":"System","pid":4} "#,
        r#"| [{"k":"v"},{"k":"w"}] "#,
    ] {
        assert!(rows.contains(cell), "{cell} missing:\n{rows}");
    }
    // The NULL row stays NULL in every column.
    let nulls = text(
        &session
            .query("SELECT count(*) AS n FROM es_sql('emu', 'SELECT * FROM all_types') WHERE k IS NULL AND l IS NULL AND ts IS NULL AND ok IS NULL AND t_object IS NULL")
            .await
            .unwrap(),
    );
    assert!(nulls.contains("| 1 |"), "{nulls}");
    // A query the cluster rejects: its error body is shown.
    let err = session
        .query("SELECT * FROM es_sql('emu', 'SELECT nope FROM all_types')")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("400 verification_exception") && err.contains("nope"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_requests_are_retried_and_credentials_checked() {
    let (emulator, session) = setup("retries = 3").await;
    emulator.fail_next(2);
    let rows = session
        .query("SELECT count(*) AS n FROM es_sql('emu', 'SELECT row_id FROM events')")
        .await
        .unwrap();
    assert!(text(&rows).contains("| 3878 |"));
    assert_eq!(
        count(&emulator.requests(), "POST /_sql query"),
        3,
        "{:?}",
        emulator.requests()
    );

    // Out of retries: the 429 is reported.
    let (emulator, session) = setup("retries = 1").await;
    emulator.fail_next(5);
    let err = session
        .query("SELECT * FROM es_sql('emu', 'SELECT row_id FROM events')")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("429") && err.contains("retries"), "{err}");

    // Wrong and missing credentials: a clear 401 without the secret.
    emulator.fail_next(0);
    let wrong = "d3Jvbmc6V1JPTkctU0VDUkVULTQ1Ng==";
    let err = session_for(&emulator, &format!("api_key = \"{wrong}\""))
        .await
        .err()
        .expect("registration must fail")
        .to_string();
    assert!(
        err.contains("401") && err.contains("api_key") && err.contains("unable to authenticate"),
        "{err}"
    );
    assert!(!err.contains(wrong), "{err}");
    let err = session
        .query(&format!(
            "SELECT * FROM es_sql('{}', 'SELECT 1')",
            emulator.url
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("401") && err.contains("missing authentication credentials"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elasticsearch_point_in_time_urls_are_used_and_closed() {
    let (emulator, session) = setup("page_size = 500").await;
    let es = session
        .query(&format!("SELECT {COLUMNS} FROM emu.events ORDER BY row_id"))
        .await
        .unwrap();
    let local = session
        .query(&format!(
            "SELECT {COLUMNS} FROM local_events ORDER BY row_id"
        ))
        .await
        .unwrap();
    assert_eq!(text(&es), text(&local));
    let requests = emulator.requests();
    assert_eq!(count(&requests, "POST /events/_pit"), 1, "{requests:?}");
    assert_eq!(count(&requests, "POST /_search"), 8, "{requests:?}");
    assert_eq!(count(&requests, "DELETE /_pit"), 1, "{requests:?}");
    assert_eq!(emulator.open_pits(), 0);
    // A throttled page is retried in the middle of a scan.
    emulator.fail_next(1);
    let n = text(
        &session
            .query("SELECT count(*) AS n FROM emu.events")
            .await
            .unwrap(),
    );
    assert!(n.contains("| 3878 |"), "{n}");
    assert_eq!(emulator.open_pits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opensearch_sql_plugin_flavour() {
    let (schema, batches) = es_data::sample_events().await;
    let emulator = EsEmulator::start_opensearch(
        vec![EmuTable {
            name: "events".into(),
            schema: Arc::clone(&schema),
            batches: batches.clone(),
        }],
        HashMap::new(),
    );
    let session = session_for(&emulator, "page_size = 500").await.unwrap();
    es_data::register_local(&session, &schema, &batches);
    let cols =
        r#"row_id, "@timestamp", "event.code", "host.name", "process.elevated", "risk.score""#;
    let es = session
        .query(&format!(
            "SELECT {cols} FROM es_sql('emu', 'SELECT {} FROM events ORDER BY row_id')",
            cols.replace('\'', "''")
        ))
        .await
        .unwrap();
    let local = session
        .query(&format!("SELECT {cols} FROM local_events ORDER BY row_id"))
        .await
        .unwrap();
    assert_eq!(text(&es), text(&local));
    let requests = emulator.requests();
    assert_eq!(
        count(&requests, "POST /_plugins/_sql query"),
        1,
        "{requests:?}"
    );
    assert_eq!(
        count(&requests, "POST /_plugins/_sql cursor"),
        7,
        "{requests:?}"
    );
    assert_eq!(count(&requests, "POST /_sql query"), 0);
    // Early stop: the plugin's close URL.
    let rows = session
        .query("SELECT row_id FROM es_sql('emu', 'SELECT row_id FROM events') LIMIT 600")
        .await
        .unwrap();
    assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 600);
    assert_eq!(count(&emulator.requests(), "POST /_plugins/_sql/close"), 1);
    assert_eq!(emulator.open_cursors(), 0);
}
