use phyx::prelude::*;

pub struct Greeter {
    greeting: String,
}

#[process]
impl Greeter {
    #[public]
    pub fn greeting(&self) -> &str {
        &self.greeting
    }
}

fn main() {}
