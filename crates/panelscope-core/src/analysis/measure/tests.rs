//! Measurements on closed-form signals.

use std::f64::consts::{SQRT_2, TAU};

use super::*;
use crate::capture::{Bits, Capture, Channel, Format, Timebase};

/// A sine of RMS `rms` at `f`, `phase_deg` at t = 0.
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

fn pair<'a>(r: &'a MeasureReport, current: &str) -> &'a PairReport {
    r.pairs.iter().find(|p| p.current == current).unwrap()
}

#[test]
fn sine_rms_crest_and_frequency() {
    let a = 325.0;
    for (f, rate) in [(50.0, 10_000.0), (59.95, 1000.0), (60.0, 100_000.0)] {
        let c = capture(rate, vec![("V_A", "V", sine(f, rate, 1.0, a / SQRT_2, 10.0))]);
        let r = measure_report(&c, None, None).unwrap();
        let v = &r.channels[0];
        // The RMS of whole cycles is exact; over 1 s of 59.95 Hz the partial cycle moves it by
        // up to 1/(4π·59.95) of itself.
        let partial = if f == 59.95 { 1.4e-3 } else { 1e-6 };
        assert!(close(v.rms.unwrap(), a / SQRT_2, partial * a), "{f} at {rate}: {v:?}");
        assert!(close(v.mean.unwrap(), 0.0, partial * a), "{v:?}");
        // Samples do not land on the crest at 1 kHz: the largest sample is below it.
        let max_sample = (0..rate as usize)
            .map(|i| a * (TAU * f * i as f64 / rate + 10f64.to_radians()).sin())
            .fold(f64::MIN, f64::max);
        assert!(close(v.max.unwrap(), max_sample, 1e-3), "{v:?}");
        assert!(close(v.crest_factor.unwrap(), max_sample / v.rms.unwrap(), 1e-5));
        assert!(close(v.frequency_hz.unwrap(), f, 1e-3), "{f} at {rate}: {v:?}");
        assert!(close(r.frequency_hz.unwrap(), f, 1e-3));
        // At 1 kHz a 59.95 Hz window is 200 samples for 200.17: leakage reads as 0.3% THD.
        assert!(v.thd.unwrap() < if rate < 2000.0 { 4e-3 } else { 1e-4 }, "{v:?}");
    }
    let s = window_stats(&sine(50.0, 10_000.0, 1.0, 230.0, 90.0)).unwrap();
    assert!(close(s.crest_factor.unwrap(), SQRT_2, 1e-5) && close(s.p2p, 2.0 * 230.0 * SQRT_2, 1e-2));
}

#[test]
fn power_of_a_lagging_pair_with_units_and_gaps() {
    let (f, rate) = (60.0, 7680.0);
    let phi: f64 = 36.87;
    let (cos, sin) = (phi.to_radians().cos(), phi.to_radians().sin());
    let v = sine(f, rate, 0.5, 120.0, 0.0);
    let i = sine(f, rate, 0.5, 10.0, -phi);
    let p = power(&v, &i, "V", "A", rate, Some(f)).unwrap();
    assert!(close(p.p_w, 1200.0 * cos, 1e-3), "{p:?}");
    assert!(close(p.q_var.unwrap(), 1200.0 * sin, 1e-3), "{p:?}");
    assert!(close(p.s_va, 1200.0, 1e-3) && close(p.n_var, 1200.0 * sin, 1e-2));
    assert!(close(p.pf.unwrap(), cos, 1e-6) && close(p.dpf.unwrap(), cos, 1e-6));
    assert!(close(p.v_rms, 120.0, 1e-4) && close(p.i_rms, 10.0, 1e-4));
    // Leading current: negative Q. kV and kA give watts a million times larger; mV and mA a
    // million times smaller.
    let lead = sine(f, rate, 0.5, 10.0, phi);
    let q = power(&v, &lead, "kV", "kA", rate, Some(f)).unwrap();
    assert!(close(q.q_var.unwrap(), -1200.0e6 * sin, 1200.0) && close(q.p_w, 1200.0e6 * cos, 1200.0), "{q:?}");
    assert!(close(q.v_rms, 120e3, 0.1));
    let m = power(&v, &lead, "mV", "mA", rate, Some(f)).unwrap();
    assert!(close(m.p_w, 1200.0e-6 * cos, 1e-9));
    // A missing sample in either channel is skipped in both; P barely moves.
    let mut gappy = i.clone();
    gappy[100] = f32::NAN;
    let mut gappy_v = v.clone();
    gappy_v[200] = f32::NAN;
    let g = power(&gappy_v, &gappy, "V", "A", rate, Some(f)).unwrap();
    assert!(close(g.p_w, p.p_w, 1.0) && close(g.v_rms, 120.0, 0.05), "{g:?}");
    // The windows holding the gaps are left out of Q1, the others give it exactly.
    assert!(close(g.q_var.unwrap(), 1200.0 * sin, 1e-3), "{g:?}");
    // No frequency: P, S and PF but no Q1.
    let n = power(&v, &i, "V", "A", rate, None).unwrap();
    assert_eq!((n.q_var, n.dpf), (None, None));
    assert!(close(n.pf.unwrap(), cos, 1e-3));
}

#[test]
fn distorted_current_has_pf_below_dpf() {
    // v = 230 V sine; i = 10 A at 30° lag plus a 5 A third harmonic: P = 2300 cos 30°,
    // Q1 = 2300 sin 30°, S = 230·sqrt(10² + 5²), DPF = cos 30°, PF = P/S.
    let (f, rate) = (50.0, 6400.0);
    let n = 6400;
    let v = sine(f, rate, 1.0, 230.0, 0.0);
    let i: Vec<f32> = (0..n)
        .map(|k| {
            let w = TAU * f * k as f64 / rate;
            (SQRT_2 * (10.0 * (w - 30f64.to_radians()).sin() + 5.0 * (3.0 * w).sin())) as f32
        })
        .collect();
    let p = power(&v, &i, "V", "A", rate, Some(f)).unwrap();
    let s = 230.0 * 125f64.sqrt();
    let (cos, sin) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
    assert!(close(p.p_w, 2300.0 * cos, 1e-3) && close(p.q_var.unwrap(), 2300.0 * sin, 1e-3), "{p:?}");
    assert!(close(p.s_va, s, 1e-3) && close(p.pf.unwrap(), 2300.0 * cos / s, 1e-6));
    assert!(close(p.dpf.unwrap(), cos, 1e-6));
    assert!(close(p.n_var, (s * s - (2300.0 * cos).powi(2)).sqrt(), 1e-2));
}

#[test]
fn report_of_balanced_and_unbalanced_three_phase_sets() {
    let (f, rate) = (50.0, 6400.0);
    // Voltages balanced; currents with B at 0.8 pu: I1 = 20·2.8/3, I2 = I0 = 20·0.2/3.
    let c = capture(
        rate,
        vec![
            ("V_A", "V", sine(f, rate, 1.0, 230.0, 90.0)),
            ("V_B", "V", sine(f, rate, 1.0, 230.0, -30.0)),
            ("V_C", "V", sine(f, rate, 1.0, 230.0, 210.0)),
            ("I_MAIN_A", "A", sine(f, rate, 1.0, 20.0, 90.0 - 30.0)),
            ("I_MAIN_B", "A", sine(f, rate, 1.0, 0.8 * 20.0, -30.0 - 30.0)),
            ("I_MAIN_C", "A", sine(f, rate, 1.0, 20.0, 210.0 - 30.0)),
            ("I_7", "A", sine(f, rate, 1.0, 5.0, -30.0)),
            ("P_TOTAL", "kW", vec![3.0; 6400]),
        ],
    );
    let r = measure_report(&c, None, None).unwrap();
    assert!(close(r.frequency_hz.unwrap(), 50.0, 1e-3));
    assert_eq!(r.nominal_frequency_hz, Some(50.0));
    assert_eq!(r.samples, 6400);
    assert_eq!(r.channels.len(), 8);
    assert!(close(r.channels[0].rms.unwrap(), 230.0, 0.01));
    assert!(r.channels[0].thd.unwrap() < 1e-4);
    assert_eq!(r.channels[0].harmonics.as_ref().unwrap().len(), 50);

    // V_A is the reference at 0°, V_B at -120°, V_C at +120°; power channels have no phasor.
    assert_eq!(r.phasor_reference.as_deref(), Some("V_A"));
    let angle = |name: &str| r.phasors.iter().find(|p| p.name == name).unwrap().angle_deg;
    assert!(close(angle("V_A"), 0.0, 1e-9) && close(angle("V_B"), -120.0, 1e-3) && close(angle("V_C"), 120.0, 1e-3));
    assert!(close(angle("I_MAIN_A"), -30.0, 1e-3));
    assert!(r.phasors.iter().all(|p| p.name != "P_TOTAL"));

    let voltages = r.three_phase.iter().find(|s| s.channels[0] == "V_A").unwrap();
    assert_eq!(voltages.channels, ["V_A".to_string(), "V_B".into(), "V_C".into()]);
    let s = &voltages.sequence;
    assert!(close(s.positive.magnitude, 230.0, 1e-3) && close(s.positive.angle_deg, 0.0, 1e-3), "{s:?}");
    assert!(s.negative.magnitude < 1e-3 && s.zero.magnitude < 1e-3, "{s:?}");
    assert!(s.negative_unbalance.unwrap() < 1e-5);

    let currents = &r.three_phase.iter().find(|s| s.channels[0] == "I_MAIN_A").unwrap().sequence;
    // By hand (see phasors.rs): B short by 0.2 pu at -150° gives V0 = 0.2/3∠30°,
    // V1 = 2.8/3∠-30°, V2 = 0.2/3∠-90°.
    assert!(close(currents.positive.magnitude, 20.0 * 2.8 / 3.0, 1e-3), "{currents:?}");
    assert!(close(currents.positive.angle_deg, -30.0, 1e-3));
    assert!(
        close(currents.negative.magnitude, 20.0 * 0.2 / 3.0, 1e-3) && close(currents.negative.angle_deg, -90.0, 1e-2)
    );
    assert!(close(currents.zero.magnitude, 20.0 * 0.2 / 3.0, 1e-3) && close(currents.zero.angle_deg, 30.0, 1e-2));
    assert!(close(currents.negative_unbalance.unwrap(), 0.2 / 2.8, 1e-5));

    // I_MAIN_A pairs with V_A by name: 230 V × 20 A at 30° lagging.
    let main = pair(&r, "I_MAIN_A");
    assert_eq!((main.voltage.as_str(), main.paired_by), ("V_A", PairedBy::Name));
    assert!(close(main.power.p_w, 4600.0 * 30f64.to_radians().cos(), 0.01));
    assert!(close(main.power.q_var.unwrap(), 4600.0 * 0.5, 0.01));
    assert_eq!(pair(&r, "I_MAIN_B").voltage, "V_B");
    // I_7 has no phase in its name: the closest voltage in phase is V_B.
    let branch = pair(&r, "I_7");
    assert_eq!((branch.voltage.as_str(), branch.paired_by), ("V_B", PairedBy::PhaseAngle));
    assert!(close(branch.power.pf.unwrap(), 1.0, 1e-6));
    // Power channels are not paired.
    assert_eq!(r.pairs.len(), 4);
}

#[test]
fn pairing_by_name_style_and_only_voltage() {
    let (f, rate) = (50.0, 5000.0);
    let c = capture(
        rate,
        vec![
            ("LINE_A_IL1", "A", sine(f, rate, 0.2, 100.0, 0.0)),
            ("LINE_A_IN", "A", sine(f, rate, 0.2, 1.0, 120.0)),
            ("LINE_UL1", "kV", sine(f, rate, 0.2, 230.0, 0.0)),
            ("LINE_UL2", "kV", sine(f, rate, 0.2, 230.0, -120.0)),
            ("LINE_UL3", "kV", sine(f, rate, 0.2, 230.0, 120.0)),
        ],
    );
    let r = measure_report(&c, None, None).unwrap();
    let il1 = pair(&r, "LINE_A_IL1");
    assert_eq!((il1.voltage.as_str(), il1.paired_by), ("LINE_UL1", PairedBy::Name));
    assert!(close(il1.power.p_w, 23e6, 1.0), "{il1:?}");
    // The `A` of LINE_A_IN names the line, not a phase: paired by angle (UL3 at +120°).
    let neutral = pair(&r, "LINE_A_IN");
    assert_eq!((neutral.voltage.as_str(), neutral.paired_by), ("LINE_UL3", PairedBy::PhaseAngle));

    let single =
        capture(rate, vec![("V", "V", sine(f, rate, 0.2, 230.0, 0.0)), ("I_3", "A", sine(f, rate, 0.2, 2.0, 0.0))]);
    let r = measure_report(&single, None, None).unwrap();
    assert_eq!(pair(&r, "I_3").paired_by, PairedBy::OnlyVoltage);
}

#[test]
fn windows_short_ranges_and_odd_channels() {
    let (f, rate) = (60.0, 4000.0);
    let mut c = capture(
        rate,
        vec![
            ("V_A", "V", sine(f, rate, 1.0, 120.0, 0.0)),
            ("I_1", "A", vec![0.0; 4000]),
            ("X", "", vec![f32::NAN; 4000]),
            ("I_2", "A", sine(f, rate, 1.0, 5.0, -10.0)),
        ],
    );
    c.channels.push(Channel::digital("BRK", Bits::zeros(4000)));
    // NaN samples in V_A: skipped.
    if let Some(v) = c.channels[0].analog_values().map(<[f32]>::to_vec) {
        let mut v = v;
        for x in &mut v[1000..1010] {
            *x = f32::NAN;
        }
        c.channels[0] = Channel::analog("V_A", "V", None, v);
    }
    // A window: half a second from 0.25 s.
    let r = measure_report(&c, Some(0.25), Some(0.75)).unwrap();
    assert!(close(r.from_s, 0.25, 1e-9) && close(r.to_s, 0.75, 1e-9) && r.samples == 2000);
    assert_eq!(r.channels.len(), 4);
    // The reference: RMS and mean of the valid samples, in f64.
    let valid: Vec<f64> = c.channels[0].analog_values().unwrap()[1000..3000]
        .iter()
        .filter(|v| !v.is_nan())
        .map(|&v| f64::from(v))
        .collect();
    let rms = (valid.iter().map(|v| v * v).sum::<f64>() / valid.len() as f64).sqrt();
    let mean = valid.iter().sum::<f64>() / valid.len() as f64;
    assert!(close(r.channels[0].rms.unwrap(), rms, 1e-6) && close(r.channels[0].mean.unwrap(), mean, 1e-6));
    assert!(close(r.channels[0].frequency_hz.unwrap(), 60.0, 0.01));
    // A flat current: no frequency, THD or crest factor, PF or phasor angle to speak of.
    assert_eq!(r.channels[1].frequency_hz, None);
    assert_eq!(r.channels[1].thd, None);
    assert_eq!(r.channels[1].crest_factor, None);
    assert_eq!(pair(&r, "I_1").power.pf, None);
    assert_eq!(pair(&r, "I_1").power.p_w, 0.0);
    // A missing channel: nothing, as null.
    assert_eq!(r.channels[2].rms, None);
    assert_eq!(r.channels[2].harmonics, None);
    assert!(r.notes.iter().any(|n| n.contains("digital")), "{:?}", r.notes);
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("\"rms\":null") && !json.contains("NaN") && !json.contains("inf"), "{json}");

    // Shorter than a cycle: statistics and P, but no harmonics, Q1 or phasors.
    let short = measure_report(&c, Some(0.1), Some(0.11)).unwrap();
    assert!(short.channels[0].rms.is_some() && short.channels[0].harmonics.is_none());
    assert!(short.phasors.is_empty());
    assert!(short.pairs.iter().all(|p| p.power.q_var.is_none()));
    assert!(!short.notes.is_empty());
    // Bad windows.
    for (from, to) in [(Some(0.5), Some(0.5)), (Some(-1.0), None), (Some(2.0), None), (Some(f64::NAN), None)] {
        assert!(measure_report(&c, from, to).is_err(), "{from:?} {to:?}");
    }
    // No voltage at all: statistics and frequency, no pairs, and a note saying so.
    let currents = capture(rate, vec![("I_1", "A", sine(f, rate, 1.0, 5.0, 0.0))]);
    let r = measure_report(&currents, None, None).unwrap();
    assert!(r.pairs.is_empty() && close(r.frequency_hz.unwrap(), 60.0, 1e-3));
    assert_eq!(r.phasor_reference.as_deref(), Some("I_1"));
    assert!(r.notes.iter().any(|n| n.contains("no voltage")), "{:?}", r.notes);
    // Nothing periodic: statistics only.
    let flat = capture(rate, vec![("V_A", "V", vec![0.0; 4000]), ("I_A", "A", vec![1.0; 4000])]);
    let r = measure_report(&flat, None, None).unwrap();
    assert_eq!((r.frequency_hz, r.nominal_frequency_hz), (None, None));
    assert_eq!(r.channels[0].crest_factor, None);
    assert!(r.pairs[0].power.q_var.is_none() && r.pairs[0].power.pf.is_none());
    assert!(r.notes.iter().any(|n| n.contains("no periodic")));
}

#[test]
fn irregular_time_is_weighted_and_resampled() {
    // A 50 Hz sine sampled at jittered times, twice as densely in the first half second:
    // equal weights would still give the right RMS, but a DC step that is dense in the first
    // half tells time weighting from sample weighting.
    let mut times = Vec::new();
    let mut t = 0.0;
    while t < 1.0 {
        times.push(t);
        let jitter = 1.0 + 0.2 * ((times.len() * 7919) % 13) as f64 / 13.0;
        t += if t < 0.5 { 1e-4 } else { 2e-4 } * jitter;
    }
    let v: Vec<f32> = times.iter().map(|t| (230.0 * SQRT_2 * (TAU * 50.0 * t).sin()) as f32).collect();
    let step: Vec<f32> = times.iter().map(|&t| if t < 0.5 { 1.0 } else { 3.0 }).collect();
    let mut c = capture(1.0, vec![("V_A", "V", v), ("X", "", step)]);
    c.timebase = Timebase::Irregular { times_s: times.clone() };
    let r = measure_report(&c, None, None).unwrap();
    assert!(close(r.channels[0].rms.unwrap(), 230.0, 0.1), "{:?}", r.channels[0]);
    assert!(close(r.frequency_hz.unwrap(), 50.0, 1e-3), "{:?}", r.frequency_hz);
    assert!(close(r.channels[0].thd.unwrap(), 0.0, 1e-3));
    // Time-weighted mean of 1 for 0.5 s and 3 for 0.5 s is 2 (sample-weighted would be 5/3).
    assert!(close(r.channels[1].mean.unwrap(), 2.0, 0.01), "{:?}", r.channels[1]);
    assert!(r.notes.iter().any(|n| n.contains("irregular")));
}

#[test]
fn system_frequency_is_a_power_system_one_unless_the_file_says_nothing() {
    let rate = 10_000.0;
    // A 316 Hz current (noise on a neutral, a 10-sample record) is no system frequency when
    // the file states 50 Hz; the window is then too short for the stated line frequency.
    let mut c = capture(rate, vec![("I_N", "A", sine(316.0, rate, 0.01, 5.0, 0.0))]);
    c.line_frequency_hz = Some(50.0);
    let r = measure_report(&c, None, None).unwrap();
    assert_eq!(r.frequency_hz, None);
    assert_eq!(r.nominal_frequency_hz, Some(50.0));
    assert!(close(r.channels[0].frequency_hz.unwrap(), 316.0, 0.1));
    assert!(r.channels[0].harmonics.is_none());
    assert!(r.notes.iter().any(|n| n.contains("shorter than a cycle")), "{:?}", r.notes);
    // A 120 Hz test signal with nothing to contradict it is measured at 120 Hz.
    let lab = capture(rate, vec![("V_1", "V", sine(120.0, rate, 1.0, 10.0, 0.0))]);
    let r = measure_report(&lab, None, None).unwrap();
    assert!(close(r.frequency_hz.unwrap(), 120.0, 1e-3) && r.nominal_frequency_hz.is_none());
    assert!(close(r.channels[0].harmonics.as_ref().unwrap()[0], 10.0, 1e-3));
}
