//! The `panelscope` command line: argument parsing only; the work is in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use panelscope::analysis::events::DetectOptions;
use panelscope::cli;
use panelscope::cli::events::EventsFormat;
use panelscope::generate::{GenerateOptions, Service};

/// Explore high-rate current and voltage captures; lay out breaker panels.
#[derive(Debug, Parser)]
#[command(name = "panelscope", version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum BatchCommand {
    /// Events only in A, only in B and in both, per capture and kind.
    Compare {
        a: PathBuf,
        b: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Use only A's rows of this version (a folder that holds several).
        #[arg(long)]
        a_version: Option<String>,
        /// Use only B's rows of this version.
        #[arg(long)]
        b_version: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum PanelCommand {
    /// Read a panel schedule CSV (slot,label,poles,rating_a,kind) into a project.
    ImportSchedule {
        schedule: PathBuf,
        /// The project to write (.ron).
        #[arg(long)]
        out: PathBuf,
        /// Spaces in the panel (default: the last one used, to a whole row).
        #[arg(long)]
        spaces: Option<u32>,
        /// split-phase-120-240, 208y-120, 480y-277, high-leg-delta-120-240,
        /// single-phase-230 or three-phase-400-230.
        #[arg(long, default_value = "split-phase-120-240")]
        service: String,
    },
    /// Check a project; exit 1 when it has errors.
    Validate {
        panel: PathBuf,
        /// Print {"errors": [...], "warnings": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Export the install configuration (.json or .ron), the circuit directory (.csv or
    /// .svg), or a monitor's configuration (--device iotawatt|emporia-vue2|emporia-vue3 --out FILE).
    #[command(group = clap::ArgGroup::new("what").required(true))]
    Export {
        panel: PathBuf,
        #[arg(long, group = "what")]
        install_config: Option<PathBuf>,
        #[arg(long, group = "what")]
        directory: Option<PathBuf>,
        /// The monitor: iotawatt (config.txt), emporia-vue2 or emporia-vue3 (ESPHome YAML).
        #[arg(long, group = "what", requires = "out", value_parser = clap::builder::PossibleValuesParser::new(panelscope::panel::Device::ALL.map(|d| d.as_str())))]
        device: Option<String>,
        /// Where the device configuration goes.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Build a project from a monitor's configuration: an IoTaWatt config.txt or an ESPHome
    /// YAML for an Emporia Vue. What had to be guessed is listed.
    ImportDevice {
        file: PathBuf,
        /// The project to write (.ron).
        #[arg(long)]
        out: PathBuf,
    },
    /// Check the wiring against a capture of a few seconds: reversed sensors, wrong phases,
    /// one-leg loads, dead or clipped sensors, over-rating, missing channels, unsensed load.
    /// Exit 1 when a finding is an error.
    Verify {
        /// A panel project (.ron) or an install configuration (.json or .ron).
        panel: PathBuf,
        /// The capture (.csv, .parquet, .cfg).
        capture: PathBuf,
        /// Print {"findings": [...], "circuits": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Start a project from a template, or the bundled sample panel (sample).
    New {
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(panelscope::panel::TEMPLATES.map(|t| t.name)))]
        template: String,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum RemoteCommand {
    /// List the captures and panels a server holds.
    List {
        /// The server, e.g. http://127.0.0.1:7878.
        url: String,
        /// A file whose first token is sent as Authorization: Bearer.
        #[arg(long)]
        token_file: Option<PathBuf>,
        /// Print {"captures": [...], "panels": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Download a capture (a COMTRADE pair as OUT and its .dat).
    Get {
        url: String,
        /// The capture's id (from `remote list`).
        id: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        token_file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open the GUI with these captures (.csv .parquet .cfg .cff) and panel projects (.ron).
    Open {
        /// Capture files (.csv, .parquet, .cfg/.dat, .cff) and panel projects (.ron).
        files: Vec<PathBuf>,
    },
    /// Describe a capture: format, rate, duration, channels.
    Info {
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Add min, max, mean and RMS of every analog channel.
        #[arg(long)]
        stats: bool,
    },
    /// Convert a capture; the format follows OUT's extension (.csv .parquet .cfg .cff).
    Convert { input: PathBuf, output: PathBuf },
    /// Export a window and some channels, optionally decimated keeping every extreme.
    Export {
        input: PathBuf,
        /// Output file; the format follows its extension.
        #[arg(long)]
        out: PathBuf,
        /// Start of the window, seconds from the first sample.
        #[arg(long, allow_negative_numbers = true)]
        from: Option<f64>,
        /// End of the window, seconds from the first sample.
        #[arg(long, allow_negative_numbers = true)]
        to: Option<f64>,
        /// Comma-separated channel names (default: all).
        #[arg(long, value_delimiter = ',')]
        channels: Vec<String>,
        /// At most N points per channel: min and max of N/2 equal time buckets.
        #[arg(long)]
        max_points: Option<usize>,
    },
    /// Detect events: loads switching, sags, swells, interruptions, transients.
    Events {
        input: PathBuf,
        /// Print JSON (events, frequency, references, warnings).
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV, one row per event.
        #[arg(long)]
        csv: bool,
        /// An install configuration (.json or .ron): JSON events name their circuit and phase.
        #[arg(long)]
        config: Option<PathBuf>,
        #[command(flatten)]
        thresholds: Thresholds,
    },
    /// Measure a window: RMS, mean, min, max, frequency, THD; P, Q, S, PF per pair; phasors.
    Measure {
        input: PathBuf,
        /// Start of the window, seconds from the first sample.
        #[arg(long, allow_negative_numbers = true)]
        from: Option<f64>,
        /// End of the window, seconds from the first sample.
        #[arg(long, allow_negative_numbers = true)]
        to: Option<f64>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// An install configuration (.json or .ron): pair each current with its phase's voltage.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Panel projects: import a schedule, validate, export the install configuration or
    /// the circuit directory.
    #[command(subcommand)]
    Panel(PanelCommand),
    /// Publish a directory of captures and panel projects over HTTP (the API in README).
    Serve {
        dir: PathBuf,
        /// Address to listen on; without --token-file only loopback is allowed.
        #[arg(long, default_value = panelscope::api::DEFAULT_ADDR)]
        addr: String,
        /// Bearer tokens, one per line: needed for every request, and for any write.
        #[arg(long)]
        token_file: Option<PathBuf>,
        /// Megabytes of captures (samples and pyramids) kept in memory.
        #[arg(long, default_value_t = 4096)]
        cache_mb: usize,
    },
    /// Analyse every capture under the inputs into a Parquet dataset (captures, events),
    /// once per content and version; `batch compare A B` sets two datasets side by side.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Batch {
        #[command(subcommand)]
        compare: Option<BatchCommand>,
        /// Capture files, or folders searched recursively.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The dataset folder (created; a second run skips what is done).
        #[arg(long, required = true)]
        out: Option<PathBuf>,
        /// Captures analysed at once [default: the number of cores].
        #[arg(long)]
        jobs: Option<usize>,
        /// Exit 1 when any capture is an error row.
        #[arg(long)]
        strict: bool,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
        #[command(flatten)]
        thresholds: Thresholds,
    },
    /// Talk to a `panelscope serve`: list what it holds, download a capture.
    #[command(subcommand)]
    Remote(RemoteCommand),
    /// Generate a realistic sample capture with planted events (ground truth beside it).
    Generate {
        /// Output capture file (.parquet, .csv, .cfg, .cff).
        out: PathBuf,
        /// Service: split-phase-120-240 or three-phase-400-230.
        #[arg(long, default_value = "split-phase-120-240")]
        service: String,
        /// Length in seconds.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Sample rate in Hz.
        #[arg(long, default_value_t = 4000.0)]
        rate: f64,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Sensor noise as a fraction of each channel's nominal RMS (0.003 is three times
        /// the default).
        #[arg(long, default_value_t = 0.001)]
        noise: f64,
        /// Add what real panels do: small loads of tens of watts, a motor whose load
        /// fluctuates, interruptions, loads switching within a cycle of each other.
        #[arg(long)]
        hard_cases: bool,
    },
}

/// Event detection thresholds (defaults suit 50 and 60 Hz systems).
#[derive(Debug, clap::Args)]
struct Thresholds {
    /// Line frequency in Hz (default: measured from the voltages, else the currents).
    #[arg(long)]
    frequency_hz: Option<f64>,
    /// Reference (1 pu) RMS voltage for every voltage channel, in its unit (default: its
    /// median one-cycle RMS, rounded to a standard voltage within 5%).
    #[arg(long)]
    nominal_v: Option<f64>,
    /// Sag threshold, per unit.
    #[arg(long, default_value_t = 0.9)]
    sag_pu: f64,
    /// Swell threshold, per unit.
    #[arg(long, default_value_t = 1.1)]
    swell_pu: f64,
    /// Interruption threshold, per unit.
    #[arg(long, default_value_t = 0.1)]
    interruption_pu: f64,
    /// Hysteresis for the end of a voltage event, per unit.
    #[arg(long, default_value_t = 0.02)]
    hysteresis_pu: f64,
    /// Smallest load step on a current channel, in A [default: from each channel's noise
    /// floor and resolution].
    #[arg(long)]
    min_step_a: Option<f64>,
    /// Smallest load step on a power channel, in W [default: from each channel's noise
    /// floor and resolution].
    #[arg(long)]
    min_step_w: Option<f64>,
    /// Cycles a level must hold to be steady.
    #[arg(long, default_value_t = 3.0)]
    steady_cycles: f64,
    /// Transient threshold: departure from the previous cycle as a fraction of the peak.
    #[arg(long, default_value_t = 0.2)]
    transient_pu: f64,
    /// Longest transient, in ms (longer departures are changes of level).
    #[arg(long, default_value_t = 10.0)]
    transient_max_ms: f64,
}

impl Thresholds {
    fn options(&self) -> DetectOptions {
        DetectOptions {
            frequency_hz: self.frequency_hz,
            nominal_v: self.nominal_v,
            sag_pu: self.sag_pu,
            swell_pu: self.swell_pu,
            interruption_pu: self.interruption_pu,
            hysteresis_pu: self.hysteresis_pu,
            min_step_a: self.min_step_a,
            min_step_w: self.min_step_w,
            steady_cycles: self.steady_cycles,
            transient_pu: self.transient_pu,
            transient_max_s: self.transient_max_ms / 1000.0,
        }
    }
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() { ExitCode::FAILURE } else { ExitCode::SUCCESS };
        }
    };
    let result = match args.command {
        None => panelscope::app::run(Vec::new()),
        Some(Command::Open { files }) => panelscope::app::run(files),
        Some(Command::Info { file, json, stats }) => cli::info(&file, json, stats, &mut std::io::stdout().lock()),
        Some(Command::Convert { input, output }) => cli::convert(&input, &output),
        Some(Command::Export { input, out, from, to, channels, max_points }) => {
            cli::export(&input, &out, &cli::ExportOptions { from_s: from, to_s: to, channels, max_points })
        }
        Some(Command::Events { input, json, csv, config, thresholds }) => {
            let format = match (json, csv) {
                (true, _) => EventsFormat::Json,
                (_, true) => EventsFormat::Csv,
                _ => EventsFormat::Text,
            };
            cli::events::events(&input, &thresholds.options(), format, config.as_deref(), &mut std::io::stdout().lock())
        }
        Some(Command::Measure { input, from, to, json, config }) => {
            cli::measure::measure(&input, from, to, json, config.as_deref(), &mut std::io::stdout().lock())
        }
        Some(Command::Panel(command)) => panel(command),
        Some(Command::Serve { dir, addr, token_file, cache_mb }) => {
            cli::remote::serve(&cli::remote::ServeOptions { dir, addr, token_file, cache_mb })
        }
        Some(Command::Remote(RemoteCommand::List { url, token_file, json })) => {
            cli::remote::list(&url, token_file.as_deref(), json, &mut std::io::stdout().lock())
        }
        Some(Command::Remote(RemoteCommand::Get { url, id, out, token_file })) => {
            cli::remote::get(&url, &id, &out, token_file.as_deref(), false).map(|written| {
                for path in written {
                    println!("wrote {}", path.display());
                }
            })
        }
        Some(Command::Batch { compare: Some(BatchCommand::Compare { a, b, json, a_version, b_version }), .. }) => {
            cli::batch::compare_command(
                &a,
                &b,
                a_version.as_deref(),
                b_version.as_deref(),
                json,
                &mut std::io::stdout().lock(),
            )
        }
        Some(Command::Batch { compare: None, inputs, out, jobs, strict, quiet, thresholds }) => {
            batch(inputs, out, jobs, strict, quiet, &thresholds)
        }
        Some(Command::Generate { out, service, seconds, rate, seed, noise, hard_cases }) => {
            let options = GenerateOptions {
                sample_rate_hz: rate,
                duration_s: seconds,
                seed,
                noise_fraction: noise,
                hard_cases,
                ..Default::default()
            };
            generate(out, &service, options)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stops early (`| head`) is not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", panelscope::format::escape_control(&error_chain(&err)));
            ExitCode::FAILURE
        }
    }
}

fn generate(out: PathBuf, service: &str, mut options: GenerateOptions) -> anyhow::Result<()> {
    let Some(service) = Service::from_name(service) else {
        anyhow::bail!("unknown service '{service}': expected split-phase-120-240 or three-phase-400-230");
    };
    options.service = service;
    let (seconds, rate, noise) = (options.duration_s, options.sample_rate_hz, options.noise_fraction);
    if !(seconds > 0.0 && seconds <= 3600.0) {
        anyhow::bail!("--seconds {seconds} must be between 0 and 3600");
    }
    if !(100.0..=1_000_000.0).contains(&rate) {
        anyhow::bail!("--rate {rate} must be between 100 Hz and 1 MHz");
    }
    if !(0.0..=0.1).contains(&noise) {
        anyhow::bail!("--noise {noise} must be between 0 and 0.1");
    }
    let truth = cli::generate(&out, &options)?;
    println!("wrote {} and {}", out.display(), truth.display());
    Ok(())
}

fn batch(
    inputs: Vec<PathBuf>,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    strict: bool,
    quiet: bool,
    thresholds: &Thresholds,
) -> anyhow::Result<()> {
    let Some(out) = out else { anyhow::bail!("give --out DIR") };
    cli::batch::check_jobs(jobs)?;
    let detect = thresholds.options();
    detect.validate()?;
    let run = cli::batch::BatchRun {
        inputs,
        out: out.clone(),
        jobs,
        strict,
        options: panelscope::batch::BatchOptions { detect },
        progress: !quiet,
    };
    let summary = cli::batch::batch(&run)?;
    cli::batch::write_summary(&summary, &out, &mut std::io::stderr().lock())?;
    if strict && summary.errors > 0 {
        anyhow::bail!(
            "{} captures could not be analysed (--strict); their rows in {} say why",
            summary.errors,
            out.display()
        );
    }
    Ok(())
}

/// True when the error is a write to a closed pipe (directly or through serde_json).
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind)
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line, skipping a cause the message already quotes.
fn error_chain(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}

fn panel(command: PanelCommand) -> anyhow::Result<()> {
    use panelscope::cli::panel::{self, PanelExport};
    match command {
        PanelCommand::ImportSchedule { schedule, out, spaces, service } => {
            panel::import(&schedule, &out, spaces, &service, &mut std::io::stdout().lock())
        }
        PanelCommand::Validate { panel: path, json } => panel::validate(&path, json, &mut std::io::stdout().lock()),
        PanelCommand::Export { panel: path, install_config, directory, device, out } => {
            let what = match (&install_config, &directory, &device, &out) {
                (Some(out), ..) => PanelExport::InstallConfig(out),
                (_, Some(out), ..) => PanelExport::Directory(out),
                (_, _, Some(device), Some(out)) => PanelExport::Device(device, out),
                _ => anyhow::bail!("give --install-config OUT, --directory OUT or --device DEVICE --out FILE"),
            };
            panel::export(&path, what, &mut std::io::stdout().lock())
        }
        PanelCommand::ImportDevice { file, out } => panel::import_device(&file, &out, &mut std::io::stdout().lock()),
        PanelCommand::Verify { panel: path, capture, json } => {
            panel::verify(&path, &capture, json, &mut std::io::stdout().lock())
        }
        PanelCommand::New { template, out } => panel::new(&template, &out),
    }
}
