//! When things happen: the voltage disturbances, the load switching times, and the instants
//! at which switched loads stop conducting.

use std::f64::consts::SQRT_2;

use super::loads::{Load, Schedule};
use super::rng::Rng;
use super::supply::{StepKind, Supply, Transient, VoltageStep};

/// No planted event starts closer than this to either end of the capture.
pub(super) const EDGE_MARGIN_S: f64 = 0.5;
/// Least gap between two voltage disturbances.
const DISTURBANCE_GAP_S: f64 = 1.0;
/// Least gap between two switchings of one load.
const SAME_LOAD_GAP_S: f64 = 1.0;
/// Least gap between switchings of different loads, so that the mains steps stay distinct.
const OTHER_LOAD_GAP_S: f64 = 0.2;
/// Least time from a switching to the next voltage disturbance (a motor's inrush is over).
const SWITCH_BEFORE_DISTURBANCE_S: f64 = 0.6;
/// Least time from the end of a voltage disturbance to the next switching.
const SWITCH_AFTER_DISTURBANCE_S: f64 = 0.3;
/// Tries at a random time before an event is left out (deterministically).
const ATTEMPTS: usize = 200;
/// In the hard cases, the chance that a switching is placed within a cycle after another
/// load's.
const NEAR_OTHER_CHANCE: f64 = 0.3;
/// A load that runs then stops does stop in captures at least this long.
const RUNS_THEN_STOPS_MIN_S: f64 = 5.0;
/// Captures shorter than this get no voltage disturbances.
const MIN_DISTURBED_S: f64 = 3.0;
/// Captures shorter than this get no swell.
const MIN_SWELL_S: f64 = 6.0;

/// Plants sags, transients and swells (about one of each per 10 s) into `supply`.
pub(super) fn plant_disturbances(rng: &mut Rng, supply: &mut Supply, duration_s: f64, sample_rate_hz: f64) {
    if duration_s < MIN_DISTURBED_S {
        return;
    }
    let rounds = ((duration_s / 10.0).round() as usize).max(1);
    let mut windows = Vec::new();
    for _ in 0..rounds {
        plant_step(rng, supply, &mut windows, duration_s, StepKind::Sag);
        plant_transient(rng, supply, &mut windows, duration_s, sample_rate_hz);
        if duration_s >= MIN_SWELL_S {
            plant_step(rng, supply, &mut windows, duration_s, StepKind::Swell);
        }
    }
    supply.steps.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    supply.transients.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
}

/// Plants interruptions (about one per 10 s, each 5-30 cycles below 0.05 pu, on every leg
/// or on one) clear of the disturbances already in `supply`, for the hard cases.
pub(super) fn plant_interruptions(rng: &mut Rng, supply: &mut Supply, duration_s: f64) {
    if duration_s < MIN_DISTURBED_S {
        return;
    }
    let mut windows = supply.disturbance_windows();
    for _ in 0..((duration_s / 10.0).round() as usize).max(1) {
        plant_step(rng, supply, &mut windows, duration_s, StepKind::Interruption);
    }
    supply.steps.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
}

fn plant_step(rng: &mut Rng, supply: &mut Supply, windows: &mut Vec<(f64, f64)>, duration_s: f64, kind: StepKind) {
    let every_leg_or_one = |rng: &mut Rng, legs: usize| {
        if rng.chance(0.5) { (0..legs).collect() } else { vec![pick(rng, legs)] }
    };
    let (pu, cycles, legs) = match kind {
        StepKind::Sag => {
            let legs = every_leg_or_one(rng, supply.legs.len());
            ((rng.uniform(0.6, 0.8) * 100.0).round() / 100.0, 3 + pick(rng, 18) as u32, legs)
        }
        StepKind::Interruption => {
            let legs = every_leg_or_one(rng, supply.legs.len());
            ((rng.uniform(0.0, 0.05) * 100.0).round() / 100.0, 5 + pick(rng, 26) as u32, legs)
        }
        StepKind::Swell => (
            (rng.uniform(1.12, 1.2) * 100.0).round() / 100.0,
            3 + pick(rng, 8) as u32,
            vec![pick(rng, supply.legs.len())],
        ),
    };
    let length_s = f64::from(cycles) / supply.line_frequency_hz;
    let ramp_s = rng.uniform(0.5e-3, 2.0e-3);
    if let Some(start_s) = place(rng, windows, length_s, duration_s, None) {
        supply.steps.push(VoltageStep { kind, legs, start_s, end_s: start_s + length_s, ramp_s, pu, cycles });
    }
}

fn plant_transient(
    rng: &mut Rng,
    supply: &mut Supply,
    windows: &mut Vec<(f64, f64)>,
    duration_s: f64,
    sample_rate_hz: f64,
) {
    let leg = pick(rng, supply.legs.len());
    let length_s = rng.uniform(0.5e-3, 0.9e-3).max((3.0 / sample_rate_hz).min(0.95e-3));
    let peak_v = rng.sign() * rng.uniform(1.0, 2.0) * SQRT_2 * supply.rms_v(leg);
    let ring_hz =
        (sample_rate_hz >= 7500.0 && rng.chance(0.5)).then(|| rng.uniform(1500.0, (0.2 * sample_rate_hz).min(4000.0)));
    if let Some(start_s) = place(rng, windows, length_s, duration_s, Some(sample_rate_hz)) {
        supply.transients.push(Transient { leg, start_s, end_s: start_s + length_s, peak_v, ring_hz });
    }
}

/// Uniform in `0..n`.
fn pick(rng: &mut Rng, n: usize) -> usize {
    (rng.next_u64() % n.max(1) as u64) as usize
}

/// A start for a disturbance of `length_s` clear of the edges and of `windows` (to which it
/// is added), on a sample instant when `align_hz` is given.
fn place(
    rng: &mut Rng,
    windows: &mut Vec<(f64, f64)>,
    length_s: f64,
    duration_s: f64,
    align_hz: Option<f64>,
) -> Option<f64> {
    let latest_s = duration_s - EDGE_MARGIN_S - length_s;
    if latest_s <= EDGE_MARGIN_S {
        return None;
    }
    for _ in 0..ATTEMPTS {
        let mut start_s = rng.uniform(EDGE_MARGIN_S, latest_s);
        if let Some(rate) = align_hz {
            start_s = (start_s * rate).ceil() / rate;
        }
        let end_s = start_s + length_s;
        let clear = windows.iter().all(|&(s, e)| end_s + DISTURBANCE_GAP_S <= s || start_s >= e + DISTURBANCE_GAP_S);
        if clear && start_s <= latest_s {
            windows.push((start_s, end_s));
            return Some(start_s);
        }
    }
    None
}

/// A load's switching plan: its state at the start and the instants its switch operates.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Switching {
    pub initially_on: bool,
    /// Sorted; the load alternates state at each.
    pub times_s: Vec<f64>,
}

/// Switching times for every load, at least [`SAME_LOAD_GAP_S`] apart per load,
/// [`OTHER_LOAD_GAP_S`] across loads, and clear of the voltage disturbances `windows`.
/// With `within_cycle_s`, a switching may instead land within that long after another
/// load's ([`NEAR_OTHER_CHANCE`]): several loads switching within a cycle of each other.
pub(super) fn plan_switching(
    rng: &mut Rng,
    loads: &[Load],
    duration_s: f64,
    windows: &[(f64, f64)],
    within_cycle_s: Option<f64>,
) -> Vec<Switching> {
    let usable = duration_s > 2.0 * EDGE_MARGIN_S;
    let mut plans = Vec::with_capacity(loads.len());
    let mut counts = Vec::with_capacity(loads.len());
    for load in loads {
        let (initially_on, count) = match load.schedule {
            Schedule::AlwaysOn => (true, 0),
            Schedule::Switched { rate_per_s, starts_off } => {
                let initially_on = !starts_off && rng.chance(0.5);
                (initially_on, if usable { ((duration_s * rate_per_s).round() as usize).max(1) } else { 0 })
            }
            Schedule::RunsThenStops => (true, usize::from(duration_s >= RUNS_THEN_STOPS_MIN_S)),
        };
        plans.push(Switching { initially_on, times_s: Vec::new() });
        counts.push(count);
    }
    let mut all_s: Vec<f64> = Vec::new();
    let rounds = counts.iter().copied().max().unwrap_or(0);
    // Round-robin, so that an early load does not take all the room.
    for round in 0..rounds {
        for ((plan, &count), load) in plans.iter_mut().zip(&counts).zip(loads) {
            if round >= count {
                continue;
            }
            let (earliest_s, latest_s) = match load.schedule {
                Schedule::RunsThenStops => (0.55 * duration_s, 0.8 * duration_s),
                _ => (EDGE_MARGIN_S, duration_s - EDGE_MARGIN_S),
            };
            for _ in 0..ATTEMPTS {
                let near = match within_cycle_s {
                    Some(cycle_s) if !all_s.is_empty() && rng.chance(NEAR_OTHER_CHANCE) => {
                        Some(all_s[pick(rng, all_s.len())] + rng.uniform(0.1, 0.9) * cycle_s)
                    }
                    _ => None,
                };
                let t = near.unwrap_or_else(|| rng.uniform(earliest_s, latest_s));
                let clear_of_self = plan.times_s.iter().all(|&u| (t - u).abs() >= SAME_LOAD_GAP_S);
                let clear_of_others = near.is_some() || all_s.iter().all(|&u| (t - u).abs() >= OTHER_LOAD_GAP_S);
                let inside = (earliest_s..=latest_s).contains(&t);
                let clear_of_disturbances = windows
                    .iter()
                    .all(|&(s, e)| t <= s - SWITCH_BEFORE_DISTURBANCE_S || t >= e + SWITCH_AFTER_DISTURBANCE_S);
                if inside && clear_of_self && clear_of_others && clear_of_disturbances {
                    plan.times_s.push(t);
                    all_s.push(t);
                    break;
                }
            }
        }
    }
    for plan in &mut plans {
        plan.times_s.sort_by(f64::total_cmp);
    }
    plans
}

/// A span during which a pole conducts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct OnInterval {
    /// Switch-on instant; minus infinity when running from the start.
    pub on_s: f64,
    /// Instant the current stops: the first current zero at or after the switch opens (an
    /// AC contact interrupts there); infinity when still on at the end.
    pub off_s: f64,
    /// DC offset at switch-on that lets an inductive current start from zero.
    pub dc_offset_a: f64,
}

/// Current into `pole` of `load` at `t` (leg A at phase `theta`) within `interval`.
pub(super) fn pole_current(
    supply: &Supply,
    load: &Load,
    pole: usize,
    interval: &OnInterval,
    t: f64,
    theta: f64,
) -> f64 {
    let since_on_s = t - interval.on_s;
    let current = load.current(supply, pole, t, theta, since_on_s);
    match load.dc_tau_s() {
        Some(tau_s) if interval.dc_offset_a != 0.0 => current + interval.dc_offset_a * (-since_on_s / tau_s).exp(),
        _ => current,
    }
}

/// The spans during which `pole` of `load` conducts under `switching`.
pub(super) fn on_intervals(supply: &Supply, load: &Load, pole: usize, switching: &Switching) -> Vec<OnInterval> {
    let mut intervals = Vec::new();
    let mut running = switching.initially_on.then_some(OnInterval {
        on_s: f64::NEG_INFINITY,
        off_s: f64::INFINITY,
        dc_offset_a: 0.0,
    });
    for &t in &switching.times_s {
        match running.take() {
            Some(mut interval) => {
                let current = |u: f64| pole_current(supply, load, pole, &interval, u, supply.theta(u));
                interval.off_s = next_current_zero(current, t, supply.line_frequency_hz);
                intervals.push(interval);
            }
            None => {
                let dc_offset_a = match load.dc_tau_s() {
                    Some(_) => -load.current(supply, pole, t, supply.theta(t), 0.0),
                    None => 0.0,
                };
                running = Some(OnInterval { on_s: t, off_s: f64::INFINITY, dc_offset_a });
            }
        }
    }
    intervals.extend(running);
    intervals
}

/// The first instant at or after `from_s` where `current` reaches zero or changes sign,
/// to well under a nanosecond; `from_s` itself if it does not within two cycles.
fn next_current_zero(current: impl Fn(f64) -> f64, from_s: f64, line_frequency_hz: f64) -> f64 {
    const STEPS_PER_CYCLE: u32 = 200;
    let first = current(from_s);
    if first == 0.0 {
        return from_s;
    }
    let sign = first.signum();
    let step_s = 1.0 / (line_frequency_hz * f64::from(STEPS_PER_CYCLE));
    let crossed = |t: f64| current(t) * sign <= 0.0;
    let mut before = from_s;
    for k in 1..=2 * STEPS_PER_CYCLE {
        let t = from_s + f64::from(k) * step_s;
        if crossed(t) {
            let mut after = t;
            for _ in 0..64 {
                let mid = 0.5 * (before + after);
                if crossed(mid) {
                    after = mid;
                } else {
                    before = mid;
                }
            }
            return after;
        }
        before = t;
    }
    from_s
}
