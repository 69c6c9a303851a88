//! The batch being built from one query's rows: one Arrow builder per output
//! column, each column filled by its typed reader ([`ReadCell`]), finished
//! into a [`RecordBatch`] every `batch_rows` rows. The stream decides which
//! rows go in; this module only turns cells into Arrow arrays.

use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float32Builder, Float64Builder,
    Int16Builder, Int32Builder, Int64Builder, StringBuilder, Time64MicrosecondBuilder, TimestampMicrosecondBuilder,
    UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema, SchemaRef};

use super::error::StreamError;
use super::types::{ArrowType, Cell};

/// Reads one column's value from a row of its dialect as a [`Cell`].
pub(super) trait ReadCell<R>: Copy {
    fn arrow(self) -> ArrowType;
    fn read<'r>(self, row: &'r R, index: usize, scratch: &'r mut String) -> Result<Cell<'r>, String>;
}

/// One output column: how its values are read, and the builder they fill.
pub(super) struct OutputColumn<T> {
    name: String,
    source: T,
    builder: ColumnBuilder,
    /// Reused text buffer for values that must be formatted (UUIDs, ...).
    scratch: String,
}

/// The batch being built: one builder per column.
pub(super) struct BatchBuilder<T> {
    pub(super) schema: SchemaRef,
    pub(super) columns: Vec<OutputColumn<T>>,
    pub(super) rows: usize,
    /// Bytes of the values appended since the last [`BatchBuilder::finish`].
    pub(super) bytes: usize,
}

impl<T> BatchBuilder<T> {
    pub(super) fn new<R>(columns: Vec<(String, T)>, capacity: usize) -> Result<Self, StreamError>
    where
        T: ReadCell<R>,
    {
        if columns.is_empty() {
            return Err(StreamError::Unsupported {
                column: String::new(),
                message: "the query returns no columns; a Parquet file needs at least one".into(),
            });
        }
        let fields: Vec<Field> =
            columns.iter().map(|(name, source)| Field::new(name, source.arrow().data_type(), true)).collect();
        let columns = columns
            .into_iter()
            .map(|(name, source)| OutputColumn {
                builder: ColumnBuilder::new(source.arrow(), capacity),
                name,
                source,
                scratch: String::new(),
            })
            .collect();
        Ok(BatchBuilder { schema: Arc::new(Schema::new(fields)), columns, rows: 0, bytes: 0 })
    }

    /// Appends one row; returns the bytes its values take in the batch.
    pub(super) fn append<R>(&mut self, row: &R) -> Result<usize, StreamError>
    where
        T: ReadCell<R>,
    {
        let mut bytes = 0;
        for (index, column) in self.columns.iter_mut().enumerate() {
            let appended = match column.source.read(row, index, &mut column.scratch) {
                Ok(cell) => {
                    bytes += cell.size();
                    column.builder.append(cell)
                }
                Err(message) => Err(message),
            };
            appended.map_err(|message| StreamError::Unsupported { column: column.name.clone(), message })?;
        }
        self.rows += 1;
        self.bytes += bytes;
        Ok(bytes)
    }

    /// The rows appended so far as a batch; the builders start over empty.
    pub(super) fn finish(&mut self) -> Result<RecordBatch, StreamError> {
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(|c| c.builder.finish()).collect();
        self.rows = 0;
        self.bytes = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| StreamError::Unsupported {
            column: String::new(),
            message: format!("cannot assemble a record batch: {e}"),
        })
    }
}

/// Runs `$body` with `$b` bound to whichever builder `$builder` holds.
macro_rules! each_builder {
    ($builder:expr, $b:ident => $body:expr) => {
        match $builder {
            ColumnBuilder::Boolean($b) => $body,
            ColumnBuilder::Int16($b) => $body,
            ColumnBuilder::Int32($b) => $body,
            ColumnBuilder::Int64($b) => $body,
            ColumnBuilder::UInt64($b) => $body,
            ColumnBuilder::Float32($b) => $body,
            ColumnBuilder::Float64($b) => $body,
            ColumnBuilder::Decimal128($b) => $body,
            ColumnBuilder::Utf8($b) => $body,
            ColumnBuilder::Binary($b) => $body,
            ColumnBuilder::Date32($b) => $body,
            ColumnBuilder::Time64($b) => $body,
            ColumnBuilder::Timestamp($b) => $body,
        }
    };
}

/// An Arrow builder for each [`ArrowType`].
enum ColumnBuilder {
    Boolean(BooleanBuilder),
    Int16(Int16Builder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    UInt64(UInt64Builder),
    Float32(Float32Builder),
    Float64(Float64Builder),
    Decimal128(Decimal128Builder),
    Utf8(StringBuilder),
    Binary(BinaryBuilder),
    Date32(Date32Builder),
    Time64(Time64MicrosecondBuilder),
    Timestamp(TimestampMicrosecondBuilder),
}

impl ColumnBuilder {
    fn new(ty: ArrowType, capacity: usize) -> ColumnBuilder {
        match ty {
            ArrowType::Boolean => ColumnBuilder::Boolean(BooleanBuilder::with_capacity(capacity)),
            ArrowType::Int16 => ColumnBuilder::Int16(Int16Builder::with_capacity(capacity)),
            ArrowType::Int32 => ColumnBuilder::Int32(Int32Builder::with_capacity(capacity)),
            ArrowType::Int64 => ColumnBuilder::Int64(Int64Builder::with_capacity(capacity)),
            ArrowType::UInt64 => ColumnBuilder::UInt64(UInt64Builder::with_capacity(capacity)),
            ArrowType::Float32 => ColumnBuilder::Float32(Float32Builder::with_capacity(capacity)),
            ArrowType::Float64 => ColumnBuilder::Float64(Float64Builder::with_capacity(capacity)),
            // The data type carries precision and scale; the type table only produces valid ones.
            ty @ ArrowType::Decimal128 { .. } => {
                ColumnBuilder::Decimal128(Decimal128Builder::with_capacity(capacity).with_data_type(ty.data_type()))
            }
            ArrowType::Utf8 => ColumnBuilder::Utf8(StringBuilder::with_capacity(capacity, capacity * 8)),
            ArrowType::Binary => ColumnBuilder::Binary(BinaryBuilder::with_capacity(capacity, capacity * 8)),
            ArrowType::Date32 => ColumnBuilder::Date32(Date32Builder::with_capacity(capacity)),
            ArrowType::Time64 => ColumnBuilder::Time64(Time64MicrosecondBuilder::with_capacity(capacity)),
            ty @ (ArrowType::Timestamp | ArrowType::TimestampUtc) => ColumnBuilder::Timestamp(
                TimestampMicrosecondBuilder::with_capacity(capacity).with_data_type(ty.data_type()),
            ),
        }
    }

    #[inline]
    fn append(&mut self, cell: Cell<'_>) -> Result<(), String> {
        match (self, cell) {
            (ColumnBuilder::Boolean(b), Cell::Boolean(v)) => b.append_value(v),
            (ColumnBuilder::Int16(b), Cell::Int16(v)) => b.append_value(v),
            (ColumnBuilder::Int32(b), Cell::Int32(v)) => b.append_value(v),
            (ColumnBuilder::Int64(b), Cell::Int64(v)) => b.append_value(v),
            (ColumnBuilder::UInt64(b), Cell::UInt64(v)) => b.append_value(v),
            (ColumnBuilder::Float32(b), Cell::Float32(v)) => b.append_value(v),
            (ColumnBuilder::Float64(b), Cell::Float64(v)) => b.append_value(v),
            (ColumnBuilder::Decimal128(b), Cell::Decimal128(v)) => b.append_value(v),
            (ColumnBuilder::Utf8(b), Cell::Utf8(v)) => b.append_value(v),
            (ColumnBuilder::Binary(b), Cell::Binary(v)) => b.append_value(v),
            (ColumnBuilder::Date32(b), Cell::Date32(v)) => b.append_value(v),
            (ColumnBuilder::Time64(b), Cell::Time64(v)) => b.append_value(v),
            (ColumnBuilder::Timestamp(b), Cell::Timestamp(v)) => b.append_value(v),
            (builder, Cell::Null) => each_builder!(builder, b => b.append_null()),
            (_, cell) => return Err(format!("internal error: decoded {cell:?} for a column of another type")),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        each_builder!(self, b => ArrayBuilder::finish(b))
    }
}
