//! The lanes: an event ruler with the time axis, then groups of lanes on that linked time
//! axis, each lane with its own value axis and a header naming its channels with their
//! values at the cursors (no legend over the data). Analog lanes are fed only by the
//! level-of-detail query (two points per bucket, a bucket no wider than a pixel column); digital lanes are compact bars.

use std::sync::{Arc, Mutex};

use eframe::egui::{self, vec2};
use egui_plot::{GridMark, Line, Plot, PlotPoint, PlotPoints, VLine};
use rayon::prelude::*;

use super::super::lanes::{self, Lane, LaneEdit, LaneGroup};
use super::super::message::{ExplorerMessage, Message};
use super::super::state::{Band, Fetched, Span, TimeMode, Trend};
use super::Shown;
use super::envelope::{Affine, Envelope};
use crate::analysis::decimate::{AlignedRun, equal_index_buckets};
use crate::analysis::events::EventKind;
use crate::analysis::lod::Pyramid;
use crate::capture::{Capture, ChannelKind, Samples};

/// Width of the lane headers (names, units, values at the cursors).
const GUTTER: f32 = 200.0;
/// Room for each lane's value axis, the same for all so that their time axes line up.
const Y_AXIS: f32 = 56.0;
/// Height of the event ruler (with the time axis).
const RULER: f32 = 44.0;
/// Height of the overview strip.
const OVERVIEW: f32 = 30.0;
/// How near (points) a drag must start to an edge of the overview's span to resize it.
const EDGE_REACH: f32 = 6.0;
/// Height of a lane's resize handle.
const HANDLE: f32 = 5.0;
/// A group's header.
const GROUP_HEADER: f32 = 22.0;
/// Fewer pixels than this per cycle and a waveform cannot be read: it is drawn as its RMS.
const MIN_PX_PER_CYCLE: f64 = 6.0;
/// How near (points) a click must be to an event tick to select it.
const TICK_REACH: f32 = 6.0;

/// A lane being dragged to another place: its (group, lane).
#[derive(Clone, Copy)]
struct DraggedLane((usize, usize));

/// One lane as this frame draws it.
struct ShownLane<'a> {
    place: (usize, usize),
    lane: &'a Lane,
    /// The lane's channels that are shown, by index.
    channels: Vec<usize>,
    digital: bool,
}

impl ShownLane<'_> {
    /// An analog lane sharing the room the others leave.
    fn is_auto(&self) -> bool {
        !self.digital && self.lane.height == lanes::AUTO
    }

    /// Its height as drawn, given the automatic lanes' share.
    fn height(&self, auto: f32) -> f32 {
        if self.digital {
            self.lane.height.max(lanes::DIGITAL_HEIGHT)
        } else if self.is_auto() {
            auto
        } else {
            self.lane.height
        }
    }

    /// The room it takes after its row: the spacing, and an analog lane's resize handle.
    fn below(&self, spacing: f32) -> f32 {
        if self.digital { spacing } else { spacing + HANDLE + spacing }
    }
}

/// What every lane of a frame shares.
struct Frame<'a> {
    link: egui::Id,
    zoom: Option<(f64, f64)>,
    fit: bool,
    view: Span,
    width_px: usize,
    /// The ruler's mapping of time to screen x, for the digital lanes.
    ruler: Option<egui_plot::PlotTransform>,
    events: Option<&'a crate::analysis::events::Detection>,
    selected_event: Option<usize>,
    cursor_color: egui::Color32,
    /// The span is too wide for cycles to be read: traces with an RMS trend show it.
    wide: bool,
}

impl Shown<'_> {
    /// Draws the event ruler and the lanes; returns the time span they show and where.
    pub(super) fn plots_ui(
        &self,
        ui: &mut egui::Ui,
        messages: &mut Vec<Message>,
    ) -> (Option<Span>, Option<egui::Rect>, Option<egui::Rect>) {
        let open = self.open;
        let layout = &open.view.lanes;
        let groups: Vec<(usize, &LaneGroup, Vec<ShownLane>)> = layout
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| {
                let lanes = group
                    .lanes
                    .iter()
                    .enumerate()
                    .filter_map(|(k, lane)| {
                        let channels: Vec<usize> = lane
                            .channels
                            .iter()
                            .filter_map(|c| open.capture.channel_index(c))
                            .filter(|&i| open.channels[i].visible)
                            .collect();
                        let digital = channels.iter().all(|&i| open.capture.channels[i].kind == ChannelKind::Digital);
                        (!channels.is_empty()).then_some(ShownLane { place: (g, k), lane, channels, digital })
                    })
                    .collect();
                (g, group, lanes)
            })
            .filter(|(_, _, lanes): &(usize, &LaneGroup, Vec<ShownLane>)| !lanes.is_empty())
            .collect();
        if groups.is_empty() {
            ui.label("No channel is shown: tick some in the channel list.");
            return (None, None, None);
        }
        let top = ui.cursor().min;
        let mut frame = Frame {
            link: ui.scope_id().with("time-axis"),
            zoom: open.view.pending_zoom.map(Span::pair),
            fit: open.view.pending_fit,
            view: Span::new(0.0, open.capture.duration_s().max(f64::MIN_POSITIVE)),
            width_px: (ui.available_width() - GUTTER - Y_AXIS).max(100.0) as usize,
            ruler: None,
            events: match &open.events {
                Some(Ok(d)) => Some(d),
                _ => None,
            },
            selected_event: open.view.selected_event.map(|s| s.index),
            cursor_color: ui.visuals().strong_text_color(),
            wide: false,
        };
        self.overview_ui(ui, &groups, messages);
        let (view, ruler) = self.ruler_ui(ui, &frame, messages);
        frame.view = view;
        frame.ruler = ruler;
        frame.wide = !self.settings.dense_waveforms
            && frame.events.is_some_and(|d| {
                let cycles = (view.to_s - view.from_s) * d.frequency_hz;
                d.frequency_hz > 0.0 && cycles / frame.width_px as f64 > 1.0 / MIN_PX_PER_CYCLE
            });
        // Automatic lanes share what the others leave.
        let spacing = ui.spacing().item_spacing.y;
        let mut fixed = 0.0;
        let mut autos = 0usize;
        for (_, group, lanes) in &groups {
            fixed += GROUP_HEADER + spacing;
            if group.collapsed {
                continue;
            }
            for l in lanes {
                if l.is_auto() {
                    autos += 1;
                } else {
                    fixed += l.height(0.0);
                }
                fixed += l.below(spacing);
            }
        }
        let auto_height = if autos == 0 {
            lanes::AUTO_MIN
        } else {
            ((ui.available_height() - fixed) / autos as f32).max(lanes::AUTO_MIN)
        };
        egui::ScrollArea::vertical().id_salt("lanes").auto_shrink([false, false]).show(ui, |ui| {
            // The points of every analog lane in sight (laid out as below) at once: one
            // hand-off to the worker threads, nothing fetched for lanes scrolled away.
            let sight = ui.clip_rect().y_range();
            let mut y = ui.cursor().min.y;
            let mut wanted = Vec::new();
            for (_, group, lanes) in &groups {
                y += GROUP_HEADER + spacing;
                if group.collapsed {
                    continue;
                }
                for l in lanes {
                    let height = l.height(auto_height);
                    if !l.digital && sight.intersects(egui::Rangef::new(y, y + height + HANDLE)) {
                        wanted.extend(l.channels.iter().copied());
                    }
                    y += height + l.below(spacing);
                }
            }
            let mut traces = self.traces(&wanted, &frame);
            for (g, group, lanes) in &groups {
                self.group_header_ui(ui, *g, group, lanes.len(), messages);
                if group.collapsed {
                    continue;
                }
                for l in lanes {
                    let height = l.height(auto_height);
                    // Lanes scrolled out of sight only take their room.
                    let width = ui.available_width();
                    let room = egui::Rect::from_min_size(ui.cursor().min, vec2(width, height + HANDLE));
                    if !ui.clip_rect().intersects(room) {
                        ui.allocate_space(vec2(width, height));
                        if !l.digital {
                            ui.allocate_space(vec2(width, HANDLE));
                        }
                        continue;
                    }
                    self.lane_ui(ui, l, height, &frame, &mut traces, messages);
                }
            }
        });
        let rect = egui::Rect::from_min_max(top, egui::pos2(ui.max_rect().max.x, ui.cursor().min.y));
        (Some(view), Some(rect), ruler.map(|t| *t.frame()))
    }

    /// The points of these channels over the span in view (two per bucket of one to two
    /// per pixel column), scaled: last frame's when the view has not changed.
    fn traces(&self, channels: &[usize], frame: &Frame) -> Vec<(usize, Fetched)> {
        let open = self.open;
        let (x0, x1) = frame.view.pair();
        // A capture from a server: its detail for this span when finer than the overview.
        let detail = open.remote_detail(x0, x1);
        channels
            .par_iter()
            .map(|&i| {
                let scale = self.scale(i);
                let scaled = |mut points: Vec<[f64; 2]>| {
                    if scale != 1.0 {
                        points.iter_mut().for_each(|p| p[1] *= scale);
                    }
                    points
                };
                let fetched = match detail {
                    Some(d) => Fetched::new(scaled(decimated_points(
                        &d.capture,
                        d.pyramids[i].as_ref(),
                        None,
                        i,
                        x0,
                        x1,
                        frame.width_px,
                    ))),
                    None => {
                        let c = &open.channels[i];
                        c.drawn.traces[0].points(request(frame, scale), || {
                            let run = Some(&c.drawn.run);
                            scaled(decimated_points(&open.capture, c.pyramid.as_ref(), run, i, x0, x1, frame.width_px))
                        })
                    }
                };
                (i, fetched)
            })
            .collect()
    }

    /// The whole capture in a strip: the one-cycle RMS of each group's first channel with a
    /// trend (scaled to its own largest), or its samples' band before the trends are in and
    /// for channels that have none, with the span in view marked. Drag the span to pan, its edges to
    /// zoom; a click elsewhere centres the view there.
    fn overview_ui(
        &self,
        ui: &mut egui::Ui,
        groups: &[(usize, &LaneGroup, Vec<ShownLane>)],
        messages: &mut Vec<Message>,
    ) {
        let open = self.open;
        let duration = open.capture.duration_s();
        let Some(span) = open.view.span.filter(|_| duration > 0.0) else { return };
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 0.0;
            let (gutter, _) = ui.allocate_exact_size(vec2(GUTTER + Y_AXIS, OVERVIEW), egui::Sense::hover());
            gutter_label(ui, gutter, "overview");
            let (rect, response) =
                ui.allocate_exact_size(vec2(ui.available_width(), OVERVIEW), egui::Sense::click_and_drag());
            let painter = ui.painter_at(rect);
            painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
            let x = |t: f64| rect.left() + (t / duration) as f32 * rect.width();
            let t_at = |px: f32| f64::from((px - rect.left()) / rect.width().max(1.0)) * duration;
            let columns = rect.width().max(1.0) as usize;
            let (a, b) = (x(span.from_s.max(0.0)), x(span.to_s.min(duration)));
            let shown = egui::Rect::from_x_y_ranges(egui::Rangef::new(a, b.max(a + 2.0)), rect.y_range());
            let selection = ui.visuals().selection;
            painter.rect_filled(shown, 1.0, selection.bg_fill.gamma_multiply(0.35));
            painter.rect_stroke(shown, 1.0, selection.stroke, egui::StrokeKind::Inside);
            for (_, _, lanes) in groups {
                let mut analog = lanes.iter().filter(|l| !l.digital).flat_map(|l| &l.channels);
                // The group's RMS once the events (and trends) are in; its samples' band
                // until then, and for channels without a trend.
                if let Some(&i) = analog.clone().find(|&&i| open.channels[i].trend.is_some())
                    && let Some(trend) = &open.channels[i].trend
                {
                    let points = trend_points(trend, 0.0, duration, columns);
                    let top = points.iter().map(|p| p[1]).fold(0.0_f64, f64::max);
                    if top <= 0.0 {
                        continue;
                    }
                    let line: Vec<egui::Pos2> = points
                        .iter()
                        .map(|p| egui::pos2(x(p[0]), rect.bottom() - 3.0 - (p[1] / top) as f32 * (rect.height() - 6.0)))
                        .collect();
                    painter.add(egui::Shape::line(line, egui::Stroke::new(1.0, open.channels[i].color)));
                } else if let Some(&i) = analog.find(|&&i| open.channels[i].pyramid.is_some()) {
                    let band = overview_band(open, i, columns);
                    let top = band.iter().flat_map(|&(lo, hi)| [lo.abs(), hi.abs()]).fold(0.0_f64, f64::max);
                    if top <= 0.0 {
                        continue;
                    }
                    let y = |v: f64| rect.center().y - (v / top) as f32 * 0.5 * (rect.height() - 6.0);
                    let mut mesh = egui::Mesh::default();
                    let color = open.channels[i].color.gamma_multiply(0.6);
                    for (c, &(lo, hi)) in band.iter().enumerate() {
                        let left = rect.left() + c as f32 * rect.width() / band.len().max(1) as f32;
                        let right = left + (rect.width() / band.len().max(1) as f32).max(1.0);
                        let (a, b) = (y(hi), y(lo).max(y(hi) + 1.0));
                        mesh.add_colored_rect(egui::Rect::from_x_y_ranges(left..=right, a..=b), color);
                    }
                    painter.add(egui::Shape::mesh(mesh));
                }
            }
            // What a drag does is decided where it starts (an edge resizes, inside pans), and
            // it follows the pointer from there, so that no frame's movement is lost.
            let drag_id = ui.scope_id().with("overview-drag");
            if response.drag_started()
                && let Some(p) = ui.input(|i| i.pointer.press_origin())
            {
                let mode = if (p.x - a).abs() <= EDGE_REACH {
                    1u8
                } else if (p.x - b).abs() <= EDGE_REACH {
                    2
                } else {
                    0
                };
                ui.data_mut(|d| d.insert_temp(drag_id, (mode, p.x, span.from_s, span.to_s)));
            }
            if let Some(cursor) = response.hover_pos()
                && ((cursor.x - a).abs() <= EDGE_REACH || (cursor.x - b).abs() <= EDGE_REACH)
            {
                ui.ctx().set_cursor_icon(egui::CursorIcon::ResizeHorizontal);
            }
            let width = span.to_s - span.from_s;
            if response.dragged()
                && let Some(p) = response.interact_pointer_pos()
                && let Some((mode, x0, from_s, to_s)) = ui.data(|d| d.get_temp::<(u8, f32, f64, f64)>(drag_id))
            {
                let dt = f64::from((p.x - x0) / rect.width().max(1.0)) * duration;
                let least = (to_s - from_s).min(duration) * 1e-3;
                let (from_s, to_s) = match mode {
                    1 => ((from_s + dt).min(to_s - least), to_s),
                    2 => (from_s, (to_s + dt).max(from_s + least)),
                    _ => (from_s + dt, to_s + dt),
                };
                if (from_s, to_s) != (span.from_s, span.to_s) {
                    messages.push(ExplorerMessage::ZoomTo { from_s, to_s }.into());
                }
            }
            if response.clicked()
                && let Some(p) = response.interact_pointer_pos()
            {
                let centre = t_at(p.x);
                messages
                    .push(ExplorerMessage::ZoomTo { from_s: centre - width / 2.0, to_s: centre + width / 2.0 }.into());
            }
        });
    }

    /// The time axis and a tick per event in view (in its kind's colour; the selected one
    /// bold); a click on a tick selects its event, elsewhere places a cursor.
    fn ruler_ui(
        &self,
        ui: &mut egui::Ui,
        frame: &Frame,
        messages: &mut Vec<Message>,
    ) -> (Span, Option<egui_plot::PlotTransform>) {
        let open = self.open;
        let start = open.capture.start.filter(|_| self.settings.time_mode == TimeMode::Absolute);
        let mut view = frame.view;
        let mut transform = None;
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 0.0;
            let (rect, _) = ui.allocate_exact_size(vec2(GUTTER, RULER), egui::Sense::hover());
            let shown = frame.events.map_or(0, |d| {
                d.events.iter().filter(|e| !open.view.event_filter.hidden_kinds.contains(&e.kind)).count()
            });
            let text = match frame.events {
                Some(_) => format!("events ({shown})"),
                None => "events".to_string(),
            };
            gutter_label(ui, rect, &text);
            let mut plot = time_linked(Plot::new("event-ruler"), frame, RULER, ui.available_width())
                .show_axes([true, true])
                .y_axis_min_width(Y_AXIS)
                .y_axis_formatter(|_, _| String::new())
                .show_grid([true, false])
                // Labels on the finer grid lines too: the time axis is the lanes' only one.
                .custom_x_axes(vec![egui_plot::AxisHints::new_x().label_spacing(28.0..=44.0)])
                .x_grid_spacer(|input| nice_grid(input, 7.0))
                .show_x(true)
                .show_y(false);
            if let Some(start) = start {
                plot = plot.x_axis_formatter(move |mark: GridMark, _range| {
                    let at = start + chrono::Duration::microseconds((mark.value * 1e6).round() as i64);
                    if mark.step_size < 1e-3 { at.format("%H:%M:%S%.6f") } else { at.format("%H:%M:%S%.3f") }
                        .to_string()
                });
            } else {
                // Seconds with as many decimals as the grid step needs.
                plot = plot.x_axis_formatter(|mark: GridMark, _range| {
                    let decimals = (-mark.step_size.log10().floor()).clamp(0.0, 9.0) as usize;
                    format!("{:.*}", decimals, mark.value)
                });
            }
            let response = plot.show(ui, |plot_ui| {
                if let Some((from_s, to_s)) = frame.zoom {
                    plot_ui.set_plot_bounds_x(from_s..=to_s);
                }
                plot_ui.set_plot_bounds_y(0.0..=1.0);
                let bounds = plot_ui.plot_bounds();
                let (x0, x1) = match frame.zoom {
                    Some(span) => span,
                    None if plot_ui.auto_bounds().x => (0.0, open.capture.duration_s()),
                    None => (bounds.min()[0], bounds.max()[0]),
                };
                view = Span::new(x0, x1);
                let mut ticks: Vec<(usize, f64)> = Vec::new();
                if let Some(d) = frame.events {
                    for (k, e) in d.events.iter().enumerate() {
                        if !(x0..=x1).contains(&e.start_s) || open.view.event_filter.hidden_kinds.contains(&e.kind) {
                            continue;
                        }
                        let width = if frame.selected_event == Some(k) { 3.0 } else { 1.5 };
                        plot_ui.vline(VLine::new(e.kind.as_str(), e.start_s).color(kind_color(e.kind)).width(width));
                        ticks.push((k, e.start_s));
                    }
                }
                // Notes: dotted marks (a span: at both ends).
                let note_color = frame.cursor_color.gamma_multiply(0.7);
                for n in &open.notes {
                    for t in std::iter::once(n.from_s).chain(n.to_s) {
                        if (x0..=x1).contains(&t) {
                            let mark =
                                VLine::new("note", t).color(note_color).style(egui_plot::LineStyle::dotted_dense());
                            plot_ui.vline(mark.width(1.5));
                        }
                    }
                }
                self.cursor_lines(plot_ui, frame);
                let response = plot_ui.response();
                let (primary, secondary) = (response.clicked(), response.secondary_clicked());
                if (primary || secondary)
                    && let Some(pointer) = plot_ui.pointer_coordinate()
                {
                    let at = plot_ui.screen_from_plot(pointer).x;
                    let nearest = ticks
                        .iter()
                        .map(|&(k, t)| (k, (plot_ui.screen_from_plot(PlotPoint::new(t, 0.0)).x - at).abs()))
                        .min_by(|a, b| a.1.total_cmp(&b.1));
                    match nearest {
                        Some((k, d)) if d <= TICK_REACH && primary => {
                            messages.push(ExplorerMessage::SelectEvent(Some(k)).into());
                        }
                        _ => {
                            messages.push(click(plot_ui.ctx(), pointer.x, secondary));
                        }
                    }
                }
            });
            transform = Some(response.transform);
        });
        (view, transform)
    }

    /// A group's header: click it to fold or unfold its lanes.
    fn group_header_ui(
        &self,
        ui: &mut egui::Ui,
        g: usize,
        group: &LaneGroup,
        lanes: usize,
        messages: &mut Vec<Message>,
    ) {
        ui.horizontal(|ui| {
            ui.set_height(GROUP_HEADER);
            let mark = if group.collapsed { "+" } else { "-" };
            let text = egui::RichText::new(format!("{mark} {}", group.name)).strong();
            let header = ui.add(egui::Button::new(text).frame(false)).on_hover_text(if group.collapsed {
                "Show this group's lanes (right-click to rename)"
            } else {
                "Fold this group's lanes (right-click to rename)"
            });
            if header.clicked() {
                let edit = LaneEdit::Collapse { group: g, collapsed: !group.collapsed };
                messages.push(ExplorerMessage::Lanes(edit).into());
            }
            header.context_menu(|ui| {
                // The name being typed lives in egui's memory until it is applied.
                let id = ui.make_persistent_id(("rename-group", g));
                let mut name = ui.data_mut(|d| d.get_temp::<String>(id)).unwrap_or_else(|| group.name.clone());
                ui.label("Rename the group");
                let field = ui.text_edit_singleline(&mut name);
                let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.data_mut(|d| d.insert_temp(id, name.clone()));
                if entered || ui.button("Rename").clicked() {
                    messages.push(ExplorerMessage::Lanes(LaneEdit::RenameGroup { group: g, name }).into());
                    ui.data_mut(|d| d.remove::<String>(id));
                    ui.close();
                }
            });
            ui.weak(if lanes == 1 { "1 lane".to_string() } else { format!("{lanes} lanes") });
        });
    }

    /// One lane: its header (drag it to move the lane, Shift+drop to overlay, right-click
    /// for more), its plot, and the handle that resizes it.
    fn lane_ui(
        &self,
        ui: &mut egui::Ui,
        l: &ShownLane,
        height: f32,
        frame: &Frame,
        traces: &mut Vec<(usize, Fetched)>,
        messages: &mut Vec<Message>,
    ) {
        let lanes_edit = |edit: LaneEdit| -> Message { ExplorerMessage::Lanes(edit).into() };
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 0.0;
            let (rect, header) = ui.allocate_exact_size(vec2(GUTTER, height), egui::Sense::click_and_drag());
            let dropping = header.dnd_hover_payload::<DraggedLane>().is_some_and(|d| d.0 != l.place);
            let fill = if dropping { ui.visuals().selection.bg_fill } else { ui.visuals().faint_bg_color };
            ui.painter().rect_filled(rect.shrink(1.0), 2.0, fill);
            self.lane_header_ui(ui, rect, l, frame.wide);
            header.dnd_set_drag_payload(DraggedLane(l.place));
            if let Some(dragged) = header.dnd_release_payload::<DraggedLane>()
                && dragged.0 != l.place
            {
                let shift = ui.ctx().input(|i| i.modifiers.shift);
                messages.push(lanes_edit(if shift {
                    LaneEdit::Overlay { from: dragged.0, into: l.place }
                } else {
                    LaneEdit::Move { from: dragged.0, to: l.place }
                }));
            }
            let (g, k) = l.place;
            header.context_menu(|ui| {
                if ui.button("Move up").clicked() && k > 0 {
                    messages.push(lanes_edit(LaneEdit::Move { from: l.place, to: (g, k - 1) }));
                    ui.close();
                }
                if ui.button("Move down").clicked() {
                    messages.push(lanes_edit(LaneEdit::Move { from: l.place, to: (g, k + 2) }));
                    ui.close();
                }
                if k > 0 && ui.button("Overlay onto the lane above").clicked() {
                    messages.push(lanes_edit(LaneEdit::Overlay { from: l.place, into: (g, k - 1) }));
                    ui.close();
                }
                if l.lane.channels.len() > 1 && ui.button("A lane per channel").clicked() {
                    messages.push(lanes_edit(LaneEdit::Split { lane: l.place }));
                    ui.close();
                }
                if ui.button("Move to a new group").clicked() {
                    let name = format!("group {}", g + 2);
                    messages.push(lanes_edit(LaneEdit::NewGroup { lane: l.place, name }));
                    ui.close();
                }
                if !l.digital && ui.button("Automatic height").clicked() {
                    messages.push(lanes_edit(LaneEdit::Resize { lane: l.place, height: lanes::AUTO }));
                    ui.close();
                }
            });
            if l.digital {
                self.digital_lane_ui(ui, l, height, frame, messages);
            } else {
                self.analog_lane_ui(ui, l, height, frame, traces, messages);
            }
        });
        if !l.digital {
            let (rect, handle) = ui.allocate_exact_size(vec2(ui.available_width(), HANDLE), egui::Sense::drag());
            if handle.hovered() || handle.dragged() {
                ui.ctx().set_cursor_icon(egui::CursorIcon::ResizeVertical);
                ui.painter().hline(rect.x_range(), rect.center().y, ui.visuals().widgets.hovered.fg_stroke);
            }
            if handle.dragged() && handle.drag_delta().y != 0.0 {
                messages.push(lanes_edit(LaneEdit::Resize { lane: l.place, height: height + handle.drag_delta().y }));
            }
        }
    }

    /// The lane's names, units and values at the cursors, drawn in its header.
    fn lane_header_ui(&self, ui: &mut egui::Ui, rect: egui::Rect, l: &ShownLane, wide: bool) {
        let open = self.open;
        let inner = rect.shrink2(vec2(6.0, 3.0));
        let mut child =
            ui.new_child(egui::UiBuilder::new().max_rect(inner).layout(egui::Layout::top_down(egui::Align::Min)));
        child.set_clip_rect(inner.intersect(ui.clip_rect()));
        child.spacing_mut().item_spacing.y = 0.0;
        let small = egui::TextStyle::Small.resolve(child.style());
        let line = small.size + 3.0;
        let mut room = ((rect.height() - 4.0) / line).floor().max(1.0) as usize;
        if let Some(title) = lanes::lane_title(&open.capture, l.lane).filter(|_| room > l.channels.len()) {
            child.add(egui::Label::new(egui::RichText::new(title).strong().small()).truncate().selectable(false));
            room -= 1;
        }
        let [a, b] = open.view.cursors;
        for (n, &i) in l.channels.iter().enumerate() {
            if n + 1 == room && l.channels.len() > room {
                child.add(egui::Label::new(
                    egui::RichText::new(format!("+{} more", l.channels.len() - n)).small().weak(),
                ));
                break;
            }
            let c = &open.capture.channels[i];
            let unit = if self.settings.per_unit && c.kind != ChannelKind::Digital { "pu" } else { c.unit.as_str() };
            let values: Vec<String> = [(a, "A"), (b, "B")]
                .into_iter()
                .filter_map(|(t, name)| Some(format!("{name} {}", self.value_at(i, t?)?)))
                .collect();
            // The thick pale line beside a trace is its one-cycle RMS; too dense, the trace
            // itself is drawn as its RMS.
            let trend = match (open.channels[i].trend.is_some(), wide, self.settings.show_trends) {
                (false, _, _) => "",
                (true, true, _) => " · RMS",
                (true, false, true) => " + RMS",
                (true, false, false) => "",
            };
            let text = if values.is_empty() {
                format!("{}  {unit}{trend}", open.display_name(i))
            } else {
                format!("{}  {} {unit}{trend}", open.display_name(i), values.join(" "))
            };
            let color = open.channels[i].color;
            child.add(egui::Label::new(egui::RichText::new(text).small().color(color)).truncate().selectable(false));
        }
    }

    /// Channel `i`'s value at `t_s` as the lane shows it (per unit when chosen).
    fn value_at(&self, i: usize, t_s: f64) -> Option<String> {
        let capture = &self.open.capture;
        let n = capture.sample_count();
        if n == 0 {
            return None;
        }
        let k = capture.index_at_or_after(t_s).min(n - 1);
        match &capture.channels[i].samples {
            Samples::Analog(v) => {
                let scale = self.scale(i);
                Some(crate::format::fmt_value(f64::from(v[k]) * scale))
            }
            Samples::Digital(bits) => Some(if bits.get(k) == Some(true) { "1" } else { "0" }.to_string()),
        }
    }

    /// What channel `i`'s values are multiplied by as shown: 1, or 1 / its 1 pu.
    fn scale(&self, i: usize) -> f64 {
        if self.settings.per_unit { self.open.per_unit_base(i).map_or(1.0, |(b, _)| 1.0 / b) } else { 1.0 }
    }

    /// Cursor A (solid) and B (dashed) in a plot.
    fn cursor_lines(&self, plot_ui: &mut egui_plot::PlotUi, frame: &Frame) {
        for (which, cursor) in self.open.view.cursors.iter().enumerate() {
            if let Some(t) = cursor {
                let name = if which == 0 { "cursor A" } else { "cursor B" };
                let style = if which == 0 { egui_plot::LineStyle::Solid } else { egui_plot::LineStyle::dashed_dense() };
                plot_ui.vline(VLine::new(name, *t).color(frame.cursor_color).width(1.5).style(style));
            }
        }
    }

    fn analog_lane_ui(
        &self,
        ui: &mut egui::Ui,
        l: &ShownLane,
        height: f32,
        frame: &Frame,
        traces: &mut Vec<(usize, Fetched)>,
        messages: &mut Vec<Message>,
    ) {
        let open = self.open;
        let (x0, x1) = frame.view.pair();
        let plot = time_linked(Plot::new(("lane", &l.lane.channels[0])), frame, height, ui.available_width())
            .show_axes([false, true])
            // Values labelled on the finer grid lines too (lanes can be short).
            .custom_y_axes(vec![egui_plot::AxisHints::new_y().label_spacing(14.0..=24.0).min_thickness(Y_AXIS)])
            .y_grid_spacer(|input| nice_grid(input, 3.0))
            .show_x(true);
        plot.show(ui, |plot_ui| {
            if let Some((from_s, to_s)) = frame.zoom {
                plot_ui.set_plot_bounds_x(from_s..=to_s);
                plot_ui.set_auto_bounds([false, true]);
            }
            if frame.fit {
                plot_ui.set_auto_bounds([false, true]);
            }
            for &i in &l.channels {
                // Fetched with the others, or here if the layout guess missed this lane.
                let fetched = match traces.iter().position(|(c, _)| *c == i) {
                    Some(k) => traces.swap_remove(k).1,
                    None => match self.traces(&[i], frame).pop() {
                        Some((_, fetched)) => fetched,
                        None => Fetched::new(Vec::new()),
                    },
                };
                let drawn = &open.channels[i].drawn.traces;
                let scale = self.scale(i);
                let rms = |trend: &Trend| {
                    // The trend is rebuilt when events are detected again.
                    let mut asked = request(frame, scale);
                    asked.push(trend.number);
                    drawn[1].points(asked, || {
                        let mut points = trend_points(trend, x0, x1, frame.width_px);
                        points.iter_mut().for_each(|p| p[1] *= scale);
                        points
                    })
                };
                let color = open.channels[i].color;
                // Too dense to read: a faint band of the waveform under its RMS.
                if frame.wide
                    && let Some(trend) = &open.channels[i].trend
                {
                    let band = Envelope::new(open.display_name(i), &fetched, color.gamma_multiply(0.18), 1.0);
                    plot_ui.add(band.cached(&drawn[0]));
                    let rms = rms(trend);
                    let name = format!("{} RMS", open.display_name(i));
                    if rms.points.len() > frame.width_px {
                        plot_ui.add(Envelope::new(name, &rms, color, 2.0).cached(&drawn[1]));
                    } else {
                        plot_ui.line(Line::new(name, PlotPoints::from(rms.points.to_vec())).color(color).width(2.0));
                    }
                    continue;
                }
                // Denser than the columns: per-column spans; else an anti-aliased line.
                if fetched.points.len() > frame.width_px {
                    plot_ui.add(Envelope::new(open.display_name(i), &fetched, color, 1.0).cached(&drawn[0]));
                } else {
                    let points = PlotPoints::from(fetched.points.to_vec());
                    plot_ui.line(Line::new(open.display_name(i), points).color(color));
                }
                if self.settings.show_trends
                    && let Some(trend) = &open.channels[i].trend
                {
                    let rms = rms(trend);
                    let (name, color) = (format!("{} RMS", open.display_name(i)), color.gamma_multiply(0.6));
                    if rms.points.len() > frame.width_px {
                        plot_ui.add(Envelope::new(name, &rms, color, 2.5).cached(&drawn[1]));
                    } else {
                        plot_ui.line(Line::new(name, PlotPoints::from(rms.points.to_vec())).color(color).width(2.5));
                    }
                }
            }
            // Only the selected event runs through the lanes; the ruler shows the rest.
            if let (Some(d), Some(k)) = (frame.events, frame.selected_event)
                && let Some(e) = d.events.get(k)
            {
                plot_ui.vline(VLine::new(e.kind.as_str(), e.start_s).color(kind_color(e.kind)).width(2.0));
            }
            self.cursor_lines(plot_ui, frame);
            let response = plot_ui.response();
            let (primary, secondary) = (response.clicked(), response.secondary_clicked());
            if (primary || secondary)
                && let Some(pointer) = plot_ui.pointer_coordinate()
            {
                messages.push(click(plot_ui.ctx(), pointer.x, secondary));
            }
        });
    }

    /// A digital lane: a bar where the bit is high, a thin line where low, drawn on the
    /// ruler's time mapping (so it lines up with the plots), with the cursors.
    fn digital_lane_ui(
        &self,
        ui: &mut egui::Ui,
        l: &ShownLane,
        height: f32,
        frame: &Frame,
        messages: &mut Vec<Message>,
    ) {
        let open = self.open;
        let (rect, response) = ui.allocate_exact_size(vec2(ui.available_width(), height), egui::Sense::click());
        let Some(t) = frame.ruler.as_ref() else { return };
        let data = egui::Rect::from_x_y_ranges(t.frame().x_range(), rect.y_range()).intersect(rect);
        let painter = ui.painter_at(data);
        let (x0, x1) = frame.view.pair();
        let i = l.channels[0];
        let color = open.channels[i].color;
        let columns = data.width().max(1.0) as usize;
        let edges = open.channels[i].edges.as_deref();
        let x = |s: f64| t.position_from_point_x(s);
        // From the changes when they are few enough (sample numbers straight to the screen,
        // at a fixed rate one multiply-add each), else a column at a time.
        let capture = &open.capture;
        let stretches: Vec<(f32, f32)> = match high_runs(capture, edges, i, x0, x1, 2 * columns) {
            Some(runs) => {
                // The ruler's mapping, as the analog lanes' envelopes take it.
                let map = Affine::of(t);
                let (origin, per_sample) = match capture.sample_rate_hz() {
                    Some(rate) => (map.ox, map.kx / rate),
                    None => (f64::NAN, f64::NAN),
                };
                let at = |k: usize| {
                    if per_sample.is_finite() { (origin + k as f64 * per_sample) as f32 } else { x(capture.time_s(k)) }
                };
                runs.into_iter().map(|(from, to)| (at(from), to.map_or(x(x1), at))).collect()
            }
            None => {
                let points = digital_points(capture, edges, i, x0, x1, columns);
                let ends = points.iter().skip(1).map(|q| q[0]).chain([x1]);
                points.iter().zip(ends).filter(|(p, _)| p[1] >= 0.5).map(|(p, end)| (x(p[0]), x(end))).collect()
            }
        };
        let (low_y, bar) = (data.bottom() - 2.0, egui::Rangef::new(data.top() + 3.0, data.bottom() - 2.0));
        painter.hline(data.x_range(), low_y, egui::Stroke::new(1.0, color.gamma_multiply(0.5)));
        // The high stretches as one mesh (no tessellation per bar), adjacent ones merged.
        let mut mesh = egui::Mesh::default();
        let mut run: Option<(f32, f32)> = None;
        for (a, b) in stretches {
            let b = b.max(a + 1.0);
            run = match run {
                Some((ra, rb)) if a <= rb + 0.5 => Some((ra, rb.max(b))),
                Some((ra, rb)) => {
                    mesh.add_colored_rect(egui::Rect::from_x_y_ranges(egui::Rangef::new(ra, rb), bar), color);
                    Some((a, b))
                }
                None => Some((a, b)),
            };
        }
        if let Some((ra, rb)) = run {
            mesh.add_colored_rect(egui::Rect::from_x_y_ranges(egui::Rangef::new(ra, rb), bar), color);
        }
        if !mesh.is_empty() {
            painter.add(egui::Shape::mesh(mesh));
        }
        for (which, cursor) in open.view.cursors.iter().enumerate() {
            if let Some(c) = cursor {
                let stroke = egui::Stroke::new(if which == 0 { 1.5 } else { 1.0 }, frame.cursor_color);
                painter.vline(x(*c), data.y_range(), stroke);
            }
        }
        if let (Some(d), Some(k)) = (frame.events, frame.selected_event)
            && let Some(e) = d.events.get(k)
        {
            painter.vline(x(e.start_s), data.y_range(), egui::Stroke::new(2.0, kind_color(e.kind)));
        }
        let (primary, secondary) = (response.clicked(), response.secondary_clicked());
        if (primary || secondary)
            && let Some(pos) = response.interact_pointer_pos()
        {
            messages.push(click(ui.ctx(), t.value_from_position(pos).x, secondary));
        }
    }
}

/// A plot on the lanes' linked time axis: time pans and zooms; values always fit.
fn time_linked<'a>(plot: Plot<'a>, frame: &Frame, height: f32, width: f32) -> Plot<'a> {
    plot.height(height)
        .width(width)
        .link_axis(frame.link, [true, false])
        .link_cursor(frame.link, [true, false])
        .allow_drag([true, false])
        .allow_scroll([true, false])
        .allow_zoom([true, false])
}

/// A weak label in a gutter cell, in a child so that what follows starts at the cell's
/// edge (the ruler's plot lines up with the lanes').
fn gutter_label(ui: &mut egui::Ui, cell: egui::Rect, text: &str) {
    let layout = egui::Layout::left_to_right(egui::Align::Center);
    let builder = egui::UiBuilder::new().max_rect(cell.shrink2(vec2(6.0, 0.0))).layout(layout);
    ui.new_child(builder).add(egui::Label::new(egui::RichText::new(text).weak()).selectable(false));
}

/// A click at `t_s` in a lane or the ruler: cursor A, or B with right-click or Shift.
fn click(ctx: &egui::Context, t_s: f64, secondary: bool) -> Message {
    let shift = ctx.input(|i| i.modifiers.shift);
    ExplorerMessage::Click { t_s, secondary: secondary || shift }.into()
}

/// Grid lines at 1, 2 or 5 times a power of ten, at least `apart` of egui's minimum steps
/// apart, so that short lanes and narrow spans still get a few labels (egui's own spacer
/// steps by tens).
fn nice_grid(input: egui_plot::GridInput, apart: f64) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let least = apart * input.base_step_size;
    if !(least.is_finite() && least > 0.0 && hi > lo) {
        return Vec::new();
    }
    let decade = 10f64.powf(least.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * decade).find(|&s| s >= least).unwrap_or(10.0 * decade);
    let (first, last) = ((lo / step).ceil() as i64, (hi / step).floor() as i64);
    if last - first > 1000 {
        return Vec::new();
    }
    (first..=last).map(|n| GridMark { value: n as f64 * step, step_size: step }).collect()
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
/// The whole of analog channel `i` in `columns` equal parts, each part's lowest and
/// highest value (parts with no value as zero-height at 0), from its pyramid; kept for the
/// next frame.
fn overview_band(open: &crate::app::OpenCapture, i: usize, columns: usize) -> Band {
    let (Some(pyramid), Samples::Analog(values)) = (&open.channels[i].pyramid, &open.capture.channels[i].samples)
    else {
        return Arc::default();
    };
    let columns = columns.clamp(1, values.len().max(1));
    let mut kept = open.channels[i].drawn.overview.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((for_columns, band)) = kept.as_ref()
        && *for_columns == columns
    {
        return band.clone();
    }
    let band: Band = Arc::new(
        pyramid
            .query(values, 0..values.len(), columns)
            .into_iter()
            .map(|m| m.map_or((0.0, 0.0), |m| (f64::from(m.min), f64::from(m.max))))
            .collect(),
    );
    *kept = Some((columns, band.clone()));
    band
}

/// What a trace's points depend on besides the channel: the span, the columns and the
/// scale (see [`super::super::state::DrawnTrace::points`]).
fn request(frame: &Frame, scale: f64) -> Vec<u64> {
    let (x0, x1) = frame.view.pair();
    vec![x0.to_bits(), x1.to_bits(), frame.width_px as u64, scale.to_bits()]
}

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
    column_points(values, &trend.pyramid, None, lo..hi, width_px, n, time)
}

/// The minimum and maximum of each bucket over `values[range]` in time order, from the
/// pyramid, placed at each bucket's first and middle sample (`time(i)` is sample `i`'s
/// time; `len` the number of samples); buckets with no value are left out.
///
/// Buckets are the widest power of two of samples no wider than a column, on the grid fixed
/// to sample 0 (so between one and two per column): each is exact, and a view that pans
/// keeps its buckets, which `run` (when given) holds from one frame to the next.
fn column_points(
    values: &[f32],
    pyramid: &Pyramid,
    run: Option<&Mutex<AlignedRun>>,
    range: std::ops::Range<usize>,
    columns: usize,
    len: usize,
    time: impl Fn(usize) -> f64,
) -> Vec<[f64; 2]> {
    let per_column = (range.len() / columns.max(1)).max(1);
    let shift = per_column.ilog2();
    let buckets = range.start >> shift..range.end.div_ceil(1 << shift);
    let mut fresh = AlignedRun::default();
    let mut guard = run.and_then(|r| r.lock().ok());
    let run = guard.as_deref_mut().unwrap_or(&mut fresh);
    let extremes = run.fetch(values, pyramid, shift, buckets.clone());
    let end = len.min(values.len());
    let mut points = Vec::with_capacity(extremes.len());
    points.extend(buckets.zip(extremes).filter_map(|(k, m)| {
        let start = k << shift;
        let [a, b] = m.as_ref()?.in_order();
        let middle = start + (end - start).min(1 << shift) / 2;
        Some([[time(start), f64::from(a)], [time(middle), f64::from(b)]])
    }));
    points.into_flattened()
}

/// The stretches where digital channel `index` is high between `x0` and `x1` seconds, as
/// sample numbers from a change (or the first sample in view) to the next change (`None`
/// for a stretch that stays high to the end of the view), walked from its list of changes:
/// exact at any zoom, and as cheap as the changes in view are few. `None` without a list,
/// or with more than `at_most` changes in view (then [`digital_points`] gives a column's
/// worth at a time).
pub fn high_runs(
    capture: &Capture,
    edges: Option<&[usize]>,
    index: usize,
    x0: f64,
    x1: f64,
    at_most: usize,
) -> Option<Vec<(usize, Option<usize>)>> {
    let (Some(edges), Samples::Digital(bits)) = (edges, &capture.channels[index].samples) else { return None };
    let (lo, hi) = samples_in_view(capture, x0, x1);
    let first = bits.get(0)?;
    let (k, end) = (edges.partition_point(|&e| e <= lo), edges.partition_point(|&e| e < hi));
    if end - k > at_most {
        return None;
    }
    // Changes at or before `lo` set the state there.
    let mut high = (first ^ (k % 2 == 1)).then_some(lo);
    let mut runs = Vec::with_capacity((end - k) / 2 + 1);
    for &e in &edges[k..end] {
        match high.take() {
            Some(from) => runs.push((from, Some(e))),
            None => high = Some(e),
        }
    }
    runs.extend(high.map(|from| (from, None)));
    Some(runs)
}

/// The states of digital channel `index` between `x0` and `x1` seconds, per pixel column
/// its first state and its first change, as [`decimated_points`] gives them, from the list
/// of its changes when there is one (a walk over the changes in view, not the bits).
pub fn digital_points(
    capture: &Capture,
    edges: Option<&[usize]>,
    index: usize,
    x0: f64,
    x1: f64,
    width_px: usize,
) -> Vec<[f64; 2]> {
    let (Some(edges), Samples::Digital(bits)) = (edges, &capture.channels[index].samples) else {
        return decimated_points(capture, None, None, index, x0, x1, width_px);
    };
    let (lo, hi) = samples_in_view(capture, x0, x1);
    let Some(first) = bits.get(0) else { return Vec::new() };
    let as_value = |b: bool| if b { 1.0 } else { 0.0 };
    let columns = width_px.max(1).min(hi - lo);
    let mut points = Vec::with_capacity(2 * columns);
    // Changes at or before `lo` set the state there.
    let mut k = edges.partition_point(|&e| e <= lo);
    let mut state = first ^ (k % 2 == 1);
    for r in equal_index_buckets(hi - lo, columns).map(|r| lo + r.start..lo + r.end) {
        while k < edges.len() && edges[k] <= r.start {
            state = !state;
            k += 1;
        }
        points.push([capture.time_s(r.start), as_value(state)]);
        if let Some(&e) = edges.get(k).filter(|&&e| e < r.end) {
            points.push([capture.time_s(e), as_value(!state)]);
        }
    }
    points
}

/// The samples from just before `x0` to just after `x1` seconds (all of them when the span
/// is empty or not finite).
fn samples_in_view(capture: &Capture, x0: f64, x1: f64) -> (usize, usize) {
    let n = capture.sample_count();
    let (lo, hi) = if x1 > x0 && x0.is_finite() && x1.is_finite() {
        (capture.index_at_or_after(x0).saturating_sub(1), (capture.index_at_or_after(x1) + 1).min(n))
    } else {
        (0, n)
    };
    if hi <= lo { (0, n) } else { (lo, hi) }
}

/// Min/max points of channel `index` between `x0` and `x1` seconds: for analog channels two
/// per bucket of one to two per pixel column, from its pyramid (`run` keeps the buckets for
/// the next frame), for digital ones the states and their changes.
pub fn decimated_points(
    capture: &Capture,
    pyramid: Option<&Pyramid>,
    run: Option<&Mutex<AlignedRun>>,
    index: usize,
    x0: f64,
    x1: f64,
    width_px: usize,
) -> Vec<[f64; 2]> {
    let n = capture.sample_count();
    let (lo, hi) = samples_in_view(capture, x0, x1);
    let width_px = width_px.max(1);
    match (&capture.channels[index].samples, pyramid) {
        (Samples::Analog(v), _) if hi - lo <= 2 * width_px => {
            (lo..hi).filter(|&i| v[i].is_finite()).map(|i| [capture.time_s(i), f64::from(v[i])]).collect()
        }
        (Samples::Analog(v), Some(p)) => {
            // Two points per column, at the column's first and middle sample: exact in
            // value and in order, within a column in time. At a fixed rate a bucket's time
            // is one multiply, within two units in the last place of `time_s`'s division
            // (which no plot can show): the division was this walk's largest cost.
            match capture.sample_rate_hz() {
                Some(rate) => {
                    let period = 1.0 / rate;
                    // Sample numbers fit in an i64, whose conversion is one instruction.
                    column_points(v, p, run, lo..hi, width_px, n, |i| i as i64 as f64 * period)
                }
                None => column_points(v, p, run, lo..hi, width_px, n, |i| capture.time_s(i)),
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{Bits, Channel, Format};

    /// A status bit that changes at irregular samples.
    fn digital(n: usize, changes: &[usize]) -> Capture {
        let bits: Bits = (0..n).map(|i| changes.iter().filter(|&&c| c <= i).count() % 2 == 1).collect();
        let mut c = Capture::new("bits", Format::Memory, 1000.0);
        c.channels.push(Channel::digital("trip", bits));
        c
    }

    #[test]
    fn before_its_trend_the_overview_shows_each_part_of_the_capture_as_its_extremes() {
        let mut c = Capture::new("ramp", Format::Memory, 1000.0);
        c.channels.push(Channel::analog("I_1", "A", None, (0..10_000).map(|i| i as f32).collect()));
        let open = crate::app::OpenCapture::build(0, "ramp".into(), c);
        let band = overview_band(&open, 0, 100);
        assert_eq!(band.len(), 100);
        assert_eq!(band[0], (0.0, 99.0));
        assert_eq!(band[99], (9900.0, 9999.0));
    }

    #[test]
    fn high_runs_run_between_the_changes() {
        let changes = [3, 4, 17, 250, 251, 999];
        let c = digital(1000, &changes);
        let edges = match &c.channels[0].samples {
            Samples::Digital(bits) => bits.changes(1000).expect("few changes"),
            Samples::Analog(_) => unreachable!(),
        };
        assert_eq!(edges, changes);
        let t = |k: usize| c.time_s(k);
        let (x0, x1) = (0.0, c.duration_s());
        let all = high_runs(&c, Some(&edges), 0, x0, x1, 100).expect("a list");
        assert_eq!(all, vec![(3, Some(4)), (17, Some(250)), (251, Some(999))]);
        // A view that starts while the channel is high starts a stretch there; one that
        // ends while it is high runs to its end.
        let part = high_runs(&c, Some(&edges), 0, t(100), t(260), 100).expect("a list");
        assert_eq!(part, vec![(99, Some(250)), (251, None)]);
        // Too many changes in view: the caller goes column by column.
        assert_eq!(high_runs(&c, Some(&edges), 0, x0, x1, 5), None);
    }

    #[test]
    fn a_digital_lanes_transitions_equal_the_samples() {
        let changes = [3, 4, 17, 250, 251, 999];
        let c = digital(1000, &changes);
        // As many columns as samples or more: every transition, at its sample's time.
        let points = decimated_points(&c, None, None, 0, 0.0, c.duration_s(), 2000);
        let edges: Vec<f64> = points.windows(2).filter(|w| w[0][1] != w[1][1]).map(|w| w[1][0]).collect();
        let expected: Vec<f64> = changes.iter().map(|&k| c.time_s(k)).collect();
        assert_eq!(edges, expected);
        // Zoomed in on one edge: exact there too.
        let points = decimated_points(&c, None, None, 0, 0.2, 0.3, 2000);
        let edges: Vec<f64> = points.windows(2).filter(|w| w[0][1] != w[1][1]).map(|w| w[1][0]).collect();
        assert_eq!(edges, [c.time_s(250), c.time_s(251)]);
        // Fewer columns than samples: each change still shows in its column.
        let points = decimated_points(&c, None, None, 0, 0.0, c.duration_s(), 100);
        assert!(points.iter().any(|p| p[0] == c.time_s(17)), "{points:?}");
        // From the list of changes: the same points as the scan, at every zoom.
        let Samples::Digital(bits) = &c.channels[0].samples else { unreachable!() };
        let edges = bits.changes(usize::MAX).unwrap();
        for (x0, x1, columns) in
            [(0.0, c.duration_s(), 2000), (0.2, 0.3, 2000), (0.0, c.duration_s(), 100), (0.01, 0.5, 7)]
        {
            assert_eq!(
                digital_points(&c, Some(&edges), 0, x0, x1, columns),
                decimated_points(&c, None, None, 0, x0, x1, columns),
                "{x0}..{x1} on {columns} columns"
            );
        }
    }
}
