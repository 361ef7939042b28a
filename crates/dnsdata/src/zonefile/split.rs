//! Reading a large master file with two threads: the second starts at a guessed entry boundary near the
//! middle, in the state (`$ORIGIN`, `$TTL`) found by searching backwards; the guess is checked when both are
//! done, and a wrong one falls back to reading on, so the result is always that of one sequential read.

use super::ZoneFileError;
use super::lexer::{Token, ttl_of};
use super::read_records;
use super::reader::{Reader, Scratch};
use crate::record::{Records, Source, Zone};

/// Files at least this large are read by two threads (see [`super::parse_bytes`]).
const PARALLEL_MIN: usize = 4 << 20;

/// Reads a whole master file, with two threads when it is large.
pub(super) fn parse(text: &[u8], path: &str, source: Source) -> Result<Zone, ZoneFileError> {
    let split_from = (text.len() >= PARALLEL_MIN).then_some(text.len() / 2);
    parse_split(text, path, split_from, source)
}

/// [`parse`], with the second reader starting at the first record line after `split_from`, if any.
pub(super) fn parse_split(
    text: &[u8],
    path: &str,
    split_from: Option<usize>,
    source: Source,
) -> Result<Zone, ZoneFileError> {
    let mut records = Records::with_capacity(text.len() / 24, text.len());
    let mut reader = Reader::new(text, path);
    let mut scratch = Scratch::default();
    // The first record, the SOA, gives the apex.
    let mut apex: Option<Vec<u8>> = None;
    read_records(
        &mut reader,
        &mut scratch,
        &mut records,
        &mut apex,
        Some(1),
        usize::MAX,
    )?;
    let Some(apex) = apex else {
        return Err(ZoneFileError::Empty {
            path: path.to_owned(),
        });
    };
    let split = split_from.and_then(|from| split_point(text, from.max(reader.pos)));
    let second = split.and_then(|at| speculate(text, path, at));
    let mut known_apex = Some(apex.clone());
    let mut finished = false;
    if let Some(mut b) = second {
        let (start, origin_guess, ttl_guess) = (b.pos, b.origin.clone(), b.default_ttl);
        let (mine, (theirs, needed_earlier_ttl)) = std::thread::scope(|scope| {
            let mut apex_b = Some(apex.clone());
            let handle = scope.spawn(move || {
                let rest = text.len() - b.pos;
                let mut recs = Records::with_capacity(rest / 24, rest);
                let mut scratch = Scratch::default();
                let result = read_records(
                    &mut b,
                    &mut scratch,
                    &mut recs,
                    &mut apex_b,
                    None,
                    usize::MAX,
                );
                (result.map(|()| recs), b.needed_earlier_ttl)
            });
            let mine = read_records(
                &mut reader,
                &mut scratch,
                &mut records,
                &mut known_apex,
                None,
                start,
            );
            // A panic in the other reader is a bug of ours; it is raised here, on the caller's thread.
            let theirs = handle
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (mine, theirs)
        });
        mine?;
        let guessed_right = reader.pos == start
            && reader.origin == origin_guess
            && reader.default_ttl == ttl_guess
            && !needed_earlier_ttl;
        if guessed_right {
            records
                .append(&theirs?)
                .map_err(|e| ZoneFileError::Syntax {
                    path: path.to_owned(),
                    position: format!("{}:1: {e}", reader.line),
                })?;
            finished = true;
        } else {
            tracing::debug!(
                file = path,
                "parallel read: the guessed start did not hold; reading on"
            );
        }
    }
    if !finished {
        read_records(
            &mut reader,
            &mut scratch,
            &mut records,
            &mut known_apex,
            None,
            usize::MAX,
        )?;
    }
    Ok(Zone {
        apex,
        records,
        source,
    })
}

/// A line start at or after `from` that looks like the start of a record with an explicit owner.
pub(super) fn split_point(text: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    for _ in 0..1000 {
        let nl = memchr::memchr(b'\n', text.get(at..)?)? + at;
        let start = nl + 1;
        match text.get(start) {
            Some(c)
                if !matches!(
                    c,
                    b' ' | b'\t' | b'\r' | b'\n' | b';' | b'$' | b'(' | b')' | b'"'
                ) =>
            {
                return Some(start);
            }
            Some(_) => at = start,
            None => return None,
        }
    }
    None
}

/// A reader for the text from `at`, in the state the last `$ORIGIN` and `$TTL` before it would leave, if they
/// can be read on their own (an absolute origin).
pub(super) fn speculate<'t>(text: &'t [u8], path: &'t str, at: usize) -> Option<Reader<'t>> {
    let before = &text[..at];
    let directive = |word: &[u8]| -> Option<Option<Vec<Token>>> {
        // The last line of `before` that starts with `word`.
        let mut finder_end = before.len();
        loop {
            let hit = memchr::memmem::rfind(&before[..finder_end], word)?;
            if hit == 0 || before[hit - 1] == b'\n' {
                let end = memchr::memchr(b'\n', &text[hit..]).map_or(text.len(), |e| hit + e);
                let mut r = Reader::new(&text[..end], path);
                r.pos = hit;
                let mut tokens = Vec::new();
                r.tokens(&mut tokens).ok()?;
                return Some(Some(tokens));
            }
            finder_end = hit;
        }
    };
    let mut b = Reader::new(text, path);
    if let Some(Some(tokens)) = directive(b"$ORIGIN") {
        let t = tokens.get(1)?;
        if !b.word(t).ends_with(b".") {
            return None;
        }
        let mut o = Vec::new();
        b.name(t, &mut o).ok()?;
        b.origin = Some(o);
    }
    if let Some(Some(tokens)) = directive(b"$TTL") {
        b.default_ttl = Some(ttl_of(b.word(tokens.get(1)?))?);
    }
    b.pos = at;
    b.line_start = at;
    b.line = 1 + memchr::memchr_iter(b'\n', before).count();
    b.speculative = true;
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> Source {
        Source::Text("t.zone".into())
    }

    /// Every place the second reader could start gives the records (or the error) of one sequential read.
    #[test]
    fn a_split_read_equals_a_sequential_one_wherever_it_starts() {
        let texts = [
            // Plain, with $TTL.
            "$ORIGIN example.test.\n$TTL 60\n@ IN SOA ns h 1 2 3 4 5\nns A 192.0.2.1\na A 192.0.2.2\nb 30 A 192.0.2.3\n  AAAA ::1\nc CNAME a\n".to_owned(),
            // No $TTL: records without TTL take the last one given.
            "$ORIGIN example.test.\n@ 100 IN SOA ns h 1 2 3 4 5\na A 192.0.2.2\nb 7 A 192.0.2.3\nc A 192.0.2.4\nd A 192.0.2.5\n".to_owned(),
            // A relative $ORIGIN and a $TTL change in the middle.
            "$ORIGIN example.test.\n@ 100 IN SOA ns h 1 2 3 4 5\na A 192.0.2.2\n$ORIGIN sub\nb A 192.0.2.3\n$TTL 5\nc A 192.0.2.4\n$ORIGIN example.test.\nd A 192.0.2.5\n".to_owned(),
            // Entries over several lines, with parentheses, quotes and comments that look like record lines.
            "$ORIGIN example.test.\n@ 100 IN SOA ns h (\n1 2\n3 4 5 )\nt TXT ( \"x\"\ny.z A 1.2.3.4\n\"w\" )\nq TXT \"a\nb A 1.1.1.1\"\nr A 192.0.2.9 ; (\ns A 192.0.2.10\n".to_owned(),
            // An error after the middle: the same error, at the same line.
            "$ORIGIN example.test.\n@ 100 IN SOA ns h 1 2 3 4 5\na A 192.0.2.2\nb A 192.0.2.3\nc A 300.0.2.4\nd A 192.0.2.5\n".to_owned(),
        ];
        for text in &texts {
            let sequential = parse_split(text.as_bytes(), "t.zone", None, source());
            for from in 0..text.len() {
                let split = parse_split(text.as_bytes(), "t.zone", Some(from), source());
                match (&sequential, &split) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "split from {from}:\n{text}"),
                    (Err(a), Err(b)) => {
                        assert_eq!(a.to_string(), b.to_string(), "split from {from}")
                    }
                    _ => panic!("split from {from}: {sequential:?} vs {split:?}\n{text}"),
                }
            }
        }
    }
}
