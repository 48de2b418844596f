//! Level of detail: pyramid build against a plain min/max pass over the same array (the
//! memory-bandwidth limit), and the explorer's per-frame query, 8 channels at 2000 pixel
//! columns, at zoom levels from the whole capture down to fewer samples than pixels.
//!
//! `PANELSCOPE_BENCH_SAMPLES` sets samples per channel (default 10^8: 400 MB per channel,
//! 3.2 GB for the eight the query uses).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use panelscope_core::analysis::decimate::{analog_extremes, equal_index_buckets};
use panelscope_core::analysis::lod::Pyramid;

#[path = "common/mod.rs"]
mod common;

fn samples_per_channel() -> usize {
    std::env::var("PANELSCOPE_BENCH_SAMPLES").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000_000)
}

/// The reference: min and max of an array in one pass, as fast as plain safe Rust goes.
fn plain_min_max(values: &[f32]) -> (f32, f32) {
    const LANES: usize = 16;
    let mut lo = [f32::INFINITY; LANES];
    let mut hi = [f32::NEG_INFINITY; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for l in 0..LANES {
            lo[l] = lo[l].min(chunk[l]);
            hi[l] = hi[l].max(chunk[l]);
        }
    }
    let mut min = lo.iter().copied().fold(f32::INFINITY, f32::min);
    let mut max = hi.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for &v in rest {
        min = min.min(v);
        max = max.max(v);
    }
    (min, max)
}

fn bench(c: &mut Criterion) {
    let n = samples_per_channel();
    let channels: Vec<Vec<f32>> = (0..8).map(|k| panelscope_core::generate::bench_wave(n, k, 170.0)).collect();
    let bytes = (n * 4) as u64;
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a thread pool");

    let mut build = c.benchmark_group("lod_build");
    build.sample_size(10);
    build.throughput(Throughput::Bytes(bytes));
    build.bench_function("plain_min_max_pass_1_thread", |b| b.iter(|| black_box(plain_min_max(&channels[0]))));
    build.bench_function("pyramid_build_1_thread", |b| {
        b.iter(|| one_thread.install(|| black_box(Pyramid::build(&channels[0]).heap_bytes())))
    });
    build.bench_function("pyramid_build_all_threads", |b| {
        b.iter(|| black_box(Pyramid::build(&channels[0]).heap_bytes()))
    });
    build.finish();

    // `export --max-points`: 2000 min/max buckets over the whole channel by one scan,
    // against the read bandwidth.
    let decimate = |v: &[f32]| {
        let buckets: Vec<std::ops::Range<usize>> = equal_index_buckets(v.len(), 2000).collect();
        analog_extremes(v, None, 0..v.len(), &buckets, true)
    };
    {
        let large = common::large_array();
        let (one, all) = common::read_bandwidth(&large);
        let bytes = std::mem::size_of_val(large.as_slice());
        let gbps = common::best_gbps(bytes, 5, || {
            black_box(decimate(&large));
        });
        common::report("decimation to 2000 buckets", gbps, one, "1 thread");
        let halves: Vec<&[f32]> = large.chunks(large.len() / 2).collect();
        let gbps = common::best_gbps(bytes, 5, || {
            use rayon::prelude::*;
            black_box(halves.par_iter().map(|v| decimate(v)).collect::<Vec<_>>());
        });
        let threads = format!("{} threads", rayon::current_num_threads());
        common::report("decimation, two channels in parallel", gbps, all, &threads);
    }
    let mut scan = c.benchmark_group("decimate");
    scan.sample_size(10);
    scan.throughput(Throughput::Bytes(bytes));
    scan.bench_function("min_max_2000_buckets_1_thread", |b| b.iter(|| black_box(decimate(&channels[0]))));
    scan.finish();

    let pyramids: Vec<Pyramid> = channels.iter().map(|v| Pyramid::build(v)).collect();
    println!(
        "pyramid memory: {} bytes for {} samples ({:.2}% of the samples' {} bytes)",
        pyramids[0].heap_bytes(),
        n,
        100.0 * pyramids[0].heap_bytes() as f64 / bytes as f64,
        bytes
    );
    let mut query = c.benchmark_group("lod_query_8ch_2000px");
    query.sample_size(50);
    let zooms = [
        ("full", 0, n),
        ("1e6", n / 3 + 7, 1_000_000),
        ("1e4", n / 2 + 13, 10_000),
        ("2000", n / 5 + 1, 2000),
        ("500", 12_345, 500),
    ];
    for (label, start, width) in zooms {
        let range = start..(start + width).min(n);
        query.bench_with_input(BenchmarkId::from_parameter(label), &range, |b, range| {
            b.iter(|| {
                let mut points = 0usize;
                for (p, v) in pyramids.iter().zip(&channels) {
                    points += p.query(v, range.clone(), 2000).iter().flatten().count();
                }
                black_box(points)
            })
        });
    }
    query.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
