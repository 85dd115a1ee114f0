//! Progress reporting for long generations: a bar on a terminal, log lines otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Receives the progress of a generation. Called from worker threads.
pub trait Progress: Sync {
    /// `total` samples in the dataset, `done` of them already on disk (resumed run).
    fn start(&self, total: u64, done: u64);
    /// `n` more samples are on disk.
    fn advance(&self, n: u64);
    /// The dataset is complete.
    fn finish(&self);
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: u64, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// An `indicatif` bar on stderr: samples done, rate, elapsed time and ETA.
pub struct TerminalProgress {
    bar: indicatif::ProgressBar,
}

impl TerminalProgress {
    /// A bar with a label (e.g. the PDE name).
    pub fn new(label: &str) -> Self {
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        let style = indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:40.cyan/blue}] {pos}/{len} samples {per_sec} [{elapsed_precise} < {eta_precise}]",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        Self { bar }
    }
}

impl Progress for TerminalProgress {
    fn start(&self, total: u64, done: u64) {
        self.bar.set_length(total);
        self.bar.set_position(done);
        self.bar.reset_eta();
    }
    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Log lines on stderr every `interval` or every 10 % of the samples, whichever comes first:
/// `label: 120/1000 samples (12 %), 35.1 samples/s, ETA 25 s`.
pub struct LogProgress {
    label: String,
    interval: Duration,
    state: Mutex<LogState>,
}

struct LogState {
    total: u64,
    start_done: u64,
    done: u64,
    started: Instant,
    last_time: Instant,
    last_decile: u64,
}

impl LogProgress {
    /// Lines every `interval` (and at every 10 %).
    pub fn new(label: &str, interval: Duration) -> Self {
        let now = Instant::now();
        Self {
            label: label.to_string(),
            interval,
            state: Mutex::new(LogState {
                total: 0,
                start_done: 0,
                done: 0,
                started: now,
                last_time: now,
                last_decile: 0,
            }),
        }
    }

    fn line(&self, s: &LogState) -> String {
        let secs = s.started.elapsed().as_secs_f64();
        let new = s.done - s.start_done;
        let rate = if secs > 0.0 { new as f64 / secs } else { 0.0 };
        let eta = if rate > 0.0 {
            format!(", ETA {:.0} s", (s.total - s.done) as f64 / rate)
        } else {
            String::new()
        };
        format!(
            "{}: {}/{} samples ({:.0} %), {:.3} samples/s{eta}",
            self.label,
            s.done,
            s.total,
            100.0 * s.done as f64 / s.total.max(1) as f64,
            rate
        )
    }
}

impl Progress for LogProgress {
    fn start(&self, total: u64, done: u64) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        *s = LogState {
            total,
            start_done: done,
            done,
            started: now,
            last_time: now,
            last_decile: done * 10 / total.max(1),
        };
        if done > 0 {
            eprintln!(
                "{}: resuming, {done}/{total} samples already done",
                self.label
            );
        }
    }

    fn advance(&self, n: u64) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.done += n;
        let decile = s.done * 10 / s.total.max(1);
        if decile > s.last_decile || s.last_time.elapsed() >= self.interval {
            s.last_decile = decile;
            s.last_time = Instant::now();
            eprintln!("{}", self.line(&s));
        }
    }

    fn finish(&self) {}
}

/// A terminal bar when stderr is a terminal, log lines every 10 s otherwise.
pub fn auto(label: &str) -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(TerminalProgress::new(label))
    } else {
        Box::new(LogProgress::new(label, Duration::from_secs(10)))
    }
}
