//! What the report benches (`harness = false`) share: medians with their spread, option
//! parsing, and the removal of their scratch directory.

/// A median with the lowest and highest value.
#[derive(Debug, Clone, Copy)]
pub struct Spread {
    /// The median.
    pub median: f64,
    /// The lowest value.
    pub low: f64,
    /// The highest value.
    pub high: f64,
}

impl Spread {
    /// Of `values` (not empty).
    pub fn of(values: &[f64]) -> Spread {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Spread {
            median: sorted[sorted.len() / 2],
            low: sorted[0],
            high: sorted[sorted.len() - 1],
        }
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A width (`{spread:>7}`) applies to the median, so columns line up.
        let width = f.width().unwrap_or(0);
        write!(
            f,
            "{:>width$.1} [{:.1}-{:.1}]",
            self.median, self.low, self.high
        )
    }
}

/// Parses an option's value.
pub fn parse<T: std::str::FromStr>(text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| format!("{text}: {e}"))
}

/// Removes a bench's scratch directory (payload, .torrent, downloads) when dropped.
pub struct Cleanup(pub std::path::PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
