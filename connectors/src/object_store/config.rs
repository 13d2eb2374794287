//! Object store options: what a `CREATE EXTERNAL TABLE ... OPTIONS (...)`
//! clause or a `[sources.NAME]` entry of the configuration file says about
//! one bucket, and how that becomes an `ObjectStore`.
//!
//! Keys are DataFusion's (`aws.access_key_id`, `aws.secret_access_key`,
//! `aws.session_token`, `aws.region`, `aws.endpoint`, `aws.allow_http`) plus
//! any key object_store itself knows for the scheme (`aws.skip_signature`,
//! `gcp.service_account_path`, `azure.account_name`, ...). Three keys apply to
//! every scheme: `<prefix>.timeout` and `<prefix>.connect_timeout` (seconds)
//! and `<prefix>.retries`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use datafusion::error::{DataFusionError, Result};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::{ClientOptions, ObjectStore, RetryConfig};
use url::Url;

/// Seconds a request may take before it fails (and is retried).
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// Seconds to wait for a connection.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 5;
/// Retries of a failed request; all retries together stop after
/// [`DEFAULT_RETRY_TIMEOUT_SECS`].
pub const DEFAULT_RETRIES: usize = 2;
pub const DEFAULT_RETRY_TIMEOUT_SECS: u64 = 15;

/// The object stores huntsql knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// `s3://` (and `s3a://`): Amazon S3 or anything speaking its API.
    S3,
    /// `gs://`: Google Cloud Storage.
    Gcs,
    /// `az://`, `azure://`, `abfs://`, `abfss://`: Azure Blob Storage / ADLS Gen2.
    Azure,
}

impl Cloud {
    /// The cloud for a URL scheme; `None` for `file` and unknown schemes.
    pub fn from_scheme(scheme: &str) -> Option<Self> {
        match scheme {
            "s3" | "s3a" => Some(Cloud::S3),
            "gs" | "gcs" => Some(Cloud::Gcs),
            "az" | "azure" | "abfs" | "abfss" | "adl" => Some(Cloud::Azure),
            _ => None,
        }
    }

    /// The option prefix: `aws`, `gcp` or `azure`.
    pub fn prefix(self) -> &'static str {
        match self {
            Cloud::S3 => "aws",
            Cloud::Gcs => "gcp",
            Cloud::Azure => "azure",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cloud::S3 => "S3",
            Cloud::Gcs => "Google Cloud Storage",
            Cloud::Azure => "Azure Blob Storage",
        })
    }
}

/// Whether a string is a URL huntsql reads through an object store.
pub fn is_object_store_url(location: &str) -> bool {
    location
        .split_once("://")
        .is_some_and(|(scheme, _)| Cloud::from_scheme(&scheme.to_ascii_lowercase()).is_some())
}

/// Whether an option holds a secret (its value is never shown).
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "secret",
        "token",
        "password",
        "sas",
        "access_key",
        "api_key",
        "service_account_key",
        "client_secret",
        "credentials",
    ]
    .iter()
    .any(|word| key.contains(word))
        && !key.ends_with("_path")
        && !key.ends_with("_file")
}

/// The options for one bucket (or container), keyed with their prefix
/// (`aws.region`). Its `Debug` output shows secrets as `***`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StoreOptions {
    options: BTreeMap<String, String>,
}

impl fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.options.iter().map(|(k, v)| {
                let shown = if is_secret_key(k) { "***" } else { v.as_str() };
                (k, shown)
            }))
            .finish()
    }
}

impl StoreOptions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key = value`; the key keeps its prefix (`aws.region`).
    pub fn set(&mut self, key: &str, value: &str) {
        self.options
            .insert(key.to_ascii_lowercase(), value.to_string());
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.options.get(key).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.options.is_empty()
    }

    /// The values of the secret options, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        self.options
            .iter()
            .filter(|(k, v)| is_secret_key(k) && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Moves the object-store options (`aws.*`, `gcp.*`, `azure.*`) out of a
    /// table's `OPTIONS (...)`, leaving the format options.
    pub fn take_from(options: &mut std::collections::HashMap<String, String>) -> Self {
        let mut taken = StoreOptions::new();
        options.retain(|key, value| {
            let is_store = ["aws.", "gcp.", "azure."]
                .iter()
                .any(|p| key.to_ascii_lowercase().starts_with(p));
            if is_store {
                taken.set(key, value);
            }
            !is_store
        });
        taken
    }

    /// Options given without their prefix (a `[sources.NAME]` entry): each
    /// key gets the prefix of `cloud`.
    pub fn from_unprefixed<'a>(
        cloud: Cloud,
        entries: impl IntoIterator<Item = (&'a str, String)>,
    ) -> Self {
        let mut options = StoreOptions::new();
        for (key, value) in entries {
            options.set(&format!("{}.{key}", cloud.prefix()), &value);
        }
        options
    }

    /// These options, overridden by `other`'s.
    pub fn merged_with(&self, other: &StoreOptions) -> StoreOptions {
        let mut merged = self.clone();
        merged
            .options
            .extend(other.options.iter().map(|(k, v)| (k.clone(), v.clone())));
        merged
    }

    fn seconds(&self, prefix: &str, name: &str, default: u64) -> Result<Duration> {
        let key = format!("{prefix}.{name}");
        match self.get(&key) {
            None => Ok(Duration::from_secs(default)),
            Some(v) => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| {
                    DataFusionError::Configuration(format!(
                        "option '{key}' = '{v}' is not a number of seconds; use e.g. '{key}' '30'"
                    ))
                }),
        }
    }

    fn client_options(&self, prefix: &str) -> Result<(ClientOptions, RetryConfig)> {
        let timeout = self.seconds(prefix, "timeout", DEFAULT_TIMEOUT_SECS)?;
        let connect = self.seconds(prefix, "connect_timeout", DEFAULT_CONNECT_TIMEOUT_SECS)?;
        let retries_key = format!("{prefix}.retries");
        let max_retries = match self.get(&retries_key) {
            None => DEFAULT_RETRIES,
            Some(v) => v.trim().parse().map_err(|_| {
                DataFusionError::Configuration(format!(
                    "option '{retries_key}' = '{v}' is not a whole number of retries"
                ))
            })?,
        };
        let client = ClientOptions::new()
            .with_timeout(timeout)
            .with_connect_timeout(connect);
        let retry = RetryConfig {
            max_retries,
            retry_timeout: Duration::from_secs(DEFAULT_RETRY_TIMEOUT_SECS).max(timeout),
            ..RetryConfig::default()
        };
        Ok((client, retry))
    }

    /// The options under `prefix.` other than the generic client ones, with
    /// the prefix removed.
    fn scheme_options(&self, prefix: &str) -> Vec<(String, String)> {
        let head = format!("{prefix}.");
        self.options
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(&head).map(|k| (k.to_string(), v.clone())))
            .filter(|(k, _)| !matches!(k.as_str(), "timeout" | "connect_timeout" | "retries"))
            .collect()
    }

    /// Options for another cloud than the URL's are a mistake worth naming.
    fn check_prefixes(&self, cloud: Cloud, url: &Url) -> Result<()> {
        let own = format!("{}.", cloud.prefix());
        if let Some(key) = self.options.keys().find(|k| !k.starts_with(&own)) {
            return Err(DataFusionError::Configuration(format!(
                "option '{key}' does not apply to {url} ({cloud}); its options start with '{own}'"
            )));
        }
        Ok(())
    }

    /// Builds the store for the bucket (or container) of `url`.
    pub fn build(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        let cloud = Cloud::from_scheme(url.scheme()).ok_or_else(|| {
            DataFusionError::Configuration(format!(
                "{url}: huntsql reads s3://, gs://, az:// and abfss:// URLs, not {}://",
                url.scheme()
            ))
        })?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(DataFusionError::Configuration(format!(
                "{url}: the URL names no bucket; write {}://BUCKET/PREFIX/",
                url.scheme()
            )));
        }
        super::remember_secrets(&self.secrets());
        self.check_prefixes(cloud, url)?;
        let (client, retry) = self.client_options(cloud.prefix())?;
        let store: Arc<dyn ObjectStore> = match cloud {
            Cloud::S3 => Arc::new(self.build_s3(url, client, retry)?),
            Cloud::Gcs => {
                let mut b = GoogleCloudStorageBuilder::from_env()
                    .with_url(url.as_str())
                    .with_client_options(client)
                    .with_retry(retry);
                for (key, value) in self.scheme_options("gcp") {
                    let parsed = GoogleConfigKey::from_str(&key).map_err(|_| {
                        unknown_key(
                            cloud,
                            &key,
                            "service_account_path, service_account_key, application_credentials",
                        )
                    })?;
                    b = b.with_config(parsed, value);
                }
                Arc::new(b.build().map_err(|e| store_error(cloud, url, e))?)
            }
            Cloud::Azure => {
                let mut b = MicrosoftAzureBuilder::from_env()
                    .with_url(url.as_str())
                    .with_client_options(client)
                    .with_retry(retry);
                for (key, value) in self.scheme_options("azure") {
                    let parsed = AzureConfigKey::from_str(&key).map_err(|_| {
                        unknown_key(cloud, &key, "account_name, access_key, sas_token (as sas_key), client_id, client_secret, tenant_id, endpoint, use_emulator")
                    })?;
                    b = b.with_config(parsed, value);
                }
                Arc::new(b.build().map_err(|e| store_error(cloud, url, e))?)
            }
        };
        Ok(store)
    }

    fn build_s3(
        &self,
        url: &Url,
        client: ClientOptions,
        retry: RetryConfig,
    ) -> Result<object_store::aws::AmazonS3> {
        let cloud = Cloud::S3;
        let bucket = url.host_str().unwrap_or_default();
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_client_options(client)
            .with_retry(retry);
        let mut profile = None;
        let mut allow_http = None;
        for (key, value) in self.scheme_options("aws") {
            match key.as_str() {
                "profile" => profile = Some(value),
                "allow_http" => {
                    let v = parse_bool("aws.allow_http", &value)?;
                    allow_http = Some(v);
                    b = b.with_allow_http(v);
                }
                _ => {
                    let parsed = AmazonS3ConfigKey::from_str(&key).map_err(|_| {
                        unknown_key(cloud, &key, "access_key_id, secret_access_key, session_token, region, endpoint, allow_http, profile, skip_signature")
                    })?;
                    b = b.with_config(parsed, value);
                }
            }
        }
        let endpoint = b
            .get_config_value(&AmazonS3ConfigKey::Endpoint)
            .unwrap_or_default();
        if endpoint.starts_with("http://") && allow_http != Some(true) {
            let from_env = std::env::var("AWS_ALLOW_HTTP").is_ok_and(|v| v == "true");
            if !from_env {
                return Err(DataFusionError::Configuration(format!(
                    "{url}: endpoint {endpoint} is plain HTTP, which S3 clients refuse by default; set 'aws.allow_http' 'true' (allow_http = true in a [sources] entry) if that is intended"
                )));
            }
        }
        let has_key = b
            .get_config_value(&AmazonS3ConfigKey::AccessKeyId)
            .is_some();
        if !has_key {
            // The AWS shared files, as the AWS CLI reads them.
            let profile_name = profile
                .clone()
                .or_else(|| std::env::var("AWS_PROFILE").ok())
                .unwrap_or_else(|| "default".to_string());
            if let Some(creds) = read_profile(&profile_name)? {
                b = b
                    .with_access_key_id(creds.access_key_id)
                    .with_secret_access_key(creds.secret_access_key);
                if let Some(token) = creds.session_token {
                    b = b.with_token(token);
                }
                if b.get_config_value(&AmazonS3ConfigKey::Region).is_none() {
                    if let Some(region) = creds.region {
                        b = b.with_region(region);
                    }
                }
            } else if let Some(name) = &profile {
                return Err(DataFusionError::Configuration(format!(
                    "{url}: AWS profile '{name}' has no aws_access_key_id in {} (or $AWS_SHARED_CREDENTIALS_FILE); add it there or give access_key_id / secret_access_key",
                    credentials_file().map(|p| p.display().to_string()).unwrap_or_else(|| "~/.aws/credentials".into())
                )));
            } else if !has_other_credential_source() {
                // No credentials anywhere: read anonymously (public buckets)
                // instead of waiting on the EC2 metadata service.
                b = b.with_skip_signature(true);
            }
        }
        b.build().map_err(|e| store_error(cloud, url, e))
    }
}

fn has_other_credential_source() -> bool {
    [
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_SKIP_SIGNATURE",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some())
}

fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(DataFusionError::Configuration(format!(
            "option '{key}' = '{value}': expected true or false"
        ))),
    }
}

fn unknown_key(cloud: Cloud, key: &str, known: &str) -> DataFusionError {
    DataFusionError::Configuration(format!(
        "unknown {cloud} option '{}.{key}'; known options include {}, and timeout, connect_timeout, retries",
        cloud.prefix(),
        known
    ))
}

fn store_error(cloud: Cloud, url: &Url, e: object_store::Error) -> DataFusionError {
    DataFusionError::Configuration(format!("cannot set up {cloud} access for {url}: {e}"))
}

/// Credentials read from an AWS shared credentials file.
struct ProfileCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    region: Option<String>,
}

fn credentials_file() -> Option<PathBuf> {
    std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".aws").join("credentials")))
}

fn config_file() -> Option<PathBuf> {
    std::env::var_os("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".aws").join("config")))
}

/// The `key = value` pairs of section `[name]` of an INI file.
fn ini_section(text: &str, name: &str) -> Option<BTreeMap<String, String>> {
    let mut found: Option<BTreeMap<String, String>> = None;
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = section.trim() == name;
            if inside {
                found.get_or_insert_with(BTreeMap::new);
            }
            continue;
        }
        if inside {
            if let Some((k, v)) = line.split_once('=') {
                found
                    .get_or_insert_with(BTreeMap::new)
                    .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
    }
    found
}

/// Credentials of `profile` from the shared credentials file (or the config
/// file's `[profile NAME]`), and its region from the config file.
fn read_profile(profile: &str) -> Result<Option<ProfileCredentials>> {
    let read = |path: Option<PathBuf>| path.and_then(|p| std::fs::read_to_string(p).ok());
    let credentials = read(credentials_file());
    let config = read(config_file());
    let config_section = config.as_deref().and_then(|c| {
        let name = if profile == "default" {
            "default".to_string()
        } else {
            format!("profile {profile}")
        };
        ini_section(c, &name)
    });
    let section = credentials
        .as_deref()
        .and_then(|c| ini_section(c, profile))
        .filter(|s| s.contains_key("aws_access_key_id"))
        .or_else(|| {
            config_section
                .clone()
                .filter(|s| s.contains_key("aws_access_key_id"))
        });
    let Some(section) = section else {
        return Ok(None);
    };
    let Some(secret) = section.get("aws_secret_access_key") else {
        return Err(DataFusionError::Configuration(format!(
            "AWS profile '{profile}' has aws_access_key_id but no aws_secret_access_key"
        )));
    };
    Ok(Some(ProfileCredentials {
        access_key_id: section["aws_access_key_id"].clone(),
        secret_access_key: secret.clone(),
        session_token: section.get("aws_session_token").cloned(),
        region: config_section
            .and_then(|s| s.get("region").cloned())
            .or_else(|| section.get("region").cloned()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn schemes_map_to_clouds() {
        assert!(is_object_store_url("s3://b/p/"));
        assert!(is_object_store_url("gs://b/x.parquet"));
        assert!(is_object_store_url("abfss://c@acct.dfs.core.windows.net/x"));
        assert!(!is_object_store_url("/tmp/x.parquet"));
        assert!(!is_object_store_url("file:///tmp/x"));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let mut o = StoreOptions::new();
        o.set("aws.secret_access_key", "TOPSECRET");
        o.set("aws.session_token", "TOKENVALUE");
        o.set("aws.region", "eu-west-1");
        let shown = format!("{o:?}");
        assert!(
            !shown.contains("TOPSECRET") && !shown.contains("TOKENVALUE"),
            "{shown}"
        );
        assert!(shown.contains("eu-west-1"), "{shown}");
        assert_eq!(o.secrets().len(), 2);
    }

    #[test]
    fn table_options_are_split_from_format_options() {
        let mut options = std::collections::HashMap::from([
            ("aws.region".to_string(), "us-east-1".to_string()),
            ("format.has_header".to_string(), "true".to_string()),
        ]);
        let store = StoreOptions::take_from(&mut options);
        assert_eq!(store.get("aws.region"), Some("us-east-1"));
        assert_eq!(options.len(), 1);
    }

    #[test]
    fn s3_stores_build_offline_and_bad_options_say_what_to_do() {
        let mut o = StoreOptions::new();
        o.set("aws.access_key_id", "AKID");
        o.set("aws.secret_access_key", "SECRET");
        o.set("aws.region", "us-east-1");
        o.set("aws.endpoint", "http://127.0.0.1:9");
        let err = o.build(&url("s3://bucket/p/")).unwrap_err().to_string();
        assert!(
            err.contains("aws.allow_http") && !err.contains("SECRET"),
            "{err}"
        );
        o.set("aws.allow_http", "true");
        o.build(&url("s3://bucket/p/")).unwrap();

        o.set("aws.regoin", "x");
        let err = o.build(&url("s3://bucket/p/")).unwrap_err().to_string();
        assert!(
            err.contains("aws.regoin") && err.contains("region"),
            "{err}"
        );

        let mut o = StoreOptions::new();
        o.set("aws.timeout", "soon");
        let err = o.build(&url("s3://bucket/")).unwrap_err().to_string();
        assert!(
            err.contains("aws.timeout") && err.contains("seconds"),
            "{err}"
        );

        let err = StoreOptions::new()
            .build(&url("s3:///x"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no bucket"), "{err}");
    }

    #[test]
    fn options_for_the_wrong_cloud_are_named() {
        let mut o = StoreOptions::new();
        o.set("aws.region", "us-east-1");
        let err = o.build(&url("gs://bucket/x/")).unwrap_err().to_string();
        assert!(err.contains("aws.region") && err.contains("gcp."), "{err}");
    }

    #[test]
    fn gcs_and_azure_are_configured_the_same_way() {
        let mut o = StoreOptions::new();
        o.set("gcp.service_account_path", "/nonexistent/sa.json");
        let err = o.build(&url("gs://bucket/x/")).unwrap_err().to_string();
        assert!(
            err.contains("Google Cloud Storage") && err.contains("gs://bucket"),
            "{err}"
        );
        let mut o = StoreOptions::new();
        o.set("gcp.no_such_key", "1");
        let err = o.build(&url("gs://bucket/x/")).unwrap_err().to_string();
        assert!(err.contains("gcp.no_such_key"), "{err}");

        let mut o = StoreOptions::new();
        o.set("azure.account_name", "acct");
        o.set("azure.access_key", "c2VjcmV0");
        o.build(&url("az://container/x/")).unwrap();
        o.build(&url("abfss://container@acct.dfs.core.windows.net/x/"))
            .unwrap();
        let mut o = StoreOptions::new();
        o.set("azure.acount_name", "acct");
        let err = o.build(&url("az://container/x/")).unwrap_err().to_string();
        assert!(
            err.contains("azure.acount_name") && err.contains("account_name"),
            "{err}"
        );
    }

    #[test]
    fn profiles_are_read_from_the_shared_files() {
        let text = "[default]\naws_access_key_id = A\naws_secret_access_key = B\n\n[hunt]\naws_access_key_id=C\naws_secret_access_key=D\naws_session_token=E\n";
        let s = ini_section(text, "hunt").unwrap();
        assert_eq!(s["aws_access_key_id"], "C");
        assert_eq!(s["aws_session_token"], "E");
        assert!(ini_section(text, "missing").is_none());
    }
}
