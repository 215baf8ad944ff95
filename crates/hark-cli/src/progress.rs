//! A progress line on stderr (only when stderr is a terminal), shared by threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Counts bytes sent and received and shows them; a no-op when hidden.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
    sent: Arc<AtomicU64>,
    received: Arc<AtomicU64>,
}

impl Progress {
    /// A spinner with byte counts when `visible`, else nothing.
    pub fn new(visible: bool) -> Progress {
        let bar = visible.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} sent {prefix}, received {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let progress = Progress {
            bar,
            sent: Arc::default(),
            received: Arc::default(),
        };
        progress.sent(0);
        progress.received(0);
        progress
    }

    /// A bar towards `total` bytes when `visible`.
    pub fn bar(total: u64, visible: bool) -> Progress {
        let bar = visible.then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} ({eta}) {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Progress {
            bar,
            sent: Arc::default(),
            received: Arc::default(),
        }
    }

    /// `bytes` more were sent.
    pub fn sent(&self, bytes: u64) {
        let total = self.sent.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if let Some(bar) = &self.bar {
            bar.set_prefix(HumanBytes(total).to_string());
        }
    }

    /// `bytes` more were received.
    pub fn received(&self, bytes: u64) {
        let total = self.received.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if let Some(bar) = &self.bar {
            bar.set_message(HumanBytes(total).to_string());
        }
    }

    /// Sets the position of a bar.
    pub fn set(&self, position: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(position);
        }
    }

    /// Sets the text shown after a bar.
    pub fn message(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(text.to_string());
        }
    }

    /// Prints a line above the bar (or on standard output when there is no bar).
    pub fn println(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => println!("{text}"),
        }
    }

    /// Leaves the last state on screen.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}
