//! The HTTP client: authentication, TLS, retries and Elastic error bodies.

use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use datafusion::error::{DataFusionError, Result};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::OnceCell;

use super::config::{encode_index, EsConfig, Flavor};
use crate::object_store::redact_secrets;

/// A client for one cluster. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct EsClient {
    http: reqwest::Client,
    config: Arc<EsConfig>,
    flavor: Arc<OnceCell<Flavor>>,
}

impl std::fmt::Debug for EsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsClient")
            .field("url", &self.config.display_url())
            .finish()
    }
}

/// One failed attempt: retried when `retryable`.
struct Failure {
    retryable: bool,
    error: DataFusionError,
}

impl EsClient {
    /// Builds the client: system roots plus `ca_file`; certificate checks off
    /// only with `insecure = true`, which is warned about here and at every scan.
    pub fn new(config: Arc<EsConfig>) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("huntsql/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &config.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                DataFusionError::Configuration(format!(
                    "elasticsearch {}: cannot read ca_file {}: {e}",
                    config.display_url(),
                    path.display()
                ))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                DataFusionError::Configuration(format!(
                    "elasticsearch {}: ca_file {} is not a PEM certificate: {e}",
                    config.display_url(),
                    path.display()
                ))
            })?;
            if certs.is_empty() {
                return Err(DataFusionError::Configuration(format!(
                    "elasticsearch {}: ca_file {} holds no PEM certificate",
                    config.display_url(),
                    path.display()
                )));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if config.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        let http = builder.build().map_err(|e| {
            DataFusionError::Configuration(format!(
                "elasticsearch {}: cannot build the HTTP client: {e}",
                config.display_url()
            ))
        })?;
        let client = EsClient {
            http,
            flavor: Arc::new(match config.flavor {
                Some(f) => OnceCell::new_with(Some(f)),
                None => OnceCell::new(),
            }),
            config,
        };
        client.warn_if_insecure();
        Ok(client)
    }

    /// A client with its own connection pool (for requests made on another
    /// runtime, such as table functions planning on a helper thread).
    pub fn fresh(&self) -> Result<Self> {
        let client = Self::new(Arc::clone(&self.config))?;
        if let Some(f) = self.flavor.get() {
            let _ = client.flavor.set(*f);
        }
        Ok(client)
    }

    pub fn config(&self) -> &Arc<EsConfig> {
        &self.config
    }

    /// Prints the `insecure = true` warning (on every connection and scan).
    pub fn warn_if_insecure(&self) {
        if self.config.insecure {
            eprintln!(
                "warning: elasticsearch {}: TLS certificate verification is OFF (insecure = true); \
                 anyone on the network path can read and alter this traffic",
                self.config.display_url()
            );
        }
    }

    /// Elasticsearch or OpenSearch: the `flavor` option, else `GET /`'s
    /// `version.distribution`.
    pub async fn flavor(&self) -> Result<Flavor> {
        self.flavor
            .get_or_try_init(|| async {
                let info = self.request(Method::GET, "", None).await?;
                let dist = info
                    .pointer("/version/distribution")
                    .and_then(Value::as_str)
                    .unwrap_or("elasticsearch");
                Ok(Flavor::parse(dist).unwrap_or(Flavor::Elasticsearch))
            })
            .await
            .copied()
    }

    /// Sends a request with the configured retries; `path` is relative to
    /// the base URL (no leading slash) and may carry a query string.
    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value> {
        let attempt = || async { self.send_once(method.clone(), path, body).await };
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.config.retry_delay)
            .with_max_delay(Duration::from_secs(30))
            .with_factor(2.0)
            .with_max_times(self.config.retries);
        attempt
            .retry(backoff)
            .when(|f: &Failure| f.retryable)
            .await
            .map_err(|f| f.error)
    }

    async fn send_once(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> std::result::Result<Value, Failure> {
        let url = format!("{}{}", self.config.url, path);
        let what = format!(
            "elasticsearch {}: {method} /{}",
            self.config.display_url(),
            path.split('?').next().unwrap_or_default()
        );
        let mut request = self.http.request(method, &url);
        if let Some(header) = self.config.auth.header() {
            request = request.header(reqwest::header::AUTHORIZATION, header);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let retryable = e.is_connect();
                let reason = if e.is_timeout() {
                    format!(
                        "no answer within {} s (option timeout)",
                        self.config.timeout.as_secs()
                    )
                } else if e.is_connect() {
                    format!("cannot connect ({})", source_chain(&e))
                } else {
                    source_chain(&e)
                };
                return Err(Failure {
                    retryable,
                    error: DataFusionError::Execution(redact_secrets(&format!(
                        "{what}: {reason}; check the url and that the cluster is up"
                    ))),
                });
            }
        };
        let status = response.status();
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => {
                return Err(Failure {
                    retryable: false,
                    error: DataFusionError::Execution(redact_secrets(&format!(
                        "{what}: the answer broke off ({}) (status {status})",
                        source_chain(&e)
                    ))),
                })
            }
        };
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|e| Failure {
                retryable: false,
                error: DataFusionError::Execution(format!(
                    "{what}: the answer is not JSON ({e}): {}",
                    redact_secrets(&snippet(&text))
                )),
            });
        }
        let retryable =
            status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE;
        Err(Failure {
            retryable,
            error: DataFusionError::Execution(redact_secrets(&format!(
                "{what}: {}",
                describe_error(status.as_u16(), &text)
            ))),
        })
    }

    /// `GET /<index>/_mapping`.
    pub async fn mapping(&self, index: &str) -> Result<Value> {
        self.request(
            Method::GET,
            &format!("{}/_mapping", encode_index(index)?),
            None,
        )
        .await
    }

    /// The indices of the cluster (not starting with `.`), sorted.
    pub async fn list_indices(&self) -> Result<Vec<String>> {
        let answer = self
            .request(Method::GET, "_cat/indices?format=json&h=index", None)
            .await?;
        let mut names: Vec<String> = answer
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r.get("index").and_then(Value::as_str))
                    .filter(|n| !n.starts_with('.'))
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names.dedup();
        Ok(names)
    }
}

/// A short, readable reason from an error answer: Elastic's
/// `{"error":{"root_cause":[...],"type":...,"reason":...},"status":...}`,
/// OpenSearch SQL's `{"error":{"type","reason","details"}}`, a plain
/// `{"error":"..."}` or text, plus what to do about it.
pub fn describe_error(status: u16, text: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let (kind, reason) = match parsed.as_ref().and_then(|v| v.get("error")) {
        Some(Value::Object(error)) => {
            let root = error
                .get("root_cause")
                .and_then(Value::as_array)
                .and_then(|r| r.first());
            let kind = error
                .get("type")
                .and_then(Value::as_str)
                .or_else(|| root.and_then(|r| r.get("type")).and_then(Value::as_str))
                .unwrap_or("error")
                .to_string();
            let mut reason = error
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if let Some(root_reason) = root.and_then(|r| r.get("reason")).and_then(Value::as_str) {
                if !reason.contains(root_reason) {
                    if reason.is_empty() {
                        reason = root_reason.to_string();
                    } else {
                        reason = format!("{reason} ({root_reason})");
                    }
                }
            }
            if let Some(details) = error.get("details").and_then(Value::as_str) {
                if !reason.contains(details) {
                    reason = format!("{reason}: {details}");
                }
            }
            if let Some(caused) = error
                .get("caused_by")
                .and_then(|c| c.get("reason"))
                .and_then(Value::as_str)
            {
                if !reason.contains(caused) {
                    reason = format!("{reason}: {caused}");
                }
            }
            (kind, reason)
        }
        Some(Value::String(s)) => ("error".to_string(), s.clone()),
        _ => ("error".to_string(), snippet(text)),
    };
    let hint = match (status, kind.as_str()) {
        (401, _) => "; the cluster refused the credentials: check username/password, api_key or bearer_token",
        (403, _) | (_, "security_exception") => {
            "; the user lacks a privilege: read and view_index_metadata on the index (and read for the SQL API)"
        }
        (_, "index_not_found_exception") | (404, _) => {
            "; check the index name or pattern (GET /_cat/indices lists them)"
        }
        (429, _) => "; the cluster is overloaded (429 Too Many Requests) and retries ran out: raise retries or retry later",
        (503, _) => "; the cluster is unavailable (503) and retries ran out",
        _ => "",
    };
    format!("{status} {kind}: {reason}{hint}")
}

fn snippet(text: &str) -> String {
    let t = text.trim();
    match t.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_string(),
    }
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_files_are_checked_and_insecure_needs_saying() {
        let dir = std::env::temp_dir().join(format!("huntsql-es-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.pem");
        let config = |path: &std::path::Path| {
            Arc::new(
                EsConfig::from_options(
                    "https://es.example:9200",
                    vec![("ca_file", path.display().to_string())],
                )
                .unwrap(),
            )
        };
        let err = EsClient::new(config(&missing)).unwrap_err().to_string();
        assert!(
            err.contains("cannot read ca_file") && err.contains("missing.pem"),
            "{err}"
        );
        let not_pem = dir.join("not.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        let err = EsClient::new(config(&not_pem)).unwrap_err().to_string();
        assert!(
            err.contains("no PEM certificate") || err.contains("not a PEM"),
            "{err}"
        );
        // Verification is on unless insecure = true is written out.
        let default = EsConfig::new("https://es.example:9200").unwrap();
        assert!(!default.insecure);
        let insecure = EsConfig::from_options(
            "https://es.example:9200",
            vec![("insecure", "true".to_string())],
        )
        .unwrap();
        assert!(EsClient::new(Arc::new(insecure)).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn elastic_error_bodies_read_well() {
        let body = r#"{"error":{"root_cause":[{"type":"index_not_found_exception","reason":"no such index [nope]","index":"nope"}],"type":"index_not_found_exception","reason":"no such index [nope]","index":"nope"},"status":404}"#;
        let text = describe_error(404, body);
        assert!(
            text.starts_with("404 index_not_found_exception: no such index [nope]"),
            "{text}"
        );
        assert!(text.contains("check the index name"), "{text}");
        let auth = r#"{"error":{"root_cause":[{"type":"security_exception","reason":"unable to authenticate user [x]"}],"type":"security_exception","reason":"unable to authenticate user [x]"},"status":401}"#;
        let text = describe_error(401, auth);
        assert!(
            text.contains("unable to authenticate") && text.contains("api_key"),
            "{text}"
        );
        let forbidden = r#"{"error":{"root_cause":[{"type":"security_exception","reason":"action [indices:data/read/search] is unauthorized"}],"type":"security_exception","reason":"action [indices:data/read/search] is unauthorized"},"status":403}"#;
        assert!(describe_error(403, forbidden).contains("lacks a privilege"));
        let nested = r#"{"error":{"root_cause":[{"type":"parsing_exception","reason":"line 1: bad"}],"type":"x_content_parse_exception","reason":"[1:2] failed"},"status":400}"#;
        let text = describe_error(400, nested);
        assert!(text.contains("[1:2] failed (line 1: bad)"), "{text}");
        assert_eq!(
            describe_error(405, r#"{"error":"no handler"}"#),
            "405 error: no handler"
        );
        assert_eq!(
            describe_error(502, "<html>bad gateway</html>"),
            "502 error: <html>bad gateway</html>"
        );
        let os = r#"{"error":{"reason":"Invalid SQL query","details":"Field [x] not found","type":"IllegalArgumentException"},"status":400}"#;
        assert!(describe_error(400, os).contains("Invalid SQL query: Field [x] not found"));
    }
}
