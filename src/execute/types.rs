//! The one table from database result-column types to Arrow (DESIGN.md section 9).
//!
//! Each dialect has a type-system enum ([`PgType`], [`MySqlType`], [`SqliteType`]):
//! one variant per way a value arrives on the wire. `of` is the declarative table
//! from the type sqlx reports for a result column (plus the extra metadata the
//! dialect offers) to a variant, `arrow` maps the variant to its [`ArrowType`], and
//! `decode` is the small named conversion from one raw value to a [`Cell`] that the
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

use std::fmt::Write as _;

use arrow_array::types::{Decimal128Type, DecimalType};
use arrow_schema::{DataType, TimeUnit};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use sqlx::mysql::MySqlTypeInfo;
use sqlx::postgres::{PgTypeInfo, PgTypeKind};
use sqlx::sqlite::{Sqlite, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, TypeInfo, ValueRef};

/// Decimal128 holds at most this many digits.
const MAX_DECIMAL128_PRECISION: u8 = Decimal128Type::MAX_PRECISION;
/// Microseconds in a day.
const DAY_US: i64 = 86_400_000_000;
/// Days from 0001-01-01 (chrono's day 1 of the common era) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

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

    /// Decodes one non-NULL value from its binary wire form. `scratch` holds
    /// text this function formats (UUIDs, numerics on their way to Float64).
    pub fn decode<'a>(self, raw: &'a [u8], scratch: &'a mut String) -> Result<Cell<'a>, String> {
        /// Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
        const PG_EPOCH_US: i64 = 946_684_800_000_000;
        /// Days from 1970-01-01 to 2000-01-01.
        const PG_EPOCH_DAYS: i32 = 10_957;
        Ok(match self {
            PgType::Bool => Cell::Boolean(fixed::<1>(raw)?[0] != 0),
            PgType::Int2 => Cell::Int16(i16::from_be_bytes(fixed(raw)?)),
            PgType::Int4 => Cell::Int32(i32::from_be_bytes(fixed(raw)?)),
            PgType::Int8 => Cell::Int64(i64::from_be_bytes(fixed(raw)?)),
            PgType::Oid => Cell::Int64(i64::from(u32::from_be_bytes(fixed(raw)?))),
            PgType::Float4 => Cell::Float32(f32::from_be_bytes(fixed(raw)?)),
            PgType::Float8 => Cell::Float64(f64::from_be_bytes(fixed(raw)?)),
            PgType::Numeric { precision, scale } => Cell::Decimal128(pg_numeric_to_i128(raw, precision, scale)?),
            PgType::NumericAsFloat => Cell::Float64(pg_numeric_to_f64(raw, scratch)?),
            PgType::Text => Cell::Utf8(utf8(raw)?),
            PgType::Jsonb => match raw.split_first() {
                Some((1, json)) => Cell::Utf8(utf8(json)?),
                _ => return Err("unknown jsonb binary format version".into()),
            },
            PgType::Uuid => {
                let uuid = uuid::Uuid::from_slice(raw).map_err(|e| format!("invalid uuid: {e}"))?;
                scratch.clear();
                write!(scratch, "{}", uuid.hyphenated()).expect("writing to a String cannot fail");
                Cell::Utf8(scratch)
            }
            PgType::Bytea => Cell::Binary(raw),
            PgType::Date => match i32::from_be_bytes(fixed(raw)?) {
                i32::MAX | i32::MIN => return Err("date 'infinity' has no Arrow Date32 form".into()),
                days => Cell::Date32(days.checked_add(PG_EPOCH_DAYS).ok_or("date out of range")?),
            },
            PgType::Time => Cell::Time64(i64::from_be_bytes(fixed(raw)?)),
            PgType::Timestamp | PgType::Timestamptz => match i64::from_be_bytes(fixed(raw)?) {
                i64::MAX | i64::MIN => return Err("timestamp 'infinity' has no Arrow Timestamp form".into()),
                us => Cell::Timestamp(us.checked_add(PG_EPOCH_US).ok_or("timestamp out of range")?),
            },
        })
    }
}

/// PostgreSQL's binary NUMERIC: a sign and base-10000 digit groups, the first
/// group weighing `10000^weight`.
struct PgNumeric<'a> {
    weight: i32,
    negative: bool,
    /// Big-endian u16 digit groups, 0..=9999 each.
    groups: &'a [u8],
}

impl<'a> PgNumeric<'a> {
    const POSITIVE: u16 = 0x0000;
    const NEGATIVE: u16 = 0x4000;
    const NAN: u16 = 0xC000;
    const POSITIVE_INFINITY: u16 = 0xD000;
    const NEGATIVE_INFINITY: u16 = 0xF000;

    /// Parses the header; `Ok(Err(f))` is a special value (NaN, infinities) as its f64.
    fn parse(raw: &'a [u8]) -> Result<Result<PgNumeric<'a>, f64>, String> {
        let header: [u8; 8] = raw.get(..8).and_then(|h| h.try_into().ok()).ok_or("truncated numeric")?;
        let ndigits = usize::from(u16::from_be_bytes([header[0], header[1]]));
        let weight = i32::from(i16::from_be_bytes([header[2], header[3]]));
        let negative = match u16::from_be_bytes([header[4], header[5]]) {
            Self::POSITIVE => false,
            Self::NEGATIVE => true,
            Self::NAN => return Ok(Err(f64::NAN)),
            Self::POSITIVE_INFINITY => return Ok(Err(f64::INFINITY)),
            Self::NEGATIVE_INFINITY => return Ok(Err(f64::NEG_INFINITY)),
            other => return Err(format!("invalid numeric sign 0x{other:04x}")),
        };
        let groups = &raw[8..];
        if groups.len() != 2 * ndigits {
            return Err("numeric digit count does not match its length".into());
        }
        Ok(Ok(PgNumeric { weight, negative, groups }))
    }

    fn groups(&self) -> impl Iterator<Item = u16> + '_ {
        self.groups.chunks_exact(2).map(|g| u16::from_be_bytes([g[0], g[1]]))
    }
}

/// The unscaled Decimal128 value of a binary NUMERIC at `scale`, exactly, or an error.
fn pg_numeric_to_i128(raw: &[u8], precision: u8, scale: i8) -> Result<i128, String> {
    let numeric = match PgNumeric::parse(raw)? {
        Ok(numeric) => numeric,
        Err(special) => return Err(format!("numeric {special} has no Decimal128 form")),
    };
    let too_precise = || format!("numeric value has more than {scale} fractional digits");
    let overflow = || format!("numeric value does not fit Decimal128({precision},{scale})");
    // Horner over the digit groups; `unit` is the power of ten (in units of
    // 10^-scale) of the accumulator's last digit.
    let mut acc: i128 = 0;
    let mut unit: i32 = 0;
    for (i, group) in numeric.groups().enumerate() {
        let group = i128::from(group);
        let exponent = 4 * (numeric.weight - i as i32) + i32::from(scale);
        if exponent >= 0 {
            acc = acc.checked_mul(10_000).and_then(|a| a.checked_add(group)).ok_or_else(overflow)?;
            unit = exponent;
        } else if exponent > -4 {
            let divisor = 10i128.pow(exponent.unsigned_abs());
            if group % divisor != 0 {
                return Err(too_precise());
            }
            let shift = 10i128.pow((4 + exponent) as u32);
            acc = acc.checked_mul(shift).and_then(|a| a.checked_add(group / divisor)).ok_or_else(overflow)?;
            unit = 0;
        } else if group != 0 {
            return Err(too_precise());
        }
    }
    let value = 10i128.checked_pow(unit as u32).and_then(|p| acc.checked_mul(p)).ok_or_else(overflow)?;
    let value = if numeric.negative { -value } else { value };
    check_decimal_precision(value, precision)?;
    Ok(value)
}

/// A binary NUMERIC as the nearest f64, through its exact decimal text.
fn pg_numeric_to_f64(raw: &[u8], scratch: &mut String) -> Result<f64, String> {
    let numeric = match PgNumeric::parse(raw)? {
        Ok(numeric) => numeric,
        Err(special) => return Ok(special),
    };
    scratch.clear();
    if numeric.negative {
        scratch.push('-');
    }
    let mut ngroups = 0;
    for group in numeric.groups() {
        for divisor in [1000, 100, 10, 1] {
            scratch.push(char::from(b'0' + ((group / divisor) % 10) as u8));
        }
        ngroups += 1;
    }
    if ngroups == 0 {
        return Ok(0.0);
    }
    let exponent = 4 * (numeric.weight - ngroups + 1);
    write!(scratch, "e{exponent}").expect("writing to a String cannot fail");
    scratch.parse::<f64>().map_err(|e| format!("numeric {scratch}: {e}"))
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

    /// Decodes one non-NULL value from its binary-protocol form (integers and
    /// floats little-endian; decimals as text; temporal values length-prefixed).
    pub fn decode(self, raw: &[u8]) -> Result<Cell<'_>, String> {
        Ok(match self {
            MySqlType::Boolean => match fixed::<1>(raw)?[0] {
                0 => Cell::Boolean(false),
                1 => Cell::Boolean(true),
                other => {
                    return Err(format!(
                        "TINYINT(1) is read as BOOLEAN but holds {}; use CAST(col AS SIGNED) to read it as a number",
                        other as i8
                    ));
                }
            },
            MySqlType::TinyInt => Cell::Int16(i16::from(i8::from_le_bytes(fixed(raw)?))),
            MySqlType::TinyIntUnsigned => Cell::Int16(i16::from(u8::from_le_bytes(fixed(raw)?))),
            MySqlType::SmallInt => Cell::Int16(i16::from_le_bytes(fixed(raw)?)),
            MySqlType::SmallIntUnsigned => Cell::Int32(i32::from(u16::from_le_bytes(fixed(raw)?))),
            MySqlType::Year => Cell::Int16(u16::from_le_bytes(fixed(raw)?) as i16),
            MySqlType::Int => Cell::Int32(i32::from_le_bytes(fixed(raw)?)),
            MySqlType::IntUnsigned => Cell::Int64(i64::from(u32::from_le_bytes(fixed(raw)?))),
            MySqlType::BigInt => Cell::Int64(i64::from_le_bytes(fixed(raw)?)),
            MySqlType::BigIntUnsigned => Cell::UInt64(u64::from_le_bytes(fixed(raw)?)),
            MySqlType::Float => Cell::Float32(f32::from_le_bytes(fixed(raw)?)),
            MySqlType::Double => Cell::Float64(f64::from_le_bytes(fixed(raw)?)),
            MySqlType::Bit => {
                if raw.len() > 8 {
                    return Err(format!("BIT value of {} bytes does not fit 64 bits", raw.len()));
                }
                Cell::UInt64(raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
            }
            MySqlType::Decimal { precision, scale } => {
                Cell::Decimal128(decimal_text_to_i128(utf8(raw)?, precision, scale)?)
            }
            MySqlType::DecimalAsFloat => {
                let text = utf8(raw)?;
                Cell::Float64(text.parse().map_err(|e| format!("decimal {text}: {e}"))?)
            }
            MySqlType::Text => Cell::Utf8(utf8(raw).map_err(|e| {
                format!("{e}; the column looked like text in the first batch but this value is binary")
            })?),
            MySqlType::Binary => Cell::Binary(raw),
            MySqlType::Date => match mysql_date(raw)? {
                Some((date, _)) => Cell::Date32(days_since_epoch(date)),
                None => Cell::Null,
            },
            MySqlType::DateTime => match mysql_date(raw)? {
                Some((date, time_us)) => Cell::Timestamp(i64::from(days_since_epoch(date)) * DAY_US + time_us),
                None => Cell::Null,
            },
            MySqlType::Time => Cell::Time64(mysql_time(raw)?),
            MySqlType::Null => Cell::Null,
        })
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

/// A binary-protocol DATE/DATETIME/TIMESTAMP (`len, year(2), month, day, [h, m, s, [us(4)]]`)
/// as a date and microseconds into that day; `None` for zero dates.
fn mysql_date(raw: &[u8]) -> Result<Option<(NaiveDate, i64)>, String> {
    let (&len, body) = raw.split_first().ok_or("empty date value")?;
    let body = body.get(..usize::from(len)).ok_or("truncated date value")?;
    if body.len() < 4 {
        return Ok(None);
    }
    let year = i32::from(u16::from_le_bytes([body[0], body[1]]));
    let Some(date) = NaiveDate::from_ymd_opt(year, u32::from(body[2]), u32::from(body[3])) else {
        return Ok(None);
    };
    let (hour, minute, second) = match body.get(4..7) {
        Some(hms) => (i64::from(hms[0]), i64::from(hms[1]), i64::from(hms[2])),
        None => (0, 0, 0),
    };
    let micros = body.get(7..11).map_or(0, |us| i64::from(u32::from_le_bytes([us[0], us[1], us[2], us[3]])));
    Ok(Some((date, ((hour * 60 + minute) * 60 + second) * 1_000_000 + micros)))
}

/// A binary-protocol TIME (`len, negative, days(4), h, m, s, [us(4)]`) as
/// microseconds since midnight; values outside one day are an error.
fn mysql_time(raw: &[u8]) -> Result<i64, String> {
    let (&len, body) = raw.split_first().ok_or("empty time value")?;
    let body = body.get(..usize::from(len)).ok_or("truncated time value")?;
    if body.len() < 8 {
        return Ok(0);
    }
    let negative = body[0] != 0;
    let days = i64::from(u32::from_le_bytes([body[1], body[2], body[3], body[4]]));
    let micros = body.get(8..12).map_or(0, |us| i64::from(u32::from_le_bytes([us[0], us[1], us[2], us[3]])));
    let total =
        (((days * 24 + i64::from(body[5])) * 60 + i64::from(body[6])) * 60 + i64::from(body[7])) * 1_000_000 + micros;
    if negative || total >= DAY_US {
        let sign = if negative { "-" } else { "" };
        return Err(format!(
            "TIME {sign}{}h is not a time of day and has no Arrow Time64 form; use TIME_TO_SEC(col) to read it as seconds",
            total / 3_600_000_000
        ));
    }
    Ok(total)
}

/// Exact decimal text (`-123.45`) as an unscaled integer at `scale`; extra
/// fractional digits must be zeros, missing ones are padded.
fn decimal_text_to_i128(text: &str, precision: u8, scale: i8) -> Result<i128, String> {
    let invalid = || format!("invalid decimal text '{text}'");
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (integer, fraction) = body.split_once('.').unwrap_or((body, ""));
    if integer.is_empty() && fraction.is_empty() {
        return Err(invalid());
    }
    let scale = usize::try_from(scale).map_err(|_| invalid())?;
    let (kept, dropped) = fraction.split_at(fraction.len().min(scale));
    if dropped.bytes().any(|b| b != b'0') {
        return Err(format!("decimal {text} has more than {scale} fractional digits"));
    }
    let mut acc: i128 = 0;
    for byte in integer.bytes().chain(kept.bytes()).chain(std::iter::repeat_n(b'0', scale - kept.len())) {
        if !byte.is_ascii_digit() {
            return Err(invalid());
        }
        acc = acc.checked_mul(10).and_then(|a| a.checked_add(i128::from(byte - b'0'))).ok_or_else(invalid)?;
    }
    let value = if negative { -acc } else { acc };
    check_decimal_precision(value, precision)?;
    Ok(value)
}

fn check_decimal_precision(value: i128, precision: u8) -> Result<(), String> {
    if Decimal128Type::is_valid_decimal_precision(value, precision) {
        Ok(())
    } else {
        Err(format!("decimal value has more than {precision} digits"))
    }
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
enum StorageClass {
    Null,
    Integer,
    Real,
    Text,
    Blob,
}

impl StorageClass {
    fn of(value: &SqliteValueRef<'_>) -> StorageClass {
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

    /// Decodes one value (NULL included) by its storage class; a value that does
    /// not fit this type is an error rather than a lossy conversion.
    pub fn decode<'a>(self, value: SqliteValueRef<'a>, scratch: &'a mut String) -> Result<Cell<'a>, String> {
        let class = StorageClass::of(&value);
        let mismatch =
            || format!("a {class:?} value does not fit the column's type {self:?} chosen from the first batch");
        let decode_err = |e: sqlx::error::BoxDynError| e.to_string();
        Ok(match (self, class) {
            (_, StorageClass::Null) => Cell::Null,
            (SqliteType::Integer, StorageClass::Integer) => {
                Cell::Int64(<i64 as Decode<Sqlite>>::decode(value).map_err(decode_err)?)
            }
            (SqliteType::Real, StorageClass::Integer | StorageClass::Real) => {
                Cell::Float64(<f64 as Decode<Sqlite>>::decode(value).map_err(decode_err)?)
            }
            (SqliteType::Text, StorageClass::Integer) => {
                scratch.clear();
                write!(scratch, "{}", <i64 as Decode<Sqlite>>::decode(value).map_err(decode_err)?)
                    .expect("writing to a String cannot fail");
                Cell::Utf8(scratch)
            }
            (SqliteType::Text, StorageClass::Real) => {
                scratch.clear();
                write!(scratch, "{}", <f64 as Decode<Sqlite>>::decode(value).map_err(decode_err)?)
                    .expect("writing to a String cannot fail");
                Cell::Utf8(scratch)
            }
            (SqliteType::Text, StorageClass::Text | StorageClass::Blob) => {
                Cell::Utf8(utf8(<&[u8] as Decode<Sqlite>>::decode(value).map_err(decode_err)?)?)
            }
            (SqliteType::Blob, StorageClass::Blob | StorageClass::Text) => {
                Cell::Binary(<&[u8] as Decode<Sqlite>>::decode(value).map_err(decode_err)?)
            }
            (SqliteType::Boolean, StorageClass::Integer) => {
                match <i64 as Decode<Sqlite>>::decode(value).map_err(decode_err)? {
                    0 => Cell::Boolean(false),
                    1 => Cell::Boolean(true),
                    _ => return Err(mismatch()),
                }
            }
            (SqliteType::Date, StorageClass::Text) => {
                let text = <&str as Decode<Sqlite>>::decode(value).map_err(decode_err)?;
                Cell::Date32(days_since_epoch(parse_sqlite_date(text).ok_or_else(mismatch)?))
            }
            (SqliteType::Time, StorageClass::Text) => {
                let text = <&str as Decode<Sqlite>>::decode(value).map_err(decode_err)?;
                Cell::Time64(micros_since_midnight(parse_sqlite_time(text).ok_or_else(mismatch)?))
            }
            (SqliteType::DateTime, StorageClass::Text) => {
                let text = <&str as Decode<Sqlite>>::decode(value).map_err(decode_err)?;
                Cell::Timestamp(parse_sqlite_datetime(text).ok_or_else(mismatch)?.and_utc().timestamp_micros())
            }
            _ => return Err(mismatch()),
        })
    }
}

fn parse_sqlite_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn parse_sqlite_time(text: &str) -> Option<NaiveTime> {
    ["%H:%M:%S%.f", "%H:%M"].iter().find_map(|f| NaiveTime::parse_from_str(text, f).ok())
}

/// SQLite's date-function formats; a time zone suffix is converted to UTC.
fn parse_sqlite_datetime(text: &str) -> Option<NaiveDateTime> {
    const NAIVE: [&str; 4] = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"];
    const ZONED: [&str; 2] = ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%:z"];
    let text = text.trim();
    let (text, utc) = match text.strip_suffix('Z') {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    NAIVE
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            (!utc)
                .then(|| ZONED.iter().find_map(|f| chrono::DateTime::parse_from_str(text, f).ok()))?
                .map(|d| d.naive_utc())
        })
        .or_else(|| parse_sqlite_date(text).and_then(|d| d.and_hms_opt(0, 0, 0)))
}

// ---------------------------------------------------------------------------------------------
// Shared conversions.
// ---------------------------------------------------------------------------------------------

fn days_since_epoch(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE
}

fn micros_since_midnight(time: NaiveTime) -> i64 {
    i64::from(time.num_seconds_from_midnight()) * 1_000_000 + i64::from(time.nanosecond() / 1_000)
}

fn utf8(raw: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(raw).map_err(|e| format!("value is not valid UTF-8 ({e})"))
}

/// Exactly `N` bytes, as a fixed-width wire value must be.
fn fixed<const N: usize>(raw: &[u8]) -> Result<[u8; N], String> {
    raw.try_into().map_err(|_| format!("expected a {N}-byte value, got {} bytes", raw.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PostgreSQL's binary NUMERIC for `text` (test helper: digits, optional '.', optional '-').
    fn pg_numeric(text: &str) -> Vec<u8> {
        let (negative, body) = text.strip_prefix('-').map_or((false, text), |b| (true, b));
        let (integer, fraction) = body.split_once('.').unwrap_or((body, ""));
        let int_pad = (4 - integer.len() % 4) % 4;
        let frac_pad = (4 - fraction.len() % 4) % 4;
        let digits = format!("{}{integer}{fraction}{}", "0".repeat(int_pad), "0".repeat(frac_pad));
        let mut groups: Vec<u16> =
            digits.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap().parse().unwrap()).collect();
        let mut weight = ((integer.len() + int_pad) / 4) as i16 - 1;
        while groups.first() == Some(&0) {
            groups.remove(0);
            weight -= 1;
        }
        while groups.last() == Some(&0) {
            groups.pop();
        }
        let mut raw = Vec::new();
        raw.extend((groups.len() as u16).to_be_bytes());
        raw.extend(weight.to_be_bytes());
        raw.extend(if negative { 0x4000u16 } else { 0 }.to_be_bytes());
        raw.extend((fraction.len() as u16).to_be_bytes());
        for g in groups {
            raw.extend(g.to_be_bytes());
        }
        raw
    }

    #[test]
    fn pg_numeric_decodes_exactly_at_the_column_scale() {
        let cases: &[(&str, u8, i8, i128)] = &[
            ("0", 12, 2, 0),
            ("1.5", 12, 2, 150),
            ("-1234567.89", 12, 2, -123456789),
            ("0.01", 12, 2, 1),
            ("10000", 12, 2, 1_000_000),
            ("123456789012345678.9012345678", 38, 10, 1234567890123456789012345678),
            ("-9999999999999999999999999999.9999999999", 38, 10, -99999999999999999999999999999999999999),
            ("0.0000000001", 38, 10, 1),
            ("12345", 5, 0, 12345),
        ];
        for (text, precision, scale, expected) in cases {
            let got = pg_numeric_to_i128(&pg_numeric(text), *precision, *scale);
            assert_eq!(got, Ok(*expected), "{text} as ({precision},{scale})");
        }
    }

    #[test]
    fn pg_numeric_rejects_what_decimal128_cannot_hold() {
        assert!(pg_numeric_to_i128(&pg_numeric("1.234"), 12, 2).is_err(), "digits past the scale");
        assert!(pg_numeric_to_i128(&pg_numeric("123456"), 5, 0).is_err(), "more digits than the precision");
        let nan = [0, 0, 0, 0, 0xC0, 0, 0, 0];
        assert!(pg_numeric_to_i128(&nan, 12, 2).unwrap_err().contains("NaN"));
        assert!(pg_numeric_to_f64(&nan, &mut String::new()).unwrap().is_nan());
    }

    #[test]
    fn pg_numeric_to_float_is_correctly_rounded() {
        for text in
            ["0", "1.5", "-1234567.89", "0.1", "3.14159265358979323846264338327950288", "1e30", "12345678901234567890"]
        {
            let normalized = text.parse::<f64>().unwrap();
            let raw = if text.contains('e') { pg_numeric("1000000000000000000000000000000") } else { pg_numeric(text) };
            assert_eq!(pg_numeric_to_f64(&raw, &mut String::new()), Ok(normalized), "{text}");
        }
    }

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
    fn postgres_wire_values() {
        let mut s = String::new();
        assert_eq!(PgType::Int4.decode(&(-7i32).to_be_bytes(), &mut s), Ok(Cell::Int32(-7)));
        assert_eq!(PgType::Date.decode(&0i32.to_be_bytes(), &mut s), Ok(Cell::Date32(10_957)));
        assert_eq!(PgType::Timestamp.decode(&1i64.to_be_bytes(), &mut s), Ok(Cell::Timestamp(946_684_800_000_001)));
        assert!(PgType::Timestamptz.decode(&i64::MAX.to_be_bytes(), &mut s).unwrap_err().contains("infinity"));
        assert_eq!(PgType::Jsonb.decode(b"\x01{\"a\": 1}", &mut s), Ok(Cell::Utf8("{\"a\": 1}")));
        let uuid = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
        assert_eq!(PgType::Uuid.decode(&uuid, &mut s), Ok(Cell::Utf8("12345678-9abc-def0-0123-456789abcdef")));
        assert!(PgType::Int8.decode(&[0; 4], &mut String::new()).is_err(), "wrong width");
    }

    #[test]
    fn mysql_decimal_text_rescales_exactly() {
        assert_eq!(decimal_text_to_i128("1.50", 12, 2), Ok(150));
        assert_eq!(decimal_text_to_i128("-0.05", 12, 2), Ok(-5));
        assert_eq!(decimal_text_to_i128("7", 12, 2), Ok(700));
        assert_eq!(decimal_text_to_i128("7.100", 12, 2), Ok(710));
        assert!(decimal_text_to_i128("7.105", 12, 2).is_err());
        assert!(decimal_text_to_i128("1e5", 12, 2).is_err());
        assert!(decimal_text_to_i128("123456", 5, 0).is_err());
    }

    #[test]
    fn mysql_temporal_wire_values() {
        // 2024-02-29 13:14:15.000016
        let datetime = [11, 0xE8, 0x07, 2, 29, 13, 14, 15, 16, 0, 0, 0];
        let expected = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap().and_hms_micro_opt(13, 14, 15, 16).unwrap();
        assert_eq!(MySqlType::DateTime.decode(&datetime), Ok(Cell::Timestamp(expected.and_utc().timestamp_micros())));
        assert_eq!(MySqlType::Date.decode(&[4, 0xE8, 0x07, 2, 29]), Ok(Cell::Date32(19_782)));
        assert_eq!(MySqlType::Date.decode(&[0]), Ok(Cell::Null), "zero date");
        assert_eq!(MySqlType::Date.decode(&[4, 0xE8, 0x07, 0, 0]), Ok(Cell::Null), "zero month and day");
        assert_eq!(MySqlType::Time.decode(&[8, 0, 0, 0, 0, 0, 1, 2, 3]), Ok(Cell::Time64(3_723_000_000)));
        assert!(MySqlType::Time.decode(&[8, 0, 1, 0, 0, 0, 1, 2, 3]).is_err(), "more than a day");
        assert!(MySqlType::Time.decode(&[8, 1, 0, 0, 0, 0, 1, 2, 3]).is_err(), "negative");
        assert!(MySqlType::Boolean.decode(&[2]).unwrap_err().contains("CAST"));
        assert_eq!(MySqlType::Bit.decode(&[1, 0]), Ok(Cell::UInt64(256)));
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

    #[test]
    fn sqlite_datetime_formats() {
        let at = |s: &str| parse_sqlite_datetime(s).map(|d| d.and_utc().timestamp_micros());
        assert_eq!(at("1970-01-01 00:00:01"), Some(1_000_000));
        assert_eq!(at("1970-01-01T00:00:01.5"), Some(1_500_000));
        assert_eq!(at("1970-01-01 00:01"), Some(60_000_000));
        assert_eq!(at("1970-01-01 01:00:00+01:00"), Some(0));
        assert_eq!(at("1970-01-01 00:00:00Z"), Some(0));
        assert_eq!(at("1970-01-02"), Some(86_400_000_000));
        assert_eq!(at("yesterday"), None);
        assert_eq!(parse_sqlite_time("01:02:03.25").map(micros_since_midnight), Some(3_723_250_000));
    }
}
