//! Decoding one raw value into a [`Cell`]: the small named conversions
//! beside the type table of `types.rs`, one `decode` per dialect enum plus the
//! wire formats they need (PostgreSQL binary NUMERIC and temporal values,
//! MySQL binary dates, times and decimal text, SQLite text dates). The table
//! chooses a column's variant once per result; these run once per value.

use std::fmt::Write as _;

use arrow_array::types::{Decimal128Type, DecimalType};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use sqlx::Decode;
use sqlx::sqlite::{Sqlite, SqliteValueRef};

use super::types::{Cell, DAY_US, MySqlType, PgType, SqliteType, StorageClass, UNIX_EPOCH_DAYS_FROM_CE};

impl PgType {
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

impl MySqlType {
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

impl SqliteType {
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
