//! Sags, swells and interruptions per IEEE 1159, on the one-cycle RMS refreshed every half
//! cycle, with hysteresis on the way out.

use super::{DetectOptions, Event, EventKind, VoltageReference, locate_edge, median};
use crate::analysis::cycles::{HalfCycleSeries, HalfCycles, cycle_rms_from};
use crate::capture::Channel;

/// Where a standard voltage is used: the 50 Hz (IEC 60038) systems, the 60 Hz (North
/// American, ANSI C84.1) ones, or both.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Region {
    Both,
    Hz50,
    Hz60,
}

/// Standard nominal RMS voltages in volts, line to neutral and line to line: low voltage
/// and the usual VT secondaries, distribution and transmission levels, each with the
/// systems that use it. A channel's level is rounded to the closest within 5% among those
/// of its line frequency (a 60 Hz feeder at 33.4 kV is a 34.5 kV one, not an IEC 33 kV
/// one), or among all when the frequency is no standard one.
const STANDARD_V: [(f64, Region); 62] = {
    use Region::{Both, Hz50, Hz60};
    [
        (57.7, Hz50),
        (63.5, Both),
        (66.4, Hz60),
        (69.3, Hz60),
        (100.0, Hz50),
        (110.0, Both),
        (115.0, Both),
        (120.0, Hz60),
        (127.0, Hz60),
        (208.0, Hz60),
        (220.0, Both),
        (230.0, Both),
        (240.0, Both),
        (277.0, Hz60),
        (347.0, Hz60),
        (380.0, Both),
        (400.0, Hz50),
        (415.0, Hz50),
        (480.0, Hz60),
        (600.0, Hz60),
        (690.0, Hz50),
        (2400.0, Hz60),
        (3464.0, Hz50),
        (4160.0, Hz60),
        (5774.0, Hz50),
        (6000.0, Hz50),
        (6351.0, Hz50),
        (6600.0, Hz50),
        (7200.0, Hz60),
        (7621.0, Hz60),
        (7967.0, Hz60),
        (10_000.0, Hz50),
        (11_000.0, Hz50),
        (11_547.0, Hz50),
        (12_470.0, Hz60),
        (12_702.0, Hz50),
        (13_200.0, Hz60),
        (13_800.0, Hz60),
        (14_400.0, Hz60),
        (19_053.0, Hz50),
        (19_919.0, Hz60),
        (20_000.0, Hz50),
        (22_000.0, Hz50),
        (24_940.0, Hz60),
        (33_000.0, Hz50),
        (34_500.0, Hz60),
        (39_837.0, Hz60),
        (63_509.0, Hz50),
        (66_395.0, Hz60),
        (69_000.0, Hz60),
        (79_674.0, Hz60),
        (115_000.0, Hz60),
        (127_017.0, Both),
        (132_791.0, Both),
        (138_000.0, Hz60),
        (199_186.0, Both),
        (220_000.0, Both),
        (230_000.0, Both),
        (230_940.0, Both),
        (288_675.0, Both),
        (400_000.0, Both),
        (500_000.0, Both),
    ]
};

/// The standard nominal voltage within 5% of `level` in `unit` (`V` or `kV`) of a system
/// at `nominal_frequency_hz` (50, 60, or `None` for any).
fn standard_nominal(level: f64, unit: &str, nominal_frequency_hz: Option<f64>) -> Option<f64> {
    let scale = match unit.trim() {
        "V" => 1.0,
        "kV" | "KV" => 1000.0,
        _ => return None,
    };
    let volts = level * scale;
    let used = |region: Region| match (region, nominal_frequency_hz) {
        (Region::Hz50, Some(f)) => f == 50.0,
        (Region::Hz60, Some(f)) => f == 60.0,
        _ => true,
    };
    STANDARD_V
        .iter()
        .filter(|(_, region)| used(*region))
        .map(|(n, _)| *n)
        .min_by(|a, b| (a - volts).abs().total_cmp(&(b - volts).abs()))
        .filter(|n| (n - volts).abs() <= 0.05 * n)
        .map(|n| n / scale)
}

/// A step in a voltage's RMS at an event's start or end: the load detector uses it to tell
/// currents that merely follow the voltage from loads switching.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct VoltageEdge {
    pub t_s: f64,
    /// RMS after over RMS before.
    pub ratio: f64,
    pub channel: String,
    /// What the voltage did, in words.
    pub what: String,
    /// The voltage event this edge starts or ends (`None` for a step in its level).
    pub event: Option<EventKind>,
    /// Whether it is the event's start (else its end).
    pub starts: bool,
}

/// Events of one voltage channel and their edges.
pub(super) struct Found {
    pub events: Vec<Event>,
    pub edges: Vec<VoltageEdge>,
}

/// A voltage channel's own level, before it is compared with the others of its supply.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Level {
    pub channel: String,
    pub unit: String,
    /// RMS, in the channel's unit.
    pub level: f64,
    /// Where it was taken: `given`, `pre-trigger`, `first cycles`, `first cycle` or `median`.
    pub source: &'static str,
}

/// The channel's level: given; else its median one-cycle RMS before the trigger (a fault
/// record's pre-fault level) when the capture has at least three cycles before its trigger;
/// else over the whole capture, unless most of the capture is dead or deep in a dip (the
/// median under half the first cycles' level), where the first cycles tell, or the first
/// cycle alone when only it is at a standard voltage (a disturbance that starts within a
/// short record's first cycles). `None` for a
/// flat, zero or missing channel.
pub(super) fn level(
    channel: &Channel,
    series: &HalfCycleSeries,
    grid: &HalfCycles,
    trigger_s: Option<f64>,
    nominal_frequency_hz: Option<f64>,
    options: &DetectOptions,
) -> Option<Level> {
    let make = |level: f64, source| Level { channel: channel.name.clone(), unit: channel.unit.clone(), level, source };
    if let Some(v) = options.nominal_v {
        return Some(make(v, "given"));
    }
    let trend = cycle_rms_from(series, grid);
    let levels = |n: usize| median(trend.values[..n.min(trend.values.len())].iter().map(|&v| f64::from(v)));
    let cycle_s = grid.period_samples / grid.sample_rate_hz;
    // Trend value k covers the cycle ending at first_s + k * step_s.
    let ending_before = |t: f64| ((t - trend.first_s) / trend.step_s).floor().max(-1.0) as i64 + 1;
    if let Some(t) = trigger_s.filter(|&t| t >= 3.0 * cycle_s)
        && let Some(m) = levels(ending_before(t - 0.5 * cycle_s).max(0) as usize).filter(|m| *m > 0.0)
    {
        return Some(make(m, "pre-trigger"));
    }
    let whole = levels(usize::MAX).filter(|m| m.is_finite()).unwrap_or(0.0);
    let first = levels(FIRST_STEPS).filter(|m| m.is_finite()).unwrap_or(0.0);
    // Most of the record dead or deep in a dip; or spent mostly disturbed, where its first
    // cycles still show the standard voltage it runs at.
    let standard = |v: f64| standard_nominal(v, &channel.unit, nominal_frequency_hz).is_some();
    if first > 0.0 && (whole < 0.5 * first || (!standard(whole) && standard(first))) {
        return Some(make(first, "first cycles"));
    }
    // A short triggered record whose disturbance starts within its first cycles: its first
    // cycle is the level before it.
    let opening = levels(OPENING_STEPS).filter(|m| m.is_finite()).unwrap_or(0.0);
    if opening > 0.0 && !standard(whole) && !standard(first) && standard(opening) {
        return Some(make(opening, "first cycle"));
    }
    (whole > 0.0).then(|| make(whole, "median"))
}

/// One-cycle RMS values (refreshed every half cycle) that make up a record's first cycles.
const FIRST_STEPS: usize = 6;
/// ... and its first cycle.
const OPENING_STEPS: usize = 2;

/// Levels within this fraction below the highest of a supply belong to it (the phases of
/// one system, a phase that starts in a sag to 0.7 pu included). Line-to-line voltages
/// (1.73 times the line-to-neutral ones, 1.6 on a relay's loosely scaled sync input) and
/// 240 V beside 120 V form systems of their own.
const SYSTEM_SPAN: f64 = 0.7;
/// Two levels agree within this fraction.
const AGREE: f64 = 0.1;

/// Each voltage's 1 pu, one per supply: the voltages of one unit whose levels lie within
/// [`SYSTEM_SPAN`] of each other share a nominal, taken from the healthy phases (the
/// highest level another phase agrees with, so a phase that starts inside a sag or a swell
/// does not set it) and rounded to a standard voltage within 5%. A given nominal is kept.
pub(super) fn system_references(levels: &[Level], nominal_frequency_hz: Option<f64>) -> Vec<VoltageReference> {
    let mut order: Vec<&Level> = levels.iter().filter(|l| l.source != "given").collect();
    order.sort_by(|a, b| b.level.total_cmp(&a.level));
    let mut systems: Vec<Vec<&Level>> = Vec::new();
    for l in order {
        match systems.iter_mut().find(|s| s[0].unit == l.unit && l.level >= SYSTEM_SPAN * s[0].level) {
            Some(system) => system.push(l),
            None => systems.push(vec![l]),
        }
    }
    let mut references = Vec::new();
    for l in levels.iter().filter(|l| l.source == "given") {
        references.push(VoltageReference {
            channel: l.channel.clone(),
            reference: l.level,
            unit: l.unit.clone(),
            source: "given".into(),
        });
    }
    for system in systems {
        let healthy = (0..system.len())
            .find(|&i| {
                (0..system.len())
                    .any(|j| j != i && (system[i].level - system[j].level).abs() <= AGREE * system[i].level)
            })
            .map_or(system[0], |i| system[i]);
        let (reference, base) =
            match (standard_nominal(healthy.level, &healthy.unit, nominal_frequency_hz), healthy.source) {
                (Some(nominal), "median") => (nominal, "nominal".to_string()),
                (Some(nominal), other) => (nominal, format!("nominal ({other})")),
                (None, "median") => (healthy.level, "median".to_string()),
                (None, other) => (healthy.level, other.to_string()),
            };
        let shared = if system.len() > 1 {
            let mut names: Vec<&str> = system.iter().map(|l| l.channel.as_str()).collect();
            names.sort_by_key(|n| levels.iter().position(|l| l.channel == *n));
            format!(", shared by {}", names.join(", "))
        } else {
            String::new()
        };
        for l in &system {
            references.push(VoltageReference {
                channel: l.channel.clone(),
                reference,
                unit: l.unit.clone(),
                source: format!("{base}{shared}"),
            });
        }
    }
    let position = |name: &str| levels.iter().position(|l| l.channel == name).unwrap_or(usize::MAX);
    references.sort_by_key(|r| position(&r.channel));
    references
}

/// Of the voltage references, those of channels that carry almost nothing next to the other
/// voltages in the same unit (under [`DEAD_FRACTION`] of the largest): a de-energised
/// circuit whose noise would only make false events. Returns the warnings; the references
/// left are the ones to analyse.
pub(super) fn drop_dead(references: &mut Vec<VoltageReference>) -> Vec<String> {
    let mut warnings = Vec::new();
    let largest = |unit: &str, refs: &[VoltageReference]| {
        refs.iter().filter(|r| r.unit == unit).map(|r| r.reference).fold(0.0, f64::max)
    };
    let all = references.clone();
    references.retain(|r| {
        let top = largest(&r.unit, &all);
        let dead = r.source != "given" && r.reference < DEAD_FRACTION * top;
        if dead {
            warnings.push(format!(
                "{}: {:.4} {} RMS, under {:.0}% of the other voltages ({:.4} {}): treated as de-energised, \
                 not checked for sags, swells or interruptions",
                r.channel,
                r.reference,
                r.unit,
                100.0 * DEAD_FRACTION,
                top,
                r.unit
            ));
        }
        !dead
    });
    warnings
}

/// See [`drop_dead`].
const DEAD_FRACTION: f64 = 0.05;

#[derive(Clone, Copy)]
struct Open {
    kind: EventKind,
    /// Index in the one-cycle RMS trend where it crossed the threshold.
    at: usize,
    extreme_pu: f64,
    /// For a sag on the way back from an interruption: that interruption (start, lowest),
    /// not yet closed, since a sag of a cycle or less is only the window passing through.
    interruption_before: Option<(usize, f64)>,
}

/// A sag at either end of an interruption that lasts at most this many trend steps (one
/// cycle) is the one-cycle window passing through the sag band, not a sag.
const PASSING_STEPS: usize = 2;

/// A sag that falls on into an interruption within this many trend steps (three cycles)
/// is the supply collapsing (a source that decays over a cycle or two, seen through the
/// one-cycle window), and the interruption starts where the sag did.
const COLLAPSE_STEPS: usize = 6;

/// Sags, swells and interruptions of one voltage channel.
pub(super) fn events(
    channel: &Channel,
    series: &HalfCycleSeries,
    grid: &HalfCycles,
    reference: &VoltageReference,
    options: &DetectOptions,
) -> Found {
    let trend = cycle_rms_from(series, grid);
    let one_pu = reference.reference;
    let mut found = Found { events: Vec::new(), edges: Vec::new() };
    let mut open: Option<Open> = None;
    for (k, &rms) in trend.values.iter().enumerate() {
        let pu = f64::from(rms) / one_pu;
        if !pu.is_finite() {
            continue;
        }
        let begin = |kind| Some(Open { kind, at: k, extreme_pu: pu, interruption_before: None });
        let mut close_at = |o: Open, end: Option<usize>| close(channel, series, grid, one_pu, o, end, &mut found);
        match &mut open {
            None => {
                if pu < options.interruption_pu {
                    open = begin(EventKind::Interruption);
                } else if pu < options.sag_pu {
                    open = begin(EventKind::Sag);
                } else if pu > options.swell_pu {
                    open = begin(EventKind::Swell);
                }
            }
            Some(o) if o.kind == EventKind::Sag => {
                if pu < options.interruption_pu {
                    if let Some((at, lowest)) = o.interruption_before {
                        // Back down: the interruption goes on.
                        open = Some(Open {
                            kind: EventKind::Interruption,
                            at,
                            extreme_pu: lowest.min(pu),
                            interruption_before: None,
                        });
                    } else if k - o.at <= COLLAPSE_STEPS {
                        // The drop into the interruption, seen through the window.
                        o.kind = EventKind::Interruption;
                        o.extreme_pu = pu;
                    } else {
                        // A sag that deepens into an interruption ends where it begins.
                        close_at(*o, Some(k));
                        open = begin(EventKind::Interruption);
                    }
                } else {
                    o.extreme_pu = o.extreme_pu.min(pu);
                    if pu >= options.sag_pu + options.hysteresis_pu {
                        match o.interruption_before {
                            Some((at, lowest)) if k - o.at <= PASSING_STEPS => {
                                let i = Open {
                                    kind: EventKind::Interruption,
                                    at,
                                    extreme_pu: lowest,
                                    interruption_before: None,
                                };
                                close_at(i, Some(k));
                            }
                            Some((at, lowest)) => {
                                let i = Open {
                                    kind: EventKind::Interruption,
                                    at,
                                    extreme_pu: lowest,
                                    interruption_before: None,
                                };
                                close_at(i, Some(o.at));
                                close_at(Open { interruption_before: None, ..*o }, Some(k));
                            }
                            None => close_at(*o, Some(k)),
                        }
                        open = None;
                    }
                }
            }
            Some(o) if o.kind == EventKind::Interruption => {
                o.extreme_pu = o.extreme_pu.min(pu);
                if pu >= options.interruption_pu + options.hysteresis_pu {
                    if pu < options.sag_pu {
                        // Recovering through the sag band: a sag of its own if it lasts.
                        open = Some(Open {
                            kind: EventKind::Sag,
                            at: k,
                            extreme_pu: pu,
                            interruption_before: Some((o.at, o.extreme_pu)),
                        });
                    } else {
                        close_at(*o, Some(k));
                        open = None;
                    }
                }
            }
            Some(o) => {
                o.extreme_pu = o.extreme_pu.max(pu);
                if pu <= options.swell_pu - options.hysteresis_pu {
                    close_at(*o, Some(k));
                    open = None;
                }
            }
        }
    }
    if let Some(o) = open {
        match o.interruption_before {
            Some((at, lowest)) => {
                let i = Open { kind: EventKind::Interruption, at, extreme_pu: lowest, interruption_before: None };
                close(channel, series, grid, one_pu, i, Some(o.at), &mut found);
                close(channel, series, grid, one_pu, Open { interruption_before: None, ..o }, None, &mut found);
            }
            None => close(channel, series, grid, one_pu, o, None, &mut found),
        }
    }
    found
}

/// Places the start and end of an event found between trend indices `o.at` and `end_at`
/// (where the RMS came back, if it did) and records it.
#[allow(clippy::too_many_arguments)]
fn close(
    channel: &Channel,
    series: &HalfCycleSeries,
    grid: &HalfCycles,
    one_pu: f64,
    o: Open,
    end_at: Option<usize>,
    found: &mut Found,
) {
    let ms = &series.mean_square;
    let n = ms.len();
    let d = o.at;
    let rate = grid.sample_rate_hz;
    let energy = |lo: usize, hi: usize| median((lo.min(n)..hi.min(n)).map(|k| ms[k]));
    let e_pre = if d >= 3 { energy(d.saturating_sub(6), d - 2) } else { None }.unwrap_or(one_pu * one_pu);
    let inner_end = end_at.map_or(n, |r| r.saturating_sub(1));
    let e_in = energy(d + 2, inner_end).unwrap_or((o.extreme_pu * one_pu).powi(2));
    // Trend value `d` covers half cycles `d` and `d + 1` and ends at `bound(d + 2)`.
    let start = locate_edge(ms, grid, d.saturating_sub(2)..d + 3, e_pre, e_in).unwrap_or(grid.bound(d + 2) as f64);
    let start_s = start / rate;
    let start_window = grid.window_of(start.floor() as usize);
    let kind = o.kind;
    let mut event = Event::new(kind, &channel.name, start_s, o.extreme_pu * one_pu, &channel.unit);
    event.magnitude_pu = Some(o.extreme_pu);
    let ratio_in = (e_in / e_pre).sqrt();
    found.edges.push(VoltageEdge {
        t_s: start_s,
        ratio: ratio_in,
        channel: channel.name.clone(),
        what: format!("{} start", kind.as_str()),
        event: Some(kind),
        starts: true,
    });
    if let Some(r) = end_at {
        let e_post = energy(r + 2, r + 7).unwrap_or(one_pu * one_pu);
        let search = r.saturating_sub(2).max(start_window + 1)..r + 3;
        let end = locate_edge(ms, grid, search, e_in, e_post).unwrap_or(grid.bound(r) as f64).max(start);
        let end_s = end / rate;
        event.end_s = Some(end_s);
        event.duration_s = Some(end_s - start_s);
        found.edges.push(VoltageEdge {
            t_s: end_s,
            ratio: (e_post / e_in).sqrt(),
            channel: channel.name.clone(),
            what: format!("{} end", kind.as_str()),
            event: Some(kind),
            starts: false,
        });
    }
    let frequency_hz = rate / grid.period_samples;
    event.note = ieee1159_category(kind, event.duration_s, frequency_hz);
    found.events.push(event);
}

/// IEEE 1159 duration category of a voltage event.
fn ieee1159_category(kind: EventKind, duration_s: Option<f64>, frequency_hz: f64) -> String {
    let Some(d) = duration_s else {
        return "still going on at the end of the capture".into();
    };
    let cycles = d * frequency_hz;
    let class = if cycles < 30.0 {
        if kind == EventKind::Interruption { "momentary" } else { "instantaneous" }
    } else if d < 3.0 {
        "momentary"
    } else if d < 60.0 {
        "temporary"
    } else {
        "sustained"
    };
    format!("IEEE 1159 {class} {}, {cycles:.1} cycles", kind.as_str())
}

/// Smallest voltage step (per unit) that currents are checked against.
const VOLTAGE_STEP_PU: f64 = 0.01;

/// Steps in a voltage's RMS between steady levels, events or not (a 1.08 pu swell still
/// raises the currents of its loads): edges the load detector checks currents against.
pub(super) fn level_edges(
    channel: &Channel,
    series: &HalfCycleSeries,
    grid: &HalfCycles,
    reference: &VoltageReference,
    options: &DetectOptions,
) -> Vec<VoltageEdge> {
    let level: Vec<f64> = series.mean_square.iter().map(|m| m.sqrt()).collect();
    let min_step = VOLTAGE_STEP_PU * reference.reference;
    super::loads::steady_steps(
        &level,
        &series.mean_square,
        true,
        grid,
        super::loads::MinStep::Given(min_step),
        options.steady_cycles,
    )
    .into_iter()
    // A spike that leaves the level where it was is no change of level.
    .filter(|s| s.inrush_only.is_none())
    .map(|s| VoltageEdge {
        t_s: s.onset / grid.sample_rate_hz,
        ratio: s.level_after / s.level_before,
        channel: channel.name.clone(),
        what: format!(
            "RMS step {:.3} -> {:.3} pu",
            s.level_before / reference.reference,
            s.level_after / reference.reference
        ),
        event: None,
        starts: false,
    })
    .collect()
}
