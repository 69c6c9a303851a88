//! What changed in one question's answer since an earlier run of the same
//! job (the previous tick of its schedule, or a run named with `--compare`).
//!
//! Whatever the shape, the comparison says what a reader must not miss: a
//! question new since then, an earlier run in which it failed, different SQL
//! (whitespace aside), different columns (names or types). Then, when the
//! answer's chart allows it ([`super::chart::Chart`]):
//! * one value (a big number): the earlier value, the delta and the
//!   percentage, and the earlier name of the value when it changed (the
//!   employee with the most customers is someone else now);
//! * bars (categories and one measure) and a line with one measure (periods
//!   and one measure): the categories that moved most — added, removed, up,
//!   down — keyed by their label, at most [`MAX_MOVES`] of them, largest
//!   change first.
//!
//! Both sides are the rows the report read (its first `report_rows`); when
//! either answer has more, the comparison says it covers those rows only.

use std::collections::BTreeMap;

use super::chart::{Axis, Chart, axis_point, row_label};
use super::frame::Frame;
use crate::sink::manifest::{ColumnRecord, QuestionRecord, Status};

/// Categories listed at most, largest change first.
pub const MAX_MOVES: usize = 10;

/// One side of a comparison: a question's record and the rows read of its answer.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub record: &'a QuestionRecord,
    /// The first rows of its answer; `None` when it has none (not ok, or unreadable).
    pub frame: Option<&'a Frame>,
}

impl Side<'_> {
    /// True when the frame holds every row of the answer.
    fn complete(&self) -> bool {
        self.frame.is_some_and(|f| f.rows as u64 >= self.record.rows)
    }
}

/// What a reader should know about a question compared with an earlier run.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// The earlier run did not ask this question.
    New,
    /// The question did not succeed in the earlier run.
    StatusWas(Status),
    /// The question succeeded in the earlier run but not now.
    WasOk,
    /// The SQL differs (whitespace aside); the earlier SQL.
    SqlChanged { before: String },
    /// The columns (names or types) differ; the earlier ones.
    ColumnsChanged { before: Vec<ColumnRecord> },
    /// The earlier answer could not be read.
    Unreadable(String),
    /// The answers cannot be compared value by value, and why.
    NotComparable(String),
}

/// How the values moved.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// One value: before and after, and the names of the value when they differ.
    Value { before: f64, after: f64, renamed: Option<(String, String)> },
    /// Categories (or periods) and their values.
    Categories {
        /// The largest moves, largest first (at most [`MAX_MOVES`]).
        moves: Vec<Move>,
        /// Categories that moved but are not listed.
        more: usize,
        /// Categories with the same value on both sides.
        unchanged: usize,
        /// True when either side has more rows than were read.
        partial: bool,
    },
}

/// One category's value before and after (`None`: absent on that side).
#[derive(Debug, Clone, PartialEq)]
pub struct Move {
    pub key: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
}

/// Which way a category moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveKind {
    Added,
    Removed,
    Up,
    Down,
}

impl Move {
    pub fn kind(&self) -> MoveKind {
        match (self.before, self.after) {
            (None, _) => MoveKind::Added,
            (_, None) => MoveKind::Removed,
            (Some(b), Some(a)) if a >= b => MoveKind::Up,
            _ => MoveKind::Down,
        }
    }

    /// After minus before, an absent side counting as zero.
    pub fn delta(&self) -> f64 {
        self.after.unwrap_or(0.0) - self.before.unwrap_or(0.0)
    }
}

/// The percentage of change from `before` to `after`; `None` from zero.
pub fn percent_change(before: f64, after: f64) -> Option<f64> {
    (before != 0.0).then(|| (after - before) / before.abs() * 100.0)
}

/// The comparison of one question with its earlier run (`None`: not asked then).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Comparison {
    pub notes: Vec<Note>,
    pub change: Option<Change>,
}

/// Compares `now` with `before`; `chart` is the chart of `now`'s answer.
/// `before_error` says why the earlier answer has no frame when it should.
pub fn compare(now: Side<'_>, before: Option<Side<'_>>, before_error: Option<&str>, chart: &Chart) -> Comparison {
    let mut comparison = Comparison::default();
    let Some(before) = before else {
        comparison.notes.push(Note::New);
        return comparison;
    };
    let (now_record, before_record) = (now.record, before.record);
    if before_record.status != Status::Ok {
        comparison.notes.push(Note::StatusWas(before_record.status));
    } else if now_record.status != Status::Ok {
        comparison.notes.push(Note::WasOk);
    }
    if let (Some(a), Some(b)) = (&now_record.sql, &before_record.sql)
        && !same_sql(a, b)
    {
        comparison.notes.push(Note::SqlChanged { before: b.clone() });
    }
    let both_ok = now_record.status == Status::Ok && before_record.status == Status::Ok;
    if both_ok && now_record.columns != before_record.columns {
        comparison.notes.push(Note::ColumnsChanged { before: before_record.columns.clone() });
    }
    if !both_ok {
        return comparison;
    }
    let (Some(now_frame), Some(before_frame)) = (now.frame, before.frame) else {
        if let Some(error) = before_error {
            comparison.notes.push(Note::Unreadable(error.to_string()));
        }
        return comparison;
    };
    let partial = !now.complete() || !before.complete();
    match changes(now_frame, before_frame, chart, partial) {
        Ok(change) => comparison.change = change,
        Err(reason) => comparison.notes.push(Note::NotComparable(reason)),
    }
    comparison
}

/// SQL texts equal but for whitespace.
fn same_sql(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// The change between two frames of the same question, by the current chart.
fn changes(now: &Frame, before: &Frame, chart: &Chart, partial: bool) -> Result<Option<Change>, String> {
    let find = |index: usize| -> Result<usize, String> {
        let name = &now.columns[index].name;
        before
            .columns
            .iter()
            .position(|c| &c.name == name)
            .ok_or_else(|| format!("the earlier answer has no column {name}"))
    };
    match chart {
        Chart::Table => Ok(None),
        Chart::BigNumber { value, labels } => {
            let Some(after) = number_at(now, *value, 0) else { return Ok(None) };
            let earlier = find(*value)?;
            if before.rows != 1 {
                return Err(format!("the earlier answer has {} rows, not one", before.rows));
            }
            let Some(previous) = number_at(before, earlier, 0) else {
                return Err("the earlier value is not a number".into());
            };
            let earlier_labels: Vec<usize> = labels.iter().map(|&l| find(l)).collect::<Result<_, _>>()?;
            let (name_now, name_before) = (row_label(now, labels, 0), row_label(before, &earlier_labels, 0));
            let renamed = (!labels.is_empty() && name_now != name_before).then_some((name_before, name_now));
            Ok(Some(Change::Value { before: previous, after, renamed }))
        }
        Chart::Bars { labels, measure } => {
            let earlier_labels: Vec<usize> = labels.iter().map(|&l| find(l)).collect::<Result<_, _>>()?;
            let key_now = |row| Some(row_label(now, labels, row));
            let key_before = |row| Some(row_label(before, &earlier_labels, row));
            let after = values_by_key(now, *measure, key_now);
            let previous = values_by_key(before, find(*measure)?, key_before);
            Ok(Some(categories(after, previous, partial)))
        }
        Chart::Lines { axis, measures } => {
            let [measure] = measures.as_slice() else {
                return Err(format!("{} lines: each is shown as it is now", measures.len()));
            };
            let earlier_axis = match *axis {
                Axis::Column(c) => Axis::Column(find(c)?),
                Axis::YearMonth { year, month } => Axis::YearMonth { year: find(year)?, month: find(month)? },
                Axis::Month(m) => Axis::Month(find(m)?),
            };
            let after = values_by_key(now, *measure, |row| axis_point(now, *axis, row).map(|p| p.1));
            let previous =
                values_by_key(before, find(*measure)?, |row| axis_point(before, earlier_axis, row).map(|p| p.1));
            Ok(Some(categories(after, previous, partial)))
        }
    }
}

fn number_at(frame: &Frame, column: usize, row: usize) -> Option<f64> {
    frame.columns[column].numbers.as_ref()?.get(row).copied().flatten()
}

/// The measure summed per key (a key seen twice adds up); rows without a key or value are left out.
fn values_by_key(frame: &Frame, measure: usize, key: impl Fn(usize) -> Option<String>) -> BTreeMap<String, f64> {
    let mut values = BTreeMap::new();
    for row in 0..frame.rows {
        if let (Some(key), Some(value)) = (key(row), number_at(frame, measure, row)) {
            *values.entry(key).or_insert(0.0) += value;
        }
    }
    values
}

fn categories(after: BTreeMap<String, f64>, before: BTreeMap<String, f64>, partial: bool) -> Change {
    let mut keys: Vec<&String> = after.keys().chain(before.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut moves = Vec::new();
    let mut unchanged = 0;
    for key in keys {
        let (a, b) = (after.get(key).copied(), before.get(key).copied());
        if a == b {
            unchanged += 1;
        } else {
            moves.push(Move { key: key.clone(), before: b, after: a });
        }
    }
    moves.sort_by(|x, y| y.delta().abs().total_cmp(&x.delta().abs()));
    let more = moves.len().saturating_sub(MAX_MOVES);
    moves.truncate(MAX_MOVES);
    Change::Categories { moves, more, unchanged, partial }
}

#[cfg(test)]
mod tests {
    use arrow_schema::DataType;

    use super::super::frame::Column;
    use super::*;

    fn record(sql: &str, rows: u64, columns: &[(&str, &str)]) -> QuestionRecord {
        QuestionRecord {
            id: "q".into(),
            source: "s".into(),
            question: "?".into(),
            status: Status::Ok,
            sql: Some(sql.into()),
            synthesizer: Some("pinned".into()),
            interpretation: None,
            rows,
            truncated: false,
            columns: columns
                .iter()
                .map(|(n, t)| ColumnRecord { name: n.to_string(), data_type: t.to_string() })
                .collect(),
            file: Some("q.parquet".into()),
            elapsed_ms: 1,
            error: None,
        }
    }

    fn text(name: &str, values: &[&str]) -> Column {
        Column {
            name: name.into(),
            data_type: DataType::Utf8,
            text: values.iter().map(|v| Some(v.to_string())).collect(),
            numbers: None,
        }
    }

    fn numbers(name: &str, values: &[f64]) -> Column {
        Column {
            name: name.into(),
            data_type: DataType::Float64,
            text: values.iter().map(|v| Some(v.to_string())).collect(),
            numbers: Some(values.iter().map(|v| Some(*v)).collect()),
        }
    }

    fn frame(columns: Vec<Column>) -> Frame {
        let rows = columns[0].text.len();
        Frame { columns, rows }
    }

    #[test]
    fn a_single_value_shows_its_delta_percentage_and_a_new_name() {
        let columns = [("who", "Utf8"), ("n", "Float64")];
        let (now, before) = (record("SELECT 1", 1, &columns), record("SELECT  1", 1, &columns));
        let now_frame = frame(vec![text("who", &["Jane"]), numbers("n", &[25.0])]);
        let before_frame = frame(vec![text("who", &["Margaret"]), numbers("n", &[20.0])]);
        let chart = Chart::BigNumber { value: 1, labels: vec![0] };
        let comparison = compare(
            Side { record: &now, frame: Some(&now_frame) },
            Some(Side { record: &before, frame: Some(&before_frame) }),
            None,
            &chart,
        );
        assert!(comparison.notes.is_empty(), "same SQL but for whitespace: {:?}", comparison.notes);
        assert_eq!(
            comparison.change,
            Some(Change::Value { before: 20.0, after: 25.0, renamed: Some(("Margaret".into(), "Jane".into())) })
        );
        assert_eq!(percent_change(20.0, 25.0), Some(25.0));
        assert_eq!(percent_change(-20.0, -25.0), Some(-25.0));
        assert_eq!(percent_change(0.0, 5.0), None);
    }

    #[test]
    fn categories_that_moved_most_come_first_with_added_and_removed() {
        let columns = [("country", "Utf8"), ("n", "Float64")];
        let (now, before) = (record("SELECT a", 4, &columns), record("SELECT a", 4, &columns));
        let now_frame =
            frame(vec![text("country", &["USA", "France", "Chile", "Peru"]), numbers("n", &[15.0, 4.0, 3.0, 1.0])]);
        let before_frame =
            frame(vec![text("country", &["USA", "France", "Brazil", "Peru"]), numbers("n", &[13.0, 5.0, 6.0, 1.0])]);
        let chart = Chart::Bars { labels: vec![0], measure: 1 };
        let comparison = compare(
            Side { record: &now, frame: Some(&now_frame) },
            Some(Side { record: &before, frame: Some(&before_frame) }),
            None,
            &chart,
        );
        let Some(Change::Categories { moves, more, unchanged, partial }) = comparison.change else {
            panic!("{comparison:?}")
        };
        let summary: Vec<(&str, MoveKind, f64)> = moves.iter().map(|m| (m.key.as_str(), m.kind(), m.delta())).collect();
        assert_eq!(
            summary,
            [
                ("Brazil", MoveKind::Removed, -6.0),
                ("Chile", MoveKind::Added, 3.0),
                ("USA", MoveKind::Up, 2.0),
                ("France", MoveKind::Down, -1.0)
            ]
        );
        assert_eq!((more, unchanged, partial), (0, 1, false));
    }

    #[test]
    fn changed_sql_and_columns_are_said_and_shapes_that_differ_are_not_compared() {
        let now = record("SELECT country, n FROM t", 2, &[("country", "Utf8"), ("n", "Float64")]);
        let before = record("SELECT land, n FROM t", 30, &[("land", "Utf8"), ("n", "Int64")]);
        let now_frame = frame(vec![text("country", &["USA", "France"]), numbers("n", &[1.0, 2.0])]);
        let before_frame = frame(vec![text("land", &["USA"]), numbers("n", &[1.0])]);
        let chart = Chart::Bars { labels: vec![0], measure: 1 };
        let comparison = compare(
            Side { record: &now, frame: Some(&now_frame) },
            Some(Side { record: &before, frame: Some(&before_frame) }),
            None,
            &chart,
        );
        assert_eq!(comparison.notes[0], Note::SqlChanged { before: "SELECT land, n FROM t".into() });
        assert!(matches!(&comparison.notes[1], Note::ColumnsChanged { before } if before[0].name == "land"));
        assert_eq!(comparison.notes[2], Note::NotComparable("the earlier answer has no column country".into()));
        assert_eq!(comparison.change, None);
    }

    #[test]
    fn new_questions_earlier_failures_and_partial_reads_are_said() {
        let columns = [("year", "Int64"), ("n", "Float64")];
        let now = record("SELECT 1", 3, &columns);
        let chart = Chart::Table;
        let alone = compare(Side { record: &now, frame: None }, None, None, &chart);
        assert_eq!(alone.notes, [Note::New]);
        let mut failed = record("SELECT 1", 0, &[]);
        failed.status = Status::Failed;
        let after_failure =
            compare(Side { record: &now, frame: None }, Some(Side { record: &failed, frame: None }), None, &chart);
        assert_eq!(after_failure.notes, [Note::StatusWas(Status::Failed)]);
        // Three rows in the answer, two read: the change covers the rows read.
        let line = Chart::Lines { axis: Axis::Column(0), measures: vec![1] };
        let year = |values: &[&str]| Column { data_type: DataType::Utf8, ..text("year", values) };
        let now_frame = frame(vec![year(&["2021", "2022"]), numbers("n", &[1.0, 3.0])]);
        let before_frame = frame(vec![year(&["2021", "2022"]), numbers("n", &[1.0, 2.0])]);
        let before = record("SELECT 1", 2, &columns);
        let comparison = compare(
            Side { record: &now, frame: Some(&now_frame) },
            Some(Side { record: &before, frame: Some(&before_frame) }),
            None,
            &line,
        );
        let Some(Change::Categories { moves, unchanged, partial, .. }) = comparison.change else { panic!() };
        assert_eq!((moves[0].key.as_str(), moves[0].delta(), unchanged, partial), ("2022", 1.0, 1, true));
        let unreadable = compare(
            Side { record: &now, frame: Some(&now_frame) },
            Some(Side { record: &before, frame: None }),
            Some("q.parquet: gone"),
            &line,
        );
        assert_eq!(unreadable.notes, [Note::Unreadable("q.parquet: gone".into())]);
    }
}
