//! Planning: group a job's questions by source ([`SchemaGroup`]) and load each
//! group's schema once ([`SchemaCache`]). A group whose questions all carry
//! pinned SQL needs no schema and never introspects.

pub mod introspect;
pub mod schema;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, OnceCell};

use crate::db::SourcePool;
use crate::job::{Job, Question};
use introspect::IntrospectError;
use schema::DatabaseSchema;

/// The questions of one job that share a source, in job order, with their
/// position in the job so results can be put back in order.
#[derive(Debug)]
pub struct SchemaGroup<'a> {
    pub source: &'a str,
    pub questions: Vec<(usize, &'a Question)>,
}

impl SchemaGroup<'_> {
    /// True when some question needs synthesis (and so the schema).
    pub fn needs_schema(&self) -> bool {
        self.questions.iter().any(|(_, q)| q.sql.is_none())
    }
}

/// Groups questions by source, groups ordered by first appearance.
pub fn group_by_source(job: &Job) -> Vec<SchemaGroup<'_>> {
    let mut groups: Vec<SchemaGroup<'_>> = Vec::new();
    for (index, question) in job.questions.iter().enumerate() {
        match groups.iter_mut().find(|g| g.source == question.source) {
            Some(group) => group.questions.push((index, question)),
            None => groups.push(SchemaGroup { source: &question.source, questions: vec![(index, question)] }),
        }
    }
    groups
}

/// Schemas in memory, loaded at most once per source even when many groups
/// ask at the same time.
#[derive(Default)]
pub struct SchemaCache {
    entries: Mutex<HashMap<String, Arc<OnceCell<Arc<DatabaseSchema>>>>>,
}

impl SchemaCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The schema of `source`, introspected on first use.
    pub async fn get(&self, source: &str, pool: &SourcePool) -> Result<Arc<DatabaseSchema>, IntrospectError> {
        let cell = {
            let mut entries = self.entries.lock().await;
            entries.entry(source.to_string()).or_default().clone()
        };
        cell.get_or_try_init(|| async { introspect::introspect(source, pool).await.map(Arc::new) }).await.cloned()
    }

    /// Forgets a source's schema so the next use introspects again.
    pub async fn invalidate(&self, source: &str) {
        self.entries.lock().await.remove(source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_group_by_source_in_order_of_first_appearance() {
        let q = |id: &str, source: &str, sql: Option<&str>| Question {
            id: id.into(),
            source: source.into(),
            question: "?".into(),
            sql: sql.map(str::to_string),
        };
        let job = Job {
            job_id: "j".into(),
            questions: vec![q("a", "pg", Some("SELECT 1")), q("b", "lite", None), q("c", "pg", Some("SELECT 2"))],
        };
        let groups = group_by_source(&job);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].source, "pg");
        assert_eq!(groups[0].questions.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![0, 2]);
        assert!(!groups[0].needs_schema());
        assert!(groups[1].needs_schema());
    }
}
