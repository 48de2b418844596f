//! Phases from channel names, three-phase sets, and symmetrical components.
//!
//! A channel's phase is a token in its name: a letter A/B/C (`V_A`, `IA`, `IB_G1`,
//! `SBUS C V-node`) or a number 1/2/3 (`LINE_UL1`, `IL2`, `V_3`). Replacing the token by
//! `*` gives the channel's stem; channels whose stems match and whose tokens cover A, B and
//! C form a three-phase set. Tokens that could be something else (a lone `A` in `LINE_A_IN`,
//! the `1` of circuit `I_1` among `I_1`..`I_12`) count only when the names around them say
//! they are phases.

use std::collections::HashMap;
use std::f64::consts::TAU;

use rustfft::num_complex::Complex64;
use serde::Serialize;

use crate::capture::Channel;

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

/// How a name writes its phase: `A`/`B`/`C` or `1`/`2`/`3`. A current and a voltage pair
/// by name only when they write phases the same way (`LINE_A_IN` is not on `LINE_UL1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhaseStyle {
    /// `A`, `B`, `C`.
    Letter,
    /// `1`, `2`, `3` (`L1`, `UL2`, `V_3`).
    Number,
}

/// The phase a channel's name gives, in the context of the other channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseName {
    /// A, B or C (1, 2 or 3).
    pub phase: Phase,
    /// The name with the phase token replaced by `*`: what the three channels of a set share.
    pub stem: String,
    /// Letter or number.
    pub style: PhaseStyle,
}

/// A possible phase token: `phase` is `None` for a number that is no phase (`4`, `01`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Candidate {
    phase: Option<Phase>,
    stem: String,
    style: PhaseStyle,
    /// `IA`, `VB`, `UL3` name a phase by themselves; a lone `A` or `1` needs siblings.
    strong: bool,
}

fn letter_phase(c: u8) -> Option<Phase> {
    match c {
        b'A' => Some(Phase::A),
        b'B' => Some(Phase::B),
        b'C' => Some(Phase::C),
        _ => None,
    }
}

fn number_phase(digits: &str) -> Option<Phase> {
    match digits {
        "1" => Some(Phase::A),
        "2" => Some(Phase::B),
        "3" => Some(Phase::C),
        _ => None,
    }
}

/// Alphanumeric runs of `name`, as byte ranges.
fn runs(name: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = name.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphanumeric() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            runs.push(start..i);
        } else {
            i += 1;
        }
    }
    runs
}

/// `name` with the byte ranges `at` replaced by `*`.
fn stem(name: &str, at: &[std::ops::Range<usize>]) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last = 0;
    for r in at {
        out.push_str(&name[last..r.start]);
        out.push('*');
        last = r.end;
    }
    out.push_str(&name[last..]);
    out
}

/// The most specific phase-like token of `name`, without looking at other channels.
fn candidate(name: &str) -> Option<Candidate> {
    let bytes = name.as_bytes();
    let runs = runs(name);
    let quantity = |c: u8| matches!(c, b'V' | b'U' | b'I' | b'E');
    // `L` and digits ending a run: `UL1`, `IL2`, `L3` (and `L4`, which says these are not phases).
    for r in &runs {
        let digits = r.end - bytes[r.clone()].iter().rev().take_while(|b| b.is_ascii_digit()).count();
        if digits > r.start && digits < r.end && bytes[digits - 1] == b'L' {
            let at = digits..r.end;
            let phase = number_phase(&name[at.clone()]);
            return Some(Candidate { phase, stem: stem(name, &[at]), style: PhaseStyle::Number, strong: true });
        }
    }
    // A quantity letter and a phase letter: `VA`, `IB`, `UC`.
    for r in &runs {
        if r.len() == 2 && quantity(bytes[r.start]) && letter_phase(bytes[r.start + 1]).is_some() {
            let at = r.start + 1..r.end;
            let phase = letter_phase(bytes[r.start + 1]);
            return Some(Candidate { phase, stem: stem(name, &[at]), style: PhaseStyle::Letter, strong: true });
        }
    }
    // A lone letter; every lone copy of it is the token (`SBUS A 25 A I-branch`).
    if let Some(r) = runs.iter().find(|r| r.len() == 1 && letter_phase(bytes[r.start]).is_some()) {
        let at: Vec<_> = runs.iter().filter(|s| s.len() == 1 && bytes[s.start] == bytes[r.start]).cloned().collect();
        let phase = letter_phase(bytes[r.start]);
        return Some(Candidate { phase, stem: stem(name, &at), style: PhaseStyle::Letter, strong: false });
    }
    // A quantity letter and a number (`V1`, `I12`), or a lone number (`V_2`, `I_01`).
    for r in &runs {
        let run = &bytes[r.clone()];
        let at = if run.iter().all(u8::is_ascii_digit) {
            r.clone()
        } else if run.len() >= 2 && quantity(run[0]) && run[1..].iter().all(u8::is_ascii_digit) {
            r.start + 1..r.end
        } else {
            continue;
        };
        let phase = number_phase(&name[at.clone()]);
        return Some(Candidate { phase, stem: stem(name, &[at]), style: PhaseStyle::Number, strong: false });
    }
    None
}

/// The phase of each of `names`, in the context of all of them: a token counts when it
/// names a phase by itself (`IA`, `UL2`) or when another channel with the same stem has
/// another phase (`V_A` beside `V_B`); never when a channel with the same stem has a number
/// that is no phase (`I_1` beside `I_4`).
pub fn phase_names(names: &[&str]) -> Vec<Option<PhaseName>> {
    let candidates: Vec<Option<Candidate>> = names.iter().map(|n| candidate(n)).collect();
    let mut groups: HashMap<(&str, PhaseStyle), (bool, [bool; 3])> = HashMap::new();
    for c in candidates.iter().flatten() {
        let (spoiled, seen) = groups.entry((c.stem.as_str(), c.style)).or_default();
        match c.phase {
            Some(p) => seen[p.index()] = true,
            None => *spoiled = true,
        }
    }
    candidates
        .iter()
        .map(|c| {
            let c = c.as_ref()?;
            let phase = c.phase?;
            let (spoiled, seen) = groups.get(&(c.stem.as_str(), c.style))?;
            let siblings = seen.iter().filter(|&&s| s).count() >= 2;
            (!spoiled && (c.strong || siblings)).then(|| PhaseName { phase, stem: c.stem.clone(), style: c.style })
        })
        .collect()
}

/// Three-phase sets among `channels` (indices into it, phases A, B, C): channels of one kind
/// and unit whose stems match, each phase exactly once. Where exact stems make no set,
/// stems that differ only in their numbers (`F1-IA`, `F2-IB`, `F3-IC`) are tried. Sets are
/// in the order of their phase-A channel.
pub fn three_phase_sets(channels: &[&Channel]) -> Vec<[usize; 3]> {
    let names: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
    let phases = phase_names(&names);
    let loose = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for ch in s.chars() {
            if !(ch.is_ascii_digit() && out.ends_with('#')) {
                out.push(if ch.is_ascii_digit() { '#' } else { ch });
            }
        }
        out
    };
    let mut taken = vec![false; channels.len()];
    let mut sets = Vec::new();
    for exact in [true, false] {
        let key = |i: usize| {
            let p = phases[i].as_ref()?;
            let stem = if exact { p.stem.clone() } else { loose(&p.stem) };
            Some((stem, p.style, channels[i].kind, channels[i].unit.as_str()))
        };
        for i in 0..channels.len() {
            if taken[i] || phases[i].as_ref().is_none_or(|p| p.phase != Phase::A) {
                continue;
            }
            let mut set = [i, usize::MAX, usize::MAX];
            for phase in [Phase::B, Phase::C] {
                let matches: Vec<usize> = (0..channels.len())
                    .filter(|&j| !taken[j] && phases[j].as_ref().is_some_and(|p| p.phase == phase) && key(j) == key(i))
                    .collect();
                if let [j] = matches[..] {
                    set[phase.index()] = j;
                }
            }
            let rivals = (0..channels.len())
                .filter(|&j| j != i && !taken[j] && phases[j].as_ref().is_some_and(|p| p.phase == Phase::A))
                .any(|j| key(j) == key(i));
            if set.iter().all(|&j| j != usize::MAX) && !rivals {
                for j in set {
                    taken[j] = true;
                }
                sets.push(set);
            }
        }
    }
    sets.sort_unstable();
    sets
}

/// A phasor as magnitude and angle, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Polar {
    /// RMS magnitude, in the channel's unit.
    pub magnitude: f64,
    /// In (-180°, 180°].
    pub angle_deg: f64,
}

impl From<Complex64> for Polar {
    fn from(c: Complex64) -> Self {
        let angle = c.arg().to_degrees();
        Self { magnitude: c.norm(), angle_deg: if angle <= -180.0 + 1e-9 { 180.0 } else { angle } }
    }
}

/// Zero, positive and negative sequence components of phasors `[a, b, c]`, with
/// `a = 1∠120°`.
pub fn symmetrical_components(abc: [Complex64; 3]) -> [Complex64; 3] {
    let a = Complex64::from_polar(1.0, TAU / 3.0);
    let a2 = a * a;
    let [va, vb, vc] = abc;
    [(va + vb + vc) / 3.0, (va + a * vb + a2 * vc) / 3.0, (va + a2 * vb + a * vc) / 3.0]
}

/// Symmetrical components of one three-phase set, and the unbalance ratios.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sequence {
    /// Zero sequence `(A + B + C) / 3`.
    pub zero: Polar,
    /// Positive sequence `(A + a·B + a²·C) / 3`, `a = 1∠120°`.
    pub positive: Polar,
    /// Negative sequence `(A + a²·B + a·C) / 3`.
    pub negative: Polar,
    /// Negative over positive sequence magnitude (the unbalance factor); `None` without a
    /// positive sequence.
    pub negative_unbalance: Option<f64>,
    /// Zero over positive sequence magnitude.
    pub zero_unbalance: Option<f64>,
}

/// The sequence components of phasors `[a, b, c]` and their unbalance ratios.
pub fn sequence(abc: [Complex64; 3]) -> Sequence {
    let [zero, positive, negative] = symmetrical_components(abc);
    let ratio = |x: Complex64| (positive.norm() > 0.0).then(|| x.norm() / positive.norm());
    Sequence {
        zero: zero.into(),
        positive: positive.into(),
        negative: negative.into(),
        negative_unbalance: ratio(negative),
        zero_unbalance: ratio(zero),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::ChannelKind;

    fn phases(names: &[&str]) -> Vec<Option<(Phase, String)>> {
        phase_names(names).into_iter().map(|p| p.map(|p| (p.phase, p.stem))).collect()
    }

    #[test]
    fn phases_from_names() {
        let names = [
            "V_A",
            "V_B",
            "I_MAIN_B",
            "I_MAIN_A",
            "IA_G1",
            "LINE_UL3",
            "LINE_A_IL2",
            "LINE_A_IN",
            "SBUS A          V-node",
            "SBUS B 25   B I-branch",
            "SBUS C 25   C I-branch",
            "VC(kV)",
            "I_01",
            "V1MEM",
            "TRIGGER",
            "FALTBC 1    C I-branch",
            "I_4",
            "V_N",
        ];
        let expected = [
            Some((Phase::A, "V_*")),
            Some((Phase::B, "V_*")),
            Some((Phase::B, "I_MAIN_*")),
            Some((Phase::A, "I_MAIN_*")),
            Some((Phase::A, "I*_G1")),
            Some((Phase::C, "LINE_UL*")),
            Some((Phase::B, "LINE_A_IL*")),
            // A lone `A` with no sibling is a name, not a phase.
            None,
            // A lone letter alone is no phase either.
            None,
            Some((Phase::B, "SBUS * 25   * I-branch")),
            Some((Phase::C, "SBUS * 25   * I-branch")),
            Some((Phase::C, "V*(kV)")),
            None,
            None,
            None,
            None,
            None,
            None,
        ];
        for ((name, got), want) in names.iter().zip(phases(&names)).zip(expected) {
            assert_eq!(got.as_ref().map(|(p, s)| (*p, s.as_str())), want, "{name}");
        }
    }

    #[test]
    fn numbers_are_phases_only_among_phases() {
        assert_eq!(phases(&["V_1", "V_2", "V_3"])[1], Some((Phase::B, "V_*".to_string())));
        // Circuits 1 to 12, not phases.
        let circuits: Vec<String> = (1..=12).map(|i| format!("I_{i}")).collect();
        let names: Vec<&str> = circuits.iter().map(String::as_str).collect();
        assert!(phases(&names).iter().all(Option::is_none));
        let circuits: Vec<String> = (1..=12).map(|i| format!("I{i}")).collect();
        let names: Vec<&str> = circuits.iter().map(String::as_str).collect();
        assert!(phases(&names).iter().all(Option::is_none));
    }

    fn analog(name: &str, kind: ChannelKind, unit: &str) -> Channel {
        Channel::analog(name, unit, Some(kind), vec![0.0])
    }

    #[test]
    fn sets_by_stem_kind_and_unit() {
        use ChannelKind::{Current, Voltage};
        let channels = [
            analog("V_A", Voltage, "V"),
            analog("V_B", Voltage, "V"),
            analog("V_C", Voltage, "V"),
            analog("I_MAIN_A", Current, "A"),
            analog("I_MAIN_B", Current, "A"),
            analog("I_01", Current, "A"),
            analog("IA_G1", Current, "A"),
            analog("IB_G1", Current, "A"),
            analog("IC_G1", Current, "A"),
            analog("IA_G2", Current, "A"),
            // Channel numbers before the phase: stems differ only in their numbers.
            analog("F1-IA", Current, "A"),
            analog("F2-IB", Current, "A"),
            analog("F3-IC", Current, "A"),
            analog("F5-VA", Voltage, "V"),
            analog("F6-VB", Voltage, "V"),
            analog("F7-VC", Voltage, "kV"),
        ];
        let refs: Vec<&Channel> = channels.iter().collect();
        assert_eq!(three_phase_sets(&refs), vec![[0, 1, 2], [6, 7, 8], [10, 11, 12]]);
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
        // By hand: 1∠0, 0.8∠-120°, 1∠120° is a balanced set plus d = -0.2∠-120° on B alone,
        // so V0 = d/3 = 0.2/3∠60°, V1 = 1 + a·d/3 = 2.8/3∠0°, V2 = a²·d/3 = 0.2/3∠-60°.
        let s = sequence([p(1.0, 0.0), p(0.8, -120.0), p(1.0, 120.0)]);
        assert!((s.positive.magnitude - 2.8 / 3.0).abs() < 1e-12 && s.positive.angle_deg.abs() < 1e-9);
        assert!((s.zero.magnitude - 0.2 / 3.0).abs() < 1e-12 && (s.zero.angle_deg - 60.0).abs() < 1e-9);
        assert!((s.negative.magnitude - 0.2 / 3.0).abs() < 1e-12 && (s.negative.angle_deg + 60.0).abs() < 1e-9);
        assert!((s.negative_unbalance.unwrap() - 0.2 / 2.8).abs() < 1e-12);
        assert_eq!(sequence([Complex64::default(); 3]).negative_unbalance, None);
    }
}
