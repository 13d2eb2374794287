//! The members of gzip, zip and tar archives and of raw deflate streams,
//! read under a byte budget so that a decompression bomb cannot exhaust
//! memory: no member is read past its allowance, and what is read is
//! charged to the budget of the whole value.

use std::io::{Cursor, Read};

// The `bufread` decoders read the slice in place: the `read` ones would
// allocate and fill a 32 KiB buffer for every fragment tried.
use flate2::bufread::{DeflateDecoder, MultiGzDecoder};

/// At most this many members of one archive are listed.
pub(crate) const MAX_MEMBERS: usize = 256;

/// The bytes an item, and all the items of one value together, may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub item: usize,
    pub remaining: usize,
}

impl Budget {
    /// What the next item may take.
    pub(crate) fn allowance(&self) -> usize {
        self.item.min(self.remaining)
    }

    pub(crate) fn spend(&mut self, bytes: usize) {
        self.remaining = self.remaining.saturating_sub(bytes);
    }
}

/// The kinds of container whose members are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    Gz,
    Zip,
    Tar,
    Deflate,
}

impl Container {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Container::Gz => "gz",
            Container::Zip => "zip",
            Container::Tar => "tar",
            Container::Deflate => "deflate",
        }
    }
}

/// One file out of a container.
#[derive(Debug)]
pub(crate) struct Member {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Not read to its end: the budget ran out, or the data is damaged.
    pub truncated: bool,
}

/// Reads what `reader` gives, up to the budget's allowance, and charges it.
fn read_member(reader: impl Read, budget: &mut Budget) -> Member {
    let allowance = budget.allowance();
    let mut bytes = Vec::new();
    // One byte more than allowed tells a cut from an exact fit; on an error
    // the bytes read so far are kept (Read::read_to_end keeps them).
    let failed = reader
        .take(allowance as u64 + 1)
        .read_to_end(&mut bytes)
        .is_err();
    let truncated = failed || bytes.len() > allowance;
    bytes.truncate(allowance);
    budget.spend(bytes.len());
    Member {
        name: String::new(),
        bytes,
        truncated,
    }
}

/// The members of `bytes` read as a `container`, or `None` when it is not
/// one (nothing could be read).
pub(crate) fn members(
    container: Container,
    bytes: &[u8],
    budget: &mut Budget,
) -> Option<Vec<Member>> {
    let members = match container {
        Container::Gz => gunzip(bytes, budget).into_iter().collect(),
        Container::Zip => unzip(bytes, budget),
        Container::Tar => untar(bytes, budget),
        Container::Deflate => inflate(bytes, budget).into_iter().collect(),
    };
    (!members.is_empty()).then_some(members)
}

fn gunzip(bytes: &[u8], budget: &mut Budget) -> Option<Member> {
    let mut decoder = MultiGzDecoder::new(bytes);
    let mut member = read_member(&mut decoder, budget);
    if member.bytes.is_empty() {
        return None;
    }
    // The name stored in the header (gzip -N), else msticpy's name.
    member.name = decoder
        .header()
        .and_then(|h| h.filename())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_else(|| "gzip_file".to_string());
    Some(member)
}

fn unzip(bytes: &[u8], budget: &mut Budget) -> Vec<Member> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Vec::new();
    };
    let mut members = Vec::new();
    for i in 0..archive.len().min(MAX_MEMBERS) {
        // Encrypted or unsupported entries are skipped.
        let Ok(mut file) = archive.by_index(i) else {
            continue;
        };
        if file.is_dir() || file.encrypted() {
            continue;
        }
        let name = match file.name() {
            Ok(name) => name.into_owned(),
            Err(_) => String::from_utf8_lossy(file.name_raw()).into_owned(),
        };
        let mut member = read_member(&mut file, budget);
        member.name = name;
        members.push(member);
    }
    members
}

fn untar(bytes: &[u8], budget: &mut Budget) -> Vec<Member> {
    let mut archive = tar::Archive::new(Cursor::new(bytes));
    let Ok(entries) = archive.entries() else {
        return Vec::new();
    };
    let mut members = Vec::new();
    for entry in entries.take(MAX_MEMBERS) {
        let Ok(mut entry) = entry else {
            break;
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mut member = read_member(&mut entry, budget);
        member.name = name;
        members.push(member);
    }
    members
}

/// Whether the first block header of `bytes` is one a raw deflate stream
/// can start with (RFC 1951 3.2.3): not the reserved block type 3, and for
/// a stored block, a length followed by its one's complement. Binary of
/// unknown type is tried as deflate; most of it fails here, without setting
/// up an inflater (which is what zlib would conclude from the same bytes).
fn may_be_deflate(bytes: &[u8]) -> bool {
    let Some(&first) = bytes.first() else {
        return false;
    };
    match (first >> 1) & 0b11 {
        0b11 => false,
        0b00 => match bytes.get(1..5) {
            Some(&[l0, l1, n0, n1]) => {
                u16::from_le_bytes([l0, l1]) == !u16::from_le_bytes([n0, n1])
            }
            _ => false,
        },
        _ => true,
    }
}

/// A raw deflate stream (PowerShell's `IO.Compression.DeflateStream`), when
/// the bytes are one: it decodes to its end using (nearly) all the input.
fn inflate(bytes: &[u8], budget: &mut Budget) -> Option<Member> {
    if !may_be_deflate(bytes) {
        return None;
    }
    let allowance = budget.allowance();
    let mut decoder = DeflateDecoder::new(bytes);
    // Room for a typical ratio at once, never more than the allowance.
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(allowance + 1));
    let result = (&mut decoder)
        .take(allowance as u64 + 1)
        .read_to_end(&mut out);
    // Inflating costs the budget even when the result is not used, so that
    // streams that inflate to nothing useful cannot be repeated for free.
    budget.spend(out.len().min(allowance));
    let cut = out.len() > allowance;
    let consumed = usize::try_from(decoder.total_in()).unwrap_or(usize::MAX);
    // Random bytes fail to inflate, or stop early; a stream cut at the
    // allowance is still one.
    let whole = cut || (result.is_ok() && consumed.saturating_add(4) >= bytes.len());
    if out.is_empty() || !whole {
        return None;
    }
    out.truncate(allowance);
    Some(Member {
        name: "deflate_stream".to_string(),
        bytes: out,
        truncated: cut,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{DeflateEncoder, GzEncoder};
    use flate2::{Compression, GzBuilder};
    use std::io::Write;

    #[test]
    fn the_deflate_precheck_rejects_only_what_zlib_rejects() {
        use flate2::write::DeflateEncoder;
        // Real streams of every block type pass.
        for level in [0, 1, 6, 9] {
            let mut e = DeflateEncoder::new(Vec::new(), Compression::new(level));
            e.write_all(b"Write-Output 'payload'; Write-Output 'payload'")
                .unwrap();
            let stream = e.finish().unwrap();
            assert!(may_be_deflate(&stream), "level {level}");
        }
        // Whatever the precheck rejects, zlib cannot inflate either.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut rejected = 0;
        for _ in 0..2000 {
            let bytes: Vec<u8> = (0..24)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            if !may_be_deflate(&bytes) {
                rejected += 1;
                let mut out = Vec::new();
                let inflated = DeflateDecoder::new(&bytes[..]).read_to_end(&mut out);
                assert!(inflated.is_err(), "{bytes:?} inflates to {out:?}");
            }
        }
        assert!(rejected > 400, "{rejected}");
        assert!(!may_be_deflate(&[]));
    }

    fn budget(item: usize, total: usize) -> Budget {
        Budget {
            item,
            remaining: total,
        }
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_with_and_without_a_name() {
        let mut b = budget(100, 1000);
        let m = members(Container::Gz, &gz(b"hello"), &mut b).unwrap();
        assert_eq!(
            (m[0].name.as_str(), &m[0].bytes[..], m[0].truncated),
            ("gzip_file", &b"hello"[..], false)
        );
        assert_eq!(b.remaining, 995);
        let mut named = GzBuilder::new()
            .filename("payload.ps1")
            .write(Vec::new(), Compression::default());
        named.write_all(b"x").unwrap();
        let m = members(Container::Gz, &named.finish().unwrap(), &mut b).unwrap();
        assert_eq!(m[0].name, "payload.ps1");
        assert!(members(Container::Gz, b"\x1f\x8b\x08 not gzip", &mut b).is_none());
    }

    #[test]
    fn a_bomb_stops_at_the_allowance() {
        let bomb = gz(&vec![0u8; 50 << 20]);
        assert!(bomb.len() < 100_000);
        let mut b = budget(1 << 20, 3 << 20);
        let m = members(Container::Gz, &bomb, &mut b).unwrap();
        assert_eq!(m[0].bytes.len(), 1 << 20);
        assert!(m[0].truncated);
        assert_eq!(b.remaining, 2 << 20);
        let mut empty = budget(1 << 20, 0);
        assert!(members(Container::Gz, &bomb, &mut empty).is_none());
    }

    #[test]
    fn raw_deflate() {
        let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(b"Write-Host hello from a deflate stream")
            .unwrap();
        let data = e.finish().unwrap();
        let mut b = budget(100, 1000);
        let m = members(Container::Deflate, &data, &mut b).unwrap();
        assert_eq!(m[0].bytes, b"Write-Host hello from a deflate stream");
        assert!(members(
            Container::Deflate,
            &[0x77, 0x8d, 0x5d, 0xf1, 0xc7, 0x7d],
            &mut b
        )
        .is_none());
    }

    #[test]
    fn garbage_is_no_archive() {
        let mut b = budget(100, 1000);
        for data in [&b""[..], b"PK\x03\x04junk", b"random bytes here"] {
            assert!(members(Container::Zip, data, &mut b).is_none());
            assert!(members(Container::Tar, data, &mut b).is_none());
        }
    }
}
