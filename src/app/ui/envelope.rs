//! A dense trace drawn as one filled span per pixel column: the range the polyline through
//! its points covers in that column, widened to the line width. This is what a 1-pixel
//! polyline rasterises to, at a fraction of the cost of tessellating thousands of
//! anti-aliased segments, so the explorer uses it whenever a trace has more points than the
//! plot has columns.

use std::ops::RangeInclusive;

use eframe::egui::{self, Color32, Mesh, Rect, Shape, Ui, pos2};

use super::super::state::{DrawnTrace, Fetched};
use egui_plot::{PlotBounds, PlotGeometry, PlotItem, PlotItemBase, PlotPoint, PlotTransform};

/// A trace of points ordered in time, drawn as per-column spans.
pub struct Envelope<'a> {
    base: PlotItemBase,
    fetched: Fetched,
    color: Color32,
    /// Line width in points.
    width: f32,
    /// Where last frame's mesh is kept, to be drawn again when nothing changed.
    cache: Option<&'a DrawnTrace>,
}

impl<'a> Envelope<'a> {
    pub fn new(name: impl Into<String>, fetched: &Fetched, color: Color32, width: f32) -> Self {
        Self { base: PlotItemBase::new(name.into()), fetched: fetched.clone(), color, width, cache: None }
    }

    /// Keeps the mesh in `cache`, and draws the kept one when the points, the transform,
    /// the colour and the width are those it was built for.
    pub fn cached(self, cache: &'a DrawnTrace) -> Self {
        Self { cache: Some(cache), ..self }
    }

    fn mesh(&self, ui: &Ui, transform: &PlotTransform) -> Mesh {
        let frame = *transform.frame();
        let x0 = frame.left().floor();
        let columns = (frame.right().ceil() - x0).max(0.0) as usize;
        // The plot's mapping as one multiply-add per axis.
        let bounds = transform.bounds();
        let (min, max) = (bounds.min(), bounds.max());
        let corner = |x: f64, y: f64| transform.position_from_point(&PlotPoint::new(x, y));
        let (p0, p1) = (corner(min[0], min[1]), corner(max[0], max[1]));
        let (kx, ky) = (f64::from(p1.x - p0.x) / (max[0] - min[0]), f64::from(p1.y - p0.y) / (max[1] - min[1]));
        let (kx, ky) = (if kx.is_finite() { kx } else { 0.0 }, if ky.is_finite() { ky } else { 0.0 });
        let screen: Vec<egui::Pos2> = self
            .fetched
            .points
            .iter()
            .map(|p| {
                pos2((f64::from(p0.x) + (p[0] - min[0]) * kx) as f32, (f64::from(p0.y) + (p[1] - min[1]) * ky) as f32)
            })
            .collect();
        let half = 0.5 * self.width.max(1.0);
        let ppp = ui.ctx().pixels_per_point();
        let mut mesh = Mesh::default();
        mesh.reserve_triangles(2 * columns);
        mesh.reserve_vertices(4 * columns);
        let mut runs = Runs::new(frame, ppp);
        for_each_span(&screen, x0, columns, |c, lo, hi| {
            if let Some(rect) = runs.add(x0 + c as f32, lo - half, hi + half) {
                mesh.add_colored_rect(rect, self.color);
            }
        });
        if let Some(rect) = runs.finish() {
            mesh.add_colored_rect(rect, self.color);
        }
        mesh
    }
}

/// Per column of the plot frame (`x0 .. x0 + columns`), the lowest and highest screen `y`
/// of the polyline through `screen` (ordered by `x`), in one pass: `span(column, lo, hi)`
/// is called once for each column the polyline touches, in order. Where the line enters
/// and leaves the frame it counts from the frame's edge.
fn for_each_span(screen: &[egui::Pos2], x0: f32, columns: usize, mut span: impl FnMut(usize, f32, f32)) {
    if columns == 0 || screen.is_empty() {
        return;
    }
    let last = columns - 1;
    let right = x0 + columns as f32;
    // Truncation is the floor for the non-negative offsets it is given.
    let column = |x: f32| if x > x0 { ((x - x0) as usize).min(last) } else { 0 };
    let mut gather = Gather { column: usize::MAX, lo: f32::INFINITY, hi: f32::NEG_INFINITY };
    if let [only] = screen {
        if only.y.is_finite() && only.x >= x0 && only.x < right {
            gather.add(column(only.x), only.y, only.y, &mut span);
        }
    } else {
        // The points in the frame, and one either side for the line entering and leaving.
        let inside = screen.partition_point(|p| p.x < x0);
        let beyond = screen.partition_point(|p| p.x < right);
        let (first, end) = (inside.saturating_sub(1), (beyond + 1).min(screen.len()));
        let interior = &screen[inside..beyond];
        if interior.len() > 1 && interior.iter().all(|p| p.y.is_finite()) {
            // Entering, the points inside (in time order, finite: a tight walk), leaving.
            segments(&screen[first..=inside], x0, right, &column, &mut gather, &mut span);
            let mut c = column(interior[0].x);
            for pair in interior.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let cb = column(b.x);
                if cb == c {
                    gather.add(c, a.y.min(b.y), a.y.max(b.y), &mut span);
                } else {
                    crossing(a, b, c, cb, x0, &mut gather, &mut span);
                }
                c = cb;
            }
            segments(&screen[beyond - 1..end], x0, right, &column, &mut gather, &mut span);
        } else {
            segments(&screen[first..end], x0, right, &column, &mut gather, &mut span);
        }
    }
    if gather.column != usize::MAX {
        span(gather.column, gather.lo, gather.hi);
    }
}

/// The segments between consecutive `points` for [`for_each_span`], each checked: missing
/// values, out of the frame, out of order, crossing the frame's edge.
fn segments(
    points: &[egui::Pos2],
    x0: f32,
    right: f32,
    column: &impl Fn(f32) -> usize,
    gather: &mut Gather,
    span: &mut impl FnMut(usize, f32, f32),
) {
    for pair in points.windows(2) {
        let (mut a, mut b) = (pair[0], pair[1]);
        if !(a.y.is_finite() && b.y.is_finite()) || b.x < x0 || a.x >= right {
            continue;
        }
        if b.x <= a.x {
            // Out of order (or one above the other): each end where it lies.
            for p in [a, b] {
                if p.x >= x0 && p.x < right {
                    gather.add(column(p.x), p.y, p.y, span);
                }
            }
            continue;
        }
        let slope = (b.y - a.y) / (b.x - a.x);
        if a.x < x0 {
            a = egui::pos2(x0, a.y + slope * (x0 - a.x));
        }
        if b.x > right {
            b = egui::pos2(right, a.y + slope * (right - a.x));
        }
        let (ca, cb) = (column(a.x), column(b.x));
        if ca == cb {
            gather.add(ca, a.y.min(b.y), a.y.max(b.y), span);
        } else {
            crossing(a, b, ca, cb, x0, gather, span);
        }
    }
}

/// A segment from `a` in column `ca` to `b` in a later column `cb`: where it crosses a
/// column edge it belongs to both columns.
#[inline]
fn crossing(
    a: egui::Pos2,
    b: egui::Pos2,
    ca: usize,
    cb: usize,
    x0: f32,
    gather: &mut Gather,
    span: &mut impl FnMut(usize, f32, f32),
) {
    if cb == ca + 1 {
        // The common case, from one column into the next: one edge, two spans.
        let y = a.y + (b.y - a.y) * ((x0 + cb as f32 - a.x) / (b.x - a.x));
        gather.add(ca, a.y.min(y), a.y.max(y), span);
        gather.add(cb, y.min(b.y), y.max(b.y), span);
        return;
    }
    let slope = (b.y - a.y) / (b.x - a.x);
    gather.add(ca, a.y, a.y, span);
    for c in ca..cb {
        let y = a.y + slope * (x0 + (c + 1) as f32 - a.x);
        gather.add(c, y, y, span);
        gather.add(c + 1, y, y, span);
    }
    gather.add(cb, b.y, b.y, span);
}

/// The column [`for_each_span`] is gathering, and its extent so far.
struct Gather {
    column: usize,
    lo: f32,
    hi: f32,
}

impl Gather {
    /// Widens the span of column `c`; moving on to another column hands the finished one on.
    #[inline(always)]
    fn add(&mut self, c: usize, lo: f32, hi: f32, span: &mut impl FnMut(usize, f32, f32)) {
        if c == self.column {
            self.lo = self.lo.min(lo);
            self.hi = self.hi.max(hi);
        } else {
            if self.column != usize::MAX {
                span(self.column, self.lo, self.hi);
            }
            (self.column, self.lo, self.hi) = (c, lo, hi);
        }
    }
}

/// Column spans turned into rectangles that cover exactly the physical pixels whose centres
/// the spans cover (each span at least one pixel tall), clipped to the plot frame, with
/// neighbouring columns that cover the same pixel rows merged into one rectangle: a band of
/// steady amplitude costs a few rectangles instead of one per column.
struct Runs {
    frame: Rect,
    ppp: f32,
    /// The run being gathered: its left and right edges (points) and its pixel rows; no
    /// run while `right` is NaN.
    left: f32,
    right: f32,
    first: i32,
    last: i32,
}

impl Runs {
    fn new(frame: Rect, ppp: f32) -> Self {
        Self { frame, ppp, left: 0.0, right: f32::NAN, first: 0, last: 0 }
    }

    /// Adds the column from `x` to `x + 1` spanning `lo..=hi` (points); gives a finished
    /// rectangle when this column does not extend the run before it.
    #[inline]
    fn add(&mut self, x: f32, lo: f32, hi: f32) -> Option<Rect> {
        let (left, right) = (x.max(self.frame.left()), (x + 1.0).min(self.frame.right()));
        let (lo, hi) = (lo.max(self.frame.top()), hi.min(self.frame.bottom()));
        if left >= right || lo > hi {
            return None;
        }
        // Pixel row r (centre r + 0.5) is covered when lo <= (r + 0.5) / ppp <= hi.
        let first = ceil(lo * self.ppp - 0.5);
        let last = floor(hi * self.ppp - 0.5).max(first);
        // Columns sit at whole points, so a neighbour's edge is equal, not close.
        if first == self.first && last == self.last && left == self.right {
            self.right = right;
            return None;
        }
        let done = self.finish();
        (self.left, self.right, self.first, self.last) = (left, right, first, last);
        done
    }

    /// The rectangle of the run being gathered, which ends it.
    fn finish(&mut self) -> Option<Rect> {
        if self.right.is_nan() {
            return None;
        }
        let rows = |r: i32| r as f32 / self.ppp;
        let rect = Rect::from_min_max(pos2(self.left, rows(self.first)), pos2(self.right, rows(self.last + 1)));
        self.right = f32::NAN;
        Some(rect)
    }
}

/// `x.floor()` and `x.ceil()` as integers without a call into libm (the baseline x86-64
/// target has no rounding instruction), for the finite screen coordinates given.
#[inline(always)]
fn floor(x: f32) -> i32 {
    let t = x as i32;
    t - i32::from((t as f32) > x)
}

#[inline(always)]
fn ceil(x: f32) -> i32 {
    let t = x as i32;
    t + i32::from((t as f32) < x)
}

impl PlotItem for Envelope<'_> {
    fn shapes(&self, ui: &Ui, transform: &PlotTransform, shapes: &mut Vec<Shape>) {
        let Some(cache) = self.cache else {
            let mesh = self.mesh(ui, transform);
            if !mesh.is_empty() {
                shapes.push(Shape::mesh(mesh));
            }
            return;
        };
        let (frame, bounds) = (transform.frame(), transform.bounds());
        let key: Vec<u64> = [self.fetched.number, u64::from(u32::from_ne_bytes(self.color.to_array()))]
            .into_iter()
            .chain(
                [frame.min.x, frame.min.y, frame.max.x, frame.max.y, self.width, ui.ctx().pixels_per_point()]
                    .map(|v| u64::from(v.to_bits())),
            )
            .chain([bounds.min()[0], bounds.min()[1], bounds.max()[0], bounds.max()[1]].map(f64::to_bits))
            .collect();
        let mut slot = cache.mesh.lock().unwrap_or_else(|e| e.into_inner());
        let mesh = match slot.as_ref() {
            Some((built_for, mesh)) if *built_for == key => mesh.clone(),
            _ => {
                let mesh = std::sync::Arc::new(self.mesh(ui, transform));
                *slot = Some((key, mesh.clone()));
                mesh
            }
        };
        if !mesh.is_empty() {
            shapes.push(Shape::Mesh(mesh));
        }
    }

    fn initialize(&mut self, _x_range: RangeInclusive<f64>) {}

    fn color(&self) -> Color32 {
        self.color
    }

    fn geometry(&self) -> PlotGeometry<'_> {
        PlotGeometry::None
    }

    fn bounds(&self) -> PlotBounds {
        let mut bounds = PlotBounds::NOTHING;
        if let Some([x_min, x_max, y_min, y_max]) = self.fetched.extent {
            bounds.extend_with(&PlotPoint::new(x_min, y_min));
            bounds.extend_with(&PlotPoint::new(x_max, y_max));
        }
        bounds
    }

    fn base(&self) -> &PlotItemBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut PlotItemBase {
        &mut self.base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column_spans(screen: &[egui::Pos2], x0: f32, columns: usize) -> Vec<(f32, f32)> {
        let mut spans = vec![(f32::INFINITY, f32::NEG_INFINITY); columns];
        for_each_span(screen, x0, columns, |c, lo, hi| spans[c] = (lo, hi));
        spans
    }

    #[test]
    fn dense_points_give_each_column_its_extremes_joined_to_the_neighbours() {
        // Two points per column: (min, max) of each, in columns 0..3.
        let screen = [pos2(0.1, 5.0), pos2(0.6, 9.0), pos2(1.1, 2.0), pos2(1.6, 3.0), pos2(2.2, 4.0), pos2(2.7, 4.5)];
        let spans = column_spans(&screen, 0.0, 4);
        // Column 0 holds 5..9, and the fall towards 2 down to where it leaves at x = 1.
        let at = |y0: f32, y1: f32, f: f32| y0 + (y1 - y0) * f;
        assert!((spans[0].0 - at(9.0, 2.0, 0.4 / 0.5)).abs() < 1e-4 && spans[0].1 == 9.0, "{:?}", spans[0]);
        // Column 1: from there down to 2, and up to where the rise leaves at x = 2.
        assert_eq!(spans[1].0, 2.0);
        assert!((spans[1].1 - at(3.0, 4.0, 0.4 / 0.6)).abs() < 1e-4, "{:?}", spans[1]);
        assert!((spans[2].0 - at(3.0, 4.0, 0.4 / 0.6)).abs() < 1e-4 && spans[2].1 == 4.5, "{:?}", spans[2]);
        assert_eq!(spans[3], (f32::INFINITY, f32::NEG_INFINITY), "nothing drawn past the data");
    }

    #[test]
    fn a_long_segment_is_interpolated_across_the_columns_it_crosses() {
        let spans = column_spans(&[pos2(0.0, 0.0), pos2(4.0, 8.0)], 0.0, 4);
        assert_eq!(spans, vec![(0.0, 2.0), (2.0, 4.0), (4.0, 6.0), (6.0, 8.0)]);
    }

    #[test]
    fn points_outside_the_frame_only_count_where_the_line_enters() {
        let spans = column_spans(&[pos2(-10.0, 0.0), pos2(2.0, 12.0), pos2(30.0, 0.0)], 0.0, 3);
        assert_eq!(spans[0], (10.0, 11.0));
        assert!(spans[2].1 >= 12.0 - 1e-4 && spans[2].0 < 12.0);
        assert!(column_spans(&[], 0.0, 3).iter().all(|s| s.0 > s.1));
        assert_eq!(column_spans(&[pos2(1.5, 3.0)], 0.0, 3)[1], (3.0, 3.0));
    }

    #[test]
    fn the_walk_inside_the_frame_equals_checking_every_segment() {
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        for case in 0..50 {
            let mut x = -5.0 + 3.0 * next();
            let points: Vec<egui::Pos2> = (0..400)
                .map(|_| {
                    x += 0.05 + 1.5 * next() * next();
                    pos2(x, 100.0 * next())
                })
                .collect();
            let columns = 40 + case;
            let checked = {
                let column = |x: f32| if x > 0.0 { (x as usize).min(columns - 1) } else { 0 };
                let mut spans = vec![(f32::INFINITY, f32::NEG_INFINITY); columns];
                let mut gather = Gather { column: usize::MAX, lo: f32::INFINITY, hi: f32::NEG_INFINITY };
                let mut put = |c: usize, lo: f32, hi: f32| spans[c] = (lo, hi);
                segments(&points, 0.0, columns as f32, &column, &mut gather, &mut put);
                if gather.column != usize::MAX {
                    put(gather.column, gather.lo, gather.hi);
                }
                spans
            };
            assert_eq!(column_spans(&points, 0.0, columns), checked, "case {case}");
        }
    }

    #[test]
    fn integer_floor_and_ceil() {
        for x in [-2.5f32, -2.0, -0.5, -0.0, 0.0, 0.3, 1.0, 7.99, 1e6 + 0.5] {
            assert_eq!(floor(x), x.floor() as i32, "{x}");
            assert_eq!(ceil(x), x.ceil() as i32, "{x}");
        }
    }

    #[test]
    fn rectangles_cover_the_pixels_the_spans_cover_and_merge_steady_columns() {
        let frame = Rect::from_min_max(pos2(0.0, 0.0), pos2(6.0, 40.0));
        for ppp in [1.0, 1.5, 2.0] {
            let mut runs = Runs::new(frame, ppp);
            let spans = [(3.2, 9.7), (3.4, 9.9), (3.4, 9.9), (10.0, 10.6), (-5.0, 50.0), (20.0, 21.0)];
            let mut rects: Vec<Rect> =
                spans.iter().enumerate().filter_map(|(c, &(lo, hi))| runs.add(c as f32, lo, hi)).collect();
            rects.extend(runs.finish());
            let covered = |px: f32, py: f32| rects.iter().any(|r| r.contains(pos2(px, py)) && py < r.max.y);
            for (c, &(lo, hi)) in spans.iter().enumerate() {
                let (lo, hi) = (f32::max(lo, 0.0), f32::min(hi, 40.0));
                let mut any = false;
                for row in 0..(40.0 * ppp) as i32 {
                    let centre = (row as f32 + 0.5) / ppp;
                    let inside = lo <= centre && centre <= hi;
                    any |= inside;
                    if inside || hi - lo >= 1.0 {
                        assert_eq!(covered(c as f32 + 0.5, centre), inside, "ppp {ppp}, column {c}, row {row}");
                    }
                }
                assert!(any || rects.iter().any(|r| r.min.x <= c as f32 && r.max.x > c as f32), "column {c} drawn");
            }
            if ppp == 1.0 {
                // Columns 0..3 cover rows 3..=9 alike: one rectangle.
                assert_eq!(rects.len(), 4, "{rects:?}");
            }
        }
    }
}
