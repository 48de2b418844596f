//! A dense trace drawn as one filled span per pixel column: the range the polyline through
//! its points covers in that column, widened to the line width. This is what a 1-pixel
//! polyline rasterises to, at a fraction of the cost of tessellating thousands of
//! anti-aliased segments, so the explorer uses it whenever a trace has more points than the
//! plot has columns. The spans are one strip of quads, two vertices per column whose rows
//! change (see [`strip`]).

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
        let map = Affine::of(transform);
        let extents = column_extents(&self.fetched.points, map, x0, columns);
        strip(&extents, x0, frame, ui.ctx().pixels_per_point(), 0.5 * self.width.max(1.0), self.color)
    }
}

/// The plot's mapping to the screen, one multiply-add per axis: screen `x` is
/// `ox + kx * x`, screen `y` is `oy + ky * y`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Affine {
    pub ox: f64,
    pub kx: f64,
    pub oy: f64,
    pub ky: f64,
}

impl Affine {
    /// The mapping of `transform` (a degenerate axis maps everything to its corner).
    pub fn of(transform: &PlotTransform) -> Self {
        let bounds = transform.bounds();
        let (min, max) = (bounds.min(), bounds.max());
        let corner = |x: f64, y: f64| transform.position_from_point(&PlotPoint::new(x, y));
        let (p0, p1) = (corner(min[0], min[1]), corner(max[0], max[1]));
        let (kx, ky) = (f64::from(p1.x - p0.x) / (max[0] - min[0]), f64::from(p1.y - p0.y) / (max[1] - min[1]));
        let (kx, ky) = (if kx.is_finite() { kx } else { 0.0 }, if ky.is_finite() { ky } else { 0.0 });
        Self { ox: f64::from(p0.x) - min[0] * kx, kx, oy: f64::from(p0.y) - min[1] * ky, ky }
    }

    #[inline(always)]
    fn x(&self, x: f64) -> f32 {
        (self.ox + x * self.kx) as f32
    }

    #[inline(always)]
    fn y(&self, y: f64) -> f32 {
        (self.oy + y * self.ky) as f32
    }

    #[inline(always)]
    fn at(&self, p: &[f64; 2]) -> egui::Pos2 {
        pos2(self.x(p[0]), self.y(p[1]))
    }
}

/// Per column of the plot frame (`x0 .. x0 + columns`), the lowest and highest screen `y`
/// the polyline through `points` (ordered by time, mapped to the screen by `map`)
/// takes in it; `lo > hi` in columns it does not touch. Where the line enters and leaves
/// the frame it counts from the frame's edge.
fn column_extents(points: &[[f64; 2]], map: Affine, x0: f32, columns: usize) -> Extents {
    let to_screen = |p: &[f64; 2]| map.at(p);
    let mut extents = Extents::new(columns);
    if columns == 0 || points.is_empty() {
        return extents;
    }
    let last = columns - 1;
    let right = x0 + columns as f32;
    // Truncation is the floor for the non-negative offsets it is given.
    let column = |x: f32| if x > x0 { ((x - x0) as usize).min(last) } else { 0 };
    let screen = |range: std::ops::Range<usize>| -> Vec<egui::Pos2> { points[range].iter().map(&to_screen).collect() };
    if let [only] = points {
        let p = to_screen(only);
        if p.y.is_finite() && p.x >= x0 && p.x < right {
            extents.widen(column(p.x), p.y, p.y);
        }
        return extents;
    }
    // The points in the frame, and one either side for the line entering and leaving.
    let inside = points.partition_point(|p| to_screen(p).x < x0);
    let beyond = points.partition_point(|p| to_screen(p).x < right);
    let (first, end) = (inside.saturating_sub(1), (beyond + 1).min(points.len()));
    let interior = &points[inside..beyond];
    // On the screen in one pass each, and checked there: the points were fetched on
    // another core, so the first pass over them is the dear one.
    let xs: Vec<f32> = interior.iter().map(|p| map.x(p[0])).collect();
    let ys: Vec<f32> = interior.iter().map(|p| map.y(p[1])).collect();
    let ordered = xs.windows(2).fold(true, |ok, w| ok & (w[0] <= w[1]));
    let finite = ys.iter().fold(true, |ok, y| ok & y.is_finite());
    if interior.len() > 1 && ordered && finite {
        // Entering, the points inside (in time order, finite: a tight walk), leaving.
        segments(&screen(first..inside + 1), x0, right, &column, &mut extents);
        walk(&xs, &ys, x0, right, &column, &mut extents);
        segments(&screen(beyond - 1..end), x0, right, &column, &mut extents);
    } else {
        segments(&screen(first..end), x0, right, &column, &mut extents);
    }
    extents
}

/// The walk of [`column_extents`] over screen points inside the frame (`xs`, `ys`), finite
/// and in order of `x`. It keeps the extent of the column it is in in registers: each
/// column it moves on to is one it has not touched, so no step waits on the one before
/// through memory (a read-modify-write of the same column at every step did).
fn walk(xs: &[f32], ys: &[f32], x0: f32, right: f32, column: &impl Fn(f32) -> usize, extents: &mut Extents) {
    let (Some(&x), Some(&y)) = (xs.first(), ys.first()) else { return };
    let (lesser, greater) = (|a: f32, b: f32| if a < b { a } else { b }, |a: f32, b: f32| if a > b { a } else { b });
    let (mut a, mut ca) = (pos2(x, y), column(x));
    let (mut lo, mut hi) = (lesser(extents.lo[ca], a.y), greater(extents.hi[ca], a.y));
    for (&x, &y) in xs[1..].iter().zip(&ys[1..]) {
        let (b, cb) = (pos2(x, y), column(x));
        if cb <= ca + 1 {
            // `e` is where the segment leaves the column, or its end when it stays.
            let e = at_edge(a, b, x0 + (ca + 1) as f32);
            let (lo_a, hi_a) = (lesser(lo, e), greater(hi, e));
            extents.lo[ca] = lo_a;
            extents.hi[ca] = hi_a;
            // Into the next column, the extent starts afresh.
            (lo, hi) = if cb == ca { (lo_a, hi_a) } else { (lesser(e, b.y), greater(e, b.y)) };
        } else {
            // Across several columns (sparse points): each edge checked.
            (extents.lo[ca], extents.hi[ca]) = (lo, hi);
            segments(&[a, b], x0, right, column, extents);
            (lo, hi) = (extents.lo[cb], extents.hi[cb]);
        }
        (a, ca) = (b, cb);
    }
    (extents.lo[ca], extents.hi[ca]) = (lo, hi);
}

/// The `y` of the segment from `a` to `b` (`a.x <= b.x`, `a.x < edge`) where it meets the
/// vertical line at `edge`, or `b.y` exactly when it ends before: one formula for the walk
/// and for the checked segments, so both give the same bits.
#[inline(always)]
fn at_edge(a: egui::Pos2, b: egui::Pos2, edge: f32) -> f32 {
    // Beyond `b` the fraction is over 1 (or infinite where `a.x == b.x`): clamped, `b.y`.
    let t = ((edge - a.x) / (b.x - a.x)).min(1.0);
    b.y - (b.y - a.y) * (1.0 - t)
}

/// Per column, the lowest and highest screen `y` so far.
struct Extents {
    lo: Vec<f32>,
    hi: Vec<f32>,
}

impl Extents {
    fn new(columns: usize) -> Self {
        Self { lo: vec![f32::INFINITY; columns], hi: vec![f32::NEG_INFINITY; columns] }
    }

    #[inline(always)]
    fn widen(&mut self, c: usize, lo: f32, hi: f32) {
        self.lo[c] = self.lo[c].min(lo);
        self.hi[c] = self.hi[c].max(hi);
    }
}

/// The segments between consecutive `points` for [`column_extents`], each checked: missing
/// values, out of the frame, out of order, crossing the frame's edge, crossing columns.
fn segments(points: &[egui::Pos2], x0: f32, right: f32, column: &impl Fn(f32) -> usize, extents: &mut Extents) {
    for pair in points.windows(2) {
        let (mut a, mut b) = (pair[0], pair[1]);
        if !(a.y.is_finite() && b.y.is_finite()) || b.x < x0 || a.x >= right {
            continue;
        }
        if b.x <= a.x {
            // Out of order (or one above the other): each end where it lies.
            for p in [a, b] {
                if p.x >= x0 && p.x < right {
                    extents.widen(column(p.x), p.y, p.y);
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
        extents.widen(ca, a.y, a.y);
        // Where it crosses a column edge it belongs to both columns.
        for c in ca..cb {
            let y = at_edge(a, b, x0 + (c + 1) as f32);
            extents.widen(c, y, y);
            extents.widen(c + 1, y, y);
        }
        extents.widen(cb, b.y, b.y);
    }
}

/// The column extents as one strip of quads per stretch of touched columns, covering
/// exactly the physical pixel rows whose centres each column's extent (widened by `half`
/// above and below, clipped to the frame, at least one pixel tall) covers at the column's
/// centre. A column's rows are a pair of vertices at its centre; neighbouring pairs are
/// joined, so between centres the strip runs from one column's rows to the next (a pixel
/// centre at a column's centre lies on a pair: the column's own rows, whichever side
/// takes the shared edge). Columns that cover the same rows as their neighbours add no
/// vertices, so a band of steady amplitude costs a few quads, and a busy trace two
/// vertices a column (a rectangle per column would take four).
fn strip(extents: &Extents, x0: f32, frame: Rect, ppp: f32, half: f32, color: Color32) -> Mesh {
    let (top, bottom) = (frame.top(), frame.bottom());
    let mut strip = Strip::new(extents.lo.len(), color, 1.0 / ppp, frame.left(), frame.right());
    for (c, (&lo, &hi)) in extents.lo.iter().zip(&extents.hi).enumerate() {
        let (lo, hi) = ((lo - half).max(top), (hi + half).min(bottom));
        // Pixel row r (centre r + 0.5) is covered when lo <= (r + 0.5) / ppp <= hi; no rows
        // (first > last) where the column has no extent or lies outside the frame.
        let (first, last) = if lo <= hi {
            let first = ceil(lo * ppp - 0.5);
            (first, floor(hi * ppp - 0.5).max(first))
        } else {
            (1, 0)
        };
        let x = x0 + c as f32;
        if first > last {
            strip.close();
        } else if !strip.open {
            // A stretch starts at the column's left edge.
            strip.open(x, (first, last));
        } else if (first, last) == strip.rows {
            strip.held = x;
        } else {
            strip.next(x, (first, last));
        }
    }
    strip.close();
    strip.mesh
}

/// The strip [`strip`] is building.
struct Strip {
    mesh: Mesh,
    color: Color32,
    /// Points per physical pixel.
    point: f32,
    /// The frame's left and right edges: no vertex lies beyond them.
    left: f32,
    right: f32,
    /// Whether a stretch is open.
    open: bool,
    /// The last column's pixel rows (first and last) and its left edge.
    rows: (i32, i32),
    at: f32,
    /// The last of the columns after `at` that repeat its rows (its pair not yet added), or
    /// `at` itself.
    held: f32,
}

impl Strip {
    fn new(columns: usize, color: Color32, point: f32, left: f32, right: f32) -> Self {
        let mut mesh = Mesh::default();
        mesh.vertices.reserve(2 * columns + 4);
        mesh.indices.reserve(6 * columns + 6);
        Self { mesh, color, point, left, right, open: false, rows: (0, 0), at: 0.0, held: 0.0 }
    }

    /// A stretch from the column at `x` covering pixel `rows`: its left edge and centre.
    fn open(&mut self, x: f32, rows: (i32, i32)) {
        (self.open, self.rows, self.at, self.held) = (true, rows, x, x);
        self.pair(x, false);
        self.pair(x + 0.5, true);
    }

    /// The column at `x`, with other rows than the last.
    #[inline]
    fn next(&mut self, x: f32, rows: (i32, i32)) {
        if self.held != self.at {
            self.pair(self.held + 0.5, true);
        }
        (self.rows, self.at, self.held) = (rows, x, x);
        self.pair(x + 0.5, true);
    }

    /// Ends the stretch at the last column's right edge.
    fn close(&mut self) {
        if !self.open {
            return;
        }
        if self.held != self.at {
            self.pair(self.held + 0.5, true);
        }
        self.pair(self.held + 1.0, true);
        self.open = false;
    }

    /// The current rows' two vertices at `x` (within the frame), joined to the pair before.
    #[inline(always)]
    fn pair(&mut self, x: f32, joined: bool) {
        let x = x.clamp(self.left, self.right);
        let (top, bottom) = (self.rows.0 as f32 * self.point, (self.rows.1 + 1) as f32 * self.point);
        let n = self.mesh.vertices.len() as u32;
        let vertex = |y: f32| egui::epaint::Vertex { pos: pos2(x, y), uv: egui::epaint::WHITE_UV, color: self.color };
        self.mesh.vertices.extend_from_slice(&[vertex(top), vertex(bottom)]);
        if joined {
            self.mesh.indices.extend_from_slice(&[n - 2, n - 1, n, n - 1, n + 1, n]);
        }
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

    /// The extents of the polyline through screen points (the identity mapping).
    fn column_spans(screen: &[egui::Pos2], x0: f32, columns: usize) -> Vec<(f32, f32)> {
        let points: Vec<[f64; 2]> = screen.iter().map(|p| [f64::from(p.x), f64::from(p.y)]).collect();
        let identity = Affine { ox: 0.0, kx: 1.0, oy: 0.0, ky: 1.0 };
        let extents = column_extents(&points, identity, x0, columns);
        extents.lo.into_iter().zip(extents.hi).collect()
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
                let mut extents = Extents::new(columns);
                segments(&points, 0.0, columns as f32, &column, &mut extents);
                extents.lo.into_iter().zip(extents.hi).collect::<Vec<_>>()
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

    /// Whether `p` lies in a triangle of `mesh` (edges included).
    fn covers(mesh: &Mesh, p: egui::Pos2) -> bool {
        let cross = |a: egui::Pos2, b: egui::Pos2| (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
        mesh.indices.chunks(3).any(|t| {
            let [a, b, c] = [0, 1, 2].map(|k| mesh.vertices[t[k] as usize].pos);
            let (d0, d1, d2) = (cross(a, b), cross(b, c), cross(c, a));
            (d0 >= 0.0 && d1 >= 0.0 && d2 >= 0.0) || (d0 <= 0.0 && d1 <= 0.0 && d2 <= 0.0)
        })
    }

    #[test]
    fn the_strip_covers_at_each_column_centre_the_pixels_its_span_covers_and_merges_steady_columns() {
        let frame = Rect::from_min_max(pos2(0.0, 0.0), pos2(8.0, 40.0));
        let spans =
            [(3.2, 9.7), (3.4, 9.9), (3.4, 9.9), (10.0, 10.6), (-5.0, 50.0), (20.0, 21.0), (1.0, 0.0), (5.0, 6.0)];
        let extents = Extents { lo: spans.iter().map(|s| s.0).collect(), hi: spans.iter().map(|s| s.1).collect() };
        for ppp in [1.0, 1.5, 2.0] {
            let mesh = strip(&extents, 0.0, frame, ppp, 0.0, Color32::WHITE);
            assert!(mesh.is_valid());
            assert!(mesh.vertices.iter().all(|v| frame.expand(1e-4).contains(v.pos)), "nothing beyond the frame");
            for (c, &(lo, hi)) in spans.iter().enumerate() {
                let (lo, hi) = (f32::max(lo, 0.0), f32::min(hi, 40.0));
                let x = c as f32 + 0.5;
                let mut any = false;
                for row in 0..(40.0 * ppp) as i32 {
                    let centre = (row as f32 + 0.5) / ppp;
                    let inside = lo <= centre && centre <= hi;
                    any |= inside;
                    if inside || hi - lo >= 1.0 || lo > hi {
                        assert_eq!(covers(&mesh, pos2(x, centre)), inside, "ppp {ppp}, column {c}, row {row}");
                    }
                }
                // A span between pixel centres still draws its nearest row.
                assert!(
                    any || lo > hi || (0..(40.0 * ppp) as i32).any(|r| covers(&mesh, pos2(x, (r as f32 + 0.5) / ppp)))
                );
            }
            // Each stretch reaches its end columns' outer edges.
            assert!(covers(&mesh, pos2(0.01, 6.5)) && covers(&mesh, pos2(5.99, 20.5)));
            assert!(covers(&mesh, pos2(7.99, 5.5)) && !covers(&mesh, pos2(6.5, 5.5)));
            if ppp == 1.0 {
                // Columns 0..3 cover rows 3..=9 alike: their pairs are the first's edge and
                // centre and the third's centre; then one a column to 5, the edge after it,
                // and for column 7 its two edges and centre: 10 pairs.
                assert_eq!(mesh.vertices.len(), 20, "{:?}", mesh.vertices);
            }
        }
    }
}
