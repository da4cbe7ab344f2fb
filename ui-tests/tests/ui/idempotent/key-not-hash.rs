use phyx::prelude::*;

struct Meter;

#[process]
impl Meter {
    #[public]
    #[idempotent(key = reading, window = "10m")]
    fn record(&mut self, reading: f64) -> f64 {
        reading
    }
}

fn main() {}
