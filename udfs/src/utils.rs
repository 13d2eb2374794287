//! Array plumbing shared by every scalar function: reading string arguments
//! of any Arrow string type (array or scalar), propagating NULLs, and building
//! the result column. Function files only supply the per-value logic.

use std::borrow::Cow;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayBuilder, ArrayRef, AsArray, BooleanBuilder, Float64Builder, Int64Builder,
    LargeStringArray, StringArray, StringBuilder, StringViewArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::types::{logical_string, NativeType};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    Coercion, ColumnarValue, Signature, TypeSignature, TypeSignatureClass, Volatility,
};

/// Accepts Utf8, LargeUtf8, Utf8View (and dictionaries of them, which the
/// planner unpacks) as well as an untyped NULL.
pub(crate) fn string_coercion() -> Coercion {
    Coercion::new_exact(TypeSignatureClass::Native(logical_string()))
}

/// Like [`string_coercion`], but integers are accepted too and cast to their
/// decimal text, for columns that some sources store as numbers (logon types,
/// logon ids).
pub(crate) fn string_or_integer_coercion() -> Coercion {
    Coercion::new_implicit(
        TypeSignatureClass::Native(logical_string()),
        vec![TypeSignatureClass::Integer],
        NativeType::String,
    )
}

/// Signature of a function taking `required` string arguments followed by up
/// to `optional` more.
pub(crate) fn string_signature(required: usize, optional: usize) -> Signature {
    let variants: Vec<TypeSignature> = (required..=required + optional)
        .map(|n| TypeSignature::Coercible(vec![string_coercion(); n]))
        .collect();
    if variants.len() == 1 {
        Signature::coercible(vec![string_coercion(); required], Volatility::Immutable)
    } else {
        Signature::one_of(variants, Volatility::Immutable)
    }
}

/// The values of one string argument, borrowed from its array or scalar.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StringValues<'a> {
    /// A constant (or an all-NULL column): the same value for every row.
    Constant(Option<&'a str>),
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Utf8View(&'a StringViewArray),
}

impl<'a> StringValues<'a> {
    pub(crate) fn new(function: &str, argument: &str, value: &'a ColumnarValue) -> Result<Self> {
        match value {
            ColumnarValue::Scalar(scalar) => match scalar {
                ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => {
                    Ok(Self::Constant(v.as_deref()))
                }
                ScalarValue::Null => Ok(Self::Constant(None)),
                other => exec_err!(
                    "{function}: argument '{argument}' must be a string, got {}",
                    other.data_type()
                ),
            },
            ColumnarValue::Array(array) => match array.data_type() {
                DataType::Utf8 => Ok(Self::Utf8(array.as_string::<i32>())),
                DataType::LargeUtf8 => Ok(Self::LargeUtf8(array.as_string::<i64>())),
                DataType::Utf8View => Ok(Self::Utf8View(array.as_string_view())),
                DataType::Null => Ok(Self::Constant(None)),
                other => {
                    exec_err!("{function}: argument '{argument}' must be a string, got {other}")
                }
            },
        }
    }

    /// The value at `row`, `None` when NULL.
    #[inline]
    pub(crate) fn get(&self, row: usize) -> Option<&'a str> {
        match *self {
            Self::Constant(v) => v,
            Self::Utf8(a) => a.is_valid(row).then(|| a.value(row)),
            Self::LargeUtf8(a) => a.is_valid(row).then(|| a.value(row)),
            Self::Utf8View(a) => a.is_valid(row).then(|| a.value(row)),
        }
    }

    /// The value of a constant argument; `None` for a column.
    pub(crate) fn constant(&self) -> Option<Option<&'a str>> {
        match self {
            Self::Constant(v) => Some(*v),
            _ => None,
        }
    }
}

/// How a function's per-value results become an Arrow column or scalar.
pub(crate) trait Output<'a> {
    type Item;
    type Builder: ArrayBuilder;
    fn builder(capacity: usize) -> Self::Builder;
    fn append(builder: &mut Self::Builder, value: Option<Self::Item>);
    fn scalar(value: Option<Self::Item>) -> ScalarValue;
}

pub(crate) struct Int64Output;
pub(crate) struct Float64Output;
pub(crate) struct BooleanOutput;
pub(crate) struct Utf8Output;

impl Output<'_> for Int64Output {
    type Item = i64;
    type Builder = Int64Builder;
    fn builder(capacity: usize) -> Self::Builder {
        Int64Builder::with_capacity(capacity)
    }
    fn append(builder: &mut Self::Builder, value: Option<i64>) {
        builder.append_option(value)
    }
    fn scalar(value: Option<i64>) -> ScalarValue {
        ScalarValue::Int64(value)
    }
}

impl Output<'_> for Float64Output {
    type Item = f64;
    type Builder = Float64Builder;
    fn builder(capacity: usize) -> Self::Builder {
        Float64Builder::with_capacity(capacity)
    }
    fn append(builder: &mut Self::Builder, value: Option<f64>) {
        builder.append_option(value)
    }
    fn scalar(value: Option<f64>) -> ScalarValue {
        ScalarValue::Float64(value)
    }
}

impl Output<'_> for BooleanOutput {
    type Item = bool;
    type Builder = BooleanBuilder;
    fn builder(capacity: usize) -> Self::Builder {
        BooleanBuilder::with_capacity(capacity)
    }
    fn append(builder: &mut Self::Builder, value: Option<bool>) {
        builder.append_option(value)
    }
    fn scalar(value: Option<bool>) -> ScalarValue {
        ScalarValue::Boolean(value)
    }
}

impl<'a> Output<'a> for Utf8Output {
    type Item = Cow<'a, str>;
    type Builder = StringBuilder;
    fn builder(capacity: usize) -> Self::Builder {
        StringBuilder::with_capacity(capacity, capacity * 16)
    }
    fn append(builder: &mut Self::Builder, value: Option<Cow<'a, str>>) {
        builder.append_option(value)
    }
    fn scalar(value: Option<Cow<'a, str>>) -> ScalarValue {
        ScalarValue::Utf8(value.map(Cow::into_owned))
    }
}

/// Applies `f` to every row of `N` string arguments. A row with any NULL
/// argument gives NULL without calling `f`; `f` itself may return NULL (a
/// malformed value) or an error (a bad argument). When every argument is a
/// constant, `f` runs once and the result is a scalar.
pub(crate) fn map_strings<'a, const N: usize, O, F>(
    function: &str,
    argument_names: [&str; N],
    args: &'a [ColumnarValue],
    number_rows: usize,
    mut f: F,
) -> Result<ColumnarValue>
where
    O: Output<'a>,
    F: FnMut([&'a str; N]) -> Result<Option<O::Item>>,
{
    if args.len() != N {
        return exec_err!(
            "{function}: expected {N} argument(s) ({}), got {}",
            argument_names.join(", "),
            args.len()
        );
    }
    let mut values = Vec::with_capacity(N);
    for (arg, name) in args.iter().zip(argument_names) {
        values.push(StringValues::new(function, name, arg)?);
    }

    let row = |i: usize| -> Option<[&'a str; N]> {
        let mut out = [""; N];
        for (slot, v) in out.iter_mut().zip(&values) {
            *slot = v.get(i)?;
        }
        Some(out)
    };

    if values.iter().all(|v| v.constant().is_some()) {
        let result = match row(0) {
            Some(strings) => f(strings)?,
            None => None,
        };
        return Ok(ColumnarValue::Scalar(O::scalar(result)));
    }

    let mut builder = O::builder(number_rows);
    for i in 0..number_rows {
        let result = match row(i) {
            Some(strings) => f(strings)?,
            None => None,
        };
        O::append(&mut builder, result);
    }
    let array: ArrayRef = Arc::new(builder.finish());
    Ok(ColumnarValue::Array(array))
}

/// [`map_strings`] for the common one-argument, infallible case.
pub(crate) fn map_string<'a, O, F>(
    function: &str,
    argument_name: &str,
    args: &'a [ColumnarValue],
    number_rows: usize,
    f: F,
) -> Result<ColumnarValue>
where
    O: Output<'a>,
    F: Fn(&'a str) -> Option<O::Item>,
{
    map_strings::<1, O, _>(function, [argument_name], args, number_rows, |[s]| Ok(f(s)))
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;
    use datafusion::arrow::datatypes::Field;
    use datafusion::common::config::ConfigOptions;
    use datafusion::logical_expr::{ScalarFunctionArgs, ScalarUDFImpl};

    /// Invokes `udf` on columns, as the engine would after type coercion.
    pub(crate) fn invoke(udf: &dyn ScalarUDFImpl, args: Vec<ArrayRef>) -> Result<ArrayRef> {
        let number_rows = args.first().map_or(1, |a| a.len());
        let args = args.into_iter().map(ColumnarValue::Array).collect();
        invoke_values(udf, args, number_rows)?.into_array(number_rows)
    }

    /// Invokes `udf` on columns and constants.
    pub(crate) fn invoke_values(
        udf: &dyn ScalarUDFImpl,
        args: Vec<ColumnarValue>,
        number_rows: usize,
    ) -> Result<ColumnarValue> {
        let arg_fields: Vec<_> = args
            .iter()
            .enumerate()
            .map(|(i, a)| Arc::new(Field::new(format!("a{i}"), a.data_type(), true)))
            .collect();
        let types: Vec<_> = args.iter().map(|a| a.data_type()).collect();
        let return_type = udf.return_type(&types)?;
        udf.invoke_with_args(ScalarFunctionArgs {
            args,
            arg_fields,
            number_rows,
            return_field: Arc::new(Field::new("r", return_type, true)),
            config_options: Arc::new(ConfigOptions::default()),
        })
    }

    /// `input` as a Utf8, a LargeUtf8 and a Utf8View column.
    pub(crate) fn string_columns(input: &[Option<&str>]) -> [ArrayRef; 3] {
        [
            Arc::new(StringArray::from(input.to_vec())),
            Arc::new(LargeStringArray::from(input.to_vec())),
            Arc::new(StringViewArray::from(input.to_vec())),
        ]
    }

    /// Checks a one-argument function on `input` in every string type.
    pub(crate) fn assert_unary(
        udf: &dyn ScalarUDFImpl,
        input: &[Option<&str>],
        expected: ArrayRef,
    ) {
        for column in string_columns(input) {
            let data_type = column.data_type().clone();
            let out = invoke(udf, vec![column]).unwrap();
            assert_eq!(&out, &expected, "{} on {data_type}", udf.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;

    fn lengths(args: &[ColumnarValue], rows: usize) -> Result<ColumnarValue> {
        map_string::<Int64Output, _>("len", "s", args, rows, |s| Some(s.len() as i64))
    }

    #[test]
    fn every_string_type_and_nulls() -> Result<()> {
        let utf8: ArrayRef = Arc::new(StringArray::from(vec![Some("ab"), None, Some("")]));
        let large: ArrayRef = Arc::new(LargeStringArray::from(vec![Some("ab"), None, Some("")]));
        let view: ArrayRef = Arc::new(StringViewArray::from(vec![Some("ab"), None, Some("")]));
        for array in [utf8, large, view] {
            let out = lengths(&[ColumnarValue::Array(array)], 3)?.into_array(3)?;
            let expected: ArrayRef = Arc::new(Int64Array::from(vec![Some(2), None, Some(0)]));
            assert_eq!(&out, &expected);
        }
        Ok(())
    }

    #[test]
    fn constants_stay_scalar() -> Result<()> {
        let out = lengths(
            &[ColumnarValue::Scalar(ScalarValue::Utf8View(Some(
                "abc".into(),
            )))],
            5,
        )?;
        assert!(matches!(
            out,
            ColumnarValue::Scalar(ScalarValue::Int64(Some(3)))
        ));
        let out = lengths(&[ColumnarValue::Scalar(ScalarValue::Null)], 5)?;
        assert!(matches!(
            out,
            ColumnarValue::Scalar(ScalarValue::Int64(None))
        ));
        Ok(())
    }

    #[test]
    fn non_string_argument_is_an_error_naming_it() {
        let err = lengths(&[ColumnarValue::Scalar(ScalarValue::Int32(Some(1)))], 1).unwrap_err();
        assert!(
            err.to_string()
                .contains("len: argument 's' must be a string"),
            "{err}"
        );
    }

    #[test]
    fn constant_mixed_with_column() -> Result<()> {
        let column: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None]));
        let args = [
            ColumnarValue::Array(column),
            ColumnarValue::Scalar(ScalarValue::Utf8(Some("xyz".into()))),
        ];
        let out = map_strings::<2, Int64Output, _>("f", ["a", "b"], &args, 2, |[a, b]| {
            Ok(Some((a.len() + b.len()) as i64))
        })?
        .into_array(2)?;
        let expected: ArrayRef = Arc::new(Int64Array::from(vec![Some(4), None]));
        assert_eq!(&out, &expected);
        Ok(())
    }
}
