//! The windowed read behind `GET /captures/{id}/window`: the samples of a time window,
//! min/max decimated from the level-of-detail pyramid when there are more than asked for.

use super::{Window, WindowChannel};
use crate::analysis::decimate::{bucket_times, extremes, window_buckets};
use crate::analysis::lod::Pyramid;
use crate::capture::{Capture, Samples, Timebase};

/// Points per channel when the request does not say.
pub const DEFAULT_MAX_POINTS: usize = 2000;
/// The most points per channel one request may ask for.
pub const MAX_MAX_POINTS: usize = 200_000;
/// The most values one answer may hold, over all its channels (about 20 MB of JSON).
pub const MAX_ANSWER_VALUES: usize = 2_000_000;

/// What a window request asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowQuery {
    pub from_s: Option<f64>,
    pub to_s: Option<f64>,
    /// Channel names; every channel when empty.
    pub channels: Vec<String>,
    /// Points per channel at most (at least 2); [`DEFAULT_MAX_POINTS`] when `None`.
    pub max_points: Option<usize>,
}

/// Answers `query` from `capture` and its per-channel pyramids (`None` for digital
/// channels; a missing analog pyramid is answered by a scan). The error is a sentence for
/// the client.
pub fn window(capture: &Capture, pyramids: &[Option<Pyramid>], query: &WindowQuery) -> Result<Window, String> {
    let max_points = query.max_points.unwrap_or(DEFAULT_MAX_POINTS);
    if !(2..=MAX_MAX_POINTS).contains(&max_points) {
        return Err(format!("max_points {max_points}: between 2 and {MAX_MAX_POINTS}"));
    }
    let keep = capture.channel_indices(&query.channels).map_err(|e| e.to_string())?;
    if let Some(twice) = query.channels.iter().enumerate().find(|(i, c)| query.channels[..*i].contains(c)) {
        return Err(format!("channel '{}' is asked for twice", twice.1));
    }
    let range = capture.window(query.from_s, query.to_s).map_err(|e| e.to_string())?;
    let n = range.len();
    let values = keep.len().saturating_mul(n.min(max_points));
    if values > MAX_ANSWER_VALUES {
        return Err(format!(
            "the answer would hold {values} values ({} channels × {} points), more than {MAX_ANSWER_VALUES}: ask for fewer channels or points",
            keep.len(),
            n.min(max_points)
        ));
    }
    let to_s = match query.to_s {
        Some(to) => to.min(capture.duration_s()),
        None => capture.duration_s(),
    };
    let from_s = capture.time_s(range.start);
    if n <= max_points {
        let time_s = range.clone().map(|i| capture.time_s(i)).collect();
        let channels = keep
            .iter()
            .map(|&c| {
                let ch = &capture.channels[c];
                let values = match &ch.samples {
                    Samples::Analog(v) => v[range.clone()].iter().map(|&x| x.is_finite().then_some(x)).collect(),
                    Samples::Digital(bits) => range.clone().map(|i| bits.get(i).map(f32::from)).collect(),
                };
                WindowChannel { name: ch.name.clone(), kind: ch.kind.as_str().into(), unit: ch.unit.clone(), values }
            })
            .collect();
        return Ok(Window { from_s, to_s, sample_count: n, decimated: false, time_s, channels });
    }
    let buckets = max_points / 2;
    let ranges = window_buckets(&capture.timebase, range.clone(), from_s, to_s, buckets);
    let time_s = bucket_times(&ranges, range.end, |i| capture.time_s(i));
    let equal_index = matches!(capture.timebase, Timebase::Fixed { .. });
    let channels = keep
        .iter()
        .map(|&c| {
            let ch = &capture.channels[c];
            let pyramid = pyramids.get(c).and_then(Option::as_ref);
            let values =
                extremes(&ch.samples, pyramid, range.clone(), &ranges, equal_index).into_iter().flatten().collect();
            WindowChannel { name: ch.name.clone(), kind: ch.kind.as_str().into(), unit: ch.unit.clone(), values }
        })
        .collect();
    Ok(Window { from_s, to_s, sample_count: n, decimated: true, time_s, channels })
}

impl Window {
    /// The window as a capture on its own clock (irregular time, from the window's times;
    /// seconds from the original capture's first sample), for plotting and pyramids.
    pub fn to_capture(&self, name: &str) -> Capture {
        use crate::capture::{Bits, Channel, ChannelKind, Format};
        let mut capture = Capture::new(name, Format::Memory, 1.0);
        capture.timebase = Timebase::Irregular { times_s: self.time_s.clone() };
        for ch in &self.channels {
            let kind = ChannelKind::from_name(&ch.kind).unwrap_or(ChannelKind::Other);
            let channel = if kind == ChannelKind::Digital {
                Channel::digital(&ch.name, ch.values.iter().map(|v| v.is_some_and(|v| v >= 0.5)).collect::<Bits>())
            } else {
                let values = ch.values.iter().map(|v| v.unwrap_or(f32::NAN)).collect();
                Channel::analog(&ch.name, &ch.unit, Some(kind), values)
            };
            capture.channels.push(channel);
        }
        capture
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::decimate::equal_index_buckets;
    use crate::capture::{Channel, Format};

    fn capture(n: usize) -> Capture {
        let mut c = Capture::new("t", Format::Memory, 1000.0);
        let v: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.37).sin() * (1.0 + (i % 97) as f32)).collect();
        c.channels.push(Channel::analog("V_A", "V", None, v));
        c.channels.push(Channel::analog("I_1", "A", None, (0..n).map(|i| (i % 13) as f32).collect()));
        c
    }

    fn pyramids(c: &Capture) -> Vec<Option<Pyramid>> {
        c.channels.iter().map(|ch| ch.analog_values().map(Pyramid::build)).collect()
    }

    #[test]
    fn small_windows_are_the_samples() {
        let c = capture(500);
        let q = WindowQuery { from_s: Some(0.1), to_s: Some(0.2), ..Default::default() };
        let w = window(&c, &pyramids(&c), &q).unwrap();
        assert!(!w.decimated);
        assert_eq!(w.sample_count, 100);
        assert_eq!(w.time_s.len(), 100);
        assert_eq!(w.channels[0].values[0], Some(c.channels[0].analog_values().unwrap()[100]));
        assert!((w.from_s - 0.1).abs() < 1e-12 && (w.to_s - 0.2).abs() < 1e-12);
    }

    #[test]
    fn decimated_windows_keep_every_extreme_in_order() {
        let c = capture(100_000);
        let p = pyramids(&c);
        let q =
            WindowQuery { from_s: Some(1.234), to_s: Some(77.7), channels: vec!["V_A".into()], max_points: Some(300) };
        let w = window(&c, &p, &q).unwrap();
        assert!(w.decimated);
        assert_eq!(w.channels.len(), 1);
        assert_eq!(w.time_s.len(), 300);
        let range = c.window(q.from_s, q.to_s).unwrap();
        let v = c.channels[0].analog_values().unwrap();
        for (k, r) in equal_index_buckets(range.len(), 150).enumerate() {
            let r = range.start + r.start..range.start + r.end;
            let e = crate::analysis::decimate::bucket_extremes(v, r.clone()).unwrap();
            assert_eq!(w.channels[0].values[2 * k], Some(e.first.1), "bucket {k}");
            assert_eq!(w.channels[0].values[2 * k + 1], Some(e.second.1), "bucket {k}");
            assert_eq!(w.time_s[2 * k], c.time_s(r.start));
        }
        // Without a pyramid, the scan gives the same answer.
        let scanned = window(&c, &[None, None], &q).unwrap();
        assert_eq!(scanned, w);
    }

    #[test]
    fn bad_queries_say_why() {
        let c = capture(1000);
        let p = pyramids(&c);
        let err = |q: WindowQuery| window(&c, &p, &q).unwrap_err();
        assert!(err(WindowQuery { channels: vec!["nope".into()], ..Default::default() }).contains("no channel named"));
        assert!(err(WindowQuery { max_points: Some(1), ..Default::default() }).contains("max_points"));
        assert!(err(WindowQuery { from_s: Some(5.0), ..Default::default() }).contains("past the end"));
        let twice = WindowQuery { channels: vec!["V_A".into(), "I_1".into(), "V_A".into()], ..Default::default() };
        assert!(err(twice).contains("'V_A' is asked for twice"));
    }

    #[test]
    fn a_window_becomes_a_capture() {
        let c = capture(10_000);
        let w = window(&c, &pyramids(&c), &WindowQuery { max_points: Some(100), ..Default::default() }).unwrap();
        let back = w.to_capture("remote");
        assert_eq!(back.sample_count(), 100);
        assert_eq!(back.channels[1].kind, c.channels[1].kind);
        assert_eq!(back.time_s(2), w.time_s[2]);
    }

    #[test]
    fn an_answer_has_a_size_limit() {
        let n = 100_000;
        let mut c = Capture::new("wide", crate::capture::Format::Memory, 10_000.0);
        for k in 0..25 {
            c.channels.push(crate::capture::Channel::analog(format!("I_{k}"), "A", None, vec![k as f32; n]));
        }
        let p: Vec<Option<Pyramid>> = vec![None; 25];
        let all = WindowQuery { max_points: Some(n), ..Default::default() };
        let error = window(&c, &p, &all).unwrap_err();
        assert!(error.contains("2500000 values (25 channels × 100000 points)"), "{error}");
        assert!(error.contains(&MAX_ANSWER_VALUES.to_string()), "{error}");
        // Twenty channels at the same points fit, and so do all 25 at fewer points.
        let twenty = WindowQuery { channels: (0..20).map(|k| format!("I_{k}")).collect(), ..all.clone() };
        assert_eq!(window(&c, &p, &twenty).unwrap().channels.len(), 20);
        let fewer = WindowQuery { max_points: Some(80_000), ..all };
        assert_eq!(window(&c, &p, &fewer).unwrap().time_s.len(), 80_000);
    }
}
