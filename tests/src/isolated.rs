//! Processes for the isolated-process tests: shared by the tests (the
//! parent) and by the `isolated-node` binary, which serves them in child
//! OS processes.

use std::hint::black_box;
use std::time::{Duration, Instant};

use phyx::prelude::*;

/// A worker whose calls can take its whole OS process down, in every way
/// an OS process dies.
#[derive(Default)]
pub struct Cruncher {
    calls: u64,
}

#[process(remote)]
impl Cruncher {
    /// Counts a call; answers this instance's count of calls and the OS
    /// process it runs in.
    #[public]
    pub fn call(&mut self) -> (u64, u32) {
        self.calls += 1;
        (self.calls, std::process::id())
    }

    /// A real segmentation fault: a write to an address nothing maps.
    #[public]
    #[allow(unsafe_code, reason = "the fault is the point")]
    pub fn segfault(&self) -> u64 {
        // SAFETY: none; the write faults and the OS process dies of
        // SIGSEGV. Address 8, not null: a null write is caught by Rust's
        // debug checks as a panic that aborts, not a fault.
        unsafe { std::ptr::null_mut::<u8>().wrapping_add(8).write_volatile(1) };
        self.calls
    }

    /// `std::process::abort`.
    #[public]
    pub fn abort(&self) -> u64 {
        std::process::abort()
    }

    /// Recurses `depth` frames of 4 KiB each: past the thread's stack.
    #[public]
    pub fn overflow(&self, depth: u64) -> u64 {
        deep(depth)
    }

    /// Allocates `mib` MiB, 16 MiB at a time, keeps it all, and answers
    /// how many blocks it got. Zeroed blocks: the address space is taken,
    /// the memory untouched (a memory limit stops it; the machine would
    /// not notice it).
    #[public]
    pub fn allocate(&self, mib: u64) -> u64 {
        let mut kept = Vec::new();
        for _ in 0..mib / 16 {
            kept.push(black_box(vec![0u8; 16 << 20]));
        }
        black_box(&kept);
        kept.len() as u64
    }

    /// Spins on the CPU for `millis` of real time, then answers.
    #[public]
    pub fn spin(&self, millis: u64) -> u64 {
        let until = Instant::now() + Duration::from_millis(millis);
        let mut turns = 0u64;
        while Instant::now() < until {
            turns = black_box(turns.wrapping_add(1));
        }
        turns
    }

    /// Panics with `message`: a Rust panic, which the child reports.
    #[public]
    pub fn fail(&self, message: String) -> u64 {
        panic!("{message}")
    }

    /// Writes `out` on standard output and `err` on standard error.
    #[public]
    pub fn say(&self, out: String, err: String) {
        println!("{out}");
        eprintln!("{err}");
    }

    /// Stops this process normally.
    #[public]
    pub fn quit(&self, ctx: &mut Ctx<Self>) {
        ctx.stop();
    }

    /// Healthy, naming the OS process the check ran in.
    #[health_check]
    fn health(&self) -> Health {
        Health::healthy().with_detail(format!("pid {}", std::process::id()))
    }
}

#[inline(never)]
fn deep(depth: u64) -> u64 {
    let frame = black_box([depth as u8; 4096]);
    if depth == 0 {
        u64::from(frame[0])
    } else {
        deep(depth - 1).wrapping_add(u64::from(black_box(frame[1])))
    }
}

/// A process whose start always fails, in its child.
#[derive(Default)]
pub struct Grumpy;

#[process(remote)]
impl Grumpy {
    #[on_start]
    fn begin(&mut self) -> Result<(), String> {
        Err("not today".to_owned())
    }

    /// Never reached.
    #[public]
    pub fn hello(&self) -> String {
        "hello".to_owned()
    }
}
