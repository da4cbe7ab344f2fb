use phyx::prelude::*;

pub struct Greeter {
    greeting: String,
}

#[process]
impl Greeter {
    #[public]
    pub fn greet(&self, name: Option<&str>) -> String {
        format!("{} {}", self.greeting, name.unwrap_or("world"))
    }
}

fn main() {}
