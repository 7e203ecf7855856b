//! Which cache files go when the cache is over its budget: the least recently used first, never
//! one used within the last minutes (another wsh may be about to read it), and only as many as
//! it takes to get under the budget.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// A file of the cache, as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub path: PathBuf,
    pub bytes: u64,
    /// When it was last used: written, or read and touched (see `cache_prune::touch`).
    pub used: SystemTime,
}

/// Files younger than this are never removed, whatever the budget.
pub(crate) const MIN_AGE: Duration = Duration::from_secs(10 * 60);

/// The files to remove so that what is left fits in `budget` bytes, oldest first.
pub(crate) fn over_budget(mut entries: Vec<Entry>, budget: u64, now: SystemTime) -> Vec<Entry> {
    let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
    if total <= budget {
        return Vec::new();
    }
    entries.sort_by_key(|e| e.used);
    let mut gone = Vec::new();
    for entry in entries {
        if total <= budget {
            break;
        }
        let recent = now.duration_since(entry.used).map_or(true, |age| age < MIN_AGE);
        if recent {
            // Sorted by use: everything after it is more recent still.
            break;
        }
        total -= entry.bytes;
        gone.push(entry);
    }
    gone
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, mib: u64, hours_ago: u64, now: SystemTime) -> Entry {
        Entry { path: name.into(), bytes: mib << 20, used: now - Duration::from_secs(hours_ago * 3600) }
    }

    fn names(entries: &[Entry]) -> Vec<&str> {
        entries.iter().map(|e| e.path.to_str().unwrap()).collect()
    }

    #[test]
    fn within_budget_nothing_goes() {
        let now = SystemTime::now();
        let entries = vec![entry("a", 10, 5, now), entry("b", 10, 1, now)];
        assert!(over_budget(entries, 20 << 20, now).is_empty());
    }

    #[test]
    fn the_least_recently_used_go_until_the_rest_fits() {
        let now = SystemTime::now();
        let entries = vec![
            entry("new", 30, 1, now),
            entry("oldest", 10, 50, now),
            entry("old", 20, 20, now),
            entry("mid", 5, 10, now),
        ];
        // 65 MiB in all, 40 allowed: "oldest" (10) and "old" (20) go, 35 remain.
        assert_eq!(names(&over_budget(entries, 40 << 20, now)), ["oldest", "old"]);
    }

    #[test]
    fn files_used_in_the_last_minutes_stay_even_over_budget() {
        let now = SystemTime::now();
        let just_now = Entry { path: "just-now".into(), bytes: 100 << 20, used: now - Duration::from_secs(30) };
        let from_the_future =
            Entry { path: "clock-skew".into(), bytes: 100 << 20, used: now + Duration::from_secs(60) };
        let entries = vec![just_now, from_the_future, entry("old", 1, 24, now)];
        assert_eq!(names(&over_budget(entries, 0, now)), ["old"]);
    }
}
