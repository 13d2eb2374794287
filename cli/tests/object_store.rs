//! The `huntsql` binary over S3 (s3s-fs): a `[sources.NAME]` entry and
//! `--data s3://...` register tables, and no output — results, `\d`,
//! EXPLAIN, errors — ever shows a secret.

use std::process::{Command, Output};

use huntsql_tests::s3s::{S3Server, ACCESS_KEY, SECRET_KEY};

fn huntsql(config: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_huntsql"));
    cmd.env("HUNTSQL_CONFIG", config);
    // No AWS settings of the developer's.
    for var in [
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ENDPOINT",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn all_output(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn setup() -> (S3Server, tempfile::TempDir, std::path::PathBuf) {
    let server = S3Server::start();
    let bucket = server.create_bucket("hunt");
    std::fs::create_dir_all(bucket.join("logs").join("pe")).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../data/sample/process_events.parquet"
        ),
        bucket.join("logs").join("pe").join("part-0.parquet"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[sources.lake]\nurl = \"s3://hunt/logs/\"\nregion = \"us-east-1\"\nendpoint = \"{}\"\n\
             allow_http = true\naccess_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\"\n\
             timeout = 5\nretries = 1\n",
            server.endpoint()
        ),
    )
    .unwrap();
    (server, dir, config)
}

#[test]
fn sources_register_tables_and_no_output_shows_the_secret() {
    let (server, _dir, config) = setup();
    let local = huntsql(std::path::Path::new("/dev/null"))
        .args([
            "--format",
            "csv",
            "-c",
            "SELECT count(*) FROM process_events",
        ])
        .output()
        .unwrap();
    assert!(local.status.success(), "{}", all_output(&local));
    let expected = String::from_utf8_lossy(&local.stdout).to_string();

    let o = huntsql(&config)
        .args(["--format", "csv"])
        .args(["-c", "\\d", "-c", "\\d lake.pe"])
        .args(["-c", "SELECT count(*) FROM lake.pe"])
        .args([
            "-c",
            "EXPLAIN SELECT CommandLine FROM lake.pe WHERE EventID = 4688",
        ])
        .args(["-c", "SHOW ALL"])
        .output()
        .unwrap();
    let out = all_output(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("lake.pe"), "{out}");
    assert!(out.contains("CommandLine"), "{out}");
    assert!(
        out.contains(expected.lines().last().unwrap()),
        "count: {out}"
    );
    assert!(!out.contains(SECRET_KEY), "secret in output: {out}");

    // --data s3://... finds the same table (credentials from the source).
    let o = huntsql(&config)
        .args(["--data", "s3://hunt/logs/", "--format", "csv"])
        .args(["-c", "SELECT count(*) FROM pe"])
        .output()
        .unwrap();
    let out = all_output(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains(expected.lines().last().unwrap()), "{out}");

    // Errors: a wrong secret in SQL, and the server gone.
    let wrong = "wrong-secret-77aa21";
    let sql = format!(
        "CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION 's3://hunt/logs/pe/' OPTIONS \
         ('aws.access_key_id' '{ACCESS_KEY}', 'aws.secret_access_key' '{wrong}', 'aws.endpoint' '{}', \
         'aws.allow_http' 'true', 'aws.region' 'us-east-1')",
        server.endpoint()
    );
    let o = huntsql(&config).args(["-c", &sql]).output().unwrap();
    let out = all_output(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("credentials") && out.contains("s3://hunt/logs/pe/"),
        "{out}"
    );
    assert!(!out.contains(wrong) && !out.contains(SECRET_KEY), "{out}");
    assert!(!out.contains("panicked"), "{out}");

    drop(server);
    let o = huntsql(&config).args(["-c", "SELECT 1"]).output().unwrap();
    let out = all_output(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("[sources.lake]") && out.contains("did not answer"),
        "{out}"
    );
    assert!(!out.contains(SECRET_KEY), "{out}");
}
