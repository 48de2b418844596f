"""Whole-process timings of panelscope's headless passes against the script a user would
otherwise write (polars/pyarrow + numpy, tsdownsample), on generated files of 8 channels.

Run by scripts/bench-peers.sh, which makes the venv and builds the binary. Usage:

    bench_peers.py run PANELSCOPE_BIN DATA_DIR [--samples N] [--runs R]
    bench_peers.py peer PASS FILE [OUT]      (one peer pass, timed from outside)

Prints one row per pass: the median wall time of each side over R alternated runs, their
ratio, and each side's peak resident memory (MiB, and bytes per analog sample); then the
peak bytes per analog sample of every command (and the server) on every format.
"""

import os
import statistics
import subprocess
import sys
import time

CHANNELS = 8
RATE_HZ = 10_000.0


def make_files(data_dir, samples, panelscope):
    """The inputs, written once per sample count: plain and zstd Parquet, CSV, COMTRADE."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    os.makedirs(data_dir, exist_ok=True)
    base = os.path.join(data_dir, f"peers-{samples}")
    files = {
        "parquet": base + ".parquet",
        "zstd": base + ".zstd.parquet",
        "csv": base + ".csv",
        "comtrade": base + ".cfg",
    }
    if all(os.path.exists(f) for f in files.values()):
        return files
    rng = np.random.default_rng(7)
    t = np.arange(samples, dtype=np.float64) / RATE_HZ
    columns = {"time_s": t}
    for ch in range(CHANNELS):
        wave = (5.0 + ch) * np.sin(2 * np.pi * 60.0 * t + ch)
        columns[f"I_{ch:02} [A]"] = (wave + rng.normal(0.0, 0.05, samples)).astype(np.float32)
    table = pa.table(columns)
    pq.write_table(table, files["parquet"], compression="none")
    pq.write_table(table, files["zstd"], compression="zstd")
    del table, columns
    for out in (files["csv"], files["comtrade"]):
        subprocess.run([panelscope, "convert", files["parquet"], out], check=True, stdout=subprocess.DEVNULL)
    return files


def stats(arrays):
    """What `info --stats` prints per channel: min, max, mean and RMS, with numpy (the RMS
    from a float32 dot product: BLAS, no temporary array)."""
    import numpy as np

    out = []
    for a in arrays:
        a = np.asarray(a)
        out.append((a.min(), a.max(), a.mean(dtype=np.float64), np.sqrt(np.dot(a, a) / len(a))))
    return out


def polars_stats(lazy):
    """The same figures as one polars query over a lazy frame (polars plans and runs it
    in parallel, reading only what it needs)."""
    import polars as pl

    names = [c for c in lazy.collect_schema().names() if c != "time_s"]
    exprs = []
    for i, c in enumerate(names):
        col = pl.col(c)
        exprs += [
            col.min().alias(f"min{i}"),
            col.max().alias(f"max{i}"),
            col.mean().alias(f"mean{i}"),
            (col.cast(pl.Float64) ** 2).mean().sqrt().alias(f"rms{i}"),
        ]
    return lazy.select(exprs).collect().row(0)


def peer(pass_name, path, out=None):
    """One peer pass, as a user's script would do it."""
    import numpy as np

    if pass_name in ("stats-parquet", "stats-zstd"):
        import polars as pl

        result = polars_stats(pl.scan_parquet(path))
    elif pass_name == "stats-parquet-numpy":
        import polars as pl

        frame = pl.read_parquet(path)
        result = stats([frame[c].to_numpy() for c in frame.columns if c != "time_s"])
    elif pass_name == "stats-csv":
        import polars as pl

        result = polars_stats(pl.scan_csv(path))
    elif pass_name == "stats-comtrade":
        # FLOAT32 records: sample number, timestamp, then one float32 per channel.
        dat = os.path.splitext(path)[0] + ".dat"
        record = np.dtype([("n", "<u4"), ("t", "<u4"), ("v", "<f4", (CHANNELS,))])
        values = np.fromfile(dat, dtype=record)["v"]
        result = stats([values[:, c] for c in range(CHANNELS)])
    elif pass_name == "decimate":
        import polars as pl
        import pyarrow as pa
        import pyarrow.parquet as pq
        from tsdownsample import MinMaxDownsampler

        frame = pl.read_parquet(path)
        t = frame["time_s"].to_numpy()
        columns = {}
        for c in frame.columns[1:]:
            y = frame[c].to_numpy()
            index = MinMaxDownsampler().downsample(y, n_out=4000)
            columns[c + " time_s"] = t[index]
            columns[c] = y[index]
        pq.write_table(pa.table(columns), out)
        result = len(columns)
    else:
        raise SystemExit(f"unknown pass {pass_name}")
    print(result if isinstance(result, int) else len(result))


def timed(cmd):
    """Wall seconds and peak RSS (MiB) of one whole process, from GNU time."""
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    return wall, peak_kib / 1024.0


def run(panelscope, data_dir, samples, runs):
    files = make_files(data_dir, samples, panelscope)
    out_dir = os.path.join(data_dir, "out")
    os.makedirs(out_dir, exist_ok=True)
    me = [sys.executable, os.path.abspath(__file__), "peer"]
    passes = [
        ("info --stats, Parquet", [panelscope, "info", "--stats", files["parquet"]],
         me + ["stats-parquet", files["parquet"]], "polars query"),
        ("info --stats, Parquet", [panelscope, "info", "--stats", files["parquet"]],
         me + ["stats-parquet-numpy", files["parquet"]], "polars + numpy"),
        ("info --stats, zstd Parquet", [panelscope, "info", "--stats", files["zstd"]],
         me + ["stats-zstd", files["zstd"]], "polars query"),
        ("info --stats, CSV", [panelscope, "info", "--stats", files["csv"]],
         me + ["stats-csv", files["csv"]], "polars query"),
        ("info --stats, COMTRADE FLOAT32", [panelscope, "info", "--stats", files["comtrade"]],
         me + ["stats-comtrade", files["comtrade"]], "numpy.fromfile + numpy"),
        ("export --max-points 4000, Parquet",
         [panelscope, "export", files["parquet"], "--out", os.path.join(out_dir, "ps.parquet"), "--max-points", "4000"],
         me + ["decimate", files["parquet"], os.path.join(out_dir, "peer.parquet")], "polars + tsdownsample"),
    ]
    analog = CHANNELS * samples
    print(f"{CHANNELS} channels x {samples} samples, medians of {runs} alternated runs, {os.cpu_count()} cores")
    print("| pass | panelscope | peer | peer time | ratio | panelscope peak | peer peak |")
    print("|---|---|---|---|---|---|---|")
    for name, ours, theirs, who in passes:
        mine, peers = [], []
        for _ in range(runs):
            mine.append(timed(ours))
            peers.append(timed(theirs))
        t_mine = statistics.median(w for w, _ in mine)
        t_peer = statistics.median(w for w, _ in peers)
        m_mine = max(m for _, m in mine)
        m_peer = max(m for _, m in peers)
        print(
            f"| {name} | {t_mine:.3f} s | {who} | {t_peer:.3f} s | {t_mine / t_peer:.2f} | "
            f"{m_mine:.0f} MiB ({m_mine * 2**20 / analog:.1f} B/sample) | {m_peer:.0f} MiB ({m_peer * 2**20 / analog:.1f} B/sample) |"
        )
    memory(panelscope, files, out_dir, samples)


def server_peak_mib(panelscope, path, work):
    """Peak RSS (MiB) of `panelscope serve` over a folder holding `path` (hard links) once a
    client has asked for the capture with its statistics, which loads it."""
    import json
    import shutil
    import socket
    import urllib.request

    folder = os.path.join(work, "serve")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for src in [path] + ([os.path.splitext(path)[0] + ".dat"] if path.endswith(".cfg") else []):
        os.link(src, os.path.join(folder, os.path.basename(src)))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [panelscope, "serve", folder, "--addr", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        captures = json.load(urllib.request.urlopen(base + "/captures", timeout=60))
        urllib.request.urlopen(f"{base}/captures/{captures[0]['id']}?stats=true", timeout=600).read()
        with open(f"/proc/{server.pid}/status") as status:
            peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        return peak_kib / 1024.0
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def memory(panelscope, files, out_dir, samples):
    """Peak bytes per analog sample of every command on every format, one run each."""
    analog = CHANNELS * samples
    formats = [("Parquet", "parquet"), ("zstd Parquet", "zstd"), ("CSV", "csv"), ("COMTRADE FLOAT32", "comtrade")]
    commands = [
        ("info --stats", lambda f: [panelscope, "info", "--stats", f]),
        ("events", lambda f: [panelscope, "events", "--json", f]),
        ("measure", lambda f: [panelscope, "measure", "--json", f]),
        ("export --max-points 4000", lambda f: [panelscope, "export", f, "--out", os.path.join(out_dir, "m.parquet"),
                                                "--max-points", "4000"]),
        ("convert", lambda f: [panelscope, "convert", f,
                               os.path.join(out_dir, "m.cfg" if f.endswith(".parquet") else "m.parquet")]),
    ]
    print()
    print("Peak resident memory per analog sample, whole process, one run each")
    print("| command | " + " | ".join(name for name, _ in formats) + " |")
    print("|---|" + "---|" * len(formats))
    for name, cmd in commands:
        cells = [timed(cmd(files[key]))[1] * 2**20 / analog for _, key in formats]
        print(f"| {name} | " + " | ".join(f"{c:.2f} B" for c in cells) + " |")
    cells = [server_peak_mib(panelscope, files[key], out_dir) * 2**20 / analog for _, key in formats]
    print("| serve (capture loaded with statistics) | " + " | ".join(f"{c:.2f} B" for c in cells) + " |")


def main(argv):
    if len(argv) >= 3 and argv[0] == "peer":
        peer(argv[1], argv[2], argv[3] if len(argv) > 3 else None)
        return
    if len(argv) < 3 or argv[0] != "run":
        raise SystemExit(__doc__)
    samples, runs = 16_000_000, 5
    rest = argv[3:]
    while rest:
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag == "--samples":
            samples = int(value)
        elif flag == "--runs":
            runs = int(value)
        else:
            raise SystemExit(f"unknown option {flag}")
    run(argv[1], argv[2], samples, runs)


if __name__ == "__main__":
    main(sys.argv[1:])
