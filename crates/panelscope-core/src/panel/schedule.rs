//! Panel schedule import: a CSV of `slot,label,poles,rating_a,kind` (more columns are kept
//! as the circuit's notes) becomes a project.

use std::path::Path;

use super::PanelError;
use super::model::{Breaker, BreakerKind, Circuit, Main, Project, Service};

/// Splits one CSV line into fields (double quotes group, `""` is a quote).
fn fields(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (',', false) => out.push(std::mem::take(&mut field).trim().to_string()),
            _ => field.push(c),
        }
    }
    if quoted {
        return Err("a quote is not closed".into());
    }
    out.push(field.trim().to_string());
    Ok(out)
}

/// Reads a schedule into a project for `service` with `spaces` spaces (default: the last
/// occupied space, rounded up to a whole row).
pub fn import_schedule(path: &Path, spaces: Option<u32>, service: Service) -> Result<Project, PanelError> {
    let text = std::fs::read_to_string(path).map_err(|e| PanelError::Io { path: path.to_path_buf(), source: e })?;
    let bad = |line: usize, column: usize, message: String| PanelError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let mut lines = text.trim_start_matches('\u{feff}').lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((header_at, header)) = lines.next() else {
        return Err(bad(1, 1, "empty file: expected the header slot,label,poles,rating_a,kind".into()));
    };
    let header: Vec<String> =
        fields(header).map_err(|m| bad(header_at + 1, 1, m))?.iter().map(|h| h.to_lowercase()).collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(slot_c), Some(label_c), Some(poles_c), Some(rating_c), Some(kind_c)) =
        (column("slot"), column("label"), column("poles"), column("rating_a"), column("kind"))
    else {
        return Err(bad(
            header_at + 1,
            1,
            format!("the header must name slot, label, poles, rating_a and kind; found {}", header.join(",")),
        ));
    };
    let known = [slot_c, label_c, poles_c, rating_c, kind_c];
    let mut breakers = Vec::new();
    for (at, line) in lines {
        let n = at + 1;
        let row = fields(line).map_err(|m| bad(n, 1, m))?;
        if row.len() != header.len() {
            return Err(bad(n, 1, format!("{} fields, the header has {}", row.len(), header.len())));
        }
        let number = |c: usize, what: &str| -> Result<f64, PanelError> {
            row[c]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(n, c + 1, format!("{what} \"{}\" is not a number", row[c])))
        };
        let slot = number(slot_c, "slot")?;
        if slot < 1.0 || slot.fract() != 0.0 {
            return Err(bad(n, slot_c + 1, format!("slot \"{}\" is not a space number (1, 2, ...)", row[slot_c])));
        }
        let poles = number(poles_c, "poles")?;
        if !(1.0..=3.0).contains(&poles) || poles.fract() != 0.0 {
            return Err(bad(n, poles_c + 1, format!("poles \"{}\": 1, 2 or 3", row[poles_c])));
        }
        let kind = BreakerKind::from_name(&row[kind_c].to_lowercase())
            .ok_or_else(|| bad(n, kind_c + 1, format!("kind \"{}\": breaker, tandem, spare or space", row[kind_c])))?;
        let rating_a =
            if row[rating_c].is_empty() && kind == BreakerKind::Space { 0.0 } else { number(rating_c, "rating_a")? };
        let notes: Vec<String> = (0..header.len())
            .filter(|c| !known.contains(c) && !row[*c].is_empty())
            .map(|c| format!("{}: {}", header[c], row[c]))
            .collect();
        let circuit = |label: &str| {
            let mut c = Circuit::new(label.trim());
            c.notes = notes.join("; ");
            c
        };
        let label = &row[label_c];
        let circuits = match kind {
            BreakerKind::Breaker => vec![circuit(label)],
            BreakerKind::Tandem => {
                let mut halves = label.splitn(2, '/');
                vec![circuit(halves.next().unwrap_or_default()), circuit(halves.next().unwrap_or_default())]
            }
            BreakerKind::Spare | BreakerKind::Space => Vec::new(),
        };
        breakers.push(Breaker { space: slot as u32, poles: poles as u8, kind, rating_a, circuits });
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "panel".into());
    let mut project = Project::new(stem, service, 0, Main::Breaker { rating_a: 200.0 });
    let last = breakers.iter().flat_map(|b| project.spaces_of(b)).max().unwrap_or(2);
    project.panel.spaces = spaces.unwrap_or(match project.layout() {
        super::model::Layout::NorthAmerican => last.div_ceil(2) * 2,
        super::model::Layout::DinRail => last,
    });
    project.breakers = breakers;
    Ok(project)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_fields() {
        assert_eq!(
            fields(r#"1,"Kitchen, north",1,20,breaker"#).unwrap(),
            ["1", "Kitchen, north", "1", "20", "breaker"]
        );
        assert_eq!(fields(r#"2,"say ""hi""",1,15,breaker"#).unwrap()[1], r#"say "hi""#);
        assert!(fields(r#"1,"open,1"#).is_err());
    }
}
