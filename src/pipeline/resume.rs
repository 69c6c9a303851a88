//! The answer files' footers: what a committed answer records there, and how
//! a resumed job rebuilds a question's record from them without running it again.
//! The interpretation is rebuilt as it was made: the restatement from the
//! footer, what the SQL uses from the guard (so files written before
//! interpretations existed get one too).

use tracing::{info, warn};

use crate::guard::ReadOnlyGuard;
use crate::job::Question;
use crate::sink::manifest::{ColumnRecord, Interpretation, QuestionRecord, Status};
use crate::sink::output::JobOutput;
use crate::sink::parquet::FileFooter;
use crate::synth::SqlAnswer;

/// Keys of the key/value metadata each answer's Parquet footer carries, so a
/// resumed job can rebuild the question's record without re-running it.
pub mod footer_keys {
    pub const QUESTION: &str = "sqlsynth.question";
    pub const SOURCE: &str = "sqlsynth.source";
    pub const SQL: &str = "sqlsynth.sql";
    pub const SYNTHESIZER: &str = "sqlsynth.synthesizer";
    pub const TRUNCATED: &str = "sqlsynth.truncated";
    pub const ELAPSED_MS: &str = "sqlsynth.elapsed_ms";
    /// Present only when the synthesizer restated the question.
    pub const RESTATEMENT: &str = "sqlsynth.restatement";
}

/// The footer key/values of an answer, as [`resumed_record`] reads them back.
pub(super) fn footer_metadata(
    question: &Question,
    answer: &SqlAnswer,
    truncated: bool,
    elapsed_ms: u64,
) -> Vec<(String, String)> {
    let mut metadata = vec![
        (footer_keys::QUESTION.to_string(), question.question.clone()),
        (footer_keys::SOURCE.to_string(), question.source.clone()),
        (footer_keys::SQL.to_string(), answer.sql.clone()),
        (footer_keys::SYNTHESIZER.to_string(), answer.synthesizer.name().to_string()),
        (footer_keys::TRUNCATED.to_string(), truncated.to_string()),
        (footer_keys::ELAPSED_MS.to_string(), elapsed_ms.to_string()),
    ];
    if let Some(restatement) = &answer.restatement {
        metadata.push((footer_keys::RESTATEMENT.to_string(), restatement.clone()));
    }
    metadata
}

/// Column names and Arrow types as the manifest records them.
pub fn column_records(schema: &arrow_schema::Schema) -> Vec<ColumnRecord> {
    schema
        .fields()
        .iter()
        .map(|f| ColumnRecord { name: f.name().clone(), data_type: f.data_type().to_string() })
        .collect()
}

/// The record of a question whose answer file a previous run finished, if
/// that file is readable; an unreadable one is removed so the question runs again.
pub(super) async fn resumed(question: &Question, output: &JobOutput, guard: &ReadOnlyGuard) -> Option<QuestionRecord> {
    let file_name = format!("{}.parquet", question.id);
    match output.existing_answer(&file_name).await {
        Ok(None) => None,
        Ok(Some(footer)) => {
            info!(status = "ok", "answer file exists; not run again");
            Some(resumed_record(question, &footer, &file_name, guard))
        }
        Err(e) => {
            warn!(error = %e, "answer file is unreadable; answering again");
            output.remove_answer(&file_name).await;
            None
        }
    }
}

/// Rebuilds the record of a finished answer from its file's footer.
fn resumed_record(question: &Question, footer: &FileFooter, file_name: &str, guard: &ReadOnlyGuard) -> QuestionRecord {
    let meta = |key: &str| footer.metadata.get(key).cloned();
    let restatement = meta(footer_keys::RESTATEMENT);
    let interpretation = meta(footer_keys::SQL).and_then(|sql| match guard.check(&sql) {
        Ok(guarded) => Some(Interpretation::new(restatement.as_deref(), &guarded.uses)),
        Err(e) => {
            warn!(error = %e, "the answer's SQL no longer passes the guard; its record has no interpretation");
            None
        }
    });
    QuestionRecord {
        id: question.id.clone(),
        source: question.source.clone(),
        question: question.question.clone(),
        status: Status::Ok,
        sql: meta(footer_keys::SQL),
        synthesizer: meta(footer_keys::SYNTHESIZER),
        interpretation,
        rows: footer.rows,
        truncated: meta(footer_keys::TRUNCATED).as_deref() == Some("true"),
        columns: column_records(&footer.schema),
        file: Some(file_name.to_string()),
        elapsed_ms: meta(footer_keys::ELAPSED_MS).and_then(|v| v.parse().ok()).unwrap_or(0),
        error: None,
    }
}
