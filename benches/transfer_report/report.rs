//! The cases, their samples, and the table with the issues' goals.

use std::collections::HashMap;
use std::fmt::Write;

use crate::buffers::{Buffers, FOUR_MIB};
use crate::hub_pairs::HubPairs;
use crate::sample::{Sample, Summary};

/// One kind of transfer measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Case {
    /// hark's uTP through the facade, the builder's default hub.
    Hark(Buffers),
    /// Raw UDP, one datagram per syscall.
    RawUdp(Buffers),
    /// TCP with std streams.
    Tcp(Buffers),
    /// libtorrent's uTP.
    Libtorrent(Buffers),
    /// hark's uTP (4 MiB buffers) with a hub that accepts nothing.
    HubNothing,
    /// hark's uTP (4 MiB buffers) with every event at debug and a no-op listener.
    HubAllDebug,
}

impl Case {
    /// A short description for progress lines.
    pub fn label(self) -> String {
        let buffers = |b: Buffers| match b {
            Buffers::OsDefault => "OS default buffers".to_string(),
            Buffers::Fixed(n) => format!("{} KiB buffers", n >> 10),
        };
        match self {
            Case::Hark(b) => format!("hark uTP, {}", buffers(b)),
            Case::RawUdp(b) => format!("raw UDP, {}", buffers(b)),
            Case::Tcp(b) => format!("TCP, {}", buffers(b)),
            Case::Libtorrent(b) => format!("libtorrent uTP, {}", buffers(b)),
            Case::HubNothing => "hub: nothing enabled".to_string(),
            Case::HubAllDebug => "hub: all events at debug".to_string(),
        }
    }
}

/// Collected samples and failures.
pub struct Report {
    settings: String,
    libtorrent: Option<String>,
    samples: HashMap<Case, Vec<Sample>>,
    failures: Vec<(Case, String)>,
    hub_pairs: Option<HubPairs>,
}

const ROW: usize = 44;

impl Report {
    /// An empty report; `libtorrent` is its version when it can be imported.
    pub fn new(settings: &str, libtorrent: Option<String>) -> Report {
        Report {
            settings: settings.to_string(),
            libtorrent,
            samples: HashMap::new(),
            failures: Vec::new(),
            hub_pairs: None,
        }
    }

    /// Records a sample.
    pub fn add(&mut self, case: Case, sample: Sample) {
        self.samples.entry(case).or_default().push(sample);
    }

    /// Records the hub's cost measured in back-to-back pairs.
    pub fn set_hub_pairs(&mut self, pairs: HubPairs) {
        self.hub_pairs = Some(pairs);
    }

    /// Records a failed run.
    pub fn fail(&mut self, case: Case, error: String) {
        self.failures.push((case, error));
    }

    fn summary(&self, case: Case) -> Option<Summary> {
        Summary::of(self.samples.get(&case).map_or(&[][..], Vec::as_slice))
    }

    fn cell(&self, case: Case) -> String {
        match self.summary(case) {
            Some(s) => format!("{:>10.1} {:>11.5}", s.mb_per_s, s.cpu_per_mb),
            None if self.failures.iter().any(|(c, _)| *c == case) => {
                format!("{:>22}", "FAILED")
            }
            None => format!("{:>10} {:>11}", "-", "-"),
        }
    }

    fn note(&self, cases: [Case; 2]) -> String {
        let mut notes = Vec::new();
        for (case, name) in cases.into_iter().zip(["default", "4 MiB"]) {
            if let Some(s) = self.summary(case) {
                if s.loss > 0.0005 {
                    notes.push(format!("{name}: {:.1} % not delivered", s.loss * 100.0));
                } else if s.complete < s.runs {
                    notes.push(format!(
                        "{name}: {} of {} runs short",
                        s.runs - s.complete,
                        s.runs
                    ));
                }
            }
        }
        notes.join(", ")
    }

    fn row(&self, out: &mut String, name: &str, cases: [Case; 2]) {
        let _ = writeln!(
            out,
            "{name:<ROW$}{}   {}  {}",
            self.cell(cases[0]),
            self.cell(cases[1]),
            self.note(cases)
        );
    }

    fn mb_per_s(&self, case: Case) -> Option<f64> {
        self.summary(case).map(|s| s.mb_per_s)
    }

    /// The table and the goals.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let (d, f) = (Buffers::OsDefault, FOUR_MIB);
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "hark transfer report: one connection on loopback, {}",
            self.settings
        );
        let _ = writeln!(
            out,
            "OS default buffers: net.core.rmem_default {}, wmem_default {} (TCP: autotuning); 4 MiB: SO_RCVBUF = SO_SNDBUF = 4194304",
            sysctl("rmem_default"),
            sysctl("wmem_default"),
        );
        let _ = writeln!(
            out,
            "CPU = getrusage(RUSAGE_SELF) user+sys of both ends per delivered MB (10^6 bytes)"
        );
        let _ = writeln!(
            out,
            "raw UDP: at most {} datagrams beyond the last ack (one ack per {}), no retransmission: only delivered bytes count",
            crate::raw_udp::WINDOW,
            crate::raw_udp::ACK_EVERY,
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<ROW$}{:^22}   {:^22}",
            "", "OS default buffers", "4 MiB buffers"
        );
        let _ = writeln!(
            out,
            "{:<ROW$}{:>10} {:>11}   {:>10} {:>11}",
            "", "MB/s", "CPU s/MB", "MB/s", "CPU s/MB"
        );
        self.row(
            &mut out,
            "hark uTP (libutp facade, reactor threads)",
            [Case::Hark(d), Case::Hark(f)],
        );
        self.row(
            &mut out,
            "raw UDP, one 1400 B datagram per syscall",
            [Case::RawUdp(d), Case::RawUdp(f)],
        );
        self.row(
            &mut out,
            "TCP (std streams, 256 KiB writes)",
            [Case::Tcp(d), Case::Tcp(f)],
        );
        match &self.libtorrent {
            Some(version) => self.row(
                &mut out,
                &format!("libtorrent {version} uTP (BitTorrent download)"),
                [Case::Libtorrent(d), Case::Libtorrent(f)],
            ),
            None => {
                let _ = writeln!(
                    out,
                    "{:<ROW$}not installed (/usr/bin/python3 cannot import libtorrent)",
                    "libtorrent uTP"
                );
            }
        }
        let _ = writeln!(out, "hub cost (hark uTP, 4 MiB buffers):");
        for (name, case) in [
            ("  hub with nothing enabled", Case::HubNothing),
            ("  default hub (all kept, no listener)", Case::Hark(f)),
            ("  every event at debug, no-op listener", Case::HubAllDebug),
        ] {
            let _ = writeln!(out, "{name:<ROW$}{:>22}   {}", "", self.cell(case));
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "goals:");
        let hark_f = self.mb_per_s(Case::Hark(f));
        goal(
            &mut out,
            "issue 5: hark uTP, 4 MiB buffers",
            hark_f,
            " MB/s",
            ">= 2000 MB/s",
            |v| v >= 2000.0,
        );
        let ratio = |a: Option<f64>, b: Option<f64>| Some(a? / b?);
        goal(
            &mut out,
            "issue 5: hark uTP / raw UDP, 4 MiB buffers",
            ratio(hark_f, self.mb_per_s(Case::RawUdp(f))),
            "x",
            ">= 2x",
            |v| v >= 2.0,
        );
        goal(
            &mut out,
            "issue 5: hark uTP, OS default buffers",
            self.mb_per_s(Case::Hark(d)),
            " MB/s",
            ">= 300 MB/s",
            |v| v >= 300.0,
        );
        match &self.hub_pairs {
            Some(pairs) => {
                let (loss, interval) = HubPairs::loss_text(&pairs.throughput).unzip();
                goal(
                    &mut out,
                    &format!(
                        "issue 4: throughput lost to the hub, all debug vs nothing ({} pairs{})",
                        pairs.throughput.len(),
                        interval.unwrap_or_default()
                    ),
                    loss,
                    " %",
                    "< 5 %",
                    |v| v < 5.0,
                );
                let cpu = HubPairs::increase_text(&pairs.cpu).unwrap_or_else(|| "n/a".to_string());
                let _ = writeln!(out, "  (CPU per MB, all debug vs nothing: {cpu})");
                for error in &pairs.failures {
                    let _ = writeln!(out, "failed: hub pair: {error}");
                }
            }
            None => {
                let loss = ratio(
                    self.mb_per_s(Case::HubAllDebug),
                    self.mb_per_s(Case::HubNothing),
                )
                .map(|r| (1.0 - r) * 100.0);
                goal(
                    &mut out,
                    "issue 4: throughput lost to the hub, all debug vs nothing",
                    loss,
                    " %",
                    "< 5 %",
                    |v| v < 5.0,
                );
            }
        }
        let _ = writeln!(out, "for context:");
        for (name, other) in [
            ("TCP", Case::Tcp as fn(Buffers) -> Case),
            ("libtorrent uTP", Case::Libtorrent),
        ] {
            let _ = writeln!(
                out,
                "  hark uTP / {name}: {} with OS default buffers, {} with 4 MiB buffers",
                times(ratio(self.mb_per_s(Case::Hark(d)), self.mb_per_s(other(d)))),
                times(ratio(hark_f, self.mb_per_s(other(f)))),
            );
        }
        for (case, error) in &self.failures {
            let _ = writeln!(out, "failed: {}: {error}", case.label());
        }
        out
    }
}

fn times(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.2}x"))
}

fn goal(
    out: &mut String,
    name: &str,
    value: Option<f64>,
    unit: &str,
    target: &str,
    ok: impl Fn(f64) -> bool,
) {
    let (shown, verdict) = match value {
        Some(v) if v.is_finite() => (
            format!("{v:.2}{unit}"),
            if ok(v) { "PASS" } else { "MISSED" },
        ),
        _ => ("n/a".to_string(), "MISSED (not measured)"),
    };
    let _ = writeln!(out, "  {name:<58} {shown:>14}  (goal {target}): {verdict}");
}

fn sysctl(name: &str) -> String {
    std::fs::read_to_string(format!("/proc/sys/net/core/{name}"))
        .map_or_else(|_| "?".to_string(), |s| s.trim().to_string())
}
