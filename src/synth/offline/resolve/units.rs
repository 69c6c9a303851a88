//! Units a question states: "in minutes", "in milliseconds", "salary cost".
//! Each must fit the measure chosen; a unit of time converts it.

use super::*;

/// A duration converted to the unit a question asks in (see [`Expr::Scaled`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Scale {
    pub(super) multiply: u64,
    pub(super) divide: u64,
    /// The unit asked for, for the result's name ("avg_minutes").
    pub(super) unit: String,
}

impl Scale {
    pub(super) fn apply(&self, expr: Expr) -> Expr {
        Expr::Scaled { expr: Box::new(expr), multiply: self.multiply, divide: self.divide }
    }
}

impl Resolver<'_> {
    /// "average track length in milliseconds": every unit word must fit the
    /// chosen measure (name it as a candidate column, or a concept it has).
    /// A unit of time the question asks in ("in minutes") converts the
    /// measure from its column's unit: the scale to apply, if any.
    pub(super) fn check_units(&mut self, numeric: &Numeric) -> Result<Option<Scale>, Abstention> {
        let columns: Vec<ColumnId> = match numeric.expr {
            NumericExpr::Column(c) => vec![c],
            NumericExpr::Product(a, b) => vec![a, b],
        };
        let mut scale = None;
        for unit in &self.frame.units {
            if let Some(asked) = duration_unit(unit.text()) {
                let converted = self.duration_scale(numeric, asked, unit.text())?;
                if scale.is_some_and(|s| s != converted) {
                    return Err(abstain("the question names two units of time"));
                }
                scale = Some(converted);
                continue;
            }
            let fits = match unit {
                Measure::Attribute(attribute) => attribute.candidates.iter().any(|c| columns.contains(&c.column)),
                Measure::Concept { concept, .. } => {
                    // "salary cost": a cost is an amount of money.
                    let money_words =
                        |c: &Concept| *c == *concept || (*concept == Concept::Price && *c == Concept::Money);
                    numeric.concept.as_ref().is_some_and(money_words)
                        || columns.iter().any(|&c| self.catalog.column(c).concepts.iter().any(money_words))
                }
            };
            if !fits {
                return Err(abstain(format!(
                    "'{}' does not fit {}, the measure chosen",
                    unit.text(),
                    self.describe_numeric(numeric.expr)
                )));
            }
        }
        Ok(scale)
    }

    /// From a duration column's unit to the unit `asked` (milliseconds in
    /// one): a `Milliseconds` column "in minutes" divides by 60000. A
    /// duration column without a unit in its name (`length`, `runtime`) is
    /// taken to be in minutes, as running times usually are; anything else is
    /// not a duration.
    pub(super) fn duration_scale(&mut self, numeric: &Numeric, asked: u64, text: &str) -> Result<Scale, Abstention> {
        const MINUTE: u64 = 60_000;
        let NumericExpr::Column(column) = numeric.expr else {
            return Err(abstain(format!("'{text}' does not fit {}", self.describe_numeric(numeric.expr))));
        };
        let facts = self.catalog.column(column);
        let named = facts.words.iter().find_map(|w| duration_unit(w));
        let own = match named {
            Some(own) => own,
            None if facts.concepts.contains(&Concept::Duration) => {
                let reason = format!("took {} to be in minutes", self.catalog.describe(column));
                self.confidence.doubt(cost::NEARBY_COLUMN, reason);
                MINUTE
            }
            None => {
                return Err(abstain(format!(
                    "'{text}' does not fit {}, the measure chosen",
                    self.describe_numeric(numeric.expr)
                )));
            }
        };
        let unit = text.split_whitespace().last().unwrap_or(text).to_lowercase();
        Ok(if own >= asked {
            Scale { multiply: own / asked, divide: 1, unit }
        } else {
            Scale { multiply: 1, divide: asked / own, unit }
        })
    }
}
