//! Charts drawn as inline SVG: horizontal bars and lines over periods.
//!
//! Our own small renderer rather than a plotting crate: two chart kinds, whose
//! every piece of text (category names come from the database) goes through
//! the page's one escaping function; a `viewBox` and no fixed size, so a chart
//! scales to a phone's width and prints crisp; colours and fonts from the
//! page's CSS classes (`bar`, `s0`…`s5`, `grid`), so the print style applies to
//! them too. Labels are measured by an estimate of the font's average width,
//! which is what a chart without a font rasterizer can do; long labels are
//! clipped, and their whole text is in a hover title.

use std::fmt::Write;

use super::chart::{BarData, LineData, MAX_SERIES};
use super::format;
use super::html::esc;

/// The width of the drawing (the `viewBox`); the page scales it.
const WIDTH: f64 = 720.0;
/// Average width of a character of the 12px chart font, for layout.
const CHAR_WIDTH: f64 = 7.2;
/// Characters of a bar label shown before it is clipped.
const BAR_LABEL_CHARS: usize = 32;
/// Points drawn as dots (with a hover title) when a line has at most this many.
const DOTTED_POINTS: usize = 60;
/// Period names written under the axis at most.
const AXIS_LABELS: usize = 8;

/// Horizontal bars, largest first, the "other" bar last; values at the bar ends.
pub fn bars(data: &BarData, measure: &str, label: &str) -> String {
    const ROW: f64 = 24.0;
    const BAR: f64 = 17.0;
    const TOP: f64 = 4.0;
    let mut rows: Vec<(String, f64, &str)> = data.bars.iter().map(|b| (b.label.clone(), b.value, "bar")).collect();
    if let Some((count, sum)) = data.other {
        rows.push((format!("other ({count})"), sum, "bar other"));
    }
    let longest = rows.iter().map(|r| r.0.chars().count().min(BAR_LABEL_CHARS)).max().unwrap_or(0);
    let label_width = (longest as f64 * CHAR_WIDTH + 16.0).clamp(60.0, 260.0);
    let value_width = 84.0;
    let plot = WIDTH - label_width - value_width;
    let low = rows.iter().map(|r| r.1).fold(0.0, f64::min);
    let high = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let span = if high > low { high - low } else { 1.0 };
    let x = |v: f64| label_width + (v - low) / span * plot;
    let height = TOP * 2.0 + rows.len() as f64 * ROW;
    let mut svg = open(height, &format!("Bar chart of {measure} by {label}"));
    for (i, (name, value, class)) in rows.iter().enumerate() {
        let y = TOP + i as f64 * ROW;
        let (from, to) = (x(0.0).min(x(*value)), x(0.0).max(x(*value)));
        let shown = format::clip(name, BAR_LABEL_CHARS);
        let _ = write!(
            svg,
            r#"<g><title>{}: {}</title><text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect class="{class}" x="{from:.1}" y="{y:.1}" width="{:.1}" height="{BAR}" rx="2"/><text class="value" x="{:.1}" y="{:.1}">{}</text></g>"#,
            esc(name),
            esc(&format::number(*value)),
            label_width - 6.0,
            y + BAR * 0.75,
            esc(&shown),
            (to - from).max(if *value == 0.0 { 0.0 } else { 1.0 }),
            to + 5.0,
            y + BAR * 0.75,
            esc(&format::number(*value)),
        );
    }
    if low < 0.0 {
        let zero = x(0.0);
        let _ = write!(svg, r#"<line class="axis" x1="{zero:.1}" x2="{zero:.1}" y1="0" y2="{height:.1}"/>"#);
    }
    svg.push_str("</svg>");
    svg
}

/// Lines over the period axis, one per series, with a legend when there are several.
pub fn lines(data: &LineData, label: &str) -> String {
    const HEIGHT: f64 = 300.0;
    const LEFT: f64 = 64.0;
    const RIGHT: f64 = 20.0;
    const BOTTOM: f64 = 40.0;
    let top = if data.series.len() > 1 { 34.0 } else { 14.0 };
    let values = || data.series.iter().flat_map(|s| s.values.iter().flatten().copied());
    let (low, high) = value_range(values());
    let step = nice_step(high - low, 5);
    let (low, high) = ((low / step).floor() * step, (high / step).ceil() * step);
    let (first, last) = match (data.points.first(), data.points.last()) {
        (Some(first), Some(last)) => (first.0, last.0),
        _ => (0.0, 1.0),
    };
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - top - BOTTOM;
    let x = |key: f64| match last > first {
        true => LEFT + (key - first) / (last - first) * plot_width,
        false => LEFT + plot_width / 2.0,
    };
    let y = |v: f64| top + (high - v) / (high - low) * plot_height;
    let names: Vec<&str> = data.series.iter().map(|s| s.name.as_str()).collect();
    let mut svg = open(HEIGHT, &format!("Line chart of {} by {label}", names.join(", ")));

    let mut tick = low;
    while tick <= high + step / 2.0 {
        let at = y(tick);
        let class = if tick.abs() < step / 2.0 { "axis" } else { "grid" };
        let _ = write!(
            svg,
            r#"<line class="{class}" x1="{LEFT}" x2="{:.1}" y1="{at:.1}" y2="{at:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            at + 4.0,
            esc(&format::compact(tick)),
        );
        tick += step;
    }
    let labelled = axis_labels(data.points.len());
    for &i in &labelled {
        let (key, name) = &data.points[i];
        // The last name ends at its point, so it stays inside the drawing.
        let anchor = if labelled.len() > 1 && i + 1 == data.points.len() { "end" } else { "middle" };
        let _ = write!(
            svg,
            r#"<text class="tick period" x="{:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            x(*key) + if anchor == "end" { 6.0 } else { 0.0 },
            HEIGHT - BOTTOM + 18.0,
            esc(&format::clip(name, 12)),
        );
    }
    for (n, series) in data.series.iter().enumerate().take(MAX_SERIES) {
        let class = format!("s{n}");
        // A NULL breaks the line: one polyline per run of values.
        let mut run = String::new();
        for ((key, _), value) in data.points.iter().zip(&series.values) {
            match value {
                Some(v) => {
                    let _ = write!(run, "{:.1},{:.1} ", x(*key), y(*v));
                }
                None => flush_line(&mut svg, &mut run, &class),
            }
        }
        flush_line(&mut svg, &mut run, &class);
        if data.points.len() <= DOTTED_POINTS {
            for ((key, name), value) in data.points.iter().zip(&series.values) {
                if let Some(v) = value {
                    let _ = write!(
                        svg,
                        r#"<circle class="{class}" cx="{:.1}" cy="{:.1}" r="3"><title>{}: {} {}</title></circle>"#,
                        x(*key),
                        y(*v),
                        esc(name),
                        esc(&series.name),
                        esc(&format::number(*v)),
                    );
                }
            }
        }
        if data.series.len() > 1 {
            let left = LEFT + n as f64 * (plot_width / data.series.len().min(MAX_SERIES) as f64);
            let _ = write!(
                svg,
                r#"<rect class="{class} swatch" x="{left:.1}" y="6" width="14" height="10" rx="2"/><text class="label" x="{:.1}" y="15">{}</text>"#,
                left + 19.0,
                esc(&format::clip(&series.name, 28)),
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Which of `count` points get their name under the axis: evenly spaced, at
/// most [`AXIS_LABELS`], the first and the last always.
fn axis_labels(count: usize) -> Vec<usize> {
    let every = count.div_ceil(AXIS_LABELS).max(1);
    let mut shown: Vec<usize> = (0..count).step_by(every).collect();
    if let Some(&last_shown) = shown.last()
        && last_shown + 1 < count
    {
        // The last point replaces a label too close to it.
        if count - 1 - last_shown < every && shown.len() > 1 {
            shown.pop();
        }
        shown.push(count - 1);
    }
    shown
}

fn open(height: f64, title: &str) -> String {
    format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height:.0}" role="img" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        esc(title)
    )
}

fn flush_line(svg: &mut String, run: &mut String, class: &str) {
    if !run.is_empty() {
        let _ = write!(svg, r#"<polyline class="{class} line" points="{}"/>"#, run.trim_end());
        run.clear();
    }
}

/// The range a line chart's y axis must cover: from zero when the values
/// come near it (or cross it), so their sizes compare; otherwise around the
/// values, so their changes show (the axis is labelled either way).
fn value_range(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let low = values.clone().fold(f64::INFINITY, f64::min);
    let high = values.fold(f64::NEG_INFINITY, f64::max);
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    let (low, high) = match (low, high) {
        (l, h) if l >= 0.0 && l <= h * 0.5 => (0.0, h),
        (l, h) if h <= 0.0 && h >= l * 0.5 => (l, 0.0),
        (l, h) if l < 0.0 && h > 0.0 => (l, h),
        (l, h) => (l, h),
    };
    if high > low { (low, high) } else { (low - 1.0, high + 1.0) }
}

/// A round step (1, 2 or 5 times a power of ten) that cuts `span` into about `parts`.
fn nice_step(span: f64, parts: usize) -> f64 {
    let raw = span / parts as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let nice = match raw / magnitude {
        n if n <= 1.0 => 1.0,
        n if n <= 2.0 => 2.0,
        n if n <= 5.0 => 5.0,
        _ => 10.0,
    };
    nice * magnitude
}

#[cfg(test)]
mod tests {
    use super::super::chart::{Bar, Series};
    use super::*;

    #[test]
    fn bars_draw_one_bar_per_value_and_escape_every_label() {
        let data = BarData {
            bars: vec![
                Bar { label: "<script>alert(1)</script>".into(), value: 30.0 },
                Bar { label: "B & C".into(), value: -10.0 },
            ],
            other: Some((3, 7.0)),
            nulls: 0,
        };
        let svg = bars(&data, "n", "name");
        assert_eq!(svg.matches("<rect ").count(), 3);
        assert!(svg.contains("other (3)"));
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{svg}");
        assert!(svg.contains("B &amp; C"));
        assert!(svg.contains(r#"class="axis""#), "a zero line for negative values");
        assert!(svg.starts_with("<svg class=\"chart\" viewBox=\"0 0 720 "));
    }

    #[test]
    fn lines_break_at_nulls_and_label_at_most_a_few_periods() {
        let points: Vec<(f64, String)> = (0..30).map(|i| (i as f64, format!("p{i}"))).collect();
        let mut values: Vec<Option<f64>> = (0..30).map(|i| Some(i as f64 * 100.0)).collect();
        values[10] = None;
        let data = LineData {
            points,
            series: vec![Series { name: "a".into(), values }, Series { name: "b".into(), values: vec![Some(1.0); 30] }],
        };
        let svg = lines(&data, "period");
        assert_eq!(svg.matches("<polyline class=\"s0 line\"").count(), 2, "a gap at the NULL");
        assert_eq!(svg.matches("<polyline class=\"s1 line\"").count(), 1);
        assert_eq!(svg.matches("<circle ").count(), 59);
        let period_labels = svg.matches("class=\"tick period\"").count();
        assert!((2..=AXIS_LABELS + 1).contains(&period_labels), "{period_labels}");
        assert!(svg.contains(">p0<") && svg.contains(">p29<"), "first and last periods are named");
        assert_eq!(svg.matches("swatch").count(), 2, "a legend for two series");
    }

    #[test]
    fn axis_labels_are_spread_and_keep_both_ends() {
        assert_eq!(axis_labels(0), Vec::<usize>::new());
        assert_eq!(axis_labels(1), [0]);
        assert_eq!(axis_labels(5), [0, 1, 2, 3, 4]);
        assert_eq!(axis_labels(30), [0, 4, 8, 12, 16, 20, 24, 29]);
        assert_eq!(axis_labels(12), [0, 2, 4, 6, 8, 11]);
    }

    #[test]
    fn the_value_axis_starts_at_zero_only_when_the_values_come_near_it() {
        assert_eq!(value_range([10.0, 90.0].into_iter()), (0.0, 90.0));
        assert_eq!(value_range([449.0, 481.0].into_iter()), (449.0, 481.0));
        assert_eq!(value_range([-5.0, 20.0].into_iter()), (-5.0, 20.0));
        assert_eq!(value_range([-90.0, -10.0].into_iter()), (-90.0, 0.0));
        assert_eq!(value_range([7.0, 7.0].into_iter()), (6.0, 8.0));
        assert_eq!(value_range(std::iter::empty()), (0.0, 1.0));
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(100.0, 5), 20.0);
        assert_eq!(nice_step(7.0, 5), 2.0);
        assert_eq!(nice_step(0.3, 5), 0.1);
        assert_eq!(nice_step(4500.0, 5), 1000.0);
    }
}
