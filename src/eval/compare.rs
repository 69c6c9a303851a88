//! Comparing a synthesized answer's rows with the gold rows: results become
//! dialect-neutral cells ([`result_set`]) and [`same_result`] matches them as
//! multisets (column order ignored, row order only when the gold SQL orders),
//! numbers within [`NUMBER_TOLERANCE`].

use std::cmp::Ordering;
use std::sync::Arc;

use arrow_array::{Array, RecordBatch};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::DataType;

use crate::dialect::Dialect;

/// Relative (and, near zero, absolute) tolerance for comparing numbers.
pub const NUMBER_TOLERANCE: f64 = 1e-6;

/// A query's rows as comparable cells.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultSet {
    pub columns: usize,
    pub rows: Vec<Vec<Cell>>,
}

/// One value, normalized across dialects.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
}

/// True when the statement's outermost query has an `ORDER BY` (so row order is part of the answer).
pub fn has_top_level_order_by(dialect: Dialect, sql: &str) -> bool {
    let parser_dialect = dialect.parser_dialect();
    match sqlparser::parser::Parser::parse_sql(&*parser_dialect, sql) {
        Ok(statements) => statements.iter().any(|s| match s {
            sqlparser::ast::Statement::Query(query) => query.order_by.is_some(),
            _ => false,
        }),
        Err(_) => false,
    }
}

/// Arrow batches to comparable rows.
pub fn result_set(batches: &[RecordBatch]) -> Result<ResultSet, arrow_schema::ArrowError> {
    let columns = batches.first().map_or(0, |b| b.num_columns());
    let mut rows = Vec::new();
    for batch in batches {
        let cells: Vec<Vec<Cell>> = batch.columns().iter().map(column_cells).collect::<Result<_, _>>()?;
        for row in 0..batch.num_rows() {
            rows.push(cells.iter().map(|column| column[row].clone()).collect());
        }
    }
    Ok(ResultSet { columns, rows })
}

fn column_cells(array: &Arc<dyn Array>) -> Result<Vec<Cell>, arrow_schema::ArrowError> {
    let data_type = array.data_type();
    if data_type.is_numeric() {
        let floats = arrow_cast::cast::cast(array, &DataType::Float64)?;
        let floats = floats.as_any().downcast_ref::<arrow_array::Float64Array>().expect("cast to Float64");
        return Ok((0..floats.len())
            .map(|i| if floats.is_null(i) { Cell::Null } else { Cell::Number(floats.value(i)) })
            .collect());
    }
    if let Some(booleans) = array.as_any().downcast_ref::<arrow_array::BooleanArray>() {
        return Ok((0..booleans.len())
            .map(|i| if booleans.is_null(i) { Cell::Null } else { Cell::Bool(booleans.value(i)) })
            .collect());
    }
    let formatter = ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())?;
    let temporal = data_type.is_temporal();
    Ok((0..array.len())
        .map(|i| {
            if array.is_null(i) {
                return Cell::Null;
            }
            let text = formatter.value(i).to_string();
            if temporal { Cell::Text(text.replacen('T', " ", 1)) } else { text_cell(text) }
        })
        .collect())
}

/// Text that reads as a finite number is that number; anything else stays text.
fn text_cell(text: String) -> Cell {
    let trimmed = text.trim();
    let numeric = !trimmed.is_empty()
        && trimmed.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && trimmed.chars().any(|c| c.is_ascii_digit());
    match trimmed.parse::<f64>() {
        Ok(n) if numeric && n.is_finite() => Cell::Number(n),
        _ => Cell::Text(text),
    }
}

/// Equal numbers within [`NUMBER_TOLERANCE`]; other cells exactly.
fn cells_equal(a: &Cell, b: &Cell) -> bool {
    match (a, b) {
        (Cell::Number(x), Cell::Number(y)) => (x - y).abs() <= NUMBER_TOLERANCE * x.abs().max(y.abs()).max(1.0),
        _ => a == b,
    }
}

/// A total order used to sort rows before comparing them: numbers are
/// rounded to 9 significant digits first, so near-equal values sort alike.
fn cell_order(a: &Cell, b: &Cell) -> Ordering {
    fn rank(c: &Cell) -> u8 {
        match c {
            Cell::Null => 0,
            Cell::Bool(_) => 1,
            Cell::Number(_) => 2,
            Cell::Text(_) => 3,
        }
    }
    match (a, b) {
        (Cell::Bool(x), Cell::Bool(y)) => x.cmp(y),
        (Cell::Number(x), Cell::Number(y)) => rounded(*x).total_cmp(&rounded(*y)),
        (Cell::Text(x), Cell::Text(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

fn rounded(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{x:.8e}").parse().unwrap_or(x)
}

fn row_order(a: &[Cell], b: &[Cell]) -> Ordering {
    a.iter().zip(b).map(|(x, y)| cell_order(x, y)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

fn rows_equal(a: &[Cell], b: &[Cell]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| cells_equal(x, y))
}

/// Compares an answer with the gold result; `Err` says how they differ.
/// Column names and order are ignored; row order counts only when `ordered`.
pub fn same_result(got: &ResultSet, gold: &ResultSet, ordered: bool) -> Result<(), String> {
    if got.rows.len() != gold.rows.len() {
        return Err(format!("{} rows, expected {}", got.rows.len(), gold.rows.len()));
    }
    if got.columns != gold.columns && !gold.rows.is_empty() {
        return Err(format!("{} columns, expected {}", got.columns, gold.columns));
    }
    if gold.rows.is_empty() {
        return Ok(());
    }
    // Candidate answer columns for each gold column: same values as a multiset.
    let sorted_column = |set: &ResultSet, c: usize| {
        let mut values: Vec<Cell> = set.rows.iter().map(|r| r[c].clone()).collect();
        values.sort_by(cell_order);
        values
    };
    let got_columns: Vec<Vec<Cell>> = (0..got.columns).map(|c| sorted_column(got, c)).collect();
    let candidates: Vec<Vec<usize>> = (0..gold.columns)
        .map(|g| {
            let want = sorted_column(gold, g);
            (0..got.columns).filter(|&c| rows_equal(&got_columns[c], &want)).collect()
        })
        .collect();
    if let Some(g) = candidates.iter().position(Vec::is_empty) {
        return Err(format!("no column of the answer has the values of the gold result's column {}", g + 1));
    }
    let mut mapping = Vec::with_capacity(gold.columns);
    let mut used = vec![false; got.columns];
    if search_mapping(got, gold, ordered, &candidates, &mut mapping, &mut used) {
        Ok(())
    } else if ordered && search_mapping(got, gold, false, &candidates, &mut Vec::new(), &mut vec![false; got.columns]) {
        Err("the right rows in the wrong order".into())
    } else {
        Err("the columns hold the right values but not in the same rows".into())
    }
}

/// Backtracking over column assignments (gold column i -> answer column mapping[i]).
fn search_mapping(
    got: &ResultSet,
    gold: &ResultSet,
    ordered: bool,
    candidates: &[Vec<usize>],
    mapping: &mut Vec<usize>,
    used: &mut [bool],
) -> bool {
    let next = mapping.len();
    if next == candidates.len() {
        return rows_match(got, gold, ordered, mapping);
    }
    for &c in &candidates[next] {
        if used[c] {
            continue;
        }
        used[c] = true;
        mapping.push(c);
        if search_mapping(got, gold, ordered, candidates, mapping, used) {
            return true;
        }
        mapping.pop();
        used[c] = false;
    }
    false
}

fn rows_match(got: &ResultSet, gold: &ResultSet, ordered: bool, mapping: &[usize]) -> bool {
    let mut projected: Vec<Vec<Cell>> =
        got.rows.iter().map(|row| mapping.iter().map(|&c| row[c].clone()).collect()).collect();
    let mut want = gold.rows.clone();
    if !ordered {
        projected.sort_by(|a, b| row_order(a, b));
        want.sort_by(|a, b| row_order(a, b));
    }
    projected.iter().zip(&want).all(|(a, b)| rows_equal(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(rows: Vec<Vec<Cell>>) -> ResultSet {
        ResultSet { columns: rows.first().map_or(0, Vec::len), rows }
    }

    fn n(x: f64) -> Cell {
        Cell::Number(x)
    }

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn column_order_and_row_order_are_ignored_without_order_by() {
        let gold = set(vec![vec![t("a"), n(1.0)], vec![t("b"), n(2.0)]]);
        let got = set(vec![vec![n(2.0), t("b")], vec![n(1.0), t("a")]]);
        assert_eq!(same_result(&got, &gold, false), Ok(()));
        assert!(same_result(&got, &gold, true).unwrap_err().contains("wrong order"));
    }

    #[test]
    fn values_must_stay_in_their_rows() {
        let gold = set(vec![vec![t("a"), n(1.0)], vec![t("b"), n(2.0)]]);
        let got = set(vec![vec![t("a"), n(2.0)], vec![t("b"), n(1.0)]]);
        assert!(same_result(&got, &gold, false).is_err());
    }

    #[test]
    fn swapped_columns_with_equal_values_are_found() {
        let gold = set(vec![vec![n(1.0), n(2.0)], vec![n(2.0), n(1.0)], vec![n(1.0), n(1.0)]]);
        let got = set(vec![vec![n(2.0), n(1.0)], vec![n(1.0), n(2.0)], vec![n(1.0), n(1.0)]]);
        assert_eq!(same_result(&got, &gold, true), Ok(()));
    }

    #[test]
    fn numbers_compare_with_a_tolerance_and_numeric_text_is_a_number() {
        let gold = set(vec![vec![text_cell("2021".into()), n(5.651_741_293_532_338)]]);
        let got = set(vec![vec![n(2021.0), n(5.6517412935)]]);
        assert_eq!(same_result(&got, &gold, false), Ok(()));
        let off = set(vec![vec![n(2021.0), n(5.66)]]);
        assert!(same_result(&off, &gold, false).is_err());
        assert!(matches!(text_cell("2021".into()), Cell::Number(_)));
        assert!(matches!(text_cell("AC/DC".into()), Cell::Text(_)));
        assert!(matches!(text_cell("inf".into()), Cell::Text(_)));
    }

    #[test]
    fn row_and_column_counts_must_match() {
        let gold = set(vec![vec![t("a")], vec![t("a")]]);
        assert!(same_result(&set(vec![vec![t("a")]]), &gold, false).unwrap_err().contains("rows"));
        let wide = set(vec![vec![t("a"), n(1.0)], vec![t("a"), n(1.0)]]);
        assert!(same_result(&wide, &gold, false).unwrap_err().contains("columns"));
        assert_eq!(same_result(&set(vec![]), &set(vec![]), true), Ok(()));
    }

    #[test]
    fn nulls_match_only_nulls() {
        let gold = set(vec![vec![Cell::Null, n(1.0)]]);
        assert_eq!(same_result(&set(vec![vec![n(1.0), Cell::Null]]), &gold, false), Ok(()));
        assert!(same_result(&set(vec![vec![n(0.0), n(1.0)]]), &gold, false).is_err());
    }

    #[test]
    fn top_level_order_by_is_detected() {
        assert!(has_top_level_order_by(Dialect::Sqlite, "SELECT a FROM t ORDER BY a DESC LIMIT 3"));
        assert!(!has_top_level_order_by(Dialect::Postgres, "SELECT a FROM (SELECT a FROM t ORDER BY a) s"));
        assert!(!has_top_level_order_by(Dialect::MySql, "SELECT COUNT(*) FROM t"));
    }
}
