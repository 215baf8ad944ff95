//! Medians and quartiles of small samples.

/// The median of `values` (0 when empty).
pub fn median(values: &[f64]) -> f64 {
    quantile(values, 0.5)
}

/// The `q` quantile of `values` by linear interpolation (0 when empty).
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let Some(last) = sorted.len().checked_sub(1) else {
        return 0.0;
    };
    let position = q.clamp(0.0, 1.0) * last as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let low = sorted.get(below).copied().unwrap_or(0.0);
    let high = sorted.get(above).copied().unwrap_or(low);
    low + (high - low) * (position - below as f64)
}

/// An approximately 95 % confidence interval for the median of `values`, from their order
/// statistics (the sign test's interval: no assumption about the distribution). `None`
/// below 6 values, where it would span everything.
pub fn median_interval(values: &[f64]) -> Option<(f64, f64)> {
    let n = values.len();
    if n < 6 {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Ranks n/2 -+ 1.96 * sqrt(n)/2 (normal approximation to the binomial), 1-based.
    let half_width = 0.98 * (n as f64).sqrt();
    let low = ((n as f64 / 2.0 - half_width).floor() as usize).max(1);
    let high = ((n as f64 / 2.0 + half_width).ceil() as usize + 1).min(n);
    Some((*sorted.get(low - 1)?, *sorted.get(high - 1)?))
}
