//! The provider's quota as token buckets (governor's GCRA) on an injectable
//! [`Clock`]: requests are spaced evenly (4 a minute = one every 15 s, so no
//! 60-second window ever holds more than 4), and the day's allowance is
//! counted so a run stops with a clear message instead of a wall of 429s.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use super::clock::Clock;

/// governor's view of a huntsql [`Clock`].
#[derive(Debug, Clone)]
struct ClockAdapter(Arc<dyn Clock>);

impl GovernorClock for ClockAdapter {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(self.0.elapsed())
    }
}

type Bucket = RateLimiter<NotKeyed, InMemoryState, ClockAdapter, NoOpMiddleware<Nanos>>;

/// Requests per minute and per day.
pub struct RateLimit {
    minute: Bucket,
    day: Bucket,
    per_minute: u32,
    per_day: u32,
    clock: ClockAdapter,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("per_minute", &self.per_minute)
            .field("per_day", &self.per_day)
            .finish()
    }
}

impl RateLimit {
    /// A limit of `per_minute` evenly spaced requests and `per_day` a day
    /// (both at least 1; zero is taken as 1).
    pub fn new(per_minute: u32, per_day: u32, clock: Arc<dyn Clock>) -> Self {
        let per_minute = per_minute.max(1);
        let per_day = per_day.max(1);
        let clock = ClockAdapter(clock);
        let minute =
            Quota::with_period(Duration::from_secs(60) / per_minute).expect("non-zero period");
        let day = Quota::with_period(Duration::from_secs(86_400) / per_day)
            .expect("non-zero period")
            .allow_burst(NonZeroU32::new(per_day).expect("non-zero"));
        Self {
            minute: RateLimiter::direct_with_clock(minute, clock.clone()),
            day: RateLimiter::direct_with_clock(day, clock.clone()),
            per_minute,
            per_day,
            clock,
        }
    }

    /// The spacing between requests.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(60) / self.per_minute
    }

    /// Waits for the next request slot. `Err` when the day's requests are
    /// spent: waiting hours inside a query helps nobody.
    pub async fn acquire(&self) -> Result<(), String> {
        if let Err(not_until) = self.day.check() {
            let wait = not_until.wait_time_from(self.clock.now());
            return Err(format!(
                "the daily quota of {} requests is used up (next in {}); run again later, or raise requests_per_day for a premium key",
                self.per_day,
                human_duration(wait)
            ));
        }
        loop {
            match self.minute.check() {
                Ok(()) => return Ok(()),
                Err(not_until) => {
                    let wait = not_until.wait_time_from(self.clock.now());
                    self.clock.0.sleep(wait.max(Duration::from_millis(1))).await;
                }
            }
        }
    }
}

/// `3 h 25 min`, `4 min 30 s`, `12 s`.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs_f64().ceil() as u64;
    if secs >= 3600 {
        format!("{} h {} min", secs / 3600, (secs % 3600) / 60)
    } else if secs >= 60 {
        format!("{} min {} s", secs / 60, secs % 60)
    } else {
        format!("{secs} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threat_intel::clock::ManualClock;
    use std::time::SystemTime;

    #[tokio::test]
    async fn requests_are_spaced_by_the_quota() {
        let clock = Arc::new(ManualClock::new(SystemTime::UNIX_EPOCH));
        let limit = RateLimit::new(4, 500, clock.clone());
        for _ in 0..5 {
            limit.acquire().await.unwrap();
        }
        // The first goes at once, the next four wait 15 s each.
        let waited: Duration = clock.sleeps().iter().sum();
        assert_eq!(clock.elapsed(), waited);
        assert!(
            waited >= Duration::from_secs(59) && waited <= Duration::from_secs(61),
            "{waited:?}"
        );
    }

    #[tokio::test]
    async fn a_spent_day_is_an_error_not_a_wait() {
        let clock = Arc::new(ManualClock::new(SystemTime::UNIX_EPOCH));
        let limit = RateLimit::new(60, 3, clock.clone());
        for _ in 0..3 {
            limit.acquire().await.unwrap();
        }
        let err = limit.acquire().await.unwrap_err();
        assert!(err.contains("daily quota of 3"), "{err}");
        assert_eq!(human_duration(Duration::from_secs(3725)), "1 h 2 min");
    }
}
