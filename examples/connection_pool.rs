//! A connection pool as a process: `acquire` hands out a free connection
//! (opening one while under the limit), `release` takes it back, and an
//! exhausted pool answers `None`. One message at a time, so no two callers
//! ever get the same connection.
//!
//! Run with `cargo run --example connection_pool`.

use phyx::CallError;
use phyx::prelude::*;

/// A database connection. Not `Clone`: releasing it gives it back.
#[derive(Debug, PartialEq, Eq)]
pub struct Connection {
    pub id: u32,
}

pub struct DbPool {
    max: u32,
    opened: u32,
    idle: Vec<Connection>,
    in_use: u32,
}

impl DbPool {
    pub fn new(max: u32) -> Self {
        Self {
            max,
            opened: 0,
            idle: Vec::new(),
            in_use: 0,
        }
    }
}

#[process]
impl DbPool {
    /// A free connection; `None` when all `max` are in use.
    #[public]
    pub fn acquire(&mut self) -> Option<Connection> {
        let connection = match self.idle.pop() {
            Some(connection) => connection,
            None if self.opened < self.max => {
                self.opened += 1;
                Connection { id: self.opened }
            }
            None => return None,
        };
        self.in_use += 1;
        Some(connection)
    }

    /// Takes a connection back.
    #[public]
    pub fn release(&mut self, connection: Connection) {
        self.in_use -= 1;
        self.idle.push(connection);
    }

    /// Connections in use and idle.
    #[public]
    pub fn stats(&self) -> (u32, usize) {
        (self.in_use, self.idle.len())
    }
}

#[derive(Debug)]
pub struct Summary {
    /// Ids of the connections acquired up to the limit.
    pub acquired: Vec<u32>,
    /// The id acquiring one more returned, if any.
    pub exhausted: Option<u32>,
    /// The connection released, and the one acquired after.
    pub released: u32,
    pub reacquired: Option<u32>,
    /// In use and idle at the end.
    pub stats: (u32, usize),
}

pub async fn run(system: &System) -> Result<Summary, CallError> {
    let pool: DbPoolRef = system.spawn(|| DbPool::new(3));
    let mut held = Vec::new();
    for _ in 0..3 {
        held.extend(pool.acquire().await?);
    }
    let acquired: Vec<u32> = held.iter().map(|connection| connection.id).collect();
    println!("acquired connections {acquired:?}");
    let exhausted = pool.acquire().await?;
    println!("acquire with all 3 in use: {exhausted:?}");

    let connection = held.remove(1);
    let released = connection.id;
    pool.release(connection).send()?;
    let reacquired = pool.acquire().await?;
    println!("acquire after releasing connection {released}: {reacquired:?}");

    let (exhausted, reacquired_id) = (exhausted.map(|c| c.id), reacquired.as_ref().map(|c| c.id));
    for connection in held.into_iter().chain(reacquired) {
        pool.release(connection).send()?;
    }
    let stats = pool.stats().await?;
    println!("in use: {}, idle: {}", stats.0, stats.1);
    Ok(Summary {
        acquired,
        exhausted,
        released,
        reacquired: reacquired_id,
        stats,
    })
}

#[tokio::main]
async fn main() -> Result<(), CallError> {
    let system = System::new();
    run(&system).await?;
    system.shutdown().await;
    Ok(())
}
