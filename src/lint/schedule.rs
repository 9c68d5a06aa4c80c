//! The order lint checks a registry's entries in: one that uses each loaded file while it
//! is still in the cache.
//!
//! Lint's memory is bounded by emptying the registry's cache between batches once it holds
//! [`KEEP`] files (see the module above). In the files' own order (libraries, then
//! services, then groups, each by name) that made a 100k registry load 360,000 files for
//! its 160,000: a library's check loads the service it implies, which was checked (and
//! loaded again) far later; a group's check loads its options, checked long before. Here
//! the order follows the rules instead:
//!
//! - the components a check brought into the cache (what its rules imply or require) are
//!   checked in the next batch;
//! - the options of a group are checked together, group after group, and each group as
//!   soon as all its options have been, which is also when its check may run: an option is
//!   dead when its component is, which the component's check finds out.
//!
//! Only the order of the work changes. Each finding keeps its place in the files' order
//! ([`super::Order`]) and the report is sorted, so it is the same byte for byte.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::Arc;

use rustc_hash::FxHashSet as HashSet;

use rayon::prelude::*;

use super::{BATCH, Checked, Entry, Ids, KEEP, entry_of};
use crate::registry::{Component, Kind, Registry};
use crate::source::SourceFile;

/// How much memory the services kept in the cache may take. A service is what libraries
/// and options imply, and those may be checked far apart: in the 100k benchmark registry
/// each service is implied by two libraries 50,000 files apart, and emptying the cache of
/// services made lint read 50,000 of them twice. So services stay when the cache is
/// emptied, up to this bound; the rest are read again when needed.
const SERVICE_BYTES: usize = if cfg!(test) { 16 << 10 } else { 192 << 20 };

/// About how much memory a loaded service takes: its parsed file and rules, and its text
/// (3.7 KiB for the benchmark's 240-byte services, measured as peak memory at 100k).
fn service_bytes(c: &Component) -> usize {
    3 * 1024 + 3 * c.file.text().len()
}

/// Check `entries` (components before `split`, groups from it; `ids` gives each one's
/// index) on every core, in batches
/// of [`BATCH`], handing each result to `take`; `component` and `group` check one entry
/// given its index, `group` also given the components found dead so far (all of the
/// group's options are among those checked by then) and the group's file as its head was
/// read (`None` if it did not read: the check reads it again and reports why).
pub(super) fn run(
    registry: &Registry,
    entries: &[Entry],
    ids: &Ids,
    split: usize,
    component: impl Fn(usize, &Entry) -> Checked + Sync,
    group: impl Fn(usize, &Entry, &HashSet<(Kind, String)>, Option<Arc<SourceFile>>) -> Checked + Sync,
    mut take: impl FnMut(Checked),
) {
    // Each group's options that are components of the registry, read from the groups'
    // heads (a group that does not load has none: its check reports why). The files are
    // kept for the groups' checks, which would read them again: 10,000 files at 100k.
    let (options, mut files): (Vec<Vec<usize>>, Vec<Option<Arc<SourceFile>>>) = entries[split..]
        .par_iter()
        .map(|(category, name)| {
            let kind = category.kind();
            let Ok(Some(head)) = registry.read_group_head(kind, name) else {
                return (Vec::new(), None);
            };
            let mut found: Vec<usize> = head
                .options
                .iter()
                .filter_map(|o| ids.get(&(kind.category(), o.name.as_str())).copied())
                .collect();
            found.sort_unstable();
            found.dedup();
            (found, Some(head.file))
        })
        .unzip();
    let mut groups_of: Vec<Vec<usize>> = vec![Vec::new(); split];
    let mut waiting: Vec<usize> = Vec::with_capacity(options.len());
    let mut ready: VecDeque<usize> = VecDeque::new();
    for (g, opts) in options.iter().enumerate() {
        for &c in opts {
            groups_of[c].push(split + g);
        }
        waiting.push(opts.len());
        if opts.is_empty() {
            ready.push_back(split + g);
        }
    }
    // The components in the order they are taken when nothing was brought: each group's
    // options together, then the rest by name.
    let order: Vec<usize> = options.iter().flatten().copied().chain(0..split).collect();
    drop(options);

    let mut scheduled = vec![false; split];
    let mut brought: VecDeque<usize> = VecDeque::new();
    let mut next = 0;
    let mut dead: HashSet<(Kind, String)> = HashSet::default();
    // How many services fit in `SERVICE_BYTES`, as last measured (nothing measured yet:
    // none, so that the first emptying of the cache looks through them).
    let mut room = 0;
    loop {
        let mut batch: Vec<usize> = Vec::with_capacity(BATCH);
        while batch.len() < BATCH
            && let Some(g) = ready.pop_front()
        {
            batch.push(g);
        }
        let mut take_component = |c: usize, batch: &mut Vec<usize>| {
            if !scheduled[c] {
                scheduled[c] = true;
                batch.push(c);
            }
        };
        while batch.len() < BATCH
            && let Some(c) = brought.pop_front()
        {
            take_component(c, &mut batch);
        }
        while batch.len() < BATCH && next < order.len() {
            take_component(order[next], &mut batch);
            next += 1;
        }
        if batch.is_empty() {
            break;
        }
        // Each group's file is handed to its check, and let go of with it.
        let work: Vec<(usize, Option<Arc<SourceFile>>)> = batch
            .iter()
            .map(|&i| (i, i.checked_sub(split).and_then(|g| files[g].take())))
            .collect();
        let checked: Vec<(usize, Checked)> = work
            .into_par_iter()
            .map(|(i, file)| {
                let entry = &entries[i];
                let c = if i < split {
                    component(i, entry)
                } else {
                    group(i, entry, &dead, file)
                };
                (i, c)
            })
            .collect();
        for (i, c) in checked {
            for &(_, to) in &c.brings {
                if let (t, 0) = entry_of(to)
                    && t < split
                    && !scheduled[t]
                {
                    brought.push_back(t);
                }
            }
            if i < split {
                dead.extend(c.dead.clone());
                for &g in &groups_of[i] {
                    waiting[g - split] -= 1;
                    if waiting[g - split] == 0 {
                        ready.push_back(g);
                    }
                }
            }
            take(c);
        }
        if registry.cached() > KEEP + registry.cached_of(Kind::Service).min(room) {
            // Kept: what the next batches start with. The components this batch checked
            // (the options of the groups now ready among them) and those it brought in.
            let mut keep: HashSet<(Kind, &str)> = HashSet::default();
            for &i in batch.iter().filter(|&&i| i < split).chain(&brought) {
                let (category, name) = &entries[i];
                keep.insert((category.kind(), *name));
            }
            // And the services, up to a bound (see `SERVICE_BYTES`). Looking through them
            // all took a third of this thread's time at 100k, so they are looked through
            // only when there may be more than fit.
            let kinds: &[Kind] = if registry.cached_of(Kind::Service) > room {
                &[Kind::Library, Kind::Service]
            } else {
                &[Kind::Library]
            };
            let (kept, bytes) = (Cell::new(0), Cell::new(0));
            let forgotten = registry.forget_except(kinds, |kind, name, c| {
                if keep.contains(&(kind, name)) {
                    return true;
                }
                let Some(c) = c.filter(|_| kind == Kind::Service) else {
                    return false;
                };
                let more = bytes.get() + service_bytes(c);
                if more > SERVICE_BYTES {
                    return false;
                }
                bytes.set(more);
                kept.set(kept.get() + 1);
                true
            });
            if kinds.contains(&Kind::Service) {
                // How many services fit, at the size of those kept (none kept: look
                // through them again next time).
                room = (kept.get() * SERVICE_BYTES)
                    .checked_div(bytes.get())
                    .unwrap_or(0);
            }
            // The rest is freed on the pool while the next batch runs, not on this
            // thread, which the workers would wait for.
            rayon::spawn(move || drop(forgotten));
        }
    }
}
