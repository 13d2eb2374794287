//! Time for the rate limiter, the cache TTL and 429 waits, injectable so a
//! test can run an hour of quota in milliseconds.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;

/// A source of time and of waiting.
#[async_trait]
pub trait Clock: Send + Sync + Debug {
    /// Monotonic time since the clock started.
    fn elapsed(&self) -> Duration;
    /// Wall-clock time, for cache ages.
    fn wall(&self) -> SystemTime;
    /// Waits `duration` on this clock.
    async fn sleep(&self, duration: Duration);
}

/// The real clock.
#[derive(Debug)]
pub struct SystemClock {
    start: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self {
            start: Instant::now(),
        }
    }
}

#[async_trait]
impl Clock for SystemClock {
    fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await
    }
}

/// A clock that moves only when told to or when someone sleeps on it (a
/// sleep moves it at once to the sleep's end, unless it is already later,
/// so concurrent sleepers share time as on a real clock), and remembers
/// every sleep: tests assert the spacing the rate limit imposes without
/// waiting for it.
#[derive(Debug)]
pub struct ManualClock {
    nanos: AtomicU64,
    wall_start: SystemTime,
    sleeps: Mutex<Vec<Duration>>,
}

impl ManualClock {
    /// A clock at 0 whose wall time starts at `wall_start`.
    pub fn new(wall_start: SystemTime) -> Self {
        Self {
            nanos: AtomicU64::new(0),
            wall_start,
            sleeps: Mutex::new(Vec::new()),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.nanos
            .fetch_add(by.as_nanos().min(u64::MAX as u128) as u64, Ordering::SeqCst);
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().expect("sleeps lock").clone()
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }

    fn wall(&self) -> SystemTime {
        self.wall_start + self.elapsed()
    }

    async fn sleep(&self, duration: Duration) {
        self.sleeps.lock().expect("sleeps lock").push(duration);
        let end = (self.elapsed() + duration).as_nanos().min(u64::MAX as u128) as u64;
        self.nanos.fetch_max(end, Ordering::SeqCst);
        tokio::task::yield_now().await;
    }
}
