//! The one table from database result-column types to Arrow (DESIGN.md section 9).
//!
//! Each dialect has a type-system enum ([`PgType`], [`MySqlType`], [`SqliteType`]):
//! one variant per way a value arrives on the wire. `of` is the declarative table
//! from the type sqlx reports for a result column (plus the extra metadata the
//! dialect offers) to a variant, `arrow` maps the variant to its [`ArrowType`], and
//! `decode` (in `decode.rs`) is the small named conversion from one raw value to a [`Cell`] that the
//! stream appends to the column's Arrow builder. The types are chosen once per
//! result, before the first row is decoded, never per value.
//!
//! | database | Arrow |
//! |---|---|
//! | smallint, integer, bigint (SQLite INTEGER: Int64) | Int16, Int32, Int64 |
//! | real, double | Float32, Float64 |
//! | numeric / decimal(p,s), p <= 38 | Decimal128(p,s) |
//! | numeric of unknown or too large precision/scale | Float64 |
//! | text, varchar, char, enum, set, json, jsonb, xml, citext | Utf8 |
//! | uuid | Utf8, canonical lower-case hyphenated form |
//! | boolean (MySQL TINYINT(1)) | Boolean |
//! | date, time | Date32, Time64(us) |
//! | timestamp, datetime | Timestamp(us) |
//! | timestamptz | Timestamp(us, "UTC") |
//! | bytea, blob, binary, varbinary, geometry | Binary |
//!
//! Decisions the table cannot show:
//!
//! * **Unconstrained numerics become Float64.** A PostgreSQL `numeric` without a
//!   type modifier (an expression such as `SUM(price)`, or a column declared plain
//!   `numeric`) has no fixed scale, so no single Decimal128 type holds every value
//!   exactly; Float64 keeps the column numeric for every reader, at the cost of
//!   precision past about 15 significant digits. The same rule covers any decimal
//!   whose precision exceeds 38 (Decimal128's limit) or whose scale is negative or
//!   larger than its precision. Values are converted through their exact decimal
//!   text, so the Float64 is the correctly rounded nearest value.
//! * **PostgreSQL precision and scale** come from `pg_attribute.atttypmod` for
//!   result columns that come straight from a table or view column (one catalog
//!   query per result, see the stream); expressions are unconstrained.
//! * **MySQL DECIMAL**: sqlx keeps the column's `decimals` (scale) private. MySQL
//!   always formats a DECIMAL value with exactly its column's scale (`1.50` in a
//!   `DECIMAL(12,2)`), so the scale is read from the text of the first non-NULL
//!   value of the first batch. The precision comes from the column's display size
//!   (`p + 1 if s > 0 + 1 if signed`), which sqlx also keeps private but shows in
//!   its `Debug` output; if that ever stops parsing, precision 38 is used, which
//!   still holds every value exactly. A DECIMAL column that is entirely NULL in the
//!   first batch (or has no rows) has no scale to read and becomes Float64. Later
//!   values are rescaled exactly or rejected, never silently rounded.
//! * **MySQL TINYINT(1) is Boolean** (it is what `BOOLEAN` means in MySQL). A
//!   value other than 0 or 1 is an error that names the column and suggests
//!   `CAST(col AS SIGNED)`, rather than a silent loss.
//! * **MySQL binary-flagged strings** (`BINARY`, `VARBINARY`, `BLOB`): the protocol
//!   sets the binary flag both for the binary character set and for `*_bin`
//!   collations (including MariaDB's `JSON`, a `LONGTEXT ... utf8mb4_bin`), and
//!   sqlx does not expose the collation that tells them apart. Such a column is
//!   Utf8 when every non-NULL value of the first batch is valid UTF-8, else Binary;
//!   all NULL means Binary. A later non-UTF-8 value in a Utf8 column is an error.
//! * **MySQL zero dates** (`0000-00-00`, or a zero month or day) become NULL, as
//!   Connector/J's `zeroDateTimeBehavior=convertToNull` does. A TIME outside
//!   `00:00:00..24:00:00` is an error (Time64 is a time of day). TIMESTAMP is read
//!   as the session shows it, so it is a Timestamp without time zone.
//! * **SQLite** has declared types, not column types. A declared type sqlx
//!   recognises (INTEGER affinity, REAL, TEXT, BLOB, BOOLEAN, DATE, TIME, DATETIME)
//!   is used when every value of the first batch fits it. Otherwise (expressions,
//!   NUMERIC-affinity declarations such as `DECIMAL(10,2)`, or a declared type the
//!   data contradicts) the type is inferred from the storage classes of the whole
//!   first batch: integers only -> Int64, integers and reals -> Float64, text ->
//!   Utf8, blobs -> Binary, anything mixed -> Utf8, all NULL or no rows -> Utf8. A
//!   later value that does not fit the chosen type is an error naming the column.
//! * **Unknown types**: every MySQL and SQLite type has a row above. A PostgreSQL
//!   type outside the table (interval, arrays, ranges, geometric, network, custom
//!   types) is an error naming the column and type, suggesting a cast to text,
//!   because its binary form is not text; only text-family types known to send
//!   UTF-8 (including enums, `citext` and domains over mapped types) are Utf8.
//!
//! NULL is a NULL in every column of every type.

use arrow_array::types::{Decimal128Type, DecimalType};
use arrow_schema::{DataType, TimeUnit};
use sqlx::mysql::MySqlTypeInfo;
use sqlx::postgres::{PgTypeInfo, PgTypeKind};
use sqlx::sqlite::{SqliteTypeInfo, SqliteValueRef};
use sqlx::{TypeInfo, ValueRef};

/// Decimal128 holds at most this many digits.
const MAX_DECIMAL128_PRECISION: u8 = Decimal128Type::MAX_PRECISION;
/// Microseconds in a day.
pub(super) const DAY_US: i64 = 86_400_000_000;
/// Days from 0001-01-01 (chrono's day 1 of the common era) to 1970-01-01.
pub(super) const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// The Arrow type of an output column. Every result column becomes one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrowType {
    Boolean,
    Int16,
    Int32,
    Int64,
    UInt64,
    Float32,
    Float64,
    Decimal128 { precision: u8, scale: i8 },
    Utf8,
    Binary,
    Date32,
    Time64,
    Timestamp,
    TimestampUtc,
}

impl ArrowType {
    pub fn data_type(self) -> DataType {
        match self {
            ArrowType::Boolean => DataType::Boolean,
            ArrowType::Int16 => DataType::Int16,
            ArrowType::Int32 => DataType::Int32,
            ArrowType::Int64 => DataType::Int64,
            ArrowType::UInt64 => DataType::UInt64,
            ArrowType::Float32 => DataType::Float32,
            ArrowType::Float64 => DataType::Float64,
            ArrowType::Decimal128 { precision, scale } => DataType::Decimal128(precision, scale),
            ArrowType::Utf8 => DataType::Utf8,
            ArrowType::Binary => DataType::Binary,
            ArrowType::Date32 => DataType::Date32,
            ArrowType::Time64 => DataType::Time64(TimeUnit::Microsecond),
            ArrowType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            ArrowType::TimestampUtc => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        }
    }

    /// Decimal128(p,s) when Arrow can hold it, else Float64 (see the module doc).
    fn decimal_or_float(precision: i64, scale: i64) -> ArrowType {
        let fits = (1..=i64::from(MAX_DECIMAL128_PRECISION)).contains(&precision) && (0..=precision).contains(&scale);
        if fits { ArrowType::Decimal128 { precision: precision as u8, scale: scale as i8 } } else { ArrowType::Float64 }
    }
}

/// One decoded value, in the representation of its column's [`ArrowType`]:
/// dates are days since 1970-01-01, times and timestamps microseconds,
/// decimals the unscaled integer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Boolean(bool),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    UInt64(u64),
    Float32(f32),
    Float64(f64),
    Decimal128(i128),
    Utf8(&'a str),
    Binary(&'a [u8]),
    Date32(i32),
    Time64(i64),
    Timestamp(i64),
}

impl Cell<'_> {
    /// The bytes the value takes in an Arrow array (data, not validity or offsets).
    pub fn size(&self) -> usize {
        match self {
            Cell::Null => 0,
            Cell::Boolean(_) => 1,
            Cell::Int16(_) => 2,
            Cell::Int32(_) | Cell::Float32(_) | Cell::Date32(_) => 4,
            Cell::Int64(_) | Cell::UInt64(_) | Cell::Float64(_) | Cell::Time64(_) | Cell::Timestamp(_) => 8,
            Cell::Decimal128(_) => 16,
            Cell::Utf8(text) => text.len(),
            Cell::Binary(bytes) => bytes.len(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: values arrive in the binary wire format (sqlx prepares every query).
// ---------------------------------------------------------------------------------------------

/// How a PostgreSQL result column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgType {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    Float4,
    Float8,
    /// `numeric(p,s)` that Decimal128 can hold.
    Numeric {
        precision: u8,
        scale: i8,
    },
    /// `numeric` without a usable type modifier: read as Float64.
    NumericAsFloat,
    /// Every type whose binary form is its UTF-8 text.
    Text,
    Jsonb,
    Uuid,
    Bytea,
    Date,
    Time,
    Timestamp,
    Timestamptz,
}

impl PgType {
    /// The PostgreSQL table. `typmod` is the column's `atttypmod` when known.
    pub fn of(info: &PgTypeInfo, typmod: Option<i32>) -> Result<PgType, String> {
        match info.kind() {
            PgTypeKind::Enum(_) => return Ok(PgType::Text),
            // A domain's own typmod lives in pg_type; the column's is -1. Read it unconstrained.
            PgTypeKind::Domain(base) => return PgType::of(base, None),
            _ => {}
        }
        Ok(match info.name() {
            "BOOL" => PgType::Bool,
            "INT2" => PgType::Int2,
            "INT4" => PgType::Int4,
            "INT8" => PgType::Int8,
            "OID" => PgType::Oid,
            "FLOAT4" => PgType::Float4,
            "FLOAT8" => PgType::Float8,
            "NUMERIC" => PgType::numeric(typmod),
            "TEXT" | "VARCHAR" | "CHAR" | "\"CHAR\"" | "NAME" | "UNKNOWN" | "JSON" | "XML" | "citext" => PgType::Text,
            "JSONB" => PgType::Jsonb,
            "UUID" => PgType::Uuid,
            "BYTEA" => PgType::Bytea,
            "DATE" => PgType::Date,
            "TIME" => PgType::Time,
            "TIMESTAMP" => PgType::Timestamp,
            "TIMESTAMPTZ" => PgType::Timestamptz,
            other => {
                return Err(format!(
                    "PostgreSQL type {other} has no Arrow mapping; cast the column to a mapped type in the query (e.g. `col::text`)"
                ));
            }
        })
    }

    /// `numeric(p,s)` from its typmod: `p = ((typmod-4) >> 16) & 0xffff`, and `s`
    /// the low 11 bits of `typmod-4`, sign-extended (PostgreSQL 15 allows negative scales).
    fn numeric(typmod: Option<i32>) -> PgType {
        let Some(typmod) = typmod.filter(|t| *t >= 4) else { return PgType::NumericAsFloat };
        let packed = typmod - 4;
        let precision = (packed >> 16) & 0xffff;
        let scale = ((packed & 0x7ff) ^ 1024) - 1024;
        match ArrowType::decimal_or_float(i64::from(precision), i64::from(scale)) {
            ArrowType::Decimal128 { precision, scale } => PgType::Numeric { precision, scale },
            _ => PgType::NumericAsFloat,
        }
    }

    pub fn arrow(self) -> ArrowType {
        match self {
            PgType::Bool => ArrowType::Boolean,
            PgType::Int2 => ArrowType::Int16,
            PgType::Int4 => ArrowType::Int32,
            PgType::Int8 | PgType::Oid => ArrowType::Int64,
            PgType::Float4 => ArrowType::Float32,
            PgType::Float8 | PgType::NumericAsFloat => ArrowType::Float64,
            PgType::Numeric { precision, scale } => ArrowType::Decimal128 { precision, scale },
            PgType::Text | PgType::Jsonb | PgType::Uuid => ArrowType::Utf8,
            PgType::Bytea => ArrowType::Binary,
            PgType::Date => ArrowType::Date32,
            PgType::Time => ArrowType::Time64,
            PgType::Timestamp => ArrowType::Timestamp,
            PgType::Timestamptz => ArrowType::TimestampUtc,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// MySQL and MariaDB: values arrive in the binary protocol (sqlx prepares every query).
// ---------------------------------------------------------------------------------------------

/// How a MySQL result column is read. Integer variants name the wire width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MySqlType {
    /// TINYINT(1).
    Boolean,
    TinyInt,
    TinyIntUnsigned,
    SmallInt,
    SmallIntUnsigned,
    /// INT and MEDIUMINT (both four bytes on the wire).
    Int,
    IntUnsigned,
    BigInt,
    BigIntUnsigned,
    Year,
    Float,
    Double,
    Bit,
    Decimal {
        precision: u8,
        scale: i8,
    },
    /// DECIMAL of unknown scale or more than 38 digits.
    DecimalAsFloat,
    Text,
    Binary,
    Date,
    Time,
    DateTime,
    /// The type of a bare `NULL`.
    Null,
}

impl MySqlType {
    /// The MySQL table. `first_values` are the column's non-NULL raw values in
    /// the first batch, needed for DECIMAL scales and binary-flagged strings.
    pub fn of<'v>(info: &MySqlTypeInfo, mut first_values: impl Iterator<Item = &'v [u8]>) -> Result<MySqlType, String> {
        Ok(match info.name() {
            "BOOLEAN" => MySqlType::Boolean,
            "TINYINT" => MySqlType::TinyInt,
            "TINYINT UNSIGNED" => MySqlType::TinyIntUnsigned,
            "SMALLINT" => MySqlType::SmallInt,
            "SMALLINT UNSIGNED" => MySqlType::SmallIntUnsigned,
            "INT" | "MEDIUMINT" | "MEDIUMINT UNSIGNED" => MySqlType::Int,
            "INT UNSIGNED" => MySqlType::IntUnsigned,
            "BIGINT" => MySqlType::BigInt,
            "BIGINT UNSIGNED" => MySqlType::BigIntUnsigned,
            "YEAR" => MySqlType::Year,
            "FLOAT" => MySqlType::Float,
            "DOUBLE" => MySqlType::Double,
            "BIT" => MySqlType::Bit,
            "DECIMAL" => MySqlType::decimal(info, first_values.next()),
            "CHAR" | "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM" | "SET" | "JSON" => {
                MySqlType::Text
            }
            "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" => {
                let mut first_values = first_values.peekable();
                let any = first_values.peek().is_some();
                if any && first_values.all(|v| std::str::from_utf8(v).is_ok()) {
                    MySqlType::Text
                } else {
                    MySqlType::Binary
                }
            }
            "GEOMETRY" => MySqlType::Binary,
            "DATE" => MySqlType::Date,
            "TIME" => MySqlType::Time,
            "DATETIME" | "TIMESTAMP" => MySqlType::DateTime,
            "NULL" => MySqlType::Null,
            other => return Err(format!("MySQL type {other} has no Arrow mapping")),
        })
    }

    /// DECIMAL(p,s): `s` from the first value's text, `p` from the display size.
    fn decimal(info: &MySqlTypeInfo, first_value: Option<&[u8]>) -> MySqlType {
        let Some(text) = first_value.and_then(|v| std::str::from_utf8(v).ok()) else {
            return MySqlType::DecimalAsFloat;
        };
        let scale = text.split_once('.').map_or(0, |(_, fraction)| fraction.len()) as i64;
        let precision = match mysql_display_size(info) {
            Some((size, unsigned)) => i64::from(size) - i64::from(scale > 0) - i64::from(!unsigned),
            None => i64::from(MAX_DECIMAL128_PRECISION),
        };
        match ArrowType::decimal_or_float(precision, scale) {
            ArrowType::Decimal128 { precision, scale } => MySqlType::Decimal { precision, scale },
            _ => MySqlType::DecimalAsFloat,
        }
    }

    pub fn arrow(self) -> ArrowType {
        match self {
            MySqlType::Boolean => ArrowType::Boolean,
            MySqlType::TinyInt | MySqlType::TinyIntUnsigned | MySqlType::SmallInt | MySqlType::Year => ArrowType::Int16,
            MySqlType::SmallIntUnsigned | MySqlType::Int => ArrowType::Int32,
            MySqlType::IntUnsigned | MySqlType::BigInt => ArrowType::Int64,
            MySqlType::BigIntUnsigned | MySqlType::Bit => ArrowType::UInt64,
            MySqlType::Float => ArrowType::Float32,
            MySqlType::Double | MySqlType::DecimalAsFloat => ArrowType::Float64,
            MySqlType::Decimal { precision, scale } => ArrowType::Decimal128 { precision, scale },
            MySqlType::Text | MySqlType::Null => ArrowType::Utf8,
            MySqlType::Binary => ArrowType::Binary,
            MySqlType::Date => ArrowType::Date32,
            MySqlType::Time => ArrowType::Time64,
            MySqlType::DateTime => ArrowType::Timestamp,
        }
    }
}

/// The column's display size and UNSIGNED flag. sqlx keeps both private; its
/// derived `Debug` output (`max_size: Some(14)`, `ColumnFlags(UNSIGNED | ...)`)
/// is the only window onto them. `None` when that format ever changes.
fn mysql_display_size(info: &MySqlTypeInfo) -> Option<(u32, bool)> {
    let debug = format!("{info:?}");
    let size = debug.split("max_size: Some(").nth(1)?.split(')').next()?.parse().ok()?;
    Some((size, debug.contains("UNSIGNED")))
}

// ---------------------------------------------------------------------------------------------
// SQLite: values carry their own storage class; declared types are hints.
// ---------------------------------------------------------------------------------------------

/// How a SQLite result column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteType {
    Integer,
    Real,
    Text,
    Blob,
    Boolean,
    /// Text `YYYY-MM-DD`.
    Date,
    /// Text `HH:MM[:SS[.fff]]`.
    Time,
    /// Text `YYYY-MM-DD[ T]HH:MM[:SS[.fff]][Z|±HH:MM]`, or a bare date.
    DateTime,
}

/// A SQLite value's storage class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StorageClass {
    Null,
    Integer,
    Real,
    Text,
    Blob,
}

impl StorageClass {
    pub(super) fn of(value: &SqliteValueRef<'_>) -> StorageClass {
        if value.is_null() {
            return StorageClass::Null;
        }
        match value.type_info().name() {
            "INTEGER" => StorageClass::Integer,
            "REAL" => StorageClass::Real,
            "BLOB" => StorageClass::Blob,
            _ => StorageClass::Text,
        }
    }
}

impl SqliteType {
    /// The SQLite table: the declared type (as sqlx parses the decltype; "NULL"
    /// when there is none or it has NUMERIC affinity) when every first-batch
    /// value fits it, else the type inferred from the first batch's storage classes.
    pub fn of<'r>(
        declared: &SqliteTypeInfo,
        first_values: impl Iterator<Item = SqliteValueRef<'r>> + Clone,
    ) -> SqliteType {
        let declared = match declared.name() {
            "INTEGER" => Some(SqliteType::Integer),
            "REAL" => Some(SqliteType::Real),
            "TEXT" => Some(SqliteType::Text),
            "BLOB" => Some(SqliteType::Blob),
            "BOOLEAN" => Some(SqliteType::Boolean),
            "DATE" => Some(SqliteType::Date),
            "TIME" => Some(SqliteType::Time),
            "DATETIME" => Some(SqliteType::DateTime),
            _ => None,
        };
        if let Some(declared) = declared {
            let mut scratch = String::new();
            if first_values.clone().all(|value| declared.decode(value, &mut scratch).is_ok()) {
                return declared;
            }
        }
        SqliteType::infer(first_values.map(|v| StorageClass::of(&v)))
    }

    /// Integers only -> Integer; integers and reals -> Real; text -> Text;
    /// blobs -> Blob; anything mixed, all NULL, or nothing -> Text.
    fn infer(classes: impl Iterator<Item = StorageClass>) -> SqliteType {
        let (mut integer, mut real, mut text, mut blob) = (false, false, false, false);
        for class in classes {
            match class {
                StorageClass::Null => {}
                StorageClass::Integer => integer = true,
                StorageClass::Real => real = true,
                StorageClass::Text => text = true,
                StorageClass::Blob => blob = true,
            }
        }
        match (integer, real, text, blob) {
            (true, false, false, false) => SqliteType::Integer,
            (_, true, false, false) => SqliteType::Real,
            (false, false, false, true) => SqliteType::Blob,
            _ => SqliteType::Text,
        }
    }

    pub fn arrow(self) -> ArrowType {
        match self {
            SqliteType::Integer => ArrowType::Int64,
            SqliteType::Real => ArrowType::Float64,
            SqliteType::Text => ArrowType::Utf8,
            SqliteType::Blob => ArrowType::Binary,
            SqliteType::Boolean => ArrowType::Boolean,
            SqliteType::Date => ArrowType::Date32,
            SqliteType::Time => ArrowType::Time64,
            SqliteType::DateTime => ArrowType::Timestamp,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

    use super::*;

    #[test]
    fn pg_typmod_gives_precision_and_scale() {
        let typmod = |p: i32, s: i32| Some(((p << 16) | (s & 0x7ff)) + 4);
        assert_eq!(PgType::numeric(typmod(12, 2)), PgType::Numeric { precision: 12, scale: 2 });
        assert_eq!(PgType::numeric(typmod(38, 10)), PgType::Numeric { precision: 38, scale: 10 });
        assert_eq!(PgType::numeric(typmod(39, 2)), PgType::NumericAsFloat, "too wide for Decimal128");
        assert_eq!(PgType::numeric(typmod(5, -2)), PgType::NumericAsFloat, "negative scale");
        assert_eq!(PgType::numeric(Some(-1)), PgType::NumericAsFloat);
        assert_eq!(PgType::numeric(None), PgType::NumericAsFloat);
    }

    #[test]
    fn postgres_table() {
        use sqlx::postgres::Postgres;
        fn info<T: sqlx::Type<Postgres>>() -> PgTypeInfo {
            T::type_info()
        }
        let micros = TimeUnit::Microsecond;
        let cases = [
            (info::<bool>(), DataType::Boolean),
            (info::<i16>(), DataType::Int16),
            (info::<i32>(), DataType::Int32),
            (info::<i64>(), DataType::Int64),
            (info::<f32>(), DataType::Float32),
            (info::<f64>(), DataType::Float64),
            (info::<rust_decimal::Decimal>(), DataType::Float64),
            (info::<String>(), DataType::Utf8),
            (info::<serde_json::Value>(), DataType::Utf8),
            (info::<uuid::Uuid>(), DataType::Utf8),
            (info::<Vec<u8>>(), DataType::Binary),
            (info::<NaiveDate>(), DataType::Date32),
            (info::<NaiveTime>(), DataType::Time64(micros)),
            (info::<NaiveDateTime>(), DataType::Timestamp(micros, None)),
            (info::<chrono::DateTime<chrono::Utc>>(), DataType::Timestamp(micros, Some("UTC".into()))),
        ];
        for (info, expected) in cases {
            let ty = PgType::of(&info, None).unwrap();
            assert_eq!(ty.arrow().data_type(), expected, "{}", info.name());
        }
        let err = PgType::of(&info::<sqlx::postgres::types::PgInterval>(), None).unwrap_err();
        assert!(err.contains("INTERVAL") && err.contains("cast"), "{err}");
    }

    #[test]
    fn sqlite_inference_over_storage_classes() {
        use StorageClass::*;
        let infer = |classes: &[StorageClass]| SqliteType::infer(classes.iter().copied());
        assert_eq!(infer(&[Integer, Null, Integer]), SqliteType::Integer);
        assert_eq!(infer(&[Integer, Real]), SqliteType::Real);
        assert_eq!(infer(&[Real, Null]), SqliteType::Real);
        assert_eq!(infer(&[Text, Null]), SqliteType::Text);
        assert_eq!(infer(&[Blob]), SqliteType::Blob);
        assert_eq!(infer(&[Integer, Text]), SqliteType::Text, "mixed");
        assert_eq!(infer(&[Blob, Integer]), SqliteType::Text, "mixed");
        assert_eq!(infer(&[Null, Null]), SqliteType::Text, "all NULL");
        assert_eq!(infer(&[]), SqliteType::Text, "no rows");
    }
}
