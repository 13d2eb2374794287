//! The IoC types and the `types` argument that selects them.

/// One kind of indicator, named as msticpy names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum IocKind {
    Ipv4,
    Ipv6,
    Dns,
    Url,
    Email,
    Md5,
    Sha1,
    Sha256,
    WindowsPath,
    LinuxPath,
}

impl IocKind {
    /// Every kind, in the order error messages list them.
    pub(crate) const ALL: [IocKind; 10] = [
        IocKind::Ipv4,
        IocKind::Ipv6,
        IocKind::Dns,
        IocKind::Url,
        IocKind::Email,
        IocKind::Md5,
        IocKind::Sha1,
        IocKind::Sha256,
        IocKind::WindowsPath,
        IocKind::LinuxPath,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            IocKind::Ipv4 => "ipv4",
            IocKind::Ipv6 => "ipv6",
            IocKind::Dns => "dns",
            IocKind::Url => "url",
            IocKind::Email => "email",
            IocKind::Md5 => "md5_hash",
            IocKind::Sha1 => "sha1_hash",
            IocKind::Sha256 => "sha256_hash",
            IocKind::WindowsPath => "windows_path",
            IocKind::LinuxPath => "linux_path",
        }
    }

    /// The kind named `name` (case-insensitive, surrounding spaces ignored).
    pub(crate) fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }

    /// The hash kind of a hex string of `len` characters.
    pub(crate) fn hash_of_len(len: usize) -> Option<Self> {
        match len {
            32 => Some(IocKind::Md5),
            40 => Some(IocKind::Sha1),
            64 => Some(IocKind::Sha256),
            _ => None,
        }
    }
}

/// The comma-separated list of valid type names, for error messages.
pub(crate) fn valid_names() -> String {
    IocKind::ALL.map(IocKind::name).join(", ")
}

/// A set of [`IocKind`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct KindSet(u16);

impl KindSet {
    pub(crate) const ALL: KindSet = KindSet((1 << IocKind::ALL.len()) - 1);
    /// msticpy's DataFrame default: everything but the (noisy) path types.
    pub(crate) const DEFAULT: KindSet =
        KindSet(Self::ALL.0 & !(IocKind::WindowsPath.bit() | IocKind::LinuxPath.bit()));

    pub(crate) const fn only(kind: IocKind) -> Self {
        KindSet(kind.bit())
    }

    pub(crate) const fn with(self, kind: IocKind) -> Self {
        KindSet(self.0 | kind.bit())
    }

    pub(crate) const fn intersect(self, other: KindSet) -> Self {
        KindSet(self.0 & other.0)
    }

    pub(crate) fn contains(self, kind: IocKind) -> bool {
        self.0 & kind.bit() != 0
    }

    pub(crate) fn any(self, kinds: &[IocKind]) -> bool {
        kinds.iter().any(|k| self.contains(*k))
    }

    /// Parses `ipv4, dns,url` (case-insensitive; `all` for every type).
    /// The error names the unknown type and the valid ones.
    pub(crate) fn parse_list(list: &str) -> Result<Self, String> {
        let mut set = 0;
        for name in list.split(',') {
            let name = name.trim();
            if name.eq_ignore_ascii_case("all") {
                set |= Self::ALL.0;
                continue;
            }
            match IocKind::parse(name) {
                Some(kind) => set |= kind.bit(),
                None if name.is_empty() => {}
                None => {
                    return Err(format!(
                        "unknown IoC type '{name}'; expected one of {} (or all)",
                        valid_names()
                    ))
                }
            }
        }
        if set == 0 {
            return Err(format!(
                "no IoC type given; expected a comma-separated list of {} (or all)",
                valid_names()
            ));
        }
        Ok(KindSet(set))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists() {
        let set = KindSet::parse_list(" IPv4, dns ,url").unwrap();
        assert!(set.contains(IocKind::Ipv4) && set.contains(IocKind::Dns));
        assert!(set.contains(IocKind::Url) && !set.contains(IocKind::Email));
        assert_eq!(KindSet::parse_list("all").unwrap(), KindSet::ALL);
        assert!(!KindSet::DEFAULT.contains(IocKind::WindowsPath));
        assert!(!KindSet::DEFAULT.contains(IocKind::LinuxPath));
        assert!(KindSet::DEFAULT.contains(IocKind::Sha256));
    }

    #[test]
    fn errors_name_the_bad_type_and_the_valid_ones() {
        let err = KindSet::parse_list("ipv4,ip4").unwrap_err();
        assert_eq!(
            err,
            "unknown IoC type 'ip4'; expected one of ipv4, ipv6, dns, url, email, md5_hash, \
             sha1_hash, sha256_hash, windows_path, linux_path (or all)"
        );
        assert!(KindSet::parse_list(" , ")
            .unwrap_err()
            .starts_with("no IoC type given"));
    }
}
