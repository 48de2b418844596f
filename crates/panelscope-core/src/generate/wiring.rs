//! Short captures of a panel project as installed, with wiring mistakes planted: what an
//! installer records on site to verify the sensors (see `panel::verify`).
//!
//! The physics: each phase voltage is a sine at the service's angle (with 1.5 % 5th
//! harmonic); each sensed circuit draws a steady load of 25-50 % of its breaker's rating at a
//! power factor of 0.82-1 (lagging, 4 % 3rd harmonic). A one- or three-pole circuit's leg
//! current follows its phase voltage; a two-pole circuit's first leg follows the
//! line-to-line voltage of its two legs and its second leg carries the same current back.
//! Circuits without sensors draw nothing unless [`Mistake::Unsensed`] says so. Each mains
//! sensor reads the sum of its phase's leg currents. Sensors clip at 1.5 × their rating
//! (peak), and carry 3 mA of noise (voltages 0.05 V).

use std::f64::consts::{PI, SQRT_2};

use crate::capture::{Capture, Channel, ChannelKind, Format};
use crate::panel::{
    Breaker, BreakerKind, Circuit, Main, MainSensor, Phase, Position, Project, SensorRef, Service, Strip,
    StripDirection, VoltageRef, sample_panel,
};

use super::rng::Rng;

/// A wiring mistake to plant, by circuit label.
#[derive(Debug, Clone, PartialEq)]
pub enum Mistake {
    /// The circuit's first clamp is on backwards (the project says it is not).
    Reversed(String),
    /// The (one-pole) breaker is really on this phase, not where the project puts it.
    WrongPhase(String, Phase),
    /// The installer configured only the first of a multi-pole circuit's sensors.
    OneLeg(String),
    /// The circuit's first clamp is unplugged: its channel reads noise.
    Unplugged(String),
    /// The circuit's first clamp is rated at 40 % of the breaker and the load runs at
    /// 80 %: its readings flatten at the clamp's range.
    Clipped(String),
    /// The circuit's first clamp is rated at half the breaker and the load runs at 65 %:
    /// above the clamp's rating, still inside its range.
    OverRating(String),
    /// The circuit's first sensor channel is missing from the capture.
    MissingChannel(String),
    /// A load no circuit sensor sees on this phase, in RMS amps (seen by the mains).
    Unsensed(Phase, f64),
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct WiringOptions {
    pub seed: u64,
    /// Default 2 s.
    pub duration_s: f64,
    /// Default 4000.
    pub sample_rate_hz: f64,
    pub mistakes: Vec<Mistake>,
}

impl Default for WiringOptions {
    fn default() -> Self {
        Self { seed: 1, duration_s: 2.0, sample_rate_hz: 4000.0, mistakes: Vec::new() }
    }
}

/// The capture, and the project as the installer configured it (different from the
/// input only for [`Mistake::OneLeg`] and the clamp ratings of `Clipped`/`OverRating`).
#[derive(Debug, Clone)]
pub struct WiringCapture {
    pub capture: Capture,
    pub configured: Project,
}

/// A test panel for `service`, sensed on every pole: the sample panel for split phase; a
/// 42-space 208Y/120 V panel (one-pole circuits on A, B and C, a two-pole water heater, a
/// three-pole rooftop unit); a 24-module 400/230 V board (one-pole circuits, a three-phase
/// heat pump, a two-phase hob). Other services get the 208Y/120 V layout on their own bus.
pub fn wiring_panel(service: Service) -> Project {
    match service {
        Service::SplitPhase120_240 => sample_panel(),
        Service::ThreePhase400_230 | Service::SinglePhase230 => build(
            service,
            24,
            &[
                (1, 1, 16.0, "Lighting"),
                (2, 1, 16.0, "Kitchen sockets"),
                (3, 1, 16.0, "Living sockets"),
                (4, 3, 16.0, "Heat pump"),
                (7, 2, 20.0, "Hob"),
                (9, 1, 10.0, "Boiler"),
                (10, 1, 16.0, "Washer"),
            ],
        ),
        _ => build(
            service,
            42,
            &[
                (1, 1, 20.0, "Lights north"),
                (2, 1, 20.0, "Receptacles"),
                (3, 1, 15.0, "Office"),
                (4, 1, 20.0, "Copier"),
                (5, 1, 20.0, "Break room"),
                (6, 1, 15.0, "Signage"),
                (7, 2, 30.0, "Water heater"),
                (8, 3, 40.0, "Rooftop unit"),
                (11, 1, 20.0, "Exhaust fan"),
                (14, 1, 20.0, "Server room"),
            ],
        ),
    }
}

fn build(service: Service, spaces: u32, breakers: &[(u32, u8, f64, &str)]) -> Project {
    let mut p =
        Project::new(format!("Test panel {}", service.as_str()), service, spaces, Main::Breaker { rating_a: 200.0 });
    let din = service.layout() == crate::panel::Layout::DinRail;
    let used: Vec<u32> = {
        let mut used: Vec<u32> = breakers
            .iter()
            .flat_map(|&(s, poles, _, _)| {
                (0..poles).map(move |k| if din { s + u32::from(k) } else { s + 2 * u32::from(k) })
            })
            .collect();
        used.sort();
        used
    };
    let last = used.last().copied().unwrap_or(1);
    let columns: Vec<(u32, u32)> = if din { vec![(1, 1)] } else { vec![(1, 2), (2, 2)] };
    for (first, pitch) in &columns {
        let positions = (*first..=last)
            .step_by(*pitch as usize)
            .map(|s| Position { channel: format!("I_{s:02}"), rating_a: 50.0, reversed: false })
            .collect();
        p.strips.push(Strip {
            name: format!("S{}", p.strips.len() + 1),
            model: "NC-8 (50 A)".into(),
            pitch: *pitch,
            first_space: *first,
            direction: StripDirection::Down,
            reversed: false,
            positions,
        });
    }
    let sensor_of = |space: u32| -> SensorRef {
        if din {
            SensorRef { strip: 0, position: (space - 1) as usize }
        } else {
            SensorRef { strip: ((space + 1) % 2) as usize, position: ((space - 1) / 2) as usize }
        }
    };
    for &(space, poles, rating_a, label) in breakers {
        let mut c = Circuit::new(label);
        let b = Breaker { space, poles, kind: BreakerKind::Breaker, rating_a, circuits: Vec::new() };
        c.sensors = p.spaces_of(&b).into_iter().map(sensor_of).collect();
        p.breakers.push(Breaker { circuits: vec![c], ..b });
    }
    for &phase in service.phases() {
        let name = phase.name(p.layout());
        p.mains.push(MainSensor { phase, channel: format!("I_MAIN_{name}"), rating_a: 200.0, reversed: false });
        p.voltage_refs.push(VoltageRef { phase, channel: format!("V_{name}") });
    }
    p
}

/// A sine's RMS phasor as (magnitude, angle in radians).
type Phasor = (f64, f64);

fn add(a: Phasor, b: Phasor, sign: f64) -> Phasor {
    let (x, y) = (a.0 * a.1.cos() + sign * b.0 * b.1.cos(), a.0 * a.1.sin() + sign * b.0 * b.1.sin());
    (x.hypot(y), y.atan2(x))
}

#[derive(Debug, Clone, Copy)]
/// One leg current as planted: its phase, its fundamental, and a sign (the return leg of a
/// two-pole load carries the opposite).
struct LegCurrent {
    phase: Phase,
    amps: f64,
    angle: f64,
}

/// Renders `project` as installed, with `opts.mistakes` planted.
pub fn wiring_capture(project: &Project, opts: &WiringOptions) -> WiringCapture {
    let service = project.panel.service;
    let rate = if opts.sample_rate_hz.is_finite() && opts.sample_rate_hz > 0.0 { opts.sample_rate_hz } else { 4000.0 };
    let duration = if opts.duration_s.is_finite() && opts.duration_s > 0.0 { opts.duration_s.min(60.0) } else { 2.0 };
    let n = (duration * rate).round() as usize;
    let omega = 2.0 * PI * service.frequency_hz() / rate;
    let mut rng = Rng::stream(opts.seed, 7);
    let label_is = |label: &str, c: &Circuit| c.label == label;
    let first_of = |c: &Circuit, pick: fn(&Mistake) -> Option<&String>| {
        opts.mistakes.iter().filter_map(pick).any(|l| label_is(l, c))
    };
    let voltage =
        |phase: Phase| -> Phasor { (service.phase_voltage(phase), service.phase_angle_deg(phase).to_radians()) };

    let mut configured = project.clone();
    let mut physical_rating: Vec<((usize, usize), f64)> = Vec::new();
    // Per sensor position: the current it sees (leg currents summed: a position may sit
    // over a pole of a two-pole load).
    let mut seen: std::collections::HashMap<(usize, usize), Vec<LegCurrent>> = std::collections::HashMap::new();
    let mut reversed_positions: Vec<(usize, usize)> = Vec::new();
    let mut unplugged: Vec<(usize, usize)> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut mains: Vec<LegCurrent> = Vec::new();

    for (bi, breaker) in project.breakers.iter().enumerate() {
        for (ci, circuit) in breaker.circuits.iter().enumerate() {
            if circuit.sensors.is_empty() {
                continue;
            }
            let mut amps = breaker.rating_a.max(1.0) * rng.uniform(0.25, 0.5);
            let lag = rng.uniform(0.0, 35.0_f64).to_radians();
            let first = circuit.sensors[0];
            let first_key = (first.strip, first.position);
            if first_of(circuit, |m| if let Mistake::Clipped(l) = m { Some(l) } else { None }) {
                let rating = (0.4 * breaker.rating_a).round().max(1.0);
                amps = 2.0 * rating;
                physical_rating.push((first_key, rating));
            }
            if first_of(circuit, |m| if let Mistake::OverRating(l) = m { Some(l) } else { None }) {
                let rating = (0.5 * breaker.rating_a).round().max(1.0);
                amps = 1.3 * rating;
                physical_rating.push((first_key, rating));
            }
            let mut phases = project.phases_of(breaker);
            if let Some(p) = opts.mistakes.iter().find_map(|m| match m {
                Mistake::WrongPhase(l, p) if label_is(l, circuit) => Some(*p),
                _ => None,
            }) && phases.len() == 1
            {
                phases = vec![p];
            }
            let direction = if circuit.direction == crate::panel::Direction::Generation { PI } else { 0.0 };
            let legs: Vec<LegCurrent> = match phases.len() {
                2 => {
                    let line = add(voltage(phases[0]), voltage(phases[1]), -1.0);
                    let angle = line.1 - lag + direction;
                    vec![
                        LegCurrent { phase: phases[0], amps, angle },
                        LegCurrent { phase: phases[1], amps, angle: angle + PI },
                    ]
                }
                _ => phases
                    .iter()
                    .map(|&p| LegCurrent { phase: p, amps, angle: voltage(p).1 - lag + direction })
                    .collect(),
            };
            let spaces = project.spaces_of(breaker);
            for &sensor in &circuit.sensors {
                let Some(strip) = project.strips.get(sensor.strip) else { continue };
                let Some(space) = strip.space_of(sensor.position) else { continue };
                let Some(pole) = spaces.iter().position(|&s| s == space) else { continue };
                if let Some(leg) = legs.get(pole) {
                    seen.entry((sensor.strip, sensor.position)).or_default().push(*leg);
                }
                let pos = strip.positions.get(sensor.position);
                if strip.reversed ^ pos.is_some_and(|p| p.reversed) {
                    reversed_positions.push((sensor.strip, sensor.position));
                }
            }
            if first_of(circuit, |m| if let Mistake::Reversed(l) = m { Some(l) } else { None }) {
                reversed_positions.push(first_key);
            }
            if first_of(circuit, |m| if let Mistake::Unplugged(l) = m { Some(l) } else { None }) {
                unplugged.push(first_key);
            }
            if first_of(circuit, |m| if let Mistake::MissingChannel(l) = m { Some(l) } else { None })
                && let Some(p) = project.position(first)
            {
                missing.push(p.channel.clone());
            }
            if first_of(circuit, |m| if let Mistake::OneLeg(l) = m { Some(l) } else { None }) {
                configured.breakers[bi].circuits[ci].sensors.truncate(1);
            }
            mains.extend(legs);
        }
    }
    for m in &opts.mistakes {
        if let Mistake::Unsensed(phase, amps) = m {
            mains.push(LegCurrent { phase: *phase, amps: *amps, angle: voltage(*phase).1 - 0.3 });
        }
    }
    for &((strip, position), rating) in &physical_rating {
        if let Some(p) = configured.strips.get_mut(strip).and_then(|s| s.positions.get_mut(position)) {
            p.rating_a = rating;
        }
    }

    let wave = |legs: &[&LegCurrent], harmonic: f64, noise: f64, rng: &mut Rng| -> Vec<f32> {
        (0..n)
            .map(|k| {
                let t = omega * k as f64;
                let mut x = 0.0;
                for l in legs {
                    let a = SQRT_2 * l.amps;
                    x += a * (t + l.angle).cos() + harmonic * a * (3.0 * (t + l.angle)).cos();
                }
                (x + noise * rng.normal()) as f32
            })
            .collect()
    };
    let mut channels = Vec::new();
    for v in &project.voltage_refs {
        let (amps, angle) = voltage(v.phase);
        let values: Vec<f32> = (0..n)
            .map(|k| {
                let t = omega * k as f64 + angle;
                let a = SQRT_2 * amps;
                (a * t.cos() + 0.015 * a * (5.0 * t).cos() + 0.05 * rng.normal()) as f32
            })
            .collect();
        channels.push(Channel::analog(v.channel.clone(), "V", Some(ChannelKind::Voltage), values));
    }
    for m in &project.mains {
        let legs: Vec<&LegCurrent> = mains.iter().filter(|l| l.phase == m.phase).collect();
        let mut values = wave(&legs, 0.04, 0.003, &mut rng);
        if m.reversed {
            values.iter_mut().for_each(|v| *v = -*v);
        }
        channels.push(Channel::analog(m.channel.clone(), "A", Some(ChannelKind::Current), values));
    }
    for (si, strip) in project.strips.iter().enumerate() {
        for (pi, position) in strip.positions.iter().enumerate() {
            if missing.contains(&position.channel) {
                continue;
            }
            let key = (si, pi);
            let legs: Vec<&LegCurrent> = if unplugged.contains(&key) {
                Vec::new()
            } else {
                seen.get(&key).map(|l| l.iter().collect()).unwrap_or_default()
            };
            let mut values = wave(&legs, 0.04, 0.003, &mut rng);
            let flips = reversed_positions.iter().filter(|&&k| k == key).count();
            if flips % 2 == 1 {
                values.iter_mut().for_each(|v| *v = -*v);
            }
            let rating = physical_rating.iter().find(|(k, _)| *k == key).map_or(position.rating_a, |(_, r)| *r);
            let range = (1.5 * rating * SQRT_2) as f32;
            if rating > 0.0 {
                values.iter_mut().for_each(|v| *v = v.clamp(-range, range));
            }
            channels.push(Channel::analog(position.channel.clone(), "A", Some(ChannelKind::Current), values));
        }
    }
    let capture = Capture {
        name: format!("wiring-{}", service.as_str()),
        channels,
        line_frequency_hz: Some(service.frequency_hz()),
        metadata: vec![("generator".into(), "panelscope wiring generator (synthetic data)".into())],
        ..Capture::new("", Format::Memory, rate)
    };
    WiringCapture { capture, configured }
}
