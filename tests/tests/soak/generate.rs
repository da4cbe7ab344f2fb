//! Random programs: a seed and the classes on give one [`Program`], the
//! same every time.

use phyx::{Overflow, Restart};

use crate::classes::{CLASSES, Class, Classes};
use crate::program::{Kind, Msg, Op, ProcessSpec, Program, SupKind};
use crate::rng::SplitMix64;
use crate::util::duration;

#[derive(Debug, Clone, Copy)]
struct GenTarget {
    /// Random ops may address it (not a class's own process).
    open: bool,
    kind: Kind,
    quit_ok: bool,
    /// How many more messages it may be sent, if bounded: a safe pool's
    /// mailboxes never fill, so that its router never blocks.
    budget: Option<u64>,
    /// For a supervisor's child: its root supervisor's tree, whose crash
    /// budget it spends.
    tree: Option<usize>,
    /// Its members may stop for good (a pool) or it may stop itself.
    stop_self_ok: bool,
}

#[derive(Debug, Clone, Copy)]
struct GenSup {
    open: bool,
    /// A child of another supervisor.
    nested: bool,
    tree: usize,
}

struct Gen {
    rng: SplitMix64,
    classes: Classes,
    ops: Vec<Op>,
    targets: Vec<GenTarget>,
    sups: Vec<GenSup>,
    /// Per root supervisor: how many more exits of its children (crashes,
    /// normal stops) and crashes of its supervisors random ops may cause;
    /// `None`, unbounded, under `group_overlap`.
    crashes: Vec<Option<u32>>,
    shut_down: bool,
    handler_shutdown: bool,
}

/// Messages a safe pool takes at most: its mailboxes (64) never fill, so
/// its router never blocks.
const POOL_MESSAGES: u64 = 48;

pub(crate) fn generate(seed: u64, classes: Classes) -> Program {
    let mut builder = Gen {
        rng: SplitMix64(seed),
        classes,
        ops: Vec::new(),
        targets: Vec::new(),
        sups: Vec::new(),
        crashes: Vec::new(),
        shut_down: false,
        handler_shutdown: false,
    };
    for _ in 0..builder.rng.range(1, 3) {
        builder.spawn_any();
    }
    let steps = builder.rng.range(8, 40);
    // Where each enabled expansion goes, if it is in this program at all.
    let mut expansions = Vec::new();
    for (class, _, _, percent) in CLASSES {
        if classes.has(class) && builder.rng.percent(percent) {
            expansions.push((builder.rng.below(steps), class));
        }
    }
    expansions.sort_by_key(|(at, _)| *at);
    for step in 0..steps {
        for (_, class) in expansions.iter().filter(|(at, _)| *at == step) {
            builder.expansion(*class);
        }
        builder.step();
    }
    Program {
        seed,
        classes,
        ops: builder.ops,
    }
}

const OVERFLOWS: [Overflow; 3] = [Overflow::Reject, Overflow::DropOldest, Overflow::Backpressure];

impl Gen {
    fn push_target(&mut self, target: GenTarget) -> usize {
        self.targets.push(target);
        self.targets.len() - 1
    }

    fn stop_hook(&mut self, shutdown_ms: u64) -> u64 {
        if self.rng.percent(60) {
            0
        } else {
            self.rng.range(1, 2 * shutdown_ms)
        }
    }

    fn spawn_any(&mut self) {
        if self.targets.len() >= 12 {
            return;
        }
        match self.rng.below(10) {
            0..=4 => self.spawn_plain(),
            5..=6 => self.spawn_pool(),
            _ => self.spawn_sup(),
        }
    }

    fn spawn_plain(&mut self) {
        let shutdown_ms = self.rng.pick(&[20, 50, 100, 250, 500, 1000]);
        let initial = self.rng.pick(&[0, 1, 10, 50, 100]);
        let spec = ProcessSpec {
            members: None,
            mailbox: self.rng.pick(&[1, 2, 3, 4, 8, 16]),
            overflow: self.rng.pick(&OVERFLOWS),
            restart: self.rng.pick(&[
                Restart::Permanent,
                Restart::Permanent,
                Restart::Transient,
                Restart::Transient,
                Restart::Temporary,
            ]),
            backoff_ms: (initial, initial.max(self.rng.pick(&[0, 50, 200, 1000, 3000]))),
            jitter: self.rng.pick(&[0.0, 0.0, 0.1, 0.5]),
            max_restarts: (self.rng.range(0, 6) as u32, self.rng.pick(&[1000, 5000, 30_000])),
            shutdown_ms,
            stop_hook_ms: self.stop_hook(shutdown_ms),
        };
        self.ops.push(Op::Spawn(spec));
        self.push_target(GenTarget {
            open: true,
            kind: Kind::Plain,
            quit_ok: true,
            budget: None,
            tree: None,
            stop_self_ok: true,
        });
    }

    fn spawn_pool(&mut self) {
        let shutdown_ms = self.rng.pick(&[20, 50, 100, 250, 500]);
        let initial = self.rng.pick(&[0, 10, 50, 100]);
        // Small mailboxes let the router block on a full member: only
        // under `pool_stuck`.
        let small = self.classes.has(Class::PoolStuck) && self.rng.percent(50);
        let restart = self.rng.pick(&[Restart::Permanent, Restart::Transient]);
        let spec = ProcessSpec {
            members: Some(self.rng.range(1, 4)),
            mailbox: if small { self.rng.range(1, 3) as usize } else { 64 },
            overflow: self.rng.pick(&OVERFLOWS),
            restart,
            backoff_ms: (initial, initial.max(self.rng.pick(&[0, 100, 1000]))),
            jitter: self.rng.pick(&[0.0, 0.25]),
            max_restarts: (1000, 60_000),
            shutdown_ms,
            stop_hook_ms: self.stop_hook(shutdown_ms),
        };
        self.ops.push(Op::Spawn(spec));
        // A member that stops for good gives its queue back to the pool,
        // whose small mailbox may be full: `pool_requeue`.
        let requeue_ok = !small || self.classes.has(Class::PoolRequeue);
        self.push_target(GenTarget {
            open: true,
            kind: Kind::Pool,
            // A transient member that quits is gone for good: the pool
            // routes to the others, and stops once none is left.
            quit_ok: requeue_ok || restart == Restart::Permanent,
            budget: (!small).then_some(POOL_MESSAGES),
            tree: None,
            stop_self_ok: requeue_ok,
        });
    }

    fn spawn_sup(&mut self) {
        let kind = self
            .rng
            .pick(&[SupKind::Solo, SupKind::All, SupKind::Rest, SupKind::Outer]);
        self.push_sup(kind, true);
    }

    /// A supervisor of `kind` with stop hooks of `stop_hooks` (random if
    /// `None`); returns the number of its first worker child.
    fn push_sup_with(&mut self, kind: SupKind, open: bool, stop_hooks: Option<(u64, u64)>) -> usize {
        let children = kind.children();
        let stop_hook_ms = children
            .iter()
            .map(|child| match stop_hooks {
                Some((low, high)) => self.rng.range(low, high),
                None => self.stop_hook(duration(child.shutdown).as_millis() as u64),
            })
            .collect();
        self.ops.push(Op::SpawnSup { kind, stop_hook_ms });
        let tree = self.crashes.len();
        self.crashes.push(match (self.classes.has(Class::GroupOverlap), kind) {
            (true, _) => None,
            // one_for_one restarts only the child; 3 stay within its
            // intensity, which a 4th would exceed (restarting the group).
            (false, SupKind::Solo) => Some(3),
            (false, _) => Some(1),
        });
        let first = self.targets.len();
        for _ in &children {
            self.push_target(GenTarget {
                open,
                kind: Kind::Child,
                quit_ok: true,
                budget: None,
                tree: Some(tree),
                stop_self_ok: true,
            });
        }
        for nested in 0..kind.supervisors() {
            self.sups.push(GenSup {
                open,
                nested: nested > 0,
                tree,
            });
        }
        first
    }

    fn push_sup(&mut self, kind: SupKind, open: bool) -> usize {
        if open {
            self.push_sup_with(kind, open, None)
        } else {
            self.push_sup_with(kind, open, Some((0, 0)))
        }
    }

    /// Spends one of `tree`'s crashes; false if none is left.
    fn spend_crash(&mut self, tree: Option<usize>) -> bool {
        let Some(tree) = tree else { return true };
        match &mut self.crashes[tree] {
            None => true,
            Some(0) => false,
            Some(left) => {
                *left -= 1;
                true
            }
        }
    }

    /// An open process, for a message if `message` (pools take a bounded
    /// number), of a kind `kind_ok` accepts.
    fn pick_target(&mut self, message: bool, kind_ok: impl Fn(Kind) -> bool) -> Option<usize> {
        let candidates: Vec<usize> = (0..self.targets.len())
            .filter(|&i| {
                let target = &self.targets[i];
                target.open && kind_ok(target.kind) && (!message || target.budget != Some(0))
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let chosen = self.rng.pick(&candidates);
        if message {
            if let Some(budget) = &mut self.targets[chosen].budget {
                *budget -= 1;
            }
        }
        Some(chosen)
    }

    fn pick_sup(&mut self) -> Option<usize> {
        let candidates: Vec<usize> = (0..self.sups.len()).filter(|&i| self.sups[i].open).collect();
        (!candidates.is_empty()).then(|| self.rng.pick(&candidates))
    }

    fn timeout(&mut self) -> Option<u64> {
        self.rng.percent(50).then(|| self.rng.range(1, 2000))
    }

    fn message(&mut self, to: usize, sync_only: bool) -> Msg {
        let target = self.targets[to];
        if !sync_only && self.classes.has(Class::SelfAsk) {
            match self.rng.below(100) {
                0..4 => return Msg::SelfAsk,
                // A pool member's own mailbox is not the pool's, whose
                // events the model counts.
                4..6 if target.kind != Kind::Pool => return Msg::SelfTellWait,
                6..7 if target.stop_self_ok => return Msg::StopSelf,
                _ => {}
            }
        }
        if self.classes.has(Class::DropPanic) && self.rng.percent(3) {
            return Msg::Arm;
        }
        if !sync_only && !self.handler_shutdown && self.classes.has(Class::HandlerShutdown) && self.rng.percent(3) {
            self.handler_shutdown = true;
            return Msg::ShutdownSystem;
        }
        let msg = match self.rng.below(100) {
            0..40 => Msg::Work,
            40..52 if !sync_only => Msg::Slow(self.rng.range(1, 1500)),
            52..60 => Msg::Boom,
            60..64 if !sync_only => Msg::BoomAfter(self.rng.range(1, 800)),
            64..65 if !sync_only => Msg::Hang,
            65..84 if !sync_only => {
                // Only processes spawned earlier: asks never form a cycle.
                let peers: Vec<usize> = (0..to).filter(|&i| self.targets[i].open).collect();
                if peers.is_empty() {
                    Msg::Work
                } else {
                    let peer = self.rng.pick(&peers);
                    let timeout_ms = self.rng.percent(50).then(|| self.rng.range(1, 1500));
                    Msg::AskOther { peer, timeout_ms }
                }
            }
            84..89 if target.quit_ok => Msg::Quit,
            _ => Msg::Work,
        };
        if msg.ends_instance() && !self.spend_crash(target.tree) {
            return Msg::Work;
        }
        msg
    }

    fn step(&mut self) {
        if self.targets.is_empty() {
            self.spawn_any();
            return;
        }
        let roll = self.rng.below(200);
        let classes = self.classes;
        let op = match roll {
            0..10 => {
                self.spawn_any();
                return;
            }
            10..140 => {
                let Some(to) = self.pick_target(true, |_| true) else {
                    self.spawn_any();
                    return;
                };
                match roll {
                    10..70 => Op::Tell {
                        to,
                        msg: self.message(to, false),
                    },
                    70..82 => Op::TellWait {
                        to,
                        msg: self.message(to, false),
                    },
                    82..90 => Op::TellAfter {
                        to,
                        msg: self.message(to, true),
                        after_ms: self.rng.range(1, 2000),
                    },
                    _ => Op::Ask {
                        to,
                        msg: self.message(to, false),
                        timeout_ms: self.timeout(),
                        expect_ok: false,
                    },
                }
            }
            140..152 => match self.pick_target(false, |kind| kind != Kind::Pool || classes.has(Class::PoolCrash)) {
                Some(to) if self.spend_crash(self.targets[to].tree) => Op::Crash { to },
                _ => return,
            },
            152..154 => match self.pick_sup() {
                Some(sup) if self.spend_crash(Some(self.sups[sup].tree)) => Op::CrashSup { sup },
                _ => return,
            },
            154..160 => match self.pick_target(false, |kind| kind != Kind::Child || classes.has(Class::ChildStop)) {
                Some(to) => Op::Stop { to },
                None => return,
            },
            // Stopping a nested supervisor is stopping a child: `child_stop`.
            160..162 => match self.pick_sup() {
                Some(sup) if !self.sups[sup].nested || self.classes.has(Class::ChildStop) => Op::StopSup { sup },
                _ => return,
            },
            162..163 if !self.shut_down && self.rng.percent(50) => {
                self.shut_down = true;
                Op::Shutdown
            }
            163..185 => Op::Advance {
                ms: self.rng.pick(&[1, 10, 50, 100, 500, 1000, 3000]),
            },
            _ => Op::Settle,
        };
        self.ops.push(op);
    }

    /// The ops of a class that are more than a random message: processes
    /// of their own, driven into the situation.
    fn expansion(&mut self, class: Class) {
        match class {
            // Random messages (or random ops), nothing more.
            Class::SelfAsk | Class::DropPanic | Class::HandlerShutdown | Class::GroupOverlap => {}
            Class::PoolRequeue => {
                let pool = self.private_process(class_pool(2, 1, Overflow::Backpressure, Restart::Transient));
                // One member stops for good in 100 ms, the other is busy
                // for a second.
                for msg in [Msg::QuitAfter(100), Msg::Slow(1000)] {
                    self.ops.push(Op::Tell { to: pool, msg });
                    self.ops.push(Op::Settle);
                }
                // One queued at each member, one held by the router, one
                // in the pool's mailbox: as the first member stops, its
                // queue goes back to the full pool mailbox.
                for _ in 0..4 {
                    self.ops.push(Op::Ask {
                        to: pool,
                        msg: Msg::Work,
                        timeout_ms: None,
                        expect_ok: true,
                    });
                    self.ops.push(Op::Settle);
                }
                self.ops.push(Op::Advance { ms: 3000 });
            }
            Class::PoolCrash => {
                let members = self.rng.range(1, 3);
                let pool = self.private_process(class_pool(members, 64, Overflow::Backpressure, Restart::Permanent));
                // The router has no state: it ignores the crash.
                self.ops.push(Op::Crash { to: pool });
                self.ops.push(Op::Advance { ms: 1000 });
                self.ops.push(Op::Ask {
                    to: pool,
                    msg: Msg::Work,
                    timeout_ms: None,
                    expect_ok: true,
                });
            }
            Class::ChildStop => {
                let kind = self.rng.pick(&[SupKind::All, SupKind::Rest]);
                let first = self.push_sup(kind, false);
                self.ops.push(Op::Settle);
                // Stop the last child, crash the first: both strategies
                // restart the group, which must not wait for the stopped one.
                self.ops.push(Op::Stop { to: first + 2 });
                self.ops.push(Op::Settle);
                self.ops.push(Op::Tell {
                    to: first,
                    msg: Msg::Boom,
                });
                self.ops.push(Op::Ask {
                    to: first,
                    msg: Msg::Work,
                    timeout_ms: None,
                    expect_ok: true,
                });
            }
            Class::UnstartedNested => {
                // Spawned on a shut-down system, Outer never starts.
                if !self.shut_down {
                    self.shut_down = true;
                    self.ops.push(Op::Shutdown);
                    self.ops.push(Op::Settle);
                }
                let first = self.push_sup(SupKind::Outer, false);
                // inner_x and inner_y.
                self.ops.push(Op::Tell {
                    to: first + 1,
                    msg: Msg::Work,
                });
                self.ops.push(Op::Ask {
                    to: first + 2,
                    msg: Msg::Work,
                    timeout_ms: None,
                    expect_ok: false,
                });
            }
            Class::PoolStuck => {
                let size = self.rng.range(1, 3);
                let overflow = self.rng.pick(&OVERFLOWS);
                let pool = self.private_process(class_pool(size, 1, overflow, Restart::Permanent));
                for _ in 0..size {
                    self.ops.push(Op::Tell {
                        to: pool,
                        msg: Msg::Hang,
                    });
                    self.ops.push(Op::Settle);
                }
                // One at a time, so that the router takes each: a full
                // member each, then the router blocks on one.
                for _ in 0..2 * size + 2 {
                    self.ops.push(Op::Tell {
                        to: pool,
                        msg: Msg::Work,
                    });
                    self.ops.push(Op::Settle);
                }
            }
            Class::PoolDeadMember => {
                let size = self.rng.range(2, 4);
                let pool = self.private_process(class_pool(size, 64, Overflow::Backpressure, Restart::Temporary));
                self.ops.push(Op::Ask {
                    to: pool,
                    msg: Msg::Boom,
                    timeout_ms: None,
                    expect_ok: false,
                });
                self.ops.push(Op::Settle);
                for _ in 0..2 * size {
                    self.ops.push(Op::Ask {
                        to: pool,
                        msg: Msg::Work,
                        timeout_ms: None,
                        expect_ok: true,
                    });
                    self.ops.push(Op::Settle);
                }
            }
            Class::ZeroBackoff => {
                let to = self.private_process(ProcessSpec {
                    members: None,
                    mailbox: 4,
                    overflow: Overflow::Reject,
                    restart: Restart::Permanent,
                    backoff_ms: (0, 10_000),
                    jitter: 0.0,
                    max_restarts: (5000, 3_600_000),
                    shutdown_ms: 50,
                    stop_hook_ms: 0,
                });
                self.ops.push(Op::CrashLoop { to, times: 1030 });
            }
            Class::SiblingAsk => {
                let kind = self.rng.pick(&[SupKind::StallRest, SupKind::StallAll]);
                // Stop hooks run at the group restart too: the crashed
                // child's, then the recycled sibling's.
                let first = self.push_sup_with(kind, false, Some((0, 200)));
                let (a, b) = (first, first + 1);
                self.ops.push(Op::Tell {
                    to: a,
                    msg: Msg::Slow(self.rng.range(20, 400)),
                });
                self.ops.push(Op::Settle);
                self.ops.push(Op::Tell {
                    to: b,
                    msg: Msg::AskOther {
                        peer: a,
                        timeout_ms: None,
                    },
                });
                self.ops.push(Op::Settle);
                self.ops.push(Op::Crash { to: a });
                // The children's shutdown timeout is 2 s and their backoff
                // 10 ms: the group restart cancels b's handler at once, so
                // the group is back (a's Slow, then a's and b's stop hooks)
                // within 810 ms.
                self.ops.push(Op::Ask {
                    to: b,
                    msg: Msg::Work,
                    timeout_ms: Some(1000),
                    expect_ok: true,
                });
            }
        }
    }

    fn private_process(&mut self, spec: ProcessSpec) -> usize {
        self.ops.push(Op::Spawn(spec));
        self.push_target(GenTarget {
            open: false,
            kind: Kind::Plain,
            quit_ok: false,
            budget: None,
            tree: None,
            stop_self_ok: false,
        })
    }
}

/// A pool a class builds for its situation: `members` members, a mailbox
/// of `mailbox` under `overflow`, restarts by `restart`, with a short fixed
/// backoff, a limit it never reaches, and a 100 ms shutdown timeout.
fn class_pool(members: u64, mailbox: usize, overflow: Overflow, restart: Restart) -> ProcessSpec {
    ProcessSpec {
        members: Some(members),
        mailbox,
        overflow,
        restart,
        backoff_ms: (10, 100),
        jitter: 0.0,
        max_restarts: (1000, 60_000),
        shutdown_ms: 100,
        stop_hook_ms: 0,
    }
}
