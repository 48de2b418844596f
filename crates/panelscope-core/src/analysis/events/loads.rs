//! Loads switching on and off: steps in half-cycle RMS current (or mean power) between two
//! steady levels.
//!
//! A half cycle is quiet when its level is within the channel's jitter of the one before
//! (a slowly wandering load stays quiet); a level is steady when it stays quiet for
//! [`DetectOptions::steady_cycles`]. Between two steady levels lies a transition (the step
//! itself, an inrush, or a disturbance); it is a switching when the levels differ by the
//! minimum step and by well over the jitter, and the change is not explained by a voltage
//! event at the same moment (a current that follows a sag, swell or interruption).

use super::voltage::VoltageEdge;
use super::{DetectOptions, Event, EventKind, locate_edge, median};
use crate::analysis::cycles::{HalfCycleSeries, HalfCycles};
use crate::capture::Channel;

/// A quiet half cycle moves by at most this fraction of its level ...
const QUIET_FRACTION: f64 = 0.01;
/// ... or this many times the channel's median half-cycle jitter ...
const QUIET_JITTER: f64 = 4.0;
/// ... or this fraction of the minimum step, whichever is largest.
const QUIET_STEP_FRACTION: f64 = 0.25;
/// A step must be this many times the quiet band as well as the minimum step.
const STEP_OVER_QUIET: f64 = 3.0;
/// A transition between levels closer than the minimum step is still a switch-on when it
/// rises to this many times the higher level ...
const INRUSH_OVER_LEVEL: f64 = 5.0;
/// ... and above it by this many minimum steps (or quiet bands, whichever is more).
const INRUSH_OVER_STEP: f64 = 3.0;
/// Half cycles at or above this fraction of a channel's high level (its 99th percentile)
/// are where its load draws; their movement sets the quiet band when no minimum step is
/// given.
const ACTIVE_FRACTION: f64 = 0.25;

/// How much a channel's level moves from a half cycle to the one a cycle later (of the same
/// polarity) while its load draws: twice the median of those moves (noise, a wandering
/// load, the aliasing of a pulsed current sampled slowly; an inrush decaying is a minority
/// of them), and the median level they were taken at. 0 for a channel that never draws.
fn active_movement(level: &[f64]) -> (f64, f64) {
    let mut finite: Vec<f64> = level.iter().copied().filter(|l| l.is_finite()).collect();
    if finite.len() < 2 {
        return (0.0, 0.0);
    }
    let at = (finite.len() - 1) * 99 / 100;
    let (_, high, _) = finite.select_nth_unstable_by(at, f64::total_cmp);
    let active = ACTIVE_FRACTION * *high;
    // From each half cycle to the one a cycle later, of the same polarity.
    let drawing = || level.windows(3).filter(|w| w[0].is_finite() && w[2].is_finite() && w[0].min(w[2]) >= active);
    let moves = drawing().map(|w| (w[2] - w[0]).abs());
    (2.0 * median(moves).unwrap_or(0.0), median(drawing().map(|w| w[0].abs())).unwrap_or(0.0))
}

/// A current change within this many cycles of a voltage event's edge may follow it.
const FOLLOW_CYCLES: f64 = 1.5;
/// Slack on the current ratio a constant-impedance or constant-power load would show.
const FOLLOW_SLACK: f64 = 1.25;
/// The levels before and after a step are the medians over at most this long of their
/// steady stretches (nearest the step), so that the tail of an inrush counts little.
const LEVEL_SPAN_S: f64 = 1.0;

/// A step between two steady levels of a half-cycle series.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Step {
    /// Fractional sample index where the level starts to move.
    pub onset: f64,
    /// Steady level before and after (medians near the step).
    pub level_before: f64,
    pub level_after: f64,
    /// First half cycle off the level before.
    pub first_moving: usize,
    /// First half cycle of the level after.
    pub settled: usize,
    /// Half cycles over which the level after is taken.
    pub settle_end: usize,
    /// The levels are within the minimum step of each other, but the transition between
    /// them rose far above both: a load plugged in (its inrush shows) that draws little so
    /// far, as a charger or an adapter does before it starts to charge: that peak level.
    pub inrush_only: Option<f64>,
}

/// Steps of at least the minimum step (and well over the series' jitter) between steady
/// levels of `level`; `mixing` is the series whose windows mix linearly across a step (the
/// mean square for an RMS level, when `rms`; the level itself for a mean). A minimum step
/// from the noise also widens the band a quiet level may move in to the channel's [`active_movement`].
pub(super) fn steady_steps(
    level: &[f64],
    mixing: &[f64],
    rms: bool,
    grid: &HalfCycles,
    min_step: MinStep,
    steady_cycles: f64,
) -> Vec<Step> {
    let n = level.len();
    // Quiet is judged on each half cycle against the one a cycle before, of the same
    // polarity, on the running median of three such half cycles: a load that draws in one
    // half cycle of two (a half-wave rectifier: a charger, an adapter) alternates from one
    // half cycle to the next but holds from cycle to cycle; a pulsed current sampled slowly
    // aliases into a pattern that repeats every few half cycles; and a single half-cycle
    // outlier is not a change of level.
    let smooth = median_of_three(level);
    let (min_step, (quiet_floor, drawing)) = match min_step {
        MinStep::Given(v) => (v, (0.0, 0.0)),
        MinStep::FromNoise { resolution } => (resolution, active_movement(&smooth)),
    };
    let jitter = median(level.windows(3).map(|w| (w[2] - w[0]).abs())).unwrap_or(0.0);
    let quiet_band = |l: f64| {
        // The movement while drawing, in proportion below that level: a heavy load's
        // wander on a channel says nothing of how a small one there moves.
        let floor = if drawing > 0.0 { quiet_floor * (l.abs() / drawing).min(1.0) } else { quiet_floor };
        (QUIET_FRACTION * l.abs()).max(QUIET_JITTER * jitter).max(QUIET_STEP_FRACTION * min_step).max(floor)
    };
    let steady = steady_half_cycles(steady_cycles);

    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    let mut run_start = 0;
    for k in 1..=n {
        let quiet = k < n && {
            let (a, b) = (smooth[k.saturating_sub(2)], smooth[k]);
            a.is_finite() && b.is_finite() && (b - a).abs() <= quiet_band(a.abs().max(b.abs()))
        };
        if !quiet {
            if k - run_start >= steady && level[run_start].is_finite() {
                runs.push(run_start..k);
            }
            run_start = k;
        }
    }

    // The level over the cycle that ends with half cycle `k`.
    let cycle_level = |k: usize| {
        let m = 0.5 * (mixing[k.saturating_sub(1)] + mixing[k]);
        if rms { m.sqrt() } else { m }
    };
    let half_cycle_s = grid.half_samples() / grid.sample_rate_hz;
    let span = ((LEVEL_SPAN_S / half_cycle_s) as usize).max(steady);
    let mut steps = Vec::new();
    for pair in runs.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        // Over whole cycles, so that a level alternating between half cycles is its mean.
        let median_of = |r: std::ops::Range<usize>| median(r.map(&cycle_level)).unwrap_or(f64::NAN);
        let l0 = median_of(before.end.saturating_sub(span).max(before.start)..before.end);
        let settle_end = (after.start + span).min(after.end);
        let l1 = median_of(after.start..settle_end);
        let top = l0.abs().max(l1.abs());
        let over = min_step.max(STEP_OVER_QUIET * quiet_band(top));
        // The highest level of the transition (an inrush), where it is.
        let peak = (before.end..after.start)
            .filter(|&k| level[k].is_finite())
            .max_by(|&a, &b| level[a].total_cmp(&level[b]))
            .map(|k| (k, level[k]));
        let inrush_only = if (l1 - l0).abs() < over {
            let shown = peak.map(|(_, p)| p).filter(|&p| {
                p >= INRUSH_OVER_LEVEL * top && p - top >= INRUSH_OVER_STEP * over && l1 >= l0 - quiet_band(top)
            });
            if shown.is_none() {
                continue;
            }
            shown
        } else {
            None
        };
        // The first moving half cycle mixes the level before with the level after (with the
        // inrush's peak when the levels hardly differ).
        let tail = &mixing[before.end - steady..before.end];
        let mix_before = tail.iter().sum::<f64>() / tail.len() as f64;
        let first_moving = before.end;
        let mix_after = match peak {
            Some((k, _)) if inrush_only.is_some() => mixing[k],
            // The level after as it starts (the run may end a half cycle or two before the
            // step, where a level is judged against the half cycle a cycle before).
            _ => {
                let head = &mixing[after.start..(after.start + steady).min(after.end)];
                head.iter().sum::<f64>() / head.len() as f64
            }
        };
        let onset = locate_edge(mixing, grid, before.end - 1..after.start + 1, mix_before, mix_after)
            .unwrap_or(grid.edge(first_moving));
        steps.push(Step {
            onset,
            level_before: l0,
            level_after: l1,
            first_moving,
            settled: after.start,
            settle_end,
            inrush_only,
        });
    }
    steps
}

/// How many half cycles a level must hold to be steady.
fn steady_half_cycles(steady_cycles: f64) -> usize {
    ((2.0 * steady_cycles).round() as usize).max(2)
}

/// The smallest load step: given, or from the channel's own noise (at least `resolution`).
#[derive(Debug, Clone, Copy)]
pub(super) enum MinStep {
    Given(f64),
    FromNoise { resolution: f64 },
}

/// The running median of three half cycles of the same polarity (each with the ones a
/// cycle before and after it; the ends kept as they are).
fn median_of_three(level: &[f64]) -> Vec<f64> {
    let mut out = level.to_vec();
    for k in 2..level.len().saturating_sub(2) {
        let (a, b, c) = (level[k - 2], level[k + 2], level[k]);
        if a.is_finite() && b.is_finite() && c.is_finite() {
            out[k] = a.max(b).min(a.min(b).max(c));
        }
    }
    out
}

/// The load switching events of a current (RMS) or power (mean) channel.
#[allow(clippy::too_many_arguments)]
pub(super) fn find(
    channel: &Channel,
    values: &[f32],
    series: &HalfCycleSeries,
    grid: &HalfCycles,
    is_power: bool,
    min_step: MinStep,
    voltage_edges: &[VoltageEdge],
    options: &DetectOptions,
) -> Vec<Event> {
    let level: Vec<f64> =
        if is_power { series.mean.clone() } else { series.mean_square.iter().map(|m| m.sqrt()).collect() };
    let mixing = if is_power { &series.mean } else { &series.mean_square };
    let cycle_s = grid.period_samples / grid.sample_rate_hz;
    let interrupted = interrupted_spans(voltage_edges);
    // How far a half cycle's samples typically depart from the cycle before.
    let noise = median(series.max_deviation.iter().map(|&d| f64::from(d))).unwrap_or(0.0);
    let steady = steady_half_cycles(options.steady_cycles);
    let mut events = Vec::new();
    for step in steady_steps(&level, mixing, !is_power, grid, min_step, options.steady_cycles) {
        let (l0, l1) = (step.level_before, step.level_after);
        let swing = step.inrush_only.unwrap_or(l1) - l0;
        // The departures of the steady level just before too: a pulsed current sampled
        // slowly departs from the cycle before far more than the channel's quiet stretches.
        let before = step.first_moving.saturating_sub(steady)..step.first_moving;
        let local = median(series.max_deviation[before].iter().map(|&d| f64::from(d))).unwrap_or(0.0);
        let onset = sample_onset(values, grid, noise.max(local), step.onset, std::f64::consts::SQRT_2 * swing.abs());
        let start_s = onset / grid.sample_rate_hz;
        if interrupted.iter().any(|&(from_s, to_s)| start_s > from_s + cycle_s && start_s < to_s - cycle_s) {
            // While the supply is out, what is left of a current is no load's doing.
            continue;
        }
        let kind = if l1 > l0 || step.inrush_only.is_some() { EventKind::LoadOn } else { EventKind::LoadOff };
        // A switch-on seen by its inrush alone follows a voltage only as far as that peak.
        let to = step.inrush_only.unwrap_or(l1);
        let ratio = if l0.abs() > 0.0 { to.abs() / l0.abs() } else { f64::INFINITY };
        // A voltage edge anywhere in the transition may be what moved it (the level can start
        // to move before the edge, as a fluctuating load's does inside an interruption).
        let settled_s = grid.edge(step.settled) / grid.sample_rate_hz;
        let near = voltage_edges.iter().filter(|e| {
            e.t_s >= start_s - FOLLOW_CYCLES * cycle_s && e.t_s <= settled_s.max(start_s) + FOLLOW_CYCLES * cycle_s
        });
        let mut note = String::new();
        let mut follows = false;
        // Into or out of an interruption, what is left of a current is its sensor's noise,
        // whatever the residual voltage: falling (rising) as far is following.
        let deep = options.interruption_pu * FOLLOW_SLACK;
        for edge in near {
            let (lo, hi) = (edge.ratio.min(1.0 / edge.ratio), edge.ratio.max(1.0 / edge.ratio));
            let as_deep = (edge.ratio < options.interruption_pu && ratio <= deep)
                || (edge.ratio > 1.0 / options.interruption_pu && ratio >= 1.0 / deep);
            if as_deep || (ratio >= lo / FOLLOW_SLACK && ratio <= hi * FOLLOW_SLACK) {
                follows = true;
                break;
            }
            if note.is_empty() {
                note = format!(
                    "{} {:.2}x while {} changed {:.2}x ({}): a fault, or a load reacting to it?",
                    if l1 > l0 { "rose" } else { "fell" },
                    if l1 > l0 { ratio } else { 1.0 / ratio },
                    edge.channel,
                    edge.ratio,
                    edge.what
                );
            }
        }
        if follows {
            // The current only follows its voltage (constant impedance to constant power).
            continue;
        }
        let magnitude = if step.inrush_only.is_some() { (l1 - l0).max(0.0) } else { (l1 - l0).abs() };
        let mut event = Event::new(kind, &channel.name, start_s, magnitude, &channel.unit);
        event.level_before = Some(l0);
        event.level_after = Some(l1);
        event.note = note;
        if step.inrush_only.is_some() && event.note.is_empty() {
            event.note = "connected: an inrush, then a draw still within the noise of the level before".into();
        }
        if kind == EventKind::LoadOn {
            inrush(values, &level, grid, step.first_moving..step.settle_end, onset, l1, l1 - l0, &mut event);
        }
        events.push(event);
    }
    fold_fluctuations(events, &channel.name, &channel.unit)
}

/// A step's onset departs from the cycle before by this fraction of its peak swing ...
const ONSET_OF_SWING: f64 = 0.25;
/// ... and by this many times the channel's typical departure.
const ONSET_OVER_NOISE: f64 = 3.0;

/// The sample where a step starts: the first, from half a cycle before `coarse` (the onset
/// placed by the half-cycle levels) to half a cycle after it, whose value departs from the
/// cycle before by a quarter of the step's peak swing `swing` (the new current's amplitude,
/// or the inrush's) and well over `noise`, the typical departure of the channel and of the
/// level before the step. `coarse` when
/// none does, or there is no cycle before.
fn sample_onset(values: &[f32], grid: &HalfCycles, noise: f64, coarse: f64, swing: f64) -> f64 {
    let half = grid.half_samples();
    let threshold = (ONSET_OF_SWING * swing).max(ONSET_OVER_NOISE * noise);
    if !(threshold.is_finite() && threshold > 0.0) {
        return coarse;
    }
    let from = (coarse - half).max(grid.period_samples).ceil() as usize;
    let to = ((coarse + half).ceil() as usize).min(values.len());
    (from..to)
        .find(|&i| {
            crate::analysis::cycles::previous_cycle(values, i, grid.period_samples)
                .is_some_and(|r| f64::from((values[i] - r).abs()) > threshold)
        })
        .map_or(coarse, |i| i as f64)
}

/// Where a voltage was interrupted, from the start of each interruption to its end, or on
/// to the end of the capture when it is still going on there (a voltage event's edges are
/// listed start, then end).
fn interrupted_spans(edges: &[VoltageEdge]) -> Vec<(f64, f64)> {
    let interruption = Some(EventKind::Interruption);
    edges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.event == interruption && e.starts)
        .map(|(i, start)| {
            let end = edges[i + 1..]
                .iter()
                .find(|e| e.channel == start.channel && e.event == interruption)
                .filter(|e| !e.starts)
                .map_or(f64::INFINITY, |e| e.t_s);
            (start.t_s, end)
        })
        .collect()
}

/// Steps closer than this to the next one can belong to one fluctuating stretch.
const FLUCTUATION_GAP_S: f64 = 1.0;
/// A stretch fluctuates when it holds at least this many steps up and as many down.
const FLUCTUATION_EACH_WAY: usize = 2;
/// A fluctuation turns (up after down, down after up) at least this often ...
const FLUCTUATION_TURNS: usize = 4;
/// ... and at this share of its consecutive swings.
const ZIGZAG_SHARE: f64 = 0.7;
/// A step at least this many times the stretch's median swing is a switching inside it ...
const SWITCH_OVER_SWING: f64 = 3.0;
/// ... and so is one to or from a level below this fraction of what the stretch draws (off,
/// or standby).
const TO_STANDBY: f64 = 0.2;

/// Folds runs of load steps that go up and down within [`FLUCTUATION_GAP_S`] of each other
/// (a motor whose mechanical load varies, a wandering appliance) into one `fluctuation`
/// event with its span, range and rate. A step inside the stretch far larger than its
/// swings is a real switching and stays.
fn fold_fluctuations(steps: Vec<Event>, channel: &str, unit: &str) -> Vec<Event> {
    let mut items: Vec<Folded> = Vec::new();
    let mut i = 0;
    while i < steps.len() {
        let mut j = i + 1;
        while j < steps.len() && steps[j].start_s - steps[j - 1].start_s <= FLUCTUATION_GAP_S {
            j += 1;
        }
        let stretch = &steps[i..j];
        i = j;
        let ups = stretch.iter().filter(|e| e.kind == EventKind::LoadOn).count();
        if ups < FLUCTUATION_EACH_WAY || stretch.len() - ups < FLUCTUATION_EACH_WAY {
            items.extend(stretch.iter().cloned().map(Folded::Step));
            continue;
        }
        let swing = median(stretch.iter().map(|e| e.magnitude)).unwrap_or(0.0);
        let drawing = median(stretch.iter().map(upper)).unwrap_or(0.0);
        let (switches, swings): (Vec<&Event>, Vec<&Event>) =
            stretch.iter().partition(|e| e.magnitude >= SWITCH_OVER_SWING * swing || lower(e) <= TO_STANDBY * drawing);
        // Back and forth, again and again: several loads switching in the same second (a
        // busy panel's mains) go one way, then the other, without zig-zagging.
        let turns = swings.windows(2).filter(|w| w[0].kind != w[1].kind).count();
        let zigzags = turns >= FLUCTUATION_TURNS && turns as f64 >= ZIGZAG_SHARE * (swings.len() - 1) as f64;
        if swings.len() < 2 * FLUCTUATION_EACH_WAY || !zigzags {
            items.extend(stretch.iter().cloned().map(Folded::Step));
            continue;
        }
        items.extend(switches.into_iter().cloned().map(Folded::Step));
        items.push(Folded::Stretch(swings.into_iter().cloned().collect()));
    }
    items.sort_by(|a, b| a.start_s().total_cmp(&b.start_s()));
    join_fragments(&mut items);
    items
        .into_iter()
        .map(|item| match item {
            Folded::Step(e) => e,
            Folded::Stretch(swings) => fluctuation(&swings, channel, unit),
        })
        .collect()
}

/// A fluctuation takes in the stretch or the swing next to it when that starts within this
/// long of its span and stays within its range: a swing too small to be a step, or one
/// that merged with the next, cuts a stretch short.
const JOIN_GAP_S: f64 = 2.0 * FLUCTUATION_GAP_S;

/// A load step as it stands, or the swings of a fluctuating stretch.
enum Folded {
    Step(Event),
    Stretch(Vec<Event>),
}

impl Folded {
    /// The swings it holds: a lone step is one.
    fn into_swings(self) -> Vec<Event> {
        match self {
            Self::Step(e) => vec![e],
            Self::Stretch(swings) => swings,
        }
    }

    fn start_s(&self) -> f64 {
        match self {
            Self::Step(e) => e.start_s,
            Self::Stretch(swings) => swings[0].start_s,
        }
    }
}

fn upper(e: &Event) -> f64 {
    e.level_before.unwrap_or(0.0).abs().max(e.level_after.unwrap_or(0.0).abs())
}

fn lower(e: &Event) -> f64 {
    e.level_before.unwrap_or(0.0).abs().min(e.level_after.unwrap_or(0.0).abs())
}

/// Joins each fluctuating stretch with its neighbours in time (a stretch, or a step that is
/// not a switching: within its range widened by its median swing, its lower level above
/// standby) that start within [`JOIN_GAP_S`] of it. A switching between two stretches
/// keeps them apart.
fn join_fragments(items: &mut Vec<Folded>) {
    let mut k = 0;
    while k + 1 < items.len() {
        let fits = |swings: &[Event], other: &[Event]| {
            let swing = median(swings.iter().map(|e| e.magnitude)).unwrap_or(0.0);
            let (low, high) = range(swings);
            let drawing = median(swings.iter().map(upper)).unwrap_or(0.0);
            other.iter().all(|e| lower(e) > TO_STANDBY * drawing && lower(e) >= low - swing && upper(e) <= high + swing)
        };
        // (Only past the stretch's end: a switching inside its span stays what it is.)
        let after = |a: &[Event], t: f64| t > a[a.len() - 1].start_s && t - a[a.len() - 1].start_s <= JOIN_GAP_S;
        let joined = match (&items[k], &items[k + 1]) {
            (Folded::Stretch(a), Folded::Stretch(b)) => after(a, b[0].start_s) && (fits(a, b) || fits(b, a)),
            (Folded::Stretch(a), Folded::Step(e)) => after(a, e.start_s) && fits(a, std::slice::from_ref(e)),
            (Folded::Step(e), Folded::Stretch(b)) => {
                b[0].start_s - e.start_s <= JOIN_GAP_S && fits(b, std::slice::from_ref(e))
            }
            (Folded::Step(_), Folded::Step(_)) => false,
        };
        if !joined {
            k += 1;
            continue;
        }
        // Both are in time order and the second starts later: their swings follow on.
        let next = items.remove(k + 1).into_swings();
        let mut swings = std::mem::replace(&mut items[k], Folded::Stretch(Vec::new())).into_swings();
        swings.extend(next);
        items[k] = Folded::Stretch(swings);
        // The joined stretch may now reach the item before it.
        k = k.saturating_sub(1);
    }
}

/// The lowest and highest level the swings go between.
fn range(swings: &[Event]) -> (f64, f64) {
    let levels = swings.iter().flat_map(|e| [e.level_before, e.level_after]).flatten();
    levels.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), l| (lo.min(l), hi.max(l)))
}

/// The `fluctuation` event of a stretch of swings (in time order).
fn fluctuation(swings: &[Event], channel: &str, unit: &str) -> Event {
    let (low, high) = range(swings);
    let (first, last) = (&swings[0], &swings[swings.len() - 1]);
    let span_s = last.start_s - first.start_s;
    let mut event = Event::new(EventKind::Fluctuation, channel, first.start_s, high - low, unit);
    event.end_s = Some(last.start_s);
    event.duration_s = Some(span_s);
    event.level_before = first.level_before;
    event.level_after = last.level_after;
    event.note = format!(
        "{} swings over {:.2} s ({:.1} per second) between {} and {} {unit}",
        swings.len(),
        span_s,
        (swings.len() - 1) as f64 / span_s.max(f64::MIN_POSITIVE),
        crate::format::fmt_value(low),
        crate::format::fmt_value(high)
    );
    event
}

/// Fills in the inrush of a load switching on: over half cycles `span` (the transition and
/// the start of the new steady level), the largest instantaneous value and how long the
/// half-cycle level takes to come back within a tenth of the way from its peak to `l1`.
/// Left empty when the level never rises a fifth of the step above `l1`.
#[allow(clippy::too_many_arguments)]
fn inrush(
    values: &[f32],
    level: &[f64],
    grid: &HalfCycles,
    span: std::ops::Range<usize>,
    onset: f64,
    l1: f64,
    step: f64,
    event: &mut Event,
) {
    let Some((peak_k, peak_level)) =
        span.clone().filter(|&k| level[k].is_finite()).map(|k| (k, level[k])).max_by(|a, b| a.1.total_cmp(&b.1))
    else {
        return;
    };
    if peak_level < l1 + 0.2 * step.abs() {
        return;
    }
    let settled = l1 + 0.1 * (peak_level - l1);
    let end_k = (peak_k..span.end).find(|&k| level[k] <= settled).unwrap_or(span.end);
    // (The onset, placed at its sample, may lie past the end of a short inrush.)
    let end = grid.bound(end_k).min(values.len());
    let samples = (onset.floor().max(0.0) as usize).min(end)..end;
    let peak = values[samples].iter().filter(|v| v.is_finite()).fold(0f32, |m, v| m.max(v.abs()));
    event.inrush_peak = Some(f64::from(peak));
    event.inrush_duration_s = Some(((grid.bound(end_k) as f64 - onset) / grid.sample_rate_hz).max(0.0));
}
