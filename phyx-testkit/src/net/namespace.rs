//! A Linux network namespace joined to the host by a veth pair: a real
//! network link for a process the test runs inside it, that the test
//! takes down (a partition) and brings back (a heal).

use std::ffi::OsStr;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable that turns a missing namespace (not root, no
/// `ip`, no permission) from a skip into a test failure:
/// `PHYX_REQUIRE_NETNS=1` (any value but empty or `0`). CI, which runs as
/// root, sets it, so that a run that cannot make namespaces cannot pass.
pub const REQUIRE_NETNS_VAR: &str = "PHYX_REQUIRE_NETNS";

/// What makes the namespaces a test binary's tests can, and the fix.
const HOW: &str = "run the tests as root, with iproute2's `ip` on PATH (e.g. `sudo -E env \"PATH=$PATH\" cargo test`)";

/// The /16 the links' addresses come from: private, and far from the
/// 10.0.x.x and 10.1.x.x that container and VPN networks tend to take.
const BLOCK: [u8; 2] = [10, 213];

/// The prefix of every namespace this kit makes: `phyx-<pid>-<n>`.
const PREFIX: &str = "phyx-";

/// A network namespace of its own, and a veth pair between it and the
/// host with an address at each end, in a `/30` of `10.213.0.0/16` picked
/// for it (one not in use on the host).
///
/// Run a process inside with [`command`](Self::command) (`ip netns exec`):
/// it reaches the host only over the pair, at
/// [`host_addr`](Self::host_addr), where a server for it should listen
/// ([`NatsServerBuilder::listen_on`](crate::nats::NatsServerBuilder::listen_on)).
/// [`partition`](Self::partition) takes the host's end of the link down,
/// so that nothing crosses it and no end is told (TCP stalls and
/// retransmits, as across a failed network); [`heal`](Self::heal) brings
/// it back up. Processes on the host still reach `host_addr` meanwhile:
/// it is an address of the host's.
///
/// It needs root (or `CAP_NET_ADMIN` and `CAP_SYS_ADMIN`) and iproute2.
/// Without them [`create`](Self::create) returns `None` after a loud line
/// on stderr, or panics under [`REQUIRE_NETNS_VAR`].
///
/// Dropped, it deletes the namespace and the pair, also while a failing
/// test unwinds. A test process killed outright leaves them behind; the
/// next `create` in any test process deletes those whose process is gone.
/// Processes still inside when it drops keep the namespace alive until
/// they exit (its name and link are gone).
///
/// # Examples
///
/// ```no_run
/// use phyx_testkit::nats::NatsServer;
/// use phyx_testkit::net::Namespace;
///
/// let Some(namespace) = Namespace::create() else { return };
/// let Some(nats) = NatsServer::builder().listen_on(namespace.host_addr()).start() else { return };
/// let mut inside = namespace
///     .command("my-node")
///     .arg(nats.url())
///     .spawn()
///     .unwrap();
/// namespace.partition();
/// namespace.heal();
/// # inside.kill().unwrap();
/// ```
#[derive(Debug)]
pub struct Namespace {
    name: String,
    /// The host's end of the pair (the namespace's goes with it).
    host_link: String,
    host_addr: Ipv4Addr,
    addr: Ipv4Addr,
}

impl Namespace {
    /// Makes a namespace and its link, both up.
    ///
    /// Returns `None` when this machine or user cannot (not root, no `ip`
    /// command, no permission, as in most unprivileged containers): the
    /// test should then return, as skipped. The skip is loud: a line on
    /// the process's real stderr (past the test harness's capture) names
    /// the test, what failed and how to run it.
    ///
    /// # Panics
    ///
    /// If it cannot and [`REQUIRE_NETNS_VAR`] is set.
    pub fn create() -> Option<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let pid = std::process::id();
        remove_leftovers();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("{PREFIX}{pid}-{n}");
        if let Err(why) = ip(["netns", "add", &name]) {
            return skip(&why);
        }
        let (host_addr, addr) = free_pair(pid, n);
        // From here on, the drop cleans up whatever was made.
        let namespace = Self {
            host_link: host_link(pid, n),
            name,
            host_addr,
            addr,
        };
        let inside_link = format!("phx{pid}n{n}");
        let made = ip([
            "link",
            "add",
            &namespace.host_link,
            "type",
            "veth",
            "peer",
            "name",
            &inside_link,
            "netns",
            &namespace.name,
        ])
        .and_then(|()| ip(["addr", "add", &format!("{host_addr}/30"), "dev", &namespace.host_link]))
        .and_then(|()| ip(["link", "set", &namespace.host_link, "up"]))
        .and_then(|()| {
            let inside = ["-n", &namespace.name];
            ip(inside
                .into_iter()
                .chain(["addr", "add", &format!("{addr}/30"), "dev", &inside_link]))
            .and_then(|()| {
                ip(inside.into_iter().chain(["link", "set", &inside_link, "up"]))
                    .and_then(|()| ip(inside.into_iter().chain(["link", "set", "lo", "up"])))
            })
        });
        match made {
            Ok(()) => Some(namespace),
            Err(why) => skip(&why),
        }
    }

    /// The namespace's name, as `ip netns` lists it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The host's end of the link: where a server for the processes
    /// inside listens.
    pub fn host_addr(&self) -> IpAddr {
        self.host_addr.into()
    }

    /// The namespace's end of the link: the processes inside have this
    /// address (and their own loopback).
    pub fn addr(&self) -> IpAddr {
        self.addr.into()
    }

    /// A command that runs `program` inside the namespace (`ip netns exec
    /// <name> <program>`, which becomes `program`: killing the child
    /// kills it). Add its arguments and spawn it as any [`Command`].
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).arg(program);
        command
    }

    /// Takes the host's end of the link down: no packet crosses, either
    /// way, and neither end is told (no reset); connections across stall
    /// until [`heal`](Self::heal) or until their ends give up.
    ///
    /// # Panics
    ///
    /// If `ip` fails.
    pub fn partition(&self) {
        self.set_host_link("down");
    }

    /// Brings the host's end of the link back up: stalled connections
    /// move on as TCP retransmits (within a second or two).
    ///
    /// # Panics
    ///
    /// If `ip` fails.
    pub fn heal(&self) {
        self.set_host_link("up");
    }

    fn set_host_link(&self, state: &str) {
        if let Err(why) = ip(["link", "set", &self.host_link, state]) {
            panic!(
                "phyx-testkit: cannot set the link of namespace {} {state}: {why}",
                self.name
            );
        }
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // Errors ignored: a panic in a drop, during a failing test's
        // unwinding, would abort; what is left is removed by the next
        // `create` (its process is gone by then).
        let _ = ip(["link", "del", &self.host_link]);
        let _ = ip(["netns", "del", &self.name]);
    }
}

/// The host's end of namespace `n` of process `pid`: at most 15 bytes, as
/// Linux wants (`phx` + 7 digits of a pid + `h` + a count under 1000);
/// the namespace's end is the same with `n` for `h`.
fn host_link(pid: u32, n: u32) -> String {
    format!("phx{pid}h{n}")
}

/// Runs `ip` with `args`; its complaint if it fails.
fn ip<'a>(args: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
    let args: Vec<&str> = args.into_iter().collect();
    let output = Command::new("ip")
        .args(&args)
        .output()
        .map_err(|error| format!("cannot run `ip`: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Deletes the namespaces (and their links) of test processes that are
/// gone: those a killed test left behind.
fn remove_leftovers() {
    let Ok(output) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        // `phyx-123-0` or `phyx-123-0 (id: 4)`.
        let name = line.split_whitespace().next().unwrap_or_default();
        let Some((pid, n)) = name.strip_prefix(PREFIX).and_then(|rest| rest.split_once('-')) else {
            continue;
        };
        let (Ok(pid), Ok(n)) = (pid.parse::<u32>(), n.parse::<u32>()) else {
            continue;
        };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let _ = ip(["link", "del", &host_link(pid, n)]);
        let _ = ip(["netns", "del", name]);
    }
}

/// The two ends of a `/30` not in use on the host: the host's (`.1` of
/// the block) and the namespace's (`.2`), from `10.213.0.0/16`, starting
/// at a block that depends on `pid` and `n`, so that test processes at
/// once rarely try the same one.
fn free_pair(pid: u32, n: u32) -> (Ipv4Addr, Ipv4Addr) {
    let in_use = Command::new("ip")
        .args(["-o", "-4", "addr", "show"])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    const BLOCKS: u32 = 1 << 14;
    let first = pid.wrapping_mul(64).wrapping_add(n) % BLOCKS;
    (0..BLOCKS)
        .map(|i| (first + i) % BLOCKS)
        .map(|block| {
            let base = u32::from(Ipv4Addr::new(BLOCK[0], BLOCK[1], 0, 0)) + block * 4;
            (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2))
        })
        .find(|(host, inside)| {
            !in_use.contains(&format!("inet {host}/")) && !in_use.contains(&format!("inet {inside}/"))
        })
        .expect("phyx-testkit: every /30 of 10.213.0.0/16 is in use")
}

/// Reports that the calling test cannot make a namespace: `None`, after
/// a line on the real stderr; a panic under [`REQUIRE_NETNS_VAR`].
fn skip<T>(why: &str) -> Option<T> {
    let current = std::thread::current();
    let test = current.name().unwrap_or("a test");
    let required = std::env::var_os(REQUIRE_NETNS_VAR).is_some_and(|value| !value.is_empty() && value != "0");
    if required {
        panic!("`{test}` needs a network namespace, and {REQUIRE_NETNS_VAR} is set: {why}; {HOW}");
    }
    // Straight to the file descriptor: libtest captures `eprintln!`, and
    // shows it only for failed tests. Nothing to do if stderr is gone.
    let _ = std::io::stderr().write_all(
        format!(
            "phyx-testkit: SKIPPED `{test}`: it needs a network namespace ({why}); to run it, {HOW}; \
             {REQUIRE_NETNS_VAR}=1 fails it instead\n"
        )
        .as_bytes(),
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_links_fit_linuxs_fifteen_bytes() {
        // The largest pid Linux gives (`pid_max` at most 2^22), and more
        // namespaces than one test process makes.
        assert!(host_link(4_194_304, 999).len() <= 15);
    }

    #[test]
    fn pairs_are_the_first_two_hosts_of_a_slash_30_of_the_block() {
        let (host, inside) = free_pair(0, 1);
        let [a, b, c, d] = host.octets();
        assert_eq!([a, b], BLOCK);
        assert_eq!(d % 4, 1);
        assert_eq!(inside, Ipv4Addr::new(a, b, c, d + 1));
    }
}
