//! The optional size caps of `b64_unpack` and `b64_items`.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::types::{logical_int64, NativeType};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    Coercion, ColumnarValue, Signature, TypeSignature, TypeSignatureClass, Volatility,
};

use super::unpack::Limits;
use crate::utils::string_coercion;

/// `f(text [, max_item_bytes [, max_value_bytes]])`.
pub(crate) fn signature() -> Signature {
    let int = Coercion::new_implicit(
        TypeSignatureClass::Native(logical_int64()),
        vec![TypeSignatureClass::Integer],
        NativeType::Int64,
    );
    let string = string_coercion();
    Signature::one_of(
        vec![
            TypeSignature::Coercible(vec![string.clone()]),
            TypeSignature::Coercible(vec![string.clone(), int.clone()]),
            TypeSignature::Coercible(vec![string, int.clone(), int]),
        ],
        Volatility::Immutable,
    )
}

/// The caps given after the text, or the defaults. They must be constant
/// positive integers.
pub(crate) fn limits(function: &str, args: &[ColumnarValue]) -> Result<Limits> {
    let mut limits = Limits::default();
    let names = ["max_item_bytes", "max_value_bytes"];
    for (arg, name) in args.iter().skip(1).zip(names) {
        let value = match arg {
            ColumnarValue::Scalar(ScalarValue::Null) => None,
            ColumnarValue::Scalar(s) => match s.cast_to(&DataType::Int64)? {
                ScalarValue::Int64(v) => v,
                _ => None,
            },
            ColumnarValue::Array(_) => {
                return exec_err!(
                    "{function}: {name} must be a constant, e.g. {function}(CommandLine, 1048576)"
                )
            }
        };
        let value = match value {
            Some(v) if v >= 1 => usize::try_from(v).unwrap_or(usize::MAX),
            other => {
                let shown = other.map_or("NULL".to_string(), |v| v.to_string());
                return exec_err!(
                    "{function}: {name} must be a positive number of bytes, got {shown}"
                );
            }
        };
        if name == "max_item_bytes" {
            limits.max_item_bytes = value;
        } else {
            limits.max_value_bytes = value;
        }
    }
    Ok(limits)
}
