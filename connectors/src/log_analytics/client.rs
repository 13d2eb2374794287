//! The Log Analytics query API client: `POST {endpoint}/v1/workspaces/{id}/query`
//! and `GET .../metadata`, with authentication, bounded concurrency and
//! retries (429/503 honour `Retry-After`; other 5xx, resets and timeouts
//! back off exponentially; 401/403 fail with a message about credentials).

use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::error::{DataFusionError, Result};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Semaphore;

use super::auth::{azure_cli_installed, Credential, TokenSource};
use super::config::LogAnalyticsOptions;
use super::decode::{decode_answer, AnswerError};
use super::types::RawColumn;

/// One answer of the query API.
#[derive(Debug)]
pub enum QueryOutcome {
    /// Every row.
    Complete(RecordBatch),
    /// A 200 answer with an error beside (part of) the rows. `limit` says
    /// whether the error is the result-size limit (500,000 rows / 64 MB),
    /// which a narrower time range avoids.
    Partial { message: String, limit: bool },
}

/// A table the workspace lists.
#[derive(Debug, Clone, Deserialize)]
pub struct TableMeta {
    pub name: String,
    #[serde(default)]
    pub columns: Vec<RawColumn>,
    #[serde(default, rename = "timespanColumn")]
    pub timespan_column: Option<String>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    tables: Vec<TableMeta>,
}

/// A client for one workspace (one `[sources.NAME]`).
pub struct LogAnalyticsClient {
    name: String,
    options: LogAnalyticsOptions,
    http: reqwest::Client,
    auth: TokenSource,
    permits: Arc<Semaphore>,
    secrets: Vec<String>,
}

impl std::fmt::Debug for LogAnalyticsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogAnalyticsClient")
            .field("name", &self.name)
            .field("options", &self.options)
            .field("auth", &self.auth)
            .finish()
    }
}

impl LogAnalyticsClient {
    /// A client for source `name`; credentials are chosen now (see
    /// [`Credential::choose`]) and tokens fetched on first use.
    pub fn new(name: &str, options: LogAnalyticsOptions) -> Result<Self> {
        let origin = format!("Log Analytics source '{name}'");
        let env = |k: &str| std::env::var(k).ok();
        let credential = Credential::choose(&origin, &options, &env, &azure_cli_installed)?;
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(Duration::from_secs(30))
            .user_agent(concat!("huntsql/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DataFusionError::Execution(format!("{origin}: HTTP client: {e}")))?;
        let mut secrets = options.secrets();
        if let Credential::EnvToken(var) = &credential {
            if let Ok(token) = std::env::var(var) {
                secrets.push(token);
            }
        }
        crate::object_store::remember_secrets(&secrets);
        let auth = TokenSource::new(&origin, credential, &options, http.clone());
        Ok(LogAnalyticsClient {
            name: name.to_string(),
            permits: Arc::new(Semaphore::new(options.max_concurrency)),
            options,
            http,
            auth,
            secrets,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn options(&self) -> &LogAnalyticsOptions {
        &self.options
    }

    fn origin(&self) -> String {
        format!("Log Analytics source '{}'", self.name)
    }

    fn error(&self, message: String) -> DataFusionError {
        DataFusionError::Execution(super::redact_with(&message, &self.secrets))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.min(16);
        std::cmp::min(self.options.retry_base * factor, Duration::from_secs(30))
    }

    /// Sends a request built by `build` (given the bearer token), retrying
    /// as the module documentation says; returns the body of a 200 answer.
    async fn send(
        &self,
        what: &str,
        build: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> Result<bytes::Bytes> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| self.error(format!("{}: {e}", self.origin())))?;
        let max = self.options.max_retries;
        let mut attempt = 0u32;
        let mut refreshed_token = false;
        loop {
            let token = self.auth.token().await?;
            let outcome = build(&token).send().await;
            let retry_in = match outcome {
                Err(e) => {
                    if attempt >= max {
                        return Err(self.error(format!(
                            "{}: no answer from {} ({what}) after {} attempts: {e}; check endpoint and the network",
                            self.origin(),
                            self.options.endpoint,
                            attempt + 1
                        )));
                    }
                    self.backoff(attempt)
                }
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<f64>().ok())
                        .filter(|s| s.is_finite() && *s >= 0.0)
                        .map(Duration::from_secs_f64);
                    if status.is_success() {
                        match response.bytes().await {
                            Ok(body) => return Ok(body),
                            Err(e) if attempt < max => {
                                let _ = e;
                                self.backoff(attempt)
                            }
                            Err(e) => {
                                return Err(self.error(format!(
                                    "{}: the answer to {what} broke off after {} attempts: {e}",
                                    self.origin(),
                                    attempt + 1
                                )))
                            }
                        }
                    } else {
                        let body = response.text().await.unwrap_or_default();
                        let detail = service_message(&body);
                        match status {
                            StatusCode::UNAUTHORIZED => {
                                if !refreshed_token
                                    && !matches!(self.auth.credential(), Credential::EnvToken(_))
                                {
                                    // A revoked or expired cached token: once more with a new one.
                                    refreshed_token = true;
                                    self.auth.invalidate().await;
                                    continue;
                                }
                                let how = match self.auth.credential() {
                                    Credential::EnvToken(var) => format!(
                                        "the token in ${var} was refused: it may have expired (they last about an hour) \
                                         or be for another resource than {}",
                                        self.options.resource
                                    ),
                                    Credential::ClientSecret { .. } => "the token from the client credentials was refused: \
                                         check tenant_id and that the app registration is in the workspace's tenant"
                                        .to_string(),
                                    Credential::AzureCli { .. } => "the Azure CLI's token was refused: run `az login` \
                                         (with the workspace's tenant)"
                                        .to_string(),
                                };
                                return Err(self.error(format!(
                                    "{}: 401 Unauthorized for workspace {}: {how} ({detail})",
                                    self.origin(),
                                    self.options.workspace_id
                                )));
                            }
                            StatusCode::FORBIDDEN => {
                                return Err(self.error(format!(
                                    "{}: 403 Forbidden: the identity has no read access to workspace {} ({detail}); \
                                     grant it the Log Analytics Reader role on the workspace",
                                    self.origin(),
                                    self.options.workspace_id
                                )))
                            }
                            StatusCode::NOT_FOUND => {
                                return Err(self.error(format!(
                                    "{}: 404 Not Found for workspace {} at {} ({detail}); check workspace_id and endpoint",
                                    self.origin(),
                                    self.options.workspace_id,
                                    self.options.endpoint
                                )))
                            }
                            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                                let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
                                if attempt >= max || wait > self.options.max_retry_after {
                                    return Err(self.error(format!(
                                        "{}: {status} for {what} after {} attempts (Retry-After {:?}): {detail}; \
                                         the workspace is throttling: retry later or lower max_concurrency",
                                        self.origin(),
                                        attempt + 1,
                                        retry_after
                                    )));
                                }
                                wait
                            }
                            s if s.is_server_error() => {
                                if attempt >= max {
                                    return Err(self.error(format!(
                                        "{}: {status} for {what} after {} attempts: {detail}",
                                        self.origin(),
                                        attempt + 1
                                    )));
                                }
                                self.backoff(attempt)
                            }
                            _ => {
                                return Err(self.error(format!(
                                    "{}: {status} for {what}: {detail}",
                                    self.origin()
                                )))
                            }
                        }
                    }
                }
            };
            attempt += 1;
            tokio::time::sleep(retry_in).await;
        }
    }

    /// Sends `kql` over `timespan` (`<start>/<end>`, optional) and returns
    /// the body of the answer, for [`Self::read_answer`] to decode (apart,
    /// so that decoding runs on the query's threads, not the I/O runtime).
    pub async fn query_body(&self, kql: &str, timespan: Option<&str>) -> Result<bytes::Bytes> {
        let url = format!(
            "{}/v1/workspaces/{}/query",
            self.options.endpoint,
            url::form_urlencoded::byte_serialize(self.options.workspace_id.as_bytes())
                .collect::<String>()
        );
        let mut body = serde_json::json!({ "query": kql });
        if let Some(span) = timespan {
            body["timespan"] = Value::String(span.to_string());
        }
        let body = body.to_string();
        let wait = format!("wait={}", self.options.wait_seconds);
        self.send("the query", |token| {
            self.http
                .post(&url)
                .bearer_auth(token)
                .header("Content-Type", "application/json")
                .header("Prefer", &wait)
                .body(body.clone())
        })
        .await
    }

    /// Decodes a query answer into a batch of `schema`, and says whether
    /// it is complete.
    pub fn read_answer(&self, body: &[u8], schema: &SchemaRef) -> Result<QueryOutcome> {
        let answer = decode_answer(body, schema, &self.name).map_err(|e| match e {
            AnswerError::Json(e) => self.error(format!(
                "{}: malformed JSON in the answer from {} ({e}); first bytes: {}",
                self.origin(),
                self.options.endpoint,
                String::from_utf8_lossy(&body[..body.len().min(120)])
            )),
            AnswerError::NoTable => self.error(format!(
                "{}: the answer from {} has no result table",
                self.origin(),
                self.options.endpoint
            )),
            AnswerError::Value(e) => e,
        })?;
        match answer.error {
            None => Ok(QueryOutcome::Complete(answer.batch)),
            Some(error) => {
                let mut messages = Vec::new();
                collect_messages(&error, &mut messages);
                let message = messages.join(": ");
                let lower = message.to_ascii_lowercase();
                let limit = lower.contains("e_query_result_set_too_large")
                    || lower.contains("exceed the set limit")
                    || lower.contains("limit")
                    || lower.contains("too large");
                Ok(QueryOutcome::Partial { message, limit })
            }
        }
    }

    /// Runs `kql` and decodes the answer into a batch of `schema`.
    pub async fn query(
        &self,
        kql: &str,
        timespan: Option<&str>,
        schema: &SchemaRef,
    ) -> Result<QueryOutcome> {
        let body = self.query_body(kql, timespan).await?;
        self.read_answer(&body, schema)
    }

    /// Runs `kql` and fails on any partial answer.
    pub async fn query_complete(
        &self,
        kql: &str,
        timespan: Option<&str>,
        schema: &SchemaRef,
    ) -> Result<RecordBatch> {
        match self.query(kql, timespan, schema).await? {
            QueryOutcome::Complete(batch) => Ok(batch),
            QueryOutcome::Partial { message, .. } => Err(self.error(format!(
                "{}: the service returned partial results ({message}); no rows are returned rather than some",
                self.origin()
            ))),
        }
    }

    /// The columns of the result of `kql` (`| getschema`).
    pub async fn schema_of_query(&self, kql: &str) -> Result<Vec<RawColumn>> {
        let wanted: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("ColumnName", DataType::Utf8, true),
            Field::new("ColumnType", DataType::Utf8, true),
        ]));
        let batch = self
            .query_complete(&format!("{kql}\n| getschema"), None, &wanted)
            .await
            .map_err(|e| {
                if e.to_string().contains("the answer has no column") {
                    self.error(format!(
                        "{}: `getschema` answered without ColumnName / ColumnType columns",
                        self.origin()
                    ))
                } else {
                    e
                }
            })?;
        let names = batch.column(0).as_string::<i32>();
        let kinds = batch.column(1).as_string::<i32>();
        Ok((0..batch.num_rows())
            .filter(|&i| names.is_valid(i) && kinds.is_valid(i))
            .map(|i| RawColumn {
                name: names.value(i).to_string(),
                kind: kinds.value(i).to_string(),
            })
            .collect())
    }

    /// The workspace's tables and columns (the metadata API).
    pub async fn tables(&self) -> Result<Vec<TableMeta>> {
        let url = format!(
            "{}/v1/workspaces/{}/metadata",
            self.options.endpoint,
            url::form_urlencoded::byte_serialize(self.options.workspace_id.as_bytes())
                .collect::<String>()
        );
        let bytes = self
            .send("the table list (metadata)", |token| {
                self.http.get(&url).bearer_auth(token)
            })
            .await?;
        let metadata: Metadata = serde_json::from_slice(&bytes).map_err(|e| {
            self.error(format!(
                "{}: malformed JSON in the metadata answer from {} ({e})",
                self.origin(),
                self.options.endpoint
            ))
        })?;
        Ok(metadata.tables)
    }
}

/// The service's error text from an error body (`{"error": {"message",
/// "innererror": {...}}}`), else the start of the body.
fn service_message(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(v) => {
            let mut messages = Vec::new();
            if let Some(code) = v.pointer("/error/code").and_then(Value::as_str) {
                messages.push(code.to_string());
            }
            collect_messages(v.get("error").unwrap_or(&v), &mut messages);
            if messages.is_empty() {
                body.chars().take(200).collect()
            } else {
                messages.join(": ")
            }
        }
        Err(_) => body.chars().take(200).collect(),
    }
}

fn collect_messages(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(m)) = map.get("message") {
                if !out.contains(m) {
                    out.push(m.clone());
                }
            }
            for (k, child) in map {
                if k != "message" {
                    collect_messages(child, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_messages(i, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_messages_are_found_in_nested_errors() {
        let body = r#"{"error":{"code":"BadArgumentError","message":"The request had some invalid properties",
            "innererror":{"code":"SyntaxError","message":"Query could not be parsed at 'whre'"}}}"#;
        let m = service_message(body);
        assert!(m.starts_with("BadArgumentError"), "{m}");
        assert!(m.contains("could not be parsed"), "{m}");
        assert_eq!(service_message("<html>oops"), "<html>oops");
    }
}
