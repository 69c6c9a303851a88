//! The interpretation of one question as data: what is selected, grouped,
//! filtered and ordered, with tables and columns still as linked candidates.
//! `shapes` builds a [`Frame`]; `resolve` turns it into SQL.
//!
//! Invariants: a frame names columns only through their candidates
//! ([`AttributeRef`], [`Measure`]); nothing here has chosen a column yet.

use crate::synth::offline::linking::{ColumnLink, EntityLink, ValueLink};
use crate::synth::offline::vocabulary::{CompareOp, Concept, Keyword, RelativeSpan};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AggFunc {
    Sum,
    Avg,
    Min,
    Max,
}

impl AggFunc {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            AggFunc::Sum => "SUM",
            AggFunc::Avg => "AVG",
            AggFunc::Min => "MIN",
            AggFunc::Max => "MAX",
        }
    }

    /// Prefix of result-column aliases ("total_revenue", "avg_unit_price").
    pub(crate) fn alias_prefix(self) -> &'static str {
        match self {
            AggFunc::Sum => "total",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
        }
    }

    pub(super) fn of(keyword: Keyword) -> Option<AggFunc> {
        match keyword {
            Keyword::Sum | Keyword::HowMuch => Some(AggFunc::Sum),
            Keyword::Avg => Some(AggFunc::Avg),
            Keyword::Min => Some(AggFunc::Min),
            Keyword::Max => Some(AggFunc::Max),
            _ => None,
        }
    }
}

/// A table the question names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EntityRef {
    pub link: EntityLink,
    pub text: String,
}

/// A column the question names, to be chosen among its candidates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AttributeRef {
    pub candidates: Vec<ColumnLink>,
    pub text: String,
    /// The table named with it ("invoice total", "names of customers").
    pub qualifier: Option<EntityLink>,
}

/// Something numeric: a named column or a concept such as revenue.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Measure {
    Attribute(AttributeRef),
    Concept { concept: Concept, text: String, qualifier: Option<EntityLink> },
}

impl Measure {
    pub(crate) fn text(&self) -> &str {
        match self {
            Measure::Attribute(a) => &a.text,
            Measure::Concept { text, .. } => text,
        }
    }
}

/// What is being ranked: rows of a table, values of a column, or calendar
/// periods ("which month had the highest sales": `Period { month: true }`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Subject {
    Entity(EntityRef),
    Attribute(AttributeRef),
    Period { month: bool, text: String },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RankKey {
    /// "by number of tracks", "the most albums"
    Count(EntityRef),
    /// "by revenue", "the highest total"; the function when the question names one.
    Measure(Option<AggFunc>, Measure),
    /// "the most common genre": how many rows have each; for a table, the
    /// rows of the one table that refers to it, for a column, its own rows.
    Occurrences,
}

/// How a comparison reads a measure that each compared row has several of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Across {
    /// "customers who spent more than 40": their total, when the measure adds up.
    Unsaid,
    /// "members who have a fine amount above 40": one of them, or the total? Asked back.
    OneOf,
    /// "students with an average grade above 80": the function the question names.
    Func(AggFunc),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Select {
    CountRows(EntityRef),
    CountValues(AttributeRef),
    /// Rows of a table: its key and name columns (`identify`) and/or the attributes asked for.
    List {
        entity: EntityRef,
        attributes: Vec<AttributeRef>,
        identify: bool,
        /// "members and their cities": rows of other tables shown beside
        /// each listed row (by their key and name columns).
        related: Vec<EntityRef>,
    },
    Distinct(AttributeRef),
    Aggregate {
        func: AggFunc,
        measure: Measure,
    },
    /// "average number of tracks per album": the function over the per-group counts.
    CountAggregate {
        func: AggFunc,
        counted: EntityRef,
    },
    Ranked {
        subject: Subject,
        key: RankKey,
        descending: bool,
        limit: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum GroupKey {
    Entity(EntityRef),
    Attribute(AttributeRef),
    Year,
    Month,
}

/// A calendar month, for half-open date ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct YearMonth {
    pub year: i32,
    pub month: u32,
}

impl YearMonth {
    pub(crate) fn start_of(year: i32) -> YearMonth {
        YearMonth { year, month: 1 }
    }

    pub(crate) fn next(self) -> YearMonth {
        if self.month == 12 {
            YearMonth { year: self.year + 1, month: 1 }
        } else {
            YearMonth { month: self.month + 1, ..self }
        }
    }
}

/// Dates in `[from, until)`; either end may be open. `column` is the date
/// the question names ("hired in 2002"), if any.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Period {
    pub column: Option<AttributeRef>,
    pub from: Option<YearMonth>,
    pub until: Option<YearMonth>,
}

/// A figure compared across periods.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Comparison {
    /// Two named periods.
    Periods(Box<PeriodComparison>),
    /// "the month-over-month change in orders": each month's (or year's)
    /// figure against the one before; the frame is grouped by the period.
    OverPrevious { kind: ComparisonKind },
}

/// "By how much did sales change from 2021 to 2022", "how many more orders
/// in 2022 than in 2021", "revenue in 2023 compared to 2022": the same figure
/// over two periods, combined as `kind` says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PeriodComparison {
    /// The period compared against ("from 2021", "than in 2021").
    pub base: Period,
    /// The period compared ("to 2022", "more in 2022").
    pub current: Period,
    pub kind: ComparisonKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ComparisonKind {
    /// current - base
    Difference,
    /// 100 * (current - base) / base
    PercentChange,
    /// Both figures, the first named first.
    SideBySide,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    /// One of the values (several when joined by "or"/"and"), each with its candidate columns.
    Values {
        alternatives: Vec<Vec<ValueLink>>,
        texts: Vec<String>,
        either: bool,
        anchor: Option<EntityLink>,
        /// "not in Brazil", "except Brazil": none of the values.
        negated: bool,
    },
    /// A quoted string compared with a named column or with a table's name column.
    Text {
        target: Subject,
        text: String,
    },
    Compare {
        measure: Measure,
        op: CompareOp,
        number: f64,
        text: String,
        /// The unit of time written after the number ("5 minutes"), in milliseconds.
        unit: Option<u64>,
        /// How rows that each have several of the measure compare it.
        across: Across,
    },
    /// Dates in a period.
    Period(Period),
    /// "orders yesterday", "hires in the last 30 days": dates counted from
    /// the day the query runs, so a cached answer stays right.
    Recent {
        column: Option<AttributeRef>,
        span: RelativeSpan,
    },
    MonthOfYear {
        column: Option<AttributeRef>,
        month: u32,
    },
    /// "have more than 5 invoices": the count of related rows per subject row.
    CountOf {
        entity: EntityRef,
        op: CompareOp,
        number: f64,
    },
    /// "customers who never bought", "artists without albums", "staff without
    /// a supervisor": no related row exists. Several candidates when a verb
    /// named the event ("borrowed" -> loan or rental): the nearest is taken.
    Absent {
        candidates: Vec<EntityLink>,
        text: String,
    },
    /// "employees who earn more than the average salary": each row's value
    /// against the average over all rows of its table.
    AboveAverage {
        measure: Measure,
        op: CompareOp,
        text: String,
        scope: AverageScope,
    },
    /// "employees who earn more than their manager": each row's measure
    /// against the same measure of the row its role points to.
    CompareWithRole {
        measure: Measure,
        op: CompareOp,
        role: EntityLink,
        text: String,
    },
    /// "stores that received more orders in 2022 than in 2021": per listed
    /// row, the related rows in `current` outnumber those in `base`.
    PeriodCounts {
        counted: EntityRef,
        current: Period,
        base: Period,
    },
    /// "album 5", "in store 1": the row with that key.
    Key {
        entity: EntityRef,
        key: i64,
    },
    /// "discontinued products", "inactive customers": a yes/no column is set (or not).
    Flag {
        attribute: AttributeRef,
        set: bool,
    },
    /// "loans not yet returned": the column (a date, usually) is empty.
    Missing {
        attribute: AttributeRef,
        /// Said of related rows as an adjective ("members with unpaid fines":
        /// some fine is unpaid), not of what the listed rows did ("members
        /// who never paid a fine"), which would be an absence.
        adjective: bool,
    },
    /// "employees who earn a commission", "customers with an email": the column is not empty.
    Present {
        attribute: AttributeRef,
    },
}

/// What a value is compared with the average of.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AverageScope {
    /// Every row's value against the average over all rows ("earn more than the average salary").
    AllRows,
    /// Each row's value against the average of the rows sharing its group
    /// ("more than the average salary of their department").
    Within(EntityRef),
    /// Each listed row's average of its related rows against the average
    /// over all of them ("departments with an average salary above the overall average").
    PerListedRow,
    /// Each listed or counted row's total against the average of such
    /// totals ("orders worth more than the average order value", "customers
    /// who spent more than the average customer").
    PerRowTotal,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OrderRequest {
    ByMeasure { measure: Measure, descending: bool },
    Alphabetical { descending: bool },
}

/// The interpretation of one question, before columns and joins are chosen.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frame {
    pub select: Select,
    pub group: Option<GroupKey>,
    pub filters: Vec<Filter>,
    pub order: Option<OrderRequest>,
    /// Other tables the question names; they are joined.
    pub context: Vec<EntityRef>,
    /// Words that restate the measure's unit or column ("average track length
    /// in milliseconds", "total size in bytes"): the chosen column must fit them.
    pub units: Vec<Measure>,
    /// "What share of revenue comes from the USA": the answer is the selected
    /// count or total with the value conditions over the same without them;
    /// `Some(true)` for a percentage.
    pub share: Option<bool>,
    /// The selected figure compared across periods.
    pub comparison: Option<Comparison>,
    /// The date a year or month group key buckets, when the question names it
    /// ("how many employees were hired each year").
    pub bucket_date: Option<AttributeRef>,
    /// Verbs no rule used ("supports", "billed", "bought"): the resolved query
    /// must involve what each names (its event table, a column it begins, a
    /// role it begins), or the question is not understood.
    pub verbs: Vec<Verb>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verb {
    pub text: String,
    pub stem: String,
    pub events: Vec<EntityLink>,
}
