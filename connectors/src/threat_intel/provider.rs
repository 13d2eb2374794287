//! The shape every threat-intelligence source has: which indicator types it
//! answers, its default quota, and one lookup.

use std::fmt::Debug;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// One provider's answer about one observable. Cached as JSON.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Verdict {
    /// `ok`, `not found`; `skipped: …`, `error: …` and `not cached
    /// (offline)` are never cached.
    pub status: String,
    pub malicious: Option<i64>,
    pub suspicious: Option<i64>,
    pub harmless: Option<i64>,
    pub undetected: Option<i64>,
    pub timeout: Option<i64>,
    pub reputation: Option<i64>,
    /// Seconds since the Unix epoch.
    pub last_analysis_date: Option<i64>,
    pub permalink: Option<String>,
}

impl Verdict {
    /// A verdict that only has a status.
    pub fn status(status: impl Into<String>) -> Self {
        Self {
            status: status.into(),
            ..Default::default()
        }
    }

    /// Whether this is an answer worth keeping (found or not found).
    pub fn is_answer(&self) -> bool {
        self.status == "ok" || self.status == "not found"
    }
}

/// One row's result: the observable as looked up, its type and the verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub observable: String,
    pub ioc_type: Option<String>,
    pub verdict: Verdict,
}

/// Why a lookup got no verdict.
#[derive(Debug, Clone, PartialEq)]
pub enum LookupError {
    /// The key was refused (401/403): nothing else will work, stop.
    Credentials(String),
    /// 429: wait (`Retry-After` if the server said) and ask again.
    Quota {
        retry_after: Option<Duration>,
        message: String,
    },
    /// A 5xx, a reset or a timeout: worth one or two more tries.
    Transient(String),
    /// The provider rejected this one observable (400): report it on the row.
    Rejected(String),
}

/// A threat-intelligence API.
#[async_trait]
pub trait Provider: Send + Sync + Debug {
    /// Lower-case name, as in `[threat_intel.<name>]` and cache keys.
    fn name(&self) -> &'static str;
    /// The name users see (`VirusTotal`).
    fn display_name(&self) -> &'static str;
    /// The environment variable holding the API key.
    fn key_variable(&self) -> &'static str;
    /// The base URL when the config gives none.
    fn default_base_url(&self) -> &'static str;
    /// `(per minute, per day)` quota of a free key.
    fn default_quota(&self) -> (u32, u32);
    /// Whether the provider can look up this IoC type.
    fn supports(&self, ioc_type: &str) -> bool;
    /// One lookup of a pre-filtered, normalised observable.
    async fn lookup(
        &self,
        http: &reqwest::Client,
        base_url: &str,
        api_key: &str,
        ioc_type: &str,
        observable: &str,
    ) -> Result<Verdict, LookupError>;
}
