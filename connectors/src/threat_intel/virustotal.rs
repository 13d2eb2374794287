//! VirusTotal API v3: `GET /api/v3/files/{hash}`, `/ip_addresses/{ip}`,
//! `/domains/{domain}` and `/urls/{id}` (id = URL-safe base64 of the URL,
//! no padding), key in the `x-apikey` header; counts from
//! `data.attributes.last_analysis_stats`. Errors are `{"error": {"code",
//! "message"}}`: 404 NotFoundError is an answer (`not found`), 401
//! WrongCredentialsError / 403 ForbiddenError stop, 429 QuotaExceededError
//! waits.

use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::Value;

use super::provider::{LookupError, Provider, Verdict};

/// The VirusTotal v3 provider.
#[derive(Debug, Default)]
pub struct VirusTotal;

/// The collection and GUI path of an IoC type, and the object id.
fn object_of(ioc_type: &str, observable: &str) -> Option<(&'static str, &'static str, String)> {
    Some(match ioc_type {
        "md5_hash" | "sha1_hash" | "sha256_hash" => ("files", "file", observable.to_string()),
        "ipv4" | "ipv6" => ("ip_addresses", "ip-address", observable.to_string()),
        "dns" => ("domains", "domain", observable.to_string()),
        "url" => ("urls", "url", url_id(observable)),
        _ => return None,
    })
}

/// VirusTotal's URL identifier: URL-safe base64 without padding.
pub fn url_id(url: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url.as_bytes())
}

#[async_trait]
impl Provider for VirusTotal {
    fn name(&self) -> &'static str {
        "virustotal"
    }

    fn display_name(&self) -> &'static str {
        "VirusTotal"
    }

    fn key_variable(&self) -> &'static str {
        "VT_API_KEY"
    }

    fn default_base_url(&self) -> &'static str {
        "https://www.virustotal.com"
    }

    fn default_quota(&self) -> (u32, u32) {
        (4, 500)
    }

    fn supports(&self, ioc_type: &str) -> bool {
        object_of(ioc_type, "").is_some()
    }

    async fn lookup(
        &self,
        http: &reqwest::Client,
        base_url: &str,
        api_key: &str,
        ioc_type: &str,
        observable: &str,
    ) -> Result<Verdict, LookupError> {
        let (collection, gui, id) = object_of(ioc_type, observable)
            .ok_or_else(|| LookupError::Rejected(format!("no VirusTotal lookup for {ioc_type}")))?;
        let url = format!(
            "{}/api/v3/{collection}/{}",
            base_url.trim_end_matches('/'),
            // Path-safe: hashes, addresses, domains and base64url ids only
            // need ':' (IPv6) left as is; encode anything else.
            encode_segment(&id)
        );
        let response = http
            .get(&url)
            .header("x-apikey", api_key)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| LookupError::Transient(transport_error(&e)))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response
            .bytes()
            .await
            .map_err(|e| LookupError::Transient(transport_error(&e)))?;
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        if status.is_success() {
            let json = json.ok_or_else(|| {
                LookupError::Transient(format!(
                    "VirusTotal answered {status} with a body that is not JSON"
                ))
            })?;
            return Ok(verdict_of(&json, gui, &id));
        }
        let (code, message) = error_of(json.as_ref());
        let detail = format!("{} {code}: {message}", status.as_u16());
        match status {
            StatusCode::NOT_FOUND => Ok(Verdict {
                permalink: Some(permalink(gui, &id)),
                ..Verdict::status("not found")
            }),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                Err(LookupError::Credentials(detail))
            }
            StatusCode::TOO_MANY_REQUESTS => Err(LookupError::Quota {
                retry_after,
                message: detail,
            }),
            s if s.is_server_error() => Err(LookupError::Transient(detail)),
            _ => Err(LookupError::Rejected(detail)),
        }
    }
}

fn encode_segment(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '~') {
                c.to_string()
            } else {
                let mut buf = [0u8; 4];
                c.encode_utf8(&mut buf)
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect()
            }
        })
        .collect()
}

fn transport_error(e: &reqwest::Error) -> String {
    // reqwest's text names the URL, which holds no secret (the key is a header).
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut text = format!("{kind}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

fn permalink(gui: &str, id: &str) -> String {
    format!("https://www.virustotal.com/gui/{gui}/{id}")
}

/// `data.attributes.last_analysis_stats` and friends.
fn verdict_of(json: &Value, gui: &str, id: &str) -> Verdict {
    let attributes = &json["data"]["attributes"];
    let stats = &attributes["last_analysis_stats"];
    let count = |name: &str| stats[name].as_i64();
    // A file's permalink uses its SHA-256 when VirusTotal reports one.
    let object_id = json["data"]["id"].as_str().unwrap_or(id);
    Verdict {
        status: "ok".into(),
        malicious: count("malicious"),
        suspicious: count("suspicious"),
        harmless: count("harmless"),
        undetected: count("undetected"),
        timeout: count("timeout"),
        reputation: attributes["reputation"].as_i64(),
        last_analysis_date: attributes["last_analysis_date"].as_i64(),
        permalink: Some(permalink(gui, object_id)),
    }
}

fn error_of(json: Option<&Value>) -> (String, String) {
    let error = json.map(|j| &j["error"]);
    let code = error
        .and_then(|e| e["code"].as_str())
        .unwrap_or("Error")
        .to_string();
    let message = error
        .and_then(|e| e["message"].as_str())
        .unwrap_or("no message")
        .to_string();
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_ids_are_unpadded_url_safe_base64() {
        // VirusTotal's documented example.
        assert_eq!(
            url_id("http://www.virustotal.com/"),
            "aHR0cDovL3d3dy52aXJ1c3RvdGFsLmNvbS8"
        );
        assert!(!url_id("https://a.b/?x=1>").contains(['=', '+', '/']));
    }

    #[test]
    fn verdicts_read_last_analysis_stats() {
        let json: Value = serde_json::json!({"data": {"id": "abc", "type": "url", "attributes": {
            "last_analysis_stats": {"malicious": 3, "suspicious": 1, "harmless": 60, "undetected": 10, "timeout": 0},
            "reputation": -5, "last_analysis_date": 1600000000}}});
        let v = verdict_of(&json, "url", "x");
        assert_eq!(v.malicious, Some(3));
        assert_eq!(v.harmless, Some(60));
        assert_eq!(v.reputation, Some(-5));
        assert_eq!(v.last_analysis_date, Some(1600000000));
        assert_eq!(
            v.permalink.as_deref(),
            Some("https://www.virustotal.com/gui/url/abc")
        );
        assert!(VirusTotal.supports("sha256_hash") && !VirusTotal.supports("email"));
    }
}
