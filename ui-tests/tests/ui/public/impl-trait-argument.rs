use phyx::prelude::*;

pub struct Logger {
    lines: Vec<String>,
}

#[process]
impl Logger {
    #[public]
    pub fn log(&mut self, line: impl std::fmt::Display) {
        self.lines.push(line.to_string());
    }
}

fn main() {}
