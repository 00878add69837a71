//! Resident memory of a local server process, read from `/proc/PID/status` (see proc(5)).

/// One reading of a process's memory, in KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemorySample {
    /// The resident set now (`VmRSS`).
    pub rss_kib: u64,
    /// The peak resident set over the process's life (`VmHWM`).
    pub hwm_kib: u64,
}

/// Reads the memory of process `pid`, or `None` when it is gone or `/proc` is missing.
pub fn sample(pid: u32) -> Option<MemorySample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_status(&status)
}

/// The `VmRSS` and `VmHWM` lines of a status file.
fn parse_status(status: &str) -> Option<MemorySample> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
    };
    Some(MemorySample {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_hwm() {
        let status = "Name:\tkmsd\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n";
        let sample = parse_status(status);
        assert_eq!(
            sample,
            Some(MemorySample {
                rss_kib: 10_240,
                hwm_kib: 20_480
            })
        );
        assert_eq!(parse_status("Name:\tx\n"), None);
    }

    #[test]
    fn samples_this_process() {
        let me = sample(std::process::id());
        assert!(me.is_some_and(|m| m.rss_kib > 0 && m.hwm_kib >= m.rss_kib));
    }
}
