//! Every shape of undo `#[compensate]` accepts.

use phyx::prelude::*;

#[derive(Clone)]
struct Reservation(u32);

#[derive(Default)]
struct Store {
    held: u32,
}

#[process]
impl Store {
    #[public]
    #[compensate(release)]
    fn reserve(&mut self, key: StepKey, quantity: u32) -> Result<Reservation, String> {
        let _ = key;
        self.held += quantity;
        Ok(Reservation(quantity))
    }

    #[public]
    fn release(&mut self, key: StepKey, reservation: Reservation) -> Result<(), String> {
        let _ = key;
        self.held -= reservation.0;
        Ok(())
    }

    #[public]
    #[compensate(put_back)]
    fn take(&mut self, quantity: u32) -> Result<u32, std::io::Error> {
        self.held += quantity;
        Ok(quantity)
    }

    #[public]
    async fn put_back(&mut self, ctx: &mut Ctx<Self>, quantity: u32) {
        ctx.sleep(std::time::Duration::from_millis(1)).await;
        self.held -= quantity;
    }

    #[public]
    #[compensate(forget)]
    fn note(&mut self, key: StepKey) -> Result<u64, String> {
        let _ = key;
        Ok(7)
    }

    #[public]
    fn forget(&mut self, key: StepKey) {
        let _ = key;
    }

    #[public]
    #[compensate(unlock)]
    fn lock(&mut self, key: StepKey) -> Result<(), String> {
        let _ = key;
        Ok(())
    }

    #[public]
    fn unlock(&mut self, key: StepKey) {
        let _ = key;
    }

    #[public]
    #[compensate(unmark)]
    fn mark(&mut self) {}

    #[public]
    fn unmark(&mut self) {}
}

async fn order(system: &System, store: &StoreRef) -> Result<(), SagaError> {
    let mut saga = system.saga(42);
    let reservation = saga.step(|key| store.reserve(key, 1)).await?;
    let _: u32 = saga.step(|_| store.take(reservation.0)).await?;
    saga.step(|key| store.lock(key)).await?;
    saga.step(|key| store.note(key)).await?;
    saga.step(|_| store.mark()).await?;
    saga.commit();
    Ok(())
}

fn main() {
    let _ = order;
}
