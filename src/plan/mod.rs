//! Planning: group a job's questions by source ([`SchemaGroup`]); each group
//! loads its schema once, from the schema cache
//! ([`crate::cache::SchemaStore`], which calls [`introspect`] on a miss or a
//! changed structure). A group whose questions all carry pinned SQL needs no
//! schema and never introspects.

pub mod introspect;
pub mod schema;
pub mod values;

use crate::job::{Job, Question};

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
