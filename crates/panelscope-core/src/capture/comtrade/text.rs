//! Text helpers: decoding CFG text in whatever encoding the recorder used, and
//! walking its lines with their numbers.

use encoding_rs::{Encoding, GBK, WINDOWS_1251, WINDOWS_1252};

/// Decodes CFG text: UTF-8 (a byte-order mark is dropped) when valid, else GBK when
/// the bytes look like Chinese text, else cp1251 when they look like Cyrillic words,
/// else windows-1252 (a superset of Latin-1). Never fails.
pub(super) fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_owned();
    }
    let (text, _) = guess_legacy_encoding(bytes).decode_without_bom_handling(bytes);
    text.into_owned()
}

/// Picks a legacy single- or double-byte encoding for text that is not UTF-8.
fn guess_legacy_encoding(bytes: &[u8]) -> &'static Encoding {
    if looks_like_gbk(bytes) {
        return GBK;
    }
    // Cyrillic words are runs of high bytes; Latin-1 accents are single bytes (or
    // pairs, as in `öß`) between ASCII letters.
    let (mut high, mut in_runs, mut run) = (0usize, 0usize, 0usize);
    for &b in bytes.iter().chain(std::iter::once(&b' ')) {
        if b >= 0x80 {
            run += 1;
        } else {
            high += run;
            if run >= 3 {
                in_runs += run;
            }
            run = 0;
        }
    }
    if high > 0 && in_runs * 2 >= high { WINDOWS_1251 } else { WINDOWS_1252 }
}

/// True when every high byte pairs into a valid GBK character and most pairs are
/// common (GB2312 level 1) hanzi, which Cyrillic or Latin text rarely produces.
fn looks_like_gbk(bytes: &[u8]) -> bool {
    let (mut pairs, mut common, mut i) = (0usize, 0usize, 0usize);
    while let Some(&lead) = bytes.get(i) {
        if lead < 0x80 {
            i += 1;
            continue;
        }
        let Some(&trail) = bytes.get(i + 1) else { return false };
        let valid_lead = (0x81..=0xFE).contains(&lead);
        let valid_trail = (0x40..=0x7E).contains(&trail) || (0x80..=0xFE).contains(&trail);
        if !(valid_lead && valid_trail) {
            return false;
        }
        pairs += 1;
        if (0xB0..=0xD7).contains(&lead) && trail >= 0xA1 {
            common += 1;
        }
        i += 2;
    }
    pairs > 0 && common * 2 > pairs
}

/// True for characters that carry nothing: whitespace and the DOS end-of-file mark
/// (`^Z`, which some recorders append to their files).
fn is_filler(c: char) -> bool {
    c.is_whitespace() || c == '\u{1a}'
}

/// The non-blank lines of a text with their 1-based line numbers (counted from
/// `first_line`), trimmed of whitespace, CR and `^Z`.
pub(super) struct Lines<'a> {
    lines: std::iter::Enumerate<std::str::Split<'a, char>>,
    first_line: usize,
    last_line: usize,
}

impl<'a> Lines<'a> {
    /// Lines of `text`, whose first line is line `first_line` of its file.
    pub(super) fn new(text: &'a str, first_line: usize) -> Self {
        Self { lines: text.split('\n').enumerate(), first_line, last_line: first_line.saturating_sub(1) }
    }

    /// The number of the last line returned (or the one before the first).
    pub(super) fn last_line(&self) -> usize {
        self.last_line
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        for (i, line) in self.lines.by_ref() {
            let line = line.trim_matches(is_filler);
            if !line.is_empty() {
                let line_no = self.first_line.saturating_add(i);
                self.last_line = line_no;
                return Some((line_no, line));
            }
        }
        None
    }
}

/// Splits a CFG line into trimmed comma-separated fields.
pub(super) fn fields(line: &str) -> Vec<&str> {
    line.split(',').map(|f| f.trim_matches(is_filler)).collect()
}

/// Parses a finite decimal number (`12`, `-0.5`, `2.000000e+003`); `None` when it is not one.
pub(super) fn number(field: &str) -> Option<f64> {
    let field = field.trim();
    if field.is_empty() {
        return None;
    }
    field.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Parses a non-negative whole number, also when written as `1300.0`.
pub(super) fn count(field: &str) -> Option<u64> {
    let field = field.trim();
    if let Ok(n) = field.parse::<u64>() {
        return Some(n);
    }
    let x = number(field)?;
    (x >= 0.0 && x.fract() == 0.0 && x < 1.8e19).then_some(x as u64)
}
