"""The batch on a Ray cluster: one task per capture, the same dataset as ``panelscope batch``.

    import ray, panelscope.ray
    ray.init()                                   # or ray.init(address="auto") on a cluster
    panelscope.ray.run_batch(["s3://archive/2026/"], "s3://results/v1")

Each task runs :func:`panelscope.process_file` (the CLI's own engine) on one capture and
writes its rows as ``OUT/events/ID.parquet`` then ``OUT/captures/ID.parquet``, where ``ID``
hashes the capture's content, the algorithm version and the install configuration beside
it. So a second run skips what is done, a run stopped at any moment resumes without
duplicates, and a task retried after a lost worker rewrites the same files. On a local
folder every file is written under a hidden name, synced and renamed; on object storage a
file appears only once its upload completes.

Inputs are local paths or URIs that fsspec reads (``s3://``, ``gs://``, ``abfs://``, ...);
the output folder is a local path or a URI that ``pyarrow.fs`` writes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from typing import Iterable, Optional

import pyarrow.parquet as pq

import panelscope

CAPTURE_EXTENSIONS = (".csv", ".parquet", ".cfg", ".cff")
CONFIG_NAMES = ("install.json", "install.ron")


def _is_uri(path: str) -> bool:
    return "://" in path


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("_")


def _local_captures(inputs_path: str, out_real: Optional[str]) -> list[str]:
    if os.path.isfile(inputs_path):
        return [inputs_path]
    if not os.path.isdir(inputs_path):
        raise panelscope.PanelscopeError(f"{inputs_path}: cannot read: No such file or directory")
    found = []

    def walk(folder: str) -> None:
        if out_real is not None and os.path.realpath(folder) == out_real:
            return
        for name in sorted(os.listdir(folder)):
            if _hidden(name):
                continue
            path = os.path.join(folder, name)
            if os.path.isdir(path) and not os.path.islink(path):
                walk(path)
            elif os.path.isfile(path) and name.lower().endswith(CAPTURE_EXTENSIONS):
                found.append(path)

    walk(inputs_path)
    return found


def _remote_captures(uri: str) -> list[str]:
    import fsspec

    try:
        fs, root = fsspec.core.url_to_fs(uri)
        if fs.isfile(root):
            return [uri]
        listed = fs.find(root)
    except Exception as e:  # an unknown protocol, missing credentials, no such bucket
        raise panelscope.PanelscopeError(f"{uri}: cannot list: {e}") from e
    if not listed:
        raise panelscope.PanelscopeError(f"{uri}: cannot read: no such file or folder")
    protocol = uri.split("://", 1)[0]
    found = []
    for path in listed:
        parts = path[len(root):].strip("/").split("/")
        if any(_hidden(p) for p in parts):
            continue
        if parts[-1].lower().endswith(CAPTURE_EXTENSIONS):
            found.append(f"{protocol}://{path}")
    return found


def find_captures(inputs: Iterable[str], out_dir: str) -> list[str]:
    """Every capture under ``inputs``, sorted, by the rules of ``panelscope batch``: a file
    named is taken whatever its extension; folders are searched recursively for .csv,
    .parquet, .cfg and .cff files, skipping hidden names (``.x``, ``_x``) and the output."""
    out_real = None if _is_uri(out_dir) else os.path.realpath(out_dir)
    found = []
    for item in inputs:
        item = os.fspath(item)
        found.extend(_remote_captures(item) if _is_uri(item) else _local_captures(item, out_real))
    return sorted(set(found))


def _fetch(uri: str, workdir: str) -> str:
    """Copies a remote capture (with a COMTRADE .cfg's .dat and the install configuration
    beside it) into ``workdir``; returns the local path of the capture."""
    import fsspec

    fs, path = fsspec.core.url_to_fs(uri)
    folder, name = path.rsplit("/", 1) if "/" in path else ("", path)
    stem = name.rsplit(".", 1)[0].lower()
    wanted = {name}
    try:
        siblings = [p.rsplit("/", 1)[-1] for p in fs.ls(folder, detail=False)]
    except (FileNotFoundError, NotImplementedError):
        siblings = []
    configs = [s for s in siblings if s.lower().endswith((".install.json", ".install.ron")) or s.lower() in CONFIG_NAMES]
    wanted.update(configs)
    if name.lower().endswith(".cfg"):
        wanted.update(s for s in siblings if s.lower() == stem + ".dat")
    for item in wanted:
        fs.get(f"{folder}/{item}" if folder else item, os.path.join(workdir, item))
    return os.path.join(workdir, name)


def _output(out_dir: str):
    import pyarrow.fs as pafs

    if _is_uri(out_dir):
        fs, root = pafs.FileSystem.from_uri(out_dir)
        return fs, root.rstrip("/"), False
    return pafs.LocalFileSystem(), os.path.abspath(out_dir), True


def _exists(out_dir: str, table: str, capture_id: str) -> bool:
    import pyarrow.fs as pafs

    fs, root, _ = _output(out_dir)
    return fs.get_file_info(f"{root}/{table}/{capture_id}.parquet").type == pafs.FileType.File


def _write(out_dir: str, table_name: str, capture_id: str, table) -> None:
    fs, root, local = _output(out_dir)
    final = f"{root}/{table_name}/{capture_id}.parquet"
    if not local:
        # An object appears only when its upload completes.
        pq.write_table(table, final, filesystem=fs, compression="zstd")
        return
    temp = f"{root}/{table_name}/.{capture_id}.parquet.{os.getpid()}.tmp"
    try:
        pq.write_table(table, temp, compression="zstd")
        with open(temp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(temp, final)
        dir_fd = os.open(os.path.dirname(final), os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        if os.path.exists(temp):
            os.remove(temp)


def process_one(path: str, out_dir: str, options: Optional[dict] = None, local: Optional[str] = None) -> dict:
    """The task body: analyse one capture into ``out_dir`` unless it is already there.
    ``path`` is what the rows name; ``local``, where a local file is (an absolute path, as
    workers run in other folders). Returns what happened (``analysed`` or ``skipped``, its
    id, status, events, bytes)."""
    options = options or {}
    workdir = tempfile.mkdtemp(prefix="panelscope-") if _is_uri(path) else None
    try:
        local = _fetch(path, workdir) if workdir else (local or path)
        cid = panelscope.capture_id(local, **options)
        if _exists(out_dir, "captures", cid):
            return {"path": path, "capture_id": cid, "result": "skipped"}
        rows = panelscope.process_file(path, local_path=local, **options)
        captures, events = rows["captures"], rows["events"]
        if events.num_rows:
            _write(out_dir, "events", cid, events)
        _write(out_dir, "captures", cid, captures)
        row = captures.to_pylist()[0]
        return {
            "path": path,
            "capture_id": cid,
            "result": "analysed",
            "status": row["status"],
            "events": events.num_rows,
            "bytes": row["bytes"] or 0,
        }
    finally:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def _prepare(out_dir: str):
    """Creates the dataset folders; on a local folder takes the lock ``panelscope batch``
    takes, and removes what a killed run left half-written."""
    fs, root, local = _output(out_dir)
    for part in ("captures", "events"):
        fs.create_dir(f"{root}/{part}", recursive=True)
    if not local:
        return None
    import fcntl

    lock = open(os.path.join(root, "_lock"), "a")
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise panelscope.PanelscopeError(f"{out_dir}: another batch is writing to this folder") from None
    for part in ("captures", "events"):
        folder = os.path.join(root, part)
        for name in os.listdir(folder):
            if name.startswith(".") and name.endswith(".tmp"):
                os.remove(os.path.join(folder, name))
    return lock


def run_batch(
    inputs,
    out_dir,
    *,
    max_in_flight: Optional[int] = None,
    max_retries: int = 3,
    detect_options: Optional[dict] = None,
    progress: bool = False,
) -> dict:
    """Runs the batch over ``inputs`` (paths or URIs, files or folders) into ``out_dir``
    on the Ray cluster this process is connected to (``ray.init()`` first; a local cluster
    is started when none is). One task per capture, at most ``max_in_flight`` at once
    (default: twice the cluster's CPUs), each retried ``max_retries`` times if its worker
    dies. ``detect_options`` are the keyword options of :func:`panelscope.detect_events`.
    Returns a summary: found, analysed, skipped, errors, events, bytes, seconds."""
    import ray

    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    inputs = [os.fspath(i) for i in inputs]
    out_dir = os.fspath(out_dir)
    if not _is_uri(out_dir):
        out_dir = os.path.abspath(out_dir)
    options = dict(detect_options or {})
    panelscope.version(**options)  # checks the options before any task starts
    started = time.monotonic()
    files = find_captures(inputs, out_dir)
    lock = _prepare(out_dir)
    try:
        if not ray.is_initialized():
            ray.init()
        if max_in_flight is None:
            max_in_flight = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
        task = ray.remote(max_retries=max_retries)(process_one)
        pending, results = [], []
        for path in files:
            if len(pending) >= max_in_flight:
                done, pending = ray.wait(pending, num_returns=1)
                results.extend(ray.get(done))
            local = None if _is_uri(path) else os.path.abspath(path)
            pending.append(task.remote(path, out_dir, options, local))
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            results.extend(ray.get(done))
            if progress:
                print(f"\r{len(results)}/{len(files)} captures", end="", flush=True)
        if progress:
            print()
    finally:
        if lock is not None:
            lock.close()
    analysed = [r for r in results if r["result"] == "analysed"]
    return {
        "found": len(files),
        "analysed": len(analysed),
        "skipped": len(results) - len(analysed),
        "errors": sum(r["status"] == "error" for r in analysed),
        "events": sum(r["events"] for r in analysed),
        "bytes": sum(r["bytes"] for r in analysed),
        "seconds": time.monotonic() - started,
    }
