//! Pools: several instances of one process behind one handle of the
//! process's own type.
//!
//! [`System::pool`](crate::System::pool) starts a fixed number of members,
//! each call to the least loaded. [`System::spawn_pool`](crate::System::spawn_pool)
//! takes a [`Pool`]: a size between `min` and `max` that grows under load
//! and shrinks after an idle timeout, and a [`Routing`] policy (least
//! loaded, round robin, or by a key read from each message, so one key's
//! messages stay in order on one member).
//! [`Handle::pool_status`](crate::Handle::pool_status) tells the size, the
//! live members and each member's queue ([`PoolStatus`], [`PoolMember`]).
//!
//! Members are children of the pool in the tree: they crash and restart by
//! their own policy, a member that stops for good gets no more messages
//! (those queued at it go back to the pool for the others), and once every
//! member has stopped for good the pool stops too.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use phyx::pool::{Pool, Routing};
//! use phyx::prelude::*;
//!
//! #[derive(Default)]
//! struct Thumbnailer;
//!
//! #[process]
//! impl Thumbnailer {
//!     #[public]
//!     async fn render(&self, ctx: &mut Ctx<Self>, id: u32) -> u32 {
//!         ctx.sleep(Duration::from_millis(10)).await;
//!         id
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), phyx::CallError> {
//! let system = System::new();
//! let pool = Pool::new().min(1).max(4).idle_timeout(Duration::from_secs(10));
//! let thumbnails: ThumbnailerRef = system.spawn_pool(|| Thumbnailer, pool);
//! let renders: Vec<_> = (0..4).map(|id| tokio::spawn(thumbnails.render(id).into_future())).collect();
//! for render in renders {
//!     render.await.unwrap()?;
//! }
//! let status = thumbnails.pool_status().unwrap();
//! assert!((1..=4).contains(&status.size));
//! # system.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod options;
mod router;

pub use crate::kernel::process::{PoolMember, PoolStatus};
pub use options::{Pool, Routing, key};

pub(crate) use router::start;
