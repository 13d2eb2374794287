//! Building a `List<Struct>` column row by row from its child columns, for
//! functions that return a list of records per row (`extract_iocs`,
//! `b64_items`).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, ListArray, StructArray};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::datatypes::{FieldRef, Fields};
use datafusion::common::{exec_err, Result};

/// The offsets and validity of the rows of a list column.
pub(crate) struct ListRows {
    offsets: Vec<i32>,
    valid: Vec<bool>,
}

impl ListRows {
    pub(crate) fn with_capacity(rows: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        ListRows {
            offsets,
            valid: Vec::with_capacity(rows),
        }
    }

    /// Ends a row whose items bring the child columns to `items` rows.
    pub(crate) fn end_row(&mut self, function: &str, items: usize) -> Result<()> {
        let Ok(offset) = i32::try_from(items) else {
            return exec_err!(
                "{function}: more than 2^31 items in one batch; query fewer rows at a time"
            );
        };
        self.offsets.push(offset);
        self.valid.push(true);
        Ok(())
    }

    pub(crate) fn null_row(&mut self) {
        self.offsets.push(*self.offsets.last().unwrap_or(&0));
        self.valid.push(false);
    }

    pub(crate) fn finish(
        self,
        item: FieldRef,
        fields: Fields,
        columns: Vec<ArrayRef>,
    ) -> Result<ArrayRef> {
        let items = StructArray::try_new(fields, columns, None)?;
        let nulls = self
            .valid
            .iter()
            .any(|v| !v)
            .then(|| NullBuffer::from(self.valid));
        let list = ListArray::try_new(
            item,
            OffsetBuffer::new(self.offsets.into()),
            Arc::new(items),
            nulls,
        )?;
        Ok(Arc::new(list))
    }
}
