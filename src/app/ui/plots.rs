//! The stacked plots: one per channel kind on a linked time axis, fed only by the
//! level-of-detail query (two points per pixel column), with cursors and event markers.

use eframe::egui;
use egui_plot::{GridMark, Legend, Line, Plot, PlotPoints, VLine};
use rayon::prelude::*;

use super::super::message::{ExplorerMessage, Message};
use super::super::state::{Span, TimeMode, Trend};
use super::Shown;
use super::envelope::Envelope;
use crate::analysis::decimate::{analog_extremes, bucket_times, equal_index_buckets};
use crate::analysis::events::EventKind;
use crate::analysis::lod::Pyramid;
use crate::capture::{Capture, ChannelKind, Samples};

impl Shown<'_> {
    /// Draws the stacked plots; returns the time span they show and where they are.
    pub(super) fn plots_ui(
        &self,
        ui: &mut egui::Ui,
        messages: &mut Vec<Message>,
    ) -> (Option<Span>, Option<egui::Rect>) {
        let open = self.open;
        let (zoom, fit) = (open.view.pending_zoom.map(Span::pair), open.view.pending_fit);
        let kinds: Vec<ChannelKind> = ChannelKind::ALL
            .into_iter()
            .filter(|k| open.capture.channels.iter().zip(&open.channels).any(|(c, v)| v.visible && c.kind == *k))
            .collect();
        if kinds.is_empty() {
            ui.label("No channel is shown: tick some in the channel list.");
            return (None, None);
        }
        let top = ui.cursor().min;
        let height = (ui.available_height() / kinds.len() as f32 - 8.0).max(80.0);
        let width_px = ui.available_width().max(100.0) as usize;
        let link = ui.scope_id().with("time-axis");
        let cursor_color = ui.visuals().strong_text_color();
        let start = open.capture.start.filter(|_| self.settings.time_mode == TimeMode::Absolute);
        let events = match &open.events {
            Some(Ok(d)) => Some(d),
            _ => None,
        };
        let selected_event = self.open.view.selected_event.map(|s| s.index);
        let mut view = None;
        for (row, kind) in kinds.iter().copied().enumerate() {
            let unit = open
                .capture
                .channels
                .iter()
                .zip(&open.channels)
                .find(|(c, v)| v.visible && c.kind == kind)
                .map_or("", |(c, _)| c.unit.as_str());
            let label = match (kind, self.settings.per_unit) {
                (ChannelKind::Digital, _) => "digital".to_string(),
                (_, true) => format!("{} (pu)", kind.as_str()),
                _ => format!("{} ({unit})", kind.as_str()),
            };
            let mut plot = Plot::new(("plot", kind.as_str()))
                .height(height)
                .legend(Legend::default())
                .link_axis(link, [true, false])
                .link_cursor(link, [true, false])
                .y_axis_label(label)
                // Time pans and zooms; values always fit what is shown (a box zoom sets both).
                .allow_drag([true, false])
                .allow_scroll([true, false])
                .allow_zoom([true, false])
                .show_x(true)
                .show_axes([row + 1 == kinds.len(), true]);
            if let Some(start) = start {
                plot = plot.x_axis_formatter(move |mark: GridMark, _range| {
                    let at = start + chrono::Duration::microseconds((mark.value * 1e6).round() as i64);
                    if mark.step_size < 1e-3 { at.format("%H:%M:%S%.6f") } else { at.format("%H:%M:%S%.3f") }
                        .to_string()
                });
            }
            plot.show(ui, |plot_ui| {
                if let Some((from_s, to_s)) = zoom {
                    plot_ui.set_plot_bounds_x(from_s..=to_s);
                    plot_ui.set_auto_bounds([false, true]);
                }
                if fit {
                    plot_ui.set_auto_bounds([false, true]);
                }
                // While the time axis fits itself, give it the whole capture; once the
                // user zooms or pans, only what is visible.
                let bounds = plot_ui.plot_bounds();
                let (x0, x1) = match zoom {
                    Some(span) => span,
                    None if plot_ui.auto_bounds().x => (0.0, open.capture.duration_s()),
                    None => (bounds.min()[0], bounds.max()[0]),
                };
                view = Some(Span::new(x0, x1));
                let mut digital_row = 0.0;
                let shown: Vec<usize> = (0..open.capture.channels.len())
                    .filter(|&i| open.capture.channels[i].kind == kind && open.channels[i].visible)
                    .collect();
                // All traces of the plot at once: one hand-off to the worker threads a plot.
                // A capture from a server: its detail for this span when finer than the overview.
                let detail = open.remote_detail(x0, x1);
                let traces: Vec<Vec<[f64; 2]>> = shown
                    .par_iter()
                    .map(|&i| match detail {
                        Some(d) => decimated_points(&d.capture, d.pyramids[i].as_ref(), i, x0, x1, width_px),
                        None => decimated_points(&open.capture, open.channels[i].pyramid.as_ref(), i, x0, x1, width_px),
                    })
                    .collect();
                for (i, mut points) in shown.into_iter().zip(traces) {
                    let scale = if self.settings.per_unit && kind != ChannelKind::Digital {
                        open.per_unit_base(i).map_or(1.0, |(base, _)| 1.0 / base)
                    } else {
                        1.0
                    };
                    if kind == ChannelKind::Digital {
                        // Each bit on its own row, the first at the top.
                        digital_row -= 1.5;
                        points.iter_mut().for_each(|p| p[1] += digital_row);
                    } else if scale != 1.0 {
                        points.iter_mut().for_each(|p| p[1] *= scale);
                    }
                    // Denser than the columns: per-column spans; else an anti-aliased line.
                    if points.len() > width_px {
                        plot_ui.add(Envelope::new(open.display_name(i), points, open.channels[i].color, 1.0));
                    } else {
                        plot_ui.line(
                            Line::new(open.display_name(i), PlotPoints::from(points)).color(open.channels[i].color),
                        );
                    }
                    if self.settings.show_trends
                        && let Some(trend) = &open.channels[i].trend
                    {
                        let mut points = trend_points(trend, x0, x1, width_px);
                        points.iter_mut().for_each(|p| p[1] *= scale);
                        let (name, color) =
                            (format!("{} RMS", open.display_name(i)), open.channels[i].color.gamma_multiply(0.6));
                        if points.len() > width_px {
                            plot_ui.add(Envelope::new(name, points, color, 2.5));
                        } else {
                            plot_ui.line(Line::new(name, PlotPoints::from(points)).color(color).width(2.5));
                        }
                    }
                }
                if let Some(d) = events {
                    for (k, e) in d.events.iter().enumerate() {
                        if !(x0..=x1).contains(&e.start_s) || self.open.view.event_filter.hidden_kinds.contains(&e.kind)
                        {
                            continue;
                        }
                        let width = if selected_event == Some(k) { 3.0 } else { 1.0 };
                        plot_ui.vline(VLine::new(e.kind.as_str(), e.start_s).color(kind_color(e.kind)).width(width));
                    }
                }
                for (which, cursor) in self.open.view.cursors.iter().enumerate() {
                    if let Some(t) = cursor {
                        let name = if which == 0 { "cursor A" } else { "cursor B" };
                        let style =
                            if which == 0 { egui_plot::LineStyle::Solid } else { egui_plot::LineStyle::dashed_dense() };
                        plot_ui.vline(VLine::new(name, *t).color(cursor_color).width(1.5).style(style));
                    }
                }
                let response = plot_ui.response();
                let (primary, secondary) = (response.clicked(), response.secondary_clicked());
                if (primary || secondary)
                    && let Some(pointer) = plot_ui.pointer_coordinate()
                {
                    let shift = plot_ui.ctx().input(|i| i.modifiers.shift);
                    messages.push(ExplorerMessage::Click { t_s: pointer.x, secondary: secondary || shift }.into());
                }
            });
        }
        let rect = egui::Rect::from_min_max(top, egui::pos2(ui.max_rect().max.x, ui.cursor().min.y));
        (view, Some(rect))
    }
}

/// The colour events of a kind are marked with.
pub(super) fn kind_color(kind: EventKind) -> egui::Color32 {
    match kind {
        EventKind::LoadOn => egui::Color32::from_rgb(80, 170, 90),
        EventKind::LoadOff => egui::Color32::from_rgb(120, 140, 160),
        EventKind::Sag => egui::Color32::from_rgb(230, 150, 40),
        EventKind::Swell => egui::Color32::from_rgb(200, 90, 200),
        EventKind::Interruption => egui::Color32::from_rgb(220, 60, 60),
        EventKind::Transient => egui::Color32::from_rgb(70, 150, 230),
        EventKind::Fluctuation => egui::Color32::from_rgb(170, 150, 60),
    }
}

/// Points of a one-cycle RMS trend between `x0` and `x1` seconds: every value when few,
/// else min and max per pixel column from its pyramid.
pub fn trend_points(trend: &Trend, x0: f64, x1: f64, width_px: usize) -> Vec<[f64; 2]> {
    let (first_s, step_s, values) = (trend.rms.first_s, trend.rms.step_s, &trend.rms.values);
    let n = values.len();
    let index = |t: f64| (((t - first_s) / step_s).max(0.0) as usize).min(n);
    let (lo, hi) = (index(x0).saturating_sub(1), (index(x1) + 2).min(n));
    if lo >= hi {
        return Vec::new();
    }
    let time = |k: usize| first_s + k as f64 * step_s;
    let width_px = width_px.max(1);
    if hi - lo <= 2 * width_px {
        return (lo..hi).filter(|&k| values[k].is_finite()).map(|k| [time(k), f64::from(values[k])]).collect();
    }
    column_points(values, &trend.pyramid, lo..hi, width_px, n, time)
}

/// The minimum and maximum of each of `columns` equal parts of `values[range]` in time
/// order, from the pyramid, placed at each part's first and middle sample (`time(i)` is
/// sample `i`'s time; `len` the number of samples); parts with no value are left out.
fn column_points(
    values: &[f32],
    pyramid: &Pyramid,
    range: std::ops::Range<usize>,
    columns: usize,
    len: usize,
    time: impl Fn(usize) -> f64,
) -> Vec<[f64; 2]> {
    let lo = range.start;
    let buckets: Vec<_> = equal_index_buckets(range.len(), columns).map(|r| lo + r.start..lo + r.end).collect();
    let extremes = analog_extremes(values, Some(pyramid), range, &buckets, true);
    let times = bucket_times(&buckets, len, time);
    times.iter().zip(extremes.iter().flatten()).filter_map(|(&t, v)| Some([t, f64::from((*v)?)])).collect()
}

/// Min/max points of channel `index` between `x0` and `x1` seconds, two per pixel column,
/// from its pyramid (analog channels), or the states and their changes (digital).
pub fn decimated_points(
    capture: &Capture,
    pyramid: Option<&Pyramid>,
    index: usize,
    x0: f64,
    x1: f64,
    width_px: usize,
) -> Vec<[f64; 2]> {
    let n = capture.sample_count();
    let (lo, hi) = if x1 > x0 && x0.is_finite() && x1.is_finite() {
        (capture.index_at_or_after(x0).saturating_sub(1), (capture.index_at_or_after(x1) + 1).min(n))
    } else {
        (0, n)
    };
    let (lo, hi) = if hi <= lo { (0, n) } else { (lo, hi) };
    let width_px = width_px.max(1);
    match (&capture.channels[index].samples, pyramid) {
        (Samples::Analog(v), _) if hi - lo <= 2 * width_px => {
            (lo..hi).filter(|&i| v[i].is_finite()).map(|i| [capture.time_s(i), f64::from(v[i])]).collect()
        }
        (Samples::Analog(v), Some(p)) => {
            // Two points per column, at the column's first and middle sample: exact in
            // value and in order, within a column in time.
            column_points(v, p, lo..hi, width_px, n, |i| capture.time_s(i))
        }
        (Samples::Analog(_), None) => Vec::new(),
        (Samples::Digital(b), _) => {
            // Per column: its first state, and the sample where it changes if it does (a
            // scan of the bits in view; digital channels are small).
            let bit = |i: usize| if b.get(i) == Some(true) { 1.0 } else { 0.0 };
            let columns = width_px.min(hi - lo);
            let mut points = Vec::with_capacity(2 * columns);
            for r in equal_index_buckets(hi - lo, columns).map(|r| lo + r.start..lo + r.end) {
                let first = bit(r.start);
                points.push([capture.time_s(r.start), first]);
                if let Some(change) = (r.start + 1..r.end).find(|&i| bit(i) != first) {
                    points.push([capture.time_s(change), 1.0 - first]);
                }
            }
            points
        }
    }
}
