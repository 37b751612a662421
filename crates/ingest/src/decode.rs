//! Text encoding detection for CSV exports: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030
//! (a superset of GBK and GB2312, which is what Chinese Excel and government systems write).

/// The encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Gb18030,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 (BOM)",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Gb18030 => "GBK/GB18030",
        }
    }
}

/// Decodes bytes, detecting the encoding. Fails only when GB18030 decoding also meets invalid bytes.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_string(), Encoding::Utf8Bom))
            .map_err(|e| {
                format!(
                    "starts with a UTF-8 BOM but has invalid UTF-8 at byte {}",
                    e.valid_up_to() + 3
                )
            });
    }
    if bytes.starts_with(b"\xFF\xFE") {
        let (s, _, bad) = encoding_rs::UTF_16LE.decode(bytes);
        return if bad {
            Err("invalid UTF-16LE".into())
        } else {
            Ok((s.into_owned(), Encoding::Utf16Le))
        };
    }
    if bytes.starts_with(b"\xFE\xFF") {
        let (s, _, bad) = encoding_rs::UTF_16BE.decode(bytes);
        return if bad {
            Err("invalid UTF-16BE".into())
        } else {
            Ok((s.into_owned(), Encoding::Utf16Be))
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), Encoding::Utf8));
    }
    let (s, _, bad) = encoding_rs::GB18030.decode(bytes);
    if bad {
        return Err(
            "the file is neither UTF-8 nor GBK/GB18030: save it as UTF-8 (Excel: 另存为 → CSV UTF-8)".into(),
        );
    }
    Ok((s.into_owned(), Encoding::Gb18030))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_utf8_bom_and_gbk() {
        assert_eq!(decode("名称".as_bytes()).unwrap().1, Encoding::Utf8);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("名称".as_bytes());
        assert_eq!(
            decode(&bom).unwrap(),
            ("名称".to_string(), Encoding::Utf8Bom)
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("成果名称,技术成熟度\n锂电池,5\n");
        let (text, enc) = decode(&gbk).unwrap();
        assert_eq!(enc, Encoding::Gb18030);
        assert!(text.starts_with("成果名称,技术成熟度"));
    }
}
