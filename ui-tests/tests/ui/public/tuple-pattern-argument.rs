use phyx::prelude::*;

pub struct Canvas {
    points: Vec<(u8, u8)>,
}

#[process]
impl Canvas {
    #[public]
    pub fn plot(&mut self, (x, y): (u8, u8)) {
        self.points.push((x, y));
    }
}

fn main() {}
