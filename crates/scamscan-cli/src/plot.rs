//! Figures of an [`EvalReport`]: one image with three panels, the ROC curve and
//! the precision-recall curve of flagged (spam or scam) vs ham, and the
//! reliability diagram of `p(scam)`.
//!
//! The format follows the file extension:
//!
//! - `.svg` needs no font: SVG text is `<text>` elements the viewer renders.
//! - `.png` rasterises text itself, with a TrueType font read at run time:
//!   the file named by the `SCAMSCAN_FONT` environment variable, else DejaVu
//!   Sans or Liberation Sans where Linux distributions install them (Debian:
//!   `apt-get install fonts-dejavu-core`), else Arial on macOS and Windows.
//!   Without any, the PNG is drawn without text; [`font_path`] tells which.
//!
//! ```no_run
//! # let report: scamscan::eval::EvalReport = unimplemented!();
//! scamscan_cli::plot::write_plots(&report, "eval.svg".as_ref())?;
//! if scamscan_cli::plot::font_path().is_none() {
//!     eprintln!("no font found: the PNG has no text (set SCAMSCAN_FONT to a .ttf file)");
//! }
//! scamscan_cli::plot::write_plots(&report, "eval.png".as_ref())?;
//! # Ok::<(), scamscan::Error>(())
//! ```

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use scamscan::error::{Error, ErrorKind, Result};
use scamscan::eval::{CurvePoint, EvalReport};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Title (prefix) of the ROC panel.
pub const ROC_TITLE: &str = "ROC curve: flagged vs ham";
/// Title (prefix) of the precision-recall panel.
pub const PR_TITLE: &str = "Precision-recall: flagged vs ham";
/// Title of the reliability panel.
pub const RELIABILITY_TITLE: &str = "Reliability of p(scam)";

/// The figure's size in pixels.
pub const SIZE: (u32, u32) = (1500, 520);

/// The environment variable naming a TrueType/OpenType font for PNG text.
pub const FONT_ENV: &str = "SCAMSCAN_FONT";

const FAMILY: &str = "sans-serif";
const CURVE: RGBColor = RGBColor(31, 119, 180);
const POINT: RGBColor = RGBColor(214, 39, 40);
const REFERENCE: RGBColor = RGBColor(140, 140, 140);
const GRID: RGBColor = RGBColor(228, 228, 228);
const BARS: RGBColor = RGBColor(200, 215, 232);

/// Writes the three-panel figure of `report` to `path`: SVG or PNG by the
/// extension (case-insensitive); any other extension is an error naming the path.
///
/// The format follows the extension rather than an argument, so that a
/// mistyped name fails before anything is drawn. A PNG is drawn in memory
/// first: a failure never leaves a half-written file.
///
/// # Example
///
/// ```
/// use scamscan::{eval::{evaluate, EvalOptions}, Classifier, Example, Label};
/// use scamscan_cli::plot;
/// let ex = |label, text: &str| Example { id: String::new(), source: "demo".into(), channel: "sms".into(),
///     lang: "en".into(), label, category: None, text: text.into(), reviewed: false };
/// let examples = [ex(Label::Ham, "lunch at 1?"), ex(Label::Scam, "You WON a $1000 gift card! Claim: bit.ly/claim-now")];
/// let report = evaluate(&Classifier::default(), &examples, &EvalOptions::default());
/// let dir = tempfile::tempdir()?;
/// plot::write_plots(&report, &dir.path().join("eval.svg"))?;
/// assert!(std::fs::read_to_string(dir.path().join("eval.svg"))?.contains(plot::ROC_TITLE));
/// assert!(plot::write_plots(&report, &dir.path().join("eval.pdf")).is_err());
/// # Ok::<(), scamscan::Error>(())
/// ```
pub fn write_plots(report: &EvalReport, path: &Path) -> Result<()> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("svg") => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
                draw(&root, report, true).map_err(|e| drawing_error(path, e))?;
                root.present().map_err(|e| drawing_error(path, e))?;
            }
            std::fs::write(path, svg).map_err(|e| Error::io(path, e))
        }
        Some("png") => {
            let text = font_path().is_some();
            let (w, h) = SIZE;
            let mut pixels = vec![0u8; (w * h * 3) as usize];
            {
                // Draw in memory first, so that a failure leaves no half-drawn file.
                let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
                draw(&root, report, text).map_err(|e| drawing_error(path, e))?;
                root.present().map_err(|e| drawing_error(path, e))?;
            }
            let mut file = BitMapBackend::new(path, SIZE);
            file.blit_bitmap((0, 0), SIZE, &pixels)
                .map_err(|e| drawing_error(path, e))?;
            file.present().map_err(|e| drawing_error(path, e))
        }
        _ => Err(Error::invalid(format!(
            "cannot write plots as {}: use a .svg or .png file",
            ext.map_or("a file without an extension".to_string(), |e| format!(
                ".{e}"
            ))
        ))
        .with_path(path)),
    }
}

fn drawing_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Io(std::io::Error::other(e.to_string()))).with_path(path)
}

/// The font used for text in PNG figures, loaded once per process: `None`
/// when no usable font was found (PNG figures are then drawn without text).
///
/// Public so that a caller can warn the user before writing a PNG without
/// labels, rather than after.
///
/// # Example
///
/// ```
/// match scamscan_cli::plot::font_path() {
///     Some(font) => assert!(font.is_file()),
///     None => eprintln!("no font: set {} to a .ttf file", scamscan_cli::plot::FONT_ENV),
/// }
/// ```
pub fn font_path() -> Option<&'static Path> {
    static FONT: OnceLock<Option<PathBuf>> = OnceLock::new();
    FONT.get_or_init(|| font_candidates().into_iter().find(|p| register(p)))
        .as_deref()
}

fn font_candidates() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::env::var_os(FONT_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .collect();
    out.extend(
        [
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/TTF/DejaVuSans.ttf",
            "/usr/share/fonts/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
            "/usr/local/share/fonts/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
            "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
            "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
            "/System/Library/Fonts/Supplemental/Arial.ttf",
            "/Library/Fonts/Arial.ttf",
            "C:\\Windows\\Fonts\\arial.ttf",
        ]
        .map(PathBuf::from),
    );
    out
}

/// Registers the font file as the sans-serif family; false if unreadable or invalid.
fn register(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    // plotters keeps fonts for the life of the process: leaked once, on success only
    // (the process registers at most one font).
    if looks_like_font(&bytes) {
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        plotters::style::register_font(FAMILY, FontStyle::Normal, bytes).is_ok()
    } else {
        false
    }
}

/// A cheap check of the font header before leaking the bytes: TrueType,
/// OpenType (CFF) or a collection.
fn looks_like_font(bytes: &[u8]) -> bool {
    matches!(
        bytes.get(..4),
        Some([0, 1, 0, 0]) | Some(b"OTTO") | Some(b"true") | Some(b"ttcf")
    )
}

type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &EvalReport,
    text: bool,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, 3));
    let o = &r.overall;
    let f3 = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.3}"));

    // ROC.
    let p = Panel::new(&panels[0], text);
    p.frame(
        &format!("{ROC_TITLE} (AUC {})", f3(o.flagged.roc_auc)),
        "false-positive rate (share of ham flagged)",
        "recall (share of spam and scam flagged)",
    )?;
    p.dashed(&[(0.0, 0.0), (1.0, 1.0)], REFERENCE)?;
    if r.curves.roc.is_empty() {
        p.no_data()?;
    } else {
        p.curve(&r.curves.roc)?;
    }
    let decision = (o.decision.ham_fpr, o.decision.recall);
    if let (Some(x), Some(y)) = decision {
        p.point(x, y)?;
    }
    p.legend(
        (0.38, 0.22),
        &[
            (CURVE, false, "flagged vs ham"),
            (REFERENCE, true, "random ranking"),
            (POINT, false, "default decision"),
        ],
    )?;

    // Precision-recall.
    let p = Panel::new(&panels[1], text);
    p.frame(
        &format!("{PR_TITLE} (AP {})", f3(o.flagged.pr_auc)),
        "recall (share of spam and scam flagged)",
        "precision (share of flagged that is spam or scam)",
    )?;
    if let Some(base) = o.flagged.prevalence() {
        p.dashed(&[(0.0, base), (1.0, base)], REFERENCE)?;
    }
    if r.curves.pr.is_empty() {
        p.no_data()?;
    } else {
        p.curve(&r.curves.pr)?;
    }
    if let (Some(x), Some(y)) = (o.decision.recall, o.decision.precision) {
        p.point(x, y)?;
    }
    p.legend(
        (0.04, 0.22),
        &[
            (CURVE, false, "flagged vs ham"),
            (REFERENCE, true, "random ranking"),
            (POINT, false, "default decision"),
        ],
    )?;

    // Reliability.
    let p = Panel::new(&panels[2], text);
    p.frame(
        &format!("{RELIABILITY_TITLE} (ECE {})", f3(r.ece)),
        "mean predicted p(scam) in bin",
        "observed share of scam in bin",
    )?;
    let max = r.reliability.iter().map(|b| b.count).max().unwrap_or(0);
    if max > 0 {
        for b in &r.reliability {
            let h = 0.25 * b.count as f64 / max as f64;
            if b.count > 0 {
                p.bar(b.lo as f64, b.hi as f64, h)?;
            }
        }
    }
    p.dashed(&[(0.0, 0.0), (1.0, 1.0)], REFERENCE)?;
    let pts: Vec<(f64, f64)> = r
        .reliability
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| (b.predicted as f64, b.observed as f64))
        .collect();
    if pts.is_empty() {
        p.no_data()?;
    } else {
        p.line(&pts, CURVE)?;
        for &(x, y) in &pts {
            p.dot(x, y, CURVE)?;
        }
    }
    p.legend(
        (0.04, 0.95),
        &[
            (CURVE, false, "model"),
            (REFERENCE, true, "perfect calibration"),
            (BARS, false, "rows per bin (relative)"),
        ],
    )?;
    Ok(())
}

/// One panel: a square-ish unit plot area with a title and axis labels.
struct Panel<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    text: bool,
    x0: i32,
    y0: i32,
    x1: i32,
    y1: i32,
    w: i32,
    h: i32,
}

impl<'a, DB: DrawingBackend> Panel<'a, DB> {
    fn new(area: &'a DrawingArea<DB, Shift>, text: bool) -> Self {
        let (w, h) = area.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        Panel {
            area,
            text,
            x0: 78,
            y0: 50,
            x1: w - 22,
            y1: h - 66,
            w,
            h,
        }
    }

    fn map(&self, x: f64, y: f64) -> (i32, i32) {
        let x = x.clamp(0.0, 1.0);
        let y = y.clamp(0.0, 1.0);
        (
            self.x0 + (x * (self.x1 - self.x0) as f64).round() as i32,
            self.y1 - (y * (self.y1 - self.y0) as f64).round() as i32,
        )
    }

    fn label(
        &self,
        s: &str,
        pos: (i32, i32),
        size: f64,
        anchor: (HPos, VPos),
        rotate: bool,
    ) -> DrawResult<DB> {
        if !self.text {
            return Ok(());
        }
        let mut style = TextStyle::from((FAMILY, size).into_font())
            .color(&BLACK)
            .pos(Pos::new(anchor.0, anchor.1));
        if rotate {
            style = style.transform(FontTransform::Rotate270);
        }
        self.area.draw_text(s, &style, pos)
    }

    fn frame(&self, title: &str, x_label: &str, y_label: &str) -> DrawResult<DB> {
        for i in 0..=5 {
            let v = i as f64 / 5.0;
            self.area.draw(&PathElement::new(
                vec![self.map(v, 0.0), self.map(v, 1.0)],
                GRID,
            ))?;
            self.area.draw(&PathElement::new(
                vec![self.map(0.0, v), self.map(1.0, v)],
                GRID,
            ))?;
            let tick = format!("{v:.1}");
            let (x, y) = self.map(v, 0.0);
            self.area
                .draw(&PathElement::new(vec![(x, y), (x, y + 5)], BLACK))?;
            self.label(&tick, (x, y + 8), 14.0, (HPos::Center, VPos::Top), false)?;
            let (x, y) = self.map(0.0, v);
            self.area
                .draw(&PathElement::new(vec![(x - 5, y), (x, y)], BLACK))?;
            self.label(&tick, (x - 8, y), 14.0, (HPos::Right, VPos::Center), false)?;
        }
        self.area.draw(&Rectangle::new(
            [(self.x0, self.y0), (self.x1, self.y1)],
            BLACK.stroke_width(1),
        ))?;
        let cx = (self.x0 + self.x1) / 2;
        let cy = (self.y0 + self.y1) / 2;
        self.label(
            title,
            (self.w / 2, 14),
            19.0,
            (HPos::Center, VPos::Top),
            false,
        )?;
        self.label(
            x_label,
            (cx, self.h - 22),
            15.0,
            (HPos::Center, VPos::Center),
            false,
        )?;
        self.label(y_label, (20, cy), 15.0, (HPos::Center, VPos::Center), true)
    }

    fn line(&self, pts: &[(f64, f64)], color: RGBColor) -> DrawResult<DB> {
        let px: Vec<(i32, i32)> = pts.iter().map(|&(x, y)| self.map(x, y)).collect();
        self.area.draw(&PathElement::new(px, color.stroke_width(2)))
    }

    fn curve(&self, pts: &[CurvePoint]) -> DrawResult<DB> {
        let xy: Vec<(f64, f64)> = pts.iter().map(|p| (p.x, p.y)).collect();
        self.line(&xy, CURVE)
    }

    fn dashed(&self, pts: &[(f64, f64)], color: RGBColor) -> DrawResult<DB> {
        let px: Vec<(i32, i32)> = pts.iter().map(|&(x, y)| self.map(x, y)).collect();
        self.area
            .draw(&DashedPathElement::new(px, 6, 5, color.stroke_width(1)))
    }

    fn dot(&self, x: f64, y: f64, color: RGBColor) -> DrawResult<DB> {
        self.area
            .draw(&Circle::new(self.map(x, y), 4, color.filled()))
    }

    fn point(&self, x: f64, y: f64) -> DrawResult<DB> {
        self.area
            .draw(&Circle::new(self.map(x, y), 6, POINT.filled()))
    }

    fn bar(&self, lo: f64, hi: f64, h: f64) -> DrawResult<DB> {
        let (a, b) = (self.map(lo, h), self.map(hi, 0.0));
        self.area.draw(&Rectangle::new(
            [(a.0 + 2, a.1), (b.0 - 2, b.1)],
            BARS.filled(),
        ))
    }

    fn no_data(&self) -> DrawResult<DB> {
        let (x, y) = self.map(0.5, 0.5);
        self.label("no data", (x, y), 18.0, (HPos::Center, VPos::Center), false)
    }

    /// Entries `(color, dashed, text)` from the top-left corner at unit coordinates `at`.
    fn legend(&self, at: (f64, f64), entries: &[(RGBColor, bool, &str)]) -> DrawResult<DB> {
        if !self.text {
            return Ok(());
        }
        let (x, mut y) = self.map(at.0, at.1);
        for &(color, dashed, s) in entries {
            let seg = vec![(x, y), (x + 24, y)];
            if dashed {
                self.area
                    .draw(&DashedPathElement::new(seg, 6, 5, color.stroke_width(1)))?;
            } else if color == POINT {
                self.area
                    .draw(&Circle::new((x + 12, y), 5, color.filled()))?;
            } else if color == BARS {
                self.area.draw(&Rectangle::new(
                    [(x + 4, y - 5), (x + 20, y + 5)],
                    color.filled(),
                ))?;
            } else {
                self.area
                    .draw(&PathElement::new(seg, color.stroke_width(2)))?;
            }
            self.label(s, (x + 30, y), 14.0, (HPos::Left, VPos::Center), false)?;
            y += 20;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scamscan::Label;
    use scamscan::eval::{Curves, Scored, category_confusion, group_metrics, pr_curve, roc_curve};

    fn report() -> EvalReport {
        let rows: Vec<Scored> = (0..40)
            .map(|i| {
                let truth = Label::ALL[i % 3];
                let p_ham = if truth == Label::Ham { 0.8 } else { 0.3 } - (i as f32) / 200.0;
                Scored {
                    truth,
                    predicted: if p_ham > 0.5 { Label::Ham } else { Label::Scam },
                    p_ham,
                    p_scam: (1.0 - p_ham) * 0.9,
                    unwanted: false,
                }
            })
            .collect();
        let scores: Vec<f32> = rows.iter().map(|r| 1.0 - r.p_ham).collect();
        let truth: Vec<bool> = rows.iter().map(|r| r.truth != Label::Ham).collect();
        let pairs: Vec<(f32, bool)> = rows
            .iter()
            .map(|r| (r.p_scam, r.truth == Label::Scam))
            .collect();
        EvalReport {
            n: rows.len(),
            fprs: vec![0.01],
            truncated: 0,
            overall: group_metrics("(all)", &rows, &[0.01]),
            by_source: Vec::new(),
            by_channel: Vec::new(),
            by_lang: Vec::new(),
            by_category: Vec::new(),
            category_confusion: category_confusion(&[]),
            curves: Curves {
                roc: roc_curve(&scores, &truth, 500),
                pr: pr_curve(&scores, &truth, 500),
            },
            reliability: scamscan::calibrate::reliability(&pairs, 10),
            ece: Some(0.1),
        }
    }

    #[test]
    fn without_text_no_text_is_drawn() {
        let r = report();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            draw(&root, &r, false).unwrap();
            root.present().unwrap();
        }
        assert!(!svg.contains("<text"), "text drawn");
        assert!(svg.contains("<polyline"), "no lines drawn");
        let mut with_text = String::new();
        {
            let root = SVGBackend::with_string(&mut with_text, SIZE).into_drawing_area();
            draw(&root, &r, true).unwrap();
            root.present().unwrap();
        }
        assert!(with_text.contains(ROC_TITLE));

        // A bitmap drawn without text leaves the title strip white; with no font
        // registered plotters cannot draw text at all, so this is the PNG fallback.
        let (w, h) = SIZE;
        let mut px = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut px, SIZE).into_drawing_area();
            draw(&root, &r, false).unwrap();
            root.present().unwrap();
        }
        let title_strip = &px[..(w * 40 * 3) as usize];
        assert!(
            title_strip.iter().all(|&b| b == 255),
            "something drawn in the title strip"
        );
        assert!(px.iter().any(|&b| b != 255), "nothing drawn");
    }

    #[test]
    fn font_headers() {
        assert!(looks_like_font(&[0, 1, 0, 0, 9]));
        assert!(looks_like_font(b"OTTO...."));
        assert!(!looks_like_font(b"<html>"));
        assert!(!looks_like_font(b""));
        assert!(!register(Path::new("/no/such/font.ttf")));
    }
}
