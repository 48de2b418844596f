//! Whatever panelscope writes, it reads back: random captures (missing and infinite values,
//! repeated times, clock times near the ends of the calendar) through every writer and
//! reader.

use panelscope::capture::{self, Capture, Channel, Format, Samples, Timebase};
use panelscope::cli::{info_json, scan_json};
use proptest::prelude::*;

fn value() -> impl Strategy<Value = f32> {
    prop_oneof![
        8 => -1e6f32..1e6,
        1 => Just(f32::NAN),
        1 => prop_oneof![Just(f32::INFINITY), Just(f32::NEG_INFINITY)],
    ]
}

prop_compose! {
    fn a_capture()(
        n in 2usize..40,
        analog in 1usize..4,
        digital in 0usize..3,
        irregular in any::<bool>(),
        year in prop_oneof![Just(None), (1i32..=9999).prop_map(Some)],
        seed in any::<u64>(),
    )(values in prop::collection::vec(prop::collection::vec(value(), n), analog),
      bits in prop::collection::vec(prop::collection::vec(any::<bool>(), n), digital),
      steps in prop::collection::vec(prop_oneof![Just(0.0f64), 1e-4f64..0.1], n - 1),
      n in Just(n), irregular in Just(irregular), year in Just(year), seed in Just(seed)) -> Capture {
        let _ = seed;
        let mut c = Capture::new("rt", Format::Memory, 1000.0);
        if irregular {
            let mut t = 0.0;
            let mut times = vec![0.0];
            for s in steps {
                t += s;
                times.push(t);
            }
            c.timebase = Timebase::Irregular { times_s: times };
        }
        c.start = year.and_then(|y| chrono::NaiveDate::from_ymd_opt(y, 6, 1)).and_then(|d| d.and_hms_opt(12, 0, 0)).map(|d| d.and_utc());
        for (k, v) in values.into_iter().enumerate() {
            c.channels.push(Channel::analog(format!("I_{k}"), "A", None, v));
        }
        for (k, b) in bits.into_iter().enumerate() {
            c.channels.push(Channel::digital(format!("D{k}"), b.into_iter().collect()));
        }
        assert_eq!(c.sample_count(), n);
        c
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_format_reads_back_what_it_wrote(c in a_capture()) {
        let dir = tempfile::tempdir().unwrap();
        let infinite = c.channels.iter().any(|ch| ch.analog_values().is_some_and(|v| v.iter().any(|x| x.is_infinite())));
        for ext in ["parquet", "cfg", "cff", "csv"] {
            let path = dir.path().join(format!("rt.{ext}"));
            let written = capture::write(&c, &path);
            if ext == "csv" && infinite {
                // CSV cannot hold an infinite value: refused, naming the file, nothing written.
                let error = written.unwrap_err().to_string();
                prop_assert!(error.contains("rt.csv") && error.contains("infinite"), "{}", error);
                prop_assert!(!path.exists());
                continue;
            }
            written.unwrap();
            let back = capture::read(&path);
            prop_assert!(back.is_ok(), "{ext}: {}", back.unwrap_err());
            let back = back.unwrap();
            // `info` scans the file (Parquet and binary COMTRADE batch by batch into running
            // statistics) and describes it as a full read does, statistics to the last bit.
            for with_stats in [true, false] {
                let scan = capture::scan(&path, with_stats).unwrap();
                prop_assert_eq!(scan_json(&scan, with_stats), info_json(&back, with_stats), "{}", ext);
            }
            prop_assert_eq!(back.sample_count(), c.sample_count(), "{}", ext);
            prop_assert_eq!(back.channels.len(), c.channels.len(), "{}", ext);
            // Parquet keeps every value as it was.
            if ext == "parquet" {
                for (a, b) in c.channels.iter().zip(&back.channels) {
                    if let (Samples::Analog(x), Samples::Analog(y)) = (&a.samples, &b.samples) {
                        prop_assert!(x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan())));
                    }
                }
            }
        }
    }
}
