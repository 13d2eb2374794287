//! Object stores against a real S3 server (s3s-fs, which checks SigV4
//! signatures): hive-partitioned COPY and pruned reads, named sources and
//! prefix discovery, URL tables in Parquet/CSV/JSON, credential, bucket and
//! key errors, a server dying mid-query, 1,000 small objects, and secrets
//! kept out of every output.
//!
//! Needs `tests/servers/install-s3s-fs.sh`; without it these tests fail
//! with a message saying so.

use std::time::{Duration, Instant};

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::arrow::util::pretty::pretty_format_batches;
use futures::StreamExt;
use huntsql_engine::huntsql_connectors::object_store::hint;
use huntsql_engine::{HuntConfig, HuntSession};
use huntsql_tests::s3s::{S3Server, ACCESS_KEY, SECRET_KEY};

fn sample_session() -> HuntSession {
    HuntSession::builder().with_sample(true).build().unwrap()
}

/// A session whose `[sources.lake]` points at `s3://bucket/` on `server`.
async fn session_with_source(server: &S3Server, bucket: &str, secret: &str) -> HuntSession {
    let session = sample_session();
    let config = HuntConfig::parse(
        &format!(
            "[sources.lake]\nurl = \"s3://{bucket}/\"\nregion = \"us-east-1\"\nendpoint = \"{}\"\n\
             allow_http = true\naccess_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{secret}\"\n\
             timeout = 5\nretries = 1\n",
            server.endpoint()
        ),
        "test config",
    )
    .unwrap();
    session.register_config_data(&config).await.unwrap();
    session
}

async fn count(session: &HuntSession, sql: &str) -> i64 {
    let batches = session
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

fn text(batches: &[RecordBatch]) -> String {
    pretty_format_batches(batches).unwrap().to_string()
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if !path.file_name().unwrap().to_string_lossy().starts_with('.') {
            out.push(path);
        }
    }
    out
}

const DAY: &str = "substr(CAST(TimeGenerated AS VARCHAR), 1, 10)";

/// Bucket `hunt` on `server`, holding the embedded sample's process events
/// as `pe.parquet`.
fn put_sample(server: &S3Server) {
    let bucket = server.create_bucket("hunt");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../data/sample/process_events.parquet"
        ),
        bucket.join("pe.parquet"),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hive_partitioned_copy_then_pruned_queries() {
    let server = S3Server::start();
    let bucket_dir = server.create_bucket("hunt");
    let session = session_with_source(&server, "hunt", SECRET_KEY).await;

    // Upload the sample as hive-partitioned Parquet through COPY.
    session
        .query(&format!(
            "COPY (SELECT *, {DAY} AS day FROM process_events) TO 's3://hunt/pe/' \
             STORED AS PARQUET PARTITIONED BY (day)"
        ))
        .await
        .unwrap();
    let days = session
        .query(&format!(
            "SELECT {DAY} AS day, count(*) AS n FROM process_events GROUP BY 1 ORDER BY 2 DESC, 1"
        ))
        .await
        .unwrap();
    let total = count(&session, "SELECT count(*) FROM process_events").await;
    let day = array_value_to_string(days[0].column(0), 0).unwrap();
    let day_rows = days[0].column(1).as_primitive::<Int64Type>().value(0);
    let day_count = days.iter().map(|b| b.num_rows()).sum::<usize>();
    assert!(day_count > 1, "the sample should span several days");
    let partitions: Vec<_> = std::fs::read_dir(bucket_dir.join("pe"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("day="))
        .collect();
    assert_eq!(partitions.len(), day_count, "{partitions:?}");

    // CREATE EXTERNAL TABLE over the prefix: credentials from the source.
    session
        .query("CREATE EXTERNAL TABLE pe STORED AS PARQUET LOCATION 's3://hunt/pe/'")
        .await
        .unwrap();
    assert_eq!(count(&session, "SELECT count(*) FROM pe").await, total);
    let one_day = format!("SELECT count(*) FROM pe WHERE day = '{day}'");
    assert_eq!(count(&session, &one_day).await, day_rows);

    // Pruning: the plan reads exactly the objects of that one day.
    // (A scan, not count(*), which the statistics answer without reading.)
    let scan = format!("SELECT EventID, CommandLine FROM pe WHERE day = '{day}'");
    let plan = text(&session.query(&format!("EXPLAIN {scan}")).await.unwrap());
    let day_files = files_under(&bucket_dir.join("pe").join(format!("day={day}")));
    assert!(!day_files.is_empty());
    let read: Vec<&str> = plan
        .split(|c: char| c == '[' || c == ']' || c == ',' || c.is_whitespace())
        .filter(|w| w.contains(".parquet"))
        .collect();
    assert_eq!(read.len(), day_files.len(), "{plan}");
    assert!(
        read.iter().all(|f| f.contains(&format!("day={day}/"))),
        "files of other days in the plan: {plan}"
    );
    // The named source registered nothing then (empty bucket); a fresh
    // session discovers the prefix's table with its partition column.
    let fresh = session_with_source(&server, "hunt", SECRET_KEY).await;
    assert!(
        fresh.table_names().contains(&"lake.pe".to_string()),
        "{:?}",
        fresh.table_names()
    );
    assert_eq!(count(&fresh, "SELECT count(*) FROM lake.pe").await, total);
    assert_eq!(
        count(
            &fresh,
            &format!("SELECT count(*) FROM lake.pe WHERE day = '{day}'")
        )
        .await,
        day_rows
    );
    // --data s3://hunt/ registers it in the default schema.
    let data = HuntSession::builder().build().unwrap();
    data.register_config_data(
        &HuntConfig::parse(
            &format!(
                "[sources.creds]\nurl = \"s3://hunt/nothing-here/\"\nendpoint = \"{}\"\nallow_http = true\n\
                 access_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\"\nregion = \"us-east-1\"\n",
                server.endpoint()
            ),
            "t",
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let registered = data.register_data("s3://hunt/").await.unwrap();
    assert_eq!(registered.names(), vec!["pe".to_string()]);
    assert_eq!(count(&data, "SELECT count(*) FROM pe").await, total);

    // A single object by URL (dynamic file catalog).
    let object = day_files[0]
        .strip_prefix(&bucket_dir)
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let by_url = count(
        &session,
        &format!("SELECT count(*) FROM 's3://hunt/{object}'"),
    )
    .await;
    let local = count(
        &sample_session(),
        &format!("SELECT count(*) FROM '{}'", day_files[0].display()),
    )
    .await;
    assert_eq!(by_url, local);
    assert!(by_url > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_and_json_round_trip_through_s3() {
    let server = S3Server::start();
    server.create_bucket("hunt");
    let session = session_with_source(&server, "hunt", SECRET_KEY).await;
    let expected = session
        .query("SELECT Computer, count(*) AS n FROM process_events GROUP BY Computer ORDER BY Computer")
        .await
        .unwrap();
    for (format, file) in [("CSV", "pe.csv"), ("JSON", "pe.json")] {
        session
            .query(&format!(
                "COPY (SELECT Computer, EventID FROM process_events) TO 's3://hunt/{format}/{file}' STORED AS {format}"
            ))
            .await
            .unwrap();
        let got = session
            .query(&format!(
                "SELECT Computer, count(*) AS n FROM 's3://hunt/{format}/{file}' GROUP BY Computer ORDER BY Computer"
            ))
            .await
            .unwrap();
        assert_eq!(text(&got), text(&expected), "{format}");
        session
            .query(&format!(
                "CREATE EXTERNAL TABLE t_{format} STORED AS {format} LOCATION 's3://hunt/{format}/' {}",
                server.options_sql(SECRET_KEY)
            ))
            .await
            .unwrap();
        let table = session
            .query(&format!(
                "SELECT Computer, count(*) AS n FROM t_{format} GROUP BY Computer ORDER BY Computer"
            ))
            .await
            .unwrap();
        assert_eq!(text(&table), text(&expected), "{format} table");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_a_clear_authentication_error_that_hides_it() {
    let server = S3Server::start();
    put_sample(&server);
    let session = sample_session();
    let wrong = "wrong-secret-5e1d0c";
    let err = session
        .query(&format!(
            "CREATE EXTERNAL TABLE pe STORED AS PARQUET LOCATION 's3://hunt/pe.parquet' {}",
            server.options_sql(wrong)
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("SignatureDoesNotMatch") || err.contains("403"),
        "{err}"
    );
    assert!(
        err.contains("s3://hunt/pe.parquet"),
        "names the location: {err}"
    );
    assert!(hint(&err).unwrap().contains("credentials"), "{err}");
    assert!(!err.contains(wrong), "{err}");

    // The right secret reads it.
    session
        .query(&format!(
            "CREATE OR REPLACE EXTERNAL TABLE pe STORED AS PARQUET LOCATION 's3://hunt/pe.parquet' {}",
            server.options_sql(SECRET_KEY)
        ))
        .await
        .unwrap();
    assert_eq!(
        count(&session, "SELECT count(*) FROM pe").await,
        count(&session, "SELECT count(*) FROM process_events").await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_bucket_and_key_are_clear_errors() {
    let server = S3Server::start();
    server.create_bucket("hunt");
    let session = sample_session();
    let err = session
        .query(&format!(
            "CREATE EXTERNAL TABLE a STORED AS PARQUET LOCATION 's3://no-such-bucket/x.parquet' {}",
            server.options_sql(SECRET_KEY)
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("s3://no-such-bucket/x.parquet"), "{err}");
    assert!(hint(&err).is_some(), "no advice in: {err}");

    let err = session
        .query(&format!(
            "CREATE EXTERNAL TABLE b STORED AS PARQUET LOCATION 's3://hunt/missing.parquet' {}",
            server.options_sql(SECRET_KEY)
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.parquet"), "{err}");
    assert!(hint(&err).is_some(), "no advice in: {err}");
}

/// Writes `n` small NDJSON objects (object i holds i % 3 + 1 rows) straight
/// into the server's bucket directory; returns the rows written.
fn many_objects(bucket: &std::path::Path, n: usize) -> usize {
    let dir = bucket.join("many");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rows = 0;
    for i in 0..n {
        let k = i % 3 + 1;
        let body: String = (0..k)
            .map(|j| format!("{{\"obj\": {i}, \"row\": {j}}}\n"))
            .collect();
        std::fs::write(dir.join(format!("part-{i:05}.ndjson")), body).unwrap();
        rows += k;
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_small_objects_list_and_read_completely() {
    let server = S3Server::start();
    let bucket = server.create_bucket("hunt");
    let rows = many_objects(&bucket, 1000);
    let session = session_with_source(&server, "hunt", SECRET_KEY).await;
    let tables = session.register_data("s3://hunt/").await.unwrap();
    match tables {
        huntsql_engine::DataTables::Remote(t) => {
            assert_eq!(t.len(), 1);
            assert_eq!(t[0].objects, 1000);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        count(&session, "SELECT count(*) FROM many").await,
        rows as i64
    );
    assert_eq!(
        count(&session, "SELECT count(DISTINCT obj) FROM many").await,
        1000
    );
}

/// The number of file groups of the scan in `EXPLAIN sql`.
async fn file_groups(session: &HuntSession, sql: &str) -> usize {
    let plan = text(&session.query(&format!("EXPLAIN {sql}")).await.unwrap());
    let at = plan
        .find("file_groups={")
        .unwrap_or_else(|| panic!("no file groups in {plan}"));
    let digits: String = plan[at + "file_groups={".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_scans_have_more_partitions_than_cores_local_ones_do_not() {
    let server = S3Server::start();
    let bucket = server.create_bucket("hunt");
    // 16 files: DataFusion groups them in chunks of ceil(16 / partitions).
    let rows = many_objects(&bucket, 16);
    let session = session_with_source(&server, "hunt", SECRET_KEY).await;
    session
        .query(&format!(
            "CREATE EXTERNAL TABLE created STORED AS JSON LOCATION 's3://hunt/many/' {}",
            server.options_sql(SECRET_KEY)
        ))
        .await
        .unwrap();
    let local = tempfile::tempdir().unwrap();
    many_objects(local.path(), 16);
    session.register_data_dir(local.path()).await.unwrap();
    // URL tables need a known extension: the same rows as Parquet objects.
    for i in 0..16 {
        session
            .query(&format!(
                "COPY (SELECT obj FROM lake.many WHERE obj = {i}) TO 's3://hunt/pq/part-{i:02}.parquet'"
            ))
            .await
            .unwrap();
    }
    // The optimizer rebalances file groups by size into one per core once
    // they hold more than this; here it always would.
    session
        .query("SET datafusion.optimizer.repartition_file_min_size = 1")
        .await
        .unwrap();
    let cores = session.context().state().config().target_partitions();
    assert!(cores < 8, "this test needs fewer than 8 target partitions");
    // [sources] tables, CREATE EXTERNAL TABLE and URL tables: 8 groups of
    // files read at once; the local table: one group per core.
    for table in ["lake.many", "created", "'s3://hunt/pq/'"] {
        let sql = format!("SELECT sum(obj) FROM {table}");
        assert_eq!(file_groups(&session, &sql).await, 8, "{table}");
        assert_eq!(
            count(&session, &format!("SELECT count(*) FROM {table}")).await,
            rows as i64,
            "{table}"
        );
    }
    assert_eq!(
        file_groups(&session, "SELECT sum(obj) FROM many").await,
        cores
    );

    // object_store_scan_partitions = 1: object stores scanned as local files.
    let narrow = HuntSession::builder()
        .with_config(
            HuntConfig::parse(
                "object_store_scan_partitions = 1
",
                "test config",
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    narrow
        .query(&format!(
            "CREATE EXTERNAL TABLE created STORED AS JSON LOCATION 's3://hunt/many/' {}",
            server.options_sql(SECRET_KEY)
        ))
        .await
        .unwrap();
    assert_eq!(
        file_groups(&narrow, "SELECT sum(obj) FROM created").await,
        cores
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_a_query_fails_it_in_bounded_time() {
    let mut server = S3Server::start();
    let bucket = server.create_bucket("hunt");
    many_objects(&bucket, 1000);
    let session = session_with_source(&server, "hunt", SECRET_KEY).await;
    let started = Instant::now();
    let df = session.sql("SELECT obj, row FROM lake.many").await.unwrap();
    let mut stream = df.execute_stream().await.unwrap();
    let first = stream.next().await.expect("a first batch").unwrap();
    assert!(first.num_rows() > 0);
    server.kill();
    let result = tokio::time::timeout(Duration::from_secs(90), async {
        let mut rows = first.num_rows();
        while let Some(batch) = stream.next().await {
            rows += batch?.num_rows();
        }
        Ok::<usize, datafusion::error::DataFusionError>(rows)
    })
    .await
    .expect("the query hung for 90 s after the server died");
    let err = result
        .expect_err("reading 1,000 objects cannot finish after the server died")
        .to_string();
    assert!(hint(&err).is_some(), "no advice in: {err}");
    assert!(started.elapsed() < Duration::from_secs(90));
    eprintln!("failed after {:?}: {err}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_appear_in_outputs() {
    let server = S3Server::start();
    put_sample(&server);
    let session = sample_session();
    session
        .query(&format!(
            "CREATE EXTERNAL TABLE pe STORED AS PARQUET LOCATION 's3://hunt/pe.parquet' {}",
            server.options_sql(SECRET_KEY)
        ))
        .await
        .unwrap();
    let mut outputs = Vec::new();
    for sql in [
        "SHOW CREATE TABLE pe",
        "SELECT * FROM information_schema.views",
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM information_schema.columns WHERE table_name = 'pe'",
        "SELECT * FROM information_schema.df_settings",
        "EXPLAIN SELECT count(*) FROM pe WHERE EventID = 4688",
        "EXPLAIN ANALYZE SELECT count(*) FROM pe WHERE EventID = 4688",
        "EXPLAIN VERBOSE SELECT * FROM pe LIMIT 1",
    ] {
        let batches = session
            .query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        outputs.push((sql.to_string(), text(&batches)));
    }
    let err = session
        .query("SELECT * FROM 's3://hunt/missing.parquet'")
        .await
        .unwrap_err();
    outputs.push(("missing".into(), format!("{err} {err:?}")));
    assert!(
        outputs[0].1.contains("s3://hunt/pe.parquet"),
        "{}",
        outputs[0].1
    );
    for (what, output) in &outputs {
        assert!(
            !output.contains(SECRET_KEY),
            "{what} shows the secret:\n{output}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_come_from_an_aws_profile_file() {
    let server = S3Server::start();
    put_sample(&server);
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n\n\
             [hunting]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
        ),
    )
    .unwrap();
    // Only this test reads profiles: the others give keys explicitly.
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &credentials);
    let session = sample_session();
    let options = |profile: &str| {
        format!(
            "OPTIONS ('aws.profile' '{profile}', 'aws.region' 'us-east-1', 'aws.endpoint' '{}', \
             'aws.allow_http' 'true', 'aws.retries' '0')",
            server.endpoint()
        )
    };
    session
        .query(&format!(
            "CREATE EXTERNAL TABLE pe STORED AS PARQUET LOCATION 's3://hunt/pe.parquet' {}",
            options("hunting")
        ))
        .await
        .unwrap();
    assert_eq!(
        count(&session, "SELECT count(*) FROM pe").await,
        count(&session, "SELECT count(*) FROM process_events").await
    );
    // The default profile's keys are wrong: the server refuses them.
    let err = session
        .query(&format!(
            "CREATE EXTERNAL TABLE pe2 STORED AS PARQUET LOCATION 's3://hunt/pe.parquet' {}",
            options("default")
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(hint(&err).unwrap().contains("credentials"), "{err}");
    // A profile that is not in the file is named.
    let err = session
        .query(&format!(
            "CREATE EXTERNAL TABLE pe3 STORED AS PARQUET LOCATION 's3://hunt/pe.parquet' {}",
            options("nosuch")
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'nosuch'") && err.contains("credentials"),
        "{err}"
    );
}

/// A server that accepts connections and never answers (a hung proxy, a
/// firewall that swallows packets): the query fails after the configured
/// timeout, with advice, instead of hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_with_advice() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    // Accept and hold every connection without reading or writing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let session = sample_session();
    let config = HuntConfig::parse(
        &format!(
            "[sources.silent]\nurl = \"s3://hunt/\"\nregion = \"us-east-1\"\nendpoint = \"{endpoint}\"\n\
             allow_http = true\naccess_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\"\n\
             timeout = 2\nretries = 0\n"
        ),
        "test config",
    )
    .unwrap();
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(60), async {
        session.register_config_data(&config).await?;
        session.query("SELECT count(*) FROM silent.anything").await
    })
    .await
    .expect("listing a silent server hung for 60 s");
    let err = result
        .expect_err("a server that never answers cannot list a prefix")
        .to_string();
    assert!(
        err.contains("[sources.silent]") && hint(&err).is_some(),
        "no source or advice in: {err}"
    );
    assert!(!err.contains(SECRET_KEY), "secret in: {err}");
    eprintln!("failed after {:?}: {err}", started.elapsed());
}
