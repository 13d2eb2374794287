use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, Int32Builder, StringBuilder, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use super::url_parts::{split_url, UrlParts};
use crate::utils::{string_signature, StringValues};

#[user_doc(
    doc_section(label = "URL and Domain Functions"),
    description = r#"Splits a URL into a struct of `scheme`, `user` (the userinfo before `@`, `user` or `user:password`), `host` (an IPv6 literal without its brackets), `port` (Int32), `path`, `query` and `fragment`, following RFC 3986. Components keep their case and encoding as written; a missing component is NULL, an empty one `''` (the path is `''` when absent). The port is NULL when it is not a number from 0 to 65535. NULL for text with neither a scheme nor `//` (`example.com/x` is not a URL)."#,
    syntax_example = "parse_url(url)",
    sql_example = r#"```sql
> SELECT parse_url('https://admin@Evil.example.com:8443/dl/x.ps1?id=7#top') AS url;
+---------------------------------------------------------------------------------------------------------------+
| url                                                                                                           |
+---------------------------------------------------------------------------------------------------------------+
| {scheme: https, user: admin, host: Evil.example.com, port: 8443, path: /dl/x.ps1, query: id=7, fragment: top} |
+---------------------------------------------------------------------------------------------------------------+
> SELECT parse_url('http://bank.com@evil.com/login')['host'] AS host;
+----------+
| host     |
+----------+
| evil.com |
+----------+
```"#,
    argument(name = "url", description = "URL (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ParseUrl {
    signature: Signature,
}

impl Default for ParseUrl {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

static FIELDS: LazyLock<Fields> = LazyLock::new(|| {
    Fields::from(vec![
        Field::new("scheme", DataType::Utf8, true),
        Field::new("user", DataType::Utf8, true),
        Field::new("host", DataType::Utf8, true),
        Field::new("port", DataType::Int32, true),
        Field::new("path", DataType::Utf8, true),
        Field::new("query", DataType::Utf8, true),
        Field::new("fragment", DataType::Utf8, true),
    ])
});

/// Column builders for the struct's fields, in [`FIELDS`] order.
struct UrlBuilder {
    scheme: StringBuilder,
    user: StringBuilder,
    host: StringBuilder,
    port: Int32Builder,
    path: StringBuilder,
    query: StringBuilder,
    fragment: StringBuilder,
    valid: Vec<bool>,
}

impl UrlBuilder {
    fn new(capacity: usize) -> Self {
        let strings = || StringBuilder::with_capacity(capacity, capacity * 8);
        Self {
            scheme: strings(),
            user: strings(),
            host: strings(),
            port: Int32Builder::with_capacity(capacity),
            path: strings(),
            query: strings(),
            fragment: strings(),
            valid: Vec::with_capacity(capacity),
        }
    }

    fn append(&mut self, parts: Option<UrlParts<'_>>) {
        let p = parts.unwrap_or_default();
        self.scheme.append_option(p.scheme);
        self.user.append_option(p.user);
        self.host.append_option(p.host);
        self.port.append_option(p.port.map(i32::from));
        self.path.append_option(parts.map(|p| p.path));
        self.query.append_option(p.query);
        self.fragment.append_option(p.fragment);
        self.valid.push(parts.is_some());
    }

    fn finish(mut self) -> Result<ArrayRef> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.scheme.finish()),
            Arc::new(self.user.finish()),
            Arc::new(self.host.finish()),
            Arc::new(self.port.finish()),
            Arc::new(self.path.finish()),
            Arc::new(self.query.finish()),
            Arc::new(self.fragment.finish()),
        ];
        let nulls = NullBuffer::from(self.valid);
        Ok(Arc::new(StructArray::try_new(
            FIELDS.clone(),
            columns,
            Some(nulls),
        )?))
    }
}

impl ScalarUDFImpl for ParseUrl {
    fn name(&self) -> &str {
        "parse_url"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(FIELDS.clone()))
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else {
            return exec_err!(
                "parse_url: expected 1 argument (url), got {}",
                args.args.len()
            );
        };
        let urls = StringValues::new(self.name(), "url", arg)?;
        if let Some(url) = urls.constant() {
            let mut builder = UrlBuilder::new(1);
            builder.append(url.and_then(split_url));
            let array = builder.finish()?;
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &array, 0,
            )?));
        }
        let mut builder = UrlBuilder::new(args.number_rows);
        for row in 0..args.number_rows {
            builder.append(urls.get(row).and_then(split_url));
        }
        Ok(ColumnarValue::Array(builder.finish()?))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utils::test_util::{invoke, string_columns};
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int32Type;

    #[test]
    fn struct_per_row_null_for_non_urls() -> Result<()> {
        let input = [Some("http://a.example:81/p?q#f"), Some("not a url"), None];
        for column in string_columns(&input) {
            let out = invoke(&ParseUrl::default(), vec![column])?;
            let out = out.as_struct();
            assert_eq!(out.len(), 3);
            assert!(out.is_valid(0) && out.is_null(1) && out.is_null(2));
            let host = out.column_by_name("host").unwrap().as_string::<i32>();
            assert_eq!(host.value(0), "a.example");
            let port = out
                .column_by_name("port")
                .unwrap()
                .as_primitive::<Int32Type>();
            assert_eq!(port.value(0), 81);
            let path = out.column_by_name("path").unwrap().as_string::<i32>();
            assert_eq!(path.value(0), "/p");
            assert!(out.column_by_name("user").unwrap().is_null(0));
        }
        Ok(())
    }
}
