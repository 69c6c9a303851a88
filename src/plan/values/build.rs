//! Building a [`ValueIndex`] column by column: which values and columns are
//! kept (names, not free text, contact details or columns that do not fit
//! whole), repeats dropped by fingerprint, then the keys sorted once and the
//! FST written in one pass, in up to [`MAX_SHARDS`] shards on as many threads.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use fst::{Map, MapBuilder};

use super::*;

/// What became of one column offered to a [`ValueIndexBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnOutcome {
    /// This many of its values are in the index.
    Indexed(usize),
    /// It has more distinct values than the index had room for: left out whole.
    TooMany,
    /// Its values average more than [`MAX_MEAN_VALUE_CHARS`] characters: left out.
    FreeText,
    /// None of its values looks like a name.
    Empty,
}

/// The column being read.
struct OpenColumn {
    table: String,
    column: String,
    /// Values it may offer before it stops fitting.
    room: usize,
    /// Distinct values offered, whether indexed or not.
    offered: usize,
    /// Fingerprints of the values offered, to ignore repeats (readers need not ask for DISTINCT).
    seen: HashSet<u64, BuildHasherDefault<Prehashed>>,
    offered_chars: usize,
    first_entry: usize,
    arena_start: usize,
    max_words: usize,
}

/// Builds a [`ValueIndex`] column by column: [`ValueIndexBuilder::begin_column`],
/// one [`ValueIndexBuilder::offer`] per distinct value, then
/// [`ValueIndexBuilder::end_column`], which keeps the column or drops it whole.
pub struct ValueIndexBuilder {
    limit: usize,
    /// Every entry's FST key, back to back.
    arena: Vec<u8>,
    /// Each entry as `arena offset << 16 | length`.
    entries: Vec<u64>,
    columns: Vec<IndexedColumn>,
    max_words: usize,
    open: Option<OpenColumn>,
}

/// A hasher for keys that are already fingerprints: it passes them through.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = fingerprint(bytes);
    }

    fn write_u64(&mut self, fingerprint: u64) {
        self.0 = fingerprint;
    }
}

/// A 64-bit fingerprint of a value (FNV-1a, then a final mix so every bit
/// depends on every byte): a million values collide with a chance of about
/// one in 10^7, which would only leave one value out of the index.
fn fingerprint(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

impl ValueIndexBuilder {
    /// A builder that will hold at most `limit` values.
    pub fn new(limit: usize) -> Self {
        ValueIndexBuilder {
            limit,
            arena: Vec::new(),
            entries: Vec::new(),
            columns: Vec::new(),
            max_words: 0,
            open: None,
        }
    }

    /// Values that still fit: a column offering more than this is left out.
    pub fn room(&self) -> usize {
        self.limit - self.entries.len()
    }

    /// Starts a column; a column still open is ended first.
    pub fn begin_column(&mut self, table: &str, column: &str) {
        if self.open.is_some() {
            self.end_column();
        }
        self.open = Some(OpenColumn {
            table: table.to_string(),
            column: column.to_string(),
            room: self.room(),
            offered: 0,
            seen: HashSet::default(),
            offered_chars: 0,
            first_entry: self.entries.len(),
            arena_start: self.arena.len(),
            max_words: 0,
        });
    }

    /// Offers one value of the open column; returns false once the column has
    /// offered more distinct values than fit (the caller may stop reading: the
    /// column will be left out). A value offered again is ignored. Every
    /// distinct value counts against the room, whether it looks like a name or
    /// not, so that a reader that asks the database for `room() + 1` distinct
    /// values knows the column is complete when fewer come back.
    pub fn offer(&mut self, value: &str) -> bool {
        let Some(open) = self.open.as_mut() else { return false };
        if !open.seen.insert(fingerprint(value.as_bytes())) {
            return open.offered <= open.room;
        }
        open.offered += 1;
        if open.offered > open.room {
            return false;
        }
        let chars = if value.is_ascii() { value.len() } else { value.chars().count() };
        open.offered_chars += chars;
        if chars > MAX_VALUE_CHARS || value.contains('\0') || looks_like_contact(value) {
            return true;
        }
        let Ok(index) = u32::try_from(self.columns.len()) else { return false };
        let start = self.arena.len();
        let shape = write_key(value, &mut self.arena);
        if shape.words == 0 || shape.words > MAX_VALUE_WORDS || !shape.has_letter {
            self.arena.truncate(start);
            return true;
        }
        open.max_words = open.max_words.max(shape.words);
        self.arena.push(0);
        self.arena.extend_from_slice(value.as_bytes());
        self.arena.push(0);
        self.arena.extend_from_slice(&index.to_be_bytes());
        let length = self.arena.len() - start;
        self.entries.push((start as u64) << 16 | length as u64);
        true
    }

    /// Ends the open column: it is kept when it fit and looks like names.
    pub fn end_column(&mut self) -> ColumnOutcome {
        let Some(open) = self.open.take() else { return ColumnOutcome::Empty };
        let kept = self.entries.len() - open.first_entry;
        let outcome = if open.offered > open.room {
            ColumnOutcome::TooMany
        } else if open.offered > 0 && open.offered_chars / open.offered > MAX_MEAN_VALUE_CHARS {
            ColumnOutcome::FreeText
        } else if kept == 0 {
            ColumnOutcome::Empty
        } else {
            ColumnOutcome::Indexed(kept)
        };
        if let ColumnOutcome::Indexed(values) = outcome {
            self.max_words = self.max_words.max(open.max_words);
            self.columns.push(IndexedColumn { table: open.table, column: open.column, values });
        } else {
            self.entries.truncate(open.first_entry);
            self.arena.truncate(open.arena_start);
        }
        outcome
    }

    /// Forgets what the open column offered so far, to read it again from the start.
    pub fn restart_column(&mut self) {
        if let Some(open) = self.open.as_mut() {
            self.entries.truncate(open.first_entry);
            self.arena.truncate(open.arena_start);
            open.room = self.limit - self.entries.len();
            open.offered = 0;
            open.offered_chars = 0;
            open.max_words = 0;
            open.seen.clear();
        }
    }

    /// Drops the open column and whatever it offered (its values could not all be read).
    pub fn abandon_column(&mut self) {
        if let Some(open) = self.open.take() {
            self.entries.truncate(open.first_entry);
            self.arena.truncate(open.arena_start);
        }
    }

    /// Values indexed so far, in the columns kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sorts the entries and builds the FST.
    pub fn finish(self) -> ValueIndex {
        self.finish_in_shards_of(MIN_SHARD_KEYS)
    }

    /// [`ValueIndexBuilder::finish`], with FST shards of at least `min_shard_keys` keys.
    pub(super) fn finish_in_shards_of(mut self, min_shard_keys: usize) -> ValueIndex {
        if self.open.is_some() {
            self.end_column();
        }
        let arena = &self.arena;
        let entry = |e: u64| &arena[(e >> 16) as usize..((e >> 16) + (e & 0xFFFF)) as usize];
        // Sorted by (first 8 bytes as a number, whole key): most comparisons end
        // at the number, without a trip into the arena.
        let mut sorted: Vec<(u64, u64)> = self
            .entries
            .iter()
            .map(|&e| {
                let mut prefix = [0u8; 8];
                let key = entry(e);
                let n = key.len().min(8);
                prefix[..n].copy_from_slice(&key[..n]);
                (u64::from_be_bytes(prefix), e)
            })
            .collect();
        self.entries = Vec::new();
        sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| entry(a.1).cmp(entry(b.1))));
        sorted.dedup_by(|a, b| a.0 == b.0 && entry(a.1) == entry(b.1));
        // Entries sort by key first (a key has no NUL), so each key's values are consecutive.
        let mut keys: Vec<(&[u8], u64)> = Vec::new();
        let mut postings = Vec::new();
        let mut group_start = 0;
        while group_start < sorted.len() {
            let first = entry(sorted[group_start].1);
            let key = &first[..first.iter().position(|&b| b == 0).expect("a NUL after the key")];
            let group_end = sorted[group_start..]
                .iter()
                .position(|&(_, e)| !entry(e).starts_with(key) || entry(e)[key.len()] != 0)
                .map_or(sorted.len(), |n| group_start + n);
            keys.push((key, postings.len() as u64));
            write_varint(&mut postings, (group_end - group_start) as u64);
            for &(_, e) in &sorted[group_start..group_end] {
                let rest = &entry(e)[key.len() + 1..];
                let (value, column) = rest.split_at(rest.len() - 5);
                write_varint(&mut postings, u64::from(u32::from_be_bytes(column[1..].try_into().expect("4 bytes"))));
                write_varint(&mut postings, value.len() as u64);
                postings.extend_from_slice(value);
            }
            group_start = group_end;
        }
        let maps = build_maps(&keys, min_shard_keys);
        ValueIndex {
            maps,
            postings,
            columns: self.columns,
            values: sorted.len(),
            max_words: self.max_words,
            limit: self.limit,
        }
    }
}

/// FSTs over consecutive ranges of sorted, distinct `keys` (each with its
/// postings offset), built on as many threads as there are ranges: one FST
/// for fewer than 2 x `min_shard_keys` keys, at most [`MAX_SHARDS`], and
/// no more than the machine has cores.
fn build_maps(keys: &[(&[u8], u64)], min_shard_keys: usize) -> Vec<Map<Vec<u8>>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let shards = (keys.len() / min_shard_keys.max(1)).clamp(1, MAX_SHARDS.min(cores));
    let build = |range: &[(&[u8], u64)]| {
        let mut builder = MapBuilder::memory();
        for (key, offset) in range {
            builder.insert(key, *offset).expect("sorted, distinct keys into memory");
        }
        builder.into_map()
    };
    if shards == 1 {
        return vec![build(keys)];
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            keys.chunks(keys.len().div_ceil(shards)).map(|range| scope.spawn(move || build(range))).collect();
        handles.into_iter().map(|handle| handle.join().expect("an FST builder thread")).collect()
    })
}

/// An email address or a URL: contact details, never a name to filter on.
fn looks_like_contact(value: &str) -> bool {
    value.contains("://")
        || value.starts_with("www.")
        || value.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
}
