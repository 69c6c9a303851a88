//! An answer's first rows as the report sees them: per column its name, its
//! Arrow type, how each value reads, and the number it holds when it is a
//! number. Built from the batches read back from the answer's Parquet file.
//!
//! Values are shown as Arrow displays them (dates `2024-01-31`, exact
//! decimals), except floats, which are rounded for reading (see
//! [`super::format::plain`]); text longer than [`MAX_CELL_CHARS`] characters
//! is clipped, so no single value can make the page large.

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, RecordBatch};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::{ArrowError, DataType, SchemaRef};

use super::format;

/// Longest text shown for one value; longer values end with `…`.
pub const MAX_CELL_CHARS: usize = 200;

/// The first rows of an answer, column by column.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub columns: Vec<Column>,
    /// Rows held (the rows read, not the answer's total).
    pub rows: usize,
}

/// One column of a [`Frame`].
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub data_type: DataType,
    /// How each value reads; `None` for NULL.
    pub text: Vec<Option<String>>,
    /// Each value as a number, for numeric columns only.
    pub numbers: Option<Vec<Option<f64>>>,
}

impl Column {
    /// True for integer, float and decimal columns.
    pub fn is_numeric(&self) -> bool {
        is_numeric(&self.data_type)
    }

    /// The value of row `row` as shown in a table cell (empty for NULL).
    pub fn cell(&self, row: usize) -> &str {
        self.text[row].as_deref().unwrap_or("")
    }
}

/// True for integer, float and decimal types.
pub fn is_numeric(data_type: &DataType) -> bool {
    data_type.is_integer() || data_type.is_floating() || is_decimal(data_type)
}

fn is_decimal(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Decimal32(..) | DataType::Decimal64(..) | DataType::Decimal128(..) | DataType::Decimal256(..)
    )
}

impl Frame {
    /// The frame of `batches`, all of schema `schema`.
    pub fn from_batches(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Frame, ArrowError> {
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        let options = FormatOptions::new();
        let mut columns = Vec::with_capacity(schema.fields().len());
        for (index, field) in schema.fields().iter().enumerate() {
            let data_type = field.data_type().clone();
            let numeric = is_numeric(&data_type);
            let mut text = Vec::with_capacity(rows);
            let mut numbers = numeric.then(|| Vec::with_capacity(rows));
            for batch in batches {
                let array = batch.column(index);
                let floats = match numeric {
                    true => Some(arrow_cast::cast(array, &DataType::Float64)?),
                    false => None,
                };
                let floats = floats.as_ref().map(|f| f.as_primitive::<Float64Type>());
                let formatter = ArrayFormatter::try_new(array.as_ref(), &options)?;
                for row in 0..array.len() {
                    if array.is_null(row) {
                        text.push(None);
                        if let Some(numbers) = numbers.as_mut() {
                            numbers.push(None);
                        }
                        continue;
                    }
                    let number = floats.map(|f| f.value(row));
                    let shown = match number {
                        Some(n) if data_type.is_floating() => format::plain(n),
                        _ => format::clip(&formatter.value(row).to_string(), MAX_CELL_CHARS),
                    };
                    text.push(Some(shown));
                    if let Some(numbers) = numbers.as_mut() {
                        numbers.push(number);
                    }
                }
            }
            columns.push(Column { name: field.name().clone(), data_type, text, numbers });
        }
        Ok(Frame { columns, rows })
    }

    /// The column named `name`, if any.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Date32Array, Decimal128Array, Float64Array, Int64Array, StringArray};
    use arrow_schema::{Field, Schema};

    use super::*;

    #[test]
    fn values_read_as_shown_and_numbers_keep_their_value() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
            Field::new("avg", DataType::Float64, true),
            Field::new("price", DataType::Decimal128(10, 2), true),
            Field::new("day", DataType::Date32, true),
        ]));
        let long = "x".repeat(500);
        let batch = |names: Vec<Option<&str>>, n: Vec<Option<i64>>, avg: Vec<Option<f64>>| {
            let rows = names.len();
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringArray::from(names)),
                    Arc::new(Int64Array::from(n)),
                    Arc::new(Float64Array::from(avg)),
                    Arc::new(Decimal128Array::from(vec![Some(199); rows]).with_precision_and_scale(10, 2).unwrap()),
                    Arc::new(Date32Array::from(vec![Some(19_723); rows])),
                ],
            )
            .unwrap()
        };
        let batches = [
            batch(vec![Some("<b>"), None], vec![Some(1234), None], vec![Some(523.0600000000001), None]),
            batch(vec![Some(&long)], vec![Some(-5)], vec![Some(0.012345)]),
        ];
        let frame = Frame::from_batches(&schema, &batches).unwrap();
        assert_eq!(frame.rows, 3);
        let name = frame.column("name").unwrap();
        assert_eq!(name.text[..2], [Some("<b>".to_string()), None]);
        assert_eq!(name.text[2].as_ref().unwrap().chars().count(), MAX_CELL_CHARS);
        assert!(name.numbers.is_none() && !name.is_numeric());
        let n = frame.column("n").unwrap();
        assert_eq!(n.numbers.as_ref().unwrap(), &[Some(1234.0), None, Some(-5.0)]);
        assert_eq!((n.cell(0), n.cell(1)), ("1234", ""));
        let avg = frame.column("avg").unwrap();
        assert_eq!((avg.cell(0), avg.cell(2)), ("523.06", "0.0123"));
        let price = frame.column("price").unwrap();
        assert_eq!((price.cell(0), price.numbers.as_ref().unwrap()[0]), ("1.99", Some(1.99)));
        assert_eq!(frame.column("day").unwrap().cell(0), "2024-01-01");
    }
}
