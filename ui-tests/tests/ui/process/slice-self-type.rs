use phyx::prelude::*;

#[process]
impl [u8] {
    #[public]
    pub fn len_of(&self) -> usize {
        self.len()
    }
}

fn main() {}
