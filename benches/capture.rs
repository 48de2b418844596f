//! Load and statistics throughput: panelscope's readers against polars alone on the same
//! file, COMTRADE binary decoding, and `info --stats` statistics.
//!
//! `PANELSCOPE_BENCH_SAMPLES` sets samples per channel (8 channels; default 2,000,000).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use panelscope::analysis::stats::stats;
use panelscope::capture::{self, Capture, Channel, Format};
use polars::prelude::*;

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

fn polars_only(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

/// polars, then one pass over every value: polars may hand back buffers that map the file
/// lazily, so this is the cost of a load whose samples are actually in memory.
fn polars_and_touch(path: &Path) -> f64 {
    let df = polars_only(path);
    df.columns().iter().map(|c| c.as_materialized_series().f32().unwrap().sum().unwrap_or(0.0) as f64).sum()
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
    group.bench_function("parquet/polars_alone", |b| b.iter(|| black_box(polars_only(&parquet))));
    group.bench_function("parquet/polars_and_touch", |b| b.iter(|| black_box(polars_and_touch(&parquet))));
    group.bench_function("parquet/panelscope", |b| b.iter(|| black_box(capture::read(&parquet).unwrap())));
    group.bench_function("comtrade_float32/panelscope", |b| b.iter(|| black_box(capture::read(&comtrade).unwrap())));
    group.finish();

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
