//! The options of a Log Analytics source, from a `[sources.NAME]` entry
//! (`kind = "log_analytics"`) or `CREATE EXTERNAL TABLE ... OPTIONS (...)`.
//!
//! ```toml
//! [sources.sentinel]
//! kind = "log_analytics"
//! workspace_id = "00000000-0000-0000-0000-000000000000"
//! tenant_id = "11111111-1111-1111-1111-111111111111"   # else AZURE_TENANT_ID
//! # auth = "auto"   # or client_secret, token, azure_cli
//! # cloud = "public"  # china, usgovernment: endpoint, login host and scope
//! # chunk = "1d"      # time range of one request in large pulls
//! ```

use std::time::Duration;

use datafusion::error::{DataFusionError, Result};

/// Default query endpoint (public cloud).
pub const PUBLIC_ENDPOINT: &str = "https://api.loganalytics.io";
/// Default Microsoft identity platform host (public cloud).
pub const PUBLIC_AUTHORITY: &str = "https://login.microsoftonline.com";
/// The environment variable a bearer token is read from by default.
pub const TOKEN_ENV: &str = "HUNTSQL_LOG_ANALYTICS_TOKEN";

const NS_PER_SEC: i64 = 1_000_000_000;

/// How the source gets its access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// A token in the environment, else client credentials, else the Azure CLI.
    Auto,
    /// Client credentials (tenant, client id, client secret) against the v2
    /// token endpoint.
    ClientSecret,
    /// A bearer token from an environment variable (`token_env`).
    Token,
    /// `az account get-access-token`.
    AzureCli,
}

/// Every option of a Log Analytics source. Secrets are never printed
/// (see the `Debug` implementation).
#[derive(Clone)]
pub struct LogAnalyticsOptions {
    pub workspace_id: String,
    /// Query API base URL, e.g. `https://api.loganalytics.io`.
    pub endpoint: String,
    /// Identity platform base URL, e.g. `https://login.microsoftonline.com`.
    pub authority_host: String,
    /// The resource tokens are asked for (`https://api.loganalytics.io`).
    pub resource: String,
    /// OAuth scope (`{resource}/.default`).
    pub scope: String,
    pub auth: AuthMethod,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// The environment variable holding a bearer token.
    pub token_env: String,
    /// `Prefer: wait=N`: how long the service may run one query.
    pub wait_seconds: u64,
    /// HTTP timeout of one request.
    pub timeout: Duration,
    /// Retries of one request after 429, 5xx, resets and timeouts.
    pub max_retries: u32,
    /// First backoff delay (doubled after each retry, at most 30 s).
    pub retry_base: Duration,
    /// Longest `Retry-After` honoured; a longer one fails the request.
    pub max_retry_after: Duration,
    /// Time range of one request in a chunked pull, in nanoseconds.
    pub chunk_ns: i64,
    /// Requests in flight at once for this source.
    pub max_concurrency: usize,
    /// The column time ranges apply to (`TimeGenerated`).
    pub time_column: String,
    /// Tables to expose (else every table the workspace lists).
    pub tables: Option<Vec<String>>,
    /// The one table of `CREATE EXTERNAL TABLE ... STORED AS LOG_ANALYTICS`.
    pub table: Option<String>,
    /// Progress lines on stderr for pulls of more than one chunk.
    pub progress: bool,
}

impl std::fmt::Debug for LogAnalyticsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogAnalyticsOptions")
            .field("workspace_id", &self.workspace_id)
            .field("endpoint", &self.endpoint)
            .field("authority_host", &self.authority_host)
            .field("auth", &self.auth)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("token_env", &self.token_env)
            .field("chunk_ns", &self.chunk_ns)
            .finish_non_exhaustive()
    }
}

/// The option names, for error messages.
pub const OPTION_NAMES: &str =
    "workspace_id, endpoint, authority_host, cloud, resource, scope, auth, \
     tenant_id, client_id, client_secret, token_env, wait, timeout, max_retries, retry_base_ms, \
     max_retry_after, chunk, max_concurrency, time_column, tables, table, progress";

/// Whether an option's value is a secret.
pub fn is_secret_option(key: &str) -> bool {
    matches!(key, "client_secret" | "token")
}

impl LogAnalyticsOptions {
    /// Parses `key = value` pairs; `origin` names them in errors (e.g.
    /// `config [sources.sentinel]`); `env` reads environment variables
    /// (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`).
    pub fn from_pairs<'a>(
        origin: &str,
        pairs: impl IntoIterator<Item = (&'a str, String)>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let bad = |key: &str, value: &str, expected: &str| {
            DataFusionError::Configuration(format!(
                "{origin}: option {key} = '{}' is invalid: expected {expected}",
                if is_secret_option(key) { "***" } else { value }
            ))
        };
        let mut workspace_id = None;
        let mut endpoint = None;
        let mut authority_host = None;
        let mut cloud = "public".to_string();
        let mut resource = None;
        let mut scope = None;
        let mut auth = AuthMethod::Auto;
        let mut tenant_id = None;
        let mut client_id = None;
        let mut client_secret = None;
        let mut token_env = TOKEN_ENV.to_string();
        let mut wait_seconds = 180u64;
        let mut timeout = None;
        let mut max_retries = 4u32;
        let mut retry_base = Duration::from_millis(500);
        let mut max_retry_after = Duration::from_secs(120);
        let mut chunk_ns = 86_400 * NS_PER_SEC;
        let mut max_concurrency = 4usize;
        let mut time_column = "TimeGenerated".to_string();
        let mut tables = None;
        let mut table = None;
        let mut progress = true;
        for (key, value) in pairs {
            let v = value.trim().to_string();
            match key {
                "workspace_id" | "workspace" => workspace_id = Some(v),
                "endpoint" => endpoint = Some(v.trim_end_matches('/').to_string()),
                "authority_host" => authority_host = Some(v.trim_end_matches('/').to_string()),
                "cloud" => cloud = v.to_ascii_lowercase(),
                "resource" => resource = Some(v.trim_end_matches('/').to_string()),
                "scope" => scope = Some(v),
                "auth" => {
                    auth = match v.as_str() {
                        "auto" => AuthMethod::Auto,
                        "client_secret" => AuthMethod::ClientSecret,
                        "token" => AuthMethod::Token,
                        "azure_cli" | "az" => AuthMethod::AzureCli,
                        _ => {
                            return Err(bad(
                                key,
                                &v,
                                "auto, client_secret, token or azure_cli",
                            ))
                        }
                    }
                }
                "tenant_id" => tenant_id = Some(v),
                "client_id" => client_id = Some(v),
                "client_secret" => client_secret = Some(v),
                "token_env" => token_env = v,
                "wait" => {
                    wait_seconds = v
                        .parse()
                        .map_err(|_| bad(key, &v, "a number of seconds"))?
                }
                "timeout" => {
                    timeout = Some(Duration::from_secs(
                        v.parse().map_err(|_| bad(key, &v, "a number of seconds"))?,
                    ))
                }
                "max_retries" => {
                    max_retries = v
                        .parse()
                        .map_err(|_| bad(key, &v, "a number of retries"))?
                }
                "retry_base_ms" => {
                    retry_base = Duration::from_millis(
                        v.parse()
                            .map_err(|_| bad(key, &v, "a number of milliseconds"))?,
                    )
                }
                "max_retry_after" => {
                    max_retry_after = Duration::from_secs(
                        v.parse().map_err(|_| bad(key, &v, "a number of seconds"))?,
                    )
                }
                "chunk" => {
                    chunk_ns = parse_duration(&v)
                        .filter(|ns| *ns >= NS_PER_SEC)
                        .ok_or_else(|| {
                            bad(key, &v, "a duration of at least 1s such as 1d, 6h, 30m")
                        })?
                }
                "max_concurrency" => {
                    max_concurrency = v
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| bad(key, &v, "a number of requests above 0"))?
                }
                "time_column" => time_column = v,
                "tables" => {
                    tables = Some(
                        v.split(',')
                            .map(|t| t.trim().to_string())
                            .filter(|t| !t.is_empty())
                            .collect(),
                    )
                }
                "table" => table = Some(v),
                "progress" => {
                    progress = match v.to_ascii_lowercase().as_str() {
                        "true" | "yes" | "1" => true,
                        "false" | "no" | "0" => false,
                        _ => return Err(bad(key, &v, "true or false")),
                    }
                }
                // Ignored: the config's generic keys.
                "kind" | "url" => {}
                other => {
                    return Err(DataFusionError::Configuration(format!(
                        "{origin}: unknown option '{other}' for a Log Analytics source; known options: {OPTION_NAMES}"
                    )))
                }
            }
        }
        let (default_endpoint, default_authority, default_resource) =
            match cloud.as_str() {
                "public" | "azurecloud" => (PUBLIC_ENDPOINT, PUBLIC_AUTHORITY, PUBLIC_ENDPOINT),
                "china" | "azurechinacloud" => (
                    "https://api.loganalytics.azure.cn",
                    "https://login.chinacloudapi.cn",
                    "https://api.loganalytics.azure.cn",
                ),
                "usgovernment" | "usgov" | "azureusgovernment" => (
                    "https://api.loganalytics.us",
                    "https://login.microsoftonline.us",
                    "https://api.loganalytics.us",
                ),
                _ => return Err(bad(
                    "cloud",
                    &cloud,
                    "public, china or usgovernment (or set endpoint, authority_host and resource)",
                )),
            };
        let workspace_id = workspace_id.filter(|w| !w.is_empty()).ok_or_else(|| {
            DataFusionError::Configuration(format!(
                "{origin}: workspace_id is required for a Log Analytics source \
                 (the workspace's id, a GUID shown on its Overview page)"
            ))
        })?;
        let resource = resource.unwrap_or_else(|| default_resource.to_string());
        let scope = scope.unwrap_or_else(|| format!("{resource}/.default"));
        let tenant_id = tenant_id.or_else(|| env("AZURE_TENANT_ID"));
        let client_id = client_id.or_else(|| env("AZURE_CLIENT_ID"));
        let client_secret = client_secret.or_else(|| env("AZURE_CLIENT_SECRET"));
        Ok(LogAnalyticsOptions {
            workspace_id,
            endpoint: endpoint.unwrap_or_else(|| default_endpoint.to_string()),
            authority_host: authority_host.unwrap_or_else(|| default_authority.to_string()),
            resource,
            scope,
            auth,
            tenant_id,
            client_id,
            client_secret,
            token_env,
            wait_seconds,
            timeout: timeout.unwrap_or(Duration::from_secs(wait_seconds + 60)),
            max_retries,
            retry_base,
            max_retry_after,
            chunk_ns,
            max_concurrency,
            time_column,
            tables,
            table,
            progress,
        })
    }

    /// The secrets among the options, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        self.client_secret.iter().cloned().collect()
    }
}

/// Parses `1d`, `6h`, `30m`, `90s`, `500ms` (or a sum such as `1d12h`) into
/// nanoseconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = rest[..unit_len].trim();
        rest = &rest[unit_len..];
        let scale = match unit {
            "d" | "day" | "days" => 86_400.0 * 1e9,
            "h" | "hour" | "hours" => 3_600.0 * 1e9,
            "m" | "min" | "minutes" => 60.0 * 1e9,
            "s" | "sec" | "seconds" => 1e9,
            "ms" => 1e6,
            _ => return None,
        };
        let ns = number * scale;
        if !ns.is_finite() || ns > i64::MAX as f64 / 2.0 {
            return None;
        }
        total = total.checked_add(ns as i64)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<LogAnalyticsOptions> {
        LogAnalyticsOptions::from_pairs(
            "test",
            pairs.iter().map(|(k, v)| (*k, v.to_string())),
            &|name| match name {
                "AZURE_CLIENT_SECRET" => Some("env-secret-value".into()),
                _ => None,
            },
        )
    }

    #[test]
    fn defaults_clouds_and_errors() {
        let o = parse(&[("workspace_id", "w")]).unwrap();
        assert_eq!(o.endpoint, PUBLIC_ENDPOINT);
        assert_eq!(o.scope, "https://api.loganalytics.io/.default");
        assert_eq!(o.chunk_ns, 86_400 * NS_PER_SEC);
        assert_eq!(o.client_secret.as_deref(), Some("env-secret-value"));
        assert!(!format!("{o:?}").contains("env-secret-value"));

        let cn = parse(&[("workspace_id", "w"), ("cloud", "china")]).unwrap();
        assert_eq!(cn.endpoint, "https://api.loganalytics.azure.cn");
        assert_eq!(cn.authority_host, "https://login.chinacloudapi.cn");
        assert_eq!(cn.scope, "https://api.loganalytics.azure.cn/.default");

        let err = parse(&[]).unwrap_err().to_string();
        assert!(err.contains("workspace_id is required"), "{err}");
        let err = parse(&[("workspace_id", "w"), ("colour", "x")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown option 'colour'"), "{err}");
        let err = parse(&[("workspace_id", "w"), ("chunk", "0s")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("chunk"), "{err}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1d"), Some(86_400 * NS_PER_SEC));
        assert_eq!(parse_duration("1d12h"), Some(36 * 3_600 * NS_PER_SEC));
        assert_eq!(parse_duration("500ms"), Some(500_000_000));
        assert_eq!(parse_duration("1.5h"), Some(5_400 * NS_PER_SEC));
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("5 weeks"), None);
    }
}
