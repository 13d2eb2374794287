use std::collections::HashMap;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use crate::utils::{map_string, string_signature, Float64Output};

#[user_doc(
    doc_section(label = "Text Functions"),
    description = r#"Shannon entropy of a string in bits per character (code point): 0 for a single repeated character or an empty string, 4 for 16 equally frequent characters. High values flag random-looking names, encoded payloads and hashes. Same formula as msticpy's hash entropy check."#,
    syntax_example = "shannon_entropy(value)",
    sql_example = r#"```sql
> SELECT shannon_entropy('aaaa') AS low, shannon_entropy('0123456789abcdef') AS hex, shannon_entropy('x7Gq9Zk2Lp') AS random;
+-----+-----+-------------------+
| low | hex | random            |
+-----+-----+-------------------+
| 0.0 | 4.0 | 3.321928094887362 |
+-----+-----+-------------------+
```"#,
    argument(name = "value", description = "String (any string type).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ShannonEntropy {
    signature: Signature,
}

impl Default for ShannonEntropy {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for ShannonEntropy {
    fn name(&self) -> &str {
        "shannon_entropy"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        map_string::<Float64Output, _>(
            self.name(),
            "value",
            &args.args,
            args.number_rows,
            |value| Some(entropy(value)),
        )
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// `-sum(p * log2(p))` over the characters' frequencies, summed in order of
/// first occurrence as msticpy (a Python `Counter`) does, so results agree to
/// the last bit.
fn entropy(value: &str) -> f64 {
    let mut counts: Vec<usize> = Vec::new();
    let mut index: HashMap<char, usize> = HashMap::new();
    let mut len = 0usize;
    for c in value.chars() {
        len += 1;
        let slot = *index.entry(c).or_insert_with(|| {
            counts.push(0);
            counts.len() - 1
        });
        counts[slot] += 1;
    }
    let len = len as f64;
    let sum: f64 = counts
        .iter()
        .map(|&count| {
            let p = count as f64 / len;
            p * p.log2()
        })
        .sum();
    // `0.0 - 0.0` rather than `-0.0` for a single repeated character
    0.0 - sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utils::test_util::assert_unary;
    use datafusion::arrow::array::{ArrayRef, Float64Array};
    use std::sync::Arc;

    #[test]
    fn bits_per_character() {
        // expected values computed with Python's math.log2 over collections.Counter
        assert_eq!(entropy("0123456789abcdef"), 4.0);
        assert_eq!(
            entropy("d41d8cd98f00b204e9800998ecf8427e"),
            3.391_126_767_019_873_7
        );
        assert_eq!(entropy("héllo wörld"), 3.027_169_118_440_619);
        assert_eq!(entropy("aaaa").to_bits(), 0.0f64.to_bits());
        assert_eq!(entropy(""), 0.0);
    }

    #[test]
    fn per_row() {
        let expected: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(1.921_928_094_887_362_3),
            Some(0.0),
            None,
        ]));
        assert_unary(
            &ShannonEntropy::default(),
            &[Some("hello"), Some(""), None],
            expected,
        );
    }
}
