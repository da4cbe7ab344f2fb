//! Request-reply with timeouts: a user database as a process. Lookups are
//! asks that wait for the reply; one lookup hits a slow shard and its ask
//! times out, while the database keeps serving the others.
//!
//! Run with `cargo run --example request_reply`.

use std::collections::HashMap;
use std::time::Duration;

use phyx::CallError;
use phyx::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub email: String,
}

pub struct Database {
    users: HashMap<String, User>,
}

impl Default for Database {
    fn default() -> Self {
        let user = |name: &str, email: &str| User {
            name: name.into(),
            email: email.into(),
        };
        let users = [
            ("alice", user("Alice", "alice@example.com")),
            ("bob", user("Bob", "bob@example.com")),
        ];
        Self {
            users: users.into_iter().map(|(id, user)| (id.to_owned(), user)).collect(),
        }
    }
}

/// How long a lookup of `id` takes: ids starting with `archived-` live on
/// a slow shard.
fn latency(id: &str) -> Duration {
    if id.starts_with("archived-") {
        Duration::from_millis(500)
    } else {
        Duration::from_millis(5)
    }
}

#[process]
impl Database {
    /// The user with this id, if there is one.
    #[public]
    pub async fn get_user(&self, ctx: &mut Ctx<Self>, id: String) -> Option<User> {
        ctx.sleep(latency(&id)).await;
        self.users.get(&id).cloned()
    }

    /// Adds a user; `false` if the id is taken.
    #[public]
    pub fn create_user(&mut self, id: String, user: User) -> bool {
        if self.users.contains_key(&id) {
            return false;
        }
        self.users.insert(id, user);
        true
    }
}

/// Each lookup's id and what its ask returned.
pub type Summary = Vec<(String, Result<Option<User>, CallError>)>;

pub async fn run(system: &System) -> Result<Summary, CallError> {
    let db: DatabaseRef = system.spawn(Database::default);
    let carol = User {
        name: "Carol".into(),
        email: "carol@example.com".into(),
    };
    println!("create carol: {}", db.create_user("carol".into(), carol).await?);

    let mut lookups = Vec::new();
    for id in ["alice", "carol", "mallory", "bob", "archived-dave"] {
        // Every ask ends within 100 ms: in a reply or a timeout.
        let result = db.get_user(id.into()).timeout(Duration::from_millis(100)).await;
        match &result {
            Ok(Some(user)) => println!("{id}: found {} <{}>", user.name, user.email),
            Ok(None) => println!("{id}: no such user"),
            Err(error) => println!("{id}: {error}"),
        }
        lookups.push((id.to_owned(), result));
    }
    Ok(lookups)
}

#[tokio::main]
async fn main() -> Result<(), CallError> {
    let system = System::new();
    run(&system).await?;
    system.shutdown().await;
    Ok(())
}
