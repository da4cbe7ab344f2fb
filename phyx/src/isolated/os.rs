//! The child as the operating system sees it: started with its limits,
//! and what its end says.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};

use tokio::process::{Child, Command};

use super::isolation::Isolation;
use crate::system::isolated::CHILD_VAR;

/// Starts the program `isolation` names, its three standard streams piped
/// to this process, held to its limits from before it runs.
pub(crate) fn spawn(isolation: &Isolation) -> Result<Child, String> {
    let program = match &isolation.program {
        Some(program) => program.clone(),
        None => {
            std::env::current_exe().map_err(|error| format!("cannot find this program to run it again: {error}"))?
        }
    };
    let mut command = Command::new(&program);
    command
        .args(&isolation.args)
        // The parent's id: a grandchild that inherits it is not a child.
        .env(CHILD_VAR, std::process::id().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Dropped unwaited (its parent's runtime gone): killed, not left.
        .kill_on_drop(true);
    limit(&mut command, isolation.memory_limit, isolation.cpu_seconds());
    command.spawn().map_err(|error| cannot_run(&program, &error))
}

fn cannot_run(program: &Path, error: &std::io::Error) -> String {
    format!("cannot run `{}`: {error}", program.display())
}

/// Sets the limits in the child, between fork and exec.
#[allow(unsafe_code)]
fn limit(command: &mut Command, memory: Option<u64>, cpu_seconds: Option<u64>) {
    if memory.is_none() && cpu_seconds.is_none() {
        return;
    }
    let hook = move || -> std::io::Result<()> {
        if let Some(bytes) = memory {
            set_limit(libc::RLIMIT_AS, bytes, bytes)?;
        }
        if let Some(seconds) = cpu_seconds {
            // SIGXCPU at the soft limit; SIGKILL at the hard one, should
            // the program catch or ignore SIGXCPU.
            set_limit(libc::RLIMIT_CPU, seconds, seconds.saturating_add(1))?;
        }
        Ok(())
    };
    // SAFETY: the hook runs in the forked child before exec, where only
    // async-signal-safe calls are allowed: it makes two `setrlimit` system
    // calls on values computed beforehand, and allocates nothing (an
    // error is `io::Error::last_os_error`, a plain integer).
    unsafe {
        command.pre_exec(hook);
    }
}

#[cfg(target_os = "linux")]
type Resource = libc::__rlimit_resource_t;

#[cfg(not(target_os = "linux"))]
type Resource = libc::c_int;

#[allow(unsafe_code)]
fn set_limit(resource: Resource, soft: u64, hard: u64) -> std::io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: soft as libc::rlim_t,
        rlim_max: hard as libc::rlim_t,
    };
    // SAFETY: `setrlimit` reads the `rlimit` it is given, which lives
    // across the call.
    if unsafe { libc::setrlimit(resource, &limit) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// What ended a child: `signal 6 (SIGABRT)`, `exit status 3`.
pub(crate) fn describe(status: ExitStatus) -> String {
    match (status.signal(), status.code()) {
        (Some(signal), _) => format!("signal {signal} ({})", signal_name(signal)),
        (None, Some(code)) => format!("exit status {code}"),
        (None, None) => format!("{status}"),
    }
}

/// The usual name of signal `signal`.
pub(crate) fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => "a signal",
    }
}

/// Whether `status` is the end of a child that used up its CPU time.
pub(crate) fn out_of_cpu_time(status: ExitStatus) -> bool {
    status.signal() == Some(libc::SIGXCPU)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_read_as_their_cause() {
        assert_eq!(describe(ExitStatus::from_raw(libc::SIGABRT)), "signal 6 (SIGABRT)");
        assert_eq!(describe(ExitStatus::from_raw(libc::SIGSEGV)), "signal 11 (SIGSEGV)");
        assert_eq!(describe(ExitStatus::from_raw(3 << 8)), "exit status 3");
        assert!(out_of_cpu_time(ExitStatus::from_raw(libc::SIGXCPU)));
        assert!(!out_of_cpu_time(ExitStatus::from_raw(libc::SIGKILL)));
    }
}
