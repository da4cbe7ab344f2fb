//! Processes declared inside a function, as tests and examples do, whose
//! methods take and return types declared in the same function; generic
//! ones too.

use phyx::prelude::*;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    #[derive(Debug, PartialEq)]
    struct Job(u32);

    #[derive(Default)]
    struct Worker {
        done: Vec<u32>,
    }

    #[process]
    impl Worker {
        #[public]
        fn run(&mut self, job: Job) -> Job {
            self.done.push(job.0);
            Job(job.0 * 2)
        }
    }

    #[derive(Default)]
    struct Slots<T, const N: usize> {
        items: Vec<T>,
    }

    #[process]
    impl<T: Sync, const N: usize> Slots<T, N> {
        #[public]
        fn put(&mut self, item: T) -> Result<usize, Job> {
            if self.items.len() == N {
                return Err(Job(0));
            }
            self.items.push(item);
            Ok(self.items.len())
        }
    }

    let system = System::new();
    let worker: WorkerRef = system.spawn(Worker::default);
    assert_eq!(worker.run(Job(2)).await.unwrap(), Job(4));
    let slots: SlotsRef<String, 1> = system.spawn(Slots::default);
    assert_eq!(slots.put("a".into()).await.unwrap(), Ok(1));
    assert_eq!(slots.put("b".into()).await.unwrap(), Err(Job(0)));
    let message: Option<SlotsMsg<String, 1>> = None;
    assert!(message.is_none());
    system.shutdown().await;
}
