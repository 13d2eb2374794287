//! What a `[sources.NAME] kind = "elasticsearch"` entry or a
//! `CREATE EXTERNAL TABLE ... STORED AS ELASTICSEARCH OPTIONS (...)` clause
//! says about one cluster.
//!
//! | option | meaning |
//! |---|---|
//! | `username`, `password` | HTTP basic authentication |
//! | `api_key` | `Authorization: ApiKey <api_key>` (the base64 `id:key` Elasticsearch returns) |
//! | `bearer_token` | `Authorization: Bearer <token>` (OAuth / service tokens) |
//! | `ca_file` | PEM file of the CA that signed the cluster's certificate (system roots are always trusted) |
//! | `insecure` | `true` skips TLS certificate verification; warned on every connection |
//! | `page_size` | documents per `_search` page and rows per SQL `fetch_size` (default 1000, at most 10000) |
//! | `slices` | partitions of a scan, each reading one slice of the same point in time (default 1; at most 64) |
//! | `keep_alive` | point-in-time keep alive between pages (default `2m`) |
//! | `timeout` | seconds one request may take (default 30) |
//! | `retries` | retries of a request answered 429 / 503 or not connected (default 3) |
//! | `retry_delay_ms` | first retry delay, doubled each retry (default 500) |
//! | `flavor` | `elasticsearch` or `opensearch`; asked from `GET /` when absent |
//! | `indices` | comma-separated indices, aliases or patterns listed as the source's tables (default: every index not starting with `.`) |
//! | `exact_pushdown` | `false` makes huntsql re-check every predicate it pushes (see the README on multi-valued fields) |
//! | `time_field` | the time field `es_search` filters on (default `@timestamp`) |
//!
//! Secret values are registered with [`crate::object_store::remember_secrets`]
//! so that no error message shows them; `Debug` never prints them.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use datafusion::error::{DataFusionError, Result};
use url::Url;

/// Documents per page unless `page_size` says otherwise.
pub const DEFAULT_PAGE_SIZE: usize = 1000;
/// Elasticsearch's default `index.max_result_window`: no page may be larger.
pub const MAX_PAGE_SIZE: usize = 10_000;

/// Elasticsearch or OpenSearch: they differ in the point-in-time and SQL URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Elasticsearch,
    OpenSearch,
}

impl Flavor {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "elasticsearch" | "elastic" | "es" => Some(Flavor::Elasticsearch),
            "opensearch" | "os" => Some(Flavor::OpenSearch),
            _ => None,
        }
    }
}

/// How requests authenticate.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Auth {
    #[default]
    None,
    Basic {
        username: String,
        password: String,
    },
    ApiKey(String),
    Bearer(String),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secrets.
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Auth::ApiKey(_) => f.write_str("ApiKey(***)"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

impl Auth {
    /// The `Authorization` header value, if any.
    pub fn header(&self) -> Option<String> {
        use base64_lite::encode;
        match self {
            Auth::None => None,
            Auth::Basic { username, password } => Some(format!(
                "Basic {}",
                encode(format!("{username}:{password}").as_bytes())
            )),
            Auth::ApiKey(key) => Some(format!("ApiKey {key}")),
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
        }
    }

    fn secrets(&self) -> Vec<String> {
        match self {
            Auth::None => vec![],
            Auth::Basic { password, .. } => vec![password.clone()],
            Auth::ApiKey(k) => vec![k.clone()],
            Auth::Bearer(t) => vec![t.clone()],
        }
    }
}

/// A cluster's connection settings.
#[derive(Clone, Debug, PartialEq)]
pub struct EsConfig {
    /// Base URL (`https://host:9200/`), without credentials.
    pub url: Url,
    pub auth: Auth,
    pub ca_file: Option<PathBuf>,
    pub insecure: bool,
    pub page_size: usize,
    pub slices: usize,
    pub keep_alive: String,
    pub timeout: Duration,
    pub retries: usize,
    pub retry_delay: Duration,
    pub flavor: Option<Flavor>,
    pub indices: Vec<String>,
    pub exact_pushdown: bool,
    pub time_field: String,
}

impl EsConfig {
    /// Settings for `url` with defaults and no authentication.
    pub fn new(url: &str) -> Result<Self> {
        Self::from_options(url, Vec::<(&str, String)>::new())
    }

    /// Settings from a URL and `key = value` options (keys with or without
    /// an `elasticsearch.` / `es.` prefix). Credentials in the URL
    /// (`https://user:pass@host`) become basic authentication.
    pub fn from_options<K: AsRef<str>>(
        url: &str,
        options: impl IntoIterator<Item = (K, String)>,
    ) -> Result<Self> {
        let bad = |msg: String| DataFusionError::Configuration(format!("elasticsearch: {msg}"));
        if url.trim().is_empty() {
            return Err(bad(
                "url is required (e.g. url = \"https://localhost:9200\")".into(),
            ));
        }
        let mut parsed = Url::parse(url.trim()).map_err(|e| {
            bad(format!(
                "url '{}' is not valid: {e}",
                redact_url_text(url.trim())
            ))
        })?;
        if parsed.scheme() != "http" && parsed.scheme() != "https" {
            return Err(bad(format!(
                "url must start with http:// or https://, not {}://",
                parsed.scheme()
            )));
        }
        let mut auth = Auth::None;
        if !parsed.username().is_empty() {
            let username = percent_decode(parsed.username());
            let password = parsed.password().map(percent_decode).unwrap_or_default();
            auth = Auth::Basic { username, password };
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
        }
        parsed.set_query(None);
        parsed.set_fragment(None);
        if !parsed.path().ends_with('/') {
            let path = format!("{}/", parsed.path());
            parsed.set_path(&path);
        }
        let mut config = EsConfig {
            url: parsed,
            auth,
            ca_file: None,
            insecure: false,
            page_size: DEFAULT_PAGE_SIZE,
            slices: 1,
            keep_alive: "2m".into(),
            timeout: Duration::from_secs(30),
            retries: 3,
            retry_delay: Duration::from_millis(500),
            flavor: None,
            indices: Vec::new(),
            exact_pushdown: true,
            time_field: "@timestamp".into(),
        };
        let mut username = None;
        let mut password = None;
        for (key, value) in options {
            let key = key.as_ref().to_ascii_lowercase();
            // DataFusion files unprefixed OPTIONS keys under `format.`.
            let key = key.strip_prefix("format.").unwrap_or(&key);
            let key = key
                .strip_prefix("elasticsearch.")
                .or_else(|| key.strip_prefix("es."))
                .unwrap_or(key)
                .to_string();
            let number = |v: &str| -> Result<u64> {
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| bad(format!("option {key}: expected a whole number, got '{v}'")))
            };
            let boolean = |v: &str| -> Result<bool> {
                match v.trim().to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => Ok(true),
                    "false" | "no" | "0" => Ok(false),
                    _ => Err(bad(format!(
                        "option {key}: expected true or false, got '{v}'"
                    ))),
                }
            };
            match key.as_str() {
                "kind" | "url" => {}
                "username" | "user" => username = Some(value),
                "password" => password = Some(value),
                "api_key" => config.auth = Auth::ApiKey(value),
                "bearer_token" | "token" => config.auth = Auth::Bearer(value),
                "ca_file" | "ca_cert" => config.ca_file = Some(PathBuf::from(value)),
                "insecure" => config.insecure = boolean(&value)?,
                "page_size" | "fetch_size" => {
                    let n = number(&value)? as usize;
                    if n == 0 || n > MAX_PAGE_SIZE {
                        return Err(bad(format!(
                            "option page_size: {n} is out of range 1..={MAX_PAGE_SIZE}"
                        )));
                    }
                    config.page_size = n;
                }
                "slices" => {
                    let n = number(&value)? as usize;
                    if n == 0 || n > 64 {
                        return Err(bad(format!("option slices: {n} is out of range 1..=64")));
                    }
                    config.slices = n;
                }
                "keep_alive" => {
                    let ok = !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric());
                    if !ok {
                        return Err(bad(format!(
                            "option keep_alive: expected a time unit such as 1m or 30s, got '{value}'"
                        )));
                    }
                    config.keep_alive = value;
                }
                "timeout" => config.timeout = Duration::from_secs(number(&value)?.max(1)),
                "retries" => config.retries = number(&value)? as usize,
                "retry_delay_ms" => config.retry_delay = Duration::from_millis(number(&value)?),
                "flavor" | "distribution" => {
                    config.flavor = Some(Flavor::parse(&value).ok_or_else(|| {
                        bad(format!(
                            "option flavor: expected elasticsearch or opensearch, got '{value}'"
                        ))
                    })?)
                }
                "indices" | "index" => {
                    config.indices = value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect()
                }
                "exact_pushdown" => config.exact_pushdown = boolean(&value)?,
                "time_field" => config.time_field = value,
                other => {
                    return Err(bad(format!(
                        "unknown option '{other}'; expected one of username, password, api_key, \
                         bearer_token, ca_file, insecure, page_size, slices, keep_alive, timeout, retries, \
                         retry_delay_ms, flavor, indices, exact_pushdown, time_field"
                    )))
                }
            }
        }
        match (username, password) {
            (Some(username), password) => {
                config.auth = Auth::Basic {
                    username,
                    password: password.unwrap_or_default(),
                }
            }
            (None, Some(_)) => {
                return Err(bad("option password is given without username".into()));
            }
            (None, None) => {}
        }
        crate::object_store::remember_secrets(&config.auth.secrets());
        Ok(config)
    }

    /// The base URL without a trailing slash, for messages.
    pub fn display_url(&self) -> String {
        self.url.as_str().trim_end_matches('/').to_string()
    }
}

/// `https://user:pass@host/` shown as `https://***@host/`.
pub fn redact_url_text(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(v) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-decodes a URL path segment (an index name in a LOCATION).
pub fn decode_segment(text: &str) -> String {
    percent_decode(text)
}

/// A path segment for an index name or pattern: characters Elasticsearch
/// allows in names and patterns (`*`, `,`, `-`, `.`, `+`, `:`) are kept,
/// everything else is percent-encoded. `.` and `..` alone are refused.
pub fn encode_index(index: &str) -> Result<String> {
    let index = index.trim();
    if index.is_empty() || index == "." || index == ".." {
        return Err(DataFusionError::Plan(format!(
            "elasticsearch: '{index}' is not an index name or pattern"
        )));
    }
    let mut out = String::with_capacity(index.len());
    for b in index.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.*,+:@!".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// Minimal standard base64 (with padding), for the basic-auth header.
mod base64_lite {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(input: &[u8]) -> String {
        let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
        for chunk in input.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            out.push(TABLE[(n >> 18) as usize & 63] as char);
            out.push(TABLE[(n >> 12) as usize & 63] as char);
            out.push(if chunk.len() > 1 {
                TABLE[(n >> 6) as usize & 63] as char
            } else {
                '='
            });
            out.push(if chunk.len() > 2 {
                TABLE[n as usize & 63] as char
            } else {
                '='
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_secrets_stay_hidden() {
        let c = EsConfig::from_options(
            "https://elastic:pa%40ss-word1@es.example:9200?x=1",
            vec![
                ("page_size", "250".to_string()),
                ("elasticsearch.insecure", "true".to_string()),
                ("flavor", "OpenSearch".to_string()),
                ("indices", "logs-*, events".to_string()),
            ],
        )
        .unwrap();
        assert_eq!(c.url.as_str(), "https://es.example:9200/");
        assert_eq!(c.page_size, 250);
        assert!(c.insecure);
        assert_eq!(c.flavor, Some(Flavor::OpenSearch));
        assert_eq!(c.indices, vec!["logs-*", "events"]);
        assert_eq!(
            c.auth,
            Auth::Basic {
                username: "elastic".into(),
                password: "pa@ss-word1".into()
            }
        );
        assert_eq!(
            c.auth.header().unwrap(),
            format!("Basic {}", base64_lite::encode(b"elastic:pa@ss-word1"))
        );
        assert!(!format!("{c:?}").contains("pa@ss-word1"));
        assert!(crate::object_store::redact_secrets("x pa@ss-word1 y").contains("***"));

        let k = EsConfig::from_options("http://h:9200", vec![("api_key", "S3CRETKEY==".into())])
            .unwrap();
        assert_eq!(k.auth.header().unwrap(), "ApiKey S3CRETKEY==");
        assert!(!format!("{k:?}").contains("S3CRETKEY"));
        let b = EsConfig::from_options("http://h:9200", vec![("bearer_token", "tok-123".into())])
            .unwrap();
        assert_eq!(b.auth.header().unwrap(), "Bearer tok-123");

        for (key, value, expect) in [
            ("page_size", "0", "out of range"),
            ("page_size", "20000", "out of range"),
            ("insecure", "maybe", "true or false"),
            ("flavor", "solr", "elasticsearch or opensearch"),
            ("keep_alive", "1m; DROP", "time unit"),
            ("colour", "red", "unknown option 'colour'"),
        ] {
            let err = EsConfig::from_options("http://h:9200", vec![(key, value.to_string())])
                .unwrap_err()
                .to_string();
            assert!(err.contains(expect), "{key}={value}: {err}");
        }
        let err = EsConfig::new("ftp://h").unwrap_err().to_string();
        assert!(err.contains("http://"), "{err}");
        let err = EsConfig::new("").unwrap_err().to_string();
        assert!(err.contains("url is required"), "{err}");
    }

    #[test]
    fn base64_and_index_encoding() {
        assert_eq!(base64_lite::encode(b""), "");
        assert_eq!(base64_lite::encode(b"f"), "Zg==");
        assert_eq!(base64_lite::encode(b"fo"), "Zm8=");
        assert_eq!(base64_lite::encode(b"foo"), "Zm9v");
        assert_eq!(base64_lite::encode(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(
            encode_index("logs-endpoint.events.*").unwrap(),
            "logs-endpoint.events.*"
        );
        assert_eq!(
            encode_index("a b/../c?d#").unwrap(),
            "a%20b%2F..%2Fc%3Fd%23"
        );
        assert!(encode_index("..").is_err());
        assert!(encode_index("").is_err());
        assert_eq!(redact_url_text("https://u:p@h:1/"), "https://***@h:1/");
    }
}
