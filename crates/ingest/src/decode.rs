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

/// Decoded text, its encoding, and the lines that could not be decoded: (1-based line, message).
pub type Decoded = (String, Encoding, Vec<(usize, String)>);

/// Decodes like [`decode`], but a file that fails as a whole is decoded line by line: the lines that
/// decode are kept, and each line that does not is blanked and returned as (line, message), so one bad
/// row is reported with its line instead of the whole file being refused.
pub fn decode_lines(bytes: &[u8]) -> Result<Decoded, String> {
    let whole = decode(bytes);
    let has_bom = bytes.starts_with(b"\xEF\xBB\xBF")
        || bytes.starts_with(b"\xFF\xFE")
        || bytes.starts_with(b"\xFE\xFF");
    if whole.is_ok() || has_bom {
        return whole.map(|(text, enc)| (text, enc, vec![]));
    }
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    // The file's legacy encoding: GB18030 when a line that is not UTF-8 decodes cleanly as GB18030.
    let gbk = lines.iter().any(|l| {
        std::str::from_utf8(l).is_err() && !encoding_rs::GB18030.decode_without_bom_handling(l).1
    });
    let mut text = String::with_capacity(bytes.len());
    let mut bad = vec![];
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        let decoded = if gbk {
            let (s, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(l);
            (!had_errors).then(|| s.into_owned())
        } else {
            std::str::from_utf8(l).ok().map(str::to_string)
        };
        match decoded {
            Some(s) => text.push_str(&s),
            None => bad.push((
                i + 1,
                format!(
                    "this line is neither {} like the rest of the file: retype it, or save the file as UTF-8 (Excel: 另存为 → CSV UTF-8)",
                    if gbk { "GBK/GB18030" } else { "UTF-8" }
                ),
            )),
        }
    }
    Ok((
        text,
        if gbk {
            Encoding::Gb18030
        } else {
            Encoding::Utf8
        },
        bad,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bad_line_is_named_and_the_others_kept() {
        let mut bytes = "title\nA\n".as_bytes().to_vec();
        bytes.extend_from_slice(b"\xFF\xFF\xFF\n");
        bytes.extend_from_slice("C\n".as_bytes());
        let (text, enc, bad) = decode_lines(&bytes).unwrap();
        assert_eq!(enc, Encoding::Utf8);
        assert_eq!(text, "title\nA\n\nC\n");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 3);
    }

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
