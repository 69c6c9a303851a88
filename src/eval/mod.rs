//! Execution accuracy of a synthesizer against gold SQL (`sqlsynth eval`).
//!
//! An eval set is `{"cases": [{"id": "e1", "question": "...", "gold_sql": "..."}]}`.
//! A case may also carry `"tier": "simple" | "medium" | "hard"` (without one
//! it counts as `medium`), and a case with `"expect": "refuse"` and no
//! `gold_sql` is a question the synthesizer must decline (it would change
//! data, or it is not about the database): it is correct iff the synthesizer
//! abstains. For every other case the synthesizer answers or abstains; an
//! answer is run, like the gold SQL, through the guard and the executor
//! (read-only), and the two results are compared by [`same_result`]:
//!
//! * the same multiset of rows; column names and column order are ignored
//!   (a column of the answer is matched to a column of the gold result by
//!   content), but both must have the same number of columns;
//! * row order matters only when the gold SQL has a top-level `ORDER BY`;
//! * numbers compare with a small relative tolerance (floats against decimals
//!   across dialects), and text that reads as a number is that number (a
//!   year from `substr` in SQLite equals one from `EXTRACT` in PostgreSQL);
//!   timestamps compare as `YYYY-MM-DD hh:mm:ss` text.
//!
//! The report counts answered and correct cases among those with gold SQL;
//! coverage is answered/total, precision correct/answered (0 when nothing was
//! answered), overall and per tier ([`Totals`]). Refusal cases are counted
//! apart ([`RefusalTotals`]): they are part of neither coverage nor precision. A gold query the
//! guard rejects or the database cannot run is bad input ([`EvalError`]), not a
//! miss of the synthesizer. Any synthesizer can be measured: [`Synthesize`] is
//! implemented for the offline synthesizer and for any closure from a
//! question to an answer or an abstention.
//!
//! Files: this one holds the sets, the run and the report; `compare` turns
//! results into comparable cells and compares them.

pub use compare::{Cell, NUMBER_TOLERANCE, ResultSet, has_top_level_order_by, result_set, same_result};

mod compare;

use serde::{Deserialize, Serialize};

use crate::dialect::Dialect;
use crate::guard::ReadOnlyGuard;
use crate::pipeline::Pipeline;
use crate::synth::offline::OfflineSynthesizer;
use crate::synth::{Abstention, SqlAnswer};

/// The eval file: a list of questions with their gold SQL.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EvalSet {
    pub cases: Vec<EvalCase>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EvalCase {
    pub id: String,
    pub question: String,
    /// The reference query; absent exactly when the case expects a refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gold_sql: Option<String>,
    /// How hard the question is; [`EvalCase::tier`] reads a missing one as medium.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    /// What a correct synthesizer does: answer (the default) or refuse.
    #[serde(default, skip_serializing_if = "Expect::is_answer")]
    pub expect: Expect,
}

/// The difficulty of a case, for the per-tier totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Simple,
    #[default]
    Medium,
    Hard,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Simple, Tier::Medium, Tier::Hard];

    pub fn name(self) -> &'static str {
        match self {
            Tier::Simple => "simple",
            Tier::Medium => "medium",
            Tier::Hard => "hard",
        }
    }
}

/// What a case expects of the synthesizer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// SQL that returns the gold SQL's rows.
    #[default]
    Answer,
    /// An abstention: the question asks to change data or is not about the database.
    Refuse,
}

impl Expect {
    fn is_answer(&self) -> bool {
        *self == Expect::Answer
    }
}

impl EvalCase {
    /// The case's tier; a case without one is medium.
    pub fn tier(&self) -> Tier {
        self.tier.unwrap_or_default()
    }

    /// True when the synthesizer must abstain on this case.
    pub fn expects_refusal(&self) -> bool {
        self.expect == Expect::Refuse
    }
}

impl EvalSet {
    /// Parses and checks an eval file: at least one case, ids non-empty and
    /// unique, gold SQL on every case except the refusals, which have none
    /// (and no tier: they are not part of the per-tier totals).
    pub fn parse(bytes: &[u8]) -> Result<EvalSet, EvalError> {
        let set: EvalSet = serde_json::from_slice(bytes).map_err(|e| EvalError::Input(e.to_string()))?;
        if set.cases.is_empty() {
            return Err(EvalError::Input("the eval set has no cases".into()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for case in &set.cases {
            if case.id.trim().is_empty() {
                return Err(EvalError::Input("a case has an empty id".into()));
            }
            if !seen.insert(case.id.as_str()) {
                return Err(EvalError::Input(format!("case id '{}' appears twice", case.id)));
            }
            match (case.expect, &case.gold_sql, case.tier) {
                (Expect::Answer, None, _) => {
                    return Err(EvalError::Input(format!(
                        "case '{}' has no gold_sql (only a case with \"expect\": \"refuse\" has none)",
                        case.id
                    )));
                }
                (Expect::Refuse, Some(_), _) => {
                    return Err(EvalError::Input(format!(
                        "case '{}' expects a refusal and must not have a gold_sql",
                        case.id
                    )));
                }
                (Expect::Refuse, None, Some(_)) => {
                    return Err(EvalError::Input(format!(
                        "case '{}' expects a refusal and must not have a tier",
                        case.id
                    )));
                }
                _ => {}
            }
        }
        Ok(set)
    }
}

/// Anything that turns a question into SQL or declines: the offline
/// synthesizer, an LLM client, a closure in a test.
pub trait Synthesize {
    fn synthesize(&self, question: &str) -> Result<SqlAnswer, Abstention>;
}

impl Synthesize for OfflineSynthesizer {
    fn synthesize(&self, question: &str) -> Result<SqlAnswer, Abstention> {
        OfflineSynthesizer::synthesize(self, question)
    }
}

impl<F> Synthesize for F
where
    F: Fn(&str) -> Result<SqlAnswer, Abstention>,
{
    fn synthesize(&self, question: &str) -> Result<SqlAnswer, Abstention> {
        self(question)
    }
}

/// The eval could not be run; the numbers would mean nothing.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("bad eval set: {0}")]
    Input(String),
    #[error("case {id}: the gold SQL {problem}")]
    Gold { id: String, problem: String },
    #[error("source '{source_name}': {message}")]
    Source { source_name: String, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseStatus {
    Answered,
    Abstained,
}

/// One case's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub id: String,
    pub question: String,
    /// The case's tier (medium when the set gives none); `None` for a refusal case.
    pub tier: Option<Tier>,
    pub expect: Expect,
    pub status: CaseStatus,
    /// For a refusal case: the synthesizer abstained.
    pub correct: bool,
    /// The synthesized SQL, when there is one.
    pub sql: Option<String>,
    /// Why the synthesizer abstained, or why the answer is wrong; empty for a correct answer.
    pub reason: String,
}

/// Answered and correct counts over a group of cases with gold SQL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Totals {
    pub total: usize,
    pub answered: usize,
    pub correct: usize,
    /// answered / total (0 when there are no cases).
    pub coverage: f64,
    /// correct / answered (0 when nothing was answered).
    pub precision: f64,
}

impl Totals {
    /// The totals of `cases`, which are cases with gold SQL.
    pub fn of<'a>(cases: impl IntoIterator<Item = &'a CaseResult>) -> Totals {
        let (mut total, mut answered, mut correct) = (0, 0, 0);
        for case in cases {
            total += 1;
            answered += usize::from(case.status == CaseStatus::Answered);
            correct += usize::from(case.correct);
        }
        Totals { total, answered, correct, coverage: ratio(answered, total), precision: ratio(correct, answered) }
    }
}

/// How the synthesizer did on the cases it must refuse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RefusalTotals {
    pub total: usize,
    /// Cases on which the synthesizer abstained, as it should.
    pub refused: usize,
    /// refused / total (0 when the set has no refusal cases).
    pub rate: f64,
}

/// The per-tier totals, every tier present (a tier without cases has zeros).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct TierTotals {
    pub simple: Totals,
    pub medium: Totals,
    pub hard: Totals,
}

impl TierTotals {
    pub fn get(&self, tier: Tier) -> &Totals {
        match tier {
            Tier::Simple => &self.simple,
            Tier::Medium => &self.medium,
            Tier::Hard => &self.hard,
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The whole run: per-case outcomes and the totals.
///
/// `total`, `answered`, `correct`, `coverage` and `precision` cover the
/// cases with gold SQL (all tiers); `tiers` splits them by tier; `refusals`
/// covers the cases that expect a refusal; `cases` lists every case.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub source: String,
    pub dialect: String,
    pub total: usize,
    pub answered: usize,
    pub correct: usize,
    /// answered / total.
    pub coverage: f64,
    /// correct / answered (0 when nothing was answered).
    pub precision: f64,
    pub tiers: TierTotals,
    pub refusals: RefusalTotals,
    pub cases: Vec<CaseResult>,
}

impl EvalReport {
    /// The report of `cases`, totals computed from them.
    pub fn new(source: &str, dialect: Dialect, cases: Vec<CaseResult>) -> Self {
        let answerable = || cases.iter().filter(|c| c.expect == Expect::Answer);
        let overall = Totals::of(answerable());
        let tier = |t: Tier| Totals::of(answerable().filter(|c| c.tier.unwrap_or_default() == t));
        let tiers = TierTotals { simple: tier(Tier::Simple), medium: tier(Tier::Medium), hard: tier(Tier::Hard) };
        let refusal_cases = cases.iter().filter(|c| c.expect == Expect::Refuse);
        let (total, refused) = refusal_cases.fold((0, 0), |(t, r), c| (t + 1, r + usize::from(c.correct)));
        EvalReport {
            source: source.to_string(),
            dialect: dialect.name().to_string(),
            total: overall.total,
            answered: overall.answered,
            correct: overall.correct,
            coverage: overall.coverage,
            precision: overall.precision,
            tiers,
            refusals: RefusalTotals { total, refused, rate: ratio(refused, total) },
            cases,
        }
    }
}

/// Runs every case of `set` on `source`. The pipeline's settings must configure the source.
pub async fn run_eval(
    pipeline: &Pipeline,
    source: &str,
    set: &EvalSet,
    synthesizer: &dyn Synthesize,
) -> Result<EvalReport, EvalError> {
    let schema = pipeline
        .schema(source)
        .await
        .map_err(|e| EvalError::Source { source_name: source.into(), message: e.to_string() })?;
    let dialect = schema.dialect;
    let guard = ReadOnlyGuard::new(dialect);
    let mut results = Vec::with_capacity(set.cases.len());
    for case in &set.cases {
        let mut result = CaseResult {
            id: case.id.clone(),
            question: case.question.clone(),
            tier: (!case.expects_refusal()).then(|| case.tier()),
            expect: case.expect,
            status: CaseStatus::Abstained,
            correct: false,
            sql: None,
            reason: String::new(),
        };
        let Some(gold_sql) = case.gold_sql.as_deref() else {
            // A refusal case (parse guarantees it): correct iff the synthesizer abstains.
            match synthesizer.synthesize(&case.question) {
                Err(abstention) => {
                    result.correct = true;
                    result.reason = abstention.reason;
                }
                Ok(answer) => {
                    result.status = CaseStatus::Answered;
                    result.reason = "answered a question it should refuse".into();
                    result.sql = Some(answer.sql);
                }
            }
            results.push(result);
            continue;
        };
        let gold_ordered = has_top_level_order_by(dialect, gold_sql);
        let gold = match run_sql(pipeline, source, guard, gold_sql).await {
            Ok(gold) => gold,
            Err(problem) => return Err(EvalError::Gold { id: case.id.clone(), problem }),
        };
        match synthesizer.synthesize(&case.question) {
            Err(abstention) => result.reason = abstention.reason,
            Ok(answer) => {
                result.status = CaseStatus::Answered;
                match run_sql(pipeline, source, guard, &answer.sql).await {
                    Err(problem) => result.reason = format!("the synthesized SQL {problem}"),
                    Ok(got) => match same_result(&got, &gold, gold_ordered) {
                        Ok(()) => result.correct = true,
                        Err(difference) => result.reason = difference,
                    },
                }
                result.sql = Some(answer.sql);
            }
        }
        results.push(result);
    }
    Ok(EvalReport::new(source, dialect, results))
}

/// Guards and runs one query, collecting its rows; the error says what went wrong.
async fn run_sql(pipeline: &Pipeline, source: &str, guard: ReadOnlyGuard, sql: &str) -> Result<ResultSet, String> {
    let guarded = guard.check(sql).map_err(|e| format!("was {e}"))?;
    let (outcome, batches) = pipeline.executor().run_collect(source, &guarded).await;
    let summary = outcome.map_err(|e| format!("failed: {}", e.public_message()))?;
    if summary.truncated {
        return Err(format!("returned more than exec.max_rows ({}) rows", pipeline.settings().exec.max_rows));
    }
    result_set(&batches).map_err(|e| format!("returned values that cannot be compared: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eval_sets_reject_unknown_fields_duplicates_and_empty() {
        assert!(EvalSet::parse(br#"{"cases": [{"id": "a", "question": "q", "gold_sql": "SELECT 1"}]}"#).is_ok());
        assert!(EvalSet::parse(br#"{"cases": []}"#).is_err());
        assert!(EvalSet::parse(br#"{"cases": [{"id": "a", "question": "q", "gold": "x"}]}"#).is_err());
        let twice = br#"{"cases": [{"id": "a", "question": "q", "gold_sql": "SELECT 1"},
                                   {"id": "a", "question": "r", "gold_sql": "SELECT 2"}]}"#;
        assert!(EvalSet::parse(twice).unwrap_err().to_string().contains("twice"));
    }

    #[test]
    fn tiers_and_refusals_parse_and_default_to_medium_and_answer() {
        let set = EvalSet::parse(
            br#"{"cases": [
                {"id": "a", "question": "q", "gold_sql": "SELECT 1"},
                {"id": "b", "question": "q", "gold_sql": "SELECT 1", "tier": "simple"},
                {"id": "c", "question": "q", "gold_sql": "SELECT 1", "tier": "hard", "expect": "answer"},
                {"id": "r", "question": "Delete everything", "expect": "refuse"}
            ]}"#,
        )
        .unwrap();
        let tiers: Vec<Tier> = set.cases.iter().map(EvalCase::tier).collect();
        assert_eq!(tiers[..3], [Tier::Medium, Tier::Simple, Tier::Hard]);
        let refusals: Vec<bool> = set.cases.iter().map(EvalCase::expects_refusal).collect();
        assert_eq!(refusals, [false, false, false, true]);
        assert_eq!(set.cases[3].gold_sql, None);
        // Written back, a case keeps only what it had.
        let written = serde_json::to_value(&set.cases[0]).unwrap();
        assert_eq!(written, serde_json::json!({"id": "a", "question": "q", "gold_sql": "SELECT 1"}));
        assert_eq!(serde_json::to_value(&set.cases[3]).unwrap()["expect"], "refuse");
    }

    #[test]
    fn gold_sql_is_required_except_on_refusals_which_have_neither_gold_nor_tier() {
        let error = |body: &str| EvalSet::parse(body.as_bytes()).unwrap_err().to_string();
        assert!(error(r#"{"cases": [{"id": "a", "question": "q"}]}"#).contains("'a' has no gold_sql"));
        let with_gold = r#"{"cases": [{"id": "r", "question": "q", "gold_sql": "SELECT 1", "expect": "refuse"}]}"#;
        assert!(error(with_gold).contains("must not have a gold_sql"));
        let with_tier = r#"{"cases": [{"id": "r", "question": "q", "tier": "hard", "expect": "refuse"}]}"#;
        assert!(error(with_tier).contains("must not have a tier"));
        let unknown_tier = r#"{"cases": [{"id": "a", "question": "q", "gold_sql": "SELECT 1", "tier": "easy"}]}"#;
        assert!(error(unknown_tier).contains("easy"));
        let unknown_expect = r#"{"cases": [{"id": "a", "question": "q", "expect": "maybe"}]}"#;
        assert!(error(unknown_expect).contains("maybe"));
        let unknown_field = r#"{"cases": [{"id": "a", "question": "q", "gold_sql": "SELECT 1", "difficulty": 1}]}"#;
        assert!(error(unknown_field).contains("difficulty"));
    }

    fn outcome(id: &str, tier: Option<Tier>, expect: Expect, status: CaseStatus, correct: bool) -> CaseResult {
        CaseResult {
            id: id.into(),
            question: id.into(),
            tier,
            expect,
            status,
            correct,
            sql: None,
            reason: String::new(),
        }
    }

    #[test]
    fn totals_per_tier_and_refusals_add_up_apart() {
        use CaseStatus::{Abstained, Answered};
        use Expect::{Answer, Refuse};
        let (s, m, h) = (Some(Tier::Simple), Some(Tier::Medium), Some(Tier::Hard));
        let cases = vec![
            outcome("s1", s, Answer, Answered, true),
            outcome("s2", s, Answer, Answered, false),
            outcome("s3", s, Answer, Abstained, false),
            outcome("s4", s, Answer, Answered, true),
            outcome("m1", m, Answer, Answered, true),
            outcome("m2", None, Answer, Abstained, false),
            outcome("r1", None, Refuse, Abstained, true),
            outcome("r2", None, Refuse, Answered, false),
            outcome("r3", None, Refuse, Abstained, true),
        ];
        let report = EvalReport::new("src", Dialect::Sqlite, cases);
        // Overall: the six cases with gold SQL; the refusals are apart.
        assert_eq!((report.total, report.answered, report.correct), (6, 4, 3));
        assert!((report.coverage - 4.0 / 6.0).abs() < 1e-12 && (report.precision - 0.75).abs() < 1e-12);
        let simple = Totals { total: 4, answered: 3, correct: 2, coverage: 0.75, precision: 2.0 / 3.0 };
        assert_eq!(report.tiers.simple, simple);
        // A case without a tier counts as medium.
        assert_eq!(report.tiers.medium, Totals { total: 2, answered: 1, correct: 1, coverage: 0.5, precision: 1.0 });
        assert_eq!(report.tiers.get(Tier::Hard), &Totals::default());
        let tier_sum: usize = Tier::ALL.iter().map(|&t| report.tiers.get(t).total).sum();
        assert_eq!(tier_sum, report.total);
        assert_eq!(report.refusals, RefusalTotals { total: 3, refused: 2, rate: 2.0 / 3.0 });

        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["tiers"]["simple"]["answered"], 3);
        assert_eq!(json["tiers"]["hard"]["coverage"], 0.0);
        assert_eq!(json["refusals"]["refused"], 2);
        assert_eq!(json["cases"][5]["tier"], serde_json::Value::Null);
        assert_eq!(json["cases"][6]["expect"], "refuse");

        let none = EvalReport::new("src", Dialect::Sqlite, vec![outcome("a", h, Answer, Abstained, false)]);
        assert_eq!(none.refusals, RefusalTotals::default());
        assert_eq!((none.tiers.hard.coverage, none.tiers.hard.precision), (0.0, 0.0));
    }
}
