//! Telemetry: a subscriber prints every event of the system as a JSON line
//! on stdout, and `tracing` shows a span per handled message and every
//! lifecycle event on stderr (`cargo run --example telemetry > events.jsonl`
//! keeps them apart).
//!
//! Run with `cargo run --example telemetry`.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use phyx::event::{Event, EventKind};
use phyx::prelude::*;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// What the worker reports about its tasks, next to the lifecycle events.
#[derive(Debug)]
pub enum TaskEvent {
    Started { task: u32 },
    Completed { task: u32 },
}

#[derive(Default)]
pub struct Worker {
    done: u32,
}

#[process]
impl Worker {
    /// Runs task `task`; task 3 has bad input and crashes the worker.
    #[public]
    pub async fn run_task(&mut self, ctx: &mut Ctx<Self>, task: u32) -> u32 {
        ctx.emit(TaskEvent::Started { task });
        ctx.sleep(Duration::from_millis(10)).await;
        if task == 3 {
            panic!("task {task}: \"bad input\"");
        }
        ctx.emit(TaskEvent::Completed { task });
        self.done += 1;
        self.done
    }
}

/// `event` as one line of JSON, its time in milliseconds since `origin`.
pub fn json_line(event: &Event, origin: Instant) -> String {
    let mut line = format!(
        r#"{{"at_ms":{},"process":{},"id":{},"event":"#,
        event.at.saturating_duration_since(origin).as_millis(),
        quote(&event.name),
        event.process.get(),
    );
    let ms = |d: &Duration| d.as_millis();
    let _ = match &event.kind {
        EventKind::Spawned { parent } => match parent {
            Some(parent) => write!(line, r#""spawned","parent":{}"#, parent.get()),
            None => write!(line, r#""spawned","parent":null"#),
        },
        EventKind::Started => write!(line, r#""started""#),
        EventKind::StartFailed { error } => write!(line, r#""start_failed","error":{}"#, quote(error)),
        EventKind::Panicked { method, message } => write!(
            line,
            r#""panicked","method":{},"message":{}"#,
            method.map_or("null".into(), quote),
            quote(message)
        ),
        EventKind::Restarting { attempt, delay } => {
            write!(line, r#""restarting","attempt":{attempt},"delay_ms":{}"#, ms(delay))
        }
        EventKind::Stopped { reason } => write!(line, r#""stopped","reason":{}"#, quote(&reason.to_string())),
        EventKind::Custom(custom) => match custom.downcast_ref::<TaskEvent>() {
            Some(TaskEvent::Started { task }) => write!(line, r#""task_started","task":{task}"#),
            Some(TaskEvent::Completed { task }) => write!(line, r#""task_completed","task":{task}"#),
            None => write!(line, r#""custom","value":{}"#, quote(&format!("{custom:?}"))),
        },
        // Every other kind, by its description.
        _ => write!(line, r#""other","detail":{}"#, quote(&event.to_string())),
    };
    line.push('}');
    line
}

/// `s` as a JSON string: quoted, with `"`, `\` and control characters
/// escaped.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str(r#"\""#),
            '\\' => out.push_str(r"\\"),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            '\t' => out.push_str(r"\t"),
            c if c.is_control() => {
                let _ = write!(out, r"\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Runs four tasks (one crashes the worker), shuts the system down, and
/// returns every JSON line printed.
pub async fn run(system: &System) -> Vec<String> {
    let origin = system.now();
    let mut events = system.events();
    // The subscriber: prints each event as it happens, until shutdown.
    let printer = tokio::spawn(async move {
        let mut lines = Vec::new();
        while let Some(event) = events.recv().await {
            let line = json_line(&event, origin);
            println!("{line}");
            lines.push(line);
        }
        lines
    });

    let worker: WorkerRef = system.spawn(Worker::default);
    for task in 1..=4 {
        if let Err(error) = worker.run_task(task).await {
            eprintln!("task {task}: {error}"); // stderr: stdout is for JSON
        }
    }
    system.shutdown().await; // ends the event stream
    printer.await.expect("the printer does not panic")
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_max_level(LevelFilter::DEBUG)
        .with_span_events(FmtSpan::CLOSE) // a line per handled message, with its timing
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    // Crashes here are on purpose: they reach tracing as events, and need
    // no Rust panic report on stderr as well.
    phyx::hide_caught_panics();
    run(&System::new()).await;
}
