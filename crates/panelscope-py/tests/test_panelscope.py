import json
import math
import subprocess

import pyarrow as pa
import pytest

import panelscope


def test_read_gives_the_channels_and_timebase_info_reports(sample, cli):
    path = sample / "split-phase-10s.parquet"
    cap = panelscope.read(path)
    info = json.loads(subprocess.run([cli, "info", str(path), "--json"], check=True, capture_output=True).stdout)
    assert cap.format == info["format"] == "parquet"
    assert cap.sample_count == len(cap) == info["sample_count"]
    assert cap.sample_rate_hz == info["sample_rate_hz"]
    assert math.isclose(cap.duration_s, info["duration_s"])
    assert cap.channels == [{"name": c["name"], "kind": c["kind"], "unit": c["unit"]} for c in info["channels"]]
    assert cap.start.isoformat().startswith(info["start"][:19])
    assert "12 channels" in repr(cap)


def test_to_arrow_shares_the_samples_and_matches_the_csv_export(sample, tmp_path, cli):
    path = sample / "split-phase-2s.csv"
    cap = panelscope.read(path)
    table = cap.to_arrow()
    assert table.column_names == ["time_s"] + [c["name"] for c in cap.channels]
    assert table.num_rows == cap.sample_count
    assert table.schema.field(1).type == pa.float32()
    # Zero-copy: two tables of one capture point at the same memory.
    again = cap.to_arrow()
    assert table.column(1).chunk(0).buffers()[1].address == again.column(1).chunk(0).buffers()[1].address
    # The values are those the CLI converts.
    out = tmp_path / "copy.csv"
    subprocess.run([cli, "convert", str(path), str(out)], check=True)
    lines = out.read_text().splitlines()
    header = lines[0].split(",")
    assert header[0] == "time_s"
    row = lines[100].split(",")
    for k, name in enumerate(header[1:], start=1):
        assert table.column(k)[99].as_py() == pytest.approx(float(row[k]), rel=1e-6, abs=1e-6), name
    assert table.column(0)[99].as_py() == pytest.approx(float(row[0]))
    # The table outlives the capture object.
    del cap
    assert table.column(1).to_pylist()[:3] == again.column(1).to_pylist()[:3]


def test_digital_channels_are_boolean(shared):
    cap = panelscope.read(shared / "comtrade" / "abb" / "sample_ascii.cfg") if (shared / "comtrade" / "abb" / "sample_ascii.cfg").exists() else None
    if cap is None:
        cfgs = sorted((shared / "comtrade").rglob("*.cfg"))
        cap = next(c for c in map(panelscope.read, cfgs) if any(ch["kind"] == "digital" for ch in c.channels))
    table = cap.to_arrow()
    digital = [c["name"] for c in cap.channels if c["kind"] == "digital"]
    assert digital and all(table.schema.field(name).type == pa.bool_() for name in digital)


def test_detect_events_matches_the_cli(sample, cli):
    path = sample / "split-phase-10s.parquet"
    table = panelscope.detect_events(panelscope.read(path))
    doc = json.loads(subprocess.run([cli, "events", str(path), "--json"], check=True, capture_output=True).stdout)
    rows = table.to_pylist()
    assert len(rows) == len(doc["events"]) > 10
    for row, event in zip(rows, doc["events"]):
        for key, value in event.items():
            assert row[key] == pytest.approx(value) if isinstance(value, float) else row[key] == value, key
    # Options are the CLI's thresholds by their option names.
    fewer = panelscope.detect_events(panelscope.read(path), min_step_a=5.0)
    cli_fewer = json.loads(
        subprocess.run([cli, "events", str(path), "--json", "--min-step-a", "5"], check=True, capture_output=True).stdout
    )
    assert fewer.num_rows == len(cli_fewer["events"]) < table.num_rows
    with pytest.raises(TypeError, match="unknown detection option 'min_step'"):
        panelscope.detect_events(panelscope.read(path), min_step=1)
    with pytest.raises(panelscope.PanelscopeError):
        panelscope.detect_events(panelscope.read(path), sag_pu=-1)


def test_measure_is_the_cli_document(sample, cli):
    path = sample / "split-phase-10s.parquet"
    config = sample / "sample-panel.install.json"
    got = panelscope.measure(panelscope.read(path), 1.0, 2.0, config=config)
    want = json.loads(
        subprocess.run(
            [cli, "measure", str(path), "--from", "1", "--to", "2", "--json", "--config", str(config)],
            check=True,
            capture_output=True,
        ).stdout
    )
    assert got.keys() == want.keys()
    assert got["pairs"] == want["pairs"] and got["balances"] == want["balances"]


def test_errors_carry_the_cli_message(tmp_path, cli):
    bad = tmp_path / "bad.csv"
    bad.write_text("time_s,I [A]\n0,1\n0.001,oops\n")
    with pytest.raises(panelscope.PanelscopeError) as caught:
        panelscope.read(bad)
    cli_error = subprocess.run([cli, "info", str(bad)], capture_output=True, text=True).stderr.strip()
    assert cli_error == f"error: {caught.value}"
    assert "bad.csv" in str(caught.value) and "line 3" in str(caught.value)
    with pytest.raises(panelscope.PanelscopeError, match="missing.parquet"):
        panelscope.read(tmp_path / "missing.parquet")


def test_process_file_gives_the_batch_rows(sample, tmp_path):
    path = str(sample / "split-phase-10s.parquet")
    rows = panelscope.process_file(path)
    captures, events = rows["captures"], rows["events"]
    assert captures.num_rows == 1
    row = captures.to_pylist()[0]
    assert row["status"] == "ok" and row["path"] == path and row["version"] == panelscope.version()
    assert row["capture_id"] == panelscope.capture_id(path)
    assert row["event_count"] == events.num_rows > 0
    assert {c["label"] for c in row["circuits"]} >= {"Water heater", "Refrigerator"}
    assert set(events.column("capture_id").to_pylist()) == {row["capture_id"]}
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    err = panelscope.process_file(str(bad))["captures"].to_pylist()[0]
    assert err["status"] == "error" and "bad.parquet" in err["error"]
    assert panelscope.process_file(str(bad))["events"].num_rows == 0
