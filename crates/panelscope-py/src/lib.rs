//! `import panelscope`: the domain crate for Python. Captures read by the same readers as
//! the CLI, events and measurements with the same fields as `events --json` and
//! `measure --json`, and `process_file`, the unit of work of `panelscope batch` (and of the
//! Ray engine in `panelscope.ray`). Errors are `panelscope.PanelscopeError` carrying the
//! CLI's message (file and place).

use std::path::PathBuf;
use std::ptr::NonNull;
use std::sync::Arc;

use arrow::pyarrow::ToPyArrow;
use arrow_array::{ArrayRef, BooleanArray, Float32Array, Float64Array, RecordBatch};
use arrow_buffer::{Buffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema};
use panelscope_core::analysis::events::{DetectOptions, detect};
use panelscope_core::batch::table::{captures_batch, detection_batch, events_batch};
use panelscope_core::batch::{self, BatchOptions, Job};
use panelscope_core::capture::{self, Capture, Samples, Timebase};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

create_exception!(
    panelscope,
    PanelscopeError,
    PyException,
    "A capture, option or file panelscope cannot use; the message names the file and the place."
);

fn error(message: impl std::fmt::Display) -> PyErr {
    PanelscopeError::new_err(message.to_string())
}

/// A capture read from a file: its channels, timebase and samples (held once, shared with
/// the tables `to_arrow` returns).
#[pyclass(frozen, name = "Capture", module = "panelscope")]
struct PyCapture {
    inner: Arc<Capture>,
    path: String,
}

#[pymethods]
impl PyCapture {
    /// The file it was read from.
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// `csv`, `parquet` or `comtrade`.
    #[getter]
    fn format(&self) -> &'static str {
        self.inner.format.as_str()
    }

    /// Every channel as `{"name", "kind", "unit"}`, in file order (as `info --json`).
    #[getter]
    fn channels<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for c in &self.inner.channels {
            let d = PyDict::new(py);
            d.set_item("name", &c.name)?;
            d.set_item("kind", c.kind.as_str())?;
            d.set_item("unit", &c.unit)?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// Samples per second; `None` for irregular time.
    #[getter]
    fn sample_rate_hz(&self) -> Option<f64> {
        self.inner.sample_rate_hz()
    }

    #[getter]
    fn sample_count(&self) -> usize {
        self.inner.sample_count()
    }

    #[getter]
    fn duration_s(&self) -> f64 {
        self.inner.duration_s()
    }

    /// Absolute time of the first sample (UTC), when the file gives it.
    #[getter]
    fn start(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.inner.start
    }

    /// Nominal line frequency, when the file states it.
    #[getter]
    fn line_frequency_hz(&self) -> Option<f64> {
        self.inner.line_frequency_hz
    }

    fn __len__(&self) -> usize {
        self.inner.sample_count()
    }

    fn __repr__(&self) -> String {
        let rate = self.inner.sample_rate_hz().map_or("irregular time".to_string(), |r| format!("{r} Hz"));
        format!(
            "<panelscope.Capture {:?}: {} channels, {} samples at {rate}, {:.3} s>",
            self.path,
            self.inner.channels.len(),
            self.inner.sample_count(),
            self.inner.duration_s()
        )
    }

    /// A `pyarrow.Table`: `time_s` (seconds from the first sample) then one column per
    /// channel (float32 as recorded, missing samples NaN; digital channels boolean). The
    /// analog columns are the capture's own memory, not copies: the table keeps the
    /// capture alive.
    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        table(py, to_record_batch(&self.inner).map_err(error)?)
    }
}

/// Shares `values` (inside `owner`) with Arrow without copying.
#[allow(unsafe_code)]
fn shared_f32(owner: &Arc<Capture>, values: &[f32]) -> Float32Array {
    let len = std::mem::size_of_val(values);
    let ptr = NonNull::new(values.as_ptr().cast_mut().cast::<u8>()).unwrap_or(NonNull::dangling());
    // SAFETY: `values` lies inside `owner`, which the buffer holds (an `Arc`) for as long as
    // Arrow or Python uses it; a `Capture` behind an `Arc` is never mutated, so the memory
    // stays valid and unchanged. The pointer is aligned for f32 and spans `len` bytes.
    let buffer = unsafe { Buffer::from_custom_allocation(ptr, len, owner.clone()) };
    Float32Array::new(ScalarBuffer::new(buffer, 0, values.len()), None)
}

fn to_record_batch(capture: &Arc<Capture>) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = capture.sample_count();
    let time: Float64Array = match &capture.timebase {
        Timebase::Fixed { sample_rate_hz } => (0..n).map(|i| i as f64 / sample_rate_hz).collect::<Vec<f64>>().into(),
        Timebase::Irregular { times_s } => times_s.clone().into(),
    };
    let mut fields = vec![Field::new("time_s", DataType::Float64, false)];
    let mut columns: Vec<ArrayRef> = vec![Arc::new(time)];
    for ch in &capture.channels {
        match &ch.samples {
            Samples::Analog(values) => {
                fields.push(Field::new(&ch.name, DataType::Float32, false));
                columns.push(Arc::new(shared_f32(capture, values)));
            }
            Samples::Digital(bits) => {
                fields.push(Field::new(&ch.name, DataType::Boolean, false));
                columns.push(Arc::new(bits.iter().map(Some).collect::<BooleanArray>()));
            }
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// Detection options from keyword arguments named as `DetectOptions`' fields
/// (`min_step_a=0.2`, `sag_pu=0.85`, ...).
fn detect_options(options: Option<&Bound<'_, PyDict>>) -> PyResult<DetectOptions> {
    let Some(options) = options else { return Ok(DetectOptions::default()) };
    let defaults = serde_json::to_value(DetectOptions::default()).map_err(error)?;
    let mut map = serde_json::Map::new();
    for (key, value) in options.iter() {
        let key: String = key.extract()?;
        if defaults.get(&key).is_none() {
            let known: Vec<&String> = defaults.as_object().map(|o| o.keys().collect()).unwrap_or_default();
            return Err(PyTypeError::new_err(format!(
                "unknown detection option '{key}': expected one of {}",
                known.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        let value = if value.is_none() {
            serde_json::Value::Null
        } else {
            let x: f64 = value.extract().map_err(|_| PyTypeError::new_err(format!("option '{key}' takes a number")))?;
            serde_json::Number::from_f64(x)
                .map(serde_json::Value::Number)
                .ok_or_else(|| error(format!("{key}: not finite")))?
        };
        map.insert(key, value);
    }
    let options: DetectOptions = serde_json::from_value(serde_json::Value::Object(map)).map_err(error)?;
    options.validate().map_err(error)?;
    Ok(options)
}

/// A record batch as a one-batch `pyarrow.Table` (through the C data interface: no copy).
fn table<'py>(py: Python<'py>, batch: RecordBatch) -> PyResult<Bound<'py, PyAny>> {
    let batch = batch.to_pyarrow(py)?;
    py.import("pyarrow")?.getattr("Table")?.call_method1("from_batches", (vec![batch],))
}

fn json_to_python<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).map_err(error)?;
    py.import("json")?.call_method1("loads", (text,))
}

/// Reads a capture (CSV, Parquet, COMTRADE `.cfg`/`.cff`).
#[pyfunction]
fn read(py: Python<'_>, path: PathBuf) -> PyResult<PyCapture> {
    let capture = py.detach(|| capture::read(&path)).map_err(error)?;
    Ok(PyCapture { inner: Arc::new(capture), path: path.display().to_string() })
}

/// The events of a capture as a `pyarrow.Table` with the fields of `events --json`.
/// Keyword arguments set detection options (`min_step_a`, `sag_pu`, ...).
#[pyfunction]
#[pyo3(signature = (capture, **options))]
fn detect_events<'py>(
    py: Python<'py>,
    capture: &PyCapture,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let options = detect_options(options)?;
    let inner = capture.inner.clone();
    let detection = py.detach(|| detect(&inner, &options)).map_err(|e| error(format!("{}: {e}", capture.path)))?;
    table(py, detection_batch(&detection.events).map_err(error)?)
}

/// The document of `measure --json` over `from_s`..`to_s` (the whole capture by default), as
/// a dict; with `config` (an install configuration file), currents paired by it.
#[pyfunction]
#[pyo3(signature = (capture, from_s=None, to_s=None, config=None))]
fn measure<'py>(
    py: Python<'py>,
    capture: &PyCapture,
    from_s: Option<f64>,
    to_s: Option<f64>,
    config: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let inner = capture.inner.clone();
    let path = capture.path.clone();
    let value = py.detach(|| -> Result<serde_json::Value, String> {
        let report = match &config {
            Some(config) => panelscope_core::panel::load_install_config(config)
                .map_err(|e| e.to_string())?
                .measure(&inner, from_s, to_s),
            None => panelscope_core::analysis::measure::measure_report_paired(&inner, from_s, to_s, &[]),
        }
        .map_err(|e| format!("{path}: {e}"))?;
        serde_json::to_value(&report).map_err(|e| e.to_string())
    });
    json_to_python(py, &value.map_err(error)?)
}

/// What `panelscope batch` writes for one capture: `{"captures": Table, "events": Table}`
/// (one captures row, `status` "error" with the message when the file cannot be read).
/// `path` is what the `path` column holds (a local path or a URI); `local_path`, when
/// given, is where the bytes are (a downloaded copy of a URI).
#[pyfunction]
#[pyo3(signature = (path, local_path=None, **options))]
fn process_file<'py>(
    py: Python<'py>,
    path: String,
    local_path: Option<PathBuf>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let options = BatchOptions { detect: detect_options(options)? };
    let job = Job { local: local_path.unwrap_or_else(|| PathBuf::from(&path)), path, content_hash: None };
    let processed = py.detach(|| batch::process_file(&job, &options));
    let out = PyDict::new(py);
    out.set_item("captures", table(py, captures_batch(std::slice::from_ref(&processed.capture)).map_err(error)?)?)?;
    out.set_item("events", table(py, events_batch(&processed.events).map_err(error)?)?)?;
    Ok(out)
}

/// The `capture_id` the batch gives the capture at `local_path` (its content, this version
/// and the install configuration beside it): what its dataset files are named.
#[pyfunction]
#[pyo3(signature = (local_path, **options))]
fn capture_id(py: Python<'_>, local_path: PathBuf, options: Option<&Bound<'_, PyDict>>) -> PyResult<String> {
    let options = BatchOptions { detect: detect_options(options)? };
    let job = Job::local(&local_path);
    Ok(py.detach(|| batch::identify(&job, &options).capture_id))
}

/// The `version` column the batch writes with these detection options.
#[pyfunction]
#[pyo3(signature = (**options))]
fn version(options: Option<&Bound<'_, PyDict>>) -> PyResult<String> {
    Ok(BatchOptions { detect: detect_options(options)? }.version())
}

#[pymodule]
fn _panelscope(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("PanelscopeError", m.py().get_type::<PanelscopeError>())?;
    m.add_class::<PyCapture>()?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(detect_events, m)?)?;
    m.add_function(wrap_pyfunction!(measure, m)?)?;
    m.add_function(wrap_pyfunction!(process_file, m)?)?;
    m.add_function(wrap_pyfunction!(capture_id, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
