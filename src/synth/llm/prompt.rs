//! The prompt of one schema group: fixed instructions with the dialect's
//! rules (system message), then the shared context (the pruned schema with
//! column types, keys and a few sample values, then the source's golden
//! examples), then the part that varies per call: the questions with their
//! ids verbatim, as JSON.
//!
//! The first two messages are built once per group and sent byte for byte in
//! every call of the group (repair rounds included), so a provider's prompt
//! cache serves them after the first call.
//!
//! Pruning: the tables the group's questions link to (offline linker; a
//! question that links none contributes its three tables of best word
//! overlap) plus the tables on the foreign-key paths joining them; when
//! nothing overlaps at all, every table, ranked, as far as the budget goes. The context must fit
//! `prompt_budget_tokens` (counted with the o200k_base tokenizer): detail
//! is shed in steps (sample values, then non-key columns of the least linked
//! tables) and, only as a last resort, the least linked tables. Join keys
//! (primary and foreign key columns) are always kept.

use serde::Serialize;

use crate::config::GoldenExample;
use crate::dialect::Dialect;
use crate::plan::schema::{DatabaseSchema, Table};
use crate::synth::offline::OfflineSynthesizer;

use super::LlmRequest;

/// Sample values shown per column (the schema holds a few dozen at most).
const SAMPLE_VALUES: usize = 5;
/// Sample values shown per column when the questions mention more than [`SAMPLE_VALUES`] of them.
const MAX_MENTIONED_VALUES: usize = 20;
/// Tables a question that links to none by name contributes, by word overlap.
const UNLINKED_CANDIDATES: usize = 3;
/// Tokens kept free in the budget for what the estimate of joined blocks may miss.
const BUDGET_MARGIN: usize = 32;

/// Tokens of `text` under o200k_base (the GPT-4o family's tokenizer), loaded once per process.
pub fn count_tokens(text: &str) -> usize {
    tiktoken_rs::o200k_base_singleton().encode_ordinary(text).len()
}

/// One chat message as the chat-completions API takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    pub role: &'static str,
    pub content: String,
}

/// The part of a group's prompt that every call of the group shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPrompt {
    pub source: String,
    /// Instructions and dialect rules.
    pub system: String,
    /// Pruned schema and golden examples.
    pub context: String,
    /// The tables the context shows, in schema order.
    pub tables: Vec<String>,
    /// Tokens of `system` plus `context`.
    pub tokens: usize,
}

/// Questions of one group that share one prompt.
#[derive(Debug, Clone)]
pub struct PromptPart {
    pub prompt: GroupPrompt,
    /// Indices into the questions given to [`GroupPrompt::plan`], ascending.
    pub questions: Vec<usize>,
}

/// Tokens left for tables once instructions, examples and a margin are counted.
fn room(system: &str, examples: &[GoldenExample], budget: usize) -> usize {
    budget.saturating_sub(count_tokens(system) + count_tokens(&examples_section(examples)) + BUDGET_MARGIN)
}

/// The tables (indices) a question needs: those it links to by name, or
/// else its best-ranked tables by word overlap, if any word overlaps at all.
fn needed_tables(schema: &DatabaseSchema, linker: &OfflineSynthesizer, question: &str) -> Vec<usize> {
    let mut names = linker.linked_tables(question);
    if names.is_empty() {
        names = linker
            .rank_tables(&[question])
            .into_iter()
            .take(UNLINKED_CANDIDATES)
            .filter(|(_, score)| *score > 0)
            .map(|(name, _)| name)
            .collect();
    }
    names.iter().filter_map(|name| schema.tables.iter().position(|t| &t.name == name)).collect()
}

/// How much of a table the context shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Detail {
    /// Every column with its type, keys, and sample values.
    Full,
    /// Every column, no sample values.
    Columns,
    /// Key columns only (primary and foreign keys).
    Keys,
}

impl GroupPrompt {
    /// The prompt for `questions` of one source: the linked tables and their join paths, within `budget` tokens.
    pub fn build(
        schema: &DatabaseSchema,
        linker: &OfflineSynthesizer,
        examples: &[GoldenExample],
        questions: &[&str],
        budget: usize,
    ) -> GroupPrompt {
        let examples = &select_examples(examples, questions, budget);
        // How many questions link each table: the most linked tables keep their
        // detail longest. A question that links nothing by name contributes its
        // best-ranked tables (word overlap), if any word overlaps at all.
        let mut weight = vec![0usize; schema.tables.len()];
        for question in questions {
            for i in needed_tables(schema, linker, question) {
                weight[i] += 1;
            }
        }
        let linked: Vec<String> =
            schema.tables.iter().zip(&weight).filter(|(_, w)| **w > 0).map(|(t, _)| t.name.clone()).collect();
        let system = system_message(schema.dialect);
        let room = room(&system, examples, budget);
        let mentioned = questions.join("\n").to_lowercase();
        let chosen = if linked.is_empty() {
            let ranked: Vec<String> = linker.rank_tables(questions).into_iter().map(|(name, _)| name).collect();
            fill_ranked(schema, &ranked, room, &mentioned)
        } else {
            let closure = linker.join_closure(&linked);
            let mut order: Vec<usize> =
                closure.iter().filter_map(|name| schema.tables.iter().position(|t| &t.name == name)).collect();
            // Most linked first; join-path-only tables (weight 0) last; schema order breaks ties.
            order.sort_by(|a, b| weight[*b].cmp(&weight[*a]).then(a.cmp(b)));
            fit_linked(schema, &order, room, &mentioned)
        };
        GroupPrompt::assemble(schema, system, chosen, examples, &mentioned)
    }

    /// The prompts for a group's questions, each with the indices (into
    /// `questions`) of the questions it serves. One prompt for the whole
    /// group when the tables they need fit the budget with all their columns;
    /// otherwise the questions are split, related ones together (by their
    /// first table in schema order), into the fewest prompts that do, rather
    /// than drop columns or tables some question needs.
    pub fn plan(
        schema: &DatabaseSchema,
        linker: &OfflineSynthesizer,
        examples: &[GoldenExample],
        questions: &[&str],
        budget: usize,
    ) -> Vec<PromptPart> {
        let room = room(&system_message(schema.dialect), &select_examples(examples, questions, budget), budget);
        let index_of = |name: &String| schema.tables.iter().position(|t| &t.name == name);
        let needs: Vec<Vec<usize>> = questions
            .iter()
            .map(|q| {
                let names: Vec<String> =
                    needed_tables(schema, linker, q).into_iter().map(|i| schema.tables[i].name.clone()).collect();
                linker.join_closure(&names).iter().filter_map(index_of).collect()
            })
            .collect();
        let mut costs: Vec<Option<usize>> = vec![None; schema.tables.len()];
        let mut cost = |i: usize| {
            *costs[i].get_or_insert_with(|| {
                count_tokens(&render_table(schema.dialect, &schema.tables[i], Detail::Columns, ""))
            })
        };
        let all: std::collections::BTreeSet<usize> = needs.iter().flatten().copied().collect();
        let whole: usize = all.iter().map(|&i| cost(i)).sum();
        let everyone = || (0..questions.len()).collect::<Vec<_>>();
        if whole <= room || questions.len() < 2 {
            let prompt = GroupPrompt::build(schema, linker, examples, questions, budget);
            return vec![PromptPart { prompt, questions: everyone() }];
        }
        let mut order: Vec<usize> = everyone();
        order.sort_by_key(|&q| (needs[q].iter().min().copied().unwrap_or(usize::MAX), q));
        let mut bins: Vec<(std::collections::BTreeSet<usize>, usize, Vec<usize>)> = Vec::new();
        for q in order {
            let fits = bins.last().is_some_and(|(tables, used, _)| {
                let added: usize = needs[q].iter().filter(|i| !tables.contains(i)).map(|&i| cost(i)).sum();
                used + added <= room
            });
            if !fits {
                bins.push((Default::default(), 0, Vec::new()));
            }
            let (tables, used, members) = bins.last_mut().expect("a bin was just ensured");
            for &i in &needs[q] {
                if tables.insert(i) {
                    *used += cost(i);
                }
            }
            members.push(q);
        }
        bins.into_iter()
            .map(|(_, _, mut members)| {
                members.sort_unstable();
                let texts: Vec<&str> = members.iter().map(|&q| questions[q]).collect();
                let prompt = GroupPrompt::build(schema, linker, examples, &texts, budget);
                PromptPart { prompt, questions: members }
            })
            .collect()
    }

    /// The whole schema with every detail and no pruning: what a tool that
    /// sends the full schema with each question sends (the benchmarks' baseline).
    pub fn whole_schema(schema: &DatabaseSchema, examples: &[GoldenExample]) -> GroupPrompt {
        let chosen = (0..schema.tables.len()).map(|i| (i, Detail::Full)).collect();
        GroupPrompt::assemble(schema, system_message(schema.dialect), chosen, examples, "")
    }

    fn assemble(
        schema: &DatabaseSchema,
        system: String,
        mut chosen: Vec<(usize, Detail)>,
        examples: &[GoldenExample],
        mentioned: &str,
    ) -> GroupPrompt {
        chosen.sort_by_key(|(i, _)| *i);
        let mut context = format!(
            "Database schema ({} dialect; {} of {} tables shown):\n\n",
            schema.dialect.name(),
            chosen.len(),
            schema.tables.len()
        );
        for (i, detail) in &chosen {
            context.push_str(&render_table(schema.dialect, &schema.tables[*i], *detail, mentioned));
        }
        context.push_str(&examples_section(examples));
        let tokens = count_tokens(&system) + count_tokens(&context);
        let tables = chosen.iter().map(|(i, _)| schema.tables[*i].name.clone()).collect();
        GroupPrompt { source: schema.source.clone(), system, context, tables, tokens }
    }

    /// The messages of one call: the shared prefix, then `requests` as JSON.
    pub fn messages(&self, requests: &[LlmRequest]) -> Vec<ChatMessage> {
        vec![
            ChatMessage { role: "system", content: self.system.clone() },
            ChatMessage { role: "user", content: self.context.clone() },
            ChatMessage { role: "user", content: questions_message(requests) },
        ]
    }
}

/// The varying part of a call: `{"questions": [{"id", "question"[, "previous_sql", "error"]}]}`.
pub fn questions_message(requests: &[LlmRequest]) -> String {
    #[derive(Serialize)]
    struct Entry<'a> {
        id: &'a str,
        question: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_sql: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<&'a str>,
    }
    #[derive(Serialize)]
    struct Questions<'a> {
        questions: Vec<Entry<'a>>,
    }
    let questions = requests
        .iter()
        .map(|r| Entry {
            id: &r.id,
            question: &r.question,
            previous_sql: r.previous.as_ref().map(|p| p.sql.as_str()),
            error: r.previous.as_ref().map(|p| p.error.as_str()),
        })
        .collect();
    serde_json::to_string(&Questions { questions }).expect("strings always serialize")
}

/// Fixed instructions plus the dialect's rules; the same for every group of a dialect.
pub fn system_message(dialect: Dialect) -> String {
    let rules = match dialect {
        Dialect::Sqlite => {
            "SQLite: quote identifiers with double quotes; years and months with strftime('%Y', col) and \
             strftime('%m', col) (text); no RIGHT or FULL JOIN before SQLite 3.39; LIMIT n for top-N; \
             string concatenation with ||."
        }
        Dialect::Postgres => {
            "PostgreSQL: quote identifiers with double quotes (names are case-sensitive when quoted); \
             EXTRACT(YEAR FROM col) and EXTRACT(MONTH FROM col) or date_trunc; ILIKE for case-insensitive \
             matching; LIMIT n for top-N; cast integer division with ::numeric when a fraction is wanted."
        }
        Dialect::MySql => {
            "MySQL/MariaDB: quote identifiers with backticks; YEAR(col) and MONTH(col) for dates; LIMIT n \
             for top-N; CONCAT() for strings; no FULL JOIN."
        }
    };
    format!(
        "You translate questions about one SQL database into SQL.\n\
         Rules:\n\
         - One read-only query per question: SELECT, WITH ... SELECT or a set operation. Never modify data, \
         never use more than one statement.\n\
         - Use only the tables and columns of the schema given, spelled exactly as shown.\n\
         - {rules}\n\
         - Give computed result columns short snake_case aliases.\n\
         - An entry with `previous_sql` and `error` is a repair: that SQL failed with that error; answer with \
         corrected SQL.\n\
         Reply with JSON only, no prose: {{\"answers\": [{{\"id\": \"<the id exactly as given>\", \"sql\": \
         \"<one query>\"}}]}}, one answer for every question id."
    )
}

fn examples_section(examples: &[GoldenExample]) -> String {
    if examples.is_empty() {
        return String::new();
    }
    let mut text = String::from("Examples:\n");
    for example in examples {
        text.push_str(&example_text(example));
    }
    text
}

fn example_text(example: &GoldenExample) -> String {
    format!("Q: {}\nSQL: {}\n", example.question.trim(), example.sql.trim())
}

/// The golden examples worth their tokens for these questions: most words
/// in common first (source order among equals), within a quarter of the
/// budget; shown in source order.
fn select_examples(examples: &[GoldenExample], questions: &[&str], budget: usize) -> Vec<GoldenExample> {
    fn words(text: &str) -> impl Iterator<Item = String> + '_ {
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2).map(str::to_lowercase)
    }
    let asked: std::collections::HashSet<String> = questions.iter().flat_map(|q| words(q)).collect();
    let mut ranked: Vec<(usize, usize)> = examples
        .iter()
        .enumerate()
        .map(|(i, e)| (i, words(&e.question).filter(|w| asked.contains(w)).count()))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut used = 0;
    let mut chosen = Vec::new();
    for (i, _) in ranked {
        let cost = count_tokens(&example_text(&examples[i]));
        if used + cost <= budget / 4 {
            used += cost;
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    chosen.into_iter().map(|i| examples[i].clone()).collect()
}

/// One table as compact DDL-like text. Sample values that `mentioned` (the
/// group's lower-cased questions) contains come first, so the model sees
/// their exact spelling; then the others, up to [`SAMPLE_VALUES`] in all
/// unless more are mentioned.
fn render_table(dialect: Dialect, table: &Table, detail: Detail, mentioned: &str) -> String {
    let q = |name: &str| dialect.quote_ident(name);
    let rows = table.approx_rows.map(|n| format!(" -- ~{n} rows")).unwrap_or_default();
    let mut text = format!("TABLE {}{rows}\n", q(&table.name));
    for column in &table.columns {
        let pk = table.primary_key.iter().any(|k| k == &column.name);
        let fk = table.foreign_keys.iter().find(|fk| fk.columns.iter().any(|c| c == &column.name));
        if detail == Detail::Keys && !pk && fk.is_none() {
            continue;
        }
        text.push_str(&format!("  {} {}", q(&column.name), column.data_type));
        if !column.nullable {
            text.push_str(" NOT NULL");
        }
        if pk {
            text.push_str(" PK");
        }
        if let Some(fk) = fk {
            let position = fk.columns.iter().position(|c| c == &column.name).unwrap_or(0);
            let referenced = fk.referenced_columns.get(position).map(String::as_str).unwrap_or("?");
            text.push_str(&format!(" -> {}.{}", q(&fk.referenced_table), q(referenced)));
        }
        if detail == Detail::Full && !column.sample_values.is_empty() {
            let (named, others): (Vec<&String>, Vec<&String>) = column
                .sample_values
                .iter()
                .partition(|v| v.chars().count() > 1 && mentioned.contains(&v.to_lowercase()));
            let shown = named.len().clamp(SAMPLE_VALUES, MAX_MENTIONED_VALUES);
            let samples: Vec<String> =
                named.into_iter().chain(others).take(shown).map(|v| dialect.quote_str(v)).collect();
            text.push_str(&format!(" e.g. {}", samples.join(", ")));
        }
        text.push('\n');
    }
    if detail == Detail::Keys {
        text.push_str("  (other columns omitted)\n");
    }
    text.push('\n');
    text
}

/// The linked tables (most linked first) at the most detail that fits `room`
/// tokens: everything in full, then without samples, then the least linked
/// tables reduced to their keys one by one; tables that still do not fit are dropped.
fn fit_linked(schema: &DatabaseSchema, order: &[usize], room: usize, mentioned: &str) -> Vec<(usize, Detail)> {
    let cost = |i: usize, d: Detail| count_tokens(&render_table(schema.dialect, &schema.tables[i], d, mentioned));
    let full: Vec<usize> = order.iter().map(|&i| cost(i, Detail::Full)).collect();
    if full.iter().sum::<usize>() <= room {
        return order.iter().map(|&i| (i, Detail::Full)).collect();
    }
    let columns: Vec<usize> = order.iter().map(|&i| cost(i, Detail::Columns)).collect();
    let keys: Vec<usize> = order.iter().map(|&i| cost(i, Detail::Keys)).collect();
    let mut details = vec![Detail::Columns; order.len()];
    let mut total: usize = columns.iter().sum();
    for n in (0..order.len()).rev() {
        if total <= room {
            break;
        }
        total = total - columns[n] + keys[n];
        details[n] = Detail::Keys;
    }
    let mut chosen = Vec::new();
    let mut used = 0;
    for (n, &i) in order.iter().enumerate() {
        let c = if details[n] == Detail::Keys { keys[n] } else { columns[n] };
        if used + c <= room {
            used += c;
            chosen.push((i, details[n]));
        }
    }
    chosen
}

/// Tables in ranked order, in full while the budget allows, then keys only, until nothing more fits.
fn fill_ranked(schema: &DatabaseSchema, ranked: &[String], room: usize, mentioned: &str) -> Vec<(usize, Detail)> {
    let mut chosen = Vec::new();
    let mut used = 0;
    for name in ranked {
        let Some(i) = schema.tables.iter().position(|t| &t.name == name) else { continue };
        let table = &schema.tables[i];
        let placed = [Detail::Full, Detail::Keys].into_iter().find_map(|detail| {
            let c = count_tokens(&render_table(schema.dialect, table, detail, mentioned));
            (used + c <= room).then_some((detail, c))
        });
        match placed {
            Some((detail, c)) => {
                used += c;
                chosen.push((i, detail));
            }
            None => break,
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::schema::{Column, ForeignKey};

    fn column(name: &str, samples: &[&str]) -> Column {
        Column {
            name: name.into(),
            data_type: "TEXT".into(),
            nullable: true,
            sample_values: samples.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// `n` chains of three tables: `area_k_customer <- area_k_order -> area_k_product`.
    fn wide_schema(n: usize) -> DatabaseSchema {
        let mut tables = Vec::new();
        for k in 0..n {
            let id = |t: &str| Column {
                name: format!("{t}_id"),
                data_type: "INTEGER".into(),
                nullable: false,
                ..column("", &[])
            };
            for t in ["customer", "product"] {
                let mut columns = vec![id(t), column("name", &["alpha", "beta"]), column("description", &[])];
                columns.extend((0..6).map(|c| column(&format!("note_{c}"), &[])));
                tables.push(Table {
                    name: format!("area_{k}_{t}"),
                    columns,
                    primary_key: vec![format!("{t}_id")],
                    foreign_keys: vec![],
                    approx_rows: Some(100),
                });
            }
            let fk = |t: &str| ForeignKey {
                columns: vec![format!("{t}_id")],
                referenced_table: format!("area_{k}_{t}"),
                referenced_columns: vec![format!("{t}_id")],
            };
            tables.push(Table {
                name: format!("area_{k}_order"),
                columns: vec![id("order"), id("customer"), id("product"), column("status", &["open", "shipped"])],
                primary_key: vec!["order_id".into()],
                foreign_keys: vec![fk("customer"), fk("product")],
                approx_rows: Some(1000),
            });
        }
        DatabaseSchema::new("wide", Dialect::Sqlite, tables)
    }

    #[test]
    fn a_wide_schema_is_pruned_to_the_linked_tables_within_the_budget() {
        let schema = wide_schema(110);
        let linker = OfflineSynthesizer::new(&schema, &Default::default(), 0.6);
        let prompt = GroupPrompt::build(&schema, &linker, &[], &["How many area 7 orders are shipped?"], 2_000);
        assert!(prompt.tokens <= 2_000, "{}", prompt.tokens);
        assert!(prompt.tables.contains(&"area_7_order".to_string()), "{:?}", prompt.tables);
        assert!(prompt.tables.len() < 20, "{:?}", prompt.tables);
        let whole = GroupPrompt::whole_schema(&schema, &[]);
        assert_eq!(whole.tables.len(), 330);
        assert!(whole.tokens > 10 * prompt.tokens, "{} vs {}", whole.tokens, prompt.tokens);
    }

    #[test]
    fn a_group_too_wide_for_one_prompt_is_split_by_area_without_dropping_tables() {
        let schema = wide_schema(40);
        let linker = OfflineSynthesizer::new(&schema, &Default::default(), 0.6);
        let texts: Vec<String> = (0..40).map(|k| format!("area {k} customer names")).collect();
        let questions: Vec<&str> = texts.iter().map(String::as_str).collect();
        let parts = GroupPrompt::plan(&schema, &linker, &[], &questions, 2_000);
        assert!(parts.len() > 1 && parts.len() < 40, "{} parts", parts.len());
        let mut served: Vec<usize> = parts.iter().flat_map(|p| p.questions.clone()).collect();
        served.sort_unstable();
        assert_eq!(served, (0..40).collect::<Vec<_>>(), "every question is served exactly once");
        for part in &parts {
            assert!(part.prompt.tokens <= 2_000);
            for &q in &part.questions {
                let table = format!("area_{q}_customer");
                assert!(part.prompt.tables.contains(&table), "{table} missing from {:?}", part.prompt.tables);
            }
        }
        let one = GroupPrompt::plan(&schema, &linker, &[], &questions[..2], 2_000);
        assert_eq!(one.len(), 1, "a group that fits shares one prompt");
    }

    #[test]
    fn an_impossible_budget_sheds_detail_but_keeps_join_keys() {
        let schema = wide_schema(3);
        let linker = OfflineSynthesizer::new(&schema, &Default::default(), 0.6);
        let questions = ["area 0 customers", "area 0 products", "area 0 orders"];
        let roomy = GroupPrompt::build(&schema, &linker, &[], &questions, 20_000);
        assert!(roomy.context.contains("e.g. 'alpha'"), "{}", roomy.context);
        let shipped = GroupPrompt::build(&schema, &linker, &[], &["area 0 orders that are shipped"], 20_000);
        assert!(shipped.context.contains("e.g. 'shipped', 'open'"), "mentioned values first: {}", shipped.context);
        let tight = GroupPrompt::build(&schema, &linker, &[], &questions, roomy.tokens - 40);
        assert!(tight.tokens < roomy.tokens);
        assert!(tight.context.contains(r#""customer_id" INTEGER NOT NULL -> "area_0_customer"."customer_id""#));
    }

    #[test]
    fn golden_examples_take_at_most_a_quarter_of_the_budget_most_relevant_first() {
        let filler = "padding words ".repeat(40);
        let examples: Vec<GoldenExample> = (0..30)
            .map(|i| GoldenExample { question: format!("Example {i}: {filler}"), sql: format!("SELECT {i}") })
            .chain([GoldenExample { question: "How many shipped orders?".into(), sql: "SELECT 'relevant'".into() }])
            .collect();
        let chosen = select_examples(&examples, &["How many orders were shipped?"], 2_000);
        assert!(chosen.iter().any(|e| e.sql == "SELECT 'relevant'"), "the relevant example is kept");
        assert!(chosen.len() < examples.len());
        assert!(count_tokens(&examples_section(&chosen)) <= 2_000 / 4 + 2);
    }

    #[test]
    fn questions_go_last_with_their_ids_verbatim() {
        let schema = wide_schema(1);
        let linker = OfflineSynthesizer::new(&schema, &Default::default(), 0.6);
        let examples =
            [GoldenExample { question: "How many orders?".into(), sql: "SELECT COUNT(*) FROM area_0_order".into() }];
        let prompt = GroupPrompt::build(&schema, &linker, &examples, &["orders"], 6_000);
        let requests = [LlmRequest { id: "Q-1.a_b".into(), question: "Orders \"open\"?".into(), previous: None }];
        let messages = prompt.messages(&requests);
        assert_eq!(messages[1].content, prompt.context);
        assert!(prompt.context.contains("SQL: SELECT COUNT(*) FROM area_0_order"));
        let sent: serde_json::Value = serde_json::from_str(&messages[2].content).unwrap();
        assert_eq!(sent["questions"][0]["id"], "Q-1.a_b");
        assert_eq!(sent["questions"][0]["question"], "Orders \"open\"?");
    }
}
