//! Numbers and sizes written for people, the same in the CLI, the GUI and the server.

/// Four significant digits, without exponent for everyday magnitudes.
pub fn fmt_value(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || (1e-3..1e6).contains(&a) {
        let digits = if a >= 1000.0 {
            0
        } else if a >= 100.0 {
            1
        } else if a >= 10.0 {
            2
        } else {
            3
        };
        format!("{v:.digits$}")
    } else {
        format!("{v:.3e}")
    }
}

/// Bytes for people: `1.2 GB`.
pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", b / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", b / 1e6),
        _ => format!("{:.2} GB", b / 1e9),
    }
}

/// Text from a file made safe to print on a terminal: control characters (escape
/// sequences, bells, line breaks) are written as `\u{1b}`, so a message stays one line
/// and a file cannot retitle or clear the terminal that shows it.
pub fn escape_control(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars().map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() }).collect()
}

/// `1 error`, `2 errors`: a count with its noun (plural by `s`).
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("plain: 1.5 V"), "plain: 1.5 V");
        assert_eq!(escape_control("a\u{1b}]0;PWNED\u{7}b\nc"), "a\\u{1b}]0;PWNED\\u{7}b\\u{a}c");
    }

    #[test]
    fn four_significant_digits() {
        assert_eq!(fmt_value(81.536), "81.54");
        assert_eq!(fmt_value(0.0), "0.000");
        assert_eq!(fmt_value(23100.0), "23100");
        assert_eq!(fmt_value(-1.5), "-1.500");
        assert_eq!(fmt_value(1e-6), "1.000e-6");
    }

    #[test]
    fn sizes() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500), "1.5 kB");
        assert_eq!(human_bytes(2_340_000_000), "2.34 GB");
    }
}
