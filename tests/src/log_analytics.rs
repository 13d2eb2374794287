//! The Log Analytics emulator (tests/servers/log_analytics_emulator.py, an
//! emulator following Microsoft's documented query, metadata and token APIs
//! that evaluates KQL with duckdb-kql) on 127.0.0.1, a free port, stopped
//! on drop. Install its Python environment with
//! `tests/servers/install-log-analytics-emulator.sh`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const WORKSPACE: &str = "5a6b7c8d-0000-4000-8000-00000000c0de";
pub const TENANT: &str = "0f0e0d0c-1111-4222-8333-444455556666";
pub const CLIENT_ID: &str = "hunt-client-id";
pub const CLIENT_SECRET: &str = "hunt-la-secret-7f1c9e2d";
pub const STATIC_TOKEN: &str = "hunt-static-token-3b8e51";
pub const FORBIDDEN_TOKEN: &str = "hunt-forbidden-token-99a1";

/// The venv's python: `$HUNTSQL_KQL_PYTHON`, else
/// `~/.cache/huntsql/tools/venv-kql/bin/python`.
pub fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("HUNTSQL_KQL_PYTHON") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/huntsql/tools/venv-kql/bin/python")
}

/// A running emulator; killed and waited for on drop.
pub struct LogAnalyticsEmulator {
    child: Option<Child>,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl LogAnalyticsEmulator {
    /// Starts the emulator with tables made by `setup_sql` (DuckDB SQL
    /// creating tables in schema `base`) and extra arguments such as
    /// `--max-rows 50`. Panics saying how to install it when missing: the
    /// Sentinel tests must fail, not pass, without their server.
    pub fn start(setup_sql: &str, extra: &[&str]) -> Self {
        let python = python();
        assert!(
            python.is_file(),
            "{} not found: run tests/servers/install-log-analytics-emulator.sh (or set HUNTSQL_KQL_PYTHON) to run the Log Analytics tests",
            python.display()
        );
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("servers/log_analytics_emulator.py");
        let dir = tempfile::tempdir().expect("temp dir");
        let setup = dir.path().join("setup.sql");
        std::fs::write(&setup, setup_sql).expect("write setup.sql");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(&python)
            .arg(&script)
            .args(["--port", &port.to_string()])
            .arg("--setup")
            .arg(&setup)
            .args(["--workspace", WORKSPACE, "--tenant", TENANT])
            .args(["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET])
            .args([
                "--static-token",
                STATIC_TOKEN,
                "--forbidden-token",
                FORBIDDEN_TOKEN,
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
        let mut server = LogAnalyticsEmulator {
            child: Some(child),
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(child) = server.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("the Log Analytics emulator exited ({status}) before listening");
                }
            }
            assert!(
                Instant::now() < deadline,
                "the Log Analytics emulator did not listen on port {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A `[sources.NAME]` entry using client credentials against this
    /// emulator, plus `extra` TOML lines.
    pub fn source_toml(&self, name: &str, extra: &str) -> String {
        format!(
            "[sources.{name}]\nkind = \"log_analytics\"\nworkspace_id = \"{WORKSPACE}\"\n\
             tenant_id = \"{TENANT}\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\n\
             auth = \"client_secret\"\nendpoint = \"{ep}\"\nauthority_host = \"{ep}\"\n\
             retry_base_ms = 10\nprogress = false\n{extra}\n",
            ep = self.endpoint()
        )
    }

    fn http(&self, method: &str, path: &str, body: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect emulator");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default()
    }

    /// Makes the next query requests fail: `{"status": 429, "retry_after":
    /// "1", "count": 2}`, status 0 for a reset, `"malformed": true`.
    pub fn add_fault(&self, fault: &str) {
        self.http("POST", "/_control/faults", fault);
    }

    /// The query requests received: `[{"query", "timespan", "prefer"}]`.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.http("GET", "/_control/requests", "")).expect("requests JSON")
    }

    /// `(token requests, query requests)` so far.
    pub fn stats(&self) -> (u64, u64) {
        let v: serde_json::Value =
            serde_json::from_str(&self.http("GET", "/_control/stats", "")).expect("stats JSON");
        (
            v["token_requests"].as_u64().unwrap_or(0),
            v["query_requests"].as_u64().unwrap_or(0),
        )
    }

    /// Forgets requests, faults and counters.
    pub fn reset(&self) {
        self.http("POST", "/_control/reset", "");
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for LogAnalyticsEmulator {
    fn drop(&mut self) {
        self.kill();
    }
}
