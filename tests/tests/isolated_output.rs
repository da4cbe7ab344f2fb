//! What an isolated process's OS process writes on its standard output
//! and error reaches the parent's `tracing`, line by line, with the
//! process's name. Alone in its binary: it installs a global subscriber.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use phyx::SpawnOptions;
use phyx::isolated::Isolation;
use phyx_testkit::nats::NatsServer;
use phyx_tests::isolated::{Cruncher, CruncherRef};

/// The events of target `phyx::isolated`, as `LEVEL field=value ...`.
#[derive(Clone, Default)]
struct Recorder {
    lines: Arc<Mutex<Vec<String>>>,
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if event.metadata().target() != "phyx::isolated" {
            return;
        }
        let mut fields = Fields(event.metadata().level().to_string());
        event.record(&mut fields);
        self.lines.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_childs_output_reaches_tracing_with_the_process_name() {
    let recorder = Recorder::default();
    tracing::subscriber::set_global_default(recorder.clone()).expect("the only subscriber of this binary");
    let Some(server) = NatsServer::start() else { return };
    let hung = Duration::from_secs(60);
    let system = tokio::time::timeout(
        hung,
        phyx::System::builder().node("parent").cluster(server.url()).connect(),
    )
    .await
    .expect("hung: joining")
    .expect("the parent joins");
    let talker: CruncherRef = system.spawn_isolated_with::<Cruncher>(
        Isolation::new().program(env!("CARGO_BIN_EXE_isolated-node")),
        SpawnOptions::new().name("talker"),
    );
    let (_, pid) = tokio::time::timeout(hung, talker.call())
        .await
        .expect("hung: a call")
        .unwrap();
    tokio::time::timeout(hung, talker.say("a line on stdout".into(), "a line on stderr".into()))
        .await
        .expect("hung: say")
        .unwrap();
    let expected = [
        format!("INFO message=a line on stdout process=talker pid={pid}"),
        format!("WARN message=a line on stderr process=talker pid={pid}"),
    ];
    // The lines cross their pipes on their own, maybe after the reply.
    let seen = tokio::time::timeout(hung, async {
        loop {
            let lines = recorder.lines.lock().unwrap().clone();
            if expected.iter().all(|line| lines.contains(line)) {
                return lines;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let lines = recorder.lines.lock().unwrap().clone();
    assert!(seen.is_ok(), "expected {expected:#?} among {lines:#?}");
    // phyx's own lines to its child are not the child's output.
    assert!(!lines.iter().any(|line| line.contains("phyx-isolated:")), "{lines:#?}");
    tokio::time::timeout(hung, system.shutdown())
        .await
        .expect("hung: shutdown");
}
