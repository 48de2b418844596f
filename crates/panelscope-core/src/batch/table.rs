//! The batch rows as Arrow record batches: the schemas of `captures` and `events`, shared
//! by the Parquet files the CLI writes and the tables the Python package returns.

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    Array, ArrayRef, Float64Array, ListArray, RecordBatch, StringArray, StructArray, UInt32Array, UInt64Array,
};
use arrow_schema::{ArrowError, DataType, Field, Fields, Schema, SchemaRef};

use super::{CaptureRow, EventRow};
use crate::analysis::events::Event;

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

fn f64_field(name: &str) -> Field {
    Field::new(name, DataType::Float64, true)
}

fn strings_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

fn channel_fields() -> Fields {
    Fields::from(vec![utf8("name", false), utf8("kind", false), utf8("unit", false)])
}

fn circuit_fields() -> Fields {
    Fields::from(vec![
        utf8("label", false),
        utf8("slot", false),
        utf8("phases", false),
        Field::new("channels", strings_type(), false),
        f64_field("mean_w"),
        f64_field("peak_w"),
        f64_field("energy_wh"),
        f64_field("pf"),
    ])
}

fn list_of(fields: Fields) -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Struct(fields), true)))
}

/// The schema of `captures/*.parquet`.
pub fn captures_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        utf8("capture_id", false),
        utf8("path", false),
        utf8("content_hash", true),
        utf8("version", false),
        utf8("status", false),
        utf8("error", true),
        Field::new("bytes", DataType::UInt64, true),
        utf8("format", true),
        Field::new("sample_count", DataType::UInt64, true),
        f64_field("sample_rate_hz"),
        f64_field("duration_s"),
        utf8("start", true),
        Field::new("channels", list_of(channel_fields()), false),
        Field::new("event_count", DataType::UInt32, true),
        f64_field("frequency_hz"),
        f64_field("nominal_frequency_hz"),
        Field::new("warnings", strings_type(), false),
        utf8("install_config", true),
        Field::new("circuits", list_of(circuit_fields()), false),
    ]))
}

/// The event fields of `events --json`, in order, after the four capture columns.
pub const EVENT_FIELDS: [&str; 14] = [
    "kind",
    "channel",
    "start_s",
    "end_s",
    "magnitude",
    "unit",
    "magnitude_pu",
    "duration_s",
    "level_before",
    "level_after",
    "inrush_peak",
    "inrush_duration_s",
    "peak_deviation",
    "note",
];

fn event_fields() -> Vec<Field> {
    EVENT_FIELDS
        .iter()
        .map(|&name| match name {
            "kind" | "channel" | "unit" | "note" => utf8(name, false),
            "start_s" | "magnitude" => Field::new(name, DataType::Float64, false),
            _ => f64_field(name),
        })
        .collect()
}

/// The schema of `events/*.parquet`: the capture's columns, every field of `events --json`,
/// then the circuit and phase an install configuration gives.
pub fn events_schema() -> SchemaRef {
    let mut fields =
        vec![utf8("capture_id", false), utf8("path", false), utf8("content_hash", true), utf8("version", false)];
    fields.extend(event_fields());
    fields.push(utf8("circuit", true));
    fields.push(utf8("phase", true));
    Arc::new(Schema::new(fields))
}

/// The schema of [`detection_batch`]: the fields of `events --json`.
pub fn detection_schema() -> SchemaRef {
    Arc::new(Schema::new(event_fields()))
}

fn strs<'a>(values: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

fn opt_strs<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.collect::<StringArray>())
}

fn f64s(values: impl Iterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(values.collect::<Float64Array>())
}

fn string_lists<'a, I: IntoIterator<Item = &'a String>>(lists: impl Iterator<Item = I>) -> ArrayRef {
    let mut builder = ListBuilder::new(StringBuilder::new());
    for list in lists {
        for s in list {
            builder.values().append_value(s);
        }
        builder.append(true);
    }
    Arc::new(builder.finish())
}

/// A non-null list per row of the structs in `children` (all rows' items, flattened), the
/// items of row k being `lengths[k]` long.
fn struct_lists(fields: Fields, children: Vec<ArrayRef>, lengths: &[usize]) -> Result<ArrayRef, ArrowError> {
    let items = StructArray::try_new(fields.clone(), children, None)?;
    let offsets = arrow_buffer::OffsetBuffer::from_lengths(lengths.iter().copied());
    let field = Arc::new(Field::new("item", DataType::Struct(fields), true));
    Ok(Arc::new(ListArray::try_new(field, offsets, Arc::new(items), None)?))
}

/// The `captures` rows as one record batch.
pub fn captures_batch(rows: &[CaptureRow]) -> Result<RecordBatch, ArrowError> {
    let channels = {
        let all: Vec<_> = rows.iter().flat_map(|r| &r.channels).collect();
        let lengths: Vec<usize> = rows.iter().map(|r| r.channels.len()).collect();
        struct_lists(
            channel_fields(),
            vec![
                strs(all.iter().map(|c| c.name.as_str())),
                strs(all.iter().map(|c| c.kind.as_str())),
                strs(all.iter().map(|c| c.unit.as_str())),
            ],
            &lengths,
        )?
    };
    let circuits = {
        let all: Vec<_> = rows.iter().flat_map(|r| &r.circuits).collect();
        let lengths: Vec<usize> = rows.iter().map(|r| r.circuits.len()).collect();
        struct_lists(
            circuit_fields(),
            vec![
                strs(all.iter().map(|c| c.label.as_str())),
                strs(all.iter().map(|c| c.slot.as_str())),
                strs(all.iter().map(|c| c.phases.as_str())),
                string_lists(all.iter().map(|c| &c.channels)),
                f64s(all.iter().map(|c| c.mean_w)),
                f64s(all.iter().map(|c| c.peak_w)),
                f64s(all.iter().map(|c| c.energy_wh)),
                f64s(all.iter().map(|c| c.pf)),
            ],
            &lengths,
        )?
    };
    let columns: Vec<ArrayRef> = vec![
        strs(rows.iter().map(|r| r.capture_id.as_str())),
        strs(rows.iter().map(|r| r.path.as_str())),
        opt_strs(rows.iter().map(|r| r.content_hash.as_deref())),
        strs(rows.iter().map(|r| r.version.as_str())),
        strs(rows.iter().map(|r| r.status)),
        opt_strs(rows.iter().map(|r| r.error.as_deref())),
        Arc::new(rows.iter().map(|r| r.bytes).collect::<UInt64Array>()),
        opt_strs(rows.iter().map(|r| r.format.as_deref())),
        Arc::new(rows.iter().map(|r| r.sample_count).collect::<UInt64Array>()),
        f64s(rows.iter().map(|r| r.sample_rate_hz)),
        f64s(rows.iter().map(|r| r.duration_s)),
        opt_strs(rows.iter().map(|r| r.start.as_deref())),
        channels,
        Arc::new(rows.iter().map(|r| r.event_count).collect::<UInt32Array>()),
        f64s(rows.iter().map(|r| r.frequency_hz)),
        f64s(rows.iter().map(|r| r.nominal_frequency_hz)),
        string_lists(rows.iter().map(|r| &r.warnings)),
        opt_strs(rows.iter().map(|r| r.install_config.as_deref())),
        circuits,
    ];
    RecordBatch::try_new(captures_schema(), columns)
}

fn event_columns(events: &[&Event]) -> Vec<ArrayRef> {
    let e = |f: fn(&Event) -> Option<f64>| f64s(events.iter().map(|e| f(e)));
    vec![
        strs(events.iter().map(|e| e.kind.as_str())),
        strs(events.iter().map(|e| e.channel.as_str())),
        e(|e| Some(e.start_s)),
        e(|e| e.end_s),
        e(|e| Some(e.magnitude)),
        strs(events.iter().map(|e| e.unit.as_str())),
        e(|e| e.magnitude_pu),
        e(|e| e.duration_s),
        e(|e| e.level_before),
        e(|e| e.level_after),
        e(|e| e.inrush_peak),
        e(|e| e.inrush_duration_s),
        e(|e| e.peak_deviation),
        strs(events.iter().map(|e| e.note.as_str())),
    ]
}

/// The `events` rows as one record batch.
pub fn events_batch(rows: &[EventRow]) -> Result<RecordBatch, ArrowError> {
    let mut columns: Vec<ArrayRef> = vec![
        strs(rows.iter().map(|r| r.capture_id.as_str())),
        strs(rows.iter().map(|r| r.path.as_str())),
        opt_strs(rows.iter().map(|r| r.content_hash.as_deref())),
        strs(rows.iter().map(|r| r.version.as_str())),
    ];
    columns.extend(event_columns(&rows.iter().map(|r| &r.event).collect::<Vec<_>>()));
    columns.push(opt_strs(rows.iter().map(|r| r.circuit.as_deref())));
    columns.push(opt_strs(rows.iter().map(|r| r.phase.as_deref())));
    RecordBatch::try_new(events_schema(), columns)
}

/// Detected events as one record batch with the fields of `events --json`.
pub fn detection_batch(events: &[Event]) -> Result<RecordBatch, ArrowError> {
    RecordBatch::try_new(detection_schema(), event_columns(&events.iter().collect::<Vec<_>>()))
}

/// A string column of `batch` by name (`None` where null).
pub fn string_column<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a StringArray> {
    batch.column_by_name(name)?.as_any().downcast_ref::<StringArray>()
}

/// A float column of `batch` by name.
pub fn f64_column<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a Float64Array> {
    batch.column_by_name(name)?.as_any().downcast_ref::<Float64Array>()
}

/// `column[i]` as text, `None` where null or out of range.
pub fn text(column: Option<&StringArray>, i: usize) -> Option<&str> {
    column.filter(|c| i < c.len() && c.is_valid(i)).map(|c| c.value(i))
}

/// `column[i]`, `None` where null or out of range.
pub fn number(column: Option<&Float64Array>, i: usize) -> Option<f64> {
    column.filter(|c| i < c.len() && c.is_valid(i)).map(|c| c.value(i))
}
