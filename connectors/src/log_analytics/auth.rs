//! Access tokens for the Log Analytics API: client credentials against the
//! Microsoft identity platform v2 token endpoint (cached until shortly before
//! expiry), a bearer token from the environment, or the Azure CLI.

use std::time::{Duration, Instant};

use datafusion::error::{DataFusionError, Result};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::config::{AuthMethod, LogAnalyticsOptions};

/// Where tokens come from.
#[derive(Clone)]
pub enum Credential {
    ClientSecret {
        tenant_id: String,
        client_id: String,
        client_secret: String,
    },
    /// The token is read from this environment variable at each request.
    EnvToken(String),
    AzureCli {
        tenant_id: Option<String>,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::ClientSecret {
                tenant_id,
                client_id,
                ..
            } => write!(
                f,
                "ClientSecret {{ tenant_id: {tenant_id}, client_id: {client_id}, client_secret: *** }}"
            ),
            Credential::EnvToken(var) => write!(f, "EnvToken(${var})"),
            Credential::AzureCli { .. } => write!(f, "AzureCli"),
        }
    }
}

impl Credential {
    /// Chooses the credential the options ask for; `env` reads environment
    /// variables and `has_az` says whether the Azure CLI is installed.
    pub fn choose(
        origin: &str,
        options: &LogAnalyticsOptions,
        env: &dyn Fn(&str) -> Option<String>,
        has_az: &dyn Fn() -> bool,
    ) -> Result<Credential> {
        let client = || -> Result<Credential> {
            let missing: Vec<&str> = [
                (
                    "tenant_id (or AZURE_TENANT_ID)",
                    options.tenant_id.is_none(),
                ),
                (
                    "client_id (or AZURE_CLIENT_ID)",
                    options.client_id.is_none(),
                ),
                (
                    "client_secret (or AZURE_CLIENT_SECRET)",
                    options.client_secret.is_none(),
                ),
            ]
            .iter()
            .filter(|(_, m)| *m)
            .map(|(n, _)| *n)
            .collect();
            if !missing.is_empty() {
                return Err(DataFusionError::Configuration(format!(
                    "{origin}: client-credentials authentication needs {}",
                    missing.join(", ")
                )));
            }
            Ok(Credential::ClientSecret {
                tenant_id: options.tenant_id.clone().unwrap_or_default(),
                client_id: options.client_id.clone().unwrap_or_default(),
                client_secret: options.client_secret.clone().unwrap_or_default(),
            })
        };
        match options.auth {
            AuthMethod::ClientSecret => client(),
            AuthMethod::Token => Ok(Credential::EnvToken(options.token_env.clone())),
            AuthMethod::AzureCli => Ok(Credential::AzureCli {
                tenant_id: options.tenant_id.clone(),
            }),
            AuthMethod::Auto => {
                if env(&options.token_env).is_some_and(|t| !t.trim().is_empty()) {
                    Ok(Credential::EnvToken(options.token_env.clone()))
                } else if options.client_id.is_some() && options.client_secret.is_some() {
                    client()
                } else if has_az() {
                    Ok(Credential::AzureCli {
                        tenant_id: options.tenant_id.clone(),
                    })
                } else {
                    Err(DataFusionError::Configuration(format!(
                        "{origin}: no credentials for Log Analytics: set {} to a bearer token, \
                         or AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET (or tenant_id, \
                         client_id, client_secret in the source), or install the Azure CLI and run `az login`",
                        options.token_env
                    )))
                }
            }
        }
    }
}

/// How long before its expiry a cached token is replaced: 5 minutes, or
/// half the lifetime of a short-lived token.
pub fn refresh_margin(lifetime: Duration) -> Duration {
    std::cmp::min(Duration::from_secs(300), lifetime / 2)
}

#[derive(Clone)]
struct Cached {
    token: String,
    refresh_at: Instant,
}

/// Hands out tokens, caching client-credential and CLI tokens.
pub struct TokenSource {
    origin: String,
    credential: Credential,
    token_url: String,
    scope: String,
    resource: String,
    http: reqwest::Client,
    cache: Mutex<Option<Cached>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("credential", &self.credential)
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct CliToken {
    #[serde(rename = "accessToken")]
    access_token: String,
    expires_on: Option<i64>,
}

impl TokenSource {
    pub fn new(
        origin: &str,
        credential: Credential,
        options: &LogAnalyticsOptions,
        http: reqwest::Client,
    ) -> Self {
        let tenant = match &credential {
            Credential::ClientSecret { tenant_id, .. } => tenant_id.clone(),
            _ => String::new(),
        };
        TokenSource {
            origin: origin.to_string(),
            credential,
            token_url: format!(
                "{}/{}/oauth2/v2.0/token",
                options.authority_host,
                url::form_urlencoded::byte_serialize(tenant.as_bytes()).collect::<String>()
            ),
            scope: options.scope.clone(),
            resource: options.resource.clone(),
            http,
            cache: Mutex::new(None),
        }
    }

    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// Forgets the cached token (after a 401).
    pub async fn invalidate(&self) {
        *self.cache.lock().await = None;
    }

    /// A valid bearer token.
    pub async fn token(&self) -> Result<String> {
        if let Credential::EnvToken(var) = &self.credential {
            return std::env::var(var)
                .ok()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    DataFusionError::Configuration(format!(
                        "{}: auth = \"token\" but ${var} is not set: put a Log Analytics access token there \
                         (e.g. from `az account get-access-token --resource https://api.loganalytics.io`)",
                        self.origin
                    ))
                });
        }
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref() {
            if Instant::now() < c.refresh_at {
                return Ok(c.token.clone());
            }
        }
        let (token, lifetime) = match &self.credential {
            Credential::ClientSecret {
                tenant_id,
                client_id,
                client_secret,
            } => {
                self.client_credentials(tenant_id, client_id, client_secret)
                    .await?
            }
            Credential::AzureCli { tenant_id } => self.azure_cli(tenant_id.clone()).await?,
            Credential::EnvToken(_) => unreachable!("handled above"),
        };
        *cache = Some(Cached {
            token: token.clone(),
            refresh_at: Instant::now() + lifetime.saturating_sub(refresh_margin(lifetime)),
        });
        Ok(token)
    }

    async fn client_credentials(
        &self,
        tenant_id: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<(String, Duration)> {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", client_id)
            .append_pair("client_secret", client_secret)
            .append_pair("scope", &self.scope)
            .finish();
        let fail = |what: String| {
            DataFusionError::Execution(super::redact_with(
                &format!(
                    "{}: cannot get a token from {} for tenant {tenant_id}: {what}",
                    self.origin, self.token_url
                ),
                &[client_secret.to_string()],
            ))
        };
        let response = self
            .http
            .post(&self.token_url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| fail(format!("{e}; check authority_host and the network")))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| fail(format!("reading the answer: {e}")))?;
        let parsed: Option<TokenResponse> = serde_json::from_str(&text).ok();
        match parsed {
            Some(TokenResponse {
                access_token: Some(token),
                expires_in,
                ..
            }) if status.is_success() => {
                let seconds = match expires_in {
                    Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(3600),
                    Some(serde_json::Value::String(s)) => s.parse().unwrap_or(3600),
                    _ => 3600,
                };
                Ok((token, Duration::from_secs(seconds)))
            }
            Some(TokenResponse {
                error: Some(error),
                error_description,
                ..
            }) => {
                let description = error_description.unwrap_or_default();
                let first = description.lines().next().unwrap_or("").trim();
                let hint = if error == "invalid_client" || error == "unauthorized_client" {
                    "; the client id or secret was refused: check AZURE_CLIENT_ID / AZURE_CLIENT_SECRET \
                     (or client_id / client_secret), and that the secret has not expired"
                } else if first.contains("AADSTS90002") || first.contains("AADSTS900023") {
                    "; check tenant_id (or AZURE_TENANT_ID)"
                } else {
                    ""
                };
                Err(fail(format!("{status} {error}: {first}{hint}")))
            }
            _ => Err(fail(format!(
                "unexpected answer {status}: {}",
                text.chars().take(200).collect::<String>()
            ))),
        }
    }

    async fn azure_cli(&self, tenant_id: Option<String>) -> Result<(String, Duration)> {
        let origin = self.origin.clone();
        let resource = self.resource.clone();
        let output = tokio::task::spawn_blocking(move || {
            let mut cmd = std::process::Command::new("az");
            cmd.args([
                "account",
                "get-access-token",
                "--resource",
                &resource,
                "--output",
                "json",
            ]);
            if let Some(t) = &tenant_id {
                cmd.args(["--tenant", t]);
            }
            cmd.output()
        })
        .await
        .map_err(|e| DataFusionError::Execution(format!("{origin}: Azure CLI task failed: {e}")))?
        .map_err(|e| {
            DataFusionError::Configuration(format!(
                "{}: cannot run the Azure CLI (`az`): {e}; install it and run `az login`, or use \
                 client credentials or ${}",
                self.origin,
                super::config::TOKEN_ENV
            ))
        })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(DataFusionError::Configuration(format!(
                "{}: `az account get-access-token` failed: {}; run `az login`",
                self.origin,
                stderr.lines().next().unwrap_or("").trim()
            )));
        }
        let parsed: CliToken = serde_json::from_slice(&output.stdout).map_err(|e| {
            DataFusionError::Execution(format!(
                "{}: cannot read the Azure CLI's token: {e}",
                self.origin
            ))
        })?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let lifetime = parsed
            .expires_on
            .map(|e| Duration::from_secs((e - now).max(0) as u64))
            .unwrap_or(Duration::from_secs(600));
        Ok((parsed.access_token, lifetime))
    }
}

/// Whether the Azure CLI is on the PATH.
pub fn azure_cli_installed() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("az").is_file()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(pairs: &[(&str, &str)]) -> LogAnalyticsOptions {
        LogAnalyticsOptions::from_pairs(
            "t",
            pairs.iter().map(|(k, v)| (*k, v.to_string())),
            &|_| None,
        )
        .unwrap()
    }

    #[test]
    fn refresh_happens_before_expiry() {
        assert_eq!(
            refresh_margin(Duration::from_secs(3599)),
            Duration::from_secs(300)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(60)),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn auto_prefers_env_token_then_client_then_cli() {
        let o = options(&[("workspace_id", "w")]);
        let env_token = |n: &str| (n == "HUNTSQL_LOG_ANALYTICS_TOKEN").then(|| "tok".to_string());
        assert!(matches!(
            Credential::choose("t", &o, &env_token, &|| true).unwrap(),
            Credential::EnvToken(_)
        ));
        let c = options(&[
            ("workspace_id", "w"),
            ("tenant_id", "t"),
            ("client_id", "c"),
            ("client_secret", "very-secret"),
        ]);
        let chosen = Credential::choose("t", &c, &|_| None, &|| true).unwrap();
        assert!(matches!(chosen, Credential::ClientSecret { .. }));
        assert!(!format!("{chosen:?}").contains("very-secret"));
        assert!(matches!(
            Credential::choose("t", &o, &|_| None, &|| true).unwrap(),
            Credential::AzureCli { .. }
        ));
        let err = Credential::choose("t", &o, &|_| None, &|| false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("HUNTSQL_LOG_ANALYTICS_TOKEN") && err.contains("AZURE_CLIENT_SECRET"),
            "{err}"
        );
        let partial = options(&[("workspace_id", "w"), ("auth", "client_secret")]);
        let err = Credential::choose("t", &partial, &|_| None, &|| false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("tenant_id") && err.contains("client_secret"),
            "{err}"
        );
    }
}
