//! Pools: several instances of one process behind one handle.

use std::sync::Arc;

use crate::addr::{Addr, Shared};
use crate::event::{EventKind, StopReason};
use crate::mailbox::Overflow;
use crate::options::SpawnOptions;
use crate::process::{Handle, Message, Process, Status};
use crate::run::finish;
use crate::system::{SystemInner, install_guards, register, spawn};

pub(crate) fn pool<T: Process>(
    system: &Arc<SystemInner>,
    size: usize,
    factory: impl Fn() -> T + Send + Sync + 'static,
    options: SpawnOptions,
) -> T::Ref {
    assert!(size > 0, "System::pool: a pool needs at least one member");
    let settings = options.clone().or(T::options()).resolve(T::NAME);
    let router = register::<T::Message>(system, None, &settings);
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
    system.spawn_task(route(router.clone(), members));
    T::Ref::__from_addr(Addr::new(router))
}

/// Forwards each message of the pool's mailbox to its least loaded member.
async fn route<M: Message>(router: Arc<Shared<M>>, members: Vec<Addr<M>>) {
    let addr = Addr::new(router);
    let core = addr.core();
    core.set_status(Status::Running);
    addr.publish(EventKind::Started);
    let mut next = 0;
    while let Some(message) = addr.shared().mailbox.recv().await {
        let member = least_loaded(&members, &mut next);
        // Under backpressure only a member stopped for good refuses; the
        // message goes down with it, and its caller hears `Stopped`.
        let _ = member.deliver(message).await;
    }
    core.set_status(Status::Stopping);
    core.children.stop_all().await;
    finish(&addr, StopReason::Shutdown);
}

/// The member with the least work (waiting messages, plus one if it is
/// handling one), the next in turn among equals.
fn least_loaded<'a, M: Message>(members: &'a [Addr<M>], next: &mut usize) -> &'a Addr<M> {
    let load = |member: &Addr<M>| member.queued() + usize::from(member.core().is_busy());
    let start = *next % members.len();
    let chosen = (0..members.len())
        .map(|offset| (start + offset) % members.len())
        .min_by_key(|&index| load(&members[index]))
        .unwrap_or(start);
    *next = chosen + 1;
    &members[chosen]
}
