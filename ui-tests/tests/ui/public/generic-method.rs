use phyx::prelude::*;

pub struct Logger {
    lines: Vec<String>,
}

#[process]
impl Logger {
    #[public]
    pub fn log<T: std::fmt::Display + Send + 'static>(&mut self, line: T) {
        self.lines.push(line.to_string());
    }
}

fn main() {}
