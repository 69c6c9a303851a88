//! Checks on the raw SQL text, before it is parsed.
//!
//! Two dangers are invisible to the parse tree. MySQL executes the body of a
//! `/*! ... */` comment, so the text is rejected outright when it contains one
//! (in every dialect, and even inside a string literal: no report query needs
//! those three characters). And a few clauses that write files or take locks
//! (MySQL `INTO OUTFILE`, PostgreSQL `FOR KEY SHARE`) do not parse at all, so
//! they would be rejected with a parser message that does not say why they
//! are dangerous; they are recognised here, as sequences of bare (unquoted)
//! words, to give a specific reason.
//!
//! Invariant: this module only rejects; whatever it accepts still goes through
//! the parser and the tree walk.

use sqlparser::tokenizer::{Token, Tokenizer};

use super::GuardError;
use crate::dialect::Dialect;

/// Sequences of bare words that are never part of a read-only query, with the reason.
const FORBIDDEN_PHRASES: &[(&[&str], &str)] = &[
    (&["INTO", "OUTFILE"], "SELECT ... INTO OUTFILE writes a file on the server"),
    (&["INTO", "DUMPFILE"], "SELECT ... INTO DUMPFILE writes a file on the server"),
    (&["LOCK", "IN", "SHARE", "MODE"], "locking clause LOCK IN SHARE MODE is not allowed"),
    (&["FOR", "NO", "KEY", "UPDATE"], "locking clause FOR NO KEY UPDATE is not allowed"),
    (&["FOR", "KEY", "SHARE"], "locking clause FOR KEY SHARE is not allowed"),
];

/// Rejects text that hides executable SQL in a comment or spells a forbidden clause.
pub(super) fn check_text(dialect: Dialect, sql: &str) -> Result<(), GuardError> {
    if sql.contains("/*!") {
        return Err(GuardError::new("MySQL executable comment /*! ... */ is not allowed"));
    }
    let tokens = Tokenizer::new(&*dialect.parser_dialect(), sql)
        .with_unescape(false)
        .tokenize()
        .map_err(|e| GuardError::new(e.to_string()))?;
    // One entry per significant token: its text if it is a bare word, else nothing.
    let words: Vec<Option<&str>> = tokens
        .iter()
        .filter(|token| !matches!(token, Token::Whitespace(_)))
        .map(|token| match token {
            Token::Word(word) if word.quote_style.is_none() => Some(word.value.as_str()),
            _ => None,
        })
        .collect();
    for (phrase, reason) in FORBIDDEN_PHRASES {
        let spelled = |window: &[Option<&str>]| {
            window
                .iter()
                .zip(phrase.iter())
                .all(|(word, expected)| word.is_some_and(|w| w.eq_ignore_ascii_case(expected)))
        };
        if words.windows(phrase.len()).any(spelled) {
            return Err(GuardError::new(*reason));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(dialect: Dialect, sql: &str) -> Option<String> {
        check_text(dialect, sql).err().map(|e| e.reason)
    }

    #[test]
    fn executable_comments_are_rejected_in_every_dialect() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
            assert!(reason(dialect, "SELECT 1 /*!50000 , SLEEP(5) */").unwrap().contains("executable comment"));
        }
        assert_eq!(reason(Dialect::MySql, "SELECT 1 /* plain comment */"), None);
    }

    #[test]
    fn forbidden_phrases_match_bare_words_across_whitespace_and_case() {
        let why = reason(Dialect::MySql, "SELECT * FROM t into\n  outfile '/tmp/x'").unwrap();
        assert!(why.contains("OUTFILE"), "{why}");
        assert!(reason(Dialect::MySql, "SELECT * FROM t LOCK /* c */ IN SHARE MODE").unwrap().contains("LOCK IN"));
    }

    #[test]
    fn forbidden_phrases_inside_literals_or_quoted_names_are_fine() {
        assert_eq!(reason(Dialect::MySql, "SELECT 'INTO OUTFILE' AS x"), None);
        assert_eq!(reason(Dialect::MySql, "SELECT x INTO `outfile` FROM t"), None);
        assert_eq!(reason(Dialect::Postgres, "SELECT \"into\" outfile FROM t"), None);
    }

    #[test]
    fn tokenizer_errors_are_rejections() {
        assert!(reason(Dialect::Postgres, "SELECT 'unterminated").is_some());
    }
}
