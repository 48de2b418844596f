//! Events as CSV: the columns of `panelscope events --csv`, shared by the CLI and the
//! explorer's event export.

use std::io::Write;

use super::Event;

/// Header of the CSV output.
pub const CSV_HEADER: &str = "kind,channel,start_s,end_s,magnitude,unit,magnitude_pu,duration_s,level_before,\
level_after,inrush_peak,inrush_duration_s,peak_deviation,note";

/// The events as CSV, one row each, empty cells for fields that do not apply.
pub fn write_csv(events: &[Event], out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    let num = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    for e in events {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            e.kind.as_str(),
            csv_field(&e.channel),
            e.start_s,
            num(e.end_s),
            e.magnitude,
            csv_field(&e.unit),
            num(e.magnitude_pu),
            num(e.duration_s),
            num(e.level_before),
            num(e.level_after),
            num(e.inrush_peak),
            num(e.inrush_duration_s),
            num(e.peak_deviation),
            csv_field(&e.note),
        )?;
    }
    Ok(())
}

/// A CSV cell, quoted when it holds a comma, quote or line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
