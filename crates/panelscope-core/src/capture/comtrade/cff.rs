//! Splitting a single-file `.cff` record into its sections.
//!
//! A CFF holds `--- file type: CFG ---`, `--- file type: INF ---`,
//! `--- file type: HDR ---` and `--- file type: DAT ASCII ---` (text) or
//! `--- file type: DAT BINARY: <bytes> ---` (that many raw bytes right after the
//! header line) sections, with headers in any case.

use std::path::Path;

use super::cfg::DataType;
use crate::capture::{CaptureError, Result};

/// The parts of a CFF file that matter for reading samples.
#[derive(Debug)]
pub(super) struct CffParts<'a> {
    /// The CFG section's bytes and the line number of its first line.
    pub cfg: &'a [u8],
    pub cfg_first_line: usize,
    /// The DAT section's bytes, the type named by its header, and the line number of
    /// its first line (ASCII) or of its header (binary).
    pub dat: &'a [u8],
    pub dat_type: Option<DataType>,
    pub dat_line: usize,
}

/// One section header: its kind (`CFG`, `DAT`, ...), the DAT type, and the byte count.
struct Header {
    kind: String,
    data_type: Option<DataType>,
    byte_count: Option<usize>,
}

/// Reads a header line such as `--- file type: DAT BINARY: 4214 ---`.
fn parse_header(line: &[u8]) -> Option<Header> {
    let line = std::str::from_utf8(line).ok()?.trim().trim_start_matches('\u{feff}');
    let inner = line.strip_prefix("---")?.strip_suffix("---")?.trim();
    let (label, rest) = inner.split_once(':')?;
    if !label.trim().eq_ignore_ascii_case("file type") {
        return None;
    }
    let (names, byte_count) = match rest.split_once(':') {
        Some((names, n)) => (names, n.trim().parse::<usize>().ok()),
        None => (rest, None),
    };
    let mut words = names.split_whitespace();
    let kind = words.next()?.to_ascii_uppercase();
    let data_type = words.next().and_then(DataType::parse);
    Some(Header { kind, data_type, byte_count })
}

/// One section: its header, where its content lies (`end` is `None` while the section
/// is still being read), and the line its content starts on.
struct Section {
    header: Header,
    start: usize,
    end: Option<usize>,
    first_line: usize,
}

/// Finds the CFG and DAT sections of a CFF file. Binary DAT bytes are taken as the
/// header states (cut short at the end of the file, which the DAT decoder reports).
pub(super) fn split<'a>(bytes: &'a [u8], path: &Path) -> Result<CffParts<'a>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut sections: Vec<Section> = Vec::new();
    let (mut pos, mut line_no) = (0usize, 0usize);
    while pos < bytes.len() {
        let rest = bytes.get(pos..).unwrap_or_default();
        let end = memchr::memchr(b'\n', rest).map_or(bytes.len(), |i| pos + i);
        let next = end.saturating_add(1).min(bytes.len());
        line_no += 1;
        let line = bytes.get(pos..end).unwrap_or_default();
        let Some(header) = parse_header(line) else {
            if sections.is_empty() && !line.trim_ascii().is_empty() {
                return Err(CaptureError::line(path, line_no, "not a CFF file: expected '--- file type: CFG ---'"));
            }
            pos = next;
            continue;
        };
        if let Some(open) = sections.last_mut() {
            open.end.get_or_insert(pos);
        }
        let binary = header.kind == "DAT" && header.data_type.is_some_and(|t| t != DataType::Ascii);
        if binary {
            // Raw bytes follow the header line; line numbers after them mean little.
            let len = header.byte_count.unwrap_or(usize::MAX).min(bytes.len() - next);
            sections.push(Section { header, start: next, end: Some(next + len), first_line: line_no });
            pos = next + len;
        } else {
            sections.push(Section { header, start: next, end: None, first_line: line_no + 1 });
            pos = next;
        }
    }
    let find = |kind: &str| sections.iter().find(|s| s.header.kind == kind);
    let Some(cfg) = find("CFG") else {
        return Err(CaptureError::invalid(path, "no '--- file type: CFG ---' section"));
    };
    let Some(dat) = find("DAT") else {
        return Err(CaptureError::invalid(path, "no '--- file type: DAT ... ---' section"));
    };
    let content = |s: &Section| bytes.get(s.start..s.end.unwrap_or(bytes.len())).unwrap_or_default();
    Ok(CffParts {
        cfg: content(cfg),
        cfg_first_line: cfg.first_line,
        dat: content(dat),
        dat_type: dat.header.data_type,
        dat_line: dat.first_line,
    })
}
