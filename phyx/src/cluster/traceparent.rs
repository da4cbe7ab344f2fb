//! The W3C `traceparent` header of a traced call between nodes: the
//! caller's link writes its caller's context there, and the serving and
//! durable tasks read it back into the message's trace slot.
//!
//! Only a traced method's message has a slot (`Message::__trace`): a
//! header on any other is not even read, and a message without one pays
//! nothing.

use async_nats::HeaderMap;

use crate::event::EventKind;
use crate::kernel::addr::Addr;
use crate::kernel::process::Message;
use crate::trace::{TraceContext, Traced};

/// The header's name, as the W3C spells it.
const TRACEPARENT: &str = "traceparent";

/// The context a traced message's header carries, taken from its slot:
/// its caller's, if the caller was in a trace (if not, the handler on the
/// other node starts one).
pub(crate) fn take<M: Message>(message: &mut M) -> Option<TraceContext> {
    message.__trace()?.take()?.parent()
}

/// `headers` with the `traceparent` of `context` added.
pub(crate) fn with(mut headers: HeaderMap, context: TraceContext) -> HeaderMap {
    headers.insert(TRACEPARENT, context.traceparent());
    headers
}

/// Fills a traced message's slot from the `headers` it came with: the
/// caller's context, as a remote parent (its span is on the other node).
/// A header that does not read (a stranger's bytes) is ignored, as the
/// W3C asks, and counted (`EventKind::TraceparentIgnored`): the handler
/// starts a trace, and the message is handled.
pub(crate) fn fill<M: Message>(addr: &Addr<M>, message: &mut M, headers: Option<&HeaderMap>) {
    let method = message.method();
    let Some(slot) = message.__trace() else { return };
    let parent = headers.and_then(|headers| headers.get(TRACEPARENT)).and_then(|header| {
        let parent = TraceContext::from_traceparent(header.as_str());
        if parent.is_none() {
            addr.publish(EventKind::TraceparentIgnored { method });
        }
        parent
    });
    *slot = Traced::remote(parent);
}
