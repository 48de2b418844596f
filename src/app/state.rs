//! The state the app's parts share: an open capture with the view it is shown in (time
//! span, cursors and readout, event filter and selection, one entry per channel), what a
//! capture from a server holds, the loads in progress, and the small choices (time mode,
//! cursor mode, side tab, the editor's selection). Plain data with the methods that read
//! it; the updates that change it live in the parts above.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Instant;

use eframe::egui;
use serde::{Deserialize, Serialize};

use super::lanes::LaneLayout;
use crate::analysis::cycles::CycleRms;
use crate::analysis::events::{Detection, EventKind};
use crate::analysis::lod::Pyramid;
use crate::analysis::measure::MeasureReport;
use crate::analysis::stats::Stats;
use crate::api::CaptureInfo;
use crate::api::client::Client;
use crate::capture::{Capture, ChannelKind, Samples};
use crate::panel::{InstallConfig, RoleKind, VerifyReport};

/// Why a capture shown from a server is not measured or exported here.
pub const REMOTE_NEEDS_SAMPLES: &str =
    "this capture is shown from the server at plot resolution: download it (File > Server...) to measure or export it";

/// How time is shown on the axis and in the readouts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeMode {
    /// Seconds from the first sample.
    #[default]
    Relative,
    /// Clock time (UTC) when the capture has a start time.
    Absolute,
}

/// Which cursor a plain click places.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CursorMode {
    /// A click places A; right-click or Shift+click places B.
    #[default]
    AThenShiftB,
    /// Clicks place A and B in turn.
    Alternate,
}

/// What the side panel shows for the cursor window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SideTab {
    #[default]
    Readout,
    Spectrum,
    Phasors,
    /// The wiring as the capture shows it, against the install configuration applied.
    Verify,
    /// Notes pinned to times and channels of the capture.
    Notes,
}

/// How the event table is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventSort {
    #[default]
    Start,
    Kind,
    Channel,
    Magnitude,
    Duration,
}

/// Which events the table lists, and in what order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventFilter {
    /// Kinds hidden from the table (and the plots).
    pub hidden_kinds: Vec<EventKind>,
    /// Only events on this channel.
    pub channel: Option<String>,
    /// Only events inside the visible time span.
    pub in_view: bool,
    pub sort: EventSort,
    pub descending: bool,
}

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportSpan {
    /// The span the plots show.
    Visible,
    /// Between the cursors.
    Cursors,
}

/// Where a load is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum LoadStage {
    Reading = 0,
    Detecting = 1,
    Indexing = 2,
}

/// A file being loaded: its stage, and a flag that cancels it.
#[derive(Debug)]
pub struct LoadJob {
    pub id: u64,
    pub path: PathBuf,
    /// Size of the file (and of a COMTRADE `.dat` beside it), when known.
    pub bytes: Option<u64>,
    pub started: Instant,
    pub(crate) handle: LoadHandle,
}

impl LoadJob {
    pub fn stage(&self) -> LoadStage {
        match self.handle.stage.load(Ordering::Relaxed) {
            s if s == LoadStage::Indexing as u8 => LoadStage::Indexing,
            s if s == LoadStage::Detecting as u8 => LoadStage::Detecting,
            _ => LoadStage::Reading,
        }
    }
}

/// A derived channel: one-cycle RMS every half cycle, with its pyramid for drawing.
#[derive(Debug)]
pub struct Trend {
    pub rms: CycleRms,
    pub pyramid: Pyramid,
    /// No other trend has had it: what the plots key its drawn points by.
    pub number: u64,
}

impl Trend {
    /// The trend of `rms`, with its pyramid.
    pub fn new(rms: CycleRms) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let pyramid = Pyramid::build(&rms.values);
        Self { rms, pyramid, number: NEXT.fetch_add(1, Ordering::Relaxed) }
    }
}

/// Measurements between the cursors, or why they failed.
pub type Readout = Result<Box<MeasureReport>, String>;

/// A time span, seconds from the capture's first sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub from_s: f64,
    pub to_s: f64,
}

impl Span {
    pub fn new(from_s: f64, to_s: f64) -> Self {
        Self { from_s, to_s }
    }

    /// `(from_s, to_s)`.
    pub fn pair(self) -> (f64, f64) {
        (self.from_s, self.to_s)
    }

    pub fn width_s(self) -> f64 {
        self.to_s - self.from_s
    }
}

/// The measurements between the cursors: the span they are for, and the result (`None`
/// while they are computed).
#[derive(Debug, Clone)]
pub struct CursorReadout {
    pub span: Span,
    pub result: Option<Readout>,
}

/// The event highlighted in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectedEvent {
    /// Index in the detection's list.
    pub index: usize,
    /// The table still has to scroll to it.
    pub scroll: bool,
}

/// An install configuration applied to a capture, and the file it came from.
#[derive(Debug, Clone)]
pub struct Installed {
    pub path: PathBuf,
    pub config: Arc<InstallConfig>,
    /// What the capture says about the wiring: `None` while it is being checked.
    pub verify: Option<Result<Arc<VerifyReport>, String>>,
}

/// One channel of an open capture as the explorer shows it.
#[derive(Debug)]
pub struct ChannelView {
    /// Over the whole capture (analog channels).
    pub stats: Option<Stats>,
    /// The level-of-detail pyramid the plots read (analog channels).
    pub pyramid: Option<Pyramid>,
    /// Where a digital channel changes state (its level of detail), unless it changes too
    /// often to be worth listing.
    pub edges: Option<Vec<usize>>,
    /// The one-cycle RMS refreshed every half cycle (voltages and currents), computed with
    /// the events.
    pub trend: Option<Trend>,
    pub visible: bool,
    pub color: egui::Color32,
    /// What the plots drew of this channel last frame, for the next one to reuse.
    pub drawn: Drawn,
}

/// What the plots drew of one channel last frame, kept so the next frame can reuse it: a
/// cache, not state (losing it costs only time). The locks are never held across frames.
#[derive(Debug, Default)]
pub struct Drawn {
    /// The buckets of the samples last read: a pan reads only the columns it brings in.
    pub run: std::sync::Mutex<crate::analysis::decimate::AlignedRun>,
    /// Per trace (the samples, their RMS trend): the points last fetched, and the mesh last
    /// built from them.
    pub traces: [DrawnTrace; 2],
    /// The whole channel's band in the overview, for a number of columns.
    pub overview: std::sync::Mutex<Option<(usize, Band)>>,
}

/// Per column, the lowest and highest value.
pub type Band = Arc<Vec<(f64, f64)>>;

/// One trace's points for a request and its mesh for a plot transform (see [`Drawn`]).
#[derive(Debug, Default)]
pub struct DrawnTrace {
    /// The request (span, columns, scale) the points answer, and the points.
    pub points: std::sync::Mutex<Option<(Vec<u64>, Fetched)>>,
    /// The mesh's key (the points' number, the transform, colour and width) and the mesh.
    pub mesh: std::sync::Mutex<Option<(Vec<u64>, Arc<egui::Mesh>)>>,
}

/// A trace's points, numbered (so a mesh knows which points it was built from), with their
/// extent `[x_min, x_max, y_min, y_max]` over finite values (`None` when there are none).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub number: u64,
    pub points: Arc<Vec<[f64; 2]>>,
    pub extent: Option<[f64; 4]>,
}

impl Fetched {
    /// Points fetched now, with a number no other points have had.
    pub fn new(points: Vec<[f64; 2]>) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let finite = |p: &&[f64; 2]| p[1].is_finite();
        let extent = points.iter().find(finite).zip(points.iter().rfind(finite)).map(|(first, last)| {
            let (lo, hi) =
                points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p[1]), hi.max(p[1])));
            [first[0], last[0], lo, hi]
        });
        Self { number: NEXT.fetch_add(1, Ordering::Relaxed), points: Arc::new(points), extent }
    }
}

impl DrawnTrace {
    /// The points for `request`: last frame's when it asked the same, else `fetch`'s.
    pub fn points(&self, request: Vec<u64>, fetch: impl FnOnce() -> Vec<[f64; 2]>) -> Fetched {
        let mut slot = self.points.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((asked, fetched)) = slot.as_ref()
            && *asked == request
        {
            return fetched.clone();
        }
        let fetched = Fetched::new(fetch());
        *slot = Some((request, fetched.clone()));
        fetched
    }
}

/// How one capture tab is looked at; kept while other tabs are shown.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// The time span the plots showed in the last frame.
    pub span: Option<Span>,
    /// A time span the plots show in the next frame.
    pub pending_zoom: Option<Span>,
    /// Fit the value axes in the next frame.
    pub pending_fit: bool,
    /// Cursors A and B, seconds from the first sample.
    pub cursors: [Option<f64>; 2],
    /// The cursor the next plain click places in the alternate mode.
    pub next_cursor: usize,
    /// Measurements between the cursors.
    pub readout: Option<CursorReadout>,
    pub event_filter: EventFilter,
    /// The event highlighted in the table.
    pub selected_event: Option<SelectedEvent>,
    /// Which channel the spectrum shows.
    pub spectrum_channel: Option<String>,
    /// How the channels are stacked: lanes in groups.
    pub lanes: LaneLayout,
}

impl View {
    /// A fresh view of a capture lasting `duration_s`: all of it, values fitted.
    pub(crate) fn whole(duration_s: f64) -> Self {
        Self {
            pending_zoom: Some(Span::new(0.0, duration_s.max(f64::MIN_POSITIVE))),
            pending_fit: true,
            ..Self::default()
        }
    }

    /// The cursor window, ordered, when both cursors are placed and apart.
    pub fn cursor_span(&self) -> Option<Span> {
        let (Some(a), Some(b)) = (self.cursors[0], self.cursors[1]) else { return None };
        (a != b).then(|| Span::new(a.min(b), a.max(b)))
    }
}

/// A loaded capture with what the explorer shows of it.
#[derive(Debug)]
pub struct OpenCapture {
    /// Tells captures apart in messages from background work.
    pub id: u64,
    pub path: PathBuf,
    pub capture: Arc<Capture>,
    /// Per channel of `capture`, in its order.
    pub channels: Vec<ChannelView>,
    /// Detected events: `None` while detection runs.
    pub events: Option<Result<Detection, String>>,
    /// The install configuration applied.
    pub install: Option<Installed>,
    /// Notes kept beside the capture file, in time order.
    pub notes: Vec<super::notes::Note>,
    /// Why the notes beside the file could not be read (they are then not saved over).
    pub notes_error: Option<String>,
    /// For a capture opened from a server: where it lives and the detail fetched for the
    /// span in view (`capture` then holds the overview).
    pub remote: Option<RemoteView>,
    pub view: View,
}

impl OpenCapture {
    /// Statistics and pyramids of every channel, built in parallel (the load thread's work).
    pub fn build(id: u64, path: PathBuf, capture: Capture) -> Self {
        match Self::build_with(id, path, capture, &|| false) {
            Some(open) => open,
            None => unreachable!("a build that is never cancelled finishes"),
        }
    }

    /// As [`Self::build`], giving up (`None`) as soon as `cancelled` says so.
    pub fn build_with(id: u64, path: PathBuf, capture: Capture, cancelled: &(dyn Fn() -> bool + Sync)) -> Option<Self> {
        let (stats, pyramids) = crate::analysis::lod::index_channels(&capture, cancelled)?;
        let channels = capture
            .channels
            .iter()
            .zip(stats.into_iter().zip(pyramids))
            .enumerate()
            .map(|(i, (c, (stats, pyramid)))| ChannelView {
                stats,
                pyramid,
                // At most one change per 64 samples is listed (an eighth of a byte each).
                edges: match &c.samples {
                    Samples::Digital(bits) => bits.changes(bits.len() / 64),
                    Samples::Analog(_) => None,
                },
                trend: None,
                visible: true,
                color: palette(i),
                drawn: Default::default(),
            })
            .collect();
        let view = View { lanes: LaneLayout::fit(&capture), ..View::whole(capture.duration_s()) };
        Some(Self {
            id,
            path,
            capture: Arc::new(capture),
            channels,
            events: None,
            install: None,
            notes: Vec::new(),
            notes_error: None,
            remote: None,
            view,
        })
    }

    /// What the install configuration says channel `i` is: `Water heater · A`,
    /// `mains · A`, `voltage · A`.
    pub fn role(&self, i: usize) -> Option<String> {
        let config = &self.install.as_ref()?.config;
        let name = &self.capture.channels.get(i)?.name;
        let role = config.channel_roles().into_iter().find(|r| &r.channel == name)?;
        Some(match role.kind {
            RoleKind::Circuit => format!("{} · {:?}", role.label, role.phase),
            RoleKind::Mains => format!("mains · {:?}", role.phase),
            RoleKind::Voltage => format!("voltage · {:?}", role.phase),
        })
    }

    /// The name a trace is shown under: the channel, with its circuit when known.
    pub fn display_name(&self, i: usize) -> String {
        let name = self.capture.channels.get(i).map_or("", |c| c.name.as_str());
        match self.role(i) {
            Some(role) => format!("{name} · {role}"),
            None => name.to_string(),
        }
    }

    /// The value that is 1 pu for channel `i`, and what it is: a voltage's nominal from
    /// event detection, otherwise the channel's RMS over the whole capture.
    pub fn per_unit_base(&self, i: usize) -> Option<(f64, &'static str)> {
        let ch = self.capture.channels.get(i)?;
        if ch.kind == ChannelKind::Voltage
            && let Some(Ok(d)) = &self.events
            && let Some(r) = d.references.iter().find(|r| r.channel == ch.name)
            && r.reference > 0.0
        {
            return Some((r.reference, "nominal"));
        }
        let rms = self.channels.get(i)?.stats?.rms;
        (rms.is_finite() && rms > 0.0).then_some((rms, "capture RMS"))
    }

    /// Indices of the events that the table lists, in its order.
    pub fn listed_events(&self) -> Vec<usize> {
        let Some(Ok(d)) = &self.events else { return Vec::new() };
        let f = &self.view.event_filter;
        let mut rows: Vec<usize> = (0..d.events.len())
            .filter(|&i| {
                let e = &d.events[i];
                !f.hidden_kinds.contains(&e.kind)
                    && f.channel.as_ref().is_none_or(|c| *c == e.channel)
                    && (!f.in_view
                        || self
                            .view
                            .span
                            .is_none_or(|v| e.start_s <= v.to_s && e.end_s.unwrap_or(e.start_s) >= v.from_s))
            })
            .collect();
        let key = |i: &usize| {
            let e = &d.events[*i];
            match f.sort {
                EventSort::Start => (String::new(), e.start_s),
                EventSort::Kind => (e.kind.as_str().to_string(), e.start_s),
                EventSort::Channel => (e.channel.clone(), e.start_s),
                EventSort::Magnitude => (String::new(), e.magnitude_pu.unwrap_or(e.magnitude).abs()),
                EventSort::Duration => (String::new(), e.end_s.map_or(0.0, |end| end - e.start_s)),
            }
        };
        rows.sort_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
        });
        if f.descending {
            rows.reverse();
        }
        rows
    }

    /// Highlights the listed event whose marker is within a few pixels of `t_s`.
    pub(crate) fn select_event_near(&mut self, t_s: f64) {
        let Some(Span { from_s: a, to_s: b }) = self.view.span else { return };
        let Some(Ok(d)) = &self.events else { return };
        let tolerance = (b - a) / 300.0;
        let nearest = self
            .listed_events()
            .into_iter()
            .map(|i| (i, (d.events[i].start_s - t_s).abs()))
            .filter(|&(_, dist)| dist <= tolerance)
            .min_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((i, _)) = nearest {
            self.view.selected_event = Some(SelectedEvent { index: i, scroll: true });
        }
    }

    /// Refits the value axes in the next frame, keeping the time span.
    pub(crate) fn refit_values(&mut self) {
        if self.view.pending_zoom.is_none() {
            self.view.pending_zoom = self.view.span;
        }
        self.view.pending_fit = self.view.pending_zoom.is_some();
    }

    /// Shows this tab's own span again (the plots are shared by every tab).
    pub(crate) fn restore_view(&mut self) {
        if self.view.pending_zoom.is_none() {
            let whole = Span::new(0.0, self.capture.duration_s().max(f64::MIN_POSITIVE));
            self.view.pending_zoom = Some(self.view.span.unwrap_or(whole));
        }
        self.view.pending_fit = true;
    }
}

/// A distinct colour for channel `i`.
pub fn palette(i: usize) -> egui::Color32 {
    const COLORS: [(u8, u8, u8); 12] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
        (255, 187, 120),
        (152, 223, 138),
    ];
    let (r, g, b) = COLORS[i % COLORS.len()];
    egui::Color32::from_rgb(r, g, b)
}

/// Where a remote capture comes from, and the detail fetched for the span in view.
#[derive(Debug)]
pub struct RemoteView {
    pub client: Client,
    pub capture_id: String,
    pub info: CaptureInfo,
    /// Samples for part of the capture at a finer resolution than the overview.
    pub detail: Option<Detail>,
    /// The span (and width) a detail request is out for.
    pub pending: Option<DetailRequest>,
}

/// A request for the samples of a span of a remote capture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetailRequest {
    pub from_s: f64,
    pub to_s: f64,
    pub max_points: usize,
}

/// A window of a remote capture at the resolution of the plots.
#[derive(Debug)]
pub struct Detail {
    pub from_s: f64,
    pub to_s: f64,
    /// Samples per second of capture time it holds.
    pub density: f64,
    pub decimated: bool,
    pub capture: Arc<Capture>,
    pub pyramids: Vec<Option<Pyramid>>,
}

impl OpenCapture {
    /// Points per second of the capture held: the samples, or a remote capture's overview.
    pub fn density(&self) -> f64 {
        self.capture.sample_count() as f64 / self.capture.duration_s().max(f64::MIN_POSITIVE)
    }

    /// For a remote capture: the detail, when it covers `x0..x1` more finely than the
    /// overview does.
    pub fn remote_detail(&self, x0: f64, x1: f64) -> Option<&Detail> {
        let overview = self.density();
        self.remote.as_ref()?.detail.as_ref().filter(|d| d.from_s <= x0 && d.to_s >= x1 && d.density > overview)
    }
}

impl Detail {
    /// A window answered by the server, as a capture with its pyramids.
    pub(crate) fn of(window: &crate::api::Window, name: &str) -> Self {
        let capture = window.to_capture(name);
        let n = capture.sample_count().max(1);
        let pyramids = capture.channels.iter().map(|c| c.analog_values().map(Pyramid::build)).collect();
        let span_s = (window.to_s - window.from_s).max(f64::MIN_POSITIVE);
        Self {
            from_s: window.from_s,
            to_s: window.to_s,
            density: n as f64 / span_s,
            decimated: window.decimated,
            capture: Arc::new(capture),
            pyramids,
        }
    }
}

/// Shared progress of a load: its stage, and a flag that cancels it.
#[derive(Debug, Clone, Default)]
pub struct LoadHandle {
    pub stage: Arc<AtomicU8>,
    pub cancelled: Arc<AtomicBool>,
}

/// What is selected in the drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Selection {
    /// An empty space.
    Space(u32),
    /// A breaker (index in the project).
    Breaker(usize),
    /// A sensor strip (index in the project).
    Strip(usize),
}
