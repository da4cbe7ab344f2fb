use phyx::prelude::*;

struct Mailer;

#[process]
impl Mailer {
    #[public]
    #[compensate(unsend)]
    fn send(&mut self, key: StepKey, to: String) -> Result<(), String> {
        let _ = (key, to);
        Ok(())
    }

    #[public]
    fn unsend(&mut self, key: StepKey, to: String) {
        let _ = (key, to);
    }
}

fn main() {}
