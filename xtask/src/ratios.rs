//! After `cargo bench`: each subject's speed as a ratio of its baseline measured in the
//! same run, read from criterion's `target/criterion/<group>/<function>/new/estimates.json`.

use crate::util;
use std::path::Path;

/// (group, subject, baseline, goal): the subject should reach `goal` times the baseline.
const PAIRS: &[(&str, &str, &str, f64)] = &[
    ("tcp_bulk_echo", "hark_notify", "mio_by_hand", 0.9),
    ("tcp_ping_pong", "hark_notify", "mio_by_hand", 0.9),
    ("beep_frame_4k", "parse", "copy_frame", 1.0),
    ("beep_frame_4k", "emit", "copy_frame", 0.5),
];

/// Prints the ratio of every pair whose estimates exist.
pub fn print() {
    let root = util::workspace_root().join("target").join("criterion");
    for &(group, subject, baseline, goal) in PAIRS {
        let (Some(subject_ns), Some(baseline_ns)) = (
            median_ns(&root.join(group).join(subject)),
            median_ns(&root.join(group).join(baseline)),
        ) else {
            continue;
        };
        // Same work per iteration, so speed is the inverse of time.
        let ratio = baseline_ns / subject_ns;
        let verdict = if ratio >= goal { "meets" } else { "misses" };
        eprintln!(
            "xtask: {group}: {subject} {subject_ns:.0} ns/iter, {baseline} {baseline_ns:.0} ns/iter: \
             {ratio:.3}x ({verdict} the {goal}x goal)"
        );
    }
}

/// The median time per iteration from criterion's estimates, in nanoseconds (the median
/// resists the outliers that other work on a shared machine causes).
fn median_ns(function_dir: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(function_dir.join("new").join("estimates.json")).ok()?;
    let median = text.get(text.find("\"median\"")?..)?;
    let estimate = median.get(median.find("\"point_estimate\"")? + "\"point_estimate\"".len()..)?;
    let number: String = estimate
        .trim_start_matches([':', ' '])
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        .collect();
    number.parse().ok()
}
