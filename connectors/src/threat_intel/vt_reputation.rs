//! `vt_reputation(observable [, ioc_type])` and the generic
//! `ti_lookup(observable, provider [, ioc_type])`: async scalar functions
//! over the session's [`ThreatIntel`] service.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use datafusion::arrow::array::{
    Array, ArrayRef, Int64Builder, StringArray, StringBuilder, StructArray, TimestampSecondBuilder,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields, TimeUnit};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::async_udf::AsyncScalarUDFImpl;
use datafusion::logical_expr::{
    ColumnarValue, DocSection, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};

use super::provider::Answer;
use super::service::ThreatIntel;

/// The result struct's fields.
pub fn reputation_fields() -> Fields {
    let count = |name: &str| Field::new(name, DataType::Int64, true);
    Fields::from(vec![
        Field::new("observable", DataType::Utf8, true),
        Field::new("ioc_type", DataType::Utf8, true),
        Field::new("status", DataType::Utf8, true),
        count("malicious"),
        count("suspicious"),
        count("harmless"),
        count("undetected"),
        count("timeout"),
        count("reputation"),
        Field::new(
            "last_analysis_date",
            DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
            true,
        ),
        Field::new("permalink", DataType::Utf8, true),
    ])
}

/// Which function this is: `vt_reputation` (provider fixed) or `ti_lookup`
/// (provider as the second argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Form {
    VirusTotal,
    AnyProvider,
}

/// The async UDF; register with
/// `AsyncScalarUDF::new(Arc::new(VtReputation::new(service))).into_scalar_udf()`.
#[derive(Debug)]
pub struct VtReputation {
    service: Arc<ThreatIntel>,
    signature: Signature,
    form: Form,
}

impl PartialEq for VtReputation {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.service, &other.service) && self.form == other.form
    }
}
impl Eq for VtReputation {}
impl Hash for VtReputation {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.form.hash(state);
    }
}

impl VtReputation {
    /// `vt_reputation(observable [, ioc_type])`.
    pub fn new(service: Arc<ThreatIntel>) -> Self {
        Self {
            service,
            // Volatile: never folded at planning time (a constant argument
            // must still be looked up when the query runs).
            signature: Signature::one_of(
                vec![TypeSignature::String(1), TypeSignature::String(2)],
                Volatility::Volatile,
            ),
            form: Form::VirusTotal,
        }
    }

    /// `ti_lookup(observable, provider [, ioc_type])`.
    pub fn ti_lookup(service: Arc<ThreatIntel>) -> Self {
        Self {
            service,
            signature: Signature::one_of(
                vec![TypeSignature::String(2), TypeSignature::String(3)],
                Volatility::Volatile,
            ),
            form: Form::AnyProvider,
        }
    }
}

impl ScalarUDFImpl for VtReputation {
    fn name(&self) -> &str {
        match self.form {
            Form::VirusTotal => "vt_reputation",
            Form::AnyProvider => "ti_lookup",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(reputation_fields()))
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // The physical planner runs async functions in AsyncFuncExec; this
        // is reached only where DataFusion cannot (see the engine's advice).
        Err(DataFusionError::NotImplemented(format!(
            "{} can only run in SELECT and WHERE",
            self.name()
        )))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(match self.form {
            Form::VirusTotal => &VT_DOC,
            Form::AnyProvider => &TI_DOC,
        })
    }
}

fn strings(array: &ArrayRef) -> Result<StringArray> {
    let utf8 = cast(array, &DataType::Utf8)?;
    Ok(utf8
        .as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .expect("cast to Utf8 gives a StringArray"))
}

#[async_trait]
impl AsyncScalarUDFImpl for VtReputation {
    async fn invoke_async_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let arrays = arrays.iter().map(strings).collect::<Result<Vec<_>>>()?;
        let (observables, provider, types) = match self.form {
            Form::VirusTotal => (&arrays[0], None, arrays.get(1)),
            Form::AnyProvider => (&arrays[0], Some(&arrays[1]), arrays.get(2)),
        };
        let value = |a: &StringArray, i: usize| (!a.is_null(i)).then(|| a.value(i).to_string());
        // Rows grouped by provider (one group for vt_reputation).
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        let mut answers: Vec<Option<Answer>> = vec![None; rows];
        for i in 0..rows {
            let name = match provider {
                None => "virustotal".to_string(),
                Some(p) => match value(p, i) {
                    Some(p) => p.trim().to_ascii_lowercase(),
                    None => continue,
                },
            };
            if observables.is_null(i) {
                continue;
            }
            match groups.iter_mut().find(|(n, _)| *n == name) {
                Some((_, rows)) => rows.push(i),
                None => groups.push((name, vec![i])),
            }
        }
        for (provider, indices) in groups {
            let input = indices
                .iter()
                .map(|&i| value(observables, i).map(|o| (o, types.and_then(|t| value(t, i)))))
                .collect();
            let found = self
                .service
                .lookup_many(self.name(), &provider, input)
                .await?;
            for (i, answer) in indices.into_iter().zip(found) {
                answers[i] = answer;
            }
        }
        Ok(ColumnarValue::Array(Arc::new(to_struct(&answers))))
    }
}

fn to_struct(answers: &[Option<Answer>]) -> StructArray {
    let n = answers.len();
    let mut observable = StringBuilder::with_capacity(n, n * 16);
    let mut ioc_type = StringBuilder::with_capacity(n, n * 8);
    let mut status = StringBuilder::with_capacity(n, n * 8);
    let mut counts: Vec<Int64Builder> = (0..6).map(|_| Int64Builder::with_capacity(n)).collect();
    let mut date = TimestampSecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut permalink = StringBuilder::with_capacity(n, n * 64);
    for answer in answers {
        match answer {
            None => {
                observable.append_null();
                ioc_type.append_null();
                status.append_null();
                counts.iter_mut().for_each(|c| c.append_null());
                date.append_null();
                permalink.append_null();
            }
            Some(a) => {
                let v = &a.verdict;
                observable.append_value(&a.observable);
                ioc_type.append_option(a.ioc_type.as_deref());
                status.append_value(&v.status);
                for (builder, value) in counts.iter_mut().zip([
                    v.malicious,
                    v.suspicious,
                    v.harmless,
                    v.undetected,
                    v.timeout,
                    v.reputation,
                ]) {
                    builder.append_option(value);
                }
                date.append_option(v.last_analysis_date);
                permalink.append_option(v.permalink.as_deref());
            }
        }
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(observable.finish()),
        Arc::new(ioc_type.finish()),
        Arc::new(status.finish()),
    ];
    columns.extend(counts.iter_mut().map(|c| Arc::new(c.finish()) as ArrayRef));
    columns.push(Arc::new(date.finish()));
    columns.push(Arc::new(permalink.finish()));
    let nulls = NullBuffer::from(answers.iter().map(Option::is_some).collect::<Vec<_>>());
    StructArray::new(reputation_fields(), columns, Some(nulls))
}

const SECTION: DocSection = DocSection {
    include: true,
    label: "Threat Intelligence Functions",
    description: Some("Reputation lookups, batched, cached and within the provider's quota."),
};

const RESULT: &str = "A struct: observable (as looked up, refanged), ioc_type, status ('ok', 'not found', 'skipped: <reason>', 'not cached (offline)', 'error: <reason>'), malicious, suspicious, harmless, undetected, timeout (engine counts from last_analysis_stats), reputation, last_analysis_date, permalink. NULL input gives NULL.";

static VT_DOC: LazyLock<Documentation> = LazyLock::new(vt_reputation_documentation);
static TI_DOC: LazyLock<Documentation> = LazyLock::new(ti_lookup_documentation);

/// `vt_reputation`'s documentation (`\df vt_reputation`).
pub fn vt_reputation_documentation() -> Documentation {
    Documentation::builder(
        SECTION,
        format!(
            "Looks an indicator up on VirusTotal (API v3: files by MD5/SHA-1/SHA-256, IP addresses, domains, URLs). {RESULT} \
The type is inferred with ioc_type() unless given. Private, loopback and other non-global IPs, names without a dot, file:// URLs and hashes with entropy below 3 bits are skipped without a call, as msticpy does. \
Each distinct observable is asked once: answers are kept for the session and in a persistent cache (24 h, `\\vt cache`, `\\vt clear`, `\\vt offline on`), and calls are spaced to the key's quota (default 4 a minute, 500 a day) with progress on stderr. \
A statement needing more than max_lookups (default 100) new calls stops before the first one. The key comes from VT_API_KEY or [threat_intel.virustotal] api_key and is never shown. \
Works in SELECT and WHERE; for GROUP BY, compute it in a subquery first: `SELECT r.status, count(*) FROM (SELECT vt_reputation(ip) AS r FROM t) GROUP BY r.status`."
        ),
        "vt_reputation(observable [, ioc_type])",
    )
    .with_sql_example(
        r#"```sql
> SELECT vt_reputation('10.0.0.1')['status'] AS status, vt_reputation('hxxp://intranet/x')['ioc_type'] AS ioc_type;
+-----------------------------------+----------+
| status                            | ioc_type |
+-----------------------------------+----------+
| skipped: IP address is not global | url      |
+-----------------------------------+----------+
> SELECT r.observable, r.status, r.malicious, r.permalink
  FROM (SELECT vt_reputation(ioc['observable']) AS r
        FROM (SELECT unnest(extract_iocs(CommandLine, 'ipv4,dns,url,sha256_hash')) AS ioc FROM process_events))
  WHERE r.malicious > 0;
```"#,
    )
    .with_argument("observable", "An IP address, domain, URL or file hash (any string type; defanged values are refanged).")
    .with_argument("ioc_type", "Optional: ipv4, ipv6, dns (or hostname), url, md5_hash, sha1_hash, sha256_hash (or file_hash). A value not of that type is skipped; an unknown type is an error.")
    .build()
}

/// `ti_lookup`'s documentation.
pub fn ti_lookup_documentation() -> Documentation {
    Documentation::builder(
        SECTION,
        format!(
            "Looks an indicator up with the named threat-intelligence provider (today: 'virustotal'), with the same pre-filter, cache, quota and guard as vt_reputation. {RESULT}"
        ),
        "ti_lookup(observable, provider [, ioc_type])",
    )
    .with_sql_example(
        r#"```sql
> SELECT ti_lookup('192.168.1.10', 'virustotal')['status'] AS status;
+-----------------------------------+
| status                            |
+-----------------------------------+
| skipped: IP address is not global |
+-----------------------------------+
```"#,
    )
    .with_argument("observable", "The indicator (any string type).")
    .with_argument("provider", "The provider's name: virustotal.")
    .with_argument("ioc_type", "Optional, as for vt_reputation.")
    .build()
}
