//! Files the explorer writes: a window of a capture, the event list, the plots as PNG. All
//! are written atomically (a temporary file, then a rename); errors name the file.

use std::io::Write;
use std::path::Path;

use eframe::egui;

use crate::analysis::events::Event;
use crate::capture::atomic::PendingFile;
use crate::capture::{self, Capture};

/// Writes channels `keep` of `capture` between `from_s` and `to_s` to `path` (format by
/// extension); returns the samples per channel written.
pub fn write_window(capture: &Capture, from_s: f64, to_s: f64, keep: &[usize], path: &Path) -> Result<usize, String> {
    let range = capture.window(Some(from_s), Some(to_s)).map_err(|e| format!("{}: {e}", path.display()))?;
    let samples = range.len();
    let part = capture.slice(range, Some(keep));
    capture::write(&part, path).map_err(|e| e.to_string())?;
    Ok(samples)
}

/// Writes events as CSV (the columns of `panelscope events --csv`).
pub fn write_events_csv(events: &[Event], path: &Path) -> Result<(), String> {
    let mut file = PendingFile::create(path).map_err(|e| e.to_string())?;
    crate::analysis::events::csv::write_csv(events, file.writer())
        .and_then(|()| file.writer().flush())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.commit().map_err(|e| e.to_string())
}

/// Crops the window's screenshot to `rect` (points) and writes it as PNG; returns its size
/// in pixels.
pub fn write_png(
    image: &egui::ColorImage,
    rect: egui::Rect,
    pixels_per_point: f32,
    path: &Path,
) -> Result<(usize, usize), String> {
    let part =
        crop(image, rect, pixels_per_point).ok_or_else(|| format!("{}: the plots are off screen", path.display()))?;
    let [w, h] = part.size;
    let buffer = image::RgbaImage::from_raw(w as u32, h as u32, part.as_raw().to_vec())
        .ok_or_else(|| format!("{}: bad image size", path.display()))?;
    let mut bytes = Vec::new();
    buffer
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut file = PendingFile::create(path).map_err(|e| e.to_string())?;
    file.writer()
        .write_all(&bytes)
        .and_then(|()| file.writer().flush())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.commit().map_err(|e| e.to_string())?;
    Ok((w, h))
}

/// The part of `image` under `rect` (points), clamped to the image; `None` when empty.
pub fn crop(image: &egui::ColorImage, rect: egui::Rect, pixels_per_point: f32) -> Option<egui::ColorImage> {
    let [w, h] = image.size;
    let px = |v: f32, max: usize| ((v * pixels_per_point).round().max(0.0) as usize).min(max);
    let (x0, y0) = (px(rect.min.x, w), px(rect.min.y, h));
    let (x1, y1) = (px(rect.max.x, w), px(rect.max.y, h));
    (x1 > x0 && y1 > y0).then(|| image.region_by_pixels([x0, y0], [x1 - x0, y1 - y0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 40×30 image whose pixel at (x, y) has red x and green y.
    fn gradient() -> egui::ColorImage {
        let pixels = (0..30).flat_map(|y| (0..40).map(move |x| egui::Color32::from_rgb(x as u8, y as u8, 0))).collect();
        egui::ColorImage::new([40, 30], pixels)
    }

    #[test]
    fn crops_in_pixels_from_points() {
        let image = gradient();
        // At 2 pixels per point, points (5, 4)..(10, 9) are pixels (10, 8)..(20, 18).
        let part = crop(&image, egui::Rect::from_min_max(egui::pos2(5.0, 4.0), egui::pos2(10.0, 9.0)), 2.0).unwrap();
        assert_eq!(part.size, [10, 10]);
        assert_eq!(part.pixels[0], egui::Color32::from_rgb(10, 8, 0));
        // Clamped to the image; nothing left is None.
        let edge = crop(&image, egui::Rect::from_min_max(egui::pos2(30.0, 20.0), egui::pos2(99.0, 99.0)), 1.0).unwrap();
        assert_eq!(edge.size, [10, 10]);
        assert!(crop(&image, egui::Rect::from_min_max(egui::pos2(50.0, 0.0), egui::pos2(60.0, 9.0)), 1.0).is_none());
    }

    #[test]
    fn writes_a_png_that_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plots.png");
        let rect = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(40.0, 30.0));
        assert_eq!(write_png(&gradient(), rect, 1.0, &path).unwrap(), (40, 30));
        let back = image::open(&path).unwrap().to_rgba8();
        assert_eq!(back.dimensions(), (40, 30));
        assert_eq!(back.get_pixel(7, 3).0, [7, 3, 0, 255]);
        // Into a folder that does not exist: an error naming the file, nothing written.
        let bad = dir.path().join("missing").join("plots.png");
        let error = write_png(&gradient(), rect, 1.0, &bad).unwrap_err();
        assert!(error.contains("plots.png"), "{error}");
    }
}
