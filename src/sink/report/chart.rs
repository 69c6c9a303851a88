//! Which chart an answer gets, chosen from the shape of its result, and the
//! data that chart draws.
//!
//! Each column plays one [`Role`], read from its Arrow type, its name and
//! its values:
//!
//! | role | columns |
//! |---|---|
//! | period | dates and timestamps; text that is all ISO periods (`2024`, `2024-01`, `2024-01-31…`; a bare year only in a column named for a year); integers named for a year, all of four digits |
//! | month number | integers named for a month, all 1-12 (a period together with a year column) |
//! | identifier | integers named `id`, `…_id`, `…Id`, `…ID`: keys, never measured |
//! | measure | the other numbers (integers, floats, decimals) |
//! | label | text (not periods) and booleans |
//! | other | anything else (binary, lists, times of day…): no chart |
//!
//! Then, in this order ([`choose`]):
//! * no rows, or a column of another kind: the table alone;
//! * one row: its value, big, when it has one column or exactly one measure
//!   (the row's other columns, identifiers aside, name it);
//! * a period axis (one period column, a year and a month column, or a
//!   month column), one or more measures, no label, each period once: a line
//!   chart, one line per measure (at most [`MAX_SERIES`]);
//! * one to three labels (joined into one, e.g. first and last name) and
//!   exactly one measure: horizontal bars, the [`TOP_BARS`] largest and the
//!   rest summed as "other";
//! * anything else: the table alone.

use chrono::{NaiveDate, NaiveTime, Timelike};

use super::frame::{Column, Frame};

/// Bars drawn before the rest is summed as "other".
pub const TOP_BARS: usize = 20;
/// Lines drawn at most in one chart.
pub const MAX_SERIES: usize = 6;
/// Label columns joined into one bar label at most.
const MAX_LABEL_COLUMNS: usize = 3;

/// What a column is to a chart (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Period,
    MonthNumber,
    Identifier,
    Measure,
    Label,
    Other,
}

/// The x axis of a line chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// One column of periods (dates, timestamps, ISO text, years).
    Column(usize),
    /// A year column and a month-number column.
    YearMonth { year: usize, month: usize },
    /// A month-number column alone (1-12).
    Month(usize),
}

/// The chart an answer gets; indices are columns of its frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chart {
    /// The table alone.
    Table,
    /// One value shown big, named by the other columns of its row.
    BigNumber { value: usize, labels: Vec<usize> },
    /// Horizontal bars: one label per row (these columns joined), one measure.
    Bars { labels: Vec<usize>, measure: usize },
    /// Lines over a period axis, one per measure.
    Lines { axis: Axis, measures: Vec<usize> },
}

/// The role of a column.
pub fn role(column: &Column) -> Role {
    let name = column.name.to_ascii_lowercase();
    let data_type = &column.data_type;
    let values = || column.numbers.iter().flatten().flatten().copied();
    let all_in = |range: std::ops::RangeInclusive<f64>| {
        values().next().is_some() && values().all(|v| v.fract() == 0.0 && range.contains(&v))
    };
    if data_type.is_temporal()
        && !matches!(data_type, arrow_schema::DataType::Time32(_) | arrow_schema::DataType::Time64(_))
    {
        return match data_type {
            arrow_schema::DataType::Duration(_) | arrow_schema::DataType::Interval(_) => Role::Other,
            _ => Role::Period,
        };
    }
    if data_type.is_integer() {
        if is_identifier_name(&column.name) {
            return Role::Identifier;
        }
        if name.contains("year") && all_in(1000.0..=9999.0) {
            return Role::Period;
        }
        if name.contains("month") && all_in(1.0..=12.0) {
            return Role::MonthNumber;
        }
    }
    if column.is_numeric() {
        return Role::Measure;
    }
    match data_type {
        arrow_schema::DataType::Utf8 | arrow_schema::DataType::LargeUtf8 | arrow_schema::DataType::Utf8View => {
            let mut texts = column.text.iter().flatten().peekable();
            let periods = texts.peek().is_some()
                && texts.all(|t| period_key(t).is_some() && (t.len() > 4 || name.contains("year")));
            if periods { Role::Period } else { Role::Label }
        }
        arrow_schema::DataType::Boolean => Role::Label,
        _ => Role::Other,
    }
}

/// `id`, `customer_id`, `CustomerId`, `CustomerID`.
fn is_identifier_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower == "id" || lower.ends_with("_id") {
        return true;
    }
    let before = |suffix: &str| name.strip_suffix(suffix).and_then(|rest| rest.chars().last());
    [before("Id"), before("ID")].into_iter().flatten().any(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// The chart for an answer's first rows (see the module doc).
pub fn choose(frame: &Frame) -> Chart {
    if frame.rows == 0 || frame.columns.is_empty() {
        return Chart::Table;
    }
    if frame.rows == 1 && frame.columns.len() == 1 {
        return Chart::BigNumber { value: 0, labels: Vec::new() };
    }
    let roles: Vec<Role> = frame.columns.iter().map(role).collect();
    let with = |wanted: Role| -> Vec<usize> { (0..roles.len()).filter(|&i| roles[i] == wanted).collect() };
    let (measures, labels, periods, months) =
        (with(Role::Measure), with(Role::Label), with(Role::Period), with(Role::MonthNumber));
    if roles.contains(&Role::Other) {
        return Chart::Table;
    }
    if frame.rows == 1 {
        return match measures.as_slice() {
            [value] => {
                let labels = (0..roles.len()).filter(|&i| i != *value && roles[i] != Role::Identifier).collect();
                Chart::BigNumber { value: *value, labels }
            }
            _ => Chart::Table,
        };
    }
    let axis = match (periods.as_slice(), months.as_slice()) {
        ([period], []) => Some(Axis::Column(*period)),
        ([year], [month]) if frame.columns[*year].data_type.is_integer() => {
            Some(Axis::YearMonth { year: *year, month: *month })
        }
        ([], [month]) => Some(Axis::Month(*month)),
        _ => None,
    };
    if let Some(axis) = axis
        && labels.is_empty()
        && !measures.is_empty()
        && periods_are_unique(frame, axis)
    {
        return Chart::Lines { axis, measures: measures.into_iter().take(MAX_SERIES).collect() };
    }
    if (1..=MAX_LABEL_COLUMNS).contains(&labels.len()) && measures.len() == 1 && periods.is_empty() && months.is_empty()
    {
        return Chart::Bars { labels, measure: measures[0] };
    }
    Chart::Table
}

/// Where an ISO period falls, in days since 1970-01-01 (a time of day as a
/// fraction): `2024` (1 January), `2024-03` (the 1st), `2024-03-31`,
/// `2024-03-31T12:00:00…` or with a space. `None` for anything else.
pub fn period_key(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let number = |from: usize, to: usize| -> Option<u32> {
        let part = bytes.get(from..to)?;
        part.iter().all(u8::is_ascii_digit).then(|| text[from..to].parse().ok())?
    };
    let year = number(0, 4)? as i32;
    let dash = |at: usize| bytes.get(at) == Some(&b'-');
    let (month, day, rest) = match bytes.len() {
        4 => (1, 1, ""),
        7 if dash(4) => (number(5, 7)?, 1, ""),
        n if n >= 10 && dash(4) && dash(7) => (number(5, 7)?, number(8, 10)?, &text[10..]),
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let mut days = (date - NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days() as f64;
    if !rest.is_empty() {
        let time = rest.strip_prefix(['T', ' '])?;
        let time = NaiveTime::parse_from_str(time.get(..8)?, "%H:%M:%S").ok()?;
        days += f64::from(time.num_seconds_from_midnight()) / 86_400.0;
    }
    Some(days)
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The place and name of row `row` on `axis`, if it has one.
pub fn axis_point(frame: &Frame, axis: Axis, row: usize) -> Option<(f64, String)> {
    let number = |column: usize| frame.columns[column].numbers.as_ref()?[row];
    match axis {
        Axis::Column(column) => {
            let text = frame.columns[column].text[row].as_deref()?;
            Some((period_key(text)?, text.to_string()))
        }
        Axis::YearMonth { year, month } => {
            let (y, m) = (number(year)?, number(month)?);
            Some((y * 12.0 + m - 1.0, format!("{y:.0}-{m:02.0}")))
        }
        Axis::Month(month) => {
            let m = number(month)?;
            Some((m, MONTHS[(m as usize).clamp(1, 12) - 1].to_string()))
        }
    }
}

fn periods_are_unique(frame: &Frame, axis: Axis) -> bool {
    let mut keys: Vec<f64> = (0..frame.rows).filter_map(|row| axis_point(frame, axis, row)).map(|p| p.0).collect();
    keys.sort_by(f64::total_cmp);
    keys.windows(2).all(|pair| pair[0] != pair[1])
}

/// The label of row `row`: the label columns' values joined by spaces.
pub fn row_label(frame: &Frame, labels: &[usize], row: usize) -> String {
    let parts: Vec<&str> = labels.iter().filter_map(|&c| frame.columns[c].text[row].as_deref()).collect();
    if parts.is_empty() { "(null)".to_string() } else { parts.join(" ") }
}

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
}

/// What a bar chart draws.
#[derive(Debug, Clone, PartialEq)]
pub struct BarData {
    /// The largest values, largest first.
    pub bars: Vec<Bar>,
    /// The rest, summed: (how many rows, their sum).
    pub other: Option<(usize, f64)>,
    /// Rows left out because their measure is NULL.
    pub nulls: usize,
}

/// The bars of `frame` (see [`Chart::Bars`]).
pub fn bar_data(frame: &Frame, labels: &[usize], measure: usize) -> BarData {
    let values = frame.columns[measure].numbers.as_deref().unwrap_or_default();
    let mut bars: Vec<Bar> = (0..frame.rows)
        .filter_map(|row| {
            values.get(row).copied().flatten().map(|value| Bar { label: row_label(frame, labels, row), value })
        })
        .collect();
    let nulls = frame.rows - bars.len();
    bars.sort_by(|a, b| b.value.total_cmp(&a.value));
    let rest = bars.split_off(bars.len().min(TOP_BARS));
    let other = (!rest.is_empty()).then(|| (rest.len(), rest.iter().map(|b| b.value).sum()));
    BarData { bars, other, nulls }
}

/// One line of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// One value per point of the axis (NULL: a gap).
    pub values: Vec<Option<f64>>,
}

/// What a line chart draws.
#[derive(Debug, Clone, PartialEq)]
pub struct LineData {
    /// The points of the axis, in order: where each falls, and its name.
    pub points: Vec<(f64, String)>,
    pub series: Vec<Series>,
}

/// The lines of `frame` (see [`Chart::Lines`]), in period order.
pub fn line_data(frame: &Frame, axis: Axis, measures: &[usize]) -> LineData {
    let mut rows: Vec<(usize, (f64, String))> =
        (0..frame.rows).filter_map(|row| axis_point(frame, axis, row).map(|point| (row, point))).collect();
    rows.sort_by(|a, b| a.1.0.total_cmp(&b.1.0));
    let series = measures
        .iter()
        .map(|&m| {
            let column = &frame.columns[m];
            let numbers = column.numbers.as_deref().unwrap_or_default();
            Series { name: column.name.clone(), values: rows.iter().map(|(row, _)| numbers[*row]).collect() }
        })
        .collect();
    LineData { points: rows.into_iter().map(|(_, point)| point).collect(), series }
}

#[cfg(test)]
mod tests {
    use arrow_schema::{DataType, TimeUnit};

    use super::*;

    /// A column of `data_type` holding `values` (numbers for numeric types, text otherwise).
    fn column(name: &str, data_type: DataType, values: &[&str]) -> Column {
        let text: Vec<Option<String>> = values.iter().map(|v| (*v != "NULL").then(|| v.to_string())).collect();
        let numeric = super::super::frame::is_numeric(&data_type);
        let numbers = numeric.then(|| text.iter().map(|t| t.as_ref().map(|t| t.parse().unwrap())).collect());
        Column { name: name.into(), data_type, text, numbers }
    }

    fn frame(columns: Vec<Column>) -> Frame {
        let rows = columns.first().map_or(0, |c| c.text.len());
        Frame { columns, rows }
    }

    use DataType::{Date32, Float64, Int64, Utf8};

    #[test]
    fn roles_come_from_type_name_and_values() {
        let cases = [
            (column("Country", Utf8, &["USA", "France"]), Role::Label),
            (column("customer_count", Int64, &["13", "11"]), Role::Measure),
            (column("total", DataType::Decimal128(10, 2), &["1.5", "2"]), Role::Measure),
            (column("CustomerId", Int64, &["1", "2"]), Role::Identifier),
            (column("invoice_id", Int64, &["1", "2"]), Role::Identifier),
            (column("paid", Int64, &["1", "2"]), Role::Measure),
            (column("year", Int64, &["2021", "2022"]), Role::Period),
            (column("year", Utf8, &["2021", "2022"]), Role::Period),
            (column("PostalCode", Utf8, &["1010", "2020"]), Role::Label),
            (column("year_count", Int64, &["3", "4"]), Role::Measure),
            (column("month", Int64, &["1", "12"]), Role::MonthNumber),
            (column("month", Utf8, &["2024-01", "2024-02"]), Role::Period),
            (column("day", Date32, &["2024-01-01", "2024-01-02"]), Role::Period),
            (column("at", DataType::Timestamp(TimeUnit::Microsecond, None), &["2024-01-01T10:00:00"]), Role::Period),
            (column("label", Utf8, &["2024-01", "soon"]), Role::Label),
            (column("blob", DataType::Binary, &["00ff"]), Role::Other),
            (column("active", DataType::Boolean, &["true"]), Role::Label),
        ];
        for (column, expected) in cases {
            assert_eq!(role(&column), expected, "{} {}", column.name, column.data_type);
        }
    }

    #[test]
    fn the_chart_follows_the_shape_of_the_result() {
        let country = || column("Country", Utf8, &["USA", "Canada", "France"]);
        let count = || column("customers", Int64, &["13", "8", "5"]);
        let cases = [
            ("single value", frame(vec![column("n", Int64, &["42"])]), Chart::BigNumber { value: 0, labels: vec![] }),
            ("single text", frame(vec![column("who", Utf8, &["Jane"])]), Chart::BigNumber { value: 0, labels: vec![] }),
            (
                "one row, a label and a measure",
                frame(vec![
                    column("EmployeeId", Int64, &["3"]),
                    column("FirstName", Utf8, &["Jane"]),
                    column("n", Int64, &["21"]),
                ]),
                Chart::BigNumber { value: 2, labels: vec![1] },
            ),
            ("text + number", frame(vec![country(), count()]), Chart::Bars { labels: vec![0], measure: 1 }),
            (
                "id + names + number",
                frame(vec![
                    column("CustomerId", Int64, &["1", "2"]),
                    column("FirstName", Utf8, &["Ada", "Alan"]),
                    column("LastName", Utf8, &["Lovelace", "Turing"]),
                    column("total", Float64, &["10.5", "9"]),
                ]),
                Chart::Bars { labels: vec![1, 2], measure: 3 },
            ),
            (
                "year + numbers",
                frame(vec![column("year", Int64, &["2021", "2022"]), count_of(2), column("avg", Float64, &["1", "2"])]),
                Chart::Lines { axis: Axis::Column(0), measures: vec![1, 2] },
            ),
            (
                "year + month + number",
                frame(vec![column("year", Int64, &["2024", "2024"]), column("month", Int64, &["1", "2"]), count_of(2)]),
                Chart::Lines { axis: Axis::YearMonth { year: 0, month: 1 }, measures: vec![2] },
            ),
            (
                "date + number",
                frame(vec![column("day", Date32, &["2024-01-02", "2024-01-01"]), count_of(2)]),
                Chart::Lines { axis: Axis::Column(0), measures: vec![1] },
            ),
            ("a period repeated", frame(vec![column("year", Int64, &["2024", "2024"]), count_of(2)]), Chart::Table),
            ("text only", frame(vec![country()]), Chart::Table),
            ("text + two numbers", frame(vec![country(), count(), count()]), Chart::Table),
            (
                "label + period + number",
                frame(vec![country(), column("year", Int64, &["2021", "2022", "2023"]), count()]),
                Chart::Table,
            ),
            ("binary", frame(vec![column("b", DataType::Binary, &["00", "01"]), count_of(2)]), Chart::Table),
            ("no rows", frame(vec![column("Country", Utf8, &[]), column("n", Int64, &[])]), Chart::Table),
        ];
        for (name, frame, expected) in cases {
            assert_eq!(choose(&frame), expected, "{name}");
        }
    }

    fn count_of(rows: usize) -> Column {
        let values: Vec<String> = (0..rows).map(|i| (i * 10 + 1).to_string()).collect();
        column("total", Int64, &values.iter().map(String::as_str).collect::<Vec<_>>())
    }

    #[test]
    fn bars_keep_the_top_twenty_and_sum_the_rest_as_other() {
        let labels: Vec<String> = (0..25).map(|i| format!("c{i}")).collect();
        let values: Vec<String> = (0..25).map(|i| if i == 3 { "NULL".into() } else { i.to_string() }).collect();
        let f = frame(vec![
            column("c", Utf8, &labels.iter().map(String::as_str).collect::<Vec<_>>()),
            column("v", Int64, &values.iter().map(String::as_str).collect::<Vec<_>>()),
        ]);
        let data = bar_data(&f, &[0], 1);
        assert_eq!(data.bars.len(), TOP_BARS);
        assert_eq!(data.bars[0], Bar { label: "c24".into(), value: 24.0 });
        assert_eq!(data.bars[19].label, "c5");
        assert_eq!(data.other, Some((4, 0.0 + 1.0 + 2.0 + 4.0)));
        assert_eq!(data.nulls, 1);
    }

    #[test]
    fn lines_follow_period_order_and_periods_parse() {
        let f = frame(vec![
            column("year", Int64, &["2024", "2024", "2023"]),
            column("month", Int64, &["2", "1", "12"]),
            column("revenue", Float64, &["20", "10", "5"]),
        ]);
        let data = line_data(&f, Axis::YearMonth { year: 0, month: 1 }, &[2]);
        let names: Vec<&str> = data.points.iter().map(|p| p.1.as_str()).collect();
        assert_eq!(names, ["2023-12", "2024-01", "2024-02"]);
        assert_eq!(data.series[0].values, [Some(5.0), Some(10.0), Some(20.0)]);
        assert_eq!(period_key("1970-01-02"), Some(1.0));
        assert_eq!(period_key("1970-01-01T12:00:00Z"), Some(0.5));
        assert_eq!(period_key("1971"), Some(365.0));
        assert_eq!(period_key("1970-02"), Some(31.0));
        for bad in ["197", "1970-13", "1970-01-32", "abcd", "1970/01/01", "1970-01-01x"] {
            assert_eq!(period_key(bad), None, "{bad}");
        }
    }
}
