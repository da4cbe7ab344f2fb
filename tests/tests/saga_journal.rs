//! Journaled sagas across crashes of their OS process, on virtual time.
//!
//! Each "life" of an OS process is a tokio runtime of its own, on paused
//! time, with a system on a `MemoryJournal` that outlives it; a crash
//! forgets the saga mid-flight (a dying OS process runs no destructor) and
//! ends the life, whose runtime takes every task it still had with it.
//! The services stand for other machines: their state (`World`) outlives
//! every life, and they do each step and each undo once per key.

use std::collections::{BTreeMap, BTreeSet};
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::Duration;

use phyx::journal::{Journal, JournalError, MemoryJournal, PersistError};
use phyx::prelude::*;
use phyx::saga::{CompensationOutcome, JournaledSaga, Resume, SagaJournalError, StepFailure};
use phyx::testing::SplitMix64;
use phyx::{SpawnOptions, StopReason};
use phyx_testkit::journal::FaultyJournal;
use serde::{Deserialize, Serialize};

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);

/// What the services did and are told to do, outliving every life.
#[derive(Default)]
struct World {
    /// The life the test is in, from 1.
    life: u32,
    /// The lives in which each step (`apply key`) or undo (`undo key`)
    /// was sent, one entry per send.
    sends: BTreeMap<String, Vec<u32>>,
    /// The life in which each step's handler first replied.
    replied: BTreeMap<String, u32>,
    /// Steps applied: their key and the id they were given.
    applied: BTreeMap<String, u64>,
    /// Steps undone.
    undone: BTreeSet<String>,
    /// Undos whose value was not the id their step was given.
    wrong_undos: Vec<String>,
    /// Steps that fail, by key.
    failing: BTreeSet<String>,
    /// How long each step's handler takes after applying, by key.
    slow: BTreeMap<String, Duration>,
    /// How long each undo takes after undoing, by key.
    slow_undo: BTreeMap<String, Duration>,
    /// What happens elsewhere the first time a step is applied, by key.
    on_apply: BTreeMap<String, Box<dyn Fn() + Send>>,
    next_id: u64,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<World>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, World> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sends(&self, what: &str) -> usize {
        self.lock().sends.get(what).map_or(0, Vec::len)
    }

    fn all_sends(&self) -> usize {
        self.lock().sends.values().map(Vec::len).sum()
    }
}

/// A service on another machine: idempotent by key, so a step or an undo
/// sent again is done once.
struct Service {
    world: Shared,
}

#[process]
impl Service {
    /// Gives the step a fresh id the first time, the same one after.
    #[public]
    #[compensate(undo)]
    async fn apply(&mut self, ctx: &mut Ctx<Self>, key: StepKey, amount: u64) -> Result<u64, String> {
        let key = key.to_string();
        let (result, delay) = {
            let mut world = self.world.lock();
            let life = world.life;
            world.sends.entry(format!("apply {key}")).or_default().push(life);
            if let Some(hook) = world.on_apply.remove(&key) {
                hook();
            }
            let delay = world.slow.get(&key).copied().unwrap_or_default();
            if world.failing.contains(&key) {
                (Err(format!("no stock for {amount}")), delay)
            } else if let Some(id) = world.applied.get(&key) {
                (Ok(*id), delay)
            } else {
                world.next_id += 1;
                let id = world.next_id;
                world.applied.insert(key.clone(), id);
                (Ok(id), delay)
            }
        };
        ctx.sleep(delay).await;
        let mut world = self.world.lock();
        let life = world.life;
        world.replied.entry(key).or_insert(life);
        result
    }

    #[public]
    async fn undo(&mut self, ctx: &mut Ctx<Self>, key: StepKey, id: u64) -> Result<(), String> {
        let key = key.to_string();
        let delay = {
            let mut world = self.world.lock();
            let life = world.life;
            world.sends.entry(format!("undo {key}")).or_default().push(life);
            if world.applied.get(&key) != Some(&id) {
                world.wrong_undos.push(format!("{key} with id {id}"));
            }
            world.undone.insert(key.clone());
            world.slow_undo.get(&key).copied().unwrap_or_default()
        };
        ctx.sleep(delay).await;
        Ok(())
    }
}

/// One life of the OS process: `body` on a runtime of its own, on virtual
/// time; every task it leaves behind dies with it.
fn life<T>(world: &Shared, body: impl Future<Output = T>) -> T {
    world.lock().life += 1;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    runtime.block_on(body)
}

/// A system on `journals`, and three services: inventory, payment,
/// shipping.
fn start(journals: &MemoryJournal, world: &Shared) -> (System, [ServiceRef; 3]) {
    start_on(journals.clone(), world)
}

fn start_on(journals: impl Journal, world: &Shared) -> (System, [ServiceRef; 3]) {
    let system = System::builder().journal(journals).build();
    let services = services(&system, world);
    (system, services)
}

fn services(system: &System, world: &Shared) -> [ServiceRef; 3] {
    ["inventory", "payment", "shipping"].map(|name| {
        let world = world.clone();
        system.spawn_with(move || Service { world: world.clone() }, SpawnOptions::new().name(name))
    })
}

/// The order's code, the same in every life: a step on each service.
async fn order(saga: &mut JournaledSaga, services: &[ServiceRef; 3]) -> Result<Vec<u64>, SagaError> {
    first_steps(saga, services, 3).await
}

/// The order's first `steps` steps.
async fn first_steps(saga: &mut JournaledSaga, services: &[ServiceRef], steps: usize) -> Result<Vec<u64>, SagaError> {
    let mut ids = Vec::new();
    for (service, amount) in services.iter().zip([10, 20, 30]).take(steps) {
        ids.push(saga.step(|key| service.apply(key, amount)).await?);
    }
    Ok(ids)
}

/// A life that starts saga `id`, does its first `steps` steps, and dies:
/// nothing drops the saga. Their values.
fn crash_after_steps(journals: &MemoryJournal, world: &Shared, id: &str, steps: usize) -> Vec<u64> {
    life(world, async {
        let (system, services) = start(journals, world);
        let mut saga = system.journaled_saga(id).await.unwrap();
        assert_eq!(saga.resume(), Resume::New);
        assert!(!saga.is_resumed());
        let ids = first_steps(&mut saga, &services, steps).await.unwrap();
        std::mem::forget(saga);
        ids
    })
}

/// Runs `code` until `after` has passed, and then the OS process dies:
/// `code` is forgotten mid-flight, its destructors never run.
async fn crash_after<F: Future>(after: Duration, code: F) {
    let mut code = Box::pin(code);
    tokio::select! {
        biased;
        _ = &mut code => panic!("the code should still be running when the OS process dies"),
        () = tokio::time::sleep(after) => {}
    }
    std::mem::forget(code);
}

/// A life that runs saga `id`'s code again (and commits it if it
/// succeeds), where its journal holds the whole saga: it sends nothing and
/// takes no time. What the saga found, and how the order ended.
fn replay_ended(journals: &MemoryJournal, world: &Shared, id: &str) -> (Resume, Result<Vec<u64>, SagaError>) {
    let sends = world.all_sends();
    let ended = life(world, async {
        let (system, services) = start(journals, world);
        let mut saga = system.journaled_saga(id).await.unwrap();
        let resume = saga.resume();
        let started = tokio::time::Instant::now();
        let ended = order(&mut saga, &services).await;
        if ended.is_ok() {
            saga.commit().await.unwrap();
        }
        assert_eq!(started.elapsed(), Duration::ZERO, "an ended saga returns at once");
        (resume, ended)
    });
    assert_eq!(world.all_sends(), sends, "an ended saga sends nothing");
    ended
}

/// A life that runs saga `id`'s code and dies `after` it started.
fn crash_during_order(journals: &MemoryJournal, world: &Shared, id: &str, after: Duration) {
    life(world, async {
        let (system, services) = start(journals, world);
        crash_after(after, async {
            let mut saga = system.journaled_saga(id).await.unwrap();
            order(&mut saga, &services).await
        })
        .await;
    });
}

#[test]
fn a_crash_after_step_two_resumes_at_step_three_and_a_committed_saga_returns_at_once() {
    let (journals, world) = (MemoryJournal::new(), Shared::default());
    let first_ids = crash_after_steps(&journals, &world, "order-1", 2);
    assert_eq!(world.sends("apply order-1/1"), 1);
    assert_eq!(world.sends("apply order-1/2"), 1);

    life(&world, async {
        let (system, services) = start(&journals, &world);
        assert_eq!(system.unfinished_sagas().await.unwrap(), ["order-1".into()]);
        let mut saga = system.journaled_saga("order-1").await.unwrap();
        assert!(saga.is_resumed());
        assert_eq!(
            saga.resume(),
            Resume::Continue {
                completed: 2,
                resend: false
            }
        );
        assert_eq!(saga.recorded_steps(), 2);
        let ids = order(&mut saga, &services).await.unwrap();
        assert_eq!(ids[..2], first_ids[..], "steps 1 and 2 return their recorded values");
        saga.commit().await.unwrap();
        assert!(system.unfinished_sagas().await.unwrap().is_empty());
    });
    assert_eq!(world.sends("apply order-1/1"), 1, "step 1 is not sent again");
    assert_eq!(world.sends("apply order-1/2"), 1, "step 2 is not sent again");
    assert_eq!(world.sends("apply order-1/3"), 1, "step 3 is sent, with key order-1/3");
    assert!(world.lock().applied.contains_key("order-1/3"));

    let (resume, ids) = replay_ended(&journals, &world, "order-1");
    assert_eq!(resume, Resume::Committed);
    assert_eq!(ids.unwrap()[..2], first_ids[..]);
}

#[test]
fn a_crash_during_compensation_runs_only_the_remaining_one() {
    let (journals, world) = (MemoryJournal::new(), Shared::default());
    world.lock().failing.insert("order-2/3".into());
    // Step 1's undo is done, and still replying, when the OS process dies.
    world.lock().slow_undo.insert("order-2/1".into(), 3 * SECOND);
    crash_during_order(&journals, &world, "order-2", SECOND);
    assert_eq!(world.sends("undo order-2/2"), 1);
    assert_eq!(world.sends("undo order-2/1"), 1);

    life(&world, async {
        let (system, services) = start(&journals, &world);
        let mut saga = system.journaled_saga("order-2").await.unwrap();
        assert_eq!(saga.resume(), Resume::Compensate { completed: 3 });
        let error = order(&mut saga, &services).await.unwrap_err();
        assert_eq!(error.key().step(), 3);
        assert_eq!(error.failure(), &StepFailure::Rejected("no stock for 30".into()));
        assert!(error.is_compensated(), "{error}");
        let outcomes: Vec<_> = error
            .compensations()
            .iter()
            .map(|compensation| {
                (
                    compensation.key.step(),
                    compensation.method,
                    compensation.outcome.clone(),
                )
            })
            .collect();
        assert_eq!(
            outcomes,
            [
                (2, "undo", CompensationOutcome::Undone { attempts: 1 }),
                (1, "undo", CompensationOutcome::Undone { attempts: 1 }),
            ]
        );
        assert!(system.unfinished_sagas().await.unwrap().is_empty());
    });
    assert_eq!(
        world.sends("undo order-2/2"),
        1,
        "a finished compensation is not run again"
    );
    assert_eq!(
        world.sends("undo order-2/1"),
        2,
        "the one in flight runs again, under its key"
    );
    assert_eq!(world.sends("apply order-2/3"), 1, "the failed step is not sent again");
    assert!(world.lock().wrong_undos.is_empty(), "{:?}", world.lock().wrong_undos);

    let (resume, error) = replay_ended(&journals, &world, "order-2");
    assert_eq!(resume, Resume::Compensated);
    assert_eq!(error.unwrap_err().compensations().len(), 2, "the recorded outcomes");
}

#[test]
fn a_step_in_flight_at_the_crash_is_sent_again_under_its_key_and_applied_once() {
    let (journals, world) = (MemoryJournal::new(), Shared::default());
    world.lock().slow.insert("order-3/2".into(), 10 * SECOND);
    crash_during_order(&journals, &world, "order-3", SECOND);
    let id = world.lock().applied["order-3/2"];
    assert_eq!(world.sends("apply order-3/2"), 1);

    life(&world, async {
        let (system, services) = start(&journals, &world);
        let mut saga = system.journaled_saga("order-3").await.unwrap();
        assert_eq!(
            saga.resume(),
            Resume::Continue {
                completed: 1,
                resend: true
            }
        );
        let ids = order(&mut saga, &services).await.unwrap();
        assert_eq!(ids[1], id, "the service knew the key: the same step, done once");
        saga.commit().await.unwrap();
    });
    assert_eq!(world.sends("apply order-3/1"), 1);
    assert_eq!(world.sends("apply order-3/2"), 2, "sent again under the same key");
    assert_eq!(world.lock().applied.len(), 3, "and applied once");
}

#[test]
fn a_step_that_timed_out_replays_its_failure_and_its_late_success_is_undone() {
    let (journals, world) = (MemoryJournal::new(), Shared::default());
    // Step 2 replies after its timeout, within the late-reply window: it
    // fails the saga and is undone. Both undos are slow; the crash comes
    // while step 2's runs.
    world.lock().slow.insert("order-10/2".into(), 1500 * MS);
    world.lock().slow_undo.insert("order-10/2".into(), 3 * SECOND);
    world.lock().slow_undo.insert("order-10/1".into(), 3 * SECOND);
    // Step 2 of order-11 never replies in time: its outcome is unknown.
    world.lock().slow.insert("order-11/2".into(), 60 * SECOND);
    life(&world, async {
        let (system, services) = start(&journals, &world);
        crash_after(2 * SECOND, async {
            let saga = system.journaled_saga("order-10").await.unwrap();
            let mut saga = saga.step_timeout(SECOND).late_reply_timeout(SECOND);
            order(&mut saga, &services).await
        })
        .await;
        let saga = system.journaled_saga("order-11").await.unwrap();
        let mut saga = saga.step_timeout(SECOND).late_reply_timeout(SECOND);
        let error = order(&mut saga, &services).await.unwrap_err();
        assert!(matches!(error.failure(), StepFailure::Unknown { .. }), "{error}");
    });
    assert_eq!(world.sends("undo order-10/2"), 1);
    assert_eq!(world.sends("undo order-10/1"), 0);

    life(&world, async {
        let (system, services) = start(&journals, &world);
        let mut saga = system.journaled_saga("order-10").await.unwrap();
        assert_eq!(saga.resume(), Resume::Compensate { completed: 2 });
        let error = order(&mut saga, &services).await.unwrap_err();
        let StepFailure::Recorded(recorded) = error.failure() else {
            panic!("the recorded timeout should replay, not {error}");
        };
        assert!(recorded.contains("timed out after 1s"), "{recorded}");
        assert!(error.to_string().contains("recorded before a restart"), "{error}");
        assert!(error.is_compensated(), "{error}");
        assert_eq!(
            error.compensations().len(),
            2,
            "the late success is undone too: {error}"
        );

        let mut saga = system.journaled_saga("order-11").await.unwrap();
        assert_eq!(saga.resume(), Resume::Compensated);
        let error = order(&mut saga, &services).await.unwrap_err();
        assert_eq!(
            error.failure(),
            &StepFailure::Unknown {
                timeout: SECOND,
                late_reply_timeout: SECOND
            }
        );
        assert_eq!(error.compensations().len(), 1);
    });
    assert_eq!(
        world.sends("undo order-10/2"),
        2,
        "rebuilt from the recorded late value"
    );
    assert_eq!(world.sends("undo order-10/1"), 1);
    assert_eq!(world.sends("apply order-10/2"), 1);
    assert_eq!(world.sends("undo order-11/2"), 0, "an unknown step is not undone");
    assert!(world.lock().wrong_undos.is_empty(), "{:?}", world.lock().wrong_undos);
}

#[test]
fn a_step_whose_caller_goes_away_is_undone_and_the_journal_says_so() {
    let (journals, world) = (MemoryJournal::new(), Shared::default());
    world.lock().slow.insert("order-13/2".into(), 3 * SECOND);
    life(&world, async {
        let (system, services) = start(&journals, &world);
        let mut saga = system.journaled_saga("order-13").await.unwrap();
        saga.step(|key| services[0].apply(key, 10)).await.unwrap();
        let step = saga.step(|key| services[1].apply(key, 20));
        assert!(tokio::time::timeout(SECOND, step).await.is_err(), "the caller gives up");
        tokio::time::sleep(10 * SECOND).await;
        assert!(system.unfinished_sagas().await.unwrap().is_empty());
        drop(saga);
    });
    assert_eq!(world.lock().undone.len(), 2, "the late success and step 1");
    let (resume, error) = replay_ended(&journals, &world, "order-13");
    assert_eq!(resume, Resume::Compensated);
    let error = error.unwrap_err();
    assert_eq!(error.key().step(), 3, "steps 1 and 2 replay, step 3 finds the abort");
    assert_eq!(error.compensations().len(), 2);
}

#[test]
fn a_journaled_saga_runs_in_a_task_of_its_own() {
    let (journals, world) = (MemoryJournal::new(), Shared::default());
    life(&world, async {
        let (system, services) = start(&journals, &world);
        let mut saga = system.journaled_saga("order-12").await.unwrap();
        let task = tokio::spawn(async move {
            order(&mut saga, &services).await.unwrap();
            saga.commit().await
        });
        task.await.unwrap().unwrap();
    });
    assert_eq!(world.lock().applied.len(), 3);
}

#[test]
fn changed_code_on_resume_fails_naming_both_steps_and_touches_nothing() {
    let (journals, world) = (MemoryJournal::new(), Shared::default());
    crash_after_steps(&journals, &world, "order-4", 1);
    let entries = journals.len("phyx/saga/order-4");

    life(&world, async {
        let (system, services) = start(&journals, &world);
        let mut saga = system.journaled_saga("order-4").await.unwrap();
        let error = saga.step(|key| services[1].apply(key, 10)).await.unwrap_err();
        assert_eq!(
            error.failure(),
            &StepFailure::Diverged {
                recorded_process: "inventory".into(),
                recorded_method: "apply".into(),
            }
        );
        let message = error.to_string();
        assert!(
            message.contains("`apply` on process `payment`") && message.contains("`apply` on process `inventory`"),
            "{message}"
        );
        assert!(!error.is_compensated());
        drop(saga);

        let mut saga = system.journaled_saga("order-4").await.unwrap();
        let error = saga.step(|key| services[0].undo(key, 1)).await.unwrap_err();
        assert!(matches!(error.failure(), StepFailure::Diverged { recorded_method, .. } if recorded_method == "apply"));
        drop(saga);

        // Ending it before replaying the recorded step is a change too.
        let saga = system.journaled_saga("order-4").await.unwrap();
        let error = saga.commit().await.unwrap_err();
        assert!(
            matches!(
                error,
                SagaJournalError::Unreplayed {
                    recorded: 1,
                    replayed: 0,
                    ..
                }
            ),
            "{error}"
        );
        let saga = system.journaled_saga("order-4").await.unwrap();
        assert!(matches!(saga.abort().await, Err(SagaJournalError::Unreplayed { .. })));
        tokio::time::sleep(10 * SECOND).await;
        assert_eq!(system.unfinished_sagas().await.unwrap(), ["order-4".into()]);
    });
    assert_eq!(world.sends("apply order-4/1"), 1);
    assert_eq!(world.sends("undo order-4/1"), 0, "nothing compensated");
    assert_eq!(world.all_sends(), 1, "nothing sent");
    assert_eq!(journals.len("phyx/saga/order-4"), entries, "nothing written");

    life(&world, async {
        let (system, services) = start(&journals, &world);
        let mut saga = system.journaled_saga("order-4").await.unwrap();
        order(&mut saga, &services).await.unwrap();
        saga.commit().await.unwrap();
    });
    assert_eq!(
        world.sends("apply order-4/1"),
        1,
        "the old code finishes it, from its journal"
    );
}

/// Saga `id`'s step 2 is done, and `fault` befalls the store while the
/// step replies: its outcome's append fails. Returns what the saga found
/// when opened again, once the store works.
fn step_two_not_journaled(id: &str, fault: fn(&FaultyJournal)) -> Resume {
    let (store, world) = (FaultyJournal::new(), Shared::default());
    let armed = store.clone();
    let hook: Box<dyn Fn() + Send> = Box::new(move || fault(&armed));
    world.lock().on_apply.insert(format!("{id}/2"), hook);
    let resume = life(&world, async {
        let (system, services) = start_on(store.clone(), &world);
        let mut saga = system.journaled_saga(id).await.unwrap();
        saga.step(|key| services[0].apply(key, 10)).await.unwrap();
        let error = saga.step(|key| services[1].apply(key, 20)).await.unwrap_err();
        assert!(
            matches!(
                error.failure(),
                StepFailure::Journal(PersistError::Journal(JournalError::Unavailable { .. }))
            ),
            "{error}"
        );
        assert!(error.compensations().is_empty());
        assert!(!error.is_compensated());
        let message = error.to_string();
        assert!(message.contains("nothing was compensated"), "{message}");
        let later = saga.step(|key| services[2].apply(key, 30)).await.unwrap_err();
        assert_eq!(later.failure(), &StepFailure::Ended);
        drop(saga);
        tokio::time::sleep(30 * SECOND).await;
        assert_eq!(
            world.sends(&format!("undo {id}/1")),
            0,
            "neither the step nor its drop compensates"
        );

        // The store works: the saga resumes from its journal.
        let mut saga = system.journaled_saga(id).await.unwrap();
        let resume = saga.resume();
        order(&mut saga, &services).await.unwrap();
        saga.commit().await.unwrap();
        resume
    });
    assert_eq!(world.sends(&format!("apply {id}/1")), 1);
    assert_eq!(world.lock().applied.len(), 3);
    assert!(world.lock().undone.is_empty());
    resume
}

#[test]
fn a_step_whose_outcome_cannot_be_journaled_compensates_nothing_and_resumes_later() {
    let resume = step_two_not_journaled("order-5", FaultyJournal::fail_next_append);
    assert_eq!(
        resume,
        Resume::Continue {
            completed: 1,
            resend: true
        }
    );
    // Written after all, its acknowledgement lost: the next run knows it.
    let resume = step_two_not_journaled("order-14", FaultyJournal::lose_next_ack);
    assert_eq!(
        resume,
        Resume::Continue {
            completed: 2,
            resend: false
        }
    );
}

#[test]
fn a_saga_dropped_without_commit_compensates_and_says_so_in_its_journal() {
    let (journals, world) = (MemoryJournal::new(), Shared::default());
    life(&world, async {
        let (system, services) = start(&journals, &world);
        let mut saga = system.journaled_saga("order-6").await.unwrap();
        saga.step(|key| services[0].apply(key, 10)).await.unwrap();
        saga.step(|key| services[1].apply(key, 20)).await.unwrap();
        drop(saga);
        tokio::time::sleep(SECOND).await;
        assert!(system.unfinished_sagas().await.unwrap().is_empty());
        let saga = system.journaled_saga("order-6").await.unwrap();
        assert_eq!(saga.resume(), Resume::Compensated);
        // Dropped while still replaying, it does what a crash does.
        drop(saga);
    });
    assert_eq!(world.lock().undone.len(), 2);

    let (_, error) = replay_ended(&journals, &world, "order-6");
    let error = error.unwrap_err();
    assert_eq!(error.failure(), &StepFailure::Ended, "step 3 finds the saga aborted");
    assert_eq!(error.compensations().len(), 2);
}

#[test]
fn a_saga_dropped_while_it_replays_does_what_a_crash_does() {
    let (journals, world) = (MemoryJournal::new(), Shared::default());
    crash_after_steps(&journals, &world, "order-8", 2);
    life(&world, async {
        let (system, services) = start(&journals, &world);
        let mut saga = system.journaled_saga("order-8").await.unwrap();
        saga.step(|key| services[0].apply(key, 10)).await.unwrap();
        drop(saga); // step 2's undo is not known yet: nothing to compensate it with
        tokio::time::sleep(30 * SECOND).await;
        assert_eq!(system.unfinished_sagas().await.unwrap(), ["order-8".into()]);
        let saga = system.journaled_saga("order-8").await.unwrap();
        assert_eq!(
            saga.resume(),
            Resume::Continue {
                completed: 2,
                resend: false
            }
        );
    });
    assert!(world.lock().undone.is_empty());
}

#[test]
fn an_abort_recorded_before_the_crash_compensates_instead_of_committing() {
    let (journals, world) = (MemoryJournal::new(), Shared::default());
    world.lock().slow_undo.insert("order-7/1".into(), 3 * SECOND);
    life(&world, async {
        let (system, services) = start(&journals, &world);
        crash_after(SECOND, async {
            let mut saga = system.journaled_saga("order-7").await.unwrap();
            saga.step(|key| services[0].apply(key, 10)).await.unwrap();
            saga.abort().await
        })
        .await;
    });
    life(&world, async {
        let (system, services) = start(&journals, &world);
        let mut saga = system.journaled_saga("order-7").await.unwrap();
        assert_eq!(saga.resume(), Resume::Compensate { completed: 1 });
        saga.step(|key| services[0].apply(key, 10)).await.unwrap();
        let error = saga.commit().await.unwrap_err();
        let SagaJournalError::Aborted { compensations, .. } = &error else {
            panic!("expected the recorded abort, got {error}");
        };
        assert_eq!(compensations.len(), 1);
        assert!(error.to_string().contains("aborted before a restart"), "{error}");
    });
    assert_eq!(world.sends("undo order-7/1"), 2);
    assert_eq!(world.sends("apply order-7/1"), 1);
}

#[test]
fn opening_needs_a_store_and_one_writer() {
    let world = Shared::default();
    life(&world, async {
        let system = System::new();
        assert!(matches!(
            system.journaled_saga("x").await,
            Err(SagaJournalError::NoStore)
        ));
        assert!(matches!(
            system.unfinished_sagas().await,
            Err(SagaJournalError::NoStore)
        ));

        let system = System::builder().journal(MemoryJournal::new()).build();
        let saga = system.journaled_saga("x").await.unwrap();
        let error = system.journaled_saga("x").await.unwrap_err();
        assert!(matches!(&error, SagaJournalError::AlreadyOpen { saga } if saga.as_str() == "x"));
        assert!(error.to_string().contains("one writer"), "{error}");
        drop(saga);
        assert!(system.journaled_saga("x").await.is_ok());
    });
}

#[derive(Serialize, Deserialize)]
struct Noted;

#[derive(Default)]
struct Notes;

#[process(journal)]
impl Notes {
    #[apply]
    fn apply(&mut self, _event: Noted) {}

    #[public]
    fn ping(&self) {}
}

#[test]
fn process_journals_cannot_take_the_names_of_saga_journals() {
    let world = Shared::default();
    life(&world, async {
        let system = System::builder().journal(MemoryJournal::new()).build();
        let notes = system.spawn_with(Notes::default, SpawnOptions::new().name("phyx/saga/order-1"));
        let StopReason::StartFailed { error } = Handle::stopped(&notes).await else {
            panic!("a process named like a saga's journal should fail its start");
        };
        assert!(error.contains("`phyx/`") && error.contains("another name"), "{error}");
        let notes = system.spawn_with(Notes::default, SpawnOptions::new().name("sagas/order-1"));
        notes.ping().await.unwrap();
    });
}

/// One saga of the soak: its steps' services and amounts, and the step
/// that fails, if one does.
struct Plan {
    id: String,
    steps: Vec<usize>,
    failing: Option<u32>,
}

/// Polls `tasks` together until all are done, or until `crash` passes:
/// then the OS process dies, forgetting them mid-flight. Whether all were
/// done.
async fn together(tasks: Vec<Pin<Box<dyn Future<Output = ()> + '_>>>, crash: Option<Duration>) -> bool {
    let mut tasks: Vec<_> = tasks.into_iter().map(Some).collect();
    let done = {
        let all = poll_fn(|cx| {
            let mut pending = false;
            for slot in &mut tasks {
                if let Some(task) = slot {
                    if task.as_mut().poll(cx).is_ready() {
                        *slot = None;
                    } else {
                        pending = true;
                    }
                }
            }
            if pending { Poll::Pending } else { Poll::Ready(()) }
        });
        let crash = tokio::time::sleep(crash.unwrap_or(Duration::MAX / 4));
        tokio::select! {
            biased;
            () = all => true,
            () = crash => false,
        }
    };
    std::mem::forget(tasks);
    done
}

#[test]
fn randomized_crashes_end_every_saga_committed_or_compensated_with_no_step_sent_after_its_reply() {
    let (mut resent, mut undone_again) = (0, 0);
    for seed in 0..20 {
        let world = soak(seed);
        let again = |kind: &str| {
            let sends = world.sends.iter();
            sends
                .filter(|(what, lives)| what.starts_with(kind) && lives.len() > 1)
                .count()
        };
        resent += again("apply");
        undone_again += again("undo");
    }
    // Else the crashes missed what they are there to hit.
    assert!(
        resent > 0 && undone_again > 0,
        "{resent} steps and {undone_again} undos sent again"
    );
}

/// Runs 24 sagas through random crashes until they end, checks what they
/// did, and returns the world they did it in.
fn soak(seed: u64) -> World {
    let mut rng = SplitMix64::new(seed);
    let mut below = |n: u64| rng.next_u64() % n;
    let (journals, world) = (MemoryJournal::new(), Shared::default());
    let plans: Vec<Plan> = (0..24)
        .map(|index| {
            let id = format!("soak-{index}");
            let steps: Vec<usize> = (0..1 + below(4)).map(|_| below(3) as usize).collect();
            let failing = (below(3) == 0).then(|| 1 + below(steps.len() as u64) as u32);
            let mut world = world.lock();
            for step in 1..=steps.len() {
                let key = format!("{id}/{step}");
                world.slow.insert(key.clone(), Duration::from_millis(below(3000)));
                world.slow_undo.insert(key.clone(), Duration::from_millis(below(2000)));
                if failing == Some(step as u32) {
                    world.failing.insert(key);
                }
            }
            Plan { id, steps, failing }
        })
        .collect();
    let results: Mutex<BTreeMap<String, Result<(), String>>> = Mutex::default();
    let mut lives = 0;
    loop {
        lives += 1;
        // Crashes at random for a while, then a life that lets them end.
        let crash = (lives <= 10).then(|| Duration::from_millis(below(6000)));
        let done = life(&world, async {
            let system = System::builder().journal(journals.clone()).build();
            let tasks = plans
                .iter()
                .map(|plan| {
                    // Services of its own: the others' slow steps do not
                    // hold its undos up.
                    let (system, services, results) = (&system, services(&system, &world), &results);
                    Box::pin(async move {
                        let mut saga = system.journaled_saga(plan.id.as_str()).await.unwrap();
                        let mut outcome = Ok(());
                        for &service in &plan.steps {
                            if let Err(error) = saga.step(|key| services[service].apply(key, 1)).await {
                                outcome = Err(error);
                                break;
                            }
                        }
                        let result = match outcome {
                            Ok(()) => saga.commit().await.map_err(|error| error.to_string()),
                            Err(error) if error.is_compensated() => Err(format!("step {}", error.key().step())),
                            Err(error) => panic!("{}: {error}", plan.id),
                        };
                        results.lock().unwrap().insert(plan.id.clone(), result);
                    }) as Pin<Box<dyn Future<Output = ()> + '_>>
                })
                .collect();
            let done = together(tasks, crash).await;
            if done {
                tokio::time::sleep(60 * SECOND).await; // compensations of dropped sagas
                assert!(system.unfinished_sagas().await.unwrap().is_empty(), "seed {seed}");
            }
            done
        });
        if done {
            break;
        }
        assert!(lives < 20, "seed {seed}: the sagas should end once the crashes stop");
    }

    let world = std::mem::take(&mut *world.lock());
    let results = results.into_inner().unwrap();
    for plan in &plans {
        let expected = match plan.failing {
            None => Ok(()),
            Some(step) => Err(format!("step {step}")),
        };
        assert_eq!(results[&plan.id], expected, "seed {seed}: {}", plan.id);
        for step in 1..=plan.steps.len() as u32 {
            let key = format!("{}/{step}", plan.id);
            let (applied, undone) = (world.applied.contains_key(&key), world.undone.contains(&key));
            let (expect_applied, expect_undone) = match plan.failing {
                None => (true, false),
                Some(failing) if step < failing => (true, true),
                Some(_) => (false, false),
            };
            assert_eq!(
                (applied, undone),
                (expect_applied, expect_undone),
                "seed {seed}: step {key} applied and undone"
            );
            let sends = &world.sends.get(&format!("apply {key}")).cloned().unwrap_or_default();
            if let Some(replied) = world.replied.get(&key) {
                assert!(
                    sends.iter().all(|life| life <= replied),
                    "seed {seed}: step {key} replied in life {replied}, and was sent again in lives {sends:?}"
                );
            }
        }
    }
    assert!(world.wrong_undos.is_empty(), "seed {seed}: {:?}", world.wrong_undos);
    world
}

#[test]
fn a_journal_that_does_not_read_back_fails_the_open_naming_the_position() {
    let (journals, world) = (MemoryJournal::new(), Shared::default());
    life(&world, async {
        journals
            .append("phyx/saga/order-9", 1, vec![vec![0xff, 0xff]])
            .await
            .unwrap();
        let system = System::builder().journal(journals.clone()).build();
        let error = system.journaled_saga("order-9").await.unwrap_err();
        assert!(
            matches!(
                &error,
                SagaJournalError::Journal(JournalError::Decode { position: 1, .. })
            ),
            "{error}"
        );
        assert!(
            error.to_string().contains("journal `phyx/saga/order-9`: event 1"),
            "{error}"
        );
    });
}

/// Runs the `saga-node` binary on `dir`, its last step `slow_ms` slow,
/// and returns the lines it printed. With `kill_at`, it is killed with
/// SIGKILL once it has printed that line; else it must exit by itself,
/// successfully.
fn saga_node(dir: &std::path::Path, slow_ms: u64, kill_at: Option<&str>) -> Vec<String> {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_saga-node"))
        .arg(dir)
        .arg(slow_ms.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the saga-node starts");
    let (sender, lines) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("its standard output");
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if sender.send(line.expect("a line")).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) {
        let last = kill_at == Some(line.as_str());
        printed.push(line);
        if last {
            child.kill().expect("SIGKILL");
            break;
        }
    }
    let status = child.wait().expect("the saga-node's status");
    printed.extend(lines.iter());
    reader.join().expect("the reader");
    match kill_at {
        Some(at) => {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(status.signal(), Some(9), "killed at `{at}`, not {status}: {printed:?}");
        }
        None => assert!(status.success(), "the saga-node failed ({status}): {printed:?}"),
    }
    printed
}

#[test]
fn a_saga_killed_with_its_os_process_resumes_in_the_next_one() {
    use phyx::journal::FileJournal;
    use phyx_tests::saga_node::{Entry, LEDGERS, Ledger};

    let dir = phyx_tests::Scratch::new("saga-journal-kill");
    // Killed with step 3 sent and not replied: its ledger may have it.
    let first = saga_node(&dir.0, 60_000, Some("sent order-1/3"));
    assert_eq!(
        first[..4],
        ["resume New", "sent order-1/1", "step 1 done", "sent order-1/2"]
    );

    let second = saga_node(&dir.0, 0, None);
    assert_eq!(
        second,
        [
            "resume Continue { completed: 2, resend: true }",
            "step 1 done",
            "step 2 done",
            "sent order-1/3",
            "step 3 done",
            "committed",
        ]
    );

    let third = saga_node(&dir.0, 0, None);
    assert_eq!(
        third,
        [
            "resume Committed",
            "step 1 done",
            "step 2 done",
            "step 3 done",
            "committed"
        ]
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let journal = FileJournal::open(&dir.0).expect("the directory, let go of");
        for (step, ledger) in (1..).zip(LEDGERS) {
            let entries = phyx::journal::events::<Ledger>(&journal, ledger).await.unwrap();
            assert_eq!(
                entries,
                [Entry::Applied(format!("order-1/{step}"))],
                "{ledger}: each step once"
            );
        }
        let system = System::builder().journal(journal).build();
        assert!(system.unfinished_sagas().await.unwrap().is_empty());
    });
}
