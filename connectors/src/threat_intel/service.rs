//! [`ThreatIntel`]: one per session. Classifies, pre-filters, de-duplicates,
//! answers from memory and the persistent cache, and sends only what is
//! left, within the quota and the `max_lookups` guard.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use datafusion::error::{DataFusionError, Result};
use futures::StreamExt;

use super::cache::{AnswerCache, CacheSummary};
use super::clock::Clock;
use super::config::{ProviderConfig, ThreatIntelConfig};
use super::prefilter::prefilter;
use super::provider::{Answer, LookupError, Provider, Verdict};
use super::rate_limit::{human_duration, RateLimit};
use super::virustotal::VirusTotal;

/// How many times a 5xx or timeout is retried before the row reports it.
const TRANSIENT_RETRIES: u32 = 2;
/// The wait after a 429 without `Retry-After`: the quota is per minute.
const DEFAULT_QUOTA_WAIT: Duration = Duration::from_secs(60);
/// Progress lines at most this often.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// One provider with its HTTP client and quota.
struct Slot {
    provider: Arc<dyn Provider>,
    settings: ProviderConfig,
    base_url: String,
    http: reqwest::Client,
    limit: RateLimit,
    max_retries: u32,
    max_concurrency: usize,
    /// One lookup run at a time per provider: concurrent batches of a
    /// query wait here and then find their answers in memory.
    run: tokio::sync::Mutex<()>,
}

/// Lookup counts of this session.
#[derive(Debug, Default)]
struct Totals {
    looked_up: AtomicU64,
    cached: AtomicU64,
    skipped: AtomicU64,
    errors: AtomicU64,
}

/// The threat-intelligence service of a session.
pub struct ThreatIntel {
    config: RwLock<ThreatIntelConfig>,
    clock: Arc<dyn Clock>,
    slots: Vec<Slot>,
    memory: Mutex<HashMap<String, Verdict>>,
    cache: Mutex<Option<AnswerCache>>,
    cache_warned: AtomicBool,
    statement_calls: AtomicU64,
    totals: Totals,
}

impl fmt::Debug for ThreatIntel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreatIntel")
            .field("config", &self.config)
            .field(
                "providers",
                &self
                    .slots
                    .iter()
                    .map(|s| s.provider.name())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// What `\vt cache` prints.
#[derive(Debug, Clone)]
pub struct CacheReport {
    pub path: Option<String>,
    pub summary: Option<CacheSummary>,
    pub problem: Option<String>,
    pub ttl: Duration,
    pub offline: bool,
    pub max_lookups: u64,
    pub looked_up: u64,
    pub cached: u64,
    pub skipped: u64,
    pub errors: u64,
}

impl fmt::Display for CacheReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, &self.summary) {
            (Some(path), Some(s)) => writeln!(
                f,
                "cache {path}: {} answers, {} fresh (TTL {}), {} bytes",
                s.entries,
                s.fresh,
                human_duration(self.ttl),
                s.file_bytes
            )?,
            (Some(path), None) => writeln!(
                f,
                "cache {path}: {}",
                self.problem.as_deref().unwrap_or("not opened")
            )?,
            (None, _) => writeln!(f, "cache: none (no cache folder on this system)")?,
        }
        writeln!(
            f,
            "offline: {}; max_lookups per statement: {}",
            if self.offline { "on" } else { "off" },
            self.max_lookups
        )?;
        write!(
            f,
            "this session: {} looked up, {} answered from cache, {} skipped, {} errors",
            self.looked_up, self.cached, self.skipped, self.errors
        )
    }
}

/// What happens to one input row.
enum Plan {
    Null,
    Done(Answer),
    Lookup { index: usize, ioc_type: String },
}

impl ThreatIntel {
    /// A service with `config`'s providers on `clock`.
    pub fn new(config: ThreatIntelConfig, clock: Arc<dyn Clock>) -> Result<Self> {
        config.validate()?;
        let providers: Vec<(Arc<dyn Provider>, ProviderConfig)> =
            vec![(Arc::new(VirusTotal), config.virustotal.clone())];
        let mut slots = Vec::new();
        for (provider, settings) in providers {
            let (per_minute, per_day) = provider.default_quota();
            let timeout = Duration::from_secs_f64(settings.timeout_secs.unwrap_or(30.0));
            let http = reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(30)))
                .user_agent(concat!("huntsql/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| {
                    DataFusionError::Configuration(format!(
                        "{}: cannot build the HTTP client: {e}",
                        provider.display_name()
                    ))
                })?;
            slots.push(Slot {
                base_url: settings
                    .base_url
                    .clone()
                    .unwrap_or_else(|| provider.default_base_url().to_string()),
                limit: RateLimit::new(
                    settings.requests_per_minute.unwrap_or(per_minute),
                    settings.requests_per_day.unwrap_or(per_day),
                    Arc::clone(&clock),
                ),
                max_retries: settings.max_retries.unwrap_or(5),
                max_concurrency: settings.max_concurrency.unwrap_or(4).max(1),
                http,
                provider,
                settings,
                run: tokio::sync::Mutex::new(()),
            });
        }
        let cache = config.cache_file().map(AnswerCache::new);
        Ok(Self {
            config: RwLock::new(config),
            clock,
            slots,
            memory: Mutex::new(HashMap::new()),
            cache: Mutex::new(cache),
            cache_warned: AtomicBool::new(false),
            statement_calls: AtomicU64::new(0),
            totals: Totals::default(),
        })
    }

    fn config(&self) -> ThreatIntelConfig {
        self.config.read().expect("config lock").clone()
    }

    /// A new statement starts: the `max_lookups` guard counts from zero.
    pub fn start_statement(&self) {
        self.statement_calls.store(0, Ordering::SeqCst);
    }

    /// Cache-only mode on or off.
    pub fn set_offline(&self, offline: bool) {
        self.config.write().expect("config lock").offline = offline;
    }

    /// The per-statement limit of new API calls.
    pub fn set_max_lookups(&self, max: u64) {
        self.config.write().expect("config lock").max_lookups = max;
    }

    /// The cache's state and this session's counts.
    pub fn cache_report(&self) -> CacheReport {
        let config = self.config();
        let ttl = config.cache_ttl().unwrap_or(Duration::from_secs(86_400));
        let mut guard = self.cache.lock().expect("cache lock");
        let path = guard.as_ref().map(|c| c.path().display().to_string());
        let (summary, problem) = match guard.as_mut() {
            Some(cache) => match cache.summary(self.clock.wall(), ttl) {
                Ok(s) => (Some(s), None),
                Err(e) => (None, Some(e.strip_backtrace())),
            },
            None => (None, None),
        };
        CacheReport {
            path,
            summary,
            problem,
            ttl,
            offline: config.offline,
            max_lookups: config.max_lookups,
            looked_up: self.totals.looked_up.load(Ordering::Relaxed),
            cached: self.totals.cached.load(Ordering::Relaxed),
            skipped: self.totals.skipped.load(Ordering::Relaxed),
            errors: self.totals.errors.load(Ordering::Relaxed),
        }
    }

    /// Empties the persistent cache and the session's memory; returns the
    /// number of persistent entries removed.
    pub fn clear_cache(&self) -> Result<u64> {
        self.memory.lock().expect("memory lock").clear();
        match self.cache.lock().expect("cache lock").as_mut() {
            Some(cache) => cache.clear(),
            None => Ok(0),
        }
    }

    fn slot(&self, provider: &str) -> Result<&Slot> {
        self.slots
            .iter()
            .find(|s| s.provider.name().eq_ignore_ascii_case(provider.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = self.slots.iter().map(|s| s.provider.name()).collect();
                DataFusionError::Plan(format!(
                    "unknown threat-intelligence provider '{provider}'; expected one of {}",
                    names.join(", ")
                ))
            })
    }

    /// Looks up every row (`(observable, ioc_type)`; `None` is a NULL row)
    /// with `provider`; `function` names the SQL function in errors.
    pub async fn lookup_many(
        &self,
        function: &str,
        provider: &str,
        rows: Vec<Option<(String, Option<String>)>>,
    ) -> Result<Vec<Option<Answer>>> {
        let slot = self.slot(provider)?;
        let name = slot.provider.display_name();
        let config = self.config();

        // 1. Classify and pre-filter; collect the distinct lookups.
        let mut unique: Vec<(String, String, String)> = Vec::new(); // key, type, observable
        let mut index_of: HashMap<String, usize> = HashMap::new();
        let mut plans = Vec::with_capacity(rows.len());
        let mut skipped = 0u64;
        for row in rows {
            let Some((raw, given)) = row else {
                plans.push(Plan::Null);
                continue;
            };
            let classified = match &given {
                Some(t) => classify_as(function, &raw, t)?,
                None => huntsql_udfs::ioc::classify_observable(&raw)
                    .map(|(t, o)| (t.to_string(), o))
                    .ok_or_else(|| "not an indicator huntsql recognises".to_string()),
            };
            let (ioc_type, observable) = match classified {
                Ok(c) => c,
                Err(reason) => {
                    skipped += 1;
                    plans.push(Plan::Done(Answer {
                        observable: raw.trim().to_string(),
                        ioc_type: given.map(|t| t.trim().to_ascii_lowercase()),
                        verdict: Verdict::status(format!("skipped: {reason}")),
                    }));
                    continue;
                }
            };
            let checked = if slot.provider.supports(&ioc_type) {
                prefilter(&ioc_type, &observable)
            } else {
                Err(format!("{name} has no lookup for {ioc_type}"))
            };
            match checked {
                Ok(clean) => {
                    let key = format!("{}|{ioc_type}|{clean}", slot.provider.name());
                    let index = *index_of.entry(key.clone()).or_insert_with(|| {
                        unique.push((key, ioc_type.clone(), clean));
                        unique.len() - 1
                    });
                    plans.push(Plan::Lookup { index, ioc_type });
                }
                Err(reason) => {
                    skipped += 1;
                    plans.push(Plan::Done(Answer {
                        observable,
                        ioc_type: Some(ioc_type),
                        verdict: Verdict::status(format!("skipped: {reason}")),
                    }));
                }
            }
        }
        self.totals.skipped.fetch_add(skipped, Ordering::Relaxed);

        // 2. Answer what is known; look up the rest.
        let answers = if unique.is_empty() {
            Vec::new()
        } else {
            let _run = slot.run.lock().await;
            self.answer(function, slot, &config, &unique, skipped)
                .await?
        };

        Ok(plans
            .into_iter()
            .map(|plan| match plan {
                Plan::Null => None,
                Plan::Done(answer) => Some(answer),
                Plan::Lookup { index, ioc_type } => Some(Answer {
                    observable: unique[index].2.clone(),
                    ioc_type: Some(ioc_type),
                    verdict: answers[index].clone(),
                }),
            })
            .collect())
    }

    /// Verdicts for the distinct lookups, from memory, the cache or the API.
    async fn answer(
        &self,
        function: &str,
        slot: &Slot,
        config: &ThreatIntelConfig,
        unique: &[(String, String, String)],
        skipped: u64,
    ) -> Result<Vec<Verdict>> {
        let mut answers: Vec<Option<Verdict>> = {
            let memory = self.memory.lock().expect("memory lock");
            unique
                .iter()
                .map(|(k, _, _)| memory.get(k).cloned())
                .collect()
        };
        let missing: Vec<usize> = (0..unique.len())
            .filter(|&i| answers[i].is_none())
            .collect();
        if !missing.is_empty() {
            let keys: Vec<&str> = missing.iter().map(|&i| unique[i].0.as_str()).collect();
            if let Some(found) = self.cached_answers(&keys, config) {
                for (&i, verdict) in missing.iter().zip(found) {
                    answers[i] = verdict;
                }
            }
        }
        let new: Vec<usize> = (0..unique.len())
            .filter(|&i| answers[i].is_none())
            .collect();
        let cached = (unique.len() - new.len()) as u64;
        self.totals.cached.fetch_add(cached, Ordering::Relaxed);
        if !new.is_empty() {
            if config.offline {
                for &i in &new {
                    answers[i] = Some(Verdict::status("not cached (offline)"));
                }
            } else {
                self.look_up(
                    function,
                    slot,
                    config,
                    unique,
                    &new,
                    &mut answers,
                    cached,
                    skipped,
                )
                .await?;
            }
        }
        Ok(answers
            .into_iter()
            .map(|a| a.unwrap_or_else(|| Verdict::status("error: no answer")))
            .collect())
    }

    /// Fresh cached answers, or `None` when the cache cannot be used (said
    /// once on stderr; the lookups then go to the API).
    fn cached_answers(
        &self,
        keys: &[&str],
        config: &ThreatIntelConfig,
    ) -> Option<Vec<Option<Verdict>>> {
        let ttl = config.cache_ttl().ok()?;
        let mut guard = self.cache.lock().expect("cache lock");
        let cache = guard.as_mut()?;
        match cache.get_fresh(keys, self.clock.wall(), ttl) {
            Ok(found) => {
                let mut memory = self.memory.lock().expect("memory lock");
                for (key, verdict) in keys.iter().zip(&found) {
                    if let Some(v) = verdict {
                        memory.insert(key.to_string(), v.clone());
                    }
                }
                Some(found)
            }
            Err(e) => {
                self.warn_cache(&e);
                None
            }
        }
    }

    fn warn_cache(&self, e: &DataFusionError) {
        if !self.cache_warned.swap(true, Ordering::Relaxed) {
            eprintln!("warning: {}", e.strip_backtrace());
        }
    }

    /// Keeps answers in memory and in the persistent cache.
    fn remember(&self, entries: Vec<(String, Verdict)>) {
        if entries.is_empty() {
            return;
        }
        {
            let mut memory = self.memory.lock().expect("memory lock");
            for (k, v) in &entries {
                memory.insert(k.clone(), v.clone());
            }
        }
        let mut guard = self.cache.lock().expect("cache lock");
        if let Some(cache) = guard.as_mut() {
            if let Err(e) = cache.put(&entries, self.clock.wall()) {
                self.warn_cache(&e);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn look_up(
        &self,
        function: &str,
        slot: &Slot,
        config: &ThreatIntelConfig,
        unique: &[(String, String, String)],
        new: &[usize],
        answers: &mut [Option<Verdict>],
        cached: u64,
        skipped: u64,
    ) -> Result<()> {
        let name = slot.provider.display_name();
        let count = new.len() as u64;
        let estimate = human_duration(slot.limit.interval() * count.saturating_sub(1) as u32);
        let before = self.statement_calls.load(Ordering::SeqCst);
        if before + count > config.max_lookups {
            return Err(DataFusionError::Execution(format!(
                "{function}: this statement needs {} new {name} lookups ({count} in this batch), more than max_lookups = {}; at {}/min that takes about {estimate}. Nothing was sent. Raise the limit with \\vt max_lookups N (or [threat_intel] max_lookups), look up fewer distinct values, or use \\vt offline on for cached answers only",
                before + count,
                config.max_lookups,
                slot.settings.requests_per_minute.unwrap_or(slot.provider.default_quota().0),
            )));
        }
        let key = match slot.settings.api_key.clone().filter(|k| !k.trim().is_empty()) {
            Some(k) => k,
            None => std::env::var(slot.provider.key_variable())
                .ok()
                .filter(|k| !k.trim().is_empty())
                .ok_or_else(|| {
                    DataFusionError::Execution(format!(
                        "{function}: no {name} API key; set {} or api_key in [threat_intel.{}] of the huntsql config ({count} lookups were needed; \\vt offline on answers from the cache only)",
                        slot.provider.key_variable(),
                        slot.provider.name()
                    ))
                })?,
        };
        self.statement_calls.fetch_add(count, Ordering::SeqCst);
        let progress = Progress::new(
            config.progress,
            function,
            count,
            slot.limit.interval(),
            Arc::clone(&self.clock),
        );
        progress.start(cached, skipped);

        let key = key.as_str();
        let progress = &progress;
        let mut lookups = futures::stream::iter(new.iter().copied())
            .map(|i| async move {
                let (_, ioc_type, observable) = &unique[i];
                (
                    i,
                    self.lookup_one(slot, key, ioc_type, observable, progress)
                        .await,
                )
            })
            .buffer_unordered(slot.max_concurrency);
        let mut fresh = Vec::new();
        let mut stop = None;
        while let Some((i, outcome)) = lookups.next().await {
            match outcome {
                Ok(verdict) => {
                    if verdict.is_answer() {
                        self.totals.looked_up.fetch_add(1, Ordering::Relaxed);
                        fresh.push((unique[i].0.clone(), verdict.clone()));
                    } else {
                        self.totals.errors.fetch_add(1, Ordering::Relaxed);
                    }
                    answers[i] = Some(verdict);
                    progress.done();
                }
                Err(message) => {
                    stop = Some(message);
                    break;
                }
            }
        }
        drop(lookups);
        // Nothing learnt is lost, even when the run stops.
        self.remember(fresh);
        match stop {
            Some(message) => Err(DataFusionError::Execution(format!(
                "{function}: {}",
                redact(&message, key)
            ))),
            None => Ok(()),
        }
    }

    async fn lookup_one(
        &self,
        slot: &Slot,
        key: &str,
        ioc_type: &str,
        observable: &str,
        progress: &Progress,
    ) -> std::result::Result<Verdict, String> {
        // Err: the run must stop (refused key, quota); row errors are verdicts.
        let name = slot.provider.display_name();
        let mut quota_waits = 0;
        let mut transient = 0;
        loop {
            slot.limit
                .acquire()
                .await
                .map_err(|e| format!("{name}: {e}"))?;
            let outcome = slot
                .provider
                .lookup(&slot.http, &slot.base_url, key, ioc_type, observable)
                .await;
            match outcome {
                Ok(verdict) => return Ok(verdict),
                Err(LookupError::Credentials(detail)) => {
                    return Err(format!(
                        "{name} refused the API key ({}); check {} or api_key in [threat_intel.{}]",
                        redact(&detail, key),
                        slot.provider.key_variable(),
                        slot.provider.name()
                    ))
                }
                Err(LookupError::Quota {
                    retry_after,
                    message,
                }) => {
                    quota_waits += 1;
                    if quota_waits > slot.max_retries {
                        return Err(format!(
                            "{name} still says the quota is exceeded ({}) after {} waits; the key's quota may be lower than requests_per_minute / requests_per_day, or its daily allowance is spent. Answers so far are cached",
                            redact(&message, key),
                            slot.max_retries
                        ));
                    }
                    let wait = retry_after.unwrap_or(DEFAULT_QUOTA_WAIT);
                    progress.note(&format!(
                        "{name} quota exceeded (429); waiting {} before asking again",
                        human_duration(wait)
                    ));
                    self.clock.sleep(wait).await;
                }
                Err(LookupError::Transient(detail)) => {
                    transient += 1;
                    if transient > TRANSIENT_RETRIES {
                        return Ok(Verdict::status(format!(
                            "error: {} (after {} tries)",
                            redact(&detail, key),
                            transient
                        )));
                    }
                    self.clock.sleep(Duration::from_secs(1 << transient)).await;
                }
                Err(LookupError::Rejected(detail)) => {
                    return Ok(Verdict::status(format!("error: {}", redact(&detail, key))))
                }
            }
        }
    }
}

/// The type the caller named, checked against the value: `(type,
/// observable)`, `Err(reason)` when the value is not of that type, and an
/// error for a type name that does not exist.
fn classify_as(
    function: &str,
    raw: &str,
    given: &str,
) -> Result<std::result::Result<(String, String), String>> {
    let valid = huntsql_udfs::ioc::observable_is(raw, given)
        .map_err(|e| DataFusionError::Plan(format!("{function}: {e}")))?;
    let given = given.trim().to_ascii_lowercase();
    if !valid {
        return Ok(Err(format!("not a valid {given}")));
    }
    let observable = huntsql_udfs::ioc::classify_observable(raw)
        .map(|(_, o)| o)
        .unwrap_or_else(|| raw.trim().to_string());
    let ioc_type = match given.as_str() {
        "hostname" => "dns".to_string(),
        "file_hash" => match observable.len() {
            32 => "md5_hash",
            40 => "sha1_hash",
            _ => "sha256_hash",
        }
        .to_string(),
        _ => given,
    };
    Ok(Ok((ioc_type, observable)))
}

fn redact(text: &str, key: &str) -> String {
    crate::object_store::redact(text, &[key.to_string()])
}

/// Progress lines on stderr: what a run will do, then how far it is.
struct Progress {
    enabled: bool,
    function: String,
    total: u64,
    interval: Duration,
    clock: Arc<dyn Clock>,
    done: AtomicU64,
    last: Mutex<Duration>,
}

impl Progress {
    fn new(
        enabled: bool,
        function: &str,
        total: u64,
        interval: Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let now = clock.elapsed();
        Self {
            enabled,
            function: function.to_string(),
            total,
            interval,
            clock,
            done: AtomicU64::new(0),
            last: Mutex::new(now),
        }
    }

    fn start(&self, cached: u64, skipped: u64) {
        if self.enabled {
            eprintln!(
                "{}: {} to look up, {cached} answered from cache, {skipped} skipped; about {} at the quota",
                self.function,
                self.total,
                human_duration(self.interval * self.total.saturating_sub(1) as u32)
            );
        }
    }

    fn note(&self, text: &str) {
        if self.enabled {
            eprintln!("{}: {text}", self.function);
        }
    }

    fn done(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.enabled {
            return;
        }
        let now = self.clock.elapsed();
        let mut last = self.last.lock().expect("progress lock");
        if done == self.total || now.saturating_sub(*last) >= PROGRESS_EVERY {
            *last = now;
            let remaining = self.total - done;
            eprintln!(
                "{}: {done} of {} looked up, {remaining} remaining, about {} left",
                self.function,
                self.total,
                human_duration(self.interval * remaining as u32)
            );
        }
    }
}
