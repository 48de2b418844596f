//! Measurements on closed-form signals.

use std::f64::consts::{SQRT_2, TAU};

use super::*;
use crate::capture::{Channel, Format};

fn sine(f: f64, rate: f64, seconds: f64, rms: f64, phase_deg: f64) -> Vec<f32> {
    let n = (rate * seconds).round() as usize;
    (0..n).map(|i| (SQRT_2 * rms * (TAU * f * i as f64 / rate + phase_deg.to_radians()).sin()) as f32).collect()
}

fn capture(rate: f64, channels: Vec<(&str, &str, Vec<f32>)>) -> Capture {
    let mut c = Capture::new("test", Format::Memory, rate);
    for (name, unit, values) in channels {
        c.channels.push(Channel::analog(name, unit, None, values));
    }
    c
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn stats_of_a_sine() {
    let s = window_stats(&sine(50.0, 10_000.0, 1.0, 230.0, 0.0)).unwrap();
    assert!(close(s.rms, 230.0, 1e-3) && close(s.mean, 0.0, 1e-3));
    assert!(close(s.max, 230.0 * SQRT_2, 1e-3) && close(s.p2p, 2.0 * 230.0 * SQRT_2, 1e-2));
    assert!(close(s.crest_factor.unwrap(), SQRT_2, 1e-5));
    let flat = window_stats(&[0.0; 10]).unwrap();
    assert_eq!(flat.crest_factor, None);
    assert_eq!(window_stats(&[f32::NAN; 3]), None);
}

#[test]
fn power_of_a_lagging_pair_with_units() {
    let (f, rate) = (60.0, 7680.0);
    let phi: f64 = 36.87;
    let v = sine(f, rate, 0.5, 120.0, 0.0);
    let i = sine(f, rate, 0.5, 10.0, -phi);
    let p = power(&v, &i, "V", "A", rate, Some(f)).unwrap();
    let (cos, sin) = (phi.to_radians().cos(), phi.to_radians().sin());
    assert!(close(p.p_w, 1200.0 * cos, 0.05), "{p:?}");
    assert!(close(p.q_var.unwrap(), 1200.0 * sin, 0.05), "{p:?}");
    assert!(close(p.s_va, 1200.0, 0.01) && close(p.pf.unwrap(), cos, 1e-4) && close(p.dpf.unwrap(), cos, 1e-4));
    assert!(close(p.n_var, 1200.0 * sin, 0.1));
    // Leading current: negative Q. Units: kV and kA give MW-scale watts.
    let lead = sine(f, rate, 0.5, 10.0, phi);
    let q = power(&v, &lead, "kV", "kA", rate, Some(f)).unwrap();
    assert!(close(q.q_var.unwrap(), -1200.0e6 * sin, 1e3), "{q:?}");
    assert!(close(q.p_w, 1200.0e6 * cos, 1e3));
    // A missing sample in either channel is skipped in both.
    let mut gappy = i.clone();
    gappy[100] = f32::NAN;
    let g = power(&v, &gappy, "V", "A", rate, Some(f)).unwrap();
    assert!(close(g.p_w, p.p_w, 1.0));
}

#[test]
fn report_of_a_three_phase_capture() {
    let (f, rate) = (50.0, 6400.0);
    // B at 0.8 pu: V1 = 2.8/3, V2 = V0 = 0.2/3 (per unit of 230 V).
    let c = capture(
        rate,
        vec![
            ("V_A", "V", sine(f, rate, 1.0, 230.0, 90.0)),
            ("V_B", "V", sine(f, rate, 1.0, 0.8 * 230.0, -30.0)),
            ("V_C", "V", sine(f, rate, 1.0, 230.0, 210.0)),
            ("I_MAIN_A", "A", sine(f, rate, 1.0, 20.0, 90.0 - 30.0)),
            ("I_7", "A", sine(f, rate, 1.0, 5.0, -30.0)),
        ],
    );
    let r = measure_report(&c, None, None).unwrap();
    assert!(close(r.frequency_hz.unwrap(), 50.0, 1e-3));
    assert_eq!(r.nominal_frequency_hz, Some(50.0));
    assert_eq!(r.channels.len(), 5);
    assert!(close(r.channels[0].rms.unwrap(), 230.0, 0.01));
    assert!(r.channels[0].thd.unwrap() < 1e-4);
    assert_eq!(r.channels[0].harmonics.len(), 50);

    // V_A is the reference at 0°, V_B at -120°, V_C at +120°.
    let angle = |name: &str| r.phasors.iter().find(|p| p.name == name).unwrap().angle_deg;
    assert!(close(angle("V_A"), 0.0, 1e-6) && close(angle("V_B"), -120.0, 1e-3) && close(angle("V_C"), 120.0, 1e-3));
    assert!(close(angle("I_MAIN_A"), -30.0, 1e-3));

    let seq = &r.three_phase[0];
    assert_eq!(seq.channels, ["V_A".to_string(), "V_B".into(), "V_C".into()]);
    assert!(close(seq.positive.magnitude, 230.0 * 2.8 / 3.0, 0.01), "{seq:?}");
    assert!(close(seq.negative.magnitude, 230.0 * 0.2 / 3.0, 0.01), "{seq:?}");
    assert!(close(seq.zero.magnitude, 230.0 * 0.2 / 3.0, 0.01), "{seq:?}");
    assert!(close(seq.negative_unbalance.unwrap(), 0.2 / 2.8, 1e-4));

    // I_MAIN_A pairs with V_A by name: 230 V x 20 A at 30° lagging.
    let main = r.pairs.iter().find(|p| p.current == "I_MAIN_A").unwrap();
    assert_eq!((main.voltage.as_str(), main.paired_by), ("V_A", "name"));
    assert!(close(main.power.p_w, 4600.0 * 30f64.to_radians().cos(), 0.5));
    assert!(close(main.power.q_var.unwrap(), 4600.0 * 0.5, 0.5));
    // I_7 has no phase in its name: the closest voltage in phase is V_B.
    let branch = r.pairs.iter().find(|p| p.current == "I_7").unwrap();
    assert_eq!((branch.voltage.as_str(), branch.paired_by), ("V_B", "phase_angle"));
    assert!(close(branch.power.pf.unwrap(), 1.0, 1e-4));
}

#[test]
fn windows_short_ranges_and_odd_channels() {
    let (f, rate) = (60.0, 4000.0);
    let c = capture(
        rate,
        vec![
            ("V_A", "V", sine(f, rate, 1.0, 120.0, 0.0)),
            ("I_1", "A", vec![0.0; 4000]),
            ("X", "", vec![f32::NAN; 4000]),
        ],
    );
    // A window: half a second from 0.25 s.
    let r = measure_report(&c, Some(0.25), Some(0.75)).unwrap();
    assert!(close(r.from_s, 0.25, 1e-9) && close(r.to_s, 0.75, 1e-9));
    assert!(close(r.channels[0].rms.unwrap(), 120.0, 0.05));
    // A flat current: no frequency, THD or crest factor; a missing channel: nothing.
    assert_eq!(r.channels[1].frequency_hz, None);
    assert_eq!(r.channels[1].thd, None);
    assert_eq!(r.channels[1].crest_factor, None);
    assert_eq!(r.channels[2].rms, None);
    assert_eq!(r.pairs[0].power.pf, None);
    // Shorter than a cycle: statistics but no harmonics.
    let short = measure_report(&c, Some(0.1), Some(0.11)).unwrap();
    assert!(short.channels[0].rms.is_some() && short.channels[0].harmonics.is_empty());
    assert!(short.notes.iter().any(|n| n.contains("no periodic") || n.contains("shorter")), "{:?}", short.notes);
    // Bad windows.
    for (from, to) in [(Some(0.5), Some(0.5)), (Some(-1.0), None), (Some(2.0), None), (Some(f64::NAN), None)] {
        assert!(measure_report(&c, from, to).is_err(), "{from:?} {to:?}");
    }
    // No voltage at all.
    let currents = capture(rate, vec![("I_1", "A", sine(f, rate, 1.0, 5.0, 0.0))]);
    let r = measure_report(&currents, None, None).unwrap();
    assert!(r.pairs.is_empty() && close(r.frequency_hz.unwrap(), 60.0, 1e-3));
    assert!(r.notes.iter().any(|n| n.contains("no voltage")));
}

#[test]
fn irregular_time_is_resampled() {
    let (f, rate) = (50.0, 5000.0);
    let mut c = capture(rate, vec![("V_A", "V", sine(f, rate, 1.0, 230.0, 0.0))]);
    c.timebase = Timebase::Irregular { times_s: (0..5000).map(|i| i as f64 / rate).collect() };
    let r = measure_report(&c, None, None).unwrap();
    assert!(close(r.frequency_hz.unwrap(), 50.0, 1e-3));
    assert!(r.notes.iter().any(|n| n.contains("irregular")));
}
