//! `panelscope panel ...`: schedule import, validation and export of panel projects.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};

use crate::panel::{
    Device, Project, Report, Service, directory_csv, directory_svg, export_device, import_schedule, write_atomic,
};

/// `panel import-schedule`: a schedule CSV to a project; prints the validation summary.
pub fn import(
    schedule: &Path,
    out: &Path,
    spaces: Option<u32>,
    service: &str,
    stdout: &mut impl Write,
) -> anyhow::Result<()> {
    let service = parse_service(service)?;
    let project = import_schedule(schedule, spaces, service)?;
    if out.extension().is_none_or(|e| e != "ron") {
        bail!("{}: a panel project is written as .ron", out.display());
    }
    project.save(out)?;
    let report = project.validate();
    writeln!(
        stdout,
        "{}: {} breakers on {} spaces; {} errors, {} warnings",
        out.display(),
        project.breakers.len(),
        project.panel.spaces,
        report.errors.len(),
        report.warnings.len()
    )?;
    Ok(())
}

fn parse_service(name: &str) -> anyhow::Result<Service> {
    Service::from_name(name).with_context(|| {
        let names: Vec<&str> = Service::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown service \"{name}\": one of {}", names.join(", "))
    })
}

/// `panel validate`: the findings as text or JSON; fails (exit 1) when there are errors.
pub fn validate(path: &Path, json: bool, stdout: &mut impl Write) -> anyhow::Result<()> {
    let project = Project::load(path)?;
    let report = project.validate();
    if json {
        serde_json::to_writer_pretty(&mut *stdout, &report)?;
        writeln!(stdout)?;
    } else {
        print_report(&report, stdout)?;
    }
    if !report.is_ok() {
        bail!("{}: {} errors", path.display(), report.errors.len());
    }
    Ok(())
}

fn print_report(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    for (what, findings) in [("error", &report.errors), ("warning", &report.warnings)] {
        for f in findings {
            let slot = f.slot.as_deref().map_or(String::new(), |s| format!(" [{s}]"));
            writeln!(out, "{what} {}{slot}: {}", f.code, f.message)?;
        }
    }
    writeln!(out, "{} errors, {} warnings", report.errors.len(), report.warnings.len())
}

/// What `panel export` writes.
pub enum PanelExport<'a> {
    InstallConfig(&'a Path),
    Directory(&'a Path),
    /// A monitor's configuration: the device name and the file.
    Device(&'a str, &'a Path),
}

/// `panel export`: the install configuration (JSON or RON, only without errors) or the
/// circuit directory (CSV or SVG). Findings that block the export are listed on `out`, as
/// `panel validate` lists them; the error itself is one line.
pub fn export(path: &Path, what: PanelExport<'_>, out_findings: &mut impl Write) -> anyhow::Result<()> {
    let project = Project::load(path)?;
    let extension = |p: &Path| p.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    match what {
        PanelExport::InstallConfig(out) => {
            let config = match project.install_config() {
                Ok(c) => c,
                Err(report) => {
                    print_report(&report, out_findings)?;
                    bail!(
                        "{}: {} errors: fix them before exporting the install configuration (first: {})",
                        path.display(),
                        report.errors.len(),
                        report.errors.first().map_or("", |f| f.message.as_str())
                    );
                }
            };
            let text = match extension(out).as_str() {
                "json" => config.to_json(),
                "ron" => config.to_ron(),
                _ => bail!("{}: the install configuration is written as .json or .ron", out.display()),
            };
            write_atomic(out, &text)?;
        }
        PanelExport::Device(name, out) => {
            let device = Device::from_name(name).with_context(|| {
                let known: Vec<&str> = Device::ALL.iter().map(|d| d.as_str()).collect();
                format!("unknown device \"{name}\": use one of {}", known.join(", "))
            })?;
            let text = match export_device(&project, device) {
                Ok(text) => text,
                Err(findings) => {
                    let report = Report { errors: findings, warnings: Vec::new() };
                    print_report(&report, out_findings)?;
                    bail!(
                        "{}: the {} would refuse this configuration (first: {}); nothing written",
                        path.display(),
                        device.label(),
                        report.errors.first().map_or("", |f| f.message.as_str())
                    );
                }
            };
            write_atomic(out, &text)?;
        }
        PanelExport::Directory(out) => {
            let text = match extension(out).as_str() {
                "csv" => directory_csv(&project),
                "svg" => directory_svg(&project),
                _ => bail!("{}: the directory is written as .csv or .svg", out.display()),
            };
            write_atomic(out, &text)?;
        }
    }
    Ok(())
}

/// `panel new`: an empty project from a template, or the bundled sample panel.
pub fn new(template: &str, out: &Path) -> anyhow::Result<()> {
    let project = crate::panel::template(template)
        .with_context(|| format!("unknown template \"{template}\": {}", crate::panel::template_names()))?;
    project.save(out)?;
    Ok(())
}

/// `panel verify`: the wiring checked against a capture; fails (exit 1) on any error.
pub fn verify(panel: &Path, capture: &Path, json: bool, stdout: &mut impl Write) -> anyhow::Result<()> {
    let (config, report) = crate::panel::load_config_or_project(panel)?;
    let checks = config.validate();
    if !checks.is_ok() {
        print_report(&checks, stdout)?;
        bail!("{}: the install configuration has {} errors", panel.display(), checks.errors.len());
    }
    let data = crate::capture::read(capture)?;
    let result = crate::panel::verify(&config, &data);
    if json {
        serde_json::to_writer_pretty(&mut *stdout, &result)?;
        writeln!(stdout)?;
    } else {
        write!(stdout, "{}", result.to_text())?;
        if let Some(report) = report.filter(|r| !r.is_ok()) {
            writeln!(
                stdout,
                "note: the project itself has {} validation errors (panel validate {})",
                report.errors.len(),
                panel.display()
            )?;
        }
    }
    if !result.is_ok() {
        bail!("{}: {} wiring errors against {}", panel.display(), result.errors(), capture.display());
    }
    Ok(())
}

/// `panel import-device`: a project from an IoTaWatt or ESPHome configuration; lists what
/// it had to guess.
pub fn import_device(file: &Path, out: &Path, stdout: &mut impl Write) -> anyhow::Result<()> {
    if out.extension().is_none_or(|e| e != "ron") {
        bail!("{}: a panel project is written as .ron", out.display());
    }
    let imported = crate::panel::import_device(file)?;
    imported.project.save(out)?;
    let p = &imported.project;
    writeln!(
        stdout,
        "{}: {} circuits, {} mains sensors, {} voltage references from the {}",
        out.display(),
        p.breakers.len(),
        p.mains.len(),
        p.voltage_refs.len(),
        imported.device.label()
    )?;
    for guess in &imported.guesses {
        writeln!(stdout, "guessed: {guess}")?;
    }
    Ok(())
}
