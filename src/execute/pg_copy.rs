//! A reader for PostgreSQL's binary COPY format (`COPY ... TO STDOUT (FORMAT binary)`),
//! the fast path the stream uses to fetch PostgreSQL rows.
//!
//! ```text
//!  header:  "PGCOPY\n\xff\r\n\0"  flags:int32  extension length:int32  extension bytes
//!  tuple:   field count:int16 (-1 = trailer)  then per field  length:int32 (-1 = NULL)  value bytes
//! ```
//!
//! Values are in each type's binary send format, the same bytes a prepared
//! query returns, so [`super::types::PgType::decode`] reads them unchanged.
//!
//! Invariants:
//! * Chunks may split the stream anywhere (inside the header, a length, a value):
//!   [`BinaryCopyReader::push`] appends, [`BinaryCopyReader::next_tuple`] hands out
//!   only complete tuples and keeps a partial one until the rest arrives. The
//!   buffer therefore holds at most one partial tuple plus the newest chunk.
//! * Every tuple has exactly the field count given at construction; anything that
//!   does not follow the format (wrong signature, a critical header flag, a bad
//!   length, data after the trailer) is a [`CopyFormatError`], never a guess.
//! * [`BinaryCopyReader::is_finished`] is true only once the trailer has been read,
//!   so a stream that ends early is told apart from a complete one.

/// The 11-byte signature that opens every binary COPY stream.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// Signature, flags and header-extension length.
const FIXED_HEADER_LEN: usize = SIGNATURE.len() + 4 + 4;
/// Header flag bit 16: OIDs are included in the data (not supported, and never
/// produced by PostgreSQL 12 and later). Bits 17-31 are reserved for format
/// changes a reader must refuse; bits 0-15 may be ignored.
const CRITICAL_FLAGS: u32 = 0xffff_0000;

/// The stream does not follow the binary COPY format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed binary COPY data: {0}")]
pub struct CopyFormatError(String);

/// Where the reader is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Header,
    Tuples,
    Finished,
}

/// Where one field's value lies in the buffer; `None` for NULL.
type FieldSpan = Option<(usize, usize)>;

/// Turns chunks of a binary COPY stream into complete tuples.
pub struct BinaryCopyReader {
    fields: usize,
    buffer: Vec<u8>,
    /// Bytes of `buffer` already handed out.
    consumed: usize,
    position: Position,
    /// The spans of the tuple last returned, reused from tuple to tuple.
    spans: Vec<FieldSpan>,
}

/// One complete tuple, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct CopyTuple<'a> {
    buffer: &'a [u8],
    spans: &'a [FieldSpan],
}

impl<'a> CopyTuple<'a> {
    /// The raw value of field `index` in its binary send format, `None` for NULL.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&'a [u8]> {
        self.spans[index].map(|(start, end)| &self.buffer[start..end])
    }
}

impl BinaryCopyReader {
    /// A reader for tuples of exactly `fields` fields.
    pub fn new(fields: usize) -> BinaryCopyReader {
        BinaryCopyReader {
            fields,
            buffer: Vec::new(),
            consumed: 0,
            position: Position::Header,
            spans: Vec::with_capacity(fields),
        }
    }

    /// Appends the next chunk of the stream, first dropping what was handed out.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.consumed == self.buffer.len() {
            self.buffer.clear();
        } else if self.consumed > 0 {
            self.buffer.drain(..self.consumed);
        }
        self.consumed = 0;
        self.buffer.extend_from_slice(chunk);
    }

    /// Bytes held that were not handed out yet (a partial tuple, or tuples not read yet).
    pub fn buffered(&self) -> usize {
        self.buffer.len() - self.consumed
    }

    /// Whether the trailer has been read: the stream is complete.
    pub fn is_finished(&self) -> bool {
        self.position == Position::Finished
    }

    /// The next complete tuple, or `None` when more data is needed or the
    /// trailer has been read (see [`Self::is_finished`]).
    pub fn next_tuple(&mut self) -> Result<Option<CopyTuple<'_>>, CopyFormatError> {
        if self.position == Position::Header && !self.read_header()? {
            return Ok(None);
        }
        if self.position == Position::Finished {
            return match self.buffer.len() - self.consumed {
                0 => Ok(None),
                extra => Err(CopyFormatError(format!("{extra} bytes after the trailer"))),
            };
        }
        let mut at = self.consumed;
        let Some(count) = read_i16(&self.buffer, &mut at) else { return Ok(None) };
        if count == -1 {
            self.consumed = at;
            self.position = Position::Finished;
            return self.next_tuple();
        }
        if usize::try_from(count).ok() != Some(self.fields) {
            return Err(CopyFormatError(format!("a tuple has {count} fields, the result has {}", self.fields)));
        }
        self.spans.clear();
        for _ in 0..self.fields {
            let Some(length) = read_i32(&self.buffer, &mut at) else { return Ok(None) };
            let span = match length {
                -1 => None,
                length if length >= 0 => {
                    let end = at + length as usize;
                    if end > self.buffer.len() {
                        return Ok(None);
                    }
                    let span = (at, end);
                    at = end;
                    Some(span)
                }
                length => return Err(CopyFormatError(format!("invalid field length {length}"))),
            };
            self.spans.push(span);
        }
        self.consumed = at;
        Ok(Some(CopyTuple { buffer: &self.buffer, spans: &self.spans }))
    }

    /// Reads the header once it is complete; `false` when more data is needed.
    fn read_header(&mut self) -> Result<bool, CopyFormatError> {
        let available = &self.buffer[self.consumed..];
        if available.len() < FIXED_HEADER_LEN {
            if !SIGNATURE.starts_with(&available[..available.len().min(SIGNATURE.len())]) {
                return Err(CopyFormatError("the stream does not start with the PGCOPY signature".into()));
            }
            return Ok(false);
        }
        if &available[..SIGNATURE.len()] != SIGNATURE {
            return Err(CopyFormatError("the stream does not start with the PGCOPY signature".into()));
        }
        let mut at = self.consumed + SIGNATURE.len();
        let flags = read_i32(&self.buffer, &mut at).expect("the fixed header is complete") as u32;
        if flags & CRITICAL_FLAGS != 0 {
            return Err(CopyFormatError(format!("unsupported header flags 0x{flags:08x}")));
        }
        let extension = read_i32(&self.buffer, &mut at).expect("the fixed header is complete");
        let extension = usize::try_from(extension)
            .map_err(|_| CopyFormatError(format!("invalid header extension length {extension}")))?;
        if self.buffer.len() - at < extension {
            return Ok(false);
        }
        self.consumed = at + extension;
        self.position = Position::Tuples;
        Ok(true)
    }
}

/// A big-endian i16 at `*at`, advancing past it; `None` when the buffer ends first.
#[inline]
fn read_i16(buffer: &[u8], at: &mut usize) -> Option<i16> {
    let bytes = buffer.get(*at..*at + 2)?;
    *at += 2;
    Some(i16::from_be_bytes([bytes[0], bytes[1]]))
}

/// A big-endian i32 at `*at`, advancing past it; `None` when the buffer ends first.
#[inline]
fn read_i32(buffer: &[u8], at: &mut usize) -> Option<i32> {
    let bytes = buffer.get(*at..*at + 4)?;
    *at += 4;
    Some(i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Tuple = Vec<Option<Vec<u8>>>;

    /// A binary COPY stream of `tuples`, with a header extension of `extension` bytes.
    fn encode(tuples: &[Tuple], extension: usize) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend(0u32.to_be_bytes());
        out.extend((extension as u32).to_be_bytes());
        out.extend(std::iter::repeat_n(0xab, extension));
        for tuple in tuples {
            out.extend((tuple.len() as i16).to_be_bytes());
            for field in tuple {
                match field {
                    Some(value) => {
                        out.extend((value.len() as i32).to_be_bytes());
                        out.extend(value);
                    }
                    None => out.extend((-1i32).to_be_bytes()),
                }
            }
        }
        out.extend((-1i16).to_be_bytes());
        out
    }

    /// Feeds `chunks` in order and collects every tuple; also says whether the trailer was read.
    fn read<'c>(
        fields: usize,
        chunks: impl IntoIterator<Item = &'c [u8]>,
    ) -> Result<(Vec<Tuple>, bool), CopyFormatError> {
        let mut reader = BinaryCopyReader::new(fields);
        let mut tuples = Vec::new();
        for chunk in chunks {
            reader.push(chunk);
            while let Some(tuple) = reader.next_tuple()? {
                tuples.push((0..fields).map(|i| tuple.get(i).map(<[u8]>::to_vec)).collect());
            }
        }
        Ok((tuples, reader.is_finished()))
    }

    fn sample() -> Vec<Tuple> {
        vec![
            vec![Some(42i64.to_be_bytes().to_vec()), Some(b"hello".to_vec()), None],
            vec![None, Some(Vec::new()), Some(vec![1])],
            vec![Some((-1i64).to_be_bytes().to_vec()), Some("héllo wörld".as_bytes().to_vec()), Some(vec![0])],
        ]
    }

    #[test]
    fn whole_stream_in_one_chunk() {
        let stream = encode(&sample(), 0);
        assert_eq!(read(3, [stream.as_slice()]), Ok((sample(), true)));
    }

    #[test]
    fn a_stream_split_at_every_offset_reads_the_same() {
        for extension in [0, 5] {
            let stream = encode(&sample(), extension);
            for split in 0..=stream.len() {
                let (head, tail) = stream.split_at(split);
                assert_eq!(read(3, [head, tail]), Ok((sample(), true)), "extension {extension}, split at {split}");
            }
            for split in 0..=stream.len() {
                for second in split..=stream.len() {
                    let chunks = [&stream[..split], &stream[split..second], &stream[second..]];
                    assert_eq!(read(3, chunks), Ok((sample(), true)), "split at {split} and {second}");
                }
            }
            let bytes = stream.chunks(1);
            assert_eq!(read(3, bytes), Ok((sample(), true)), "one byte at a time");
        }
    }

    #[test]
    fn a_stream_that_stops_early_is_not_finished() {
        let stream = encode(&sample(), 0);
        for end in 0..stream.len() {
            let (_, finished) = read(3, [&stream[..end]]).unwrap();
            assert!(!finished, "cut at {end}");
        }
        let (tuples, finished) = read(3, [&encode(&[], 0)[..]]).unwrap();
        assert_eq!((tuples.len(), finished), (0, true), "zero tuples");
    }

    #[test]
    fn malformed_streams_are_errors() {
        let stream = encode(&sample(), 0);
        let error = |chunks: &[&[u8]], fields: usize| read(fields, chunks.iter().copied()).unwrap_err().to_string();

        assert!(error(&[b"PGCOPX"], 3).contains("signature"));
        assert!(error(&[b"COPY"], 3).contains("signature"));
        assert!(error(&[&stream], 2).contains("3 fields"), "field count differs from the result's");

        let mut flags = stream.clone();
        flags[11] = 0x01;
        assert!(error(&[&flags], 3).contains("flags"));

        let mut length = stream.clone();
        let first_length = FIXED_HEADER_LEN + 2;
        length[first_length..first_length + 4].copy_from_slice(&(-2i32).to_be_bytes());
        assert!(error(&[&length], 3).contains("length -2"));

        let mut extra = stream.clone();
        extra.push(0);
        assert!(error(&[&extra], 3).contains("after the trailer"));
    }
}
