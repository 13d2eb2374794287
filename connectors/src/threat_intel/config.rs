//! `[threat_intel]` in the huntsql config file:
//!
//! ```toml
//! [threat_intel]
//! max_lookups = 100        # refuse a statement that needs more API calls
//! cache_ttl_hours = 24     # how long an answer is reused
//! # cache_path = "/path/ti-cache.redb"   (default: <cache dir>/huntsql/)
//! offline = false          # true: answer from the cache only
//! progress = true          # progress lines on stderr
//!
//! [threat_intel.virustotal]
//! # api_key = "..."        # else the VT_API_KEY environment variable
//! requests_per_minute = 4  # the public API's quota; premium keys raise it
//! requests_per_day = 500
//! max_concurrency = 4
//! timeout_secs = 30
//! max_retries = 5          # waits after 429 QuotaExceededError
//! ```

use std::path::PathBuf;
use std::time::Duration;

use datafusion::error::{DataFusionError, Result};
use serde::Deserialize;

/// Settings shared by every provider, plus each provider's own.
#[derive(Clone, Deserialize, PartialEq, Debug)]
#[serde(deny_unknown_fields, default)]
pub struct ThreatIntelConfig {
    /// A statement that needs more new API calls than this stops before the
    /// first one, with the estimated time, until the limit is raised.
    pub max_lookups: u64,
    /// How long a cached answer is reused, in hours.
    pub cache_ttl_hours: f64,
    /// The cache file; default `<cache dir>/huntsql/ti-cache.redb`.
    pub cache_path: Option<PathBuf>,
    /// Answer from the cache only; never call an API.
    pub offline: bool,
    /// Progress lines on stderr while lookups run.
    pub progress: bool,
    /// VirusTotal (API v3).
    pub virustotal: ProviderConfig,
}

impl Default for ThreatIntelConfig {
    fn default() -> Self {
        Self {
            max_lookups: 100,
            cache_ttl_hours: 24.0,
            cache_path: None,
            offline: false,
            progress: true,
            virustotal: ProviderConfig::default(),
        }
    }
}

/// One provider's connection and quota; unset fields take the provider's
/// defaults (see [`super::provider::Provider`]).
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ProviderConfig {
    /// The API key; else the provider's environment variable (VT_API_KEY).
    pub api_key: Option<String>,
    /// The API's base URL (a test server, a proxy).
    pub base_url: Option<String>,
    pub requests_per_minute: Option<u32>,
    pub requests_per_day: Option<u32>,
    pub max_concurrency: Option<usize>,
    pub timeout_secs: Option<f64>,
    pub max_retries: Option<u32>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("ProviderConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("requests_per_minute", &self.requests_per_minute)
            .field("requests_per_day", &self.requests_per_day)
            .field("max_concurrency", &self.max_concurrency)
            .field("timeout_secs", &self.timeout_secs)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

impl ThreatIntelConfig {
    /// The TTL; an invalid one is a configuration error.
    pub fn cache_ttl(&self) -> Result<Duration> {
        positive_duration(
            "[threat_intel] cache_ttl_hours",
            self.cache_ttl_hours * 3600.0,
        )
    }

    /// The cache file.
    pub fn cache_file(&self) -> Option<PathBuf> {
        self.cache_path
            .clone()
            .or_else(|| dirs::cache_dir().map(|d| d.join("huntsql").join("ti-cache.redb")))
    }

    /// Checks every setting, naming the bad one.
    pub fn validate(&self) -> Result<()> {
        self.cache_ttl()?;
        self.virustotal.validate("virustotal")
    }
}

impl ProviderConfig {
    fn validate(&self, provider: &str) -> Result<()> {
        let at = |key: &str| format!("[threat_intel.{provider}] {key}");
        for (key, value) in [
            ("requests_per_minute", self.requests_per_minute),
            ("requests_per_day", self.requests_per_day),
        ] {
            if value == Some(0) {
                return Err(config_error(format!("{} must be at least 1", at(key))));
            }
        }
        if self.max_concurrency == Some(0) {
            return Err(config_error(format!(
                "{} must be at least 1",
                at("max_concurrency")
            )));
        }
        if let Some(t) = self.timeout_secs {
            positive_duration(&at("timeout_secs"), t)?;
        }
        if let Some(url) = &self.base_url {
            url::Url::parse(url).map_err(|e| {
                config_error(format!(
                    "{} '{url}' is not a URL ({e}); write e.g. https://www.virustotal.com",
                    at("base_url")
                ))
            })?;
        }
        Ok(())
    }
}

fn positive_duration(what: &str, secs: f64) -> Result<Duration> {
    if secs.is_finite() && secs > 0.0 && secs < 1e12 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(config_error(format!("{what} must be a positive number")))
    }
}

fn config_error(message: String) -> DataFusionError {
    DataFusionError::Configuration(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_public_api_quota_and_keys_stay_hidden() {
        let c = ThreatIntelConfig::default();
        assert_eq!(c.max_lookups, 100);
        assert_eq!(c.cache_ttl().unwrap(), Duration::from_secs(24 * 3600));
        let mut c = c;
        c.virustotal.api_key = Some("K3Y-S3CR3T".into());
        assert!(!format!("{c:?}").contains("K3Y-S3CR3T"));
    }

    #[test]
    fn bad_settings_name_themselves() {
        let mut c = ThreatIntelConfig::default();
        c.virustotal.requests_per_minute = Some(0);
        let err = c.validate().unwrap_err().to_string();
        assert!(
            err.contains("[threat_intel.virustotal] requests_per_minute"),
            "{err}"
        );
        let c = ThreatIntelConfig {
            cache_ttl_hours: -1.0,
            ..Default::default()
        };
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("cache_ttl_hours"));
    }
}
