import os
import shutil
import subprocess

import pyarrow.dataset as ds
import pytest

import panelscope
import panelscope.ray

ray = pytest.importorskip("ray")


def rows(root, table):
    t = ds.dataset(os.path.join(root, table), format="parquet").to_table()
    keys = ["capture_id"] + (["start_s", "channel", "kind"] if table == "events" else [])
    return t.sort_by([(k, "ascending") for k in keys]).to_pylist(), t.schema


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def inputs(sample, tmp_path, shared_dir=None):
    folder = tmp_path / "archive"
    shutil.copytree(sample, folder / "sample")
    (folder / "broken.csv").write_text("time_s,I [A]\n0,1\nx,2\n")
    if shared_dir is not None:
        for name in ("abb-testrecord1", "sel-relay-comtradejl"):
            src = shared_dir / "comtrade" / name
            if src.is_dir():
                shutil.copytree(src, folder / name)
    return folder


def test_a_ray_run_writes_the_rows_the_cli_writes(cluster, sample, tmp_path, cli):
    shared_dir = sample.parent.parent / "shared" / "data"
    if not shared_dir.is_dir():
        shared_dir = None  # the sample captures alone
    archive = inputs(sample, tmp_path, shared_dir)
    os.chdir(tmp_path)
    summary = panelscope.ray.run_batch(["archive"], "by-ray", max_in_flight=3)
    assert summary["found"] == summary["analysed"] > 3 and summary["errors"] >= 1
    subprocess.run([cli, "batch", "archive", "--out", "by-cli", "--jobs", "2", "--quiet"], check=True)
    for table in ("captures", "events"):
        (a, schema_a), (b, schema_b) = rows("by-ray", table), rows("by-cli", table)
        assert schema_a == schema_b
        assert a == b, table
    errors = [r for r in rows("by-ray", "captures")[0] if r["status"] == "error"]
    assert any("broken.csv" in r["error"] and "line 3" in r["error"] for r in errors)
    # A second run skips everything and changes nothing.
    again = panelscope.ray.run_batch(["archive"], "by-ray")
    assert again["analysed"] == 0 and again["skipped"] == summary["found"]
    assert rows("by-ray", "events")[0] == rows("by-cli", "events")[0]
    assert not [n for n in os.listdir("by-ray/captures") if n.startswith(".")]


def test_the_ray_run_resumes_after_losing_part_of_its_output(cluster, sample, tmp_path):
    archive = inputs(sample, tmp_path)
    out = tmp_path / "out"
    first = panelscope.ray.run_batch([str(archive)], str(out))
    whole = rows(str(out), "events")[0]
    # As if killed: one capture's row lost, a half-written temp file left behind.
    victim = sorted(os.listdir(out / "captures"))[0]
    os.remove(out / "captures" / victim)
    (out / "events" / ".x.parquet.1.tmp").write_bytes(b"half")
    second = panelscope.ray.run_batch([str(archive)], str(out))
    assert second["analysed"] == 1 and second["skipped"] == first["found"] - 1
    assert rows(str(out), "events")[0] == whole
    assert not (out / "events" / ".x.parquet.1.tmp").exists()


def test_bad_input_stops_with_one_clear_error(cluster, tmp_path):
    with pytest.raises(panelscope.PanelscopeError, match="nowhere"):
        panelscope.ray.run_batch([str(tmp_path / "nowhere")], str(tmp_path / "out"))
    with pytest.raises(panelscope.PanelscopeError, match="nosuch://archive: cannot list"):
        panelscope.ray.run_batch(["nosuch://archive"], str(tmp_path / "out"))
    with pytest.raises(panelscope.PanelscopeError, match="no such file or folder"):
        panelscope.ray.run_batch([f"file://{tmp_path}/missing"], str(tmp_path / "out"))
    with pytest.raises(TypeError, match="unknown detection option"):
        panelscope.ray.run_batch([str(tmp_path)], str(tmp_path / "out"), detect_options={"nope": 1})


def test_uris_are_read_through_fsspec_and_named_in_the_rows(cluster, sample, tmp_path):
    archive = inputs(sample, tmp_path)
    by_path, by_uri = tmp_path / "by-path", tmp_path / "by-uri"
    panelscope.ray.run_batch([str(archive)], str(by_path))
    summary = panelscope.ray.run_batch([f"file://{archive}"], str(by_uri))
    assert summary["analysed"] == summary["found"] > 3
    uri_rows, path_rows = rows(str(by_uri), "captures")[0], rows(str(by_path), "captures")[0]
    assert all(r["path"].startswith("file://") for r in uri_rows)
    # Same content, same install configuration fetched beside it: the same ids and figures.
    assert [r["capture_id"] for r in uri_rows] == [r["capture_id"] for r in path_rows]
    for u, p in zip(uri_rows, path_rows):
        assert u["circuits"] == p["circuits"] and u["event_count"] == p["event_count"]
        if u["status"] == "error":
            assert u["error"].startswith("file://") or "file://" in u["error"], u["error"]
        if p["install_config"]:
            assert u["install_config"] == "file://" + p["install_config"]
