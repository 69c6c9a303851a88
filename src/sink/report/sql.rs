//! SQL laid out for reading: each clause of a query (`FROM`, `WHERE`, `JOIN`,
//! `GROUP BY`, `ORDER BY`, `LIMIT`, set operations…) starts a line, indented
//! by the depth of the subquery it belongs to.
//!
//! Only whitespace changes, so the page shows the SQL that ran, token for
//! token: strings, quoted names and comments are copied as they are, and
//! parentheses that are not subqueries (`OVER (ORDER BY …)`, function calls)
//! are left on their line. SQL that already has line breaks is kept as written.

/// Clause keywords that start a line.
const CLAUSES: [&str; 12] =
    ["FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT", "WINDOW", "JOIN"];
/// Words that open a join and start its line instead of `JOIN`.
const JOIN_OPENERS: [&str; 6] = ["LEFT", "RIGHT", "INNER", "FULL", "CROSS", "NATURAL"];

/// `sql` with a line per clause (see the module doc).
pub fn format_sql(sql: &str) -> String {
    let sql = sql.trim();
    if sql.contains('\n') {
        return sql.to_string();
    }
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len() + 32);
    // For each open parenthesis: whether it holds a subquery.
    let mut parens: Vec<bool> = Vec::new();
    // The word before the current one, upper-cased, if it opens a join.
    let mut join_opened = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' | '`' | '[' => {
                let close = if c == '[' { ']' } else { c };
                let end = quoted_end(&chars, i + 1, close);
                out.extend(&chars[i..end]);
                i = end;
                join_opened = false;
                continue;
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                out.extend(&chars[i..]);
                break;
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                let end = (i + 2..chars.len().saturating_sub(1))
                    .find(|&j| chars[j] == '*' && chars[j + 1] == '/')
                    .map_or(chars.len(), |j| j + 2);
                out.extend(&chars[i..end]);
                i = end;
                continue;
            }
            '(' => {
                let next_word = word_at(&chars, skip_spaces(&chars, i + 1));
                parens.push(matches!(next_word.as_str(), "SELECT" | "WITH"));
            }
            ')' => {
                parens.pop();
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect::<String>().to_ascii_uppercase();
                let after_dot = out.ends_with('.');
                let in_query = parens.last().is_none_or(|&subquery| subquery);
                let opens_join = JOIN_OPENERS.contains(&word.as_str());
                let breaks = !after_dot
                    && in_query
                    && (opens_join && !join_opened
                        || CLAUSES.contains(&word.as_str()) && !(word == "JOIN" && join_opened));
                if breaks && !out.trim_end().is_empty() {
                    let kept = out.trim_end().len();
                    out.truncate(kept);
                    out.push('\n');
                    out.push_str(&"  ".repeat(parens.len()));
                }
                join_opened = opens_join || (join_opened && word == "OUTER");
                out.extend(&chars[start..i]);
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The index just past the closing `close` of a quoted run starting at `from`
/// (a doubled `close` is an escaped one); the end of the text if unclosed.
fn quoted_end(chars: &[char], from: usize, close: char) -> usize {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == close {
            if close != ']' && chars.get(i + 1) == Some(&close) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    chars.len()
}

fn skip_spaces(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

fn word_at(chars: &[char], i: usize) -> String {
    chars[i.min(chars.len())..]
        .iter()
        .take_while(|c| c.is_alphanumeric() || **c == '_')
        .collect::<String>()
        .to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_start_lines_and_subqueries_are_indented() {
        let sql = r#"SELECT "Customer"."Country", COUNT(*) AS "n" FROM "Customer" LEFT OUTER JOIN "Invoice" ON "Invoice"."CustomerId" = "Customer"."CustomerId" WHERE "Customer"."Country" IN (SELECT c FROM t WHERE x = 'a FROM b') GROUP BY "Customer"."Country" ORDER BY "n" DESC LIMIT 5"#;
        let expected = r#"SELECT "Customer"."Country", COUNT(*) AS "n"
FROM "Customer"
LEFT OUTER JOIN "Invoice" ON "Invoice"."CustomerId" = "Customer"."CustomerId"
WHERE "Customer"."Country" IN (SELECT c
  FROM t
  WHERE x = 'a FROM b')
GROUP BY "Customer"."Country"
ORDER BY "n" DESC
LIMIT 5"#;
        assert_eq!(format_sql(sql), expected);
    }

    #[test]
    fn only_whitespace_changes() {
        let cases = [
            "SELECT SUM(x) OVER (PARTITION BY a ORDER BY b) FROM t",
            "select a from t join u using (id) where a = 'it''s' -- from here\n",
            "SELECT \"order\".\"from\" FROM \"order\" UNION ALL SELECT 1 /* from */ FROM t",
            "SELECT t.limit FROM [weird from] t",
        ];
        for sql in cases {
            let formatted = format_sql(sql);
            let squeeze = |s: &str| s.split_whitespace().collect::<String>();
            assert_eq!(squeeze(&formatted), squeeze(sql), "{formatted}");
        }
        assert_eq!(
            format_sql("SELECT SUM(x) OVER (PARTITION BY a ORDER BY b) FROM t"),
            "SELECT SUM(x) OVER (PARTITION BY a ORDER BY b)\nFROM t"
        );
        assert_eq!(format_sql("SELECT t.limit FROM [weird from] t"), "SELECT t.limit\nFROM [weird from] t");
        let written = "SELECT a\n  FROM t";
        assert_eq!(format_sql(written), written, "SQL with line breaks is kept as written");
    }
}
