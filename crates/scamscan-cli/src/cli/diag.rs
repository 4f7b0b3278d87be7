//! Everything written to stderr: errors, warnings, notices and the progress bar.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// Reports to stderr as `scamscan: <message>`, and counts errors.
pub struct Diag {
    quiet: bool,
    errors: u64,
    bar: Option<ProgressBar>,
}

impl Diag {
    /// `quiet` silences notices and progress.
    pub fn new(quiet: bool) -> Self {
        Diag {
            quiet,
            errors: 0,
            bar: None,
        }
    }

    /// An error: the run will exit with status 2.
    pub fn error(&mut self, msg: &str) {
        self.errors += 1;
        self.emit(msg);
    }

    /// Something the user must know; not an error. Callers write
    /// `<where>: warning: <what>`.
    pub fn warn(&mut self, msg: &str) {
        self.emit(msg);
    }

    /// Information; silenced by `--quiet`.
    pub fn notice(&mut self, msg: &str) {
        if !self.quiet {
            self.emit(msg);
        }
    }

    /// Whether notices and progress messages are printed.
    pub fn can_report(&self) -> bool {
        !self.quiet
    }

    /// Errors reported so far.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Whether a progress bar would be shown.
    pub fn can_show_progress(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }

    /// Starts a spinner counting `unit` (when stderr is a terminal and not quiet).
    pub fn start_progress(&mut self, unit: &str) {
        if self.bar.is_some() || !self.can_show_progress() {
            return;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let template = format!("{{spinner}} {{elapsed}} {{human_pos}} {unit} {{msg}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        self.bar = Some(bar);
    }

    /// Updates the progress position and message.
    pub fn progress(&self, pos: u64, msg: &str) {
        if let Some(b) = &self.bar {
            b.set_position(pos);
            b.set_message(msg.to_string());
        }
    }

    /// Removes the progress bar.
    pub fn finish_progress(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }

    fn emit(&self, msg: &str) {
        let line = format!("scamscan: {msg}\n");
        let write = || {
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        };
        match &self.bar {
            Some(b) => b.suspend(write),
            None => write(),
        }
    }
}

impl Drop for Diag {
    fn drop(&mut self) {
        self.finish_progress();
    }
}
