//! The confidence score of one offline answer. Every doubt met while linking,
//! interpreting and joining multiplies the score by a factor below one and
//! records why; the synthesizer abstains when the score falls below the
//! configured minimum, giving the reason that cost the most.
//!
//! Invariants: the score starts at 1.0 and only decreases; a doubt's reason
//! names the word or concept concerned, so an abstention says what to fix.

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Confidence {
    score: f32,
    doubts: Vec<(f32, String)>,
}

/// How much each kind of doubt costs (the factor the score is multiplied by).
pub(crate) mod cost {
    /// A content word that maps to nothing: the answer probably ignores a condition.
    pub const UNKNOWN_WORD: f32 = 0.45;
    /// A number, keyword or column the interpretation could not use.
    pub const UNUSED: f32 = 0.5;
    /// More than one equally short join path.
    pub const AMBIGUOUS_JOIN: f32 = 0.5;
    /// A question whose wording leaves the aggregation or row count open.
    pub const UNDERSPECIFIED: f32 = 0.5;
    /// A table mentioned but only joined, without a condition on it.
    pub const JOIN_ONLY: f32 = 0.8;
    /// A column chosen by closeness to the tables mentioned, not named with them.
    pub const NEARBY_COLUMN: f32 = 0.9;
    /// A column matched by the last word of its name only.
    pub const HEAD_WORD: f32 = 0.92;
    /// A word linked through a built-in synonym.
    pub const SYNONYM: f32 = 0.95;
    /// Each join beyond the second.
    pub const EXTRA_JOIN: f32 = 0.95;
}

impl Default for Confidence {
    fn default() -> Self {
        Confidence { score: 1.0, doubts: Vec::new() }
    }
}

impl Confidence {
    /// Lowers the score by `factor` (0 < factor <= 1) for `reason`.
    pub(crate) fn doubt(&mut self, factor: f32, reason: impl Into<String>) {
        self.score *= factor.clamp(0.0, 1.0);
        self.doubts.push((factor, reason.into()));
    }

    pub(crate) fn score(&self) -> f32 {
        self.score
    }

    /// The reasons, costliest first, each once.
    pub(crate) fn reasons(&self) -> Vec<&str> {
        let mut doubts: Vec<&(f32, String)> = self.doubts.iter().collect();
        doubts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut reasons: Vec<&str> = Vec::new();
        for (_, reason) in doubts {
            if !reasons.contains(&reason.as_str()) {
                reasons.push(reason);
            }
        }
        reasons
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubts_multiply_and_the_costliest_reason_comes_first() {
        let mut confidence = Confidence::default();
        assert_eq!(confidence.score(), 1.0);
        confidence.doubt(cost::SYNONYM, "linked 'client' as a synonym");
        confidence.doubt(cost::UNKNOWN_WORD, "could not map 'loyalty' to any table or column");
        assert!((confidence.score() - cost::SYNONYM * cost::UNKNOWN_WORD).abs() < 1e-6);
        assert_eq!(confidence.reasons()[0], "could not map 'loyalty' to any table or column");
    }
}
