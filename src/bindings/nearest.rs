//! "Did you mean ...?": the closest candidate to a mistyped word.

/// The candidate closest to `word` by edit distance, if any is close enough.
///
/// Comparison ignores ASCII case. A candidate counts as close when at most
/// half of the longer word has to change (and always when one or two edits
/// suffice), so `sort` finds `sort_by` and `mailbx` finds `mailbox`, but
/// `xyz` finds nothing among unrelated names. Ties go to a candidate that
/// starts with the word, then to the earliest.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let original = word;
    let word = word.to_ascii_lowercase();
    let mut best: Option<(usize, bool, &'a str)> = None;

    for candidate in candidates {
        if candidate == original {
            continue;
        }
        let lower = candidate.to_ascii_lowercase();
        let distance = edit_distance(&word, &lower);
        let longest = word.chars().count().max(lower.chars().count());
        if distance > (longest / 2).max(2) || distance >= longest.max(1) {
            continue;
        }

        let prefix = lower.starts_with(&word) || word.starts_with(&lower);
        let better = match best {
            None => true,
            Some((best_distance, best_prefix, _)) => {
                distance < best_distance || (distance == best_distance && prefix && !best_prefix)
            }
        };
        if better {
            best = Some((distance, prefix, candidate));
        }
    }
    best.map(|(_, _, candidate)| candidate)
}

/// Levenshtein distance over chars, with one row of memory.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();

    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROCESS_LIST: &[&str] = &[
        "application",
        "behavior",
        "limit",
        "max_uptime",
        "min_mailbox",
        "name",
        "sort_by",
        "state",
        "node",
        "timeout",
    ];

    #[test]
    fn a_prefix_finds_the_longer_name() {
        assert_eq!(nearest("sort", PROCESS_LIST.iter().copied()), Some("sort_by"));
    }

    #[test]
    fn a_typo_finds_the_name() {
        assert_eq!(nearest("limt", PROCESS_LIST.iter().copied()), Some("limit"));
        assert_eq!(nearest("Behaviour", PROCESS_LIST.iter().copied()), Some("behavior"));
    }

    #[test]
    fn an_unrelated_word_finds_nothing() {
        assert_eq!(nearest("xyz", PROCESS_LIST.iter().copied()), None);
        assert_eq!(nearest("pid", PROCESS_LIST.iter().copied()), None);
    }

    #[test]
    fn an_exact_match_is_not_a_suggestion() {
        assert_eq!(nearest("limit", ["limit"]), None);
    }

    #[test]
    fn a_difference_in_case_is_suggested() {
        assert_eq!(nearest("Limit", ["limit"]), Some("limit"));
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
