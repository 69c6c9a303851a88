//! Numbers and text as a reader sees them in a report: rounded for reading
//! (two decimals, three significant digits below one), grouped by thousands
//! in figures and charts, compact on chart axes (`1.2k`, `3.4M`), signed in
//! changes, and clipped when too long.

/// `n` rounded for reading, without grouping: `523.06`, `1234.5`, `0.0123`, `42`.
pub fn plain(n: f64) -> String {
    if !n.is_finite() {
        return n.to_string();
    }
    let magnitude = n.abs();
    let text = if magnitude == 0.0 || (magnitude.fract() == 0.0 && magnitude < 1e15) {
        format!("{n:.0}")
    } else if magnitude >= 1.0 {
        format!("{n:.2}")
    } else {
        // Three significant digits: 0.0123, 0.5, 0.000456.
        let decimals = (2 - magnitude.log10().floor() as i32).clamp(2, 12) as usize;
        format!("{n:.decimals$}")
    };
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    if text == "-0" { "0".to_string() } else { text.to_string() }
}

/// `n` rounded for reading and grouped by thousands: `1,234.5`, `-12,000`.
pub fn number(n: f64) -> String {
    group(&plain(n))
}

/// `n` signed, grouped: `+1,234.5`, `−12` (a true minus sign), `0`.
pub fn signed(n: f64) -> String {
    let text = number(n.abs());
    match plain(n).as_str() {
        "0" => text,
        _ if n < 0.0 => format!("\u{2212}{text}"),
        _ => format!("+{text}"),
    }
}

/// A percentage of change, signed, one decimal: `+12.5%`, `−3.0%`.
pub fn percent(p: f64) -> String {
    let text = format!("{:.1}", p.abs());
    match text.as_str() {
        "0.0" => "0.0%".to_string(),
        _ if p < 0.0 => format!("\u{2212}{text}%"),
        _ => format!("+{text}%"),
    }
}

/// `n` in at most a few characters, for chart axes: `950`, `1.2k`, `3.4M`, `5B`.
pub fn compact(n: f64) -> String {
    let magnitude = n.abs();
    for (scale, suffix) in [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")] {
        if magnitude >= scale {
            let scaled = n / scale;
            let text = if scaled.abs() >= 100.0 { format!("{scaled:.0}") } else { format!("{scaled:.1}") };
            return format!("{}{suffix}", text.trim_end_matches(".0"));
        }
    }
    plain(n)
}

/// Inserts thousands separators into the integer part of a plain number.
fn group(text: &str) -> String {
    let (sign, rest) = text.strip_prefix('-').map_or(("", text), |rest| ("-", rest));
    let (whole, fraction) = rest.split_once('.').map_or((rest, None), |(w, f)| (w, Some(f)));
    if !whole.bytes().all(|b| b.is_ascii_digit()) {
        return text.to_string();
    }
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `text` cut to at most `max` characters, the last one `…` when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_rounded_grouped_signed_and_compact() {
        let cases = [(523.0600000000001, "523.06"), (1234.5, "1234.5"), (0.012345, "0.0123"), (42.0, "42")];
        for (n, text) in cases {
            assert_eq!(plain(n), text, "{n}");
        }
        assert_eq!((plain(-0.0001), plain(-0.0), plain(0.5)), ("-0.0001".into(), "0".into(), "0.5".into()));
        assert_eq!(
            (number(1234567.891), number(-12000.0), number(999.0)),
            ("1,234,567.89".into(), "-12,000".into(), "999".into())
        );
        assert_eq!((signed(1234.5), signed(-12.0), signed(0.0)), ("+1,234.5".into(), "\u{2212}12".into(), "0".into()));
        assert_eq!(
            (percent(12.46), percent(-3.0), percent(0.01)),
            ("+12.5%".into(), "\u{2212}3.0%".into(), "0.0%".into())
        );
        let compacts: Vec<String> = [950.0, 1200.0, 3_400_000.0, 5e9, -250_000.0, 150_000.0].map(compact).into();
        assert_eq!(compacts, ["950", "1.2k", "3.4M", "5B", "-250k", "150k"]);
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }
}
