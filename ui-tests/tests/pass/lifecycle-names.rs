//! Public methods named like the lifecycle operations (`stop`, `status`,
//! `id`) are the handle's inherent methods; the lifecycle stays reachable
//! through the `Handle` trait.

use phyx::prelude::*;

#[derive(Default)]
pub struct Machine {
    running: bool,
    stops: u32,
}

#[process]
impl Machine {
    #[public]
    pub fn start(&mut self) {
        self.running = true;
    }

    #[public]
    pub fn stop(&mut self) -> u32 {
        self.running = false;
        self.stops += 1;
        self.stops
    }

    #[public]
    pub fn status(&self) -> String {
        if self.running { "running".to_owned() } else { "idle".to_owned() }
    }

    #[public]
    pub fn id(&self) -> &'static str {
        "machine-1"
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let system = System::new();
    let machine: MachineRef = system.spawn(Machine::default);

    machine.start().await.unwrap();
    assert_eq!(machine.status().await.unwrap(), "running");
    assert_eq!(machine.stop().await.unwrap(), 1);
    assert_eq!(machine.status().await.unwrap(), "idle");
    assert_eq!(machine.id().await.unwrap(), "machine-1");

    // The process's own lifecycle, through the trait.
    let _: phyx::ProcessId = Handle::id(&machine);
    assert_eq!(Handle::status(&machine), phyx::Status::Running);
    Handle::stop(&machine).await;
    assert_eq!(Handle::status(&machine), phyx::Status::Stopped);
    assert!(machine.status().await.is_err());
    system.shutdown().await;
}
