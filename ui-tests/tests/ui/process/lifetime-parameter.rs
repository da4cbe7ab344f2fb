use phyx::prelude::*;

pub struct Greeter<'a> {
    name: &'a str,
}

#[process]
impl<'a> Greeter<'a> {
    #[public]
    pub fn name_len(&self) -> usize {
        self.name.len()
    }
}

fn main() {}
