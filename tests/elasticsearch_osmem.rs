//! The Elasticsearch / OpenSearch connector against osmem-server, a
//! third-party in-memory implementation of the OpenSearch REST API (install
//! it with tests/servers/install-osmem-server.sh): index tables, point-in-time
//! paging, pushdown per predicate kind (results equal to DataFusion filtering
//! the same rows locally), hostile strings, es_search, a server killed
//! mid-scan.

use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::catalog::TableProvider;
use datafusion::physical_plan::{collect, execute_stream};
use futures::StreamExt;
use huntsql_engine::{HuntConfig, HuntSession};
use huntsql_tests::es_data::{self, COLUMNS};
use huntsql_tests::osmem::OsmemServer;
use serde_json::{json, Value};

fn text(batches: &[RecordBatch]) -> String {
    pretty_format_batches(batches).unwrap().to_string()
}

/// osmem-server with the events loaded, and a session with the source `os`
/// (`options` are extra TOML lines) and the local copy `local_events`.
async fn setup(options: &str) -> (OsmemServer, HuntSession) {
    let server = OsmemServer::start();
    let (schema, batches) = es_data::sample_events().await;
    let docs = es_data::documents(&batches);
    es_data::bulk_load(
        &server.url(),
        "events",
        &es_data::events_mapping(),
        &docs,
        "row_id",
    )
    .await;
    let session = session_for(&server, options).await;
    es_data::register_local(&session, &schema, &batches);
    (server, session)
}

async fn session_for(server: &OsmemServer, options: &str) -> HuntSession {
    let config = HuntConfig::parse(
        &format!(
            "[sources.os]\nkind = \"elasticsearch\"\nurl = \"{}\"\n{options}\n",
            server.url()
        ),
        "test.toml",
    )
    .unwrap();
    let session = HuntSession::builder().build().unwrap();
    session.register_config_data(&config).await.unwrap();
    session
}

async fn open_pits(server: &OsmemServer) -> usize {
    let answer: Value = reqwest::get(format!("{}/_search/point_in_time/_all", server.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["pits"].as_array().map_or(0, Vec::len)
}

async fn provider(session: &HuntSession, name: &str) -> Arc<dyn TableProvider> {
    session
        .context()
        .table_provider(name)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_scan_pages_with_a_point_in_time_and_equals_the_rows() {
    let (server, session) = setup("page_size = 500").await;
    // The schema comes from the mapping, objects flattened to dotted names.
    let described = text(&session.query("DESCRIBE os.events").await.unwrap());
    for column in [
        "process.command_line",
        "process.parent.executable",
        "event.code",
        "@timestamp",
        "_id",
        "_index",
    ] {
        assert!(described.contains(column), "{column} missing:\n{described}");
    }
    let es = session
        .query(&format!("SELECT {COLUMNS} FROM os.events ORDER BY row_id"))
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

    // One batch per page: 3878 rows at 500 a page are 8 pages.
    let table = provider(&session, "os.events").await;
    let state = session.context().state();
    let plan = table.scan(&state, Some(&vec![0]), &[], None).await.unwrap();
    let pages = collect(plan, session.context().task_ctx()).await.unwrap();
    assert_eq!(
        pages.len(),
        8,
        "pages: {:?}",
        pages.iter().map(|b| b.num_rows()).collect::<Vec<_>>()
    );
    assert!(pages[..7].iter().all(|b| b.num_rows() == 500));

    // count(*) reads no _source at all.
    let count = text(
        &session
            .query("SELECT count(*) AS n FROM os.events")
            .await
            .unwrap(),
    );
    assert!(count.contains("| 3878 |"), "{count}");
    let explain = text(
        &session
            .query("EXPLAIN SELECT count(*) FROM os.events")
            .await
            .unwrap(),
    );
    assert!(explain.contains(r#""_source":false"#), "{explain}");
    // Every point in time was closed.
    assert_eq!(open_pits(&server).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushdown_per_predicate_kind_equals_local_filtering() {
    let (server, session) = setup("page_size = 400").await;
    let ts = text(
        &session
            .query(r#"SELECT CAST("@timestamp" AS VARCHAR) AS t FROM local_events WHERE row_id = 1900"#)
            .await
            .unwrap(),
    );
    let ts = ts
        .lines()
        .nth(3)
        .unwrap()
        .trim_matches(|c| c == '|' || c == ' ')
        .to_string();
    let short_cmd = text(
        &session
            .query(r#"SELECT "process.command_line" AS c FROM local_events WHERE length("process.command_line") BETWEEN 10 AND 40 ORDER BY row_id LIMIT 1"#)
            .await
            .unwrap(),
    );
    let short_cmd = short_cmd
        .lines()
        .nth(3)
        .unwrap()
        .trim_matches(|c| c == '|' || c == ' ')
        .to_string();
    let cases: Vec<(String, &str)> = vec![
        (r#""host.name" = 'MSTICAlertsWin1'"#.into(), r#""term""#),
        (
            r#""event.code" IN (1, 4689, 4624, 4625)"#.into(),
            r#""terms""#,
        ),
        // DataFusion turns short IN lists into ORs; they become terms again.
        (
            r#""host.name" IN ('Pedro01', 'WORKSTATION5')"#.into(),
            r#""terms":{"host.name":["Pedro01","WORKSTATION5"]}"#,
        ),
        (
            r#""event.sequence" BETWEEN 300 AND 3000"#.into(),
            r#""range""#,
        ),
        (r#""event.sequence" > 11000"#.into(), r#""gt":11000"#),
        (
            format!(r#""@timestamp" >= TIMESTAMP '{ts}'"#),
            r#""epoch_millis""#,
        ),
        (
            format!(r#""@timestamp" < TIMESTAMP '{ts}' AND "event.code" = 1"#),
            r#""lt""#,
        ),
        (
            r#""process.elevated" IS NULL"#.into(),
            r#""must_not":[{"exists""#,
        ),
        (r#""tags" IS NOT NULL"#.into(), r#""exists""#),
        (
            r#""process.executable" LIKE 'C:\\Windows\\System32\\%'"#.into(),
            r#""prefix""#,
        ),
        (
            r#""process.executable" LIKE '%power_hell%'"#.into(),
            r#""wildcard""#,
        ),
        (
            r#""user.name" ILIKE '%system%'"#.into(),
            r#""case_insensitive":true"#,
        ),
        (
            format!(
                r#""process.command_line" = '{}'"#,
                short_cmd.replace('\'', "''")
            ),
            r#""process.command_line.keyword""#,
        ),
        (
            r#""host.name" = 'Pedro01' OR "event.code" = 1"#.into(),
            r#""should""#,
        ),
        (
            r#""host.name" <> 'MSTICAlertsWin1'"#.into(),
            r#""must_not""#,
        ),
        (r#"NOT ("event.code" = 4688)"#.into(), r#""must_not""#),
        (
            r#""host.name" NOT IN ('Pedro01', 'WORKSTATION5')"#.into(),
            r#""must_not""#,
        ),
        (
            r#""process.elevated""#.into(),
            r#""term":{"process.elevated""#,
        ),
        (r#"NOT "process.elevated""#.into(), r#""must_not""#),
        (r#""risk.score" >= 12.5"#.into(), r#""gte":12.5"#),
        (r#"_id = '77'"#.into(), r#""ids""#),
        // Not pushed (text field whose keyword sub-field has ignore_above):
        // DataFusion filters, results are still equal.
        (
            r#""process.command_line" LIKE '%whoami%'"#.into(),
            r#""match_all""#,
        ),
    ];
    for (predicate, dsl) in &cases {
        let es_sql = format!("SELECT {COLUMNS} FROM os.events WHERE {predicate} ORDER BY row_id");
        let local_sql = es_sql
            .replace("os.events", "local_events")
            .replace("_id = '77'", "row_id = 77");
        let es = session
            .query(&es_sql)
            .await
            .unwrap_or_else(|e| panic!("{predicate}: {e}"));
        let local = session.query(&local_sql).await.unwrap();
        let n = local.iter().map(|b| b.num_rows()).sum::<usize>();
        assert!(
            n > 0,
            "{predicate}: the local rows are empty, the case tests nothing"
        );
        assert_eq!(text(&es), text(&local), "{predicate}");
        let explain = text(&session.query(&format!("EXPLAIN {es_sql}")).await.unwrap());
        assert!(
            explain.contains(dsl),
            "{predicate}: {dsl} not in\n{explain}"
        );
    }
    // LIMIT becomes the page size.
    let sql = r#"SELECT row_id FROM os.events WHERE "host.name" = 'Pedro01' LIMIT 7"#;
    let explain = text(&session.query(&format!("EXPLAIN {sql}")).await.unwrap());
    assert!(explain.contains(r#""size":7"#), "{explain}");
    let rows: usize = session
        .query(sql)
        .await
        .unwrap()
        .iter()
        .map(|b| b.num_rows())
        .sum();
    assert_eq!(rows, 7);
    assert_eq!(open_pits(&server).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_strings_match_exactly() {
    let server = OsmemServer::start();
    let values = [
        "a\"b",
        "it's",
        "back\\slash",
        "star*",
        "q?mark",
        "per%cent",
        "under_score",
        "new\nline",
        "{\"query\":{\"match_all\":{}}}",
        "ünïcödé ✓",
        "' OR 1=1 --",
        "*",
        "",
        "a\\*b",
        "]}}",
    ];
    let docs: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"n": i, "s": v}))
        .collect();
    let mapping =
        json!({"mappings": {"properties": {"n": {"type": "long"}, "s": {"type": "keyword"}}}});
    es_data::bulk_load(&server.url(), "hostile", &mapping, &docs, "n").await;
    let session = session_for(&server, "").await;
    session
        .query(&format!(
            "CREATE TABLE local_hostile AS VALUES {}",
            values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("({i}, '{}')", v.replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .await
        .unwrap();
    let like_escape = |v: &str| {
        v.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    };
    for (i, v) in values.iter().enumerate() {
        let sql_literal = v.replace('\'', "''");
        let got = text(
            &session
                .query(&format!(
                    "SELECT n FROM os.hostile WHERE s = '{sql_literal}'"
                ))
                .await
                .unwrap(),
        );
        assert!(
            got.contains(&format!("| {i} |")) && got.lines().count() == 5,
            "{v:?}: {got}"
        );
        for pattern in [
            format!("{}%", like_escape(v)),
            format!("%{}", like_escape(v)),
        ] {
            let pattern = pattern.replace('\'', "''");
            let es = session
                .query(&format!(
                    "SELECT n FROM os.hostile WHERE s LIKE '{pattern}' ORDER BY n"
                ))
                .await
                .unwrap();
            let local = session
                .query(&format!("SELECT column1 AS n FROM local_hostile WHERE column2 LIKE '{pattern}' ORDER BY n"))
                .await
                .unwrap();
            assert_eq!(text(&es), text(&local), "LIKE {pattern:?}");
        }
    }
    // The values come back unchanged.
    let es = session
        .query("SELECT n, s FROM os.hostile ORDER BY n")
        .await
        .unwrap();
    let local = session
        .query("SELECT column1 AS n, column2 AS s FROM local_hostile ORDER BY n")
        .await
        .unwrap();
    assert_eq!(text(&es), text(&local));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_point_in_time_is_freed_when_a_scan_stops_early() {
    let (server, session) = setup("page_size = 50").await;
    let table = provider(&session, "os.events").await;
    let state = session.context().state();
    let plan = table.scan(&state, None, &[], None).await.unwrap();
    let mut stream = execute_stream(plan, session.context().task_ctx()).unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.num_rows(), 50);
    assert_eq!(
        open_pits(&server).await,
        1,
        "the scan holds a point in time"
    );
    drop(stream);
    let mut open = 1;
    for _ in 0..200 {
        open = open_pits(&server).await;
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        open, 0,
        "the point in time was not deleted after the early stop"
    );
    // A LIMIT that is not pushed down (the filter is not) stops the scan early too.
    let rows = session
        .query(r#"SELECT row_id FROM os.events WHERE "process.command_line" LIKE '%.exe%' LIMIT 3"#)
        .await
        .unwrap();
    assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 3);
    let mut open = 1;
    for _ in 0..200 {
        open = open_pits(&server).await;
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(open, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_scan_gives_an_error() {
    let (mut server, session) =
        setup("page_size = 100\ntimeout = 3\nretries = 1\nretry_delay_ms = 10").await;
    let table = provider(&session, "os.events").await;
    let state = session.context().state();
    let plan = table.scan(&state, None, &[], None).await.unwrap();
    let mut stream = execute_stream(plan, session.context().task_ctx()).unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    server.kill();
    // A guard against hanging, not a speed assertion.
    let next = tokio::time::timeout(Duration::from_secs(60), stream.next())
        .await
        .expect("the scan did not end after the server died");
    let err = next
        .expect("an error, not the end of the stream")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("index 'events'") && err.contains(&server.url()),
        "{err}"
    );
    assert!(
        err.contains("cannot connect") || err.contains("broke off"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_tables_es_search_and_clear_errors() {
    let (server, session) = setup("").await;
    session
        .query(&format!(
            "CREATE EXTERNAL TABLE ev STORED AS ELASTICSEARCH LOCATION '{}/events' OPTIONS ('page_size' '700')",
            server.url()
        ))
        .await
        .unwrap();
    let n = text(
        &session
            .query("SELECT count(*) AS n FROM ev WHERE \"event.code\" = 1")
            .await
            .unwrap(),
    );
    assert!(n.contains("| 1104 |"), "{n}");

    let err = session
        .query(&format!(
            "CREATE EXTERNAL TABLE nope STORED AS ELASTICSEARCH LOCATION '{}/no-such-index'",
            server.url()
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("index_not_found_exception") && err.contains("check the index name"),
        "{err}"
    );
    let err = session
        .query("CREATE EXTERNAL TABLE bad STORED AS ELASTICSEARCH LOCATION 'http://127.0.0.1:1/x' OPTIONS ('colour' 'red')")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown option 'colour'"), "{err}");
    let err = session
        .query("SELECT * FROM os.\"no-such-index\"")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no-such-index") && err.contains("not found"),
        "{err}"
    );

    // Patterns are tables too, as quoted identifiers.
    let n = text(
        &session
            .query("SELECT count(*) AS n FROM os.\"eve*\"")
            .await
            .unwrap(),
    );
    assert!(n.contains("| 3878 |"), "{n}");

    // es_search: query string and time range, then SQL on top.
    let es = session
        .query(&format!(
            "SELECT {COLUMNS} FROM es_search('os', 'events', 'host.name:Pedro01 AND event.code:4688', '2000-01-01T00:00:00Z', 'now') ORDER BY row_id"
        ))
        .await
        .unwrap();
    let local = session
        .query(&format!(
            "SELECT {COLUMNS} FROM local_events WHERE \"host.name\" = 'Pedro01' AND \"event.code\" = 4688 ORDER BY row_id"
        ))
        .await
        .unwrap();
    assert!(local.iter().map(|b| b.num_rows()).sum::<usize>() > 0);
    assert_eq!(text(&es), text(&local));
    let none = session
        .query("SELECT count(*) AS n FROM es_search('os', 'events', '*', '2100-01-01T00:00:00Z')")
        .await
        .unwrap();
    assert!(text(&none).contains("| 0 |"));
    let err = session
        .query("SELECT * FROM es_search('nosuch', 'events', '*')")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no Elasticsearch source named 'nosuch'") && err.contains("os"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sliced_scans_share_one_point_in_time_and_read_every_row_once() {
    let (server, session) = setup("page_size = 300\nslices = 4").await;
    let sql = format!("SELECT {COLUMNS} FROM os.events ORDER BY row_id");
    let explain = text(&session.query(&format!("EXPLAIN {sql}")).await.unwrap());
    assert!(explain.contains("slices=4"), "{explain}");
    let es = session.query(&sql).await.unwrap();
    let local = session
        .query(&format!(
            "SELECT {COLUMNS} FROM local_events ORDER BY row_id"
        ))
        .await
        .unwrap();
    assert_eq!(text(&es), text(&local));
    // Each slice is one partition; together they hold every row once.
    let table = provider(&session, "os.events").await;
    let state = session.context().state();
    let plan = table.scan(&state, Some(&vec![9]), &[], None).await.unwrap();
    let parts = datafusion::physical_plan::collect_partitioned(plan, session.context().task_ctx())
        .await
        .unwrap();
    assert_eq!(parts.len(), 4);
    let sizes: Vec<usize> = parts
        .iter()
        .map(|p| p.iter().map(|b| b.num_rows()).sum())
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 3878, "{sizes:?}");
    assert!(sizes.iter().all(|&n| n > 0), "{sizes:?}");
    // With a LIMIT the scan is not sliced.
    let explain = text(
        &session
            .query("EXPLAIN SELECT row_id FROM os.events LIMIT 5")
            .await
            .unwrap(),
    );
    assert!(!explain.contains("slices="), "{explain}");
    assert_eq!(open_pits(&server).await, 0);
}
