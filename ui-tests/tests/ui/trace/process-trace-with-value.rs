use phyx::prelude::*;

struct On;

#[process(trace = true)]
impl On {
    #[public]
    fn call(&self) {}
}

struct Off;

#[process(trace = false)]
impl Off {
    #[public]
    fn call(&self) {}
}

struct Args;

#[process(trace(all))]
impl Args {
    #[public]
    fn call(&self) {}
}

fn main() {}
