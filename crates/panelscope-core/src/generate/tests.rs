//! Closed-form checks of the generated signals against their planted ground truth.

use std::f64::consts::{PI, SQRT_2, TAU};
use std::ops::Range;
use std::sync::OnceLock;

use super::*;
use crate::capture::ChannelKind;

/// Branch channels per leg, as the module documentation lays out the panels.
const SPLIT_LEGS: [(&str, &[&str]); 2] =
    [("A", &["I_01", "I_02", "I_05", "I_06"]), ("B", &["I_03", "I_04", "I_07", "I_08"])];
const THREE_LEGS: [(&str, &[&str]); 3] =
    [("A", &["I_01", "I_04", "I_07"]), ("B", &["I_02", "I_05", "I_08"]), ("C", &["I_03", "I_06"])];

fn split() -> &'static Generated {
    static CELL: OnceLock<Generated> = OnceLock::new();
    CELL.get_or_init(|| generate(&GenerateOptions::default()))
}

fn three() -> &'static Generated {
    static CELL: OnceLock<Generated> = OnceLock::new();
    CELL.get_or_init(|| {
        generate(&GenerateOptions { service: Service::ThreePhase400_230, seed: 7, ..Default::default() })
    })
}

/// The default split-phase capture without noise or quantisation.
fn quiet_split() -> &'static Generated {
    static CELL: OnceLock<Generated> = OnceLock::new();
    CELL.get_or_init(|| generate(&GenerateOptions { noise_fraction: 0.0, adc_bits: None, ..Default::default() }))
}

fn both() -> [&'static Generated; 2] {
    [split(), three()]
}

fn values<'a>(g: &'a Generated, name: &str) -> &'a [f32] {
    g.capture.channel(name).and_then(|c| c.analog_values()).unwrap_or_else(|| panic!("no channel {name}"))
}

fn rate(g: &Generated) -> f64 {
    g.capture.sample_rate_hz().unwrap()
}

fn f0(g: &Generated) -> f64 {
    g.capture.line_frequency_hz.unwrap()
}

/// Samples covering `cycles` nominal cycles from `from_s`.
fn cycles_from(g: &Generated, from_s: f64, cycles: f64) -> Range<usize> {
    let first = g.capture.index_at_or_after(from_s);
    first..first + (cycles * rate(g) / f0(g)).round() as usize
}

fn rms(values: &[f32]) -> f64 {
    (values.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / values.len() as f64).sqrt()
}

/// The complex amplitude of frequency `f` in `values` (sample 0 at `t0`), as (re, im).
fn phasor(values: &[f32], sample_rate_hz: f64, f: f64) -> (f64, f64) {
    let (mut re, mut im) = (0.0, 0.0);
    for (k, &v) in values.iter().enumerate() {
        let (s, c) = (TAU * f * k as f64 / sample_rate_hz).sin_cos();
        re += f64::from(v) * c;
        im -= f64::from(v) * s;
    }
    let scale = 2.0 / values.len() as f64;
    (re * scale, im * scale)
}

fn magnitude((re, im): (f64, f64)) -> f64 {
    re.hypot(im)
}

fn angle((re, im): (f64, f64)) -> f64 {
    im.atan2(re)
}

/// Wraps an angle difference into (-π, π].
fn wrap(a: f64) -> f64 {
    let a = a.rem_euclid(TAU);
    if a > PI { a - TAU } else { a }
}

/// Start of the first voltage disturbance (the end of the capture when there is none).
fn first_disturbance_s(g: &Generated) -> f64 {
    g.events.iter().filter(|e| e.unit == "V").map(|e| e.start_s).fold(g.capture.duration_s(), f64::min)
}

/// Whole nominal cycles from the start up to just before the first disturbance.
fn quiet_cycles(g: &Generated) -> Range<usize> {
    let cycles = ((first_disturbance_s(g) - 0.01) * f0(g)).floor();
    assert!(cycles >= 20.0, "almost 0.5 s before the first disturbance");
    cycles_from(g, 0.0, cycles)
}

fn events_on<'a>(g: &'a Generated, channel: &'a str, kind: &'a str) -> impl Iterator<Item = &'a PlantedEvent> {
    g.events.iter().filter(move |e| e.channel == channel && e.kind == kind)
}

#[test]
fn channels_are_complete_finite_and_consistent() {
    for (g, names) in [
        (
            split(),
            vec!["V_A", "V_B", "I_MAIN_A", "I_MAIN_B", "I_01", "I_02", "I_03", "I_04", "I_05", "I_06", "I_07", "I_08"],
        ),
        (
            three(),
            vec![
                "V_A", "V_B", "V_C", "I_MAIN_A", "I_MAIN_B", "I_MAIN_C", "I_01", "I_02", "I_03", "I_04", "I_05",
                "I_06", "I_07", "I_08",
            ],
        ),
    ] {
        let capture = &g.capture;
        capture.check_consistent().unwrap();
        assert_eq!(capture.channels.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), names);
        assert_eq!(capture.sample_count(), 40_000);
        assert_eq!(capture.format, Format::Memory);
        assert!(capture.start.is_some());
        for channel in &capture.channels {
            let (kind, unit) =
                if channel.name.starts_with('V') { (ChannelKind::Voltage, "V") } else { (ChannelKind::Current, "A") };
            assert_eq!((channel.kind, channel.unit.as_str()), (kind, unit), "{}", channel.name);
            assert!(channel.analog_values().unwrap().iter().all(|v| v.is_finite()), "{}", channel.name);
            assert!(capture.metadata.iter().any(|(key, _)| key == &channel.name), "{} is described", channel.name);
        }
    }
    assert_eq!(split().capture.name, "sample-split-phase");
    assert_eq!(split().capture.line_frequency_hz, Some(60.0));
    assert_eq!(three().capture.line_frequency_hz, Some(50.0));
}

#[test]
fn voltage_rms_is_nominal_before_any_disturbance() {
    for g in both() {
        let nominal = if f0(g) == 60.0 { 120.0 } else { 230.0 };
        let window = quiet_cycles(g);
        for channel in g.capture.channels.iter().filter(|c| c.kind == ChannelKind::Voltage) {
            let v = rms(&channel.analog_values().unwrap()[window.clone()]);
            assert!((v / nominal - 1.0).abs() < 0.01, "{} RMS {v} V", channel.name);
        }
    }
}

#[test]
fn frequency_stays_near_nominal() {
    for g in both() {
        let v = values(g, "V_A");
        let window = quiet_cycles(g);
        // Rising zero crossings, interpolated between samples.
        let crossings: Vec<f64> = (window.start + 1..window.end)
            .filter(|&k| v[k - 1] < 0.0 && v[k] >= 0.0)
            .map(|k| {
                let (a, b) = (f64::from(v[k - 1]), f64::from(v[k]));
                (k as f64 - 1.0 + a / (a - b)) / rate(g)
            })
            .collect();
        let periods = (crossings.len() - 1) as f64;
        let measured_hz = periods / (crossings[crossings.len() - 1] - crossings[0]);
        assert!((measured_hz - f0(g)).abs() < 0.03, "{measured_hz} Hz");
    }
    let mut rng = Rng::stream(3, 1);
    let supply = Supply::new(Service::SplitPhase120_240, &mut rng);
    assert!((0..6000).all(|i| (supply.frequency_hz(f64::from(i) * 0.01) - 60.0).abs() <= 0.02));
}

#[test]
fn legs_are_at_their_phase_angles() {
    let g = split();
    let window = quiet_cycles(g);
    let a = phasor(&values(g, "V_A")[window.clone()], rate(g), 60.0);
    let b = phasor(&values(g, "V_B")[window], rate(g), 60.0);
    assert!(wrap(angle(b) - angle(a)).abs() > PI - 0.01, "V_B at 180°");

    let g = three();
    let window = quiet_cycles(g);
    let [a, b, c] = ["V_A", "V_B", "V_C"].map(|name| phasor(&values(g, name)[window.clone()], rate(g), 50.0));
    assert!((wrap(angle(b) - angle(a)) + 2.0 * PI / 3.0).abs() < 0.01, "V_B lags V_A by 120°");
    assert!((wrap(angle(c) - angle(a)) - 2.0 * PI / 3.0).abs() < 0.01, "V_C leads V_A by 120°");
}

#[test]
fn voltage_harmonics_are_small_and_as_planted() {
    let g = split();
    let window = quiet_cycles(g);
    let v = &values(g, "V_A")[window];
    let fundamental = magnitude(phasor(v, rate(g), 60.0));
    for (order, fraction) in [(3.0, 0.015), (5.0, 0.020), (7.0, 0.008)] {
        let h = magnitude(phasor(v, rate(g), order * 60.0)) / fundamental;
        assert!((h - fraction).abs() < 0.002, "harmonic {order}: {h}");
    }
}

#[test]
fn mains_equal_the_sum_of_their_branches() {
    let check = |g: &Generated, legs: &[(&str, &[&str])], tolerance_a: f64| {
        for (leg, branches) in legs {
            let main = values(g, &format!("I_MAIN_{leg}"));
            let branch_values: Vec<&[f32]> = branches.iter().map(|b| values(g, b)).collect();
            let worst = (0..main.len())
                .map(|k| (f64::from(main[k]) - branch_values.iter().map(|b| f64::from(b[k])).sum::<f64>()).abs())
                .fold(0.0, f64::max);
            assert!(worst < tolerance_a, "leg {leg}: mains off the sum by up to {worst} A");
        }
    };
    check(quiet_split(), &SPLIT_LEGS, 1e-4);
    check(
        &generate(&GenerateOptions {
            service: Service::ThreePhase400_230,
            duration_s: 4.0,
            noise_fraction: 0.0,
            adc_bits: None,
            ..Default::default()
        }),
        &THREE_LEGS,
        1e-4,
    );
    // With sensor noise and quantisation: equal within the noise of five sensors.
    check(split(), &SPLIT_LEGS, 0.5);
    check(three(), &THREE_LEGS, 0.5);
}

#[test]
fn two_pole_load_flows_out_through_its_second_pole() {
    let g = quiet_split();
    let (a, b) = (values(g, "I_01"), values(g, "I_03"));
    assert!(a.iter().zip(b).all(|(x, y)| (x + y).abs() < 1e-4));
    assert!(a.iter().any(|&x| x.abs() > 10.0), "the water heater runs at some point");
}

#[test]
fn sags_and_swells_hold_the_planted_rms() {
    for g in both() {
        let steps: Vec<&PlantedEvent> = g.events.iter().filter(|e| e.kind == "sag" || e.kind == "swell").collect();
        assert!(steps.iter().any(|e| e.kind == "sag") && steps.iter().any(|e| e.kind == "swell"));
        for event in steps {
            let v = values(g, &event.channel);
            let period_s = 1.0 / f0(g);
            let end_s = event.end_s.unwrap();
            let mut from_s = event.start_s + 0.25 * period_s;
            let mut checked = 0;
            while from_s + period_s <= end_s - 0.25 * period_s {
                let held = rms(&v[cycles_from(g, from_s, 1.0)]);
                assert!((held / event.magnitude - 1.0).abs() < 0.01, "{event:?}: cycle RMS {held} V");
                from_s += period_s;
                checked += 1;
            }
            assert!(checked >= 2, "{event:?}");
            let before = rms(&v[cycles_from(g, event.start_s - 3.0 * period_s, 2.0)]);
            let nominal = if f0(g) == 60.0 { 120.0 } else { 230.0 };
            assert!((before / nominal - 1.0).abs() < 0.01, "{event:?}: {before} V before");
        }
    }
}

#[test]
fn a_sag_lowers_resistive_currents_in_proportion() {
    let g = quiet_split();
    let sag = g.events.iter().find(|e| e.kind == "sag").expect("a sag");
    // The always-on load of the sagging leg.
    let base = values(g, if sag.channel == "V_A" { "I_06" } else { "I_08" });
    let mid = 0.5 * (sag.start_s + sag.end_s.unwrap());
    let during = rms(&base[cycles_from(g, mid - 0.5 / 60.0, 1.0)]);
    let before = rms(&base[cycles_from(g, sag.start_s - 2.0 / 60.0, 1.0)]);
    let pre_v = rms(&values(g, &sag.channel)[cycles_from(g, sag.start_s - 2.0 / 60.0, 1.0)]);
    let expected = sag.magnitude / pre_v;
    assert!((during / before - expected).abs() < 0.01, "{during} A during, {before} A before, {expected} pu");
}

/// RMS of six cycles ending two cycles before `t_s` and six starting `after_s` past it.
fn rms_around(g: &Generated, channel: &str, t_s: f64, after_s: f64) -> (f64, f64) {
    let period_s = 1.0 / f0(g);
    let v = values(g, channel);
    (rms(&v[cycles_from(g, t_s - 8.0 * period_s, 6.0)]), rms(&v[cycles_from(g, t_s + after_s, 6.0)]))
}

#[test]
fn heater_steps_match_the_planted_magnitude() {
    for (g, channel) in [(split(), "I_02"), (three(), "I_04"), (split(), "I_01"), (three(), "I_02")] {
        let steps: Vec<&PlantedEvent> =
            g.events.iter().filter(|e| e.channel == channel && e.kind.starts_with("load_")).collect();
        assert!(!steps.is_empty(), "{channel} switches");
        for event in steps {
            let (before, after) = rms_around(g, channel, event.start_s, 2.0 / f0(g));
            assert!(((after - before).abs() / event.magnitude - 1.0).abs() < 0.02, "{event:?}: {before} -> {after}");
            assert_eq!(after > before, event.kind == "load_on", "{event:?}");
        }
    }
}

#[test]
fn every_load_off_drops_the_planted_rms_at_a_current_zero() {
    let g = quiet_split();
    let mut seen = 0;
    for event in g.events.iter().filter(|e| e.kind == "load_off") {
        let (before, after) = rms_around(g, &event.channel, event.start_s, 0.0);
        assert!((before / event.magnitude - 1.0).abs() < 0.03, "{event:?}: {before} A before");
        assert!(after == 0.0, "{event:?}: {after} A after");
        let v = values(g, &event.channel);
        let last_on = g.capture.index_at_or_after(event.start_s) - 1;
        let per_sample = (TAU * f0(g) / rate(g)).sin();
        assert!(f64::from(v[last_on].abs()) < 3.5 * SQRT_2 * event.magnitude * per_sample, "{event:?}: {}", v[last_on]);
        seen += 1;
    }
    assert!(seen >= 3);
}

#[test]
fn motor_starts_with_inrush() {
    let mut seen = 0;
    for g in both() {
        for event in
            g.events.iter().filter(|e| e.kind == "load_on" && e.note.contains("inrush") && e.note.contains("motor"))
        {
            let v = values(g, &event.channel);
            let peak = v[cycles_from(g, event.start_s, 3.0)].iter().fold(0.0f64, |m, &x| m.max(f64::from(x).abs()));
            let running_peak = SQRT_2 * event.magnitude;
            assert!(peak > 4.0 * running_peak, "{event:?}: peak {peak} A");
            seen += 1;
        }
    }
    assert!(seen >= 4, "both motors start in both captures");
}

/// Power factor of `current` against its leg's voltage over 12 cycles before `end_s`.
fn power_factor(g: &Generated, voltage: &str, current: &str, end_s: f64) -> (f64, f64) {
    let window = cycles_from(g, end_s - 14.0 / f0(g), 12.0);
    let (v, i) = (&values(g, voltage)[window.clone()], &values(g, current)[window]);
    let p = v.iter().zip(i).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum::<f64>() / v.len() as f64;
    let crest = i.iter().fold(0.0f64, |m, &x| m.max(f64::from(x).abs())) / rms(i);
    (p / (rms(v) * rms(i)), crest)
}

#[test]
fn loads_have_their_power_factors() {
    let g = split();
    let cases = [
        ("I_02", "V_A", 0.99, 1.01),
        ("I_04", "V_B", 0.77, 0.83),
        ("I_05", "V_A", 0.55, 0.65),
        ("I_07", "V_B", 0.82, 0.88),
    ];
    for (channel, voltage, low, high) in cases {
        let off = events_on(g, channel, "load_off").next().unwrap_or_else(|| panic!("{channel} switches off"));
        let (pf, crest) = power_factor(g, voltage, channel, off.start_s);
        assert!((low..=high).contains(&pf), "{channel}: PF {pf}");
        if channel == "I_05" {
            assert!(crest > 2.5, "LED current is peaky: crest factor {crest}");
        }
    }
}

#[test]
fn always_on_load_wanders_without_steps() {
    for (g, channel) in [(split(), "I_06"), (split(), "I_08"), (three(), "I_08")] {
        assert!(g.events.iter().all(|e| e.channel != channel));
        // Windows of exactly 10 nominal cycles (an integer number of samples at 4 kHz).
        let window = (10.0 * rate(g) / f0(g)).round() as usize;
        let v = values(g, channel);
        let disturbed: Vec<(f64, f64)> =
            g.events.iter().filter(|e| e.unit == "V").map(|e| (e.start_s - 0.2, e.end_s.unwrap() + 0.2)).collect();
        // (window index, RMS) of every window clear of voltage disturbances.
        let levels: Vec<(usize, f64)> = (0..v.len() / window)
            .filter(|&w| {
                let t = (w * window) as f64 / rate(g);
                disturbed.iter().all(|&(s, e)| t + 0.2 < s || t > e)
            })
            .map(|w| (w, rms(&v[w * window..(w + 1) * window])))
            .collect();
        let mean = levels.iter().map(|l| l.1).sum::<f64>() / levels.len() as f64;
        assert!(levels.iter().all(|l| (l.1 / mean - 1.0).abs() < 0.065), "{channel} stays within ±3 %: {levels:?}");
        let largest_change = levels
            .windows(2)
            .filter(|p| p[1].0 == p[0].0 + 1)
            .map(|p| (p[1].1 / p[0].1 - 1.0).abs())
            .fold(0.0, f64::max);
        assert!(largest_change < 0.01, "{channel} changes by {largest_change} in 10 cycles");
        assert!(largest_change > 0.0005, "{channel} does vary");
    }
}

#[test]
fn transients_peak_at_their_first_sample_and_die_within_a_millisecond() {
    for g in both() {
        let transients: Vec<&PlantedEvent> = g.events.iter().filter(|e| e.kind == "transient").collect();
        assert!(!transients.is_empty());
        for event in transients {
            let v = values(g, &event.channel);
            let fs = rate(g);
            // A cycle earlier, interpolated: the undisturbed waveform (drift moves it < 1 V).
            let deviation = |k: usize| {
                let back = k as f64 - fs / f0(g);
                let (i, frac) = (back.floor() as usize, back - back.floor());
                let earlier = f64::from(v[i]) * (1.0 - frac) + f64::from(v[i + 1]) * frac;
                f64::from(v[k]) - earlier
            };
            let first = g.capture.index_at_or_after(event.start_s);
            assert!((first as f64 / fs - event.start_s).abs() < 1e-9, "starts on a sample");
            let peak = deviation(first);
            assert!((peak.abs() - event.magnitude).abs() < 0.01 * event.magnitude + 2.0, "{event:?}: {peak} V");
            assert!(event.end_s.unwrap() - event.start_s < 1e-3);
            assert!(deviation(first - 1).abs() < 2.0);
            let after = g.capture.index_at_or_after(event.end_s.unwrap());
            assert!((after..after + 5).all(|k| deviation(k).abs() < 2.0), "{event:?} is over");
        }
    }
}

#[test]
fn transients_give_a_smaller_current_blip() {
    let g = quiet_split();
    for event in g.events.iter().filter(|e| e.kind == "transient") {
        let leg = &event.channel[2..];
        let k = g.capture.index_at_or_after(event.start_s);
        // Three cycles are exactly 200 samples at 4 kHz and 60 Hz.
        let earlier = k - 200;
        let relative_jump = |name: &str| {
            let x = values(g, name);
            f64::from(x[k] - x[earlier]).abs() / rms(&x[earlier - 200..earlier])
        };
        let voltage_jump = relative_jump(&event.channel);
        let current_jump = relative_jump(&format!("I_MAIN_{leg}"));
        assert!(current_jump > 0.01 && current_jump < voltage_jump, "{current_jump} vs {voltage_jump}");
    }
}

#[test]
fn events_are_sorted_inside_the_capture_and_well_formed() {
    for g in both() {
        let duration_s = g.capture.duration_s();
        assert!(g.events.windows(2).all(|p| p[0].start_s <= p[1].start_s), "sorted");
        for kind in ["load_on", "load_off", "sag", "swell", "transient"] {
            assert!(g.events.iter().any(|e| e.kind == kind), "a {kind}");
        }
        for event in &g.events {
            assert!(g.capture.channel(&event.channel).is_some(), "{event:?}");
            assert!(!event.channel.starts_with("I_MAIN"), "mains are not listed");
            assert!(event.start_s >= 0.5 && event.start_s <= duration_s - 0.5 + 2.0 / f0(g), "{event:?}");
            assert!(event.magnitude > 0.0 && event.magnitude.is_finite(), "{event:?}");
            assert!(!event.note.is_empty());
            let load = event.kind.starts_with("load_");
            assert_eq!(event.end_s.is_none(), load, "{event:?}");
            assert_eq!(event.unit, if load { "A" } else { "V" }, "{event:?}");
            if let Some(end_s) = event.end_s {
                assert!(end_s > event.start_s && end_s <= duration_s - 0.5, "{event:?}");
            }
        }
        let disturbances: Vec<(f64, f64)> =
            g.events.iter().filter_map(|e| e.end_s.map(|end| (e.start_s, end))).collect();
        for event in g.events.iter().filter(|e| e.kind.starts_with("load_")) {
            assert!(
                disturbances.iter().all(|&(s, e)| event.start_s < s - 0.5 || event.start_s > e + 0.25),
                "{event:?}"
            );
        }
    }
    // The two poles of the water heater switch together.
    let g = split();
    let starts =
        |channel: &str| g.events.iter().filter(|e| e.channel == channel).map(|e| e.start_s).collect::<Vec<_>>();
    assert_eq!(starts("I_01"), starts("I_03"));
}

#[test]
fn same_seed_same_capture_other_seed_differs() {
    let options = GenerateOptions { duration_s: 4.0, seed: 99, ..Default::default() };
    let (a, b) = (generate(&options), generate(&options));
    assert_eq!(a, b);
    let c = generate(&GenerateOptions { seed: 100, ..options });
    assert_ne!(values(&a, "V_A"), values(&c, "V_A"));
    assert_ne!(values(&a, "I_02"), values(&c, "I_02"));
    assert_ne!(a.events, c.events);
    assert_ne!(a.capture.start, c.capture.start);
}

#[test]
fn odd_options_give_valid_captures() {
    let cases = [
        GenerateOptions { duration_s: 0.0, ..Default::default() },
        GenerateOptions { duration_s: f64::NAN, sample_rate_hz: -1.0, ..Default::default() },
        GenerateOptions {
            duration_s: 0.3,
            sample_rate_hz: f64::INFINITY,
            noise_fraction: f64::NAN,
            ..Default::default()
        },
        GenerateOptions { duration_s: 3.5, sample_rate_hz: 100.0, adc_bits: Some(0), ..Default::default() },
        GenerateOptions { duration_s: 1.0, sample_rate_hz: 50_000.0, adc_bits: Some(64), ..Default::default() },
    ];
    for options in cases {
        let g = generate(&options);
        g.capture.check_consistent().unwrap();
        assert!(
            g.capture.channels.iter().all(|c| c.analog_values().unwrap().iter().all(|v| v.is_finite())),
            "{options:?}"
        );
        let duration_s = g.capture.duration_s();
        assert!(g.events.iter().all(|e| e.start_s >= 0.5 && e.start_s < duration_s), "{options:?}");
    }
    assert_eq!(generate(&GenerateOptions { duration_s: -3.0, ..Default::default() }).capture.sample_count(), 0);
}

#[test]
fn service_names_round_trip() {
    for service in Service::ALL {
        assert_eq!(Service::from_name(service.as_str()), Some(service));
        assert_eq!(serde_json::to_string(&service).unwrap(), format!("\"{service}\""));
    }
    assert_eq!(Service::from_name(" Three-Phase-400-230 "), Some(Service::ThreePhase400_230));
    assert_eq!(Service::from_name("208y-120"), None);
}

#[test]
fn planted_events_serialise() {
    let json = serde_json::to_string(&split().events).unwrap();
    let back: Vec<PlantedEvent> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.len(), split().events.len());
    for (read, planted) in back.iter().zip(&split().events) {
        assert_eq!(
            (&read.kind, &read.channel, &read.unit, &read.note),
            (&planted.kind, &planted.channel, &planted.unit, &planted.note)
        );
        assert!((read.start_s - planted.start_s).abs() < 1e-12 && (read.magnitude - planted.magnitude).abs() < 1e-9);
        assert_eq!(read.end_s.is_some(), planted.end_s.is_some());
    }
    let options: GenerateOptions = serde_json::from_str(r#"{"seed": 5}"#).unwrap();
    assert_eq!(options, GenerateOptions { seed: 5, ..Default::default() });
}

fn hard(service: Service, seed: u64) -> Generated {
    generate(&GenerateOptions { service, seed, hard_cases: true, noise_fraction: 0.003, ..Default::default() })
}

#[test]
fn hard_cases_add_small_loads_a_fluctuating_motor_interruptions_and_near_switching() {
    for (service, seed) in [(Service::SplitPhase120_240, 3), (Service::ThreePhase400_230, 4)] {
        let g = hard(service, seed);
        g.capture.check_consistent().unwrap();
        let nominal_v = service.nominal_v();
        // The small loads: tens of watts, on sensors whose full scale is the circuit's.
        for channel in ["I_09", "I_11"] {
            let steps: Vec<&PlantedEvent> =
                events_on(&g, channel, "load_on").chain(events_on(&g, channel, "load_off")).collect();
            assert!(!steps.is_empty(), "{service}: {channel} switches");
            for event in steps {
                let watts = event.magnitude * nominal_v;
                assert!((5.0..=25.5).contains(&watts), "{event:?}");
                let (before, after) = rms_around(&g, channel, event.start_s, 3.0 / f0(&g));
                let step = (after - before).abs();
                assert!(step > 0.6 * event.magnitude && step < 1.4 * event.magnitude, "{event:?}: {before} -> {after}");
            }
            let description = g.capture.metadata.iter().find(|(k, _)| k == channel).map(|(_, v)| v.as_str()).unwrap();
            assert!(description.ends_with("full scale +/-50 A"), "{description}");
        }
        // The motor's load swings between levels, once or more a second, as planted.
        let fluctuation = events_on(&g, "I_12", "fluctuation").next().expect("a fluctuation");
        let (start_s, end_s) = (fluctuation.start_s, fluctuation.end_s.unwrap());
        assert!(end_s - start_s > 3.0, "{fluctuation:?}");
        let period = (rate(&g) / f0(&g)).round() as usize;
        let v = values(&g, "I_12");
        // (Away from the voltage disturbances, which its current follows.)
        let disturbed = |t: f64| {
            g.events.iter().any(|e| {
                ["sag", "swell", "interruption"].contains(&e.kind.as_str())
                    && t > e.start_s - 2.0 / f0(&g)
                    && t < e.end_s.unwrap() + 2.0 / f0(&g)
            })
        };
        let cycle_rms: Vec<f64> = (g.capture.index_at_or_after(start_s)..g.capture.index_at_or_after(end_s))
            .step_by(period)
            .filter(|&i| !disturbed(i as f64 / rate(&g)))
            .map(|i| rms(&v[i..i + period]))
            .collect();
        let (low, high) = cycle_rms.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &r| (l.min(r), h.max(r)));
        assert!(((high - low) / fluctuation.magnitude - 1.0).abs() < 0.15, "{low}..{high} A: {fluctuation:?}");
        assert_eq!(events_on(&g, "I_12", "load_on").count(), 0);
        let stop = events_on(&g, "I_12", "load_off").next().expect("the motor stops");
        assert!(stop.start_s > end_s);
        // Interruptions: the voltage under 0.1 pu, the loads' currents following it down.
        let interruptions: Vec<&PlantedEvent> = g.events.iter().filter(|e| e.kind == "interruption").collect();
        assert!(!interruptions.is_empty(), "{service}");
        for event in interruptions {
            let middle = 0.5 * (event.start_s + event.end_s.unwrap());
            let during = rms(&values(&g, &event.channel)[cycles_from(&g, middle - 1.0 / f0(&g), 2.0)]);
            assert!(during < 0.1 * nominal_v, "{event:?}: {during} V");
            assert!((during - event.magnitude).abs() < 0.01 * nominal_v, "{event:?}: {during} V");
        }
        // Some switchings of different loads within a cycle of each other.
        let mut switching: Vec<(f64, &str)> = g
            .events
            .iter()
            .filter(|e| e.kind.starts_with("load_") && !e.channel.starts_with("I_MAIN"))
            .map(|e| (e.start_s, e.channel.as_str()))
            .collect();
        switching.sort_by(|a, b| a.0.total_cmp(&b.0));
        // (Not the poles of one multi-pole load, on spaces 1-3.)
        let one_load =
            |a: &str, b: &str| ["I_01", "I_02", "I_03"].contains(&a) && ["I_01", "I_02", "I_03"].contains(&b);
        let near = switching
            .windows(2)
            .filter(|w| w[1].0 - w[0].0 < 1.0 / f0(&g) && w[0].1 != w[1].1 && !one_load(w[0].1, w[1].1))
            .count();
        assert!(near >= 1, "{service}: {switching:?}");
    }
}

#[test]
fn hard_cases_leave_the_default_capture_as_it_was() {
    let again = generate(&GenerateOptions { hard_cases: false, ..Default::default() });
    assert_eq!(&again, split());
    assert!(!split().capture.channels.iter().any(|c| c.name == "I_12"));
}
