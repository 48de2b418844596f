//! Every reader fed mutated copies of good files (truncated at random points, bytes
//! flipped, lines dropped) must give a clean load or a clean error naming the file: never
//! a panic.

use std::path::{Path, PathBuf};

use panelscope::capture::{self, Capture, Channel, Format};
use proptest::prelude::*;

mod common;

fn small_capture() -> Capture {
    let mut c = Capture::new("m", Format::Memory, 1000.0);
    c.start = Some("2026-05-01T12:00:00Z".parse().unwrap());
    let n = 120;
    c.channels.push(Channel::analog("V_A", "V", None, (0..n).map(|i| (i as f32 * 0.377).sin() * 170.0).collect()));
    c.channels.push(Channel::analog("I_1", "A", None, (0..n).map(|i| (i as f32 * 0.377).cos() * 5.0).collect()));
    c.channels.push(Channel::digital("TRIP", (0..n).map(|i| i > 60).collect()));
    c
}

/// Good source files, one per reader, written once per test process.
fn sources() -> &'static Vec<(String, Vec<u8>)> {
    static SOURCES: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    SOURCES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let c = small_capture();
        let mut out = Vec::new();
        for name in ["good.csv", "good.parquet", "good.cff"] {
            let path = dir.path().join(name);
            capture::write(&c, &path).unwrap();
            out.push((name.to_string(), std::fs::read(&path).unwrap()));
        }
        out
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip { at: usize, mask: u8 },
    DropLine(usize),
    DuplicateLine(usize),
}

fn mutate(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    match *m {
        Mutation::Truncate(at) => bytes[..at % (bytes.len() + 1)].to_vec(),
        Mutation::Flip { at, mask } => {
            let mut b = bytes.to_vec();
            if !b.is_empty() {
                let i = at % b.len();
                b[i] ^= mask.max(1);
            }
            b
        }
        Mutation::DropLine(k) | Mutation::DuplicateLine(k) => {
            let mut lines: Vec<&[u8]> = bytes.split_inclusive(|&c| c == b'\n').collect();
            if !lines.is_empty() {
                let i = k % lines.len();
                if matches!(m, Mutation::DropLine(_)) {
                    lines.remove(i);
                } else {
                    lines.insert(i, lines[i]);
                }
            }
            lines.concat()
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(Mutation::DropLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
    ]
}

fn check_clean(path: &Path) {
    match capture::read(path) {
        Ok(c) => assert!(c.check_consistent().is_ok()),
        Err(e) => {
            let msg = e.to_string();
            let name = path.file_name().unwrap().to_string_lossy();
            assert!(msg.contains(name.as_ref()), "error does not name the file: {msg}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_written_files_load_or_fail_cleanly(which in 0usize..3, m in mutation()) {
        let (name, bytes) = &sources()[which];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, mutate(bytes, &m)).unwrap();
        check_clean(&path);
    }

    #[test]
    fn mutated_real_comtrade_loads_or_fails_cleanly(which in 0usize..4, on_dat in any::<bool>(), m in mutation()) {
        let records = [
            ("abb-testrecord1", "TestRecord1_ASCII", "CFG", "DAT"),
            ("abb-testrecord1", "TestRecord1_Binary", "CFG", "DAT"),
            ("pycomtrade-dparrini-samples", "sample_bin", "cfg", "dat"),
            ("sel-relay-comtradejl", "1999-binary-hif-sel", "cfg", "dat"),
        ];
        let (folder, stem, cfg_ext, dat_ext) = records[which];
        let Some(src) = common::shared_data("comtrade").map(|d| d.join(folder)) else {
            return Ok(());
        };
        let dir = tempfile::tempdir().unwrap();
        let cfg: PathBuf = dir.path().join(format!("{stem}.{cfg_ext}"));
        let dat: PathBuf = dir.path().join(format!("{stem}.{dat_ext}"));
        let cfg_bytes = std::fs::read(src.join(format!("{stem}.{cfg_ext}"))).unwrap();
        let dat_bytes = std::fs::read(src.join(format!("{stem}.{dat_ext}"))).unwrap();
        let (cfg_bytes, dat_bytes) = if on_dat { (cfg_bytes, mutate(&dat_bytes, &m)) } else { (mutate(&cfg_bytes, &m), dat_bytes) };
        std::fs::write(&cfg, cfg_bytes).unwrap();
        std::fs::write(&dat, dat_bytes).unwrap();
        match capture::read(&cfg) {
            Ok(c) => prop_assert!(c.check_consistent().is_ok()),
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains(stem), "error does not name the file: {}", msg);
            }
        }
    }
}
