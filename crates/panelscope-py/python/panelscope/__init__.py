"""panelscope for Python: read high-rate current and voltage captures (CSV, Parquet,
COMTRADE), detect events, measure, and reanalyse an archive.

The functions are the CLI's own engine (the ``panelscope-core`` crate), so their fields
are those of ``panelscope events --json`` and ``panelscope measure --json``, and
:func:`process_file` returns exactly the rows ``panelscope batch`` writes.

    cap = panelscope.read("capture.parquet")
    cap.to_arrow()                     # pyarrow.Table: time_s + one column per channel
    panelscope.detect_events(cap)      # pyarrow.Table of events
    panelscope.measure(cap, 1.0, 2.0)  # dict
    panelscope.process_file(path)      # {"captures": Table, "events": Table}

``panelscope.ray.run_batch(inputs, out_dir)`` runs the batch on a Ray cluster.
"""

from ._panelscope import (
    Capture,
    PanelscopeError,
    __version__,
    capture_id,
    detect_events,
    measure,
    process_file,
    read,
    version,
)

__all__ = [
    "Capture",
    "PanelscopeError",
    "__version__",
    "capture_id",
    "detect_events",
    "measure",
    "process_file",
    "read",
    "version",
]
