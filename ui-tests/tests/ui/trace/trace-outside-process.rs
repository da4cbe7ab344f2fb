use phyx::trace;

struct Service;

impl Service {
    #[trace]
    fn call(&self) {}
}

fn main() {}
