//! Panel schedule import: a CSV of `slot,label,poles,rating_a,kind` (more columns are kept
//! as the circuit's notes) becomes a project.
//!
//! Schedules as people write them import too:
//! - a byte-order mark, Windows-1252 text, `;` or tab separators (spreadsheets in many
//!   locales), quoted fields with commas or line breaks, blank lines;
//! - headers in any case and a few common names (`space`, `description`, `amps`, `type`);
//!   without a `kind` column every row is a breaker, or a space when it has no label and no
//!   rating;
//! - `20A`, `20 A`, `2P`, `2-pole`;
//! - a `space` or `spare` row with empty poles or rating;
//! - a tandem written as two rows on one slot (one row per circuit), or as slots `5A` and
//!   `5B`, or as one `tandem` row labelled `Bath / Hall`.

use std::path::Path;

use super::PanelError;
use super::model::{Breaker, BreakerKind, Circuit, Layout, Main, Project, Service};

/// The columns a schedule has, by what they mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Slot,
    Label,
    Poles,
    Rating,
    Kind,
}

impl Column {
    fn of(header: &str) -> Option<Self> {
        let h = header.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Some(match h.as_str() {
            "slot" | "space" | "spaces" | "position" | "circuit_no" | "circuit_number" | "no" | "#" | "ckt" => {
                Self::Slot
            }
            "label" | "description" | "name" | "load" | "circuit" | "circuit_description" => Self::Label,
            "poles" | "pole" | "p" => Self::Poles,
            "rating_a" | "rating" | "amps" | "amp" | "a" | "size" | "trip" | "breaker_a" => Self::Rating,
            "kind" | "type" | "breaker_type" => Self::Kind,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Slot => "slot",
            Self::Label => "label",
            Self::Poles => "poles",
            Self::Rating => "rating_a",
            Self::Kind => "kind",
        }
    }
}

/// The text of a schedule file: UTF-8 (a BOM dropped), else Windows-1252.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// The separator: the one of `,`, `;` and tab that splits the header into most fields.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    [b',', b';', b'\t'].into_iter().max_by_key(|&d| header.bytes().filter(|&b| b == d).count()).unwrap_or(b',')
}

/// A number with a unit or suffix people write: `20`, `20A`, `20 A`, `2P`, `2-pole`.
fn number(text: &str) -> Option<f64> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.trim_end_matches("amps").trim_end_matches("amp").trim_end_matches("-pole").trim_end_matches("pole");
    let t = t.trim_end_matches(['a', 'p']).trim().replace(',', ".");
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `7`, or `7A`/`7B` (the halves of a tandem in space 7).
fn slot_of(text: &str) -> Option<(u32, Option<char>)> {
    let t = text.trim();
    let (digits, half) = match t.chars().last() {
        Some(c @ ('A' | 'B' | 'a' | 'b')) => (&t[..t.len() - 1], Some(c.to_ascii_uppercase())),
        _ => (t, None),
    };
    let n: f64 = digits.trim().parse().ok()?;
    (n >= 1.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX)).then_some((n as u32, half))
}

/// One row, read.
struct Row {
    line: usize,
    slot: u32,
    half: Option<char>,
    poles: u8,
    kind: BreakerKind,
    rating_a: f64,
    label: String,
    notes: String,
}

/// Reads a schedule into a project for `service` with `spaces` spaces (default: the last
/// occupied space, rounded up to a whole row).
pub fn import_schedule(path: &Path, spaces: Option<u32>, service: Service) -> Result<Project, PanelError> {
    let bytes = std::fs::read(path).map_err(|e| PanelError::Io { path: path.to_path_buf(), source: e })?;
    let text = decode(&bytes);
    let bad = |line: usize, column: usize, message: String| PanelError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(&text))
        .flexible(true)
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let csv_error = |e: csv::Error| {
        let line = e.position().map_or(1, |p| p.line() as usize);
        bad(line, 1, format!("not CSV: {e}"))
    };
    // The header: the first row with any text.
    let (header_line, header) = loop {
        match records.next() {
            None => return Err(bad(1, 1, "empty file: expected the header slot,label,poles,rating_a,kind".into())),
            Some(Err(e)) => return Err(csv_error(e)),
            Some(Ok(r)) if r.iter().all(str::is_empty) => continue,
            Some(Ok(r)) => break (r.position().map_or(1, |p| p.line() as usize), r),
        }
    };
    let names: Vec<String> = header.iter().map(str::to_string).collect();
    let columns: Vec<Option<Column>> = names.iter().map(|h| Column::of(h)).collect();
    let find = |c: Column| columns.iter().position(|k| *k == Some(c));
    let missing: Vec<&str> = [Column::Slot, Column::Label, Column::Poles, Column::Rating]
        .into_iter()
        .filter(|&c| find(c).is_none())
        .map(Column::name)
        .collect();
    if !missing.is_empty() {
        return Err(bad(
            header_line,
            1,
            format!(
                "the header must name slot, label, poles and rating_a (kind is optional); {} missing in \"{}\"",
                missing.join(", "),
                names.join(",")
            ),
        ));
    }
    let (slot_c, label_c, poles_c, rating_c) = (
        find(Column::Slot).unwrap_or(0),
        find(Column::Label).unwrap_or(0),
        find(Column::Poles).unwrap_or(0),
        find(Column::Rating).unwrap_or(0),
    );
    let kind_c = find(Column::Kind);

    let mut rows: Vec<Row> = Vec::new();
    for record in records {
        let record = record.map_err(csv_error)?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.len() > names.len() && record.iter().skip(names.len()).any(|f| !f.is_empty()) {
            return Err(bad(line, names.len() + 1, format!("{} fields, the header has {}", record.len(), names.len())));
        }
        let field = |c: usize| record.get(c).unwrap_or("");
        let field_error = |c: usize, message: String| bad(line, c + 1, format!("field {}: {message}", names[c]));
        let (slot, half) = slot_of(field(slot_c)).ok_or_else(|| {
            field_error(
                slot_c,
                format!("\"{}\" is not a space number (1, 2, ... or 5A/5B for a tandem)", field(slot_c)),
            )
        })?;
        let label = field(label_c).to_string();
        let kind_text = kind_c.map(|c| field(c).to_ascii_lowercase()).unwrap_or_default();
        let rating_text = field(rating_c);
        let kind = if kind_text.is_empty() {
            if label.is_empty() && rating_text.is_empty() { BreakerKind::Space } else { BreakerKind::Breaker }
        } else {
            let k = kind_text.trim();
            match k {
                "blank" | "filler" | "empty" | "none" => BreakerKind::Space,
                _ => BreakerKind::from_name(k).ok_or_else(|| {
                    field_error(kind_c.unwrap_or(0), format!("\"{k}\": breaker, tandem, spare or space"))
                })?,
            }
        };
        let poles_text = field(poles_c);
        let poles = if poles_text.is_empty() {
            if matches!(kind, BreakerKind::Breaker) && !label.is_empty() {
                return Err(field_error(poles_c, "empty: 1, 2 or 3".into()));
            }
            1.0
        } else {
            number(poles_text).ok_or_else(|| field_error(poles_c, format!("\"{poles_text}\" is not a number")))?
        };
        if !(1.0..=3.0).contains(&poles) || poles.fract() != 0.0 {
            return Err(field_error(poles_c, format!("\"{poles_text}\": 1, 2 or 3")));
        }
        let rating_a = if rating_text.is_empty() {
            match kind {
                BreakerKind::Space | BreakerKind::Spare => 0.0,
                _ => return Err(field_error(rating_c, "empty: the breaker's trip rating in A".into())),
            }
        } else {
            number(rating_text)
                .filter(|r| *r >= 0.0)
                .ok_or_else(|| field_error(rating_c, format!("\"{rating_text}\" is not a rating in A")))?
        };
        let known = [Some(slot_c), Some(label_c), Some(poles_c), Some(rating_c), kind_c];
        let notes: Vec<String> = (0..names.len())
            .filter(|c| !known.contains(&Some(*c)) && !field(*c).is_empty())
            .map(|c| format!("{}: {}", names[c], field(c)))
            .collect();
        rows.push(Row { line, slot, half, poles: poles as u8, kind, rating_a, label, notes: notes.join("; ") });
    }

    let circuit = |label: &str, notes: &str| {
        let mut c = Circuit::new(label.trim());
        c.notes = notes.to_string();
        c
    };
    let mut breakers: Vec<Breaker> = Vec::new();
    // Where each slot's breaker is, with the line it came from.
    let mut at_slot: std::collections::HashMap<u32, (usize, usize)> = std::collections::HashMap::new();
    for row in rows {
        let one_circuit = matches!(row.kind, BreakerKind::Breaker | BreakerKind::Tandem) && row.poles == 1;
        if let Some(&(index, first_line)) = at_slot.get(&row.slot) {
            // A second row on a slot: the other half of a tandem.
            let b = &mut breakers[index];
            let mergeable = one_circuit
                && b.poles == 1
                && b.circuits.len() == 1
                && matches!(b.kind, BreakerKind::Breaker | BreakerKind::Tandem);
            if !mergeable {
                return Err(bad(
                    row.line,
                    slot_c + 1,
                    format!(
                        "field {}: space {} is already taken by line {first_line}; two rows on one space are read as a tandem only when both are one-pole breakers",
                        names[slot_c], row.slot
                    ),
                ));
            }
            b.kind = BreakerKind::Tandem;
            b.rating_a = b.rating_a.max(row.rating_a);
            let c = circuit(&row.label, &row.notes);
            if row.half == Some('A') {
                b.circuits.insert(0, c)
            } else {
                b.circuits.push(c)
            }
            continue;
        }
        let circuits = match row.kind {
            BreakerKind::Breaker => vec![circuit(&row.label, &row.notes)],
            BreakerKind::Tandem => {
                let mut halves = row.label.splitn(2, '/');
                let first = halves.next().unwrap_or_default();
                match halves.next() {
                    Some(second) => vec![circuit(first, &row.notes), circuit(second, &row.notes)],
                    None => vec![circuit(first, &row.notes)],
                }
            }
            BreakerKind::Spare | BreakerKind::Space => Vec::new(),
        };
        at_slot.insert(row.slot, (breakers.len(), row.line));
        breakers.push(Breaker { space: row.slot, poles: row.poles, kind: row.kind, rating_a: row.rating_a, circuits });
    }
    // A `tandem` row that named one circuit and got no second row: keep it, with an empty
    // second circuit for the editor to fill (validation names it).
    for b in &mut breakers {
        if b.kind == BreakerKind::Tandem && b.circuits.len() == 1 {
            b.circuits.push(Circuit::new(""));
        }
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "panel".into());
    let mut project = Project::new(stem, service, 0, Main::Breaker { rating_a: 200.0 });
    let last = breakers.iter().flat_map(|b| project.spaces_of(b)).max().unwrap_or(2);
    project.panel.spaces = spaces.unwrap_or(match project.layout() {
        Layout::NorthAmerican => last.div_ceil(2) * 2,
        Layout::DinRail => last,
    });
    project.breakers = breakers;
    Ok(project)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(text: &[u8]) -> Result<Project, PanelError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("schedule.csv");
        std::fs::write(&path, text).unwrap();
        import_schedule(&path, None, Service::SplitPhase120_240)
    }

    #[test]
    fn reads_quotes_bom_semicolons_and_units() {
        let p = import(b"\xEF\xBB\xBFSlot;Description;Poles;Amps;Type\r\n1;\"Kitchen; north\";1;20A;breaker\r\n2;\"say \"\"hi\"\"\";2P;30 A;Breaker\r\n").unwrap();
        assert_eq!(p.breakers[0].circuits[0].label, "Kitchen; north");
        assert_eq!(p.breakers[0].rating_a, 20.0);
        assert_eq!(p.breakers[1].circuits[0].label, "say \"hi\"");
        assert_eq!(p.breakers[1].poles, 2);
        // Windows-1252 from a spreadsheet.
        let p = import(b"slot,label,poles,rating_a\n1,Caf\xe9,1,15\n").unwrap();
        assert_eq!(p.breakers[0].circuits[0].label, "Caf\u{e9}");
    }

    #[test]
    fn spaces_spares_and_tandems_as_people_write_them() {
        let p = import(
            b"slot,label,poles,rating_a,kind,notes\n\
              1,Range,2,40,breaker,\n\
              2,Bath,1,15,tandem,GFCI\n\
              2,Hall,1,15,tandem,\n\
              4,,,,space,\n\
              6,,1,,spare,\n\
              7A,Porch,1,15,,\n\
              7B,Garage,1,20,,\n\
              8,\"Dining / Living\",1,15,tandem,\n\
              \n\
              9,,,,,\n",
        )
        .unwrap();
        let kinds: Vec<_> = p.breakers.iter().map(|b| (b.space, b.kind, b.circuits.len())).collect();
        assert_eq!(
            kinds,
            [
                (1, BreakerKind::Breaker, 1),
                (2, BreakerKind::Tandem, 2),
                (4, BreakerKind::Space, 0),
                (6, BreakerKind::Spare, 0),
                (7, BreakerKind::Tandem, 2),
                (8, BreakerKind::Tandem, 2),
                (9, BreakerKind::Space, 0),
            ]
        );
        assert_eq!(p.breakers[1].circuits[0].notes, "notes: GFCI");
        assert_eq!(p.breakers[4].circuits[1].label, "Garage");
        assert_eq!(p.breakers[4].rating_a, 20.0);
        let report = p.validate();
        assert!(!report.codes().contains(&"space-conflict"), "{report:?}");
    }

    #[test]
    fn errors_name_line_and_field() {
        let e =
            import(b"slot,label,poles,rating_a,kind\n1,A,1,20,breaker\n3,B,1,lots,breaker\n").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("rating_a") && e.contains("lots"), "{e}");
        let e =
            import(b"slot,label,poles,rating_a,kind\n1,A,2,20,breaker\n1,B,1,20,breaker\n").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("already taken by line 2"), "{e}");
        let e = import(b"slot,label,poles\n1,A,1\n").unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("rating_a"), "{e}");
        let e = import(b"slot,label,poles,rating_a\n1,\"open,1,20\n").unwrap_err().to_string();
        assert!(e.contains("line"), "{e}");
        let e = import(b"slot,label,poles,rating_a,kind\nx,A,1,20,breaker\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("field slot"), "{e}");
    }
}
