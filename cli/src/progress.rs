//! A progress line on stderr (elapsed time, rows so far) for queries that
//! run longer than about a second, shown only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

/// How long a query runs before the line appears.
const DELAY: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(200);

/// Shows progress until dropped.
pub struct Progress {
    rows: Arc<AtomicU64>,
    ticker: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts the ticker when stderr is a terminal.
    pub fn start() -> Self {
        let rows = Arc::new(AtomicU64::new(0));
        let ticker = std::io::stderr().is_terminal().then(|| {
            let rows = Arc::clone(&rows);
            tokio::spawn(async move {
                let start = Instant::now();
                tokio::time::sleep(DELAY).await;
                loop {
                    let line = format!(
                        "\r\x1b[2K{:.1}s, {} rows so far (Ctrl-C cancels)",
                        start.elapsed().as_secs_f64(),
                        rows.load(Ordering::Relaxed)
                    );
                    {
                        let mut err = std::io::stderr().lock();
                        let _ = err.write_all(line.as_bytes());
                        let _ = err.flush();
                    }
                    tokio::time::sleep(TICK).await;
                }
            })
        });
        Self { rows, ticker }
    }

    pub fn add_rows(&self, n: usize) {
        self.rows.fetch_add(n as u64, Ordering::Relaxed);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(b"\r\x1b[2K");
            let _ = err.flush();
        }
    }
}
