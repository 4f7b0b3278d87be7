//! Plots of an evaluation: three titled panels in SVG and PNG, and bad
//! output paths named in the error.

use scamscan::corpus::{TEST_FOLDS, fold, read_dir_or_file};
use scamscan::eval::{EvalOptions, evaluate};
use scamscan::{Classifier, Example};
use scamscan_cli::plot::{PR_TITLE, RELIABILITY_TITLE, ROC_TITLE, write_plots};
use std::sync::OnceLock;

/// The built-in model and the test folds of the project's datasets/: a
/// report with real curves, without training a model here.
fn fixture() -> &'static (Classifier, Vec<Example>) {
    static FIXTURE: OnceLock<(Classifier, Vec<Example>)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets");
        let test = read_dir_or_file(root.as_ref())
            .expect("datasets/ reads")
            .into_iter()
            .filter(|e| TEST_FOLDS.contains(&fold(&e.text)))
            .collect();
        (Classifier::default(), test)
    })
}

fn check_svg(svg: &str) {
    let head = svg.trim_start();
    assert!(
        head.starts_with("<svg") || head.starts_with("<?xml"),
        "{}",
        &svg[..80.min(svg.len())]
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    for title in [ROC_TITLE, PR_TITLE, RELIABILITY_TITLE] {
        assert!(svg.contains(title), "no {title:?} in the SVG");
    }
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    assert!(svg.contains("false-positive rate"));
}

#[test]
fn svg_has_three_titled_panels() {
    let (classifier, test) = fixture();
    let report = evaluate(classifier, test, &EvalOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eval.svg");
    write_plots(&report, &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    check_svg(&svg);
    // The curve is drawn: a polyline with many points.
    assert!(svg.contains("<polyline"), "no curve");
    let auc = format!("AUC {:.3}", report.overall.flagged.roc_auc.unwrap());
    assert!(svg.contains(&auc), "{auc} not in the title");
    // Upper-case extensions work too; an empty report still draws.
    let empty = evaluate(classifier, &[], &EvalOptions::default());
    let path = dir.path().join("EMPTY.SVG");
    write_plots(&empty, &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    check_svg(&svg);
    assert!(svg.contains("no data"));
}

#[test]
fn png_is_written() {
    let (classifier, test) = fixture();
    let report = evaluate(classifier, test, &EvalOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eval.png");
    write_plots(&report, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width and height.
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((w, h), scamscan_cli::plot::SIZE);
    if std::path::Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists() {
        assert!(scamscan_cli::plot::font_path().is_some());
    }
}

#[test]
fn bad_paths_are_errors_naming_the_path() {
    let (classifier, test) = fixture();
    let report = evaluate(classifier, &test[..2], &EvalOptions::default());
    let dir = tempfile::tempdir().unwrap();
    for name in ["plots.pdf", "plots"] {
        let path = dir.path().join(name);
        let err = write_plots(&report, &path).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains(".svg or .png"), "{err}");
        assert!(!path.exists());
    }
    for name in ["missing/dir/plots.svg", "missing/dir/plots.png"] {
        let path = dir.path().join(name);
        let err = write_plots(&report, &path).unwrap_err().to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
    }
}
