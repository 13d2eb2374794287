//! The hunt library: the `.sql` files of `sql/`, embedded at build time.
//!
//! Each hunt opens with a comment block: its title on the first line, then
//! what it hunts, its ATT&CK technique (`ATT&CK: T1059.001`) and the tables
//! it needs (`Tables: process_events`).

/// One hunt of the library.
#[derive(Debug, Clone, Copy)]
pub struct Hunt {
    /// File name without `.sql`; what `\hunt NAME` takes.
    pub name: &'static str,
    /// The whole file.
    pub sql: &'static str,
}

const HUNTS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/hunts.rs"));

/// Every hunt, sorted by name.
pub fn all() -> Vec<Hunt> {
    HUNTS
        .iter()
        .map(|&(name, sql)| Hunt { name, sql })
        .collect()
}

/// The hunt called `name`, if any.
pub fn find(name: &str) -> Option<Hunt> {
    all().into_iter().find(|h| h.name == name)
}

impl Hunt {
    /// The leading comment lines, without `--`.
    pub fn header(&self) -> Vec<&'static str> {
        self.sql
            .lines()
            .map(str::trim)
            .take_while(|l| l.starts_with("--"))
            .map(|l| l.trim_start_matches('-').trim())
            .collect()
    }

    /// The first line of the header.
    pub fn title(&self) -> &'static str {
        self.header().first().copied().unwrap_or("")
    }

    /// The value of a `Key: value` header line, e.g. `field("ATT&CK")`.
    pub fn field(&self, key: &str) -> Option<&'static str> {
        self.header().into_iter().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hunt_documents_what_it_hunts_its_technique_and_its_tables() {
        let hunts = all();
        assert!(
            hunts.len() >= 4,
            "expected the hunt library, found {}",
            hunts.len()
        );
        for hunt in hunts {
            assert!(!hunt.title().is_empty(), "{} has no title", hunt.name);
            let attack = hunt.field("ATT&CK").unwrap_or_default();
            assert!(
                attack.starts_with('T'),
                "{}: ATT&CK line missing",
                hunt.name
            );
            assert!(
                hunt.field("Tables").is_some(),
                "{}: Tables line missing",
                hunt.name
            );
        }
    }
}
