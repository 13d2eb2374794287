//! Threat-intelligence lookups from SQL: `vt_reputation(observable [, ioc_type])`.
//!
//! A hunt checks hundreds of indicators against an API whose free quota is
//! 4 requests a minute, so every lookup goes through one [`ThreatIntel`]
//! service per session that never asks the same question twice:
//!
//! 1. each value is classified with huntsql's IoC classifier and
//!    [`prefilter`]ed as msticpy does (private IPs, bare host names,
//!    `file://` URLs, low-entropy "hashes" are skipped without a call);
//! 2. the remaining observables are de-duplicated and answered from the
//!    session's memory, then from the persistent [`cache`] (24 h TTL);
//! 3. only what is left is sent, within the [`rate_limit`] quota, with
//!    bounded concurrency, 429 waits and progress on stderr, after the
//!    `max_lookups` guard has agreed.
//!
//! A source of verdicts is a [`provider::Provider`]; [`virustotal`] is the
//! first. Another (AlienVault OTX, AbuseIPDB, GreyNoise) is one more module
//! implementing that trait plus its entry in [`config::ThreatIntelConfig`].

pub mod cache;
pub mod clock;
pub mod config;
pub mod prefilter;
pub mod provider;
pub mod rate_limit;
pub mod service;
pub mod virustotal;
pub mod vt_reputation;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{ProviderConfig, ThreatIntelConfig};
pub use provider::{Answer, Verdict};
pub use service::{CacheReport, ThreatIntel};
pub use vt_reputation::{vt_reputation_documentation, VtReputation};
