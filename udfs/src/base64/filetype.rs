//! File types from the first bytes: msticpy's list (which it matches on the
//! base64 text instead, and so only for one header layout per type).

/// The type of a file from its header: exe, dll or sys (PE), zip (or
/// `zip (pwd protected)`), gz, 7z, rar, pdf, msi, wim or tar.
pub(crate) fn file_type(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"MZ") {
        return Some(pe_type(bytes));
    }
    if starts(b"PK\x03\x04") {
        // General purpose flag bit 0: the entry is encrypted.
        let encrypted = bytes.get(6).is_some_and(|flags| flags & 1 == 1);
        return Some(if encrypted {
            "zip (pwd protected)"
        } else {
            "zip"
        });
    }
    if starts(b"\x1f\x8b\x08") {
        return Some("gz");
    }
    if starts(b"7z\xbc\xaf\x27\x1c") {
        return Some("7z");
    }
    if starts(b"Rar!\x1a\x07") {
        return Some("rar");
    }
    if starts(b"%PDF-") {
        return Some("pdf");
    }
    if starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return Some("msi");
    }
    if starts(b"MSWIM\0\0\0") {
        return Some("wim");
    }
    if bytes.get(257..262) == Some(b"ustar") {
        return Some("tar");
    }
    None
}

/// `dll` when the PE header says so (IMAGE_FILE_DLL), `sys` for a native
/// (driver) subsystem, `exe` otherwise — including when the header is cut
/// short, since `MZ` is there.
fn pe_type(bytes: &[u8]) -> &'static str {
    let u16_at = |i: usize| {
        bytes
            .get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |i: usize| {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let Some(pe) = u32_at(0x3c).and_then(|o| usize::try_from(o).ok()) else {
        return "exe";
    };
    if bytes.get(pe..pe.saturating_add(4)) != Some(b"PE\0\0") {
        return "exe";
    }
    let characteristics = u16_at(pe + 22).unwrap_or(0);
    // The subsystem sits 68 bytes into the optional header, in both PE32
    // and PE32+.
    let subsystem = u16_at(pe + 24 + 68).unwrap_or(0);
    if characteristics & 0x2000 != 0 {
        "dll"
    } else if subsystem == 1 {
        "sys"
    } else {
        "exe"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pe(characteristics: u16, subsystem: u16) -> Vec<u8> {
        let mut b = vec![0u8; 0x200];
        b[..2].copy_from_slice(b"MZ");
        b[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        b[0x80..0x84].copy_from_slice(b"PE\0\0");
        b[0x80 + 22..0x80 + 24].copy_from_slice(&characteristics.to_le_bytes());
        b[0x80 + 92..0x80 + 94].copy_from_slice(&subsystem.to_le_bytes());
        b
    }

    #[test]
    fn types() {
        assert_eq!(file_type(&pe(0x0102, 3)), Some("exe"));
        assert_eq!(file_type(&pe(0x2102, 2)), Some("dll"));
        assert_eq!(file_type(&pe(0x0102, 1)), Some("sys"));
        assert_eq!(file_type(b"MZ"), Some("exe"));
        assert_eq!(
            file_type(b"PK\x03\x04\x14\x00\x00\x00\x08\x00"),
            Some("zip")
        );
        assert_eq!(
            file_type(b"PK\x03\x04\x14\x00\x01\x00\x08\x00"),
            Some("zip (pwd protected)")
        );
        assert_eq!(file_type(b"\x1f\x8b\x08\x00"), Some("gz"));
        assert_eq!(file_type(b"%PDF-1.7"), Some("pdf"));
        let mut tar = vec![0u8; 512];
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(file_type(&tar), Some("tar"));
        assert_eq!(file_type(b"hello"), None);
        assert_eq!(file_type(b""), None);
    }
}
