use phyx::prelude::*;

pub struct Logger {
    lines: Vec<String>,
}

#[process]
impl Logger {
    #[public]
    pub fn log(&mut self, line: String)
    where
        String: Clone,
    {
        self.lines.push(line);
    }
}

fn main() {}
