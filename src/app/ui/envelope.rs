//! A dense trace drawn as one filled span per pixel column: the range the polyline through
//! its points covers in that column, widened to the line width. This is what a 1-pixel
//! polyline rasterises to, at a fraction of the cost of tessellating thousands of
//! anti-aliased segments, so the explorer uses it whenever a trace has more points than the
//! plot has columns.

use std::ops::RangeInclusive;

use eframe::egui::{self, Color32, Mesh, Rect, Shape, Ui, pos2};
use egui_plot::{PlotBounds, PlotGeometry, PlotItem, PlotItemBase, PlotPoint, PlotTransform};

/// A trace of points ordered in time, drawn as per-column spans.
pub struct Envelope {
    base: PlotItemBase,
    points: Vec<[f64; 2]>,
    color: Color32,
    /// Line width in points.
    width: f32,
}

impl Envelope {
    pub fn new(name: impl Into<String>, points: Vec<[f64; 2]>, color: Color32, width: f32) -> Self {
        Self { base: PlotItemBase::new(name.into()), points, color, width }
    }
}

/// Per column of the plot frame (`x0 .. x0 + columns`), the lowest and highest screen `y`
/// of the polyline through `screen` (ordered by `x`), in one pass: `span(column, lo, hi)`
/// is called once for each column the polyline touches, in order.
fn for_each_span(
    mut screen: impl Iterator<Item = egui::Pos2>,
    x0: f32,
    columns: usize,
    mut span: impl FnMut(usize, f32, f32),
) {
    if columns == 0 {
        return;
    }
    let last = columns - 1;
    let right = x0 + columns as f32;
    // Truncation is the floor for the non-negative offsets it is given.
    let column = |x: f32| if x > x0 { ((x - x0) as usize).min(last) } else { 0 };
    let mut gather = Gather { column: usize::MAX, lo: f32::INFINITY, hi: f32::NEG_INFINITY };
    let Some(mut a) = screen.next() else { return };
    let mut any = false;
    for b in screen {
        any = true;
        let segment = (a, b);
        a = b;
        let (a, b) = segment;
        if !(a.y.is_finite() && b.y.is_finite()) || b.x < x0 || a.x >= right {
            continue;
        }
        let (ca, cb) = (column(a.x), column(b.x));
        if ca == cb {
            // Both ends in one column (or clamped to one edge column, which the line crosses).
            gather.add(ca, a.y.min(b.y), a.y.max(b.y), &mut span);
        } else if b.x <= a.x {
            // Out of order: each end where it lies.
            if a.x >= x0 {
                gather.add(ca, a.y, a.y, &mut span);
            }
            if b.x < right {
                gather.add(cb, b.y, b.y, &mut span);
            }
        } else {
            // The segment crosses several columns: its y at each column edge.
            let slope = (b.y - a.y) / (b.x - a.x);
            let y_at = |x: f32| a.y + slope * (x - a.x);
            for c in ca..=cb {
                let edge = x0 + c as f32;
                let (y0, y1) = (
                    y_at(if c == ca { a.x.max(edge) } else { edge }),
                    y_at(if c == cb { b.x.min(edge + 1.0) } else { edge + 1.0 }),
                );
                gather.add(c, y0.min(y1), y0.max(y1), &mut span);
            }
        }
    }
    if !any && a.y.is_finite() && a.x >= x0 && a.x < right {
        gather.add(column(a.x), a.y, a.y, &mut span);
    }
    if gather.column != usize::MAX {
        span(gather.column, gather.lo, gather.hi);
    }
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

impl PlotItem for Envelope {
    fn shapes(&self, _ui: &Ui, transform: &PlotTransform, shapes: &mut Vec<Shape>) {
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
        let screen = self.points.iter().map(|p| {
            pos2((f64::from(p0.x) + (p[0] - min[0]) * kx) as f32, (f64::from(p0.y) + (p[1] - min[1]) * ky) as f32)
        });
        let half = 0.5 * self.width.max(1.0);
        let (top, bottom) = (frame.top(), frame.bottom());
        let mut mesh = Mesh::default();
        mesh.reserve_triangles(2 * columns);
        mesh.reserve_vertices(4 * columns);
        for_each_span(screen, x0, columns, |c, lo, hi| {
            let x = x0 + c as f32;
            let (x_min, x_max) = (x.max(frame.left()), (x + 1.0).min(frame.right()));
            let (y_min, y_max) = ((lo - half).max(top), (hi + half).min(bottom));
            if x_min < x_max && y_min < y_max {
                mesh.add_colored_rect(Rect::from_min_max(pos2(x_min, y_min), pos2(x_max, y_max)), self.color);
            }
        });
        if !mesh.is_empty() {
            shapes.push(Shape::mesh(mesh));
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
        // Points are ordered in time: the first and last finite ones span x.
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in &self.points {
            lo = lo.min(p[1]);
            hi = hi.max(p[1]);
        }
        let finite = |p: &&[f64; 2]| p[1].is_finite();
        let mut bounds = PlotBounds::NOTHING;
        if let (Some(first), Some(last)) = (self.points.iter().find(finite), self.points.iter().rfind(finite)) {
            bounds.extend_with(&PlotPoint::new(first[0], lo));
            bounds.extend_with(&PlotPoint::new(last[0], hi));
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
        for_each_span(screen.iter().copied(), x0, columns, |c, lo, hi| spans[c] = (lo, hi));
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
}
