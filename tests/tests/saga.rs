//! Sagas and `#[compensate]`, on virtual time: success, failure at each
//! step, retried and failed compensations, unknown outcomes, cancellation.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use phyx::prelude::*;
use phyx::{
    Backoff, CallError,
    event::{AttemptOutcome, EventKind, StepOutcome},
    saga::{CompensationOutcome, Saga, StepFailure},
};
use phyx_testkit::TestSystem;

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);

struct Inventory {
    stock: u32,
    reservations: BTreeMap<StepKey, u32>,
    failing_releases: u32,
}

impl Default for Inventory {
    fn default() -> Self {
        Self {
            stock: 10,
            reservations: BTreeMap::new(),
            failing_releases: 0,
        }
    }
}

#[process]
impl Inventory {
    #[public]
    #[compensate(release)]
    fn reserve(&mut self, key: StepKey, quantity: u32) -> Result<u32, String> {
        if quantity > self.stock {
            return Err(format!("only {} left", self.stock));
        }
        self.stock -= quantity;
        self.reservations.insert(key, quantity);
        Ok(quantity)
    }

    /// Idempotent by key: a second release of the same step does nothing.
    #[public]
    fn release(&mut self, key: StepKey, quantity: u32) -> Result<(), String> {
        if self.failing_releases > 0 {
            self.failing_releases -= 1;
            return Err("warehouse offline".into());
        }
        if self.reservations.remove(&key).is_some() {
            self.stock += quantity;
        }
        Ok(())
    }

    #[public]
    fn stock(&self) -> u32 {
        self.stock
    }

    #[public]
    fn reservations(&self) -> Vec<String> {
        self.reservations.keys().map(ToString::to_string).collect()
    }

    #[public]
    fn fail_releases(&mut self, times: u32) {
        self.failing_releases = times;
    }
}

#[derive(Debug, PartialEq)]
struct Declined {
    cents: u64,
}

impl fmt::Display for Declined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "card declined for {} cents", self.cents)
    }
}

#[derive(Default)]
struct Payment {
    charged: u64,
    decline: bool,
    delay: Duration,
}

#[process]
impl Payment {
    #[public]
    #[compensate(refund)]
    async fn charge(&mut self, ctx: &mut Ctx<Self>, cents: u64) -> Result<u64, Declined> {
        ctx.sleep(self.delay).await;
        if self.decline {
            return Err(Declined { cents });
        }
        self.charged += cents;
        Ok(cents)
    }

    #[public]
    fn refund(&mut self, cents: u64) {
        self.charged -= cents;
    }

    #[public]
    fn charged(&self) -> u64 {
        self.charged
    }

    #[public]
    fn configure(&mut self, decline: bool, delay: Duration) {
        self.decline = decline;
        self.delay = delay;
    }
}

#[derive(Default)]
struct Shipping {
    broken: bool,
    delay: Duration,
    shipped: u32,
}

#[process]
impl Shipping {
    #[public]
    async fn ship(&mut self, ctx: &mut Ctx<Self>, address: String) -> Result<String, String> {
        ctx.sleep(self.delay).await;
        if self.broken {
            return Err(format!("no courier for {address}"));
        }
        self.shipped += 1;
        Ok(format!("parcel to {address}"))
    }

    #[public]
    fn shipped(&self) -> u32 {
        self.shipped
    }

    #[public]
    fn configure(&mut self, broken: bool, delay: Duration) {
        self.broken = broken;
        self.delay = delay;
    }
}

#[derive(Clone)]
struct Shop {
    inventory: InventoryRef,
    payment: PaymentRef,
    shipping: ShippingRef,
}

impl Shop {
    fn new(t: &TestSystem) -> Self {
        Self {
            inventory: t.system().spawn(Inventory::default),
            payment: t.system().spawn(Payment::default),
            shipping: t.system().spawn(Shipping::default),
        }
    }

    /// Reserve 2, charge 30, ship: the order the example uses.
    async fn order(&self, saga: &mut Saga) -> Result<String, SagaError> {
        saga.step(|key| self.inventory.reserve(key, 2)).await?;
        saga.step(|_| self.payment.charge(30)).await?;
        saga.step(|_| self.shipping.ship("Main St".into())).await
    }

    async fn state(&self) -> (u32, u64, u32) {
        (
            self.inventory.stock().await.unwrap(),
            self.payment.charged().await.unwrap(),
            self.shipping.shipped().await.unwrap(),
        )
    }
}

fn compensations_of(t: &TestSystem) -> Vec<(Duration, &'static str, u32, AttemptOutcome)> {
    t.events()
        .all()
        .iter()
        .filter_map(|recorded| match &recorded.event.kind {
            EventKind::Compensation {
                method,
                attempt,
                outcome,
                ..
            } => Some((recorded.at, *method, *attempt, outcome.clone())),
            _ => None,
        })
        .collect()
}

fn steps_of(t: &TestSystem) -> Vec<(String, &'static str, StepOutcome)> {
    t.events()
        .all()
        .iter()
        .filter_map(|recorded| match &recorded.event.kind {
            EventKind::SagaStep { key, method, outcome } => Some((key.to_string(), *method, outcome.clone())),
            _ => None,
        })
        .collect()
}

fn undone(step: u32, method: &str, attempts: u32) -> (u32, String, CompensationOutcome) {
    (step, method.to_owned(), CompensationOutcome::Undone { attempts })
}

fn report(error: &SagaError) -> Vec<(u32, String, CompensationOutcome)> {
    error
        .compensations()
        .iter()
        .map(|compensation| {
            (
                compensation.key.step(),
                compensation.method.to_owned(),
                compensation.outcome.clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_saga_whose_steps_all_succeed_keeps_them() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    let mut saga = t.system().saga("order-1");
    let parcel = shop.order(&mut saga).await.unwrap();
    saga.commit();
    t.settle().await;

    assert_eq!(parcel, "parcel to Main St");
    assert_eq!(shop.state().await, (8, 30, 1));
    assert_eq!(shop.inventory.reservations().await.unwrap(), ["order-1/1"]);
    assert_eq!(
        steps_of(&t),
        [
            ("order-1/1".into(), "reserve", StepOutcome::Done),
            ("order-1/2".into(), "charge", StepOutcome::Done),
            ("order-1/3".into(), "ship", StepOutcome::Done),
        ]
    );
    assert!(compensations_of(&t).is_empty());
}

#[tokio::test]
async fn a_failed_first_step_has_nothing_to_compensate() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    let mut saga = t.system().saga("order-2");
    let error = saga.step(|key| shop.inventory.reserve(key, 11)).await.unwrap_err();

    assert_eq!(error.key().step(), 1);
    assert_eq!((error.process(), error.method()), ("Inventory", "reserve"));
    assert_eq!(error.failure(), &StepFailure::Rejected("only 10 left".into()));
    assert_eq!(error.rejection::<String>().map(String::as_str), Some("only 10 left"));
    assert!(error.compensations().is_empty());
    assert!(error.is_compensated());
    assert_eq!(
        error.to_string(),
        "saga `order-2` failed at step 1 (`reserve` on process `Inventory`): only 10 left; nothing to compensate"
    );
}

#[tokio::test]
async fn a_failed_second_step_releases_the_reservation() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    shop.payment.configure(true, Duration::ZERO).await.unwrap();
    let mut saga = t.system().saga("order-3");
    let error = shop.order(&mut saga).await.unwrap_err();

    assert_eq!(error.key().step(), 2);
    assert_eq!(error.rejection::<Declined>(), Some(&Declined { cents: 30 }));
    assert_eq!(report(&error), [undone(1, "release", 1)]);
    assert_eq!(shop.state().await, (10, 0, 0));
    assert!(shop.inventory.reservations().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_last_step_undoes_the_others_last_first() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    shop.shipping.configure(true, Duration::ZERO).await.unwrap();
    let mut saga = t.system().saga("order-4");
    let error = shop.order(&mut saga).await.unwrap_err();

    assert_eq!(error.key().step(), 3);
    assert_eq!(report(&error), [undone(2, "refund", 1), undone(1, "release", 1)]);
    assert!(error.is_compensated());
    assert_eq!(shop.state().await, (10, 0, 0));
    assert_eq!(
        error.to_string(),
        "saga `order-4` failed at step 3 (`ship` on process `Shipping`): no courier for Main St; \
         compensations: step 2 `refund` undone, step 1 `release` undone"
    );
    assert_eq!(
        steps_of(&t)[2],
        (
            "order-4/3".into(),
            "ship",
            StepOutcome::Failed {
                error: "no courier for Main St".into()
            }
        )
    );
    let methods: Vec<_> = compensations_of(&t).iter().map(|(_, method, ..)| *method).collect();
    assert_eq!(methods, ["refund", "release"]);
}

#[tokio::test]
async fn a_failing_compensation_is_retried_with_backoff_on_the_system_clock() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    shop.shipping.configure(true, Duration::ZERO).await.unwrap();
    shop.inventory.fail_releases(2).await.unwrap();
    let mut saga = t.system().saga("order-5");
    let start = t.elapsed();
    let error = shop.order(&mut saga).await.unwrap_err();

    assert_eq!(report(&error), [undone(2, "refund", 1), undone(1, "release", 3)]);
    let offline = || -> std::sync::Arc<str> { "warehouse offline".into() };
    let releases: Vec<_> = compensations_of(&t)
        .into_iter()
        .filter(|(_, method, ..)| *method == "release")
        .map(|(at, _, attempt, outcome)| (at - start, attempt, outcome))
        .collect();
    assert_eq!(
        releases,
        [
            (
                Duration::ZERO,
                1,
                AttemptOutcome::Retrying {
                    error: offline(),
                    after: 100 * MS
                }
            ),
            (
                100 * MS,
                2,
                AttemptOutcome::Retrying {
                    error: offline(),
                    after: 200 * MS
                }
            ),
            (300 * MS, 3, AttemptOutcome::Undone),
        ]
    );
    assert_eq!(shop.state().await, (10, 0, 0));
}

#[tokio::test]
async fn a_compensation_that_never_succeeds_is_reported_and_the_rest_still_run() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    shop.payment.configure(true, Duration::ZERO).await.unwrap();
    shop.inventory.fail_releases(u32::MAX).await.unwrap();
    let other = t.system().spawn(Inventory::default);
    let mut saga = t.system().saga("order-6").attempts(3);
    saga.step(|key| other.reserve(key, 1)).await.unwrap();
    saga.step(|key| shop.inventory.reserve(key, 2)).await.unwrap();
    let error = saga.step(|_| shop.payment.charge(30)).await.unwrap_err();

    assert_eq!(
        report(&error),
        [
            (
                2,
                "release".to_owned(),
                CompensationOutcome::Failed {
                    attempts: 3,
                    error: "warehouse offline".into()
                }
            ),
            undone(1, "release", 1),
        ]
    );
    assert!(!error.is_compensated());
    assert!(
        error
            .to_string()
            .contains("step 2 `release` FAILED after 3 attempts (warehouse offline)")
    );
    assert_eq!(shop.inventory.stock().await.unwrap(), 8);
    assert_eq!(other.stock().await.unwrap(), 10);
    let gave_up = compensations_of(&t)
        .into_iter()
        .filter(|(_, _, _, outcome)| matches!(outcome, AttemptOutcome::GaveUp { .. }))
        .count();
    assert_eq!(gave_up, 1);
}

#[tokio::test]
async fn a_step_with_no_reply_even_after_settling_is_unknown_and_not_compensated() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    shop.payment.configure(false, 10 * SECOND).await.unwrap();
    let mut saga = t
        .system()
        .saga("order-7")
        .step_timeout(SECOND)
        .late_reply_timeout(2 * SECOND);
    let start = t.elapsed();
    let error = shop.order(&mut saga).await.unwrap_err();

    assert_eq!(t.elapsed() - start, 3 * SECOND);
    assert_eq!(
        error.failure(),
        &StepFailure::Unknown {
            timeout: SECOND,
            late_reply_timeout: 2 * SECOND
        }
    );
    assert!(!error.is_compensated());
    assert_eq!(report(&error), [undone(1, "release", 1)]);
    assert_eq!(steps_of(&t)[1].2, StepOutcome::Unknown);
    // The charge did happen, late: exactly what "unknown" warns about.
    t.advance(10 * SECOND).await;
    assert_eq!(shop.payment.charged().await.unwrap(), 30);
}

#[tokio::test]
async fn a_step_that_times_out_and_then_succeeds_is_compensated() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    shop.payment.configure(false, 2 * SECOND).await.unwrap();
    let mut saga = t.system().saga("order-8").late_reply_timeout(5 * SECOND);
    saga.step(|key| shop.inventory.reserve(key, 2)).await.unwrap();
    let start = t.elapsed();
    let error = saga
        .step(|_| shop.payment.charge(30).timeout(SECOND))
        .await
        .unwrap_err();

    assert_eq!(
        t.elapsed() - start,
        2 * SECOND,
        "waited for the late reply, not the whole late-reply timeout"
    );
    assert!(matches!(
        error.failure(),
        StepFailure::Call(CallError::Timeout { after, .. }) if *after == SECOND
    ));
    assert_eq!(report(&error), [undone(2, "refund", 1), undone(1, "release", 1)]);
    assert!(error.is_compensated());
    assert_eq!(shop.state().await, (10, 0, 0));
}

#[tokio::test]
async fn a_saga_ends_at_its_first_failure() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    let mut saga = t.system().saga("order-9");
    saga.step(|key| shop.inventory.reserve(key, 20)).await.unwrap_err();
    let error = saga.step(|key| shop.inventory.reserve(key, 1)).await.unwrap_err();

    assert_eq!(error.failure(), &StepFailure::Ended);
    assert_eq!(error.key().step(), 2);
    assert_eq!(shop.inventory.stock().await.unwrap(), 10);
}

#[tokio::test]
async fn abort_compensates_and_reports() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    let mut saga = t.system().saga("order-10");
    saga.step(|key| shop.inventory.reserve(key, 2)).await.unwrap();
    saga.step(|_| shop.payment.charge(30)).await.unwrap();
    let compensations = saga.abort().await;

    let methods: Vec<_> = compensations.iter().map(|c| (c.key.to_string(), c.method)).collect();
    assert_eq!(
        methods,
        [("order-10/2".into(), "refund"), ("order-10/1".into(), "release")]
    );
    assert_eq!(shop.state().await, (10, 0, 0));
}

#[tokio::test]
async fn a_saga_dropped_without_commit_is_compensated() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    let mut saga = t.system().saga("order-11");
    saga.step(|key| shop.inventory.reserve(key, 2)).await.unwrap();
    saga.step(|_| shop.payment.charge(30)).await.unwrap();
    drop(saga);
    t.settle().await;

    assert_eq!(shop.state().await, (10, 0, 0));
    assert_eq!(compensations_of(&t).len(), 2);
}

#[tokio::test]
async fn a_cancelled_caller_leaves_the_step_in_flight_to_reply_late_then_compensates() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    shop.shipping.configure(false, 10 * SECOND).await.unwrap();
    let (system, customer) = (t.system().clone(), shop.clone());
    let caller = tokio::spawn(async move {
        let mut saga = system.saga("order-12").late_reply_timeout(2 * SECOND);
        customer.order(&mut saga).await
    });
    t.advance(SECOND).await;
    caller.abort();
    assert!(caller.await.unwrap_err().is_cancelled());

    t.advance(SECOND).await;
    assert_eq!(shop.inventory.stock().await.unwrap(), 8, "still settling");
    t.advance(SECOND).await;
    assert_eq!(shop.inventory.stock().await.unwrap(), 10);
    assert_eq!(shop.payment.charged().await.unwrap(), 0);
    assert_eq!(steps_of(&t)[2].2, StepOutcome::Unknown);
}

#[tokio::test]
async fn a_cancelled_step_that_succeeds_late_is_compensated_first() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    shop.payment.configure(false, 3 * SECOND).await.unwrap();
    let (system, inventory, payment) = (t.system().clone(), shop.inventory.clone(), shop.payment.clone());
    let caller = tokio::spawn(async move {
        let mut saga = system.saga("order-13");
        saga.step(|key| inventory.reserve(key, 2)).await?;
        saga.step(|_| payment.charge(30)).await
    });
    t.advance(SECOND).await;
    caller.abort();
    t.advance(5 * SECOND).await;

    assert_eq!(shop.state().await, (10, 0, 0));
    let methods: Vec<_> = compensations_of(&t).iter().map(|(_, method, ..)| *method).collect();
    assert_eq!(methods, ["refund", "release"]);
    assert_eq!(steps_of(&t)[1].2, StepOutcome::Done);
}

#[tokio::test]
async fn compensation_keeps_running_when_the_caller_is_cancelled_during_it() {
    let t = TestSystem::new();
    let shop = Shop::new(&t);
    shop.shipping.configure(true, Duration::ZERO).await.unwrap();
    shop.inventory.fail_releases(3).await.unwrap();
    let (system, customer) = (t.system().clone(), shop.clone());
    let caller = tokio::spawn(async move {
        let mut saga = system.saga("order-14").backoff(Backoff::exponential(SECOND, SECOND));
        customer.order(&mut saga).await
    });
    t.advance(SECOND + 500 * MS).await;
    caller.abort();
    assert_eq!(shop.inventory.stock().await.unwrap(), 8, "release still failing");
    t.advance(2 * SECOND).await;

    assert_eq!(shop.state().await, (10, 0, 0));
    let last = compensations_of(&t).pop().unwrap();
    assert_eq!((last.1, last.2, last.3), ("release", 4, AttemptOutcome::Undone));
}
