//! Object stores (S3, Google Cloud Storage, Azure Blob Storage) as huntsql
//! sources. Same shape as every connector: [`config`] (options for a bucket,
//! from SQL `OPTIONS` or a `[sources.NAME]` entry) → client (the
//! [`registry`], which builds `ObjectStore`s on first use) → `TableProvider`
//! ([`discover`] and [`table_factory`] hand DataFusion `ListingTable`s) →
//! pushdown (projection, filters, hive partition pruning by `ListingTable`).

pub mod config;
pub mod discover;
pub mod registry;
pub mod table_factory;
pub mod wide_scan;

pub use config::{is_object_store_url, Cloud, StoreOptions};
pub use discover::{discover, RemoteTable};
pub use registry::HuntObjectStoreRegistry;
pub use table_factory::ObjectStoreTableFactory;
pub use wide_scan::{WideScan, WideUrlTables, DEFAULT_SCAN_PARTITIONS};

static SECRETS: std::sync::RwLock<Vec<String>> = std::sync::RwLock::new(Vec::new());

/// Remembers secrets (option values) so that [`redact_secrets`] hides them
/// from messages; every store built from options registers its secrets.
pub fn remember_secrets(secrets: &[String]) {
    if let Ok(mut known) = SECRETS.write() {
        for s in secrets {
            if s.len() >= 4 && !known.contains(s) {
                known.push(s.clone());
            }
        }
    }
}

/// `text` with every secret this process has seen replaced by `***`.
pub fn redact_secrets(text: &str) -> String {
    match SECRETS.read() {
        Ok(known) => redact(text, &known),
        Err(_) => text.to_string(),
    }
}

/// SQL text with the values of secret options (`'aws.secret_access_key'
/// 'value'`) replaced by `'***'`, for history files and logs.
pub fn redact_sql_options(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    let mut hide_next = false;
    while let Some(start) = rest.find('\'') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        // A quoted string ends at a quote not followed by another quote.
        let mut end = None;
        let bytes = after.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\'' {
                if bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                end = Some(i);
                break;
            }
            i += 1;
        }
        let Some(end) = end else {
            out.push_str(&rest[start..]);
            return out;
        };
        let literal = &after[..end];
        if hide_next {
            out.push_str("'***'");
            hide_next = false;
        } else {
            out.push('\'');
            out.push_str(literal);
            out.push('\'');
            hide_next = literal.contains('.') && config::is_secret_key(literal);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `text` with every secret replaced by `***`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_string();
    for secret in secrets {
        if secret.len() >= 4 {
            text = text.replace(secret.as_str(), "***");
        }
    }
    text
}

/// What to do about an object-store error, judged from its message (the
/// S3 error codes and HTTP statuses object_store reports).
pub fn hint(message: &str) -> Option<&'static str> {
    let has = |s: &str| message.contains(s);
    if has("SignatureDoesNotMatch")
        || has("InvalidAccessKeyId")
        || has("403 Forbidden")
        || has("AccessDenied")
    {
        Some("the object store refused the credentials: check access_key_id / secret_access_key (and session_token) in the table OPTIONS or the [sources] entry, or the AWS_* variables and ~/.aws/credentials")
    } else if has("NoSuchBucket") {
        Some("the bucket does not exist: check its name and the endpoint / region")
    } else if has("NoSuchKey")
        || (has("Object at location") && has("not found"))
        || (has("No files found at")
            && (has("s3://") || has("gs://") || has("az://") || has("abfs")))
    {
        Some("no object at that path: check the key; a prefix (directory) location ends with '/'")
    } else if has("Connection refused")
        || has("error sending request")
        || has("timed out")
        || has("Timeout")
        || has("connection closed")
    {
        Some("the object store did not answer: check the endpoint and the network (requests time out after the timeout option, 30 s by default, and are retried twice)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_and_hints() {
        assert_eq!(
            redact("key 'abcdef' and abcdef", &["abcdef".into()]),
            "key '***' and ***"
        );
        assert!(hint("<Code>SignatureDoesNotMatch</Code>")
            .unwrap()
            .contains("credentials"));
        assert!(hint("<Code>NoSuchBucket</Code>")
            .unwrap()
            .contains("bucket"));
        assert!(hint("tcp connect error: Connection refused")
            .unwrap()
            .contains("endpoint"));
        assert!(hint("Division by zero").is_none());
        assert_eq!(
            redact_sql_options("OPTIONS ('aws.region' 'x', 'aws.secret_access_key' 'it''s', 'aws.session_token' 'tok')"),
            "OPTIONS ('aws.region' 'x', 'aws.secret_access_key' '***', 'aws.session_token' '***')"
        );
    }
}
