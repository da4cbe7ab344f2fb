//! The known name nearest to a misspelled one, for "did you mean" hints
//! on options (`#[process(mailbx = 8)]`) and on method names
//! (`#[compensate(relase)]`).

/// The known key nearest to a misspelled one, if any is near.
pub(crate) fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .copied()
        .filter(|known| key.contains(known) || known.contains(key) || edit_distance(key, known) <= 2)
        .min_by_key(|known| edit_distance(key, known))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substituted = previous + usize::from(ca != cb);
            previous = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_known_name_only_when_near() {
        let known = ["mailbox", "overflow", "max_restarts"];
        assert_eq!(closest("mailbx", &known), Some("mailbox"));
        assert_eq!(closest("max_restart", &known), Some("max_restarts"));
        assert_eq!(closest("strategy", &known), None);
    }
}
