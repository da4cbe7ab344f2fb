//! `FileJournal` through the `Journal` trait, on real files.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::journal::{Durability, FileJournal, Journal, JournalError, Snapshot};

/// A directory of its own for one test, removed when dropped.
pub(super) struct Scratch(pub(super) PathBuf);

impl Scratch {
    pub(super) fn new(test: &str) -> Self {
        static MADE: AtomicU64 = AtomicU64::new(0);
        let made = MADE.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("phyx-file-journal-{test}-{}-{made}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        Self(path)
    }

    fn log(&self, key: &str) -> PathBuf {
        self.0.join(format!("{key}.log"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn event(n: u64) -> Vec<u8> {
    format!("event {n}").into_bytes()
}

async fn all(journal: &FileJournal, key: &str) -> Result<Vec<Vec<u8>>, JournalError> {
    journal.read(key, 1, usize::MAX).await
}

fn size(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len()
}

#[tokio::test]
async fn reopened_after_drop_it_has_every_event_of_every_key() {
    let dir = Scratch::new("reopen");
    let journal = FileJournal::open(&dir.0).unwrap();
    // Enough records past the index's stride, of varied batch sizes.
    let mut expected = Vec::new();
    let mut next = 1;
    while expected.len() < 3000 {
        let batch: Vec<Vec<u8>> = (0..next % 4 + 1).map(|i| event(next + i)).collect();
        journal.append("a", next, batch.clone()).await.unwrap();
        next += batch.len() as u64;
        expected.extend(batch);
    }
    journal.append("b", 1, vec![b"only".to_vec()]).await.unwrap();
    drop(journal);

    let journal = FileJournal::open(&dir.0).unwrap();
    assert_eq!(all(&journal, "a").await.unwrap(), expected);
    assert_eq!(all(&journal, "b").await.unwrap(), [b"only".to_vec()]);
    // From anywhere, any amount: the index and the cursor land right.
    for (from, max) in [
        (1, 1),
        (2, 3),
        (1500, 7),
        (1501, 1),
        (2999, 10),
        (17, 4096),
        (3, 2),
        (4, 2),
    ] {
        let start = usize::try_from(from - 1).unwrap();
        let want: Vec<Vec<u8>> = expected.iter().skip(start).take(max).cloned().collect();
        assert_eq!(
            journal.read("a", from, max).await.unwrap(),
            want,
            "from {from}, max {max}"
        );
    }
    // Sequential reads in small steps, as a replay does.
    let mut read = Vec::new();
    loop {
        let batch = journal.read("a", read.len() as u64 + 1, 5).await.unwrap();
        if batch.is_empty() {
            break;
        }
        read.extend(batch);
    }
    assert_eq!(read, expected);
    assert_eq!(journal.keys().await.unwrap(), ["a", "b"]);
}

#[tokio::test]
async fn reads_outside_the_journal_are_empty() {
    let dir = Scratch::new("bounds");
    let journal = FileJournal::open(&dir.0).unwrap();
    assert!(all(&journal, "never").await.unwrap().is_empty());
    journal
        .append("k", 1, vec![event(1), event(2), event(3)])
        .await
        .unwrap();
    assert_eq!(journal.read("k", 0, 1).await.unwrap(), [event(1)]);
    assert_eq!(journal.read("k", 2, 1).await.unwrap(), [event(2)]);
    assert!(journal.read("k", 2, 0).await.unwrap().is_empty());
    assert!(journal.read("k", 4, 10).await.unwrap().is_empty());
    // A read of a journal never written leaves no file behind.
    assert_eq!(journal.keys().await.unwrap(), ["k"]);
}

#[tokio::test]
async fn an_append_at_the_wrong_position_conflicts_and_writes_nothing() {
    let dir = Scratch::new("conflict");
    let journal = FileJournal::open(&dir.0).unwrap();
    journal.append("k", 1, vec![event(1)]).await.unwrap();
    for first in [1, 3, 0] {
        assert_eq!(
            journal.append("k", first, vec![event(9)]).await,
            Err(JournalError::conflict("k", first, 2))
        );
    }
    journal.append("k", 2, vec![event(2)]).await.unwrap();
    // A journal never written starts at 1; a refused or empty append
    // makes no file.
    assert_eq!(
        journal.append("new", 2, vec![event(1)]).await,
        Err(JournalError::conflict("new", 2, 1))
    );
    journal.append("empty", 1, Vec::new()).await.unwrap();
    assert_eq!(journal.keys().await.unwrap(), ["k"]);
    drop(journal);
    let journal = FileJournal::open(&dir.0).unwrap();
    assert_eq!(all(&journal, "k").await.unwrap(), [event(1), event(2)]);
}

#[tokio::test]
async fn a_torn_last_record_is_cut_off_at_every_byte_and_the_journal_goes_on() {
    let dir = Scratch::new("torn");
    let journal = FileJournal::open(&dir.0).unwrap();
    journal.append("k", 1, vec![event(1)]).await.unwrap();
    journal.append("k", 2, vec![event(2), event(3)]).await.unwrap();
    let before = size(&dir.log("k"));
    journal.append("k", 4, vec![event(4), event(5)]).await.unwrap();
    drop(journal);
    let whole = fs::read(dir.log("k")).unwrap();
    let kept = [event(1), event(2), event(3)];
    let cut_at = (before..whole.len() as u64).map(|cut| {
        let mut bytes = whole.clone();
        bytes.truncate(usize::try_from(cut).unwrap());
        bytes
    });
    let flipped = (before as usize..whole.len()).map(|at| {
        let mut bytes = whole.clone();
        bytes[at] ^= 0x40;
        bytes
    });
    let zeros = std::iter::once([&whole[..before as usize], &[0; 100]].concat());
    for torn in cut_at.chain(flipped).chain(zeros) {
        fs::write(dir.log("k"), &torn).unwrap();
        let journal = FileJournal::open(&dir.0).unwrap();
        assert_eq!(all(&journal, "k").await.unwrap(), kept, "{} bytes", torn.len());
        assert_eq!(size(&dir.log("k")), before, "cut back to the whole records");
        journal.append("k", 4, vec![event(4)]).await.unwrap();
        drop(journal);
        let journal = FileJournal::open(&dir.0).unwrap();
        assert_eq!(all(&journal, "k").await.unwrap().len(), 4);
    }
}

#[tokio::test]
async fn damage_with_records_after_it_is_reported_at_its_position_and_kept() {
    let dir = Scratch::new("damage");
    let journal = FileJournal::open(&dir.0).unwrap();
    journal.append("k", 1, vec![event(1)]).await.unwrap();
    let second = size(&dir.log("k"));
    journal.append("k", 2, vec![event(2), event(3)]).await.unwrap();
    journal.append("k", 4, vec![event(4)]).await.unwrap();
    drop(journal);
    let mut bytes = fs::read(dir.log("k")).unwrap();
    let hit = usize::try_from(second).unwrap() + 12;
    bytes[hit] ^= 1;
    fs::write(dir.log("k"), &bytes).unwrap();

    let journal = FileJournal::open(&dir.0).unwrap();
    assert_eq!(journal.read("k", 1, 10).await.unwrap(), [event(1)]);
    for from in [2, 3, 4, 5] {
        match journal.read("k", from, 10).await {
            Err(JournalError::Corrupt {
                position: 2, detail, ..
            }) => {
                assert!(detail.contains(&format!("byte {second}")), "{detail}");
            }
            other => panic!("from {from}: {other:?}"),
        }
    }
    assert!(matches!(
        journal.append("k", 5, vec![event(5)]).await,
        Err(JournalError::Corrupt { position: 2, .. })
    ));
    drop(journal);
    assert_eq!(fs::read(dir.log("k")).unwrap(), bytes, "left as it was");
}

#[tokio::test]
async fn hostile_keys_get_files_of_their_own_inside_the_directory() {
    let dir = Scratch::new("keys");
    let journal = FileJournal::open(dir.0.join("inner")).unwrap();
    let keys = ["../x", "a/b", "", "日本語", "Worker[0]", "worker[0]", "..", "LOCK"];
    for key in keys {
        journal.append(key, 1, vec![key.as_bytes().to_vec()]).await.unwrap();
    }
    for key in keys {
        assert_eq!(all(&journal, key).await.unwrap(), [key.as_bytes().to_vec()], "{key:?}");
    }
    let mut sorted = keys.map(str::to_owned).to_vec();
    sorted.sort();
    assert_eq!(journal.keys().await.unwrap(), sorted);
    let outside: Vec<_> = fs::read_dir(&dir.0)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(outside, ["inner"]);
}

#[tokio::test]
async fn a_snapshot_replaces_the_one_before_and_a_damaged_one_is_none() {
    let dir = Scratch::new("snapshot");
    let journal = FileJournal::open(&dir.0).unwrap();
    assert_eq!(journal.load_snapshot("k").await.unwrap(), None);
    journal.append("k", 1, vec![event(1), event(2)]).await.unwrap();
    for position in [1, 2] {
        let snapshot = Snapshot {
            position,
            bytes: event(position),
        };
        journal.save_snapshot("k", snapshot.clone()).await.unwrap();
        assert_eq!(journal.load_snapshot("k").await.unwrap(), Some(snapshot));
    }
    drop(journal);
    let journal = FileJournal::open(&dir.0).unwrap();
    let latest = Snapshot {
        position: 2,
        bytes: event(2),
    };
    assert_eq!(journal.load_snapshot("k").await.unwrap(), Some(latest));
    let path = dir.0.join("k.snap");
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&path, &bytes).unwrap();
    assert_eq!(journal.load_snapshot("k").await.unwrap(), None);
    fs::write(&path, &bytes[..5]).unwrap();
    assert_eq!(journal.load_snapshot("k").await.unwrap(), None);
}

#[tokio::test]
async fn a_snapshot_past_the_end_of_its_journal_is_skipped() {
    let dir = Scratch::new("ahead");
    let journal = FileJournal::open(&dir.0).unwrap().durability(Durability::Buffered);
    let snapshot = Snapshot {
        position: 3,
        bytes: b"state".to_vec(),
    };
    journal.save_snapshot("k", snapshot.clone()).await.unwrap();
    assert_eq!(journal.load_snapshot("k").await.unwrap(), None);
    journal
        .append("k", 1, vec![event(1), event(2), event(3)])
        .await
        .unwrap();
    assert_eq!(journal.load_snapshot("k").await.unwrap(), Some(snapshot));
}

#[tokio::test]
async fn a_locked_directory_does_not_open_until_its_journal_is_dropped() {
    let dir = Scratch::new("lock");
    let journal = FileJournal::open(&dir.0).unwrap();
    let clone = journal.clone();
    let error = FileJournal::open(&dir.0).unwrap_err();
    let named = dir.0.display().to_string();
    assert_eq!(error.key(), named);
    assert!(error.to_string().contains("in use by another FileJournal"), "{error}");
    drop(journal);
    assert!(FileJournal::open(&dir.0).is_err(), "a clone still holds it");
    drop(clone);
    FileJournal::open(&dir.0).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_to_many_journals_all_land_in_order() {
    let dir = Scratch::new("concurrent");
    let journal = FileJournal::open(&dir.0).unwrap();
    let writers: Vec<_> = (0..300)
        .map(|writer| {
            let journal = journal.clone();
            tokio::spawn(async move {
                let key = format!("writer/{writer}");
                for n in 1..=10 {
                    journal.append(&key, n, vec![event(n)]).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    drop(journal);
    let journal = FileJournal::open(&dir.0).unwrap();
    for writer in 0..300 {
        let key = format!("writer/{writer}");
        assert_eq!(
            all(&journal, &key).await.unwrap(),
            (1..=10).map(event).collect::<Vec<_>>()
        );
    }
}

#[test]
fn its_debug_names_the_directory_and_durability() {
    let dir = Scratch::new("debug");
    let journal = FileJournal::open(&dir.0).unwrap().durability(Durability::Buffered);
    let debug = format!("{journal:?}");
    assert!(debug.contains("Buffered") && debug.contains("debug"), "{debug}");
    assert_eq!(journal.dir(), dir.0);
}
