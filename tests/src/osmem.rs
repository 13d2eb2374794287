//! A real OpenSearch-API server for tests: `osmem-server` (PyPI; an
//! in-memory implementation of mappings, `_bulk`, `_search`, point in time
//! and `search_after`) on 127.0.0.1 and a free port, killed on drop.
//! Install it with `tests/servers/install-osmem-server.sh`.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The osmem-server binary: `$HUNTSQL_OSMEM_SERVER`, else
/// `~/.cache/huntsql/tools/bin/osmem-server` (where the install script links it).
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HUNTSQL_OSMEM_SERVER") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/huntsql/tools/bin/osmem-server")
}

/// A running osmem-server; killed and waited for on drop.
pub struct OsmemServer {
    child: Option<Child>,
    pub port: u16,
}

impl OsmemServer {
    /// Starts osmem-server, or panics saying how to install it: the
    /// Elasticsearch tests must fail, not pass, when the server is missing.
    pub fn start() -> OsmemServer {
        let bin = binary();
        assert!(
            bin.exists(),
            "osmem-server not found at {}: run tests/servers/install-osmem-server.sh (or set HUNTSQL_OSMEM_SERVER) to run the Elasticsearch tests",
            bin.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(&bin)
            .args(["-addr", &format!("127.0.0.1:{port}"), "-no-stdin-watch"])
            .args(["-parent-pid", &std::process::id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let server = OsmemServer {
            child: Some(child),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "osmem-server did not listen on port {port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the server now (a server dying mid-scan).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OsmemServer {
    fn drop(&mut self) {
        self.kill();
    }
}
