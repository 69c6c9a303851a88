//! The value index: the distinct values of a source's name-like text columns
//! (artists, album titles, cities, customers), so that a question's words can
//! be linked to a value that sampling never sees: "albums by Jimi Hendrix" ->
//! `Artist.Name = 'Jimi Hendrix'`.
//!
//! Matching is exact after folding, never fuzzy. Both sides go through
//! [`value_key`]: case folded, accents stripped ([`fold`]), then the maximal
//! runs of letters and digits joined by one space. "AC/DC" and "ac dc" share
//! the key `ac dc`, "São Paulo" and "SAO PAULO" share `sao paulo`; "Jimi
//! Hendrx" shares nothing with "Jimi Hendrix". One key may stand for several
//! values (the same name in two columns, or spelled in two cases); a lookup
//! returns every one, with its table and column, and the exact value as
//! stored, which is what SQL must compare with.
//!
//! What is indexed ([`ValueIndexBuilder`]): values of at most
//! [`MAX_VALUE_CHARS`] characters and [`MAX_VALUE_WORDS`] words whose key has
//! a letter, that are neither an email address nor a URL; a column whose values
//! average more than [`MAX_MEAN_VALUE_CHARS`] characters holds free text and is
//! left out. The index holds at most `limit` values; a column that does not fit
//! in what is left is left out whole (never cut at an arbitrary value), so for
//! every indexed column the index knows all of its values. Which columns are
//! read, and in which order, is decided by introspection
//! (`introspect::value_index`).
//!
//! The structure is an FST map (the `fst` crate) from each key to the offset
//! of its values in one byte buffer (column position and exact value, per
//! value), so shared prefixes and suffixes of keys are stored once, a lookup
//! is one walk down the FST, and [`ValueIndex::find_mentions`] walks a
//! question's words without trying runs that no key continues. Building sorts
//! every (key, value, column) once and writes the FST in one pass. It is
//! serialized as the FST bytes and the value buffer behind a small header
//! ([`ValueIndex::to_bytes`]).
//!
//! Files: this one holds keys, lookups and serialization; `build` the
//! builder.

use std::fmt;
use std::ops::Range;

use fst::Map;
use fst::raw::Node;

/// Values indexed per source unless `sources.<name>.value_index_limit` says otherwise.
pub const DEFAULT_VALUE_INDEX_LIMIT: usize = 200_000;
/// The largest `value_index_limit` accepted: about 1 GiB of memory while building.
pub const MAX_VALUE_INDEX_LIMIT: usize = 10_000_000;
/// Longest value indexed, in characters; longer ones are not names.
pub const MAX_VALUE_CHARS: usize = 100;
/// Most words (of its key) in a value indexed; bounds the n-grams a linker tries.
pub const MAX_VALUE_WORDS: usize = 12;
/// A column whose non-empty values average more characters than this holds free text.
pub const MAX_MEAN_VALUE_CHARS: usize = 60;

/// Marks the serialized form; the byte after it is the format version.
const MAGIC: &[u8; 4] = b"SQVI";
const FORMAT_VERSION: u8 = 2;
/// Keys per FST shard at least: a smaller index is one FST, a larger one is
/// built as up to [`MAX_SHARDS`] FSTs over consecutive key ranges, in parallel.
const MIN_SHARD_KEYS: usize = 250_000;
const MAX_SHARDS: usize = 4;

/// Folds `text` for comparison: compatibility decomposition, combining accents
/// dropped, lower case, and the few Latin letters that do not decompose
/// spelled out (`ß` -> `ss`, `æ` -> `ae`, `ø` -> `o`, `ł` -> `l`...).
/// Punctuation and spacing are kept; [`value_key`] removes them.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    if text.is_ascii() {
        out.extend(text.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        text.chars().for_each(|c| fold_char(c, &mut |folded| out.push(folded)));
    }
    out
}

/// The key a value is indexed and looked up under: [`fold`], then the maximal
/// runs of letters and digits joined by one space ("AC/DC" -> `ac dc`,
/// " Guns N' Roses " -> `guns n roses`).
pub fn value_key(text: &str) -> String {
    let mut key = Vec::with_capacity(text.len());
    write_key(text, &mut key);
    String::from_utf8(key).expect("keys are written from chars")
}

/// What [`write_key`] wrote.
struct KeyShape {
    words: usize,
    has_letter: bool,
}

/// Appends `value_key(text)` to `out` (UTF-8), without an allocation of its own.
fn write_key(text: &str, out: &mut Vec<u8>) -> KeyShape {
    let start = out.len();
    let mut shape = KeyShape { words: 0, has_letter: false };
    let mut gap = true;
    let mut push = |c: char| {
        if !c.is_alphanumeric() {
            gap = true;
            return;
        }
        if gap {
            if out.len() > start {
                out.push(b' ');
            }
            shape.words += 1;
            gap = false;
        }
        shape.has_letter |= c.is_alphabetic();
        let mut buffer = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
    };
    if text.is_ascii() {
        text.bytes().for_each(|b| push(char::from(b.to_ascii_lowercase())));
    } else {
        text.chars().for_each(|c| fold_char(c, &mut push));
    }
    shape
}

/// One word of a text's key, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyWord {
    /// The folded word, as it appears in [`value_key`].
    pub word: String,
    /// Its byte range in the original text.
    pub span: Range<usize>,
}

/// The words of `value_key(text)`, each with its byte range in `text`.
pub fn key_words(text: &str) -> Vec<KeyWord> {
    let mut words: Vec<KeyWord> = Vec::new();
    let mut open = false;
    for (at, c) in text.char_indices() {
        let end = at + c.len_utf8();
        fold_char(c, &mut |folded| {
            if !folded.is_alphanumeric() {
                open = false;
                return;
            }
            match words.last_mut() {
                Some(word) if open => {
                    word.word.push(folded);
                    word.span.end = end;
                }
                _ => {
                    words.push(KeyWord { word: folded.to_string(), span: at..end });
                    open = true;
                }
            }
        });
    }
    words
}

/// Emits the folded form of one character (see [`fold`]).
fn fold_char(c: char, emit: &mut impl FnMut(char)) {
    if c.is_ascii() {
        return emit(c.to_ascii_lowercase());
    }
    unicode_normalization::char::decompose_compatible(c, |d| {
        if is_accent(d) {
            return;
        }
        let spelled: &str = match d {
            'ß' | 'ẞ' => "ss",
            'æ' | 'Æ' => "ae",
            'œ' | 'Œ' => "oe",
            'þ' | 'Þ' => "th",
            'ø' | 'Ø' => "o",
            'đ' | 'Đ' | 'ð' | 'Ð' => "d",
            'ł' | 'Ł' => "l",
            'ı' => "i",
            _ => {
                d.to_lowercase().filter(|l| !is_accent(*l)).for_each(&mut *emit);
                return;
            }
        };
        spelled.chars().for_each(&mut *emit);
    });
}

/// Combining diacritical marks (the accents of Latin, Greek and Cyrillic
/// letters); marks that are part of other scripts' letters are kept.
fn is_accent(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// One value found in the index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexedValue {
    pub table: String,
    pub column: String,
    /// Exactly as stored in the database.
    pub value: String,
}

/// A run of a text's words that is exactly the key of indexed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueMention {
    /// Byte range in the text.
    pub span: Range<usize>,
    /// Positions in [`key_words`] of the text.
    pub words: Range<usize>,
    /// The matched key.
    pub key: String,
    /// Every indexed value with that key.
    pub values: Vec<IndexedValue>,
}

/// A column whose values are in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedColumn {
    pub table: String,
    pub column: String,
    /// How many of its distinct values are indexed.
    pub values: usize,
}

/// Why serialized index bytes were refused.
#[derive(Debug, thiserror::Error)]
pub enum ValueIndexError {
    #[error("not a value index (bad header)")]
    BadHeader,
    #[error("value index format {0} is not {FORMAT_VERSION}")]
    Version(u8),
    #[error("value index is truncated")]
    Truncated,
    #[error("value index names a column that is not valid UTF-8")]
    BadName,
    #[error("value index FST is invalid: {0}")]
    Fst(#[from] fst::Error),
}

/// The value index of one source; see the module doc. Empty by default.
#[derive(Clone, Default)]
pub struct ValueIndex {
    /// Key -> offset of its values in `postings`, as FSTs over consecutive
    /// ranges of keys (one for all but large indexes); a key is in one of them.
    maps: Vec<Map<Vec<u8>>>,
    /// Per key: the number of values, then each value's column (a position in
    /// `columns`), byte length and bytes; integers as LEB128 varints.
    postings: Vec<u8>,
    columns: Vec<IndexedColumn>,
    values: usize,
    max_words: usize,
    limit: usize,
}

impl ValueIndex {
    /// Every indexed value whose key is `value_key(text)`: exact matches only,
    /// sorted by table, column and value.
    pub fn lookup(&self, text: &str) -> Vec<IndexedValue> {
        self.lookup_key(&value_key(text))
    }

    /// Like [`ValueIndex::lookup`], for a text that is already a key.
    pub fn lookup_key(&self, key: &str) -> Vec<IndexedValue> {
        match self.maps.iter().find_map(|map| map.get(key)) {
            Some(offset) => self.postings_at(offset),
            None => Vec::new(),
        }
    }

    /// Whether `key` is exactly the key of some indexed value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.maps.iter().any(|map| map.contains_key(key))
    }

    /// Every run of at most [`ValueIndex::max_words`] consecutive words of
    /// `text` (see [`key_words`]) that is exactly an indexed key, by start and
    /// then by length (shortest first). Overlapping mentions are all reported:
    /// choosing between "New York" and "New York City" is the linker's call.
    /// The FST is walked word by word, so a run stops growing as soon as no
    /// key continues it: the cost is about one step per byte of the text per
    /// word that starts a key.
    pub fn find_mentions(&self, text: &str) -> Vec<ValueMention> {
        if self.is_empty() {
            return Vec::new();
        }
        let words = key_words(text);
        let mut mentions = Vec::new();
        for start in 0..words.len() {
            for map in &self.maps {
                self.mentions_from(map.as_fst(), &words, start, &mut mentions);
            }
        }
        mentions.sort_by_key(|m| (m.words.start, m.words.end));
        mentions
    }

    /// The mentions that start at word `start` and whose keys are in `fst`.
    fn mentions_from(
        &self,
        fst: &fst::raw::Fst<Vec<u8>>,
        words: &[KeyWord],
        start: usize,
        mentions: &mut Vec<ValueMention>,
    ) {
        {
            let mut node = fst.root();
            let mut output = fst::raw::Output::zero();
            let mut key = String::new();
            for end in start..words.len().min(start + self.max_words) {
                if end > start {
                    key.push(' ');
                    match follow(fst, node, output, b" ") {
                        Some(next) => (node, output) = next,
                        None => break,
                    }
                }
                key.push_str(&words[end].word);
                match follow(fst, node, output, words[end].word.as_bytes()) {
                    Some(next) => (node, output) = next,
                    None => break,
                }
                if node.is_final() {
                    mentions.push(ValueMention {
                        span: words[start].span.start..words[end].span.end,
                        words: start..end + 1,
                        key: key.clone(),
                        values: self.postings_at(output.cat(node.final_output()).value()),
                    });
                }
            }
        }
    }

    /// How many values (distinct value and column pairs) the index holds.
    pub fn len(&self) -> usize {
        self.values
    }

    pub fn is_empty(&self) -> bool {
        self.values == 0
    }

    /// How many distinct keys the index holds (values that fold alike share one).
    pub fn keys(&self) -> usize {
        self.maps.iter().map(|map| map.len()).sum()
    }

    /// The most words in any key: longer runs of a question's words cannot match.
    pub fn max_words(&self) -> usize {
        self.max_words
    }

    /// The limit the index was built with (0: no index was built).
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The indexed columns, in the order they were read.
    pub fn columns(&self) -> &[IndexedColumn] {
        &self.columns
    }

    /// Bytes held: the FST and the values it points to.
    pub fn heap_bytes(&self) -> usize {
        self.maps.iter().map(|map| map.as_fst().as_bytes().len()).sum::<usize>() + self.postings.len()
    }

    /// The serialized index: a header (magic, version, limit, longest key in
    /// words, value count, the columns), the number of FSTs and each one's
    /// bytes, and the values. [`ValueIndex::from_bytes`] reads it back.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.heap_bytes() + 64 + self.columns.len() * 32);
        out.extend_from_slice(MAGIC);
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&(self.limit as u64).to_le_bytes());
        out.extend_from_slice(&(self.max_words as u32).to_le_bytes());
        out.extend_from_slice(&(self.values as u64).to_le_bytes());
        out.extend_from_slice(&(self.columns.len() as u32).to_le_bytes());
        for column in &self.columns {
            for name in [&column.table, &column.column] {
                out.extend_from_slice(&(name.len() as u32).to_le_bytes());
                out.extend_from_slice(name.as_bytes());
            }
            out.extend_from_slice(&(column.values as u64).to_le_bytes());
        }
        out.extend_from_slice(&(self.maps.len() as u32).to_le_bytes());
        let fsts = self.maps.iter().map(|map| map.as_fst().as_bytes());
        for part in fsts.chain([&self.postings[..]]) {
            out.extend_from_slice(&(part.len() as u64).to_le_bytes());
            out.extend_from_slice(part);
        }
        out
    }

    /// Reads what [`ValueIndex::to_bytes`] wrote; the FST's own checksum is
    /// verified. Damaged values are never a panic: a lookup that cannot
    /// decode them finds nothing.
    pub fn from_bytes(bytes: &[u8]) -> Result<ValueIndex, ValueIndexError> {
        let mut reader = Reader { bytes };
        if reader.take(MAGIC.len())? != MAGIC {
            return Err(ValueIndexError::BadHeader);
        }
        let version = reader.take(1)?[0];
        if version != FORMAT_VERSION {
            return Err(ValueIndexError::Version(version));
        }
        let limit = reader.u64()? as usize;
        let max_words = reader.u32()? as usize;
        let values = reader.u64()? as usize;
        let count = reader.u32()? as usize;
        let mut columns = Vec::with_capacity(count.min(bytes.len()));
        for _ in 0..count {
            let table = reader.string()?;
            let column = reader.string()?;
            let values = reader.u64()? as usize;
            columns.push(IndexedColumn { table, column, values });
        }
        let shards = reader.u32()? as usize;
        if shards > MAX_SHARDS {
            return Err(ValueIndexError::BadHeader);
        }
        let mut maps = Vec::with_capacity(shards);
        for _ in 0..shards {
            let length = reader.u64()? as usize;
            let map = Map::new(reader.take(length)?.to_vec())?;
            map.as_fst().verify()?;
            maps.push(map);
        }
        let length = reader.u64()? as usize;
        let postings = reader.take(length)?.to_vec();
        if !reader.bytes.is_empty() {
            return Err(ValueIndexError::BadHeader);
        }
        Ok(ValueIndex { maps, postings, columns, values, max_words, limit })
    }

    /// The values stored at `offset` in the postings, sorted.
    fn postings_at(&self, offset: u64) -> Vec<IndexedValue> {
        let mut found = Vec::new();
        let Some(mut rest) = usize::try_from(offset).ok().and_then(|o| self.postings.get(o..)) else {
            return found;
        };
        let count = read_varint(&mut rest).unwrap_or(0);
        for _ in 0..count {
            let Some(value) = self.read_posting(&mut rest) else { break };
            found.push(value);
        }
        found.sort();
        found
    }

    fn read_posting(&self, rest: &mut &[u8]) -> Option<IndexedValue> {
        let column = self.columns.get(usize::try_from(read_varint(rest)?).ok()?)?;
        let length = usize::try_from(read_varint(rest)?).ok()?;
        let bytes = rest.get(..length)?;
        *rest = &rest[length..];
        Some(IndexedValue {
            table: column.table.clone(),
            column: column.column.clone(),
            value: String::from_utf8(bytes.to_vec()).ok()?,
        })
    }
}

/// The node and output reached from `node` by reading `bytes`, if the FST has that path.
fn follow<'f>(
    fst: &'f fst::raw::Fst<Vec<u8>>,
    mut node: Node<'f>,
    mut output: fst::raw::Output,
    bytes: &[u8],
) -> Option<(Node<'f>, fst::raw::Output)> {
    for &b in bytes {
        let transition = node.transition(node.find_input(b)?);
        output = output.cat(transition.out);
        node = fst.node(transition.addr);
    }
    Some((node, output))
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn read_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(value);
        }
    }
    None
}

impl PartialEq for ValueIndex {
    fn eq(&self, other: &Self) -> bool {
        self.limit == other.limit
            && self.max_words == other.max_words
            && self.values == other.values
            && self.columns == other.columns
            && self.maps.len() == other.maps.len()
            && self.maps.iter().zip(&other.maps).all(|(a, b)| a.as_fst().as_bytes() == b.as_fst().as_bytes())
            && self.postings == other.postings
    }
}

impl fmt::Debug for ValueIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValueIndex")
            .field("values", &self.values)
            .field("keys", &self.keys())
            .field("columns", &self.columns.len())
            .field("max_words", &self.max_words)
            .field("limit", &self.limit)
            .field("heap_bytes", &self.heap_bytes())
            .finish()
    }
}

/// A cursor over serialized bytes.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ValueIndexError> {
        if n > self.bytes.len() {
            return Err(ValueIndexError::Truncated);
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, ValueIndexError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Result<u64, ValueIndexError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    fn string(&mut self) -> Result<String, ValueIndexError> {
        let length = self.u32()? as usize;
        String::from_utf8(self.take(length)?.to_vec()).map_err(|_| ValueIndexError::BadName)
    }
}

mod build;
#[cfg(test)]
mod tests;

pub use build::{ColumnOutcome, ValueIndexBuilder};
