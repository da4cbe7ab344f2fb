use phyx::prelude::*;

pub struct Greeter {
    greeting: String,
}

#[process]
impl Greeter {
    #[public]
    pub fn greet(&self, name: &str) -> String {
        format!("{} {name}", self.greeting)
    }
}

fn main() {}
