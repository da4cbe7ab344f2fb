//! Pools: several instances of one process behind one handle.

use std::pin::pin;
use std::sync::Arc;

use crate::event::{EventKind, StopReason};
use crate::kernel::addr::{Addr, Refused, Shared};
use crate::kernel::process::{Handle, Message, Process, Status};
use crate::kernel::run::finish;
use crate::kernel::spawn::{install_guards, register, spawn};
use crate::kernel::system::SystemInner;
use crate::mailbox::Overflow;
use crate::options::SpawnOptions;
use crate::panic::{catch_panics, quietly};

pub(crate) fn pool<T: Process>(
    system: &Arc<SystemInner>,
    size: usize,
    factory: impl Fn() -> T + Send + Sync + 'static,
    options: SpawnOptions,
) -> T::Ref {
    assert!(size > 0, "System::pool: a pool needs at least one member");
    let settings = options.clone().or(T::options()).resolve(T::NAME);
    let router = register::<T::Message>(system, None, &settings);
    let _ = router.core.pool_size.set(size);
    install_guards::<T>(system, &router.core);
    let factory = Arc::new(factory);
    let members = (0..size)
        .map(|index| {
            let factory = factory.clone();
            let member_options = options
                .clone()
                .name(&format!("{}[{index}]", settings.name))
                .mailbox(settings.mailbox)
                .overflow(Overflow::Backpressure);
            let member: T::Ref = spawn(system, Some(router.clone()), move || factory(), member_options);
            member.__addr().clone()
        })
        .collect();
    system.spawn_task(run_router(router.clone(), members));
    T::Ref::__from_addr(Addr::new(router))
}

/// The pool's own task: routes until the pool is stopped or every member
/// has stopped for good, then stops the members and fails what is queued.
async fn run_router<M: Message>(router: Arc<Shared<M>>, members: Vec<Addr<M>>) {
    let addr = Addr::new(router);
    let core = addr.core();
    // A pool spawned on a system already shutting down stops at once.
    if !core.stop_requested() {
        core.set_status(Status::Running);
        core.instance_started();
        core.set_serving_since(Some(core.system.clock.now()));
        addr.publish(EventKind::Started);
    }
    // A panic can only come from the drop of a message (an argument's
    // `Drop`) abandoned on the way; routing ends there, as a stop would.
    let reason = catch_panics(route(&addr, &members))
        .await
        .unwrap_or(StopReason::Shutdown);
    core.set_status(Status::Stopping);
    core.children.stop_all().await;
    finish(&addr, reason);
}

/// Forwards each message of the pool's mailbox to its least loaded live
/// member.
async fn route<M: Message>(addr: &Addr<M>, members: &[Addr<M>]) -> StopReason {
    let core = addr.core();
    let mailbox = &addr.shared().mailbox;
    // Members stop for good one by one; once the last has, the pool has
    // nothing to route to and stops, failing its callers at once.
    let mut all_gone = pin!(async {
        for member in members {
            member.core().stopped().await;
        }
    });
    let mut next = 0;
    loop {
        let mut message = tokio::select! {
            biased;
            message = mailbox.recv() => match message {
                Some(message) => message,
                // Woken without a message: stopped (or a crash injected
                // into the router, which has no state to lose).
                None if core.stop_requested() => return StopReason::Shutdown,
                None => continue,
            },
            () = &mut all_gone => return every_member_stopped(members.len()),
        };
        loop {
            let Some(member) = least_loaded(members, &mut next) else {
                quietly(|| drop(message));
                return every_member_stopped(members.len());
            };
            // The router waits for room in the member's mailbox (members
            // are under backpressure) but never past its own stop: a pool
            // of stuck members still stops within their shutdown timeout.
            // The message dropped then is dropped as the pool stops.
            let delivering = pin!(member.deliver(message));
            let delivered = tokio::select! {
                delivered = delivering => delivered,
                () = core.stopping_for_good() => {
                    core.set_status(Status::Stopping);
                    return StopReason::Shutdown;
                }
            };
            match delivered {
                Ok(()) => break,
                // The member stopped for good meanwhile: another one gets it.
                Err(Refused::Stopped(back) | Refused::Full(back)) => message = back,
            }
        }
    }
}

fn every_member_stopped(size: usize) -> StopReason {
    StopReason::Escalated {
        reason: format!("all {size} members of the pool stopped for good").into(),
    }
}

/// The live member with the least work (waiting messages, plus one if it
/// is handling one), running members before restarting ones, the next in
/// turn among equals; `None` once every member has stopped for good.
fn least_loaded<'a, M: Message>(members: &'a [Addr<M>], next: &mut usize) -> Option<&'a Addr<M>> {
    let load = |member: &Addr<M>| {
        let core = member.core();
        let work = member.queued() + usize::from(core.is_busy());
        match core.status() {
            Status::Stopped => None,
            Status::Running => Some((false, work)),
            _ => Some((true, work)),
        }
    };
    let start = *next % members.len();
    let chosen = (0..members.len())
        .map(|offset| (start + offset) % members.len())
        .filter_map(|index| load(&members[index]).map(|load| (load, index)))
        .min_by_key(|&(load, _)| load)
        .map(|(_, index)| index)?;
    *next = chosen + 1;
    Some(&members[chosen])
}
