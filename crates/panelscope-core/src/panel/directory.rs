//! The circuit directory for the panel door: CSV, and a printable SVG drawn like the panel
//! (two columns of spaces, phase colours, breakers spanning their spaces).

use std::fmt::Write;

use super::model::{BreakerKind, Layout, Phase, Project};

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// One row per circuit, spare and blank space, in space order.
pub fn directory_csv(project: &Project) -> String {
    let layout = project.layout();
    let mut out = String::from("slot,label,kind,poles,rating_a,phases,voltage_v,load_type,direction,channels,notes\n");
    let mut breakers: Vec<_> = project.breakers.iter().collect();
    breakers.sort_by_key(|b| b.space);
    for b in breakers {
        let phases: Vec<&str> = project.phases_of(b).iter().map(|p| p.name(layout)).collect();
        let rows: Vec<(String, String, String, String, String)> = if b.circuits.is_empty() {
            vec![(b.kind.as_str().to_string(), String::new(), String::new(), String::new(), String::new())]
        } else {
            b.circuits
                .iter()
                .map(|c| {
                    let channels: Vec<&str> =
                        c.sensors.iter().filter_map(|&s| project.position(s)).map(|p| p.channel.as_str()).collect();
                    let direction = match c.direction {
                        super::model::Direction::Load => "load",
                        super::model::Direction::Generation => "generation",
                    };
                    (c.label.clone(), c.load_type.clone(), direction.to_string(), channels.join(" "), c.notes.clone())
                })
                .collect()
        };
        for (label, load_type, direction, channels, notes) in rows {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                csv_field(&project.slot(b)),
                csv_field(&label),
                b.kind.as_str(),
                b.poles,
                b.rating_a,
                phases.join(" "),
                if b.kind == BreakerKind::Space { String::new() } else { project.circuit_voltage(b).to_string() },
                csv_field(&load_type),
                direction,
                csv_field(&channels),
                csv_field(&notes),
            );
        }
    }
    out
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Colours of the phases (the printed directory shows them as a bar beside each space).
fn phase_color(phase: Phase) -> &'static str {
    match phase {
        Phase::A => "#d62728",
        Phase::B => "#1f1f1f",
        Phase::C => "#1f77b4",
    }
}

/// A printable directory laid out like the panel: North American panels in two columns
/// (odd left, even right), DIN-rail boards in one; multi-pole breakers span their spaces.
pub fn directory_svg(project: &Project) -> String {
    let layout = project.layout();
    let spaces = project.panel.spaces.max(1);
    let (columns, rows) = match layout {
        Layout::NorthAmerican => (2, spaces.div_ceil(2)),
        Layout::DinRail => (1, spaces),
    };
    let (row_h, col_w, top, left) = (26.0, 300.0, 80.0, 20.0);
    let width = left * 2.0 + col_w * columns as f64 + 20.0 * (columns - 1) as f64;
    let height = top + row_h * rows as f64 + 40.0;
    let place = |space: u32| -> (f64, f64) {
        let (col, row) = match layout {
            Layout::NorthAmerican => ((space + 1) % 2, (space - 1) / 2),
            Layout::DinRail => (0, space - 1),
        };
        (left + col as f64 * (col_w + 20.0), top + row as f64 * row_h)
    };
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"##
    );
    let _ = writeln!(svg, r##"<rect width="100%" height="100%" fill="white"/>"##);
    let main = match project.panel.main {
        super::model::Main::Breaker { rating_a } => format!("main breaker {rating_a} A"),
        super::model::Main::Lugs { rating_a } => format!("main lugs {rating_a} A"),
    };
    let _ = writeln!(
        svg,
        r##"<text x="{left}" y="28" font-size="18" font-weight="bold">{}</text>"##,
        xml(&project.panel.name)
    );
    let _ = writeln!(
        svg,
        r##"<text x="{left}" y="50">{} · {} spaces · {}{}</text>"##,
        xml(project.panel.service.as_str()),
        spaces,
        xml(&main),
        if project.panel.fed_from.is_empty() {
            String::new()
        } else {
            format!(" · fed from {}", xml(&project.panel.fed_from))
        }
    );
    // Every space: its number and phase bar.
    for space in 1..=spaces {
        let (x, y) = place(space);
        let phase = project.phase_of(space);
        let _ = writeln!(
            svg,
            r##"<rect x="{x}" y="{y}" width="{col_w}" height="{row_h}" fill="none" stroke="#bbb"/><rect x="{x}" y="{y}" width="5" height="{row_h}" fill="{}"/><text x="{}" y="{}" fill="#555">{space}</text>"##,
            phase_color(phase),
            x + 10.0,
            y + 17.0
        );
    }
    // Breakers spanning their spaces.
    for b in &project.breakers {
        let spaces_of = project.spaces_of(b);
        let (Some(&first), Some(&last)) = (spaces_of.first(), spaces_of.last()) else { continue };
        if first == 0 || last > spaces {
            continue;
        }
        let (x, y0) = place(first);
        let (_, y1) = place(last);
        let h = match layout {
            Layout::NorthAmerican | Layout::DinRail => y1 - y0 + row_h,
        };
        let label = match b.kind {
            BreakerKind::Space => "(blank)".to_string(),
            BreakerKind::Spare => "spare".to_string(),
            _ => b.circuits.iter().map(|c| c.label.as_str()).collect::<Vec<_>>().join(" / "),
        };
        let rating =
            if b.kind == BreakerKind::Space { String::new() } else { format!("{}P {} A", b.poles, b.rating_a) };
        let fill = match b.kind {
            BreakerKind::Space => "#f4f4f4",
            BreakerKind::Spare => "#fbfbf0",
            _ => "#eef4fb",
        };
        let _ = writeln!(
            svg,
            r##"<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="{fill}" stroke="#333"/><text x="{}" y="{}">{}</text><text x="{}" y="{}" text-anchor="end" fill="#333">{}</text>"##,
            x + 34.0,
            y0 + 2.0,
            col_w - 38.0,
            h - 4.0,
            x + 42.0,
            y0 + 17.0,
            xml(&label),
            x + col_w - 10.0,
            y0 + 17.0,
            xml(&rating)
        );
    }
    let legend: Vec<String> = project
        .panel
        .service
        .phases()
        .iter()
        .map(|&p| format!(r##"<tspan fill="{}">■ {}</tspan>"##, phase_color(p), p.name(layout)))
        .collect();
    let _ = writeln!(svg, r##"<text x="{left}" y="{}">phases: {}</text>"##, height - 14.0, legend.join(" "));
    svg.push_str("</svg>\n");
    svg
}
