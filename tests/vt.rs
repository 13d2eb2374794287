//! vt_reputation against the VirusTotal v3 emulator (tests/src/vt_emulator.rs):
//! what is sent (dedupe, pre-filter, cache), how it is spaced (quota on an
//! injected clock), and what a hunter sees when something goes wrong.

use std::path::Path;
use std::sync::Arc;

use huntsql_connectors::threat_intel::Clock;
use std::time::{Duration, SystemTime};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use huntsql_connectors::threat_intel::{ManualClock, ProviderConfig, ThreatIntelConfig};
use huntsql_engine::{HuntConfig, HuntSession};
use huntsql_tests::vt_emulator::{url_id, VtEmulator, IP_NEGATIVE, IP_POSITIVE};

const KEY: &str = "vt-test-key-0123456789abcdef";
const WALL_START: Duration = Duration::from_secs(1_800_000_000);

fn config(emulator: &VtEmulator, cache: &Path) -> ThreatIntelConfig {
    ThreatIntelConfig {
        cache_path: Some(cache.to_path_buf()),
        progress: false,
        virustotal: ProviderConfig {
            api_key: Some(KEY.into()),
            base_url: Some(emulator.url.clone()),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn session(ti: ThreatIntelConfig, clock: Arc<ManualClock>) -> HuntSession {
    HuntSession::builder()
        .with_config(HuntConfig {
            threat_intel: ti,
            ..Default::default()
        })
        .with_threat_intel_clock(clock)
        .build()
        .expect("session")
}

fn clock_at(offset: Duration) -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        SystemTime::UNIX_EPOCH + WALL_START + offset,
    ))
}

/// `(observable, status, malicious)` per row of `SELECT o, vt_reputation(o) AS r ...`.
async fn lookups(session: &HuntSession, values: &[&str]) -> Vec<(String, String, Option<i64>)> {
    let rows: Vec<String> = values
        .iter()
        .map(|v| format!("('{}')", v.replace('\'', "''")))
        .collect();
    let sql = format!(
        "SELECT r['observable'] AS observable, r['status'] AS status, r['malicious'] AS malicious \
         FROM (SELECT vt_reputation(o) AS r FROM (VALUES {}) AS v(o))",
        rows.join(", ")
    );
    let batches = session.query(&sql).await.expect("query");
    rows_of(&batches)
}

fn rows_of(batches: &[RecordBatch]) -> Vec<(String, String, Option<i64>)> {
    let mut out = Vec::new();
    for b in batches {
        let obs = datafusion::arrow::compute::cast(
            b.column(0),
            &datafusion::arrow::datatypes::DataType::Utf8,
        )
        .unwrap();
        let status = datafusion::arrow::compute::cast(
            b.column(1),
            &datafusion::arrow::datatypes::DataType::Utf8,
        )
        .unwrap();
        let (obs, status) = (obs.as_string::<i32>(), status.as_string::<i32>());
        let malicious = b.column(2).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            out.push((
                obs.value(i).to_string(),
                status.value(i).to_string(),
                (!malicious.is_null(i)).then(|| malicious.value(i)),
            ));
        }
    }
    out
}

fn pretty(batches: &[RecordBatch]) -> String {
    datafusion::arrow::util::pretty::pretty_format_batches(batches)
        .unwrap()
        .to_string()
}

const URL0: &str = "http://218.54.47.77/";
const MD5: &str = "9130a106abb665260de5ec34dd8eb0cd";

#[tokio::test]
async fn each_question_is_asked_once_and_skipped_rows_send_nothing() {
    let vt = VtEmulator::start(KEY);
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("ti.redb");
    let values = [
        URL0,
        IP_POSITIVE,
        IP_POSITIVE,     // duplicate in the batch
        "club-fox[.]ru", // defanged ...
        "CLUB-FOX.RU",   // ... and shouted: one domain
        MD5,
        "9130A106ABB665260DE5EC34DD8EB0CD", // the same hash upper-cased
        "unknown-host.example.com",         // 404
        "10.0.0.1",                         // private
        "fe80::1",                          // link-local
        "file:///etc/passwd",               // file URL
        "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", // low-entropy "hash"
        "just words",                       // not an indicator
    ];
    {
        let s = session(config(&vt, &cache), clock_at(Duration::ZERO));
        let rows = lookups(&s, &values).await;
        let status = |i: usize| rows[i].1.as_str();
        assert_eq!(rows.len(), values.len());
        assert_eq!(status(0), "ok");
        assert_eq!(rows[0].2, Some(0)); // vt3_url_0.json: 0 malicious
        assert_eq!(status(1), "ok");
        assert_eq!(rows[1], rows[2]);
        assert_eq!(rows[3].0, "club-fox.ru");
        assert_eq!(rows[3], rows[4]);
        assert!(rows[3].2.unwrap() > 0, "{:?}", rows[3]);
        assert_eq!(rows[5].2, Some(7)); // file-multi_pos.json: 7 positives
        assert_eq!(rows[5], rows[6]);
        assert_eq!(status(7), "not found");
        assert_eq!(status(8), "skipped: IP address is not global");
        assert_eq!(status(9), "skipped: IP address is not global");
        assert!(status(10).starts_with("skipped: "), "{}", status(10));
        assert_eq!(
            status(11),
            "skipped: String has too low an entropy to be a hash"
        );
        assert_eq!(status(12), "skipped: not an indicator huntsql recognises");

        let mut paths = vt.paths();
        paths.sort();
        let mut expected = vec![
            format!("/api/v3/urls/{}", url_id(URL0)),
            format!("/api/v3/ip_addresses/{IP_POSITIVE}"),
            "/api/v3/domains/club-fox.ru".to_string(),
            format!("/api/v3/files/{MD5}"),
            "/api/v3/domains/unknown-host.example.com".to_string(),
        ];
        expected.sort();
        assert_eq!(
            paths, expected,
            "one request per distinct observable, none for skipped rows"
        );
        assert!(vt
            .requests()
            .iter()
            .all(|r| r.api_key.as_deref() == Some(KEY)));

        // The same hunt again in the same session: answered from memory.
        let again = lookups(&s, &values).await;
        assert_eq!(again, rows);
        assert_eq!(vt.requests().len(), 5);
        let report = s.threat_intel().cache_report().to_string();
        assert!(report.contains("5 answers"), "{report}");
    }
    // A second session on the same cache file: zero calls.
    {
        let s = session(config(&vt, &cache), clock_at(Duration::from_secs(3600)));
        let rows = lookups(&s, &values[..8]).await;
        assert_eq!(rows[0].1, "ok");
        assert_eq!(rows[7].1, "not found");
        assert_eq!(
            vt.requests().len(),
            5,
            "a re-run within the TTL costs no calls"
        );
    }
    // After the TTL (24 h) the answers are fetched again.
    {
        let s = session(
            config(&vt, &cache),
            clock_at(Duration::from_secs(25 * 3600)),
        );
        lookups(&s, &[IP_NEGATIVE, IP_POSITIVE]).await;
        assert_eq!(vt.requests().len(), 7);
        // \vt clear empties the file.
        assert_eq!(s.threat_intel().clear_cache().unwrap(), 6);
    }
}

#[tokio::test]
async fn calls_are_spaced_by_the_quota_on_the_injected_clock() {
    let vt = VtEmulator::start(KEY);
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(Duration::ZERO);
    let s = session(config(&vt, &dir.path().join("c.redb")), Arc::clone(&clock));
    let values = [URL0, IP_POSITIVE, IP_NEGATIVE, "club-fox.ru", "python.org"];
    let rows = lookups(&s, &values).await;
    assert!(rows.iter().all(|r| r.1 == "ok"), "{rows:?}");
    assert_eq!(vt.requests().len(), 5);
    // 4 a minute: one every 15 s, so five calls span a minute of (fake) time.
    let spent = clock.elapsed();
    assert!(
        spent >= Duration::from_secs(59) && spent <= Duration::from_secs(61),
        "spent {spent:?}: {:?}",
        clock.sleeps()
    );
    // Four more: another minute.
    let more = lookups(
        &s,
        &[
            MD5,
            "3fe9440b456a4f65b4b86c17762589bf",
            "48faa7bd7024cbd2de45e7aaaf84c2ce",
            "8.8.8.8",
        ],
    )
    .await;
    assert_eq!(more.len(), 4);
    assert_eq!(vt.requests().len(), 9);
    let spent = clock.elapsed();
    assert!(
        spent >= Duration::from_secs(119) && spent <= Duration::from_secs(121),
        "spent {spent:?}"
    );
    // The default concurrency (4) never put more than 4 requests in flight.
    assert!(vt.requests().iter().all(|r| r.in_flight <= 4));
}

#[tokio::test]
async fn quota_exceeded_waits_and_asks_again() {
    let vt = VtEmulator::start(KEY);
    let dir = tempfile::tempdir().unwrap();
    let clock = clock_at(Duration::ZERO);
    let s = session(config(&vt, &dir.path().join("c.redb")), Arc::clone(&clock));
    vt.quota_next(2);
    let rows = lookups(&s, &[MD5]).await;
    assert_eq!(rows[0].1, "ok");
    assert_eq!(vt.requests().len(), 3, "two 429s, then the answer");
    let long_waits = clock
        .sleeps()
        .iter()
        .filter(|d| **d >= Duration::from_secs(60))
        .count();
    assert_eq!(long_waits, 2, "{:?}", clock.sleeps());

    // A quota that never comes back stops the statement with advice.
    vt.quota_next(100);
    let err = s
        .query(&format!("SELECT vt_reputation('{IP_NEGATIVE}')"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("quota is exceeded") && err.contains("QuotaExceededError"),
        "{err}"
    );
}

#[tokio::test]
async fn a_refused_key_is_a_clear_error_that_never_shows_the_key() {
    let vt = VtEmulator::start("the-right-key");
    let dir = tempfile::tempdir().unwrap();
    let s = session(
        config(&vt, &dir.path().join("c.redb")),
        clock_at(Duration::ZERO),
    );
    let err = s
        .query(&format!("SELECT vt_reputation('{MD5}')"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("refused the API key") && err.contains("WrongCredentialsError"),
        "{err}"
    );
    assert!(err.contains("VT_API_KEY"), "{err}");
    assert!(!err.contains(KEY), "{err}");
    // Neither the plan nor the function list carries it.
    let plan = s
        .query(&format!("EXPLAIN SELECT vt_reputation('{MD5}')"))
        .await
        .unwrap();
    let text = pretty(&plan);
    assert!(
        text.contains("vt_reputation") && !text.contains(KEY),
        "{text}"
    );
    assert!(!format!("{:?}", s.threat_intel()).contains(KEY));
}

#[tokio::test]
async fn a_missing_key_is_an_error_at_first_lookup_not_at_start() {
    let vt = VtEmulator::start(KEY);
    let dir = tempfile::tempdir().unwrap();
    let mut ti = config(&vt, &dir.path().join("c.redb"));
    ti.virustotal.api_key = None;
    if std::env::var_os("VT_API_KEY").is_some() {
        eprintln!("VT_API_KEY is set; the missing-key case cannot be checked here");
        return;
    }
    let s = session(ti, clock_at(Duration::ZERO));
    // Rows that need no call work without a key.
    let rows = lookups(&s, &["10.1.1.1"]).await;
    assert_eq!(rows[0].1, "skipped: IP address is not global");
    let err = s
        .query(&format!("SELECT vt_reputation('{MD5}')"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no VirusTotal API key") && err.contains("VT_API_KEY"),
        "{err}"
    );
    assert!(vt.requests().is_empty());
}

#[tokio::test]
async fn max_lookups_stops_before_the_first_call_until_raised() {
    let vt = VtEmulator::start(KEY);
    let dir = tempfile::tempdir().unwrap();
    let mut ti = config(&vt, &dir.path().join("c.redb"));
    ti.max_lookups = 2;
    let s = session(ti, clock_at(Duration::ZERO));
    let values = [URL0, IP_POSITIVE, MD5];
    let sql = "SELECT vt_reputation(o) FROM (VALUES ('http://218.54.47.77/'), ('81.177.135.10'), ('9130a106abb665260de5ec34dd8eb0cd')) AS v(o)";
    let err = s.query(sql).await.unwrap_err().to_string();
    assert!(
        err.contains("3 new VirusTotal lookups") && err.contains("max_lookups = 2"),
        "{err}"
    );
    assert!(
        err.contains("Nothing was sent") && err.contains("\\vt max_lookups"),
        "{err}"
    );
    assert!(vt.requests().is_empty());
    s.threat_intel().set_max_lookups(3);
    let rows = lookups(&s, &values).await;
    assert!(rows.iter().all(|r| r.1 == "ok"));
    assert_eq!(vt.requests().len(), 3);
}

#[tokio::test]
async fn offline_mode_answers_from_the_cache_only() {
    let vt = VtEmulator::start(KEY);
    let dir = tempfile::tempdir().unwrap();
    let s = session(
        config(&vt, &dir.path().join("c.redb")),
        clock_at(Duration::ZERO),
    );
    lookups(&s, &[MD5]).await;
    s.threat_intel().set_offline(true);
    let rows = lookups(&s, &[MD5, IP_POSITIVE]).await;
    assert_eq!(rows[0].1, "ok");
    assert_eq!(rows[1].1, "not cached (offline)");
    assert_eq!(vt.requests().len(), 1);
}

#[tokio::test]
async fn works_in_where_and_explains_the_subquery_form_for_group_by() {
    let vt = VtEmulator::start(KEY);
    let dir = tempfile::tempdir().unwrap();
    let s = session(
        config(&vt, &dir.path().join("c.redb")),
        clock_at(Duration::ZERO),
    );
    let table = "(VALUES ('http://218.54.47.77/'), ('club-fox.ru'), ('python.org'), ('9130a106abb665260de5ec34dd8eb0cd')) AS v(o)";
    let batches = s
        .query(&format!(
            "SELECT o FROM {table} WHERE vt_reputation(o)['malicious'] > 5 ORDER BY o"
        ))
        .await
        .unwrap();
    let text = pretty(&batches);
    assert!(text.contains("club-fox.ru") && text.contains(MD5), "{text}");
    assert!(!text.contains("218.54.47.77"), "{text}");

    let err = s
        .query(&format!(
            "SELECT vt_reputation(o)['status'] AS status, count(*) FROM {table} GROUP BY vt_reputation(o)['status']"
        ))
        .await;
    match err {
        Err(e) => {
            let e = e.to_string();
            assert!(e.contains("subquery") && e.contains("GROUP BY"), "{e}");
        }
        // Should DataFusion learn to run it, the answer must be right.
        Ok(batches) => assert!(!batches.is_empty()),
    }
    let grouped = s
        .query(&format!(
            "SELECT r['status'] AS status, count(*) AS n FROM (SELECT vt_reputation(o) AS r FROM {table}) GROUP BY r['status']"
        ))
        .await
        .unwrap();
    let text = pretty(&grouped);
    assert!(text.contains("| ok     | 4 |"), "{text}");
}

#[tokio::test]
async fn slow_answers_time_out_into_row_errors_and_concurrency_is_bounded() {
    let vt = VtEmulator::start(KEY);
    let dir = tempfile::tempdir().unwrap();
    let mut ti = config(&vt, &dir.path().join("c.redb"));
    ti.virustotal.timeout_secs = Some(0.3);
    ti.virustotal.requests_per_minute = Some(60_000);
    ti.virustotal.max_concurrency = Some(2);
    let s = session(ti, clock_at(Duration::ZERO));
    vt.delay(Duration::from_millis(150));
    let rows = lookups(
        &s,
        &[
            URL0,
            IP_POSITIVE,
            IP_NEGATIVE,
            "club-fox.ru",
            "python.org",
            MD5,
        ],
    )
    .await;
    assert!(rows.iter().all(|r| r.1 == "ok"), "{rows:?}");
    let peak = vt.requests().iter().map(|r| r.in_flight).max().unwrap();
    assert!(
        peak <= 2,
        "{peak} requests in flight with max_concurrency = 2"
    );

    vt.delay(Duration::from_millis(1500));
    let rows = lookups(&s, &["8.8.8.8"]).await;
    assert!(rows[0].1.starts_with("error: timed out"), "{rows:?}");
    // Errors are not cached: the next run asks again.
    vt.delay(Duration::ZERO);
    let rows = lookups(&s, &["8.8.8.8"]).await;
    assert_eq!(rows[0].1, "not found");
}

#[tokio::test]
async fn documented_in_show_functions_with_an_example_that_runs_offline() {
    let s = HuntSession::new().unwrap();
    for name in ["vt_reputation", "ti_lookup"] {
        let f = s
            .functions()
            .into_iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{name} not listed"));
        let doc = f.documentation.expect("documented");
        let example = doc.sql_example.expect("example");
        // The first example needs no network: its rows are pre-filtered.
        let mut lines = example.lines().filter(|l| !l.starts_with("```"));
        let sql = lines.next().unwrap().strip_prefix("> ").unwrap();
        let expected: Vec<&str> = lines
            .take_while(|l| l.starts_with('+') || l.starts_with('|'))
            .collect();
        let batches = s.query(sql).await.unwrap();
        let shown = pretty(&batches);
        assert_eq!(shown.lines().collect::<Vec<_>>(), expected, "{name}");
    }
    let err = s
        .query("SELECT ti_lookup('8.8.8.8', 'shodan')")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown threat-intelligence provider 'shodan'") && err.contains("virustotal"),
        "{err}"
    );
    let err = s
        .query("SELECT vt_reputation('8.8.8.8', 'ip4')")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown IoC type 'ip4'"), "{err}");
}
