//! How an isolated process's OS process is started: [`Isolation`].

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// How to start the OS process of an isolated process: which program, and
/// what limits the operating system holds it to. A builder; every setting
/// is optional.
///
/// Passed to [`System::spawn_isolated`](crate::System::spawn_isolated)
/// or [`Isolated::new`](crate::isolated::Isolated::new). Each instance of
/// the process (its first start, and each restart) gets a fresh OS
/// process started this way.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use phyx::isolated::Isolation;
///
/// let isolation = Isolation::new()
///     .memory_limit(512 << 20)                   // 512 MiB of address space
///     .cpu_time(Duration::from_secs(30))         // then SIGXCPU
///     .start_timeout(Duration::from_secs(5));
/// # let _ = isolation;
/// ```
#[derive(Debug, Clone, Default)]
pub struct Isolation {
    pub(crate) program: Option<PathBuf>,
    pub(crate) args: Vec<OsString>,
    pub(crate) memory_limit: Option<u64>,
    pub(crate) cpu_time: Option<Duration>,
    pub(crate) start_timeout: Option<Duration>,
}

impl Isolation {
    /// How long a child has to become ready when none is set: started,
    /// joined the cluster and its process running.
    pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(10);

    /// The defaults: this same program ([`std::env::current_exe`]), no
    /// arguments, no limits, a start timeout of
    /// [`DEFAULT_START_TIMEOUT`](Self::DEFAULT_START_TIMEOUT).
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `path` instead of this program. Its `main` must call
    /// [`serve_if_child`](crate::isolated::serve_if_child) with the
    /// process's type among its children, and be built from the same
    /// source of that process (the messages carry a hash of its methods).
    pub fn program(mut self, path: impl Into<PathBuf>) -> Self {
        self.program = Some(path.into());
        self
    }

    /// Adds a command-line argument for the child. It learns everything
    /// phyx tells it on its standard input, never in its arguments; these
    /// are the program's own (e.g. a test harness's filter).
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Adds command-line arguments for the child; see [`arg`](Self::arg).
    pub fn args(mut self, args: impl IntoIterator<Item = impl Into<OsString>>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Limits the child's address space to `bytes` (`RLIMIT_AS`): an
    /// allocation past it fails, and Rust aborts the child ("memory
    /// allocation of N bytes failed"), which crashes this process only.
    ///
    /// The limit counts reserved address space, not memory used: the
    /// program's code, each thread's stack and the allocator's arenas
    /// count too, so leave room above what the process uses (a small
    /// program needs a few tens of MiB; a limit under that keeps the
    /// child from starting at all).
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Limits the child's CPU time (`RLIMIT_CPU`, in whole seconds,
    /// rounded up): past it, the operating system ends it with `SIGXCPU`
    /// (then `SIGKILL` a second later), which crashes this process only.
    ///
    /// The time counts from the child's start, across every message it
    /// handles: an instance that has used its time is restarted (with
    /// the process's backoff) with a fresh budget.
    pub fn cpu_time(mut self, limit: Duration) -> Self {
        self.cpu_time = Some(limit);
        self
    }

    /// How long a child has to become ready (started, joined the cluster,
    /// its process's start hook done), on the system's clock; past it the
    /// start fails (a crash of the process, restarted by its policy).
    pub fn start_timeout(mut self, within: Duration) -> Self {
        self.start_timeout = Some(within);
        self
    }

    /// The CPU time limit in whole seconds, at least 1.
    pub(crate) fn cpu_seconds(&self) -> Option<u64> {
        self.cpu_time
            .map(|limit| limit.as_secs() + u64::from(limit.subsec_nanos() > 0))
            .map(|seconds| seconds.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_rounds_up_to_whole_seconds() {
        let seconds = |limit: Duration| Isolation::new().cpu_time(limit).cpu_seconds();
        assert_eq!(seconds(Duration::from_millis(1)), Some(1));
        assert_eq!(seconds(Duration::ZERO), Some(1));
        assert_eq!(seconds(Duration::from_secs(2)), Some(2));
        assert_eq!(seconds(Duration::from_millis(2001)), Some(3));
        assert_eq!(Isolation::new().cpu_seconds(), None);
    }
}
