//! Resampling an irregularly timed capture onto a fixed rate, for the analyses that work in
//! cycles of the fundamental.

use crate::capture::{Bits, Capture, Channel, Samples, Timebase};

/// Most samples a resampled channel may have, so that a few huge gaps cannot blow up memory.
const MAX_RESAMPLED: usize = 500_000_000;

/// `capture` on a fixed rate at its median sample interval: analog channels linearly
/// interpolated (a missing neighbour gives a missing sample), digital channels holding the
/// last state. A fixed-rate capture is returned as a copy. `None` when there are fewer than
/// two distinct times, or the result would be absurdly long.
pub fn to_fixed_rate(capture: &Capture) -> Option<Capture> {
    let times_s = match &capture.timebase {
        Timebase::Fixed { .. } => return Some(capture.clone()),
        Timebase::Irregular { times_s } => times_s,
    };
    let mut steps: Vec<f64> = times_s.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 0.0).collect();
    if steps.is_empty() {
        return None;
    }
    let mid = steps.len() / 2;
    let dt = *steps.select_nth_unstable_by(mid, f64::total_cmp).1;
    let (t0, t1) = (times_s[0], times_s[times_s.len() - 1]);
    let n = ((t1 - t0) / dt + 1e-6).floor() as usize + 1;
    if n > MAX_RESAMPLED {
        return None;
    }
    // For each output sample, the input sample at or before it and the fraction to the next.
    let mut at = Vec::with_capacity(n);
    let mut j = 0;
    for i in 0..n {
        let t = t0 + i as f64 * dt;
        while j + 1 < times_s.len() && times_s[j + 1] <= t + 1e-6 * dt {
            j += 1;
        }
        let frac = match times_s.get(j + 1) {
            Some(&next) if next > times_s[j] => ((t - times_s[j]) / (next - times_s[j])).clamp(0.0, 1.0),
            _ => 0.0,
        };
        at.push((j, frac as f32));
    }
    let mut out = capture.clone_header();
    out.timebase = Timebase::Fixed { sample_rate_hz: 1.0 / dt };
    out.channels = capture
        .channels
        .iter()
        .map(|ch| {
            let samples = match &ch.samples {
                Samples::Analog(v) => Samples::Analog(
                    at.iter()
                        .map(|&(j, f)| {
                            let a = v[j];
                            if f == 0.0 { a } else { a + (v.get(j + 1).copied().unwrap_or(a) - a) * f }
                        })
                        .collect(),
                ),
                Samples::Digital(b) => {
                    let mut bits = Bits::with_capacity(n);
                    for &(j, _) in &at {
                        bits.push(b.get(j).unwrap_or(false));
                    }
                    Samples::Digital(bits)
                }
            };
            Channel { name: ch.name.clone(), kind: ch.kind, unit: ch.unit.clone(), samples }
        })
        .collect();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Format;

    #[test]
    fn linear_onto_the_median_interval() {
        let mut c = Capture::new("x", Format::Memory, 1.0);
        c.timebase = Timebase::Irregular { times_s: vec![0.0, 0.001, 0.002, 0.004, 0.005] };
        c.channels.push(Channel::analog("V", "V", None, vec![0.0, 1.0, 2.0, 4.0, f32::NAN]));
        let mut bits = Bits::with_capacity(5);
        for b in [false, true, true, false, false] {
            bits.push(b);
        }
        c.channels.push(Channel::digital("D", bits));
        let r = to_fixed_rate(&c).unwrap();
        assert!((r.sample_rate_hz().unwrap() - 1000.0).abs() < 1e-6);
        let v = r.channels[0].analog_values().unwrap();
        assert_eq!(&v[..5], &[0.0, 1.0, 2.0, 3.0, 4.0]);
        assert!(v[5].is_nan());
        let Samples::Digital(d) = &r.channels[1].samples else { panic!() };
        assert_eq!(d.iter().collect::<Vec<_>>(), vec![false, true, true, true, false, false]);
        let mut single = c.clone();
        single.timebase = Timebase::Irregular { times_s: vec![1.0; 5] };
        assert!(to_fixed_rate(&single).is_none());
    }
}
