//! A real S3 server for tests: `s3s-fs` (checks SigV4 signatures) on
//! 127.0.0.1, a random free port and a temporary root, stopped on drop.
//! Install it with `tests/servers/install-s3s-fs.sh`.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "HUNTTESTACCESSKEY";
pub const SECRET_KEY: &str = "hunt-test-secret-9f3a7c2e";

/// The s3s-fs binary: `$HUNTSQL_S3S_FS`, else
/// `~/.cache/huntsql/tools/bin/s3s-fs` (where the install script puts it).
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HUNTSQL_S3S_FS") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/huntsql/tools/bin/s3s-fs")
}

/// A running s3s-fs; killed and waited for on drop.
pub struct S3Server {
    child: Option<Child>,
    pub port: u16,
    pub root: tempfile::TempDir,
}

impl S3Server {
    /// Starts s3s-fs, or panics saying how to install it: the object-store
    /// tests must fail, not pass, when the server is missing.
    pub fn start() -> S3Server {
        let bin = binary();
        assert!(
            bin.is_file(),
            "s3s-fs not found at {}: run tests/servers/install-s3s-fs.sh (or set HUNTSQL_S3S_FS) to run the object-store tests",
            bin.display()
        );
        let root = tempfile::tempdir().expect("temp dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let server = S3Server {
            child: Some(child),
            port,
            root,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "s3s-fs did not listen on port {port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a bucket (a directory of the server's root).
    pub fn create_bucket(&self, name: &str) -> PathBuf {
        let dir = self.root.path().join(name);
        std::fs::create_dir_all(&dir).expect("bucket dir");
        dir
    }

    /// `OPTIONS (...)` for a table on this server, with `secret`.
    pub fn options_sql(&self, secret: &str) -> String {
        format!(
            "OPTIONS ('aws.access_key_id' '{ACCESS_KEY}', 'aws.secret_access_key' '{secret}', \
             'aws.region' 'us-east-1', 'aws.endpoint' '{}', 'aws.allow_http' 'true', \
             'aws.timeout' '5', 'aws.retries' '1')",
            self.endpoint()
        )
    }

    /// Stops the server now.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.kill();
    }
}
