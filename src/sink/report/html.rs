//! The report page as HTML: one file, inline CSS (screen, phone width and
//! print), inline SVG charts, no script.
//!
//! Every text that comes from a manifest, a database or a configuration goes
//! through [`esc`] on its way into the page, in element content and in
//! attributes alike, so a value such as `<script>…</script>` reads as text.
//! The page's Content-Security-Policy (`default-src 'none'`, inline styles
//! only) would stop a script even if one got through, and stops the page from
//! loading anything from the network.

use std::fmt::{self, Display, Write};

use super::chart::{self, Chart};
use super::compare::{Change, Comparison, MoveKind, Note, percent_change};
use super::{Answer, Baseline, Page, Section, format, sql, svg};
use crate::sink::manifest::{QuestionRecord, Status, format_timestamp};

/// Rows of an answer shown in its table before the rest is folded away.
const VISIBLE_ROWS: usize = 25;
/// The same when a chart above the table already shows the answer.
const VISIBLE_ROWS_UNDER_A_CHART: usize = 10;

/// Text escaped for HTML element content and quoted attribute values.
pub struct Escaped<'a>(&'a str);

/// `text` escaped for HTML (`&`, `<`, `>`, `"`, `'`).
pub fn esc(text: &str) -> Escaped<'_> {
    Escaped(text)
}

impl Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

const STYLE: &str = include_str!("report.css");

/// The whole page.
pub fn render(page: &Page<'_>) -> String {
    let manifest = page.manifest;
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"generator\" content=\"sqlsynth\">\
         <title>{} — sqlsynth report</title><style>{STYLE}</style></head><body>",
        esc(&manifest.job_id)
    );
    header(&mut out, page);
    out.push_str("<main>");
    for section in &page.sections {
        question(&mut out, page, section);
    }
    let _ = writeln!(
        out,
        "</main><footer><p>Written by sqlsynth from <code>{}</code> and the answer files beside it; \
         tables and charts show at most the first {} rows of each answer.</p></footer></body></html>",
        esc(&format!("{}/manifest.json", page.location)),
        page.rows
    );
    out
}

fn header(out: &mut String, page: &Page<'_>) {
    let manifest = page.manifest;
    let stats = &manifest.stats;
    let took = match (manifest.finished_at - manifest.started_at).num_seconds() {
        0 => "under a second".to_string(),
        seconds => format!("{seconds} s"),
    };
    let _ = write!(
        out,
        "<header><p class=\"kicker\">sqlsynth report</p><h1>{}</h1>\
         <p class=\"run\">Finished {} · took {took} · <code>{}</code></p><p class=\"totals\">",
        esc(&manifest.job_id),
        esc(&format_timestamp(&manifest.finished_at)),
        esc(&page.location),
    );
    for (count, status) in
        [(stats.ok, Status::Ok), (stats.failed, Status::Failed), (stats.unanswered, Status::Unanswered)]
    {
        if count > 0 || status == Status::Ok {
            let _ = write!(out, "<span class=\"pill {0}\">{count} {0}</span> ", status.name());
        }
    }
    out.push_str("</p><p class=\"baseline\">");
    match &page.baseline {
        Baseline::Run(run) => {
            let _ = write!(
                out,
                "Changes are since <strong>{}</strong>, finished {}.",
                esc(&run.manifest.job_id),
                esc(&format_timestamp(&run.manifest.finished_at))
            );
        }
        Baseline::NotScheduled => out.push_str("Not a scheduled run: no earlier run to compare with."),
        Baseline::FirstRun { schedule } => {
            let _ = write!(
                out,
                "The first finished run of schedule <strong>{}</strong> here: nothing to compare with yet.",
                esc(schedule)
            );
        }
        Baseline::Unavailable(why) => {
            let _ = write!(out, "The earlier run could not be read: {}", esc(why));
        }
    }
    out.push_str("</p>");
    if !page.dropped.is_empty() {
        let ids: Vec<String> = page.dropped.iter().map(|id| format!("<code>{}</code>", esc(id))).collect();
        let _ = write!(out, "<p class=\"note\">Asked in the earlier run, not in this one: {}.</p>", ids.join(", "));
    }
    out.push_str("<nav aria-label=\"Questions\"><ol>");
    for section in &page.sections {
        let record = section.record;
        let _ = write!(
            out,
            "<li><a href=\"#q-{}\">{}</a> <span class=\"pill {}\">{}</span>",
            esc(&record.id),
            esc(&record.question),
            record.status.name(),
            record.status.name()
        );
        if let Some(summary) = section.comparison.as_ref().and_then(headline) {
            let _ = write!(out, " <span class=\"glance\">{}</span>", esc(&summary));
        }
        out.push_str("</li>");
    }
    out.push_str("</ol></nav></header>");
}

/// What changed, in a few words, for the list of questions.
fn headline(comparison: &Comparison) -> Option<String> {
    let mut parts = Vec::new();
    for note in &comparison.notes {
        match note {
            Note::New => parts.push("new".to_string()),
            Note::StatusWas(status) => parts.push(format!("was {}", status.name())),
            Note::WasOk => parts.push("was ok".to_string()),
            Note::SqlChanged { .. } => parts.push("SQL changed".to_string()),
            Note::ColumnsChanged { .. } => parts.push("columns changed".to_string()),
            Note::Unreadable(_) | Note::NotComparable(_) => {}
        }
    }
    match &comparison.change {
        Some(Change::Value { before, after, .. }) if before == after => parts.push("unchanged".into()),
        Some(Change::Value { before, after, .. }) => {
            let pct = percent_change(*before, *after).map(|p| format!(" ({})", format::percent(p))).unwrap_or_default();
            parts.push(format!("{}{pct}", format::signed(after - before)));
        }
        Some(Change::Categories { moves, more, .. }) if moves.is_empty() => {
            debug_assert_eq!(*more, 0);
            parts.push("unchanged".into());
        }
        Some(Change::Categories { moves, more, .. }) => {
            let moved = moves.len() + more;
            parts.push(format!("{moved} moved"));
        }
        None => {}
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

fn question(out: &mut String, page: &Page<'_>, section: &Section<'_>) {
    let record = section.record;
    let status = record.status.name();
    let _ = write!(
        out,
        "<section class=\"question {status}\" id=\"q-{}\"><h2>{}</h2><p class=\"meta\"><span class=\"pill {status}\">{status}</span> \
         <code>{}</code> · {} · {}",
        esc(&record.id),
        esc(&record.question),
        esc(&record.id),
        esc(&record.source),
        esc(record.synthesizer.as_deref().unwrap_or("no SQL")),
    );
    if record.status == Status::Ok {
        let _ = write!(out, " · {}", rows(record.rows));
        if record.truncated {
            out.push_str(" <strong>(truncated at the row cap)</strong>");
        }
    }
    let _ = write!(out, " · {} ms</p>", record.elapsed_ms);
    if let Some(error) = &record.error {
        let what = if record.status == Status::Unanswered { "Not answered" } else { "Failed" };
        let _ = write!(out, "<p class=\"error\"><strong>{what}:</strong> {}</p>", esc(error));
    }
    understood(out, record);
    if let Some(comparison) = &section.comparison {
        changes(out, page, section, comparison);
    }
    match &section.answer {
        Some(Ok(answer)) => {
            figure(out, answer);
            table(out, answer, record);
        }
        Some(Err(error)) => {
            let _ = write!(out, "<p class=\"error\">The answer file could not be read: {}</p>", esc(error));
        }
        None => {}
    }
    if let Some(sql_text) = &record.sql {
        let _ = write!(
            out,
            "<details class=\"sql\"><summary>SQL</summary><pre><code>{}</code></pre></details>",
            esc(&sql::format_sql(sql_text))
        );
    }
    out.push_str("</section>");
}

/// How the question was understood: the restatement and what the SQL uses.
fn understood(out: &mut String, record: &QuestionRecord) {
    let Some(interpretation) = &record.interpretation else { return };
    out.push_str("<dl class=\"understood\">");
    if let Some(restatement) = &interpretation.restatement {
        let _ = write!(out, "<dt>Understood as</dt><dd>{}</dd>", esc(restatement));
    }
    let values = interpretation.value_texts();
    for (label, items) in
        [("Tables", &interpretation.tables), ("Columns", &interpretation.columns), ("Values", &values)]
    {
        if !items.is_empty() {
            let list: Vec<String> = items.iter().map(|item| format!("<code>{}</code>", esc(item))).collect();
            let _ = write!(out, "<dt>{label}</dt><dd>{}</dd>", list.join(" "));
        }
    }
    out.push_str("</dl>");
}

fn changes(out: &mut String, page: &Page<'_>, section: &Section<'_>, comparison: &Comparison) {
    let Baseline::Run(run) = &page.baseline else { return };
    if comparison.notes.is_empty() && comparison.change.is_none() {
        return;
    }
    let _ = write!(out, "<div class=\"change\"><h3>Since {}</h3>", esc(&run.manifest.job_id));
    if !comparison.notes.is_empty() {
        out.push_str("<ul class=\"notes\">");
        for note in &comparison.notes {
            out.push_str("<li>");
            match note {
                Note::New => out.push_str("A new question: the earlier run did not ask it."),
                Note::StatusWas(status) => {
                    let _ = write!(out, "The earlier run did not answer it (<strong>{}</strong>).", status.name());
                }
                Note::WasOk => out.push_str("The earlier run answered it."),
                Note::SqlChanged { before } => {
                    let _ = write!(
                        out,
                        "<strong>The SQL changed.</strong> <details><summary>Earlier SQL</summary><pre><code>{}</code></pre></details>",
                        esc(&sql::format_sql(before))
                    );
                }
                Note::ColumnsChanged { before } => {
                    let columns: Vec<String> =
                        before.iter().map(|c| format!("<code>{}</code> {}", esc(&c.name), esc(&c.data_type))).collect();
                    let _ = write!(out, "<strong>The columns changed</strong>; they were {}.", columns.join(", "));
                }
                Note::Unreadable(error) => {
                    let _ = write!(out, "The earlier answer could not be read: {}", esc(error));
                }
                Note::NotComparable(why) => {
                    let _ = write!(out, "Not compared value by value: {}.", esc(why));
                }
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    }
    match &comparison.change {
        Some(Change::Value { before, after, renamed: None }) if before == after => {
            let _ = write!(out, "<p class=\"delta same\">Unchanged at {}.</p>", esc(&format::number(*after)));
        }
        Some(Change::Value { before, after, renamed }) => {
            let direction = direction(*after - *before);
            let pct = percent_change(*before, *after).map(|p| format!(" ({})", format::percent(p))).unwrap_or_default();
            let _ = write!(
                out,
                "<p class=\"delta {direction}\"><strong>{}{pct}</strong> from {} to {}.",
                esc(&format::signed(after - before)),
                esc(&format::number(*before)),
                esc(&format::number(*after)),
            );
            if let Some((was, now)) = renamed {
                let _ = write!(out, " It was <em>{}</em>; it is <em>{}</em> now.", esc(was), esc(now));
            }
            out.push_str("</p>");
        }
        Some(Change::Categories { moves, more, unchanged, partial }) => {
            let key_name = match section.answer.as_ref().and_then(|a| a.as_ref().ok()) {
                Some(answer) => key_name(answer),
                None => "category".to_string(),
            };
            let mut small = Vec::new();
            if moves.is_empty() {
                let _ = write!(out, "<p class=\"delta same\">No change in the {unchanged} rows compared.</p>");
            } else {
                let _ = write!(
                    out,
                    "<div class=\"table\"><table class=\"moves\"><thead><tr><th>{}</th><th class=\"num\">before</th>\
                     <th class=\"num\">now</th><th class=\"num\">change</th></tr></thead><tbody>",
                    esc(&key_name)
                );
                for step in moves {
                    let (class, change) = match step.kind() {
                        MoveKind::Added => ("added", "new".to_string()),
                        MoveKind::Removed => ("removed", "gone".to_string()),
                        kind => {
                            let pct = step
                                .before
                                .zip(step.after)
                                .and_then(|(b, a)| percent_change(b, a))
                                .map(|p| format!(" ({})", format::percent(p)))
                                .unwrap_or_default();
                            let class = if kind == MoveKind::Up { "up" } else { "down" };
                            (class, format!("{}{pct}", format::signed(step.delta())))
                        }
                    };
                    let shown = |v: Option<f64>| v.map_or("—".to_string(), format::number);
                    let _ = write!(
                        out,
                        "<tr class=\"{class}\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                        esc(&step.key),
                        esc(&shown(step.before)),
                        esc(&shown(step.after)),
                        esc(&change)
                    );
                }
                out.push_str("</tbody></table></div>");
                small.push(format!("{unchanged} unchanged"));
                if *more > 0 {
                    small.push(format!("{more} more moved less"));
                }
            }
            if *partial {
                small.push(format!("compared over the first {} rows of each answer", page.rows));
            }
            if !small.is_empty() {
                let sentence = small.join("; ");
                let mut chars = sentence.chars();
                let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
                let _ = write!(out, "<p class=\"small\">{}{}.</p>", esc(&first), esc(chars.as_str()));
            }
        }
        None => {}
    }
    out.push_str("</div>");
}

/// What the categories of a comparison are called: the bar labels' or the axis's columns.
fn key_name(answer: &Answer) -> String {
    let names = |columns: &[usize]| -> String {
        columns.iter().map(|&c| answer.frame.columns[c].name.as_str()).collect::<Vec<_>>().join(" ")
    };
    match &answer.chart {
        Chart::Bars { labels, .. } => names(labels),
        Chart::Lines { axis: chart::Axis::Column(c), .. } => names(&[*c]),
        Chart::Lines { axis: chart::Axis::YearMonth { year, month }, .. } => names(&[*year, *month]),
        Chart::Lines { axis: chart::Axis::Month(m), .. } => names(&[*m]),
        _ => "category".to_string(),
    }
}

/// `1 row`, `1,234 rows`.
fn rows(count: u64) -> String {
    format!("{} row{}", format::number(count as f64), if count == 1 { "" } else { "s" })
}

fn direction(delta: f64) -> &'static str {
    match delta {
        d if d > 0.0 => "up",
        d if d < 0.0 => "down",
        _ => "same",
    }
}

/// The answer's chart: a big value, bars or lines; nothing for the table alone.
fn figure(out: &mut String, answer: &Answer) {
    let frame = &answer.frame;
    match &answer.chart {
        Chart::Table => {}
        Chart::BigNumber { value, labels } => {
            let column = &frame.columns[*value];
            let shown = match column.numbers.as_ref().and_then(|n| n[0]) {
                Some(number) => format::number(number),
                None => column.cell(0).to_string(),
            };
            let _ = write!(
                out,
                "<div class=\"big\"><span class=\"value\">{}</span> <span class=\"unit\">{}</span>",
                esc(&shown),
                esc(&column.name)
            );
            if !labels.is_empty() {
                let _ = write!(out, "<span class=\"label\">{}</span>", esc(&chart::row_label(frame, labels, 0)));
            }
            out.push_str("</div>");
        }
        Chart::Bars { labels, measure } => {
            let data = chart::bar_data(frame, labels, *measure);
            let label = labels.iter().map(|&c| frame.columns[c].name.as_str()).collect::<Vec<_>>().join(" ");
            let measure_name = &frame.columns[*measure].name;
            let mut caption = format!("{measure_name} by {label}");
            if let Some((count, _)) = data.other {
                let _ = write!(caption, "; the top {}, the other {count} summed", data.bars.len());
            }
            if data.nulls > 0 {
                let _ = write!(caption, "; {} without a value left out", data.nulls);
            }
            let _ = write!(
                out,
                "<figure>{}<figcaption>{}</figcaption></figure>",
                svg::bars(&data, measure_name, &label),
                esc(&caption)
            );
        }
        Chart::Lines { axis, measures } => {
            let data = chart::line_data(frame, *axis, measures);
            let axis_name = match axis {
                chart::Axis::Column(c) | chart::Axis::Month(c) => frame.columns[*c].name.clone(),
                chart::Axis::YearMonth { year, month } => {
                    format!("{} and {}", frame.columns[*year].name, frame.columns[*month].name)
                }
            };
            let names: Vec<&str> = measures.iter().map(|&m| frame.columns[m].name.as_str()).collect();
            let caption = format!("{} by {axis_name}", names.join(", "));
            let _ = write!(
                out,
                "<figure>{}<figcaption>{}</figcaption></figure>",
                svg::lines(&data, &axis_name),
                esc(&caption)
            );
        }
    }
}

/// The first rows as a table: a few shown, the rest read folded away; no
/// table under a single value, which its big figure already shows.
fn table(out: &mut String, answer: &Answer, record: &QuestionRecord) {
    let frame = &answer.frame;
    let visible = match &answer.chart {
        Chart::Table => VISIBLE_ROWS,
        _ => VISIBLE_ROWS_UNDER_A_CHART,
    };
    let visible = frame.rows.min(visible);
    let single_value = matches!(answer.chart, Chart::BigNumber { .. }) && frame.columns.len() == 1;
    let head = |out: &mut String| {
        out.push_str("<div class=\"table\"><table><thead><tr>");
        for column in &frame.columns {
            let class = if column.is_numeric() { " class=\"num\"" } else { "" };
            let _ = write!(
                out,
                "<th{class}>{}<small>{}</small></th>",
                esc(&column.name),
                esc(&column.data_type.to_string())
            );
        }
        out.push_str("</tr></thead><tbody>");
    };
    let body = |out: &mut String, range: std::ops::Range<usize>| {
        for row in range {
            out.push_str("<tr>");
            for column in &frame.columns {
                match &column.text[row] {
                    None => out.push_str("<td class=\"null\">NULL</td>"),
                    Some(text) if column.is_numeric() => {
                        let _ = write!(out, "<td class=\"num\">{}</td>", esc(text));
                    }
                    Some(text) => {
                        let _ = write!(out, "<td>{}</td>", esc(text));
                    }
                }
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table></div>");
    };
    if !single_value {
        head(out);
        body(out, 0..visible);
    }
    if !single_value && frame.rows > visible {
        let _ = write!(out, "<details class=\"more\"><summary>{} more</summary>", rows((frame.rows - visible) as u64));
        head(out);
        body(out, visible..frame.rows);
        out.push_str("</details>");
    }
    let total = record.rows;
    let shown = if total > frame.rows as u64 {
        format!("The first {} of {} rows.", format::number(frame.rows as f64), format::number(total as f64))
    } else {
        format!("{}.", rows(total))
    };
    let cap = if record.truncated { " The query had more rows than the row cap; the answer stops there." } else { "" };
    let _ = write!(out, "<p class=\"small\">{shown}{cap}</p>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_both_quotes() {
        let hostile = r#"<script>alert("x")</script> & 'y' <img src=x onerror=alert(1)>"#;
        assert_eq!(
            esc(hostile).to_string(),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39; &lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(esc("plain, ünïcode").to_string(), "plain, ünïcode");
    }
}
