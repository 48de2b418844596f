//! Load and statistics throughput: panelscope's readers against the Parquet decoder alone
//! (arrow-rs, batches that are decoded and dropped) on the same file, COMTRADE binary
//! decoding, and `info --stats` statistics. Whole-process comparisons with Python peers
//! (polars, pyarrow + numpy) are a separate script.
//!
//! `PANELSCOPE_BENCH_SAMPLES` sets samples per channel (8 channels; default 2,000,000).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/mod.rs"]
mod common;
use panelscope_core::analysis::stats::stats;
use panelscope_core::capture::{self, Capture, Channel, Format};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn samples_per_channel() -> usize {
    std::env::var("PANELSCOPE_BENCH_SAMPLES").ok().and_then(|s| s.parse().ok()).unwrap_or(2_000_000)
}

/// Eight channels of noisy 60 Hz waveforms at 10 kHz.
fn synthetic(n: usize) -> Capture {
    let mut c = Capture::new("bench", Format::Memory, 10_000.0);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for ch in 0..8 {
        let values = (0..n)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
                let phase = i as f32 * (2.0 * std::f32::consts::PI * 60.0 / 10_000.0) + ch as f32;
                170.0 * phase.sin() + noise
            })
            .collect();
        let name = if ch < 2 { format!("V_{ch}") } else { format!("I_{ch}") };
        c.channels.push(Channel::analog(name, if ch < 2 { "V" } else { "A" }, None, values));
    }
    c
}

/// The decoder alone: every batch decoded, then dropped (rows counted).
fn decoder_only(path: &Path) -> usize {
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap())
        .unwrap()
        .with_batch_size(1 << 18)
        .build()
        .unwrap();
    reader.map(|batch| batch.unwrap().num_rows()).sum()
}

fn bench(c: &mut Criterion) {
    let n = samples_per_channel();
    let dir = tempfile::tempdir().unwrap();
    let capture = synthetic(n);
    let bytes = (8 * n * 4) as u64;
    let parquet = dir.path().join("bench.parquet");
    let comtrade = dir.path().join("bench.cfg");
    capture::write(&capture, &parquet).unwrap();
    capture::write(&capture, &comtrade).unwrap();

    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("parquet/decoder_alone", |b| b.iter(|| black_box(decoder_only(&parquet))));
    group.bench_function("parquet/panelscope", |b| b.iter(|| black_box(capture::read(&parquet).unwrap())));
    group.bench_function("comtrade_float32/panelscope", |b| b.iter(|| black_box(capture::read(&comtrade).unwrap())));
    group.finish();

    // CSV: a quarter of the rows (text is about three times the size of the samples).
    let rows = n / 4;
    let mut small = capture.clone_header();
    small.channels = capture
        .channels
        .iter()
        .map(|c| Channel::analog(&c.name, &c.unit, Some(c.kind), c.analog_values().unwrap()[..rows].to_vec()))
        .collect();
    let csv = dir.path().join("bench.csv");
    capture::write(&small, &csv).unwrap();
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(std::fs::metadata(&csv).unwrap().len()));
    group.bench_function("csv/panelscope", |b| b.iter(|| black_box(capture::read(&csv).unwrap())));
    group.finish();

    // The statistics pass against the read bandwidth, on an array no cache holds.
    {
        let large = common::large_array();
        let (one, all) = common::read_bandwidth(&large);
        let bytes = std::mem::size_of_val(large.as_slice());
        let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a thread pool");
        let gbps = common::best_gbps(bytes, 5, || one_thread.install(|| black_box(stats(&large))).map_or((), |_| ()));
        common::report("statistics", gbps, one, "1 thread");
        let gbps = common::best_gbps(bytes, 5, || black_box(stats(&large)).map_or((), |_| ()));
        common::report("statistics", gbps, all, &format!("{} threads", rayon::current_num_threads()));
    }

    let mut group = c.benchmark_group("stats");
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("min_max_mean_rms_8ch", |b| {
        b.iter(|| {
            for ch in &capture.channels {
                black_box(stats(ch.analog_values().unwrap()));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
