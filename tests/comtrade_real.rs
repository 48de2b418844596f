//! COMTRADE records from real recorders (and a few library samples) in
//! `../shared/data/comtrade/`: every record loads with the facts its MANIFEST.txt
//! and independent readers give, cross-checked against values decoded here
//! directly from the raw bytes and the CFG text; plus mutated copies never panic.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, TimeZone, Utc};
use panelscope::capture::{self, Capture, ChannelKind, Samples, Timebase};
use panelscope::cli::{info_json, scan_json};
use proptest::prelude::*;

mod common;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/comtrade");

fn path(rel: &str) -> PathBuf {
    Path::new(DATA).join(rel)
}

fn load(rel: &str) -> Capture {
    capture::read(&path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn analog<'a>(c: &'a Capture, name: &str) -> &'a [f32] {
    c.channel(name).and_then(|ch| ch.analog_values()).unwrap_or_else(|| panic!("no analog channel {name:?}"))
}

fn bits(c: &Capture, name: &str) -> Vec<bool> {
    match c.channel(name).map(|ch| &ch.samples) {
        Some(Samples::Digital(b)) => b.iter().collect(),
        _ => panic!("no digital channel {name:?}"),
    }
}

/// Indices where a digital channel changes, with the new value.
fn changes(bits: &[bool]) -> Vec<(usize, bool)> {
    (1..bits.len()).filter(|&i| bits[i] != bits[i - 1]).map(|i| (i, bits[i])).collect()
}

fn meta<'a>(c: &'a Capture, key: &str) -> &'a str {
    c.metadata.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
}

fn names(c: &Capture, analog: bool) -> Vec<&str> {
    c.channels.iter().filter(|ch| ch.is_analog() == analog).map(|ch| ch.name.as_str()).collect()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, us: u32) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_micro_opt(h, mi, s, us).unwrap())
}

/// `(a, b)` of analog channel `index` (1-based), read from the CFG text by plain splitting.
fn cfg_scale(cfg: &str, index: usize) -> (f64, f64) {
    let text = String::from_utf8_lossy(&std::fs::read(path(cfg)).unwrap()).into_owned();
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let fields: Vec<&str> = lines[1 + index].split(',').map(str::trim).collect();
    assert_eq!(fields[0], index.to_string(), "{cfg} analog line {index}");
    (fields[5].parse().unwrap(), fields[6].parse().unwrap())
}

/// `len` raw bytes at `offset` of record `record` (0-based) of a binary DAT.
fn raw(dat: &str, record_size: usize, record: usize, offset: usize, len: usize) -> Vec<u8> {
    let bytes = std::fs::read(path(dat)).unwrap();
    bytes[record * record_size + offset..][..len].to_vec()
}

fn raw_i16(dat: &str, record_size: usize, record: usize, offset: usize) -> f64 {
    let b = raw(dat, record_size, record, offset, 2);
    f64::from(i16::from_le_bytes([b[0], b[1]]))
}

fn raw_u32(dat: &str, record_size: usize, record: usize, offset: usize) -> u32 {
    let b = raw(dat, record_size, record, offset, 4);
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn assert_close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!((actual - expected).abs() <= tolerance, "{what}: {actual} vs {expected}");
}

fn assert_shape(c: &Capture, analog: usize, digital: usize, samples: usize) {
    c.check_consistent().unwrap();
    assert_eq!((c.analog_count(), c.digital_count(), c.sample_count()), (analog, digital, samples), "{}", c.name);
}

/// Copies `cfg` beside `dat` (renamed to the same stem) in a temp folder and reads it.
fn load_with_dat(cfg: &str, dat: &str) -> Capture {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(path(cfg), dir.path().join("copy.cfg")).unwrap();
    std::fs::copy(path(dat), dir.path().join("copy.dat")).unwrap();
    capture::read(&dir.path().join("copy.cfg")).unwrap()
}

#[test]
fn dparrini_sample_bin_1999_binary() {
    if common::shared_data("comtrade").is_none() {
        return;
    }
    let c = load("pycomtrade-dparrini-samples/sample_bin.cfg");
    assert_shape(&c, 4, 16, 5);
    assert_eq!(meta(&c, "revision"), "1999");
    assert_eq!(meta(&c, "data_type"), "BINARY");
    assert_eq!(c.sample_rate_hz(), Some(15360.0));
    assert_close(c.time_s(2) - c.time_s(1), 1.0 / 15360.0, 1e-15, "time step");
    assert_close(f64::from(analog(&c, "VA")[3]), -23425.0 * 0.000361849, 1e-6, "analog[0][3]");
    // python-comtrade's check: va + vb + vc + vn ≈ 0 to one decimal place at sample 1.
    let sum = |i: usize| ["VA", "VB", "VC", "VN"].iter().map(|n| analog(&c, n)[i]).sum::<f32>();
    assert!(sum(0).abs() < 0.05, "{}", sum(0));
    assert!((0..5).all(|i| sum(i).abs() < 0.1));
    // Independent: raw i16 of record 4, channel 1 times a from the CFG text.
    let (a, b) = cfg_scale("pycomtrade-dparrini-samples/sample_bin.cfg", 1);
    let x = raw_i16("pycomtrade-dparrini-samples/sample_bin.dat", 18, 3, 8);
    assert_eq!(x, -23425.0);
    assert_eq!(analog(&c, "VA")[3], (a * x + b) as f32);
    assert_eq!(c.start, Some(utc(2017, 1, 7, 15, 35, 41, 958_268)));
    assert_close(c.trigger_s.unwrap(), 65e-6, 1e-12, "trigger");
    assert_eq!(c.channel("VA").map(|ch| (ch.kind, ch.unit.as_str())), Some((ChannelKind::Voltage, "kV")));

    let missing = load_with_dat(
        "pycomtrade-dparrini-samples/sample_bin.cfg",
        "pycomtrade-dparrini-samples/sample_bin_missing.dat",
    );
    let nan: Vec<(usize, usize)> = (0..4)
        .flat_map(|ch| (0..5).map(move |i| (ch, i)))
        .filter(|&(ch, i)| missing.channels[ch].analog_values().unwrap()[i].is_nan())
        .collect();
    // The MANIFEST names [0][0] and [1][1] (what python-comtrade's test checks); the raw
    // bytes hold 0x8000 on the whole diagonal, and every one of them is missing.
    let raw_missing: Vec<(usize, usize)> = (0..4)
        .flat_map(|ch| (0..5).map(move |i| (ch, i)))
        .filter(|&(ch, i)| raw_i16("pycomtrade-dparrini-samples/sample_bin_missing.dat", 18, i, 8 + 2 * ch) == -32768.0)
        .collect();
    assert_eq!(nan, raw_missing);
    assert_eq!(nan, [(0, 0), (1, 1), (2, 2), (3, 3)]);
}

#[test]
fn dparrini_sample_ascii_cfg_and_cff() {
    if common::shared_data("comtrade").is_none() {
        return;
    }
    let c = load("pycomtrade-dparrini-samples/sample_ascii.cfg");
    assert_shape(&c, 4, 4, 40);
    assert_eq!(
        (meta(&c, "station"), meta(&c, "recording_device"), meta(&c, "revision")),
        ("SMARTSTATION", "IED123", "2013")
    );
    assert_eq!(meta(&c, "data_type"), "ASCII");
    assert_eq!(c.line_frequency_hz, Some(60.0));
    assert_eq!(c.sample_rate_hz(), Some(1200.0));
    assert_eq!(names(&c, true), ["IA", "IB", "IC", "3I0"]);
    assert_eq!(names(&c, false), ["51A", "51B", "51C", "51N"]);
    // Time code -5h30: 05:55:30.075011 local is 11:25:30.075011 UTC.
    assert_eq!(c.start, Some(utc(2011, 1, 12, 11, 25, 30, 75_011)));
    assert_close(c.trigger_s.unwrap(), 0.00325, 1e-12, "trigger");
    // Independent: first DAT line's IA raw value with a, b from the CFG text.
    let (a, b) = cfg_scale("pycomtrade-dparrini-samples/sample_ascii.cfg", 1);
    let dat = std::fs::read_to_string(path("pycomtrade-dparrini-samples/sample_ascii.dat")).unwrap();
    let x: f64 = dat.lines().next().unwrap().split(',').nth(2).unwrap().trim().parse().unwrap();
    assert_eq!(analog(&c, "IA")[0], (a * x + b) as f32);
    assert_close(f64::from(analog(&c, "IA")[0]), -9.396_057_128_906_25, 1e-5, "IA[0]");
    assert_eq!(changes(&bits(&c, "51N")), [(10, true)]);

    let cff = load("pycomtrade-dparrini-samples/sample_ascii.cff");
    assert_eq!(
        (&cff.channels, &cff.timebase, cff.start, cff.trigger_s),
        (&c.channels, &c.timebase, c.start, c.trigger_s)
    );

    let missing = load_with_dat(
        "pycomtrade-dparrini-samples/sample_ascii.cfg",
        "pycomtrade-dparrini-samples/sample_ascii_missing.dat",
    );
    let nan: Vec<(usize, usize)> = (0..4)
        .flat_map(|ch| (0..40).map(move |i| (ch, i)))
        .filter(|&(ch, i)| missing.channels[ch].analog_values().unwrap()[i].is_nan())
        .collect();
    assert_eq!(nan, [(0, 1), (1, 2), (2, 3), (3, 4)]);
}

#[test]
fn dparrini_sample_float32_cff() {
    if common::shared_data("comtrade").is_none() {
        return;
    }
    let c = load("pycomtrade-dparrini-samples/sample_float32.cff");
    assert_shape(&c, 1, 1, 301);
    assert_eq!(
        (meta(&c, "station"), meta(&c, "recording_device"), meta(&c, "data_type")),
        ("EXAMPLE", "example", "FLOAT32")
    );
    assert_eq!(c.sample_rate_hz(), Some(100.0));
    assert_eq!(c.line_frequency_hz, None, "lf 0 is unknown");
    // Nanosecond start time.
    let start = NaiveDate::from_ymd_opt(2021, 2, 17).unwrap().and_hms_nano_opt(17, 37, 12, 422_969_065).unwrap();
    assert_eq!(c.start, Some(start.and_utc()));
    assert_close(c.trigger_s.unwrap(), 1.5, 1e-12, "trigger");
    let out = c.channel("test/out1").unwrap();
    assert_eq!((out.kind, out.unit.as_str()), (ChannelKind::Other, "none"));
    // Independent: the first record's f32 right after the DAT header line.
    let bytes = std::fs::read(path("pycomtrade-dparrini-samples/sample_float32.cff")).unwrap();
    let header = b"--- file type: DAT FLOAT32: 4214 ---\r\n";
    let at = bytes.windows(header.len()).position(|w| w == header).unwrap() + header.len();
    assert_eq!(bytes.len() - at, 4214);
    let x = f32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap());
    assert_eq!(out.analog_values().unwrap()[0], x);
    assert_close(f64::from(x), 2.809_693_098, 1e-6, "out1[0]");
}

#[test]
fn abb_ascii_and_binary32_agree_and_mask_digital_words() {
    if common::shared_data("comtrade").is_none() {
        return;
    }
    let ascii = load("abb-testrecord1/TestRecord1_ASCII.CFG");
    let binary = load("abb-testrecord1/TestRecord1_Binary.CFG");
    for c in [&ascii, &binary] {
        assert_shape(c, 7, 3, 1300);
        assert_eq!(c.sample_rate_hz(), Some(1000.0));
        assert_eq!(c.line_frequency_hz, Some(50.0));
        assert_eq!(c.start, Some(utc(2014, 7, 21, 17, 18, 43, 143_033)), "time code NA: taken as UTC");
        assert_close(c.trigger_s.unwrap(), 0.299_999, 1e-9, "trigger");
        assert_eq!(
            names(c, true),
            ["LINE_A_IL1", "LINE_A_IL2", "LINE_A_IL3", "LINE_A_IN", "LINE_UL1", "LINE_UL2", "LINE_UL3"]
        );
        assert_eq!(c.channel("LINE_A_IL1").map(|ch| (ch.kind, ch.unit.as_str())), Some((ChannelKind::Current, "A")));
        assert_eq!(c.channel("LINE_UL1").map(|ch| (ch.kind, ch.unit.as_str())), Some((ChannelKind::Voltage, "V")));
        let peak = |n: &str| analog(c, n).iter().fold(0f32, |m, v| m.max(v.abs()));
        assert_close(f64::from(peak("LINE_A_IL1")), 23_100.0, 100.0, "IL1 peak");
        assert_close(f64::from(peak("LINE_A_IN")), 21_900.0, 100.0, "IN peak");
        assert_eq!(changes(&bits(c, "PHS-STFWL1")), [(306, true), (387, false)]);
        assert_eq!(changes(&bits(c, "PHS-STFWL2")), [(315, true), (390, false)]);
        assert_eq!(changes(&bits(c, "PHS-STFWPE")), [(306, true), (390, false)]);
        assert_close(c.time_s(306), 0.306, 1e-12, "PHS-STFWL1 rise");
    }
    assert_eq!(meta(&ascii, "data_type"), "ASCII");
    assert_eq!(meta(&binary, "data_type"), "BINARY32");
    assert_eq!(ascii.channels, binary.channels, "same raw values in both files");

    // Independent: raw i32 of record 1, channel 1, times a; and the raw digital word has
    // its unused high bits set where the three channels read 0.
    let dat = "abb-testrecord1/TestRecord1_Binary.DAT";
    let (a, b) = cfg_scale("abb-testrecord1/TestRecord1_Binary.CFG", 1);
    let x = f64::from(i32::from_le_bytes(raw(dat, 38, 0, 8, 4).try_into().unwrap()));
    assert_eq!(analog(&binary, "LINE_A_IL1")[0], (a * x + b) as f32);
    assert_close(f64::from(analog(&binary, "LINE_A_IL1")[0]), 2066.0586, 1e-3, "IL1[0]");
    let word = u16::from_le_bytes(raw(dat, 38, 0, 36, 2).try_into().unwrap());
    assert_eq!(word, 0xFFF8);
    assert!(["PHS-STFWL1", "PHS-STFWL2", "PHS-STFWPE"].iter().all(|n| !bits(&binary, n)[0]));
}

#[test]
fn abb_hand_made_cff_with_bom() {
    if common::shared_data("comtrade").is_none() {
        return;
    }
    let c = load("abb-testrecord1/TestRecord_CFF_ASCII_2013.CFF");
    assert_shape(&c, 4, 3, 10);
    assert_eq!(c.sample_rate_hz(), Some(1000.0));
    assert_eq!(meta(&c, "station"), "Substation85");
    assert_eq!(&analog(&c, "LINE_A_IL1")[..3], &[8965.0, 9112.0, 8340.0]);
    assert_eq!(analog(&c, "LINE_A_IN")[9], -8.0);
    assert_eq!(bits(&c, "PHS-STFWPE"), [false, true, false, true, false, true, false, true, false, true]);
    assert_eq!(bits(&c, "PHS-STFWL1"), [false, false, false, false, true, true, true, true, false, false]);
}

#[test]
fn pycomtrade_dfr_test1_test2_test3() {
    if common::shared_data("comtrade").is_none() {
        return;
    }
    let t1 = load("br-dfr-pycomtrade/test1.cfg");
    let t2 = load("br-dfr-pycomtrade/test2.cfg");
    let t3 = load("br-dfr-pycomtrade/test3.cfg");
    assert_shape(&t1, 6, 0, 24768);
    assert_shape(&t2, 26, 13, 13248);
    assert_shape(&t3, 31, 32, 24768);
    for (c, lf) in [(&t1, 50.0), (&t2, 60.0), (&t3, 50.0)] {
        assert_eq!(c.sample_rate_hz(), Some(5760.0), "{}", c.name);
        assert_eq!(c.line_frequency_hz, Some(lf));
        assert_close(c.trigger_s.unwrap(), 0.3, 1e-9, "trigger");
        assert_eq!(meta(c, "revision"), "1999");
    }
    assert_eq!(t1.start, Some(utc(2007, 6, 25, 19, 13, 57, 789_757)));
    assert_eq!(t3.start, t1.start);
    assert_eq!(meta(&t1, "station"), "TestStation1");
    assert_eq!(meta(&t1, "recording_device"), "001(T)");
    assert_eq!(t1.channel("VA_G1").map(|ch| (ch.kind, ch.unit.as_str())), Some((ChannelKind::Voltage, "kV")));
    let peak = analog(&t1, "IA_G1").iter().fold(0f32, |m, v| m.max(v.abs()));
    assert_close(f64::from(peak), 2950.0, 50.0, "IA_G1 peak");
    // test1 A1..A6 hold the same raw data as test3 A1..A6, except in samples
    // 8256..16512 where test1's raw values are 1.5 times test3's (checked here on the
    // raw bytes too): the MANIFEST's "identical" holds for the first and last thirds.
    for (a, b) in t1.channels[..6].iter().zip(&t3.channels[..6]) {
        let (a, b) = (a.analog_values().unwrap(), b.analog_values().unwrap());
        assert_eq!((&a[..8256], &a[16512..]), (&b[..8256], &b[16512..]));
        assert_ne!(a[8256], b[8256]);
    }
    let raw1 = raw_i16("br-dfr-pycomtrade/test1.dat", 20, 8256, 8);
    let raw3 = raw_i16("br-dfr-pycomtrade/test3.dat", 74, 8256, 8);
    assert_eq!((raw1, raw3), (-969.0, -646.0));
    assert_eq!(analog(&t3, "IA_G1")[8256], (cfg_scale("br-dfr-pycomtrade/test3.cfg", 1).0 * raw3) as f32);

    // Negative scale factors (test2 DC channels), checked against the raw i16.
    let (a, b) = cfg_scale("br-dfr-pycomtrade/test2.cfg", 19);
    assert!(a < 0.0);
    let record_size = 8 + 26 * 2 + 2;
    for i in [0, 5000, 13247] {
        let x = raw_i16("br-dfr-pycomtrade/test2.dat", record_size, i, 8 + 18 * 2);
        assert_eq!(analog(&t2, "VDC_G1")[i], (a * x + b) as f32, "VDC_G1[{i}]");
    }
    assert_close(f64::from(analog(&t2, "VDC_G1")[0]), 60.860_855, 1e-4, "VDC_G1[0]");
    assert!(t2.channels.iter().filter(|ch| !ch.is_analog()).all(|ch| changes(&bits(&t2, &ch.name)).is_empty()));
    // Two digital channels share the name 50/51N_T: the second is made unique.
    assert!(t2.channel("50/51N_T").is_some() && t2.channel("50/51N_T (2)").is_some());

    // test3 ground truth: reverse power G4 at 0.300 s, back at 0.639 s; lockout at 0.316 s.
    let d32 = changes(&bits(&t3, "32_G4"));
    assert_eq!(d32, [(1728, true), (3679, false)]);
    assert_close(t3.time_s(1728), 0.300, 1e-9, "32_G4 rise");
    assert_close(t3.time_s(3679), 0.639, 0.001, "32_G4 fall");
    let d25 = changes(&bits(&t3, "86_G4"));
    assert_eq!(d25.len(), 1);
    assert_close(t3.time_s(d25[0].0), 0.316, 0.001, "86_G4 change");
}

#[test]
fn sel_1991_ascii_relay_event() {
    if common::shared_data("comtrade").is_none() {
        return;
    }
    let c = load("sel-relay-comtradejl/1991-ascii-sel.cfg");
    assert_shape(&c, 24, 592, 480);
    assert_eq!(meta(&c, "revision"), "1991");
    assert_eq!(meta(&c, "station"), "FID=SEL-311L-R157-V0-Z009004-D20060929");
    assert_eq!(c.sample_rate_hz(), Some(960.0));
    assert_eq!(c.line_frequency_hz, Some(60.0));
    assert_eq!(names(&c, true)[1], "IB");
    assert_eq!(names(&c, false)[1], "TRP");
    assert_close(f64::from(analog(&c, "IA")[0]), -270.999_876, 1e-3, "IA[1]");
    assert_close(f64::from(analog(&c, "VA(kV)")[0]), -33.399_880_1, 1e-4, "VA(kV)[1]");
    assert_eq!(c.channel("VA(kV)").map(|ch| (ch.kind, ch.unit.as_str())), Some((ChannelKind::Voltage, "kV")));
    // Independent: first DAT line, IA raw value, a and b from the CFG text.
    let (a, b) = cfg_scale("sel-relay-comtradejl/1991-ascii-sel.cfg", 1);
    let dat = std::fs::read_to_string(path("sel-relay-comtradejl/1991-ascii-sel.dat")).unwrap();
    let x: f64 = dat.lines().next().unwrap().split(',').nth(2).unwrap().trim().parse().unwrap();
    assert_eq!(analog(&c, "IA")[0], (a * x + b) as f32);
    // mm/dd/yy: 02/12/11 is 12 February 2011.
    assert_eq!(c.start, Some(utc(2011, 2, 12, 11, 41, 11, 81_315)));
    assert_close(c.trigger_s.unwrap(), 0.065_685, 1e-9, "trigger");
    for name in ["TRP", "87", "C", "G"] {
        assert_eq!(changes(&bits(&c, name)), [(63, true)], "{name}");
    }
    assert_close(c.time_s(63), 0.065_625, 1e-12, "TRP");
    assert!(!bits(&c, "TRP")[0]);
    // IAY/IBY/ICY hold 999999 (above the declared maximum 999900): missing.
    assert!(["IAY", "IBY", "ICY"].iter().all(|n| analog(&c, n).iter().all(|v| v.is_nan())));
    let mut all: Vec<&str> = c.channels.iter().map(|ch| ch.name.as_str()).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 616, "channel names are unique");
}

#[test]
fn sel_1999_binary_hif_irregular_times() {
    if common::shared_data("comtrade").is_none() {
        return;
    }
    let c = load("sel-relay-comtradejl/1999-binary-hif-sel.cfg");
    assert_shape(&c, 18, 48, 20700);
    assert_eq!(names(&c, true)[1], "IBRMS");
    assert_eq!(names(&c, false)[1], "NTUNE_A");
    let Timebase::Irregular { times_s } = &c.timebase else { panic!("nrates 0 with a gap: irregular times") };
    // Independent: the last record's raw timestamp (µs, timemult 1).
    let last = f64::from(raw_u32("sel-relay-comtradejl/1999-binary-hif-sel.dat", 50, 20699, 4)) / 1e6;
    assert_close(times_s[20699], last, 1e-9, "last time");
    assert_close(c.duration_s(), 689.7858, 1e-3, "duration");
    assert_eq!(analog(&c, "IARMS")[0], 0.0);
    assert!(bits(&c, "EN")[0]);
    assert_close(c.trigger_s.unwrap(), 89.981_018, 1e-6, "trigger");
    assert_eq!(c.start, Some(utc(2016, 4, 8, 4, 39, 50, 598_100)));
    let frz = changes(&bits(&c, "FRZCLRA"));
    assert_close(c.time_s(frz[0].0), 24.70, 0.01, "FRZCLRA rise");
    assert_close(c.time_s(frz[1].0), 86.06, 0.01, "FRZCLRA fall");
    let dl2 = changes(&bits(&c, "DL2CLRA"));
    assert_close(c.time_s(dl2[0].0), 25.03, 0.01, "DL2CLRA rise");
    assert_close(c.time_s(dl2[1].0), 87.03, 0.01, "DL2CLRA fall");
}

#[test]
fn ge_ur_2013_binary_rate_from_timestamps() {
    if common::shared_data("comtrade").is_none() {
        return;
    }
    let c = load("geur-brazil-2013/bt_teste16B.CFG");
    assert_shape(&c, 56, 5, 11584);
    assert_eq!((meta(&c, "station"), meta(&c, "recording_device")), ("UPD1_P1", "844"));
    assert_eq!(meta(&c, "time_code"), "-3h00,-3h00");
    // Independent: the mean rate from the first and last raw timestamps (timemult 0.25 µs).
    let dat = "geur-brazil-2013/bt_teste16B.DAT";
    let span_us = f64::from(raw_u32(dat, 122, 11583, 4) - raw_u32(dat, 122, 0, 4)) * 0.25;
    let rate = c.sample_rate_hz().expect("uniform timestamps: fixed rate");
    assert_close(rate, 11583.0 / (span_us / 1e6), 1e-6, "rate");
    assert_close(rate, 3840.0, 1.0, "64 samples per cycle at 60 Hz");
    assert_close(c.trigger_s.unwrap(), 1.508_401, 1e-9, "trigger");
    // Local time at UTC-3.
    assert_eq!(c.start, Some(utc(2025, 8, 27, 14, 48, 39, 877_416)));
    let hv3 = changes(&bits(&c, "VO4|TRIGGER_HV3      ON (VO4)"));
    assert!(hv3[0].1, "TRIGGER_HV3 goes 0 -> 1");
    assert_close(c.time_s(hv3[0].0), 1.504, 0.002, "TRIGGER_HV3 rise");
    let osc = changes(&bits(&c, "VO1|TRIGGER_OSC      ON (VO1)"));
    assert_close(c.time_s(osc[0].0), 1.508, 0.002, "TRIGGER_OSC rise");
    let peak = |n: &str| analog(&c, n).iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(peak("F1-IA") <= 0.002, "currents are ~0");
    assert!((169.0..=172.5).contains(&peak("F5-VA")), "{}", peak("F5-VA"));
}

#[test]
fn atp_simulation_float32_100khz() {
    if common::shared_data("comtrade").is_none() {
        return;
    }
    for (name, onsets) in [
        ("f1_1b274run", vec![("FAULTB        I-branch", 15237)]),
        (
            "f3_43abc675run",
            vec![
                ("FAULTA        I-branch", 15724),
                ("FAULTB        I-branch", 15724),
                ("FAULTC        I-branch", 15724),
            ],
        ),
    ] {
        let c = load(&format!("sim-atp-ieee123-float32/{name}.cfg"));
        assert_shape(&c, 15, 0, 40001);
        assert_eq!(c.sample_rate_hz(), Some(100_000.0));
        assert_eq!(meta(&c, "data_type"), "FLOAT32");
        assert_eq!(c.trigger_s, Some(0.0));
        assert_eq!(c.channel("SBUS A          V-node").map(|ch| ch.kind), Some(ChannelKind::Voltage));
        // Independent: raw f32 of channel 1 in record 1000.
        let b = raw(&format!("sim-atp-ieee123-float32/{name}.dat"), 68, 1000, 8, 4);
        assert_eq!(analog(&c, "SBUS A          V-node")[1000], f32::from_le_bytes(b.try_into().unwrap()));
        for (fault, onset) in onsets {
            let v = analog(&c, fault);
            assert!(v[..onset].iter().all(|&x| x == v[0]), "{name} {fault} constant before {onset}");
            assert!(v[onset] != v[0] && v[onset..].iter().any(|x| x.abs() > 1000.0), "{name} {fault} fault current");
        }
    }
    let f1 = load("sim-atp-ieee123-float32/f1_1b274run.cfg");
    for quiet in ["FAULTA        I-branch", "FAULTC        I-branch", "FALTBC 1    C I-branch"] {
        assert!(analog(&f1, quiet).iter().all(|&x| x == 0.0), "{quiet}");
    }
    let first_big = |v: &[f32]| v.iter().position(|x| x.abs() > 10.0);
    assert_eq!(first_big(analog(&f1, "FAULTB        I-branch")), Some(15237), "sample number 15238");
}

/// Small real records to mutate: (name, files).
const FUZZ_RECORDS: [&[&str]; 5] = [
    &["pycomtrade-dparrini-samples/sample_bin.cfg", "pycomtrade-dparrini-samples/sample_bin.dat"],
    &["pycomtrade-dparrini-samples/sample_ascii.cfg", "pycomtrade-dparrini-samples/sample_ascii.dat"],
    &["pycomtrade-dparrini-samples/sample_ascii.cff"],
    &["pycomtrade-dparrini-samples/sample_float32.cff"],
    &["abb-testrecord1/TestRecord_CFF_ASCII_2013.CFF"],
];

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(f64),
    Flip(Vec<(f64, u8)>),
    DropLine(f64),
}

fn mutate(bytes: &[u8], mutation: &Mutation) -> Vec<u8> {
    let at = |f: f64| ((bytes.len() as f64 * f) as usize).min(bytes.len());
    match mutation {
        Mutation::Truncate(f) => bytes[..at(*f)].to_vec(),
        Mutation::Flip(flips) => {
            let mut out = bytes.to_vec();
            for &(f, value) in flips {
                if let Some(b) = out.get_mut(at(f)) {
                    *b = value;
                }
            }
            out
        }
        Mutation::DropLine(f) => {
            let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
            let drop = ((lines.len() as f64 * f) as usize).min(lines.len().saturating_sub(1));
            lines.iter().enumerate().filter(|&(i, _)| i != drop).map(|(_, l)| *l).collect::<Vec<_>>().join(&b'\n')
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0.0..1.0f64).prop_map(Mutation::Truncate),
        prop::collection::vec((0.0..1.0f64, any::<u8>()), 1..8).prop_map(Mutation::Flip),
        (0.0..1.0f64).prop_map(Mutation::DropLine),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Truncated, corrupted or shortened copies of real records read or fail, never panic.
    #[test]
    fn mutated_real_records_never_panic(record in 0..FUZZ_RECORDS.len(), file in 0..2usize, m in mutation()) {
        if common::shared_data("comtrade").is_none() {
            return Ok(());
        }
        let files = FUZZ_RECORDS[record];
        let target = file % files.len();
        let dir = tempfile::tempdir().unwrap();
        let mut first = PathBuf::new();
        for (i, rel) in files.iter().enumerate() {
            let bytes = std::fs::read(path(rel)).unwrap();
            let bytes = if i == target { mutate(&bytes, &m) } else { bytes };
            let ext = Path::new(rel).extension().unwrap().to_string_lossy().into_owned();
            let out = dir.path().join(format!("fuzz.{ext}"));
            std::fs::write(&out, bytes).unwrap();
            if i == 0 {
                first = out;
            }
        }
        let read = capture::read(&first);
        if let Ok(c) = &read {
            prop_assert!(c.check_consistent().is_ok());
        }
        // A scan (what `info` does) fails where a read fails, with the same words.
        let scan = capture::scan(&first, true);
        match (&read, &scan) {
            (Ok(c), Ok(scan)) => prop_assert_eq!(scan_json(scan, true), info_json(c, true)),
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            _ => prop_assert!(false, "read {:?}, scan {:?}", read.as_ref().err(), scan.as_ref().err()),
        }
    }
}

/// Every real record: `info` scans it (binary records into running statistics, never
/// held whole) and prints what a full read would, statistics to the last bit.
#[test]
fn every_real_record_scans_to_what_a_full_read_describes() {
    let Some(root) = common::shared_data("comtrade") else { return };
    let mut records = Vec::new();
    let mut folders = vec![root];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let p = entry.unwrap().path();
            let ext = p.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
            if p.is_dir() {
                folders.push(p);
            } else if matches!(ext.as_deref(), Some("cfg" | "cff")) {
                records.push(p);
            }
        }
    }
    records.sort();
    let mut scanned = 0;
    for record in &records {
        let Ok(c) = capture::read(record) else { continue };
        for with_stats in [true, false] {
            let scan = capture::scan(record, with_stats).unwrap_or_else(|e| panic!("{}: {e}", record.display()));
            assert_eq!(scan_json(&scan, with_stats), info_json(&c, with_stats), "{}", record.display());
        }
        scanned += 1;
    }
    assert!(scanned >= 15, "{scanned} of {} records read", records.len());
}
