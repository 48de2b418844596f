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

/// Per column of the plot frame, the lowest and highest screen `y` of the polyline through
/// `screen` (ordered by `x`), for columns `x0 .. x0 + columns`.
pub fn column_spans(screen: &[egui::Pos2], x0: f32, columns: usize) -> Vec<(f32, f32)> {
    let mut spans = vec![(f32::INFINITY, f32::NEG_INFINITY); columns];
    if columns == 0 {
        return spans;
    }
    let last = columns - 1;
    let column = |x: f32| ((x - x0).floor().max(0.0) as usize).min(last);
    let mut extend = |c: usize, y: f32| {
        let s = &mut spans[c];
        s.0 = s.0.min(y);
        s.1 = s.1.max(y);
    };
    let inside = |x: f32| x >= x0 && x < x0 + columns as f32;
    if let [only] = screen {
        if inside(only.x) {
            extend(column(only.x), only.y);
        }
        return spans;
    }
    for pair in screen.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if !(a.y.is_finite() && b.y.is_finite()) || b.x < x0 || a.x >= x0 + columns as f32 {
            continue;
        }
        let (ca, cb) = (column(a.x), column(b.x));
        if ca == cb || b.x <= a.x {
            if inside(a.x) {
                extend(ca, a.y);
            }
            if inside(b.x) {
                extend(cb, b.y);
            }
            if ca == cb {
                // Both ends clamped to one edge column still cross it.
                extend(ca, a.y);
                extend(ca, b.y);
            }
            continue;
        }
        // The segment crosses several columns: its y at each column edge.
        let y_at = |x: f32| a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x);
        for c in ca..=cb {
            let left = (x0 + c as f32).max(a.x);
            let right = (x0 + c as f32 + 1.0).min(b.x);
            extend(c, y_at(left));
            extend(c, y_at(right));
        }
    }
    spans
}

impl PlotItem for Envelope {
    fn shapes(&self, _ui: &Ui, transform: &PlotTransform, shapes: &mut Vec<Shape>) {
        let frame = *transform.frame();
        let x0 = frame.left().floor();
        let columns = (frame.right().ceil() - x0).max(0.0) as usize;
        let screen: Vec<egui::Pos2> =
            self.points.iter().map(|p| transform.position_from_point(&PlotPoint::new(p[0], p[1]))).collect();
        let half = 0.5 * self.width.max(1.0);
        let mut mesh = Mesh::default();
        mesh.reserve_triangles(2 * columns);
        mesh.reserve_vertices(4 * columns);
        for (c, (lo, hi)) in column_spans(&screen, x0, columns).into_iter().enumerate() {
            if lo > hi {
                continue;
            }
            let x = x0 + c as f32;
            let rect = Rect::from_min_max(pos2(x, lo - half), pos2(x + 1.0, hi + half));
            mesh.add_colored_rect(rect.intersect(frame), self.color);
        }
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
        let mut bounds = PlotBounds::NOTHING;
        for p in &self.points {
            if p[1].is_finite() {
                bounds.extend_with(&PlotPoint::new(p[0], p[1]));
            }
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
