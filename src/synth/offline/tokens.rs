//! Words in, comparable words out: tokenizing a question, splitting schema
//! names into words, and reducing words to stems so that "customers",
//! "Customer" and `customer_id` meet on the same key.
//!
//! Invariants: questions and schema names go through the same [`stem`], so a
//! word matches a name exactly when their stems are equal. A token's `lower`
//! keeps the word as written (lower-cased, possessive removed) for keyword and
//! value matching; `stem` is only for matching schema names.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Plurals the suffix stemmer gets wrong, mapped to their singular.
const IRREGULAR_PLURALS: &[(&str, &str)] = &[
    ("people", "person"),
    ("children", "child"),
    ("men", "man"),
    ("women", "woman"),
    ("mice", "mouse"),
    ("geese", "goose"),
    ("teeth", "tooth"),
    ("feet", "foot"),
    ("indices", "index"),
    ("analyses", "analysis"),
    ("diagnoses", "diagnosis"),
    ("prognoses", "prognosis"),
    ("hypotheses", "hypothesis"),
    ("theses", "thesis"),
    ("crises", "crisis"),
    ("criteria", "criterion"),
    ("data", "datum"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Word,
    Number,
    /// Text inside quotes, kept verbatim.
    Quoted,
    /// Any other single character that is not white space ("&", "/", "?").
    Symbol,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    /// The text as written (without the quotes for [`TokenKind::Quoted`]).
    pub text: String,
    /// Lower-cased text with a trailing possessive removed.
    pub lower: String,
    /// The stem of `lower` for words; `lower` for everything else.
    pub stem: String,
}

impl Token {
    fn new(kind: TokenKind, text: String) -> Token {
        let mut lower = text.to_lowercase();
        if kind == TokenKind::Word {
            for possessive in ["'s", "’s"] {
                if lower.len() > possessive.len() && lower.ends_with(possessive) {
                    lower.truncate(lower.len() - possessive.len());
                }
            }
        }
        let stem = if kind == TokenKind::Word { stem(&lower) } else { lower.clone() };
        Token { kind, text, lower, stem }
    }

    pub(crate) fn is_word(&self) -> bool {
        self.kind == TokenKind::Word
    }
}

/// The stem of one lower-case word: irregular plurals first, then Porter2.
pub(crate) fn stem(word: &str) -> String {
    let lower = word.to_lowercase();
    let singular = IRREGULAR_PLURALS.iter().find(|(plural, _)| *plural == lower).map_or(lower.as_str(), |(_, s)| s);
    ENGLISH.stem(singular).into_owned()
}

/// The singular of a lower-case English plural by its spelling alone
/// ("categories" -> "category", "boxes" -> "box", "clients" -> "client"),
/// for exact word lists where stems would be too loose ("purchased" and
/// "purchaser" share a stem).
pub(crate) fn singular(word: &str) -> String {
    if let Some((_, singular)) = IRREGULAR_PLURALS.iter().find(|(plural, _)| *plural == word) {
        return (*singular).to_string();
    }
    if let Some(stem) = word.strip_suffix("ies").filter(|s| !s.is_empty()) {
        return format!("{stem}y");
    }
    for suffix in ["sses", "shes", "ches", "xes"] {
        if word.ends_with(suffix) {
            return word[..word.len() - 2].to_string();
        }
    }
    match word.strip_suffix('s') {
        Some(stem) if !word.ends_with("ss") && !word.ends_with("us") && !stem.is_empty() => stem.to_string(),
        _ => word.to_string(),
    }
}

/// "artist" but not "artists", "status" too: the last word of a noun phrase
/// is singular, so the question asks for one row.
pub(crate) fn is_singular(text: &str) -> bool {
    let last = text.split_whitespace().last().unwrap_or(text).to_lowercase();
    !last.ends_with('s') || last.ends_with("ss") || last.ends_with("us") || last.ends_with("is")
}

/// Splits a schema name into lower-case words: `InvoiceLine`, `invoice_line`
/// and `INVOICE_LINE` all give `["invoice", "line"]`; `HTMLParser` gives
/// `["html", "parser"]`; `address2` gives `["address", "2"]`.
pub(crate) fn split_identifier(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            flush(&mut current, &mut words);
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|p| chars.get(p)) {
            let next = chars.get(i + 1).copied();
            let lower_to_upper = prev.is_lowercase() && c.is_uppercase();
            let acronym_end = prev.is_uppercase() && c.is_uppercase() && next.is_some_and(|n| n.is_lowercase());
            let digit_boundary = prev.is_alphanumeric() && (prev.is_ascii_digit() != c.is_ascii_digit());
            if lower_to_upper || acronym_end || digit_boundary {
                flush(&mut current, &mut words);
            }
        }
        current.extend(c.to_lowercase());
    }
    flush(&mut current, &mut words);
    words
}

fn flush(current: &mut String, words: &mut Vec<String>) {
    if !current.is_empty() {
        words.push(std::mem::take(current));
    }
}

/// The snake_case spelling of a schema name (`InvoiceLine` -> `invoice_line`).
pub(crate) fn snake_case(name: &str) -> String {
    split_identifier(name).join("_")
}

/// Splits a question into words, numbers, quoted strings and symbols.
///
/// A quote opens only at the start of a word (so "O'Brien" and "customers'"
/// stay words) and closes at the matching quote followed by a non-letter.
pub(crate) fn tokenize(question: &str) -> Vec<Token> {
    let chars: Vec<char> = question.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at_word_start = i == 0 || !chars[i - 1].is_alphanumeric();
        if c.is_whitespace() {
            i += 1;
        } else if at_word_start && let Some((text, end)) = quoted_at(&chars, i) {
            tokens.push(Token::new(TokenKind::Quoted, text));
            i = end;
        } else if c.is_alphanumeric() {
            let end = word_end(&chars, i);
            let text: String = chars[i..end].iter().collect();
            let kind = if is_number(&text) { TokenKind::Number } else { TokenKind::Word };
            let text = if kind == TokenKind::Number { text.replace(',', "") } else { text };
            tokens.push(Token::new(kind, text));
            i = end;
        } else {
            tokens.push(Token::new(TokenKind::Symbol, c.to_string()));
            i += 1;
        }
    }
    tokens
}

fn closing_quote(open: char) -> Option<&'static [char]> {
    match open {
        '"' | '“' | '”' => Some(&['"', '”', '“']),
        '\'' | '‘' | '’' => Some(&['\'', '’']),
        _ => None,
    }
}

/// The quoted text starting at `start` and the index after its closing quote.
fn quoted_at(chars: &[char], start: usize) -> Option<(String, usize)> {
    let closers = closing_quote(chars[start])?;
    let mut j = start + 1;
    while j < chars.len() {
        let closes_here = closers.contains(&chars[j]) && chars.get(j + 1).is_none_or(|n| !n.is_alphanumeric());
        if closes_here && j > start + 1 {
            return Some((chars[start + 1..j].iter().collect(), j + 1));
        }
        j += 1;
    }
    None
}

/// End of the word starting at `start`: letters and digits, with inner
/// apostrophes ("o'brien"), decimal points and thousands separators in numbers.
fn word_end(chars: &[char], start: usize) -> usize {
    let mut end = start;
    while end < chars.len() {
        let c = chars[end];
        let joins_next = chars.get(end + 1).is_some_and(|n| n.is_alphanumeric()) && end > start;
        let inner_apostrophe = matches!(c, '\'' | '’') && joins_next && chars[end - 1].is_alphabetic();
        let in_number = chars[start..end].iter().all(|d| d.is_ascii_digit() || matches!(d, '.' | ','));
        let decimal_point =
            c == '.' && joins_next && chars[end + 1].is_ascii_digit() && !chars[start..end].contains(&'.');
        let thousands = c == ','
            && (1..=3).all(|k| chars.get(end + k).is_some_and(|d| d.is_ascii_digit()))
            && chars.get(end + 4).is_none_or(|d| !d.is_ascii_digit());
        let inner_separator = in_number && end > start && (decimal_point || thousands);
        if c.is_alphanumeric() || inner_apostrophe || inner_separator {
            end += 1;
        } else {
            break;
        }
    }
    end
}

fn is_number(text: &str) -> bool {
    text.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        && text.chars().next().is_some_and(|c| c.is_ascii_digit())
        && text.replace(',', "").parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(name: &str) -> Vec<String> {
        split_identifier(name)
    }

    #[test]
    fn identifiers_split_on_case_underscores_and_digits() {
        assert_eq!(words("InvoiceLine"), ["invoice", "line"]);
        assert_eq!(words("invoice_line"), ["invoice", "line"]);
        assert_eq!(words("INVOICE_LINE"), ["invoice", "line"]);
        assert_eq!(words("billing_country"), ["billing", "country"]);
        assert_eq!(words("SupportRepId"), ["support", "rep", "id"]);
        assert_eq!(words("HTMLParser"), ["html", "parser"]);
        assert_eq!(words("customerID"), ["customer", "id"]);
        assert_eq!(words("address2"), ["address", "2"]);
        assert_eq!(snake_case("MediaType"), "media_type");
    }

    #[test]
    fn plurals_and_inflections_share_a_stem() {
        assert_eq!(stem("customers"), stem("Customer"));
        assert_eq!(stem("tracks"), stem("track"));
        assert_eq!(stem("countries"), stem("country"));
        assert_eq!(stem("employees"), stem("employee"));
        assert_eq!(stem("people"), stem("person"));
        assert_eq!(stem("diagnoses"), stem("diagnosis"));
        assert_eq!(stem("hired"), stem("hire"));
        assert_ne!(stem("track"), stem("album"));
    }

    #[test]
    fn singulars_follow_spelling_only() {
        assert_eq!(singular("categories"), "category");
        assert_eq!(singular("clients"), "client");
        assert_eq!(singular("boxes"), "box");
        assert_eq!(singular("diagnoses"), "diagnosis");
        assert_eq!(singular("status"), "status");
        assert_eq!(singular("purchased"), "purchased");
    }

    #[test]
    fn questions_tokenize_into_words_numbers_quotes_and_symbols() {
        let tokens = tokenize("Top 5 customers' invoices in 'Sao Paulo' over 1,000.50 for O'Brien?");
        let kinds: Vec<(TokenKind, &str)> = tokens.iter().map(|t| (t.kind, t.lower.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (TokenKind::Word, "top"),
                (TokenKind::Number, "5"),
                (TokenKind::Word, "customers"),
                (TokenKind::Symbol, "'"),
                (TokenKind::Word, "invoices"),
                (TokenKind::Word, "in"),
                (TokenKind::Quoted, "sao paulo"),
                (TokenKind::Word, "over"),
                (TokenKind::Number, "1000.50"),
                (TokenKind::Word, "for"),
                (TokenKind::Word, "o'brien"),
                (TokenKind::Symbol, "?"),
            ]
        );
        assert_eq!(tokens[6].text, "Sao Paulo");
    }

    #[test]
    fn possessives_are_removed_and_curly_quotes_work() {
        let tokens = tokenize("the artist’s albums named “Let There Be Rock”");
        assert_eq!(tokens[1].lower, "artist");
        assert_eq!(tokens[4].kind, TokenKind::Quoted);
        assert_eq!(tokens[4].text, "Let There Be Rock");
    }

    #[test]
    fn an_unclosed_quote_is_a_symbol() {
        let tokens = tokenize("customers in 'Brazil");
        assert_eq!(tokens[2].kind, TokenKind::Symbol);
        assert_eq!(tokens[3].lower, "brazil");
    }
}
