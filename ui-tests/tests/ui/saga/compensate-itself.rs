use phyx::prelude::*;

struct Toggle;

#[process]
impl Toggle {
    #[public]
    #[compensate(flip)]
    fn flip(&mut self) -> Result<(), String> {
        Ok(())
    }
}

fn main() {}
