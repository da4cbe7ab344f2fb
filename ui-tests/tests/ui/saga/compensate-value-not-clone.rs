use phyx::prelude::*;

struct Reservation(u32);

struct Inventory;

#[process]
impl Inventory {
    #[public]
    #[compensate(release)]
    fn reserve(&mut self, quantity: u32) -> Result<Reservation, String> {
        Ok(Reservation(quantity))
    }

    #[public]
    fn release(&mut self, reservation: Reservation) {
        let _ = reservation.0;
    }
}

fn main() {}
