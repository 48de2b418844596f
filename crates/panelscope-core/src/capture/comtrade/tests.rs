//! Reader tests on small hand-made records (real recorder files are covered by
//! `tests/comtrade_real.rs`).

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, TimeZone, Utc};

use super::text::decode_text;
use super::time::{parse_datetime, parse_time_code};
use super::*;
use crate::capture::{CaptureError, ChannelKind, Samples, Timebase};

fn read(path: &Path) -> Result<Capture> {
    super::read(path, &crate::capture::open_file)
}

fn summary(path: &Path) -> Result<Option<crate::capture::Summary>> {
    super::summary(path, &crate::capture::open_file)
}

/// Writes `files` (name, bytes) into a fresh temporary folder.
fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("write test file");
    }
    dir
}

fn analog<'a>(capture: &'a Capture, name: &str) -> &'a [f32] {
    capture.channel(name).and_then(|c| c.analog_values()).unwrap_or_else(|| panic!("no analog channel {name}"))
}

fn bits(capture: &Capture, name: &str) -> Vec<bool> {
    match capture.channel(name).map(|c| &c.samples) {
        Some(Samples::Digital(b)) => b.iter().collect(),
        _ => panic!("no digital channel {name}"),
    }
}

fn err_text(result: Result<Capture>) -> String {
    match result {
        Ok(c) => panic!("expected an error, read {} samples", c.sample_count()),
        Err(e) => e.to_string(),
    }
}

/// A 2013 CFG with two analog channels (IA in A, VA in kV) and two digital ones.
fn cfg_2013(ft: &str, rates: &str, times: &str) -> String {
    format!(
        "STATION,DEV,2013\r\n4,2A,2D\r\n\
         1,IA,A,,A,0.5,1.0,0,-32767,32767,100,1,P\r\n\
         2,VA,A,,kV,2,0,0,-32767,32767,100,1,S\r\n\
         1,TRIP,,,0\r\n2,CLOSE,,,0\r\n60\r\n{rates}\r\n{times}\r\n{ft}\r\n1\r\n-3h00,-3h00\r\n0,0\r\n"
    )
}

const TIMES: &str = "21/07/2014,17:18:43.000000\r\n21/07/2014,17:18:43.250000";

/// Binary records: (timestamp, analog raw bytes, digital word).
fn records(rows: &[(u32, Vec<u8>, u16)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (ts, analog, word)) in rows.iter().enumerate() {
        out.extend_from_slice(&(i as u32 + 1).to_le_bytes());
        out.extend_from_slice(&ts.to_le_bytes());
        out.extend_from_slice(analog);
        out.extend_from_slice(&word.to_le_bytes());
    }
    out
}

fn i16s(values: &[i16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn ascii_record_values_units_kinds_and_times() {
    let cfg = cfg_2013("ASCII", "1\r\n1000,3", TIMES);
    let dat = "1,0,10,5,0,1\r\n\r\n2,1000,,-5,1,0\r\n3,2000,-10,7,2,0\r\n";
    let dir = folder(&[("rec.cfg", cfg.as_bytes()), ("rec.dat", dat.as_bytes())]);
    let c = read(&dir.path().join("rec.cfg")).expect("read");
    assert_eq!(c.format, Format::Comtrade);
    assert_eq!(c.sample_count(), 3);
    assert_eq!(c.sample_rate_hz(), Some(1000.0));
    assert_eq!(analog(&c, "IA")[0], 0.5 * 10.0 + 1.0);
    assert!(analog(&c, "IA")[1].is_nan(), "empty field is missing");
    assert_eq!(analog(&c, "IA")[2], -4.0);
    assert_eq!(analog(&c, "VA"), &[10.0, -10.0, 14.0]);
    assert_eq!(c.channel("VA").map(|ch| (ch.kind, ch.unit.as_str())), Some((ChannelKind::Voltage, "kV")));
    assert_eq!(c.channel("IA").map(|ch| ch.kind), Some(ChannelKind::Current));
    assert_eq!(bits(&c, "TRIP"), [false, true, true], "nonzero is 1");
    assert_eq!(bits(&c, "CLOSE"), [true, false, false]);
    assert_eq!(c.line_frequency_hz, Some(60.0));
    // Recorded at UTC-3: 17:18:43 local is 20:18:43 UTC.
    assert_eq!(c.start, Some(Utc.with_ymd_and_hms(2014, 7, 21, 20, 18, 43).unwrap()));
    assert_eq!(c.trigger_s, Some(0.25));
    let meta = |k: &str| c.metadata.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    assert_eq!(meta("station").as_deref(), Some("STATION"));
    assert_eq!(meta("recording_device").as_deref(), Some("DEV"));
    assert_eq!(meta("revision").as_deref(), Some("2013"));
    assert_eq!(meta("data_type").as_deref(), Some("ASCII"));
    assert_eq!(meta("time_code").as_deref(), Some("-3h00,-3h00"));
    // The .dat path finds its .cfg.
    let via_dat = read(&dir.path().join("rec.dat")).expect("read via dat");
    assert_eq!(format!("{via_dat:?}"), format!("{c:?}"), "NaN-tolerant equality");
}

#[test]
fn binary_types_scale_mask_and_mark_missing() {
    // BINARY: i16::MIN is missing; the digital word has unused high bits set.
    let rows = vec![(0, i16s(&[10, -3]), 0xFFF9), (1000, i16s(&[i16::MIN, 4]), 0xFFFE)];
    let cfg = cfg_2013("BINARY", "1\r\n1000,2", TIMES);
    let dir = folder(&[("b.cfg", cfg.as_bytes()), ("b.dat", &records(&rows))]);
    let c = read(&dir.path().join("b.cfg")).expect("read BINARY");
    assert_eq!(analog(&c, "IA")[0], 6.0);
    assert!(analog(&c, "IA")[1].is_nan());
    assert_eq!(analog(&c, "VA"), &[-6.0, 8.0]);
    assert_eq!(bits(&c, "TRIP"), [true, false]);
    assert_eq!(bits(&c, "CLOSE"), [false, true]);

    // BINARY32: i32::MIN is missing.
    let raw32 = |v: &[i32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let rows = vec![(0, raw32(&[100_000, i32::MIN]), 0), (1000, raw32(&[-2, 3]), 3)];
    let cfg = cfg_2013("binary32", "1\r\n1000,2", TIMES);
    let dir = folder(&[("b.cfg", cfg.as_bytes()), ("b.dat", &records(&rows))]);
    let c = read(&dir.path().join("b.cfg")).expect("read BINARY32");
    assert_eq!(analog(&c, "IA"), &[50_001.0, 0.0]);
    assert!(analog(&c, "VA")[0].is_nan());
    assert_eq!(bits(&c, "CLOSE"), [false, true]);

    // FLOAT32 (lower case type): NaN stays NaN, a and b apply.
    let rawf = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let rows = vec![(0, rawf(&[1.5, f32::NAN]), 1), (1000, rawf(&[-2.0, 0.25]), 0)];
    let cfg = cfg_2013("float32", "1\r\n1000,2", TIMES);
    let dir = folder(&[("f.cfg", cfg.as_bytes()), ("f.dat", &records(&rows))]);
    let c = read(&dir.path().join("f.cfg")).expect("read FLOAT32");
    assert_eq!(analog(&c, "IA"), &[1.75, 0.0]);
    assert!(analog(&c, "VA")[0].is_nan());
    assert_eq!(analog(&c, "VA")[1], 0.5);
}

#[test]
fn more_records_than_the_cfg_reads_the_cfg_count() {
    let rows: Vec<_> = (0..5).map(|i| (i * 1000, i16s(&[i as i16, 0]), 0)).collect();
    let mut dat = records(&rows);
    dat.extend_from_slice(&[1, 2, 3]); // a trailing partial record beyond the count
    let cfg = cfg_2013("BINARY", "1\r\n1000,3", TIMES);
    let dir = folder(&[("m.cfg", cfg.as_bytes()), ("m.dat", &dat)]);
    let c = read(&dir.path().join("m.cfg")).expect("read");
    assert_eq!(c.sample_count(), 3);
    assert_eq!(analog(&c, "IA"), &[1.0, 1.5, 2.0]);
}

#[test]
fn zero_rate_takes_times_from_timestamps() {
    // Uniform timestamps (with one tick of jitter) at timemult 0.5 µs: 1 kHz.
    let rows: Vec<_> = [0u32, 2000, 4001, 6000].iter().map(|&t| (t, i16s(&[0, 0]), 0)).collect();
    let cfg = cfg_2013("BINARY", "0\r\n0,4", TIMES).replace("BINARY\r\n1\r\n", "BINARY\r\n0.5\r\n");
    let dir = folder(&[("z.cfg", cfg.as_bytes()), ("z.dat", &records(&rows))]);
    let c = read(&dir.path().join("z.cfg")).expect("read");
    let rate = c.sample_rate_hz().expect("uniform timestamps give a fixed rate");
    assert!((rate - 1000.0).abs() < 1e-9, "{rate}");

    // A gap makes the times irregular; a first timestamp above 0 moves the start.
    let rows: Vec<_> = [500u32, 1500, 2500, 9500].iter().map(|&t| (t, i16s(&[0, 0]), 0)).collect();
    let cfg = cfg_2013("BINARY", "0\r\n0,4", TIMES).replace("-3h00,-3h00", "0,0");
    let dir = folder(&[("z.cfg", cfg.as_bytes()), ("z.dat", &records(&rows))]);
    let c = read(&dir.path().join("z.cfg")).expect("read");
    assert_eq!(c.timebase, Timebase::Irregular { times_s: vec![0.0, 0.001, 0.002, 0.009] });
    let start = NaiveDate::from_ymd_opt(2014, 7, 21).unwrap().and_hms_micro_opt(17, 18, 43, 500).unwrap();
    assert_eq!(c.start, Some(start.and_utc()));
    assert!((c.trigger_s.unwrap() - 0.2495).abs() < 1e-12);

    // A start time with nanoseconds counts the timestamps in nanoseconds (2013).
    let rows: Vec<_> = [0u32, 250, 500].iter().map(|&t| (t, i16s(&[0, 0]), 0)).collect();
    let ns_times = "21/07/2014,17:18:43.000000000\r\n21/07/2014,17:18:43.000000500";
    let cfg = cfg_2013("BINARY", "0\r\n0,3", ns_times).replace("BINARY\r\n1\r\n", "BINARY\r\n2\r\n");
    let dir = folder(&[("n.cfg", cfg.as_bytes()), ("n.dat", &records(&rows))]);
    let c = read(&dir.path().join("n.cfg")).expect("read");
    let rate = c.sample_rate_hz().expect("fixed rate");
    assert!((rate - 2e6).abs() < 1e-3, "250 ticks of 2 ns: {rate}");
    assert!((c.trigger_s.unwrap() - 5e-7).abs() < 1e-15);

    // A timestamp that goes back is an error naming the record.
    let rows: Vec<_> = [0u32, 1000, 900].iter().map(|&t| (t, i16s(&[0, 0]), 0)).collect();
    let cfg = cfg_2013("BINARY", "0\r\n0,3", TIMES);
    let dir = folder(&[("z.cfg", cfg.as_bytes()), ("z.dat", &records(&rows))]);
    let msg = err_text(read(&dir.path().join("z.cfg")));
    assert!(msg.contains("z.dat record 3: timestamp 900 is before"), "{msg}");
}

#[test]
fn several_rate_segments() {
    let rows: Vec<_> = (0..5).map(|_| (0, i16s(&[0, 0]), 0)).collect();
    let cfg = cfg_2013("BINARY", "2\r\n1000,2\r\n500,5", TIMES);
    let dir = folder(&[("s.cfg", cfg.as_bytes()), ("s.dat", &records(&rows))]);
    let c = read(&dir.path().join("s.cfg")).expect("read");
    let Timebase::Irregular { times_s } = &c.timebase else { panic!("expected irregular times") };
    let expected = [0.0, 0.001, 0.003, 0.005, 0.007];
    assert!(times_s.iter().zip(expected).all(|(t, e)| (t - e).abs() < 1e-12), "{times_s:?}");

    let cfg = cfg_2013("BINARY", "2\r\n1000,2\r\n1000,5", TIMES);
    let dir = folder(&[("s.cfg", cfg.as_bytes()), ("s.dat", &records(&rows))]);
    assert_eq!(read(&dir.path().join("s.cfg")).expect("read").sample_rate_hz(), Some(1000.0));
}

#[test]
fn revision_1991_layout_dates_and_missing_marker() {
    // Two-field first line, 10-field analog lines, 3-field digital lines, mm/dd/yy.
    let cfg = "SUB,0\n3,2A,1D\n1,IA,,,A,0.01,-5,0,0,999900\n2,IAY,,,A,0,0,0,0,999900\n1,TRP,0\n60\n1\n960,2\n\
               02/12/11,11:41:11.081315\n02/12/11,11:41:11.147000\nASCII\n";
    let dat = "         1,         0,   500,999999,0\n         2,      1042, 99999,999999,1\n";
    let dir = folder(&[("old.cfg", cfg.as_bytes()), ("old.dat", dat.as_bytes())]);
    let c = read(&dir.path().join("old.cfg")).expect("read 1991");
    assert_eq!(analog(&c, "IA"), &[0.0, 994.99]);
    assert!(analog(&c, "IAY").iter().all(|v| v.is_nan()), "999999 above the maximum is missing");
    assert_eq!(c.start.map(|s| s.date_naive()), NaiveDate::from_ymd_opt(2011, 2, 12));
    assert!((c.trigger_s.unwrap() - 0.065685).abs() < 1e-9);
    assert!(c.metadata.contains(&("revision".into(), "1991".into())));
}

#[test]
fn other_revision_years_and_untidy_text_are_read() {
    // An unknown year, a BOM, blank lines, trailing blanks, a name used twice, ^Z at the end.
    let cfg = "\u{feff}S,D,2001  \r\n\r\n2,2A,0D \r\n1,IA,,,A,1,0,0,-1,1,1,1,P,\r\n\r\n2,IA,,,A,1,0,0,-1,1,1,1,P\r\n\
               50\r\n1\r\n100,1\r\n13/05/2020,00:00:00\r\n13/05/2020,00:00:01\r\nascii\r\n1.0\r\n\u{1a}\u{1a}\r\n";
    let dir = folder(&[("u.cfg", cfg.as_bytes()), ("u.DAT", b"1,0,1,2   \r\n\r\n\r\n")]);
    let c = read(&dir.path().join("u.cfg")).expect("read");
    assert_eq!(analog(&c, "IA"), &[1.0]);
    assert_eq!(analog(&c, "IA (2)"), &[2.0]);
    assert_eq!(c.trigger_s, Some(1.0));
    assert!(c.metadata.contains(&("revision".into(), "2001".into())));

    // A stray line after timemult is no time code: the start stays as recorded.
    let cfg = cfg_2013("ASCII", "1\r\n1000,1", TIMES).replace("-3h00,-3h00\r\n0,0\r\n", "5\r\n");
    let dir = folder(&[("t.cfg", cfg.as_bytes()), ("t.dat", b"1,0,1,1,0,0\r\n")]);
    let c = read(&dir.path().join("t.cfg")).expect("read");
    assert_eq!(c.start, Some(Utc.with_ymd_and_hms(2014, 7, 21, 17, 18, 43).unwrap()));
}

#[test]
fn legacy_encodings_decode() {
    assert_eq!(decode_text("Ток фазы А,Напряжение".as_bytes()), "Ток фазы А,Напряжение");
    assert_eq!(decode_text(b"\xEF\xBB\xBFIA,A"), "IA,A");
    let (gbk, _, _) = encoding_rs::GBK.encode("A相电流,电压");
    assert_eq!(decode_text(&gbk), "A相电流,电压");
    let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Ток фазы А,Напряжение");
    assert_eq!(decode_text(&cp1251), "Ток фазы А,Напряжение");
    let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode("Tensão Fase A,Größe");
    assert_eq!(decode_text(&latin1), "Tensão Fase A,Größe");
    // Garbage never fails.
    assert!(!decode_text(&[0xFF, 0xFE, 0x80, 0x81]).is_empty());

    // A GBK channel name reaches the capture.
    let (cfg, _, _) = encoding_rs::GBK.encode("站,装置,1999\r\n1,1A,0D\r\n1,A相电流,A,,A,1,0,0,-1,1,1,1,P\r\n50\r\n1\r\n1000,1\r\n01/01/2020,00:00:00.0\r\n01/01/2020,00:00:00.0\r\nASCII\r\n1\r\n");
    let dir = folder(&[("g.cfg", &cfg), ("g.dat", b"1,0,7\r\n")]);
    let c = read(&dir.path().join("g.cfg")).expect("read GBK cfg");
    assert_eq!(analog(&c, "A相电流"), &[7.0]);
    assert!(c.metadata.contains(&("station".into(), "站".into())));
}

#[test]
fn dates_and_time_codes() {
    let dt = |s: &str, month_first: bool| parse_datetime(s, month_first).map(|d| d.to_string());
    assert_eq!(dt("21/07/2014,17:18:43.143033", false).as_deref(), Some("2014-07-21 17:18:43.143033"));
    assert_eq!(dt("17/02/2021,17:37:12.422969065", false).as_deref(), Some("2021-02-17 17:37:12.422969065"));
    assert_eq!(dt("02/12/11,11:41:11.081315", true).as_deref(), Some("2011-02-12 11:41:11.081315"));
    assert_eq!(dt("02/12/11,11:41:11.081315", false).as_deref(), Some("2011-12-02 11:41:11.081315"));
    assert_eq!(dt("07/25/2007,19:13:57.7", false).as_deref(), Some("2007-07-25 19:13:57.700"), "month > 12 swaps");
    assert_eq!(dt("25/06/95,19:13:57", false).as_deref(), Some("1995-06-25 19:13:57"));
    assert_eq!(dt("2020-01-31,00:00:00.5", false).as_deref(), Some("2020-01-31 00:00:00.500"));
    assert_eq!(dt("31/12/2016,23:59:60.5", false).as_deref(), Some("2016-12-31 23:59:60.500"));
    for bad in ["", "0/0/0,00:00:00", "31/02/2020,00:00:00", "1/1/2020", "1/1/2020,25:00:00", "a/b/c,1:2:3"] {
        assert_eq!(dt(bad, false), None, "{bad}");
    }
    assert_eq!(parse_time_code("-3h00"), Some(-3 * 3600));
    assert_eq!(parse_time_code("+5h30"), Some(5 * 3600 + 30 * 60));
    assert_eq!(parse_time_code("-5h30"), Some(-(5 * 3600 + 30 * 60)));
    assert_eq!(parse_time_code("10"), Some(36000));
    assert_eq!(parse_time_code("0"), Some(0));
    for none in ["NA", "x", "", "h", "+99h00", "1h99"] {
        assert_eq!(parse_time_code(none), None, "{none}");
    }
}

#[test]
fn cff_ascii_and_binary_sections() {
    let cfg = cfg_2013("ASCII", "1\r\n1000,2", TIMES);
    let cff = format!(
        "--- File Type: CFG ---\r\n{cfg}--- file type: INF ---\r\n\r\n--- FILE TYPE: HDR ---\r\nnotes\r\n\
         --- file type: DAT ASCII ---\r\n1,0,2,3,1,0\r\n2,1000,4,5,0,1\r\n"
    );
    let dir = folder(&[("a.cff", cff.as_bytes())]);
    let c = read(&dir.path().join("a.cff")).expect("read ASCII cff");
    assert_eq!(analog(&c, "IA"), &[2.0, 3.0]);
    assert_eq!(bits(&c, "CLOSE"), [false, true]);
    assert_eq!(c.name, "a.cff");

    let rows = vec![(0, i16s(&[2, 3]), 1), (1000, i16s(&[4, 5]), 0x0A)];
    let dat = records(&rows);
    let cfg = cfg_2013("BINARY", "1\r\n1000,2", TIMES);
    let mut cff =
        format!("--- file type: CFG ---\r\n{cfg}--- file type: DAT BINARY: {} ---\r\n", dat.len()).into_bytes();
    cff.extend_from_slice(&dat);
    let dir = folder(&[("b.cff", &cff)]);
    let c = read(&dir.path().join("b.cff")).expect("read binary cff");
    assert_eq!(analog(&c, "VA"), &[6.0, 10.0]);
    assert_eq!(bits(&c, "TRIP"), [true, false]);
    assert_eq!(bits(&c, "CLOSE"), [false, true]);

    // Cut inside the binary section: the record is named.
    let dir = folder(&[("t.cff", &cff[..cff.len() - 3])]);
    let msg = err_text(read(&dir.path().join("t.cff")));
    assert!(msg.contains("t.cff record 2: truncated"), "{msg}");

    // Header only: a CFG section and nothing else.
    let only_cfg = format!("--- file type: CFG ---\r\n{}", cfg_2013("ASCII", "1\r\n1000,2", TIMES));
    let dir = folder(&[("h.cff", only_cfg.as_bytes())]);
    let msg = err_text(read(&dir.path().join("h.cff")));
    assert!(msg.contains("h.cff: no '--- file type: DAT ... ---' section"), "{msg}");
    let dir = folder(&[("e.cff", b"")]);
    assert!(err_text(read(&dir.path().join("e.cff"))).contains("e.cff: no '--- file type: CFG ---' section"));

    let dir = folder(&[("n.cff", b"SUB,DEV,2013\r\n")]);
    let msg = err_text(read(&dir.path().join("n.cff")));
    assert!(msg.contains("n.cff line 1: not a CFF file"), "{msg}");
}

#[test]
fn sibling_files_in_any_case() {
    let cfg = cfg_2013("ASCII", "1\r\n1000,1", TIMES);
    let dir = folder(&[("X.CFG", cfg.as_bytes()), ("X.DAT", b"1,0,1,1,0,0\r\n")]);
    assert!(read(&dir.path().join("X.CFG")).is_ok());
    assert!(read(&dir.path().join("X.DAT")).is_ok());
    let dir = folder(&[("mixed.cfg", cfg.as_bytes()), ("Mixed.Dat", b"1,0,1,1,0,0\r\n")]);
    assert!(read(&dir.path().join("mixed.cfg")).is_ok());
}

/// Writes a CFG/DAT pair and returns the error message from reading it.
fn read_error(cfg: &str, dat: &[u8]) -> String {
    let dir = folder(&[("feeder.cfg", cfg.as_bytes()), ("feeder.dat", dat)]);
    err_text(read(&dir.path().join("feeder.cfg")))
}

#[test]
fn bad_cfg_errors_name_file_line_and_field() {
    let good = cfg_2013("ASCII", "1\r\n1000,1", TIMES);
    let dat = b"1,0,1,1,0,0\r\n";
    let cases = [
        (
            good.replace("2,VA,A,,kV,2,0,0,-32767,32767,100,1,S", "2,VA,A,,kV,2,0,0,-32767"),
            "feeder.cfg line 4: analog channel 2 has 9 fields, expected 13",
        ),
        (
            good.replace("0.5,1.0", "half,1.0"),
            "feeder.cfg line 3: analog channel 1 (IA): multiplier a 'half' is not a number",
        ),
        (good.replace("4,2A,2D", "5,2A,2D"), "feeder.cfg line 2: total channel count 5 is not 2 analog + 2 digital"),
        (good.replace("4,2A,2D", "4;2A;2D"), "feeder.cfg line 2: channel counts '4;2A;2D', expected TT,##A,##D"),
        (good.replace("4,2A,2D", "0,0A,0D"), "feeder.cfg line 2: the record declares no channels"),
        (good.replace("1000,1", "-5,1"), "feeder.cfg line 9: sample rate -5 Hz is outside 0 to 100 MHz"),
        (good.replace("1000,1", "1e9,1"), "feeder.cfg line 9: sample rate 1000000000 Hz is outside 0 to 100 MHz"),
        (good.replace("1000,1", "NaN,1"), "feeder.cfg line 9: sample rate 'NaN' is not a number"),
        (good.replace("1000,1", "1000,many"), "feeder.cfg line 9: last sample number 'many' is not a whole number"),
        (good.replace("\r\n60\r\n", "\r\nsixty\r\n"), "feeder.cfg line 7: line frequency 'sixty' is not a number"),
        (good.replace("\r\nASCII\r\n", "\r\nHEX\r\n"), "feeder.cfg line 12: data file type 'HEX', expected ASCII"),
        (
            good.replace("\r\n1,TRIP,,,0", "\r\n1,TRIP,,,0,1,2,3"),
            "feeder.cfg line 5: digital channel 1 has 8 fields, expected 5",
        ),
        (
            good.split("60\r\n").next().unwrap_or_default().to_owned(),
            "feeder.cfg line 7: expected the line frequency, found the end",
        ),
        ("STATION,DEV,2013\r\n4,2A,2D\r\n".to_owned(), "feeder.cfg line 3: expected the line of analog channel 1 of 2"),
        (String::new(), "feeder.cfg line 1: expected the station line"),
        ("\r\n \r\n".to_owned(), "feeder.cfg line 1: expected the station line"),
    ];
    for (cfg, expected) in cases {
        let msg = read_error(&cfg, dat);
        assert!(msg.contains(expected), "expected '{expected}' in '{msg}'");
    }
    let multi = cfg_2013("ASCII", "2\r\n1000,5\r\n1000,3", TIMES);
    assert!(read_error(&multi, dat).contains("feeder.cfg line 10: sample rate segment 2 ends at sample 3, before"));
    let zero_mult = cfg_2013("BINARY", "0\r\n0,1", TIMES).replace("BINARY\r\n1\r\n", "BINARY\r\n0\r\n");
    let msg = read_error(&zero_mult, &records(&[(0, i16s(&[0, 0]), 0)]));
    assert!(msg.contains("feeder.cfg line 13: timestamp multiplier '0' is not a positive number"), "{msg}");
}

#[test]
fn bad_dat_errors_name_file_and_line_or_record() {
    let ascii = cfg_2013("ASCII", "1\r\n1000,3", TIMES);
    let cases: [(&[u8], &str); 6] = [
        (
            b"1,0,1,1,0,0\r\n2,1000,1,x,0,0\r\n3,2000,1,1,0,0\r\n",
            "feeder.dat line 2: analog channel 2 (VA) value 'x' is not a number",
        ),
        (
            b"1,0,1,1,0,0\r\n\r\n3,2000,1,1,0\r\n",
            "feeder.dat line 3: 5 fields, expected 6 (sample number, timestamp, 2 analog, 2 digital)",
        ),
        (b"1,0,1,1,0,0,7\r\n", "feeder.dat line 1: 7 fields, expected 6"),
        (b"1,0,1,1,0,yes\r\n", "feeder.dat line 1: digital channel 2 (CLOSE) value 'yes' is not 0 or 1"),
        (b"1,0,1,1,0,0\r\n2,0,1,1,0,0\r\n", "feeder.dat line 3: truncated: expected 3 samples, the file ends after 2"),
        (b"", "feeder.dat line 1: truncated: expected 3 samples, the file ends after 0"),
    ];
    for (dat, expected) in cases {
        let msg = read_error(&ascii, dat);
        assert!(msg.contains(expected), "expected '{expected}' in '{msg}'");
    }

    let binary = cfg_2013("BINARY", "1\r\n1000,3", TIMES);
    let dat = records(&[(0, i16s(&[1, 1]), 0), (1, i16s(&[1, 1]), 0), (2, i16s(&[1, 1]), 0)]);
    let msg = read_error(&binary, &dat[..dat.len() - 1]);
    assert!(
        msg.contains("feeder.dat record 3: truncated: expected 3 records of 14 bytes, the file ends after 2"),
        "{msg}"
    );
    let msg = read_error(&binary, &[]);
    assert!(msg.contains("feeder.dat record 1: truncated"), "{msg}");
    // No sample count in the CFG: a partial record at the end is named.
    let no_count = cfg_2013("BINARY", "1\r\n1000,0", TIMES);
    let msg = read_error(&no_count, &dat[..dat.len() - 1]);
    assert!(msg.contains("feeder.dat record 3: truncated: the file ends 13 bytes into this record"), "{msg}");
    let msg = read_error(&no_count, &[]);
    assert!(msg.contains("feeder.dat: no samples"), "{msg}");
}

#[test]
fn missing_partner_file_is_named() {
    let cfg = cfg_2013("ASCII", "1\r\n1000,1", TIMES);
    let dir = folder(&[("lonely.cfg", cfg.as_bytes()), ("orphan.dat", b"1,0,1,1,0,0\r\n")]);
    let msg = err_text(read(&dir.path().join("lonely.cfg")));
    assert!(msg.contains("lonely.cfg: data file lonely.dat (or lonely.DAT) not found beside it"), "{msg}");
    let msg = err_text(read(&dir.path().join("orphan.dat")));
    assert!(msg.contains("orphan.dat: configuration file orphan.cfg (or orphan.CFG) not found"), "{msg}");
    let missing = Path::new("/nonexistent/x.cff");
    assert!(matches!(read(missing), Err(CaptureError::Io { .. })));
}

/// The capture a round trip should give back.
fn sample_capture(timebase: Timebase, n: usize) -> Capture {
    let mut c = Capture::new("rt", Format::Memory, 1.0);
    c.timebase = timebase;
    c.start = Some(Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap() + chrono::TimeDelta::microseconds(123_456));
    c.trigger_s = Some(0.0125);
    c.line_frequency_hz = Some(50.0);
    let wave: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 325.0 + 1e-7).collect();
    let mut with_nan = wave.iter().map(|v| v * 0.1).collect::<Vec<f32>>();
    with_nan[1] = f32::NAN;
    with_nan[n - 1] = f32::NEG_INFINITY;
    c.channels.push(Channel::analog("V_A", "V", None, wave));
    c.channels.push(Channel::analog("Ток фазы A, ячейка 1", "kA", None, with_nan));
    c.channels.push(Channel::analog("power", "W", None, (0..n).map(|i| -(i as f32)).collect()));
    for d in 0..18 {
        let bits = (0..n).map(|i| (i + d) % 3 == 0).collect();
        c.channels.push(Channel::digital(format!("D{d} 开关"), bits));
    }
    c
}

fn assert_same_channels(written: &Capture, read_back: &Capture) {
    assert_eq!(read_back.channels.len(), written.channels.len());
    for (w, r) in written.channels.iter().zip(&read_back.channels) {
        assert_eq!(r.name, w.name.replace(',', ";"));
        assert_eq!((r.kind, &r.unit), (w.kind, &w.unit), "{}", w.name);
        match (&w.samples, &r.samples) {
            (Samples::Analog(a), Samples::Analog(b)) => {
                assert_eq!(a.len(), b.len());
                for (x, y) in a.iter().zip(b) {
                    assert!(x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()), "{x} vs {y}");
                }
            }
            (Samples::Digital(a), Samples::Digital(b)) => assert_eq!(a, b, "{}", w.name),
            _ => panic!("channel {} changed type", w.name),
        }
    }
}

#[test]
fn round_trip_fixed_rate_cfg_dat_and_cff() {
    let c = sample_capture(Timebase::Fixed { sample_rate_hz: 15_360.0 }, 50);
    let dir = tempfile::tempdir().expect("temp dir");
    for path in [dir.path().join("out.cfg"), dir.path().join("OUT.DAT"), dir.path().join("one.cff")] {
        if path.extension().is_some_and(|e| e == "cff") {
            write_cff(&c, &path).expect("write cff");
        } else {
            write_cfg_dat(&c, &path).expect("write cfg/dat");
        }
        let r = read(&path).expect("read back");
        r.check_consistent().expect("consistent");
        assert_same_channels(&c, &r);
        assert_eq!(r.timebase, c.timebase);
        assert_eq!(r.start, c.start);
        assert_eq!(r.trigger_s, c.trigger_s);
        assert_eq!(r.line_frequency_hz, Some(50.0));
    }
    assert!(dir.path().join("OUT.CFG").is_file() && dir.path().join("out.dat").is_file());
    let leftovers: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn round_trip_irregular_times_and_unknown_start() {
    let times_s: Vec<f64> =
        (0..40).map(|i| i as f64 * 0.001 + if i > 20 { 0.5 + i as f64 * 1.3e-7 } else { 0.0 }).collect();
    let mut c = sample_capture(Timebase::Irregular { times_s: times_s.clone() }, 40);
    c.start = None;
    c.trigger_s = None;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("irr.cfg");
    write_cfg_dat(&c, &path).expect("write");
    let r = read(&path).expect("read back");
    assert_same_channels(&c, &r);
    let Timebase::Irregular { times_s: back } = &r.timebase else { panic!("expected irregular times") };
    assert!(times_s.iter().zip(back).all(|(a, b)| (a - b).abs() < 1e-6), "{back:?}");
    // An unknown start is written as the epoch (an unset clock) and reads back unknown, as
    // does the trigger written at that start.
    assert_eq!(r.start, None);
    assert_eq!(r.trigger_s, None);

    // Over 71 minutes the multiplier grows; times stay within half a tick.
    let long: Vec<f64> = (0..10).map(|i| i as f64 * 600.0 + (i * i) as f64).collect();
    let mut c = sample_capture(Timebase::Irregular { times_s: long.clone() }, 10);
    c.channels.truncate(1);
    write_cfg_dat(&c, &path).expect("write long");
    let Timebase::Irregular { times_s: back } = read(&path).expect("read back").timebase else { panic!("irregular") };
    assert!(long.iter().zip(&back).all(|(a, b)| (a - b).abs() <= 5e-6), "{back:?}");
}

#[test]
fn writer_refuses_what_it_cannot_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.cfg");
    let empty = Capture::new("e", Format::Memory, 1000.0);
    assert!(write_cfg_dat(&empty, &path).unwrap_err().to_string().contains("no channels"));
    let mut uneven = sample_capture(Timebase::Fixed { sample_rate_hz: 1000.0 }, 10);
    if let Samples::Analog(v) = &mut uneven.channels[0].samples {
        v.pop();
    }
    assert!(write_cfg_dat(&uneven, &path).is_err());
    let fast = sample_capture(Timebase::Fixed { sample_rate_hz: 1e9 }, 10);
    assert!(write_cfg_dat(&fast, &path).unwrap_err().to_string().contains("above 100 MHz"));
    assert!(!path.exists() && !dir.path().join("bad.dat").exists(), "nothing written on error");
}

#[test]
fn a_start_past_the_year_9999_is_kept_as_unknown() {
    // -3h00: 23:59 on 31/12/9999 local is 02:59 on 01/01/10000 in UTC.
    let times = "31/12/9999,23:59:00.000000\r\n31/12/9999,23:59:00.250000";
    let cfg = cfg_2013("ASCII", "1\r\n1000,3", times);
    let dat = "1,0,10,5,0,1\r\n2,1000,0,-5,1,0\r\n3,2000,-10,7,2,0\r\n";
    let dir = folder(&[("late.cfg", cfg.as_bytes()), ("late.dat", dat.as_bytes())]);
    let c = read(&dir.path().join("late.cfg")).expect("read");
    assert_eq!(c.start, None);
    assert!(c.metadata.iter().any(|(k, v)| k == "start_note" && v.contains("9999")), "{:?}", c.metadata);
    // What is written reads back.
    let out = dir.path().join("late.parquet");
    crate::capture::write(&c, &out).unwrap();
    assert_eq!(crate::capture::read(&out).unwrap().start, None);
}

#[test]
fn a_pair_written_over_another_is_the_new_pair_and_a_lone_dat_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dest.cfg");
    let mut old = Capture::new("old", crate::capture::Format::Memory, 1000.0);
    old.channels.push(Channel::analog("V_A", "V", None, vec![1.0; 10]));
    crate::capture::write(&old, &path).unwrap();
    let mut new = Capture::new("new", crate::capture::Format::Memory, 2000.0);
    new.channels.push(Channel::analog("V_A", "V", None, vec![2.0; 30]));
    new.channels.push(Channel::analog("I_A", "A", None, vec![3.0; 30]));
    crate::capture::write(&new, &path).unwrap();
    let back = read(&path).unwrap();
    assert_eq!((back.sample_count(), back.channels.len()), (30, 2));
    // A crash between the two renames leaves the .dat without a .cfg: refused, naming it.
    std::fs::remove_file(&path).unwrap();
    let error = err_text(read(&path));
    assert!(error.contains("dest.cfg") && !error.contains("dest.dat"), "{error}");
    let error = err_text(read(&dir.path().join("dest.dat")));
    assert!(error.contains("dest") && error.contains("cfg"), "{error}");
}

#[test]
fn a_summary_from_the_cfg_agrees_with_reading_the_pair() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.cfg");
    let mut c = Capture::new("s", crate::capture::Format::Memory, 4000.0);
    c.channels.push(Channel::analog("V_A", "V", None, (0..4000).map(|i| i as f32).collect()));
    c.channels.push(Channel::digital("TRIP", (0..4000).map(|i| i % 7 == 0).collect()));
    crate::capture::write(&c, &path).unwrap();
    let quick = summary(&path).unwrap().expect("one rate: the cfg says it all");
    assert_eq!(quick, crate::capture::Summary::of(&read(&path).unwrap()));
    let parquet = dir.path().join("s.parquet");
    crate::capture::write(&c, &parquet).unwrap();
    assert_eq!(
        crate::capture::summary(&parquet).unwrap(),
        crate::capture::Summary::of(&crate::capture::read(&parquet).unwrap())
    );
}

#[test]
fn a_pair_whose_rewrite_fails_at_either_rename_is_never_read_as_a_mixed_pair() {
    let old_pair = || {
        let mut c = Capture::new("old", crate::capture::Format::Memory, 1000.0);
        c.channels.push(Channel::analog("V_A", "V", None, vec![1.0; 10]));
        c
    };
    let mut new = Capture::new("new", crate::capture::Format::Memory, 2000.0);
    new.channels.push(Channel::analog("V_A", "V", None, vec![2.0; 30]));
    new.channels.push(Channel::analog("I_A", "A", None, vec![3.0; 30]));
    for blocked in ["dest.dat", "dest.cfg"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dest.cfg");
        crate::capture::write(&old_pair(), &path).unwrap();
        // The rename onto `blocked` fails: a folder stands where it goes.
        let target = dir.path().join(blocked);
        std::fs::remove_file(&target).unwrap();
        std::fs::create_dir(&target).unwrap();
        assert!(crate::capture::write(&new, &path).is_err(), "{blocked}: the failure is reported");
        // Whatever is left is refused or is one whole pair; never the old .cfg over the new .dat.
        if let Ok(c) = read(&path) {
            assert!(
                (c.sample_count(), c.channels.len()) == (10, 1) || (c.sample_count(), c.channels.len()) == (30, 2),
                "{blocked}: a mixed pair read as {} samples × {} channels",
                c.sample_count(),
                c.channels.len()
            );
        }
        let temps = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .count();
        assert_eq!(temps, 0, "{blocked}: no temporary file left");
    }
}
