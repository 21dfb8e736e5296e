//! Peak resident memory of this process, from Linux's `/proc/self/status`, for the proving
//! benchmarks. Resetting the peak (`/proc/self/clear_refs`, value 5) lets one process
//! measure two provers in turn.

/// The peak resident set size so far (`VmHWM`), in bytes, where Linux reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resets the peak to the current resident size; false where the kernel does not allow it.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
