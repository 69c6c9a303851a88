//! Answers made of more than one query over the same frame: a share (the
//! part over the whole) and a period comparison (one figure over two
//! periods, as a difference, a percentage change or side by side).
//!
//! Invariants: every query of a combined answer is resolved from the same
//! frame, differing only in its conditions, so the figures are comparable;
//! the SQL and the restatement are made from the same resolved queries.

use super::catalog::Catalog;
use super::confidence::Confidence;
use super::joins::JoinGraph;
use super::render::{self, Query};
use super::resolve;
use super::restate::restate;
use super::shapes::{Comparison, ComparisonKind, Filter, Frame, Period, PeriodComparison};
use crate::synth::Abstention;

/// What a frame resolved to.
pub(super) enum Resolved {
    One(Box<Query>),
    Share {
        part: Box<Query>,
        whole: Box<Query>,
        percent: bool,
    },
    /// Each group's share of the figure over all groups.
    SharePerGroup {
        parts: Box<Query>,
        whole: Box<Query>,
        percent: bool,
    },
    Periods {
        base: Box<Query>,
        current: Box<Query>,
        comparison: Box<PeriodComparison>,
    },
    /// The figure per month or year, against the one before.
    OverPrevious {
        per_period: Box<Query>,
        kind: ComparisonKind,
    },
}

/// One query, or for a share the part and the whole (the same frame without
/// its value conditions; dates still restrict both), or for a period
/// comparison the figure in each period.
pub(super) fn resolve_frame(
    frame: &Frame,
    catalog: &Catalog,
    graph: &JoinGraph,
    confidence: &mut Confidence,
) -> Result<Resolved, Abstention> {
    if let Some(Comparison::OverPrevious { kind }) = &frame.comparison {
        let per_period = resolve::resolve(frame, catalog, graph, confidence)?;
        return Ok(Resolved::OverPrevious { per_period: Box::new(per_period), kind: *kind });
    }
    if let Some(Comparison::Periods(comparison)) = &frame.comparison {
        if frame.group.is_some() {
            return Err(Abstention { reason: "comparing two periods per group is not supported offline".into() });
        }
        let in_period = |period: &Period| {
            let mut framed = frame.clone();
            framed.comparison = None;
            framed.filters.push(Filter::Period(period.clone()));
            framed
        };
        let base = resolve::resolve(&in_period(&comparison.base), catalog, graph, confidence)?;
        let current = resolve::resolve(&in_period(&comparison.current), catalog, graph, confidence)?;
        return Ok(Resolved::Periods {
            base: Box::new(base),
            current: Box::new(current),
            comparison: comparison.clone(),
        });
    }
    let Some(percent) = frame.share else {
        return resolve::resolve(frame, catalog, graph, confidence).map(|q| Resolved::One(Box::new(q)));
    };
    if frame.group.is_some() {
        // "what share of revenue comes from each country": each group's figure
        // over the figure of all groups, under the same conditions.
        let parts = resolve::resolve(frame, catalog, graph, confidence)?;
        let mut whole_frame = frame.clone();
        whole_frame.group = None;
        whole_frame.order = None;
        let whole = resolve::resolve(&whole_frame, catalog, graph, confidence)?;
        return Ok(Resolved::SharePerGroup { parts: Box::new(parts), whole: Box::new(whole), percent });
    }
    let whole_filter = |f: &Filter| matches!(f, Filter::Period(_) | Filter::MonthOfYear { .. });
    if frame.filters.is_empty() {
        return Err(Abstention {
            reason: "could not tell what the share is of: name the part (a value, such as 'from the USA')".into(),
        });
    }
    let part = resolve::resolve(frame, catalog, graph, confidence)?;
    let mut whole_frame = frame.clone();
    // Dates restrict the whole too, unless they are the only condition ("paid in 2021").
    let dates_only = frame.filters.iter().all(whole_filter);
    whole_frame.filters.retain(|f| whole_filter(f) && !dates_only);
    whole_frame.context.clear();
    let whole = resolve::resolve(&whole_frame, catalog, graph, confidence)?;
    Ok(Resolved::Share { part: Box::new(part), whole: Box::new(whole), percent })
}

impl Resolved {
    /// The SQL text and the plain-English restatement of the answer.
    pub(super) fn sql_and_restatement(&self, catalog: &Catalog) -> (String, String) {
        match self {
            Resolved::One(query) => (render::render(catalog, query), restate(catalog, query)),
            Resolved::Share { part, whole, percent } => (
                render::render_share(catalog, part, whole, *percent),
                format!(
                    "{} of ({}) over ({})",
                    if *percent { "percentage" } else { "share" },
                    restate(catalog, part),
                    restate(catalog, whole)
                ),
            ),
            Resolved::SharePerGroup { parts, whole, percent } => (
                render::render_share_per_group(catalog, parts, whole, *percent),
                format!(
                    "{} of ({}) in ({})",
                    if *percent { "percentage" } else { "share" },
                    restate(catalog, parts),
                    restate(catalog, whole)
                ),
            ),
            Resolved::Periods { base, current, comparison } => {
                let (base_text, current_text) = (restate(catalog, base), restate(catalog, current));
                let restatement = match comparison.kind {
                    ComparisonKind::Difference => format!("({current_text}) minus ({base_text})"),
                    ComparisonKind::PercentChange => {
                        format!("percentage change from ({base_text}) to ({current_text})")
                    }
                    ComparisonKind::SideBySide => format!("({current_text}) beside ({base_text})"),
                };
                (render::render_comparison(catalog, base, current, comparison), restatement)
            }
            Resolved::OverPrevious { per_period, kind } => {
                let what = match kind {
                    ComparisonKind::PercentChange => "percentage change",
                    ComparisonKind::Difference | ComparisonKind::SideBySide => "change",
                };
                (
                    render::render_over_previous(catalog, per_period, *kind),
                    format!("{what} from the previous period of ({})", restate(catalog, per_period)),
                )
            }
        }
    }
}
