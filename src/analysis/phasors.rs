//! Fundamental phasors, three-phase sets recognised by channel name, and symmetrical
//! components.

use std::f64::consts::TAU;

use rustfft::num_complex::Complex64;
use serde::Serialize;

/// Phase of a channel, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    A,
    B,
    C,
}

impl Phase {
    /// 0, 1, 2 for A, B, C.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The phase a channel's name gives, and the name with the phase marked `*` (the stem three
/// channels of one set share): `V_A` → (A, `V_*`), `IB_G1` → (B, `I*_G1`), `LINE_UL3` →
/// (C, `LINE_UL*`), `SBUS A V-node` → (A, `SBUS * V-node`), `VA(kV)` → (A, `V*(kV)`).
pub fn phase_of(name: &str) -> Option<(Phase, String)> {
    let bytes = name.as_bytes();
    let phase = |c: u8| match c {
        b'A' => Some(Phase::A),
        b'B' => Some(Phase::B),
        b'C' => Some(Phase::C),
        b'1' => Some(Phase::A),
        b'2' => Some(Phase::B),
        b'3' => Some(Phase::C),
        _ => None,
    };
    let stem = |at: usize| format!("{}*{}", &name[..at], &name[at + 1..]);
    // Alphanumeric runs, as (start, end).
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphanumeric() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    // Most specific first: `L1`..`L3` ending a run (`UL1`, `IL2`); a quantity letter and a
    // phase (`VA`, `IB`); a lone `A`/`B`/`C`.
    let ending_in_l = runs.iter().find_map(|&(a, b)| {
        (b - a >= 2 && bytes[b - 2] == b'L' && matches!(bytes[b - 1], b'1'..=b'3'))
            .then(|| (phase(bytes[b - 1]), b - 1))
    });
    let quantity = || {
        runs.iter().find_map(|&(a, b)| {
            (b - a == 2 && matches!(bytes[a], b'V' | b'U' | b'I' | b'E') && matches!(bytes[a + 1], b'A'..=b'C'))
                .then(|| (phase(bytes[a + 1]), a + 1))
        })
    };
    let lone = || {
        runs.iter().find_map(|&(a, b)| (b - a == 1 && matches!(bytes[a], b'A'..=b'C')).then(|| (phase(bytes[a]), a)))
    };
    let (p, at) = ending_in_l.or_else(quantity).or_else(lone)?;
    Some((p?, stem(at)))
}

/// The fundamental phasor of `values` at `frequency_hz`: RMS magnitude, angle of a cosine
/// at the first sample (a sine starting at zero is at -90°). Correlates over the samples
/// given (a whole number of cycles gives no leakage); missing samples are skipped. `None`
/// when nothing is valid.
pub fn fundamental(values: &[f32], sample_rate_hz: f64, frequency_hz: f64) -> Option<Complex64> {
    let step = TAU * frequency_hz / sample_rate_hz;
    let (mut re, mut im, mut n) = (0.0, 0.0, 0usize);
    // Rotate a unit phasor instead of calling sin/cos per sample; renormalise now and then.
    let rotation = Complex64::from_polar(1.0, -step);
    let mut turn = Complex64::new(1.0, 0.0);
    for (i, &v) in values.iter().enumerate() {
        if v.is_finite() {
            let x = f64::from(v);
            re += x * turn.re;
            im += x * turn.im;
            n += 1;
        }
        turn *= rotation;
        if i % 1024 == 1023 {
            turn = Complex64::from_polar(1.0, -step * (i + 1) as f64);
        }
    }
    // x = A cos(wt + phi) correlates to A n / 2 e^(i phi); the RMS phasor is A / sqrt 2.
    (n > 0).then(|| Complex64::new(re, im) * (std::f64::consts::SQRT_2 / n as f64))
}

/// A phasor as magnitude and angle, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Polar {
    pub magnitude: f64,
    pub angle_deg: f64,
}

impl From<Complex64> for Polar {
    fn from(c: Complex64) -> Self {
        let angle = c.arg().to_degrees();
        Self { magnitude: c.norm(), angle_deg: if angle <= -180.0 + 1e-9 { 180.0 } else { angle } }
    }
}

/// Zero, positive and negative sequence components of phasors `[a, b, c]`.
pub fn symmetrical_components(abc: [Complex64; 3]) -> [Complex64; 3] {
    let a = Complex64::from_polar(1.0, TAU / 3.0);
    let a2 = a * a;
    let [va, vb, vc] = abc;
    [(va + vb + vc) / 3.0, (va + a * vb + a2 * vc) / 3.0, (va + a2 * vb + a * vc) / 3.0]
}

/// Channels (indices into a list of names) that form three-phase sets: same stem, phases
/// A, B and C each exactly once. `same_kind(i, j)` says whether two channels may belong
/// together. Sets are in the order of their phase-A channel.
pub fn three_phase_sets(names: &[&str], same_kind: impl Fn(usize, usize) -> bool) -> Vec<[usize; 3]> {
    let parsed: Vec<Option<(Phase, String)>> = names.iter().map(|n| phase_of(n)).collect();
    let mut sets = Vec::new();
    for (i, p) in parsed.iter().enumerate() {
        let Some((Phase::A, stem)) = p else { continue };
        let mut set = [i, usize::MAX, usize::MAX];
        for phase in [Phase::B, Phase::C] {
            let matches: Vec<usize> = parsed
                .iter()
                .enumerate()
                .filter(|(j, q)| same_kind(i, *j) && q.as_ref().is_some_and(|(qp, qs)| *qp == phase && qs == stem))
                .map(|(j, _)| j)
                .collect();
            if let [j] = matches[..] {
                set[phase.index()] = j;
            }
        }
        if set.iter().all(|&j| j != usize::MAX) {
            sets.push(set);
        }
    }
    sets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_from_names() {
        let cases = [
            ("V_A", Some((Phase::A, "V_*"))),
            ("I_MAIN_B", Some((Phase::B, "I_MAIN_*"))),
            ("IA_G1", Some((Phase::A, "I*_G1"))),
            ("LINE_UL3", Some((Phase::C, "LINE_UL*"))),
            ("LINE_A_IL2", Some((Phase::B, "LINE_A_IL*"))),
            ("SBUS A          V-node", Some((Phase::A, "SBUS *          V-node"))),
            ("VC(kV)", Some((Phase::C, "V*(kV)"))),
            ("I_01", None),
            ("V1MEM", None),
            ("TRIGGER", None),
        ];
        for (name, expected) in cases {
            let got = phase_of(name);
            assert_eq!(got.as_ref().map(|(p, s)| (*p, s.as_str())), expected, "{name}");
        }
    }

    #[test]
    fn sets_by_stem_and_kind() {
        let names = ["V_A", "V_B", "V_C", "I_MAIN_A", "I_MAIN_B", "I_01", "IA_G1", "IB_G1", "IC_G1", "IA_G2"];
        let sets = three_phase_sets(&names, |_, _| true);
        assert_eq!(sets, vec![[0, 1, 2], [6, 7, 8]]);
    }

    #[test]
    fn fundamental_of_a_cosine_and_a_sine() {
        let rate = 4000.0;
        let v: Vec<f32> = (0..4000).map(|i| (100.0 * (TAU * 50.0 * i as f64 / rate + 0.5).cos()) as f32).collect();
        let p = fundamental(&v, rate, 50.0).unwrap();
        assert!((p.norm() - 100.0 / 2f64.sqrt()).abs() < 1e-3);
        assert!((p.arg() - 0.5).abs() < 1e-5);
        let s: Vec<f32> = (0..4000).map(|i| (TAU * 50.0 * i as f64 / rate).sin() as f32).collect();
        assert!((fundamental(&s, rate, 50.0).unwrap().arg().to_degrees() + 90.0).abs() < 1e-3);
        assert_eq!(fundamental(&[f32::NAN; 4], rate, 50.0), None);
    }

    #[test]
    fn sequence_components_closed_form() {
        let p = |m: f64, deg: f64| Complex64::from_polar(m, deg.to_radians());
        // Balanced ABC: positive only.
        let [z, pos, neg] = symmetrical_components([p(230.0, 0.0), p(230.0, -120.0), p(230.0, 120.0)]);
        assert!(z.norm() < 1e-9 && neg.norm() < 1e-9 && (pos.norm() - 230.0).abs() < 1e-9);
        // ACB: negative only.
        let [_, pos, neg] = symmetrical_components([p(1.0, 0.0), p(1.0, 120.0), p(1.0, -120.0)]);
        assert!(pos.norm() < 1e-9 && (neg.norm() - 1.0).abs() < 1e-9);
        // Phase A alone (a single-phase fault current): a third in each sequence.
        let [z, pos, neg] = symmetrical_components([p(3.0, 0.0), p(0.0, 0.0), p(0.0, 0.0)]);
        for c in [z, pos, neg] {
            assert!((c.norm() - 1.0).abs() < 1e-9 && c.arg().abs() < 1e-9);
        }
    }
}
