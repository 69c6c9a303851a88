//! Value linking: sampled values, values of the source's value index (exact
//! after folding, only when they look meant), and a person's first and last
//! name over two columns.

use super::*;
use crate::plan::values::{IndexedValue, value_key};

impl Linker {
    /// Longest value starting at `i`, sampled or indexed; on equal length both.
    pub(super) fn value_match(&self, tokens: &[Token], i: usize) -> Option<(usize, Vec<ValueLink>)> {
        let sampled = self.sampled_value_match(tokens, i);
        let indexed = self.indexed_value_match(tokens, i);
        match (sampled, indexed) {
            (Some((len, mut links)), Some((indexed_len, indexed))) if indexed_len == len => {
                for link in indexed {
                    if !links.contains(&link) {
                        links.push(link);
                    }
                }
                Some((len, links))
            }
            (Some(sampled), Some(indexed)) => Some(if indexed.0 > sampled.0 { indexed } else { sampled }),
            (sampled, indexed) => sampled.or(indexed),
        }
    }

    /// Longest sampled value starting at `i`.
    pub(super) fn sampled_value_match(&self, tokens: &[Token], i: usize) -> Option<(usize, Vec<ValueLink>)> {
        if let Some(links) = self.cased_values.get(&tokens[i].text) {
            return Some((1, links.clone()));
        }
        let available = tokens.len() - i;
        (1..=self.longest_value.min(available)).rev().find_map(|len| {
            let span = &tokens[i..i + len];
            if span.iter().any(|t| t.kind == TokenKind::Quoted)
                || span.last().is_some_and(|t| t.kind == TokenKind::Symbol)
            {
                return None;
            }
            self.values.get(&key_of(span)).map(|links| (len, links.clone()))
        })
    }

    /// Longest run of tokens starting at `i` that is exactly a value of the
    /// value index and looks meant as one (see the module doc).
    pub(super) fn indexed_value_match(&self, tokens: &[Token], i: usize) -> Option<(usize, Vec<ValueLink>)> {
        if self.index.is_empty() || !tokens[i].is_word() && tokens[i].kind != TokenKind::Number {
            return None;
        }
        let mut end = i;
        let mut words = 0;
        while end < tokens.len() && words < self.index.max_words() {
            let token = &tokens[end];
            match token.kind {
                TokenKind::Quoted => break,
                TokenKind::Symbol if !INNER_VALUE_SYMBOLS.contains(&token.text.as_str()) => break,
                TokenKind::Symbol => {}
                TokenKind::Word | TokenKind::Number => words += 1,
            }
            end += 1;
        }
        (i + 1..=end).rev().find_map(|end| {
            let span = &tokens[i..end];
            let closes = |t: &Token| t.text == ")" && span.iter().any(|s| s.text == "(");
            if span.last().is_some_and(|t| t.kind == TokenKind::Symbol && !closes(t))
                || !self.looks_meant(tokens, i, end)
            {
                return None;
            }
            // As written ("Women's" -> `women s`), then without possessives ("Hendrix's" -> `hendrix`).
            let join = |text: fn(&Token) -> &str| span.iter().map(text).collect::<Vec<_>>().join(" ");
            let written = value_key(&join(|t| t.text.as_str()));
            let mut links = self.place(self.index.lookup_key(&written));
            if links.is_empty() {
                let plain = value_key(&join(|t| t.lower.as_str()));
                if plain != written {
                    links = self.place(self.index.lookup_key(&plain));
                }
            }
            // "stock clerks" for the value `Stock Clerk`: a plural last word, singular.
            if links.is_empty()
                && span.len() > 1
                && let Some(last) = span.last().filter(|t| t.is_word())
                && singular(&last.lower) != last.lower
            {
                let mut words: Vec<&str> = span[..span.len() - 1].iter().map(|t| t.lower.as_str()).collect();
                let one = singular(&last.lower);
                words.push(&one);
                links = self.place(self.index.lookup_key(&value_key(&words.join(" "))));
            }
            (!links.is_empty()).then_some((span.len(), links))
        })
    }

    /// Whether tokens `i..end` may be a value the question names rather than
    /// ordinary words that happen to spell one.
    pub(super) fn looks_meant(&self, tokens: &[Token], i: usize, end: usize) -> bool {
        let span = &tokens[i..end];
        let proper = |at: usize| at > 0 && capitalized(&tokens[at]);
        let function_word = |at: usize| {
            let token = &tokens[at];
            token.is_word()
                && (STOPWORDS.contains(&token.lower.as_str())
                    || OPENERS.contains(&token.lower.as_str())
                    || keyword_match(tokens, at).is_some())
        };
        if !span.iter().enumerate().any(|(n, t)| t.is_word() && !function_word(i + n)) {
            return false;
        }
        if span.len() == 1 {
            return proper(i) && !function_word(i);
        }
        let last = end - 1;
        (!function_word(i) || proper(i)) && (!function_word(last) || capitalized(&tokens[last]))
    }

    /// A person's first and last name at `i` and `i + 1` ("Frank Harris"), as
    /// values of a first-name and a last-name column of one table.
    pub(super) fn person_name_at(&self, tokens: &[Token], i: usize) -> Option<[Vec<ValueLink>; 2]> {
        let (first, last) = (tokens.get(i)?, tokens.get(i + 1)?);
        let name_like = |t: &Token| {
            t.is_word()
                && capitalized(t)
                && !STOPWORDS.contains(&t.lower.as_str())
                && !OPENERS.contains(&t.lower.as_str())
        };
        if self.index.is_empty() || !name_like(first) || !name_like(last) {
            return None;
        }
        let firsts = self.place(self.index.lookup(&first.lower));
        let lasts = self.place(self.index.lookup(&last.lower));
        let in_column = |links: &[ValueLink], table: TableId, part: NamePart| -> Vec<ValueLink> {
            links
                .iter()
                .filter(|l| l.column.table == table && self.name_parts.get(&l.column) == Some(&part))
                .cloned()
                .collect()
        };
        let mut tables: Vec<TableId> = firsts.iter().map(|l| l.column.table).collect();
        tables.dedup();
        let pairs: Vec<[Vec<ValueLink>; 2]> = tables
            .into_iter()
            .map(|table| [in_column(&firsts, table, NamePart::First), in_column(&lasts, table, NamePart::Last)])
            .filter(|[f, l]| !f.is_empty() && !l.is_empty())
            .collect();
        match <[_; 1]>::try_from(pairs) {
            Ok([pair]) => Some(pair),
            Err(_) => None,
        }
    }

    /// Indexed values as links to the catalog's columns.
    pub(super) fn place(&self, values: Vec<IndexedValue>) -> Vec<ValueLink> {
        values
            .into_iter()
            .filter_map(|v| {
                let column = *self.columns_by_name.get(&(v.table, v.column))?;
                Some(ValueLink { column, value: v.value })
            })
            .collect()
    }
}

/// First or last part of a person's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NamePart {
    First,
    Last,
}

/// Symbols that may stand inside a multi-word value ("AC/DC", "Guns N' Roses",
/// "St. Louis", "Coat (Black)"); a closing parenthesis may also end one.
const INNER_VALUE_SYMBOLS: &[&str] = &["/", "&", "-", "'", "’", ".", ":", "+", "(", ")"];

/// Whether a column named by `words` holds first or last names.
/// A name column, not any column with "first" or "last" in it (`last_update`).
pub(super) fn name_part(words: &[String]) -> Option<NamePart> {
    let has = |options: &[&str]| words.iter().any(|w| options.contains(&w.as_str()));
    let named = has(&["name"]);
    if has(&["forename", "firstname"]) || named && has(&["first", "given"]) {
        Some(NamePart::First)
    } else if has(&["surname", "lastname"]) || named && has(&["last", "family"]) {
        Some(NamePart::Last)
    } else {
        None
    }
}

pub(super) fn capitalized(token: &Token) -> bool {
    token.text.chars().next().is_some_and(char::is_uppercase)
}
