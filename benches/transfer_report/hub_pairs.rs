//! The hub's cost measured in back-to-back pairs: each pair runs the transfer with nothing
//! enabled and with every event at debug one right after the other (alternating which goes
//! first), so both see the same machine; the figure is the median of the per-pair ratios
//! with its 95 % confidence interval. Medians over rounds of the whole report mix in the
//! other cases' after-effects: two identical hub setups there differed by up to 20 %.

use crate::hark_utp::{self, Hub};
use crate::stats::{median, median_interval};
use crate::{HARK_DEADLINE, buffers::FOUR_MIB};

/// Per-pair ratios, all-debug over nothing.
#[derive(Debug, Default)]
pub struct HubPairs {
    /// Throughput ratios.
    pub throughput: Vec<f64>,
    /// CPU-per-MB ratios.
    pub cpu: Vec<f64>,
    /// Pairs that failed, with why.
    pub failures: Vec<String>,
}

/// Runs `pairs` pairs of `bytes` transfers.
pub fn measure(pairs: usize, bytes: u64) -> HubPairs {
    let mut out = HubPairs::default();
    for pair in 0..pairs {
        let order = if pair % 2 == 0 {
            [Hub::Nothing, Hub::AllDebug]
        } else {
            [Hub::AllDebug, Hub::Nothing]
        };
        let mut samples =
            order.map(|hub| (hub, hark_utp::transfer(bytes, FOUR_MIB, hub, HARK_DEADLINE)));
        if order[0] == Hub::AllDebug {
            samples.swap(0, 1);
        }
        match samples {
            [(_, Ok(nothing)), (_, Ok(all))] => {
                out.throughput.push(all.mb_per_s() / nothing.mb_per_s());
                out.cpu.push(all.cpu_per_mb() / nothing.cpu_per_mb());
                eprintln!(
                    "hub pair {}/{pairs}: nothing {:.1} MB/s, all debug {:.1} MB/s",
                    pair + 1,
                    nothing.mb_per_s(),
                    all.mb_per_s()
                );
            }
            [(_, a), (_, b)] => {
                for error in [a.err(), b.err()].into_iter().flatten() {
                    out.failures.push(error);
                }
            }
        }
    }
    out
}

impl HubPairs {
    /// "median % (interval low..high %)" of the increase, from ratios `values`.
    pub fn increase_text(values: &[f64]) -> Option<String> {
        if values.is_empty() {
            return None;
        }
        let increase = |r: f64| (r - 1.0) * 100.0;
        let interval = match median_interval(values) {
            Some((low, high)) => format!(
                ", 95 % interval {:+.1}..{:+.1} %",
                increase(low),
                increase(high)
            ),
            None => String::new(),
        };
        Some(format!("{:+.1} %{interval}", increase(median(values))))
    }

    /// "median % (interval low..high %)" of the loss, from ratios `values`.
    pub fn loss_text(values: &[f64]) -> Option<(f64, String)> {
        if values.is_empty() {
            return None;
        }
        let loss = |r: f64| (1.0 - r) * 100.0;
        let text = match median_interval(values) {
            // A higher ratio is a smaller loss, so the bounds swap.
            Some((low, high)) => format!(", 95 % interval {:.1}..{:.1} %", loss(high), loss(low)),
            None => String::new(),
        };
        Some((loss(median(values)), text))
    }
}
