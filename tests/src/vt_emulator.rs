//! A loopback emulator of the VirusTotal API v3, for vt_reputation's tests.
//!
//! VirusTotal cannot be reached from here, so this follows its documented
//! v3 API: `GET /api/v3/{files,ip_addresses,domains,urls}/{id}` with the key
//! in `x-apikey`; a found object is `{"data": {"type", "id",
//! "attributes": {"last_analysis_stats": {...}, "reputation",
//! "last_analysis_date", ...}}}`; errors are `{"error": {"code",
//! "message"}}` with 401 WrongCredentialsError, 404 NotFoundError and 429
//! QuotaExceededError. URL ids are the unpadded URL-safe base64 of the URL.
//!
//! The objects are modelled on the real responses in
//! `shared/data/msticpy_testdata/`: `vt3_url_0.json` is served as it is (a
//! v3 URL object); the v2 reports (`*_pos.json`, `*_neg.json`) become v3
//! objects whose `malicious` is the v2 `positives` (URLs, files) or the
//! number of `detected_urls` (domains, IPs), and `harmless` the rest of
//! `total`. The v2 IP reports carry no address, so the emulator files them
//! under two addresses chosen here ([`IP_POSITIVE`], [`IP_NEGATIVE`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};

use crate::loopback::LoopbackServer;

/// The address the emulator files `ip-address_pos.json` under.
pub const IP_POSITIVE: &str = "81.177.135.10";
/// The address the emulator files `ip-address_neg.json` under.
pub const IP_NEGATIVE: &str = "151.101.128.223";

/// One request the emulator received.
#[derive(Debug, Clone)]
pub struct Logged {
    /// `/api/v3/collection/id`.
    pub path: String,
    /// The `x-apikey` header as sent.
    pub api_key: Option<String>,
    /// When it arrived, on the real clock.
    pub at: Instant,
    /// Requests in flight when it arrived, itself included.
    pub in_flight: usize,
}

#[derive(Default)]
struct Shared {
    objects: HashMap<(String, String), Value>,
    api_key: String,
    log: Mutex<Vec<Logged>>,
    quota_next: AtomicUsize,
    delay_ms: AtomicUsize,
    in_flight: AtomicUsize,
}

/// The running emulator; stops when dropped.
pub struct VtEmulator {
    pub url: String,
    shared: Arc<Shared>,
    _server: LoopbackServer,
}

/// VirusTotal's URL id.
pub fn url_id(url: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url.as_bytes())
}

fn read(name: &str) -> Value {
    let path = crate::shared_dir()
        .join("data")
        .join("msticpy_testdata")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn v3(kind: &str, id: &str, malicious: i64, harmless: i64, date: i64) -> Value {
    json!({"type": kind, "id": id, "attributes": {
        "last_analysis_stats": {"malicious": malicious, "suspicious": 0, "harmless": harmless, "undetected": 0, "timeout": 0},
        "reputation": if malicious > 0 { -malicious } else { 0 },
        "last_analysis_date": date,
    }})
}

/// `(collection, id) -> v3 object` from the shared msticpy test data.
pub fn shared_objects() -> HashMap<(String, String), Value> {
    let mut objects = HashMap::new();
    let mut put = |collection: &str, id: String, object: Value| {
        objects.insert((collection.to_string(), id), object);
    };
    let url0 = read("vt3_url_0.json");
    let url = url0["attributes"]["url"].as_str().expect("url").to_string();
    put("urls", url_id(&url), url0);
    for name in ["url_pos.json", "url_neg.json"] {
        let r = read(name);
        let url = r["url"].as_str().expect("url");
        let (p, t) = (
            r["positives"].as_i64().unwrap_or(0),
            r["total"].as_i64().unwrap_or(0),
        );
        put(
            "urls",
            url_id(url),
            v3("url", &url_id(url), p, t - p, 1544782435),
        );
    }
    for (name, domain) in [
        ("domain_pos.json", "club-fox.ru"),
        ("domain_neg.json", "python.org"),
    ] {
        let r = read(name);
        let detected = r["detected_urls"].as_array().map_or(0, |a| a.len()) as i64;
        let date = r["whois_timestamp"].as_i64().unwrap_or(0);
        put(
            "domains",
            domain.into(),
            v3("domain", domain, detected, 0, date),
        );
    }
    for (name, ip) in [
        ("ip-address_pos.json", IP_POSITIVE),
        ("ip-address_neg.json", IP_NEGATIVE),
    ] {
        let r = read(name);
        let detected = r["detected_urls"].as_array().map_or(0, |a| a.len()) as i64;
        let date = r["whois_timestamp"].as_i64().unwrap_or(0);
        put(
            "ip_addresses",
            ip.into(),
            v3("ip_address", ip, detected, 0, date),
        );
    }
    for file in read("file-multi_pos.json").as_array().expect("files") {
        let sha256 = file["sha256"].as_str().expect("sha256");
        let (p, t) = (
            file["positives"].as_i64().unwrap_or(0),
            file["total"].as_i64().unwrap_or(0),
        );
        let object = v3("file", sha256, p, t - p, 1545767939);
        for hash in ["md5", "sha1", "sha256"] {
            if let Some(h) = file[hash].as_str() {
                put("files", h.to_ascii_lowercase(), object.clone());
            }
        }
    }
    objects
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

async fn lookup(
    State(shared): State<Arc<Shared>>,
    Path((collection, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let in_flight = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    let api_key = headers
        .get("x-apikey")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    shared.log.lock().unwrap().push(Logged {
        path: format!("/api/v3/{collection}/{id}"),
        api_key: api_key.clone(),
        at: Instant::now(),
        in_flight,
    });
    let delay = shared.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay as u64)).await;
    }
    let response = if api_key.as_deref() != Some(shared.api_key.as_str()) {
        error(
            StatusCode::UNAUTHORIZED,
            "WrongCredentialsError",
            "Wrong API key",
        )
    } else if shared
        .quota_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        error(
            StatusCode::TOO_MANY_REQUESTS,
            "QuotaExceededError",
            "Quota exceeded",
        )
    } else {
        let key = if collection == "files" {
            (collection.clone(), id.to_ascii_lowercase())
        } else {
            (collection.clone(), id.clone())
        };
        match shared.objects.get(&key) {
            Some(object) => Json(json!({ "data": object })).into_response(),
            None => error(
                StatusCode::NOT_FOUND,
                "NotFoundError",
                &format!("{collection} \"{id}\" not found"),
            ),
        }
    };
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

impl VtEmulator {
    /// Starts the emulator accepting `api_key`, serving [`shared_objects`].
    pub fn start(api_key: &str) -> Self {
        let shared = Arc::new(Shared {
            objects: shared_objects(),
            api_key: api_key.to_string(),
            ..Default::default()
        });
        let state = Arc::clone(&shared);
        let server = LoopbackServer::start(move || {
            Router::new()
                .route("/api/v3/{collection}/{id}", get(lookup))
                .with_state(state)
        });
        Self {
            url: server.url.clone(),
            shared,
            _server: server,
        }
    }

    /// The next `n` requests get 429 QuotaExceededError.
    pub fn quota_next(&self, n: usize) {
        self.shared.quota_next.store(n, Ordering::SeqCst);
    }

    /// Every answer waits this long.
    pub fn delay(&self, delay: Duration) {
        self.shared
            .delay_ms
            .store(delay.as_millis() as usize, Ordering::SeqCst);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Logged> {
        self.shared.log.lock().unwrap().clone()
    }

    /// The request paths so far.
    pub fn paths(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.path).collect()
    }
}
