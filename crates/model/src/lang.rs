use std::fmt;

/// Language of a text: `zh`, `en`, or another lower-case ISO 639-1 code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Lang(String);

impl Lang {
    pub fn zh() -> Lang {
        Lang("zh".into())
    }

    pub fn en() -> Lang {
        Lang("en".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Guesses `zh` or `en` from the script: Chinese when at least a fifth of the letters are CJK.
    pub fn detect(text: &str) -> Lang {
        let (mut cjk, mut letters) = (0usize, 0usize);
        for c in text.chars() {
            if is_cjk(c) {
                cjk += 1;
                letters += 1;
            } else if c.is_alphabetic() {
                letters += 1;
            }
        }
        if letters > 0 && cjk * 5 >= letters {
            Lang::zh()
        } else {
            Lang::en()
        }
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0xF900..=0xFAFF)
}

impl TryFrom<String> for Lang {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        let t = crate::keys::fold(&s);
        let code = match t.as_str() {
            "中文" | "汉语" | "chinese" | "zh-cn" | "zh_cn" | "zh-hans" | "cn" | "chi" | "zho" => {
                "zh"
            }
            "英文" | "英语" | "english" | "en-us" | "en-gb" | "eng" => "en",
            other => other,
        };
        if (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase()) {
            Ok(Lang(code.to_string()))
        } else {
            Err(format!(
                "'{}' is not a language: use zh, en or another ISO 639-1 code",
                s.trim()
            ))
        }
    }
}

impl From<Lang> for String {
    fn from(l: Lang) -> String {
        l.0
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_script() {
        assert_eq!(Lang::detect("锂离子电池正极材料"), Lang::zh());
        assert_eq!(Lang::detect("SiC MOSFET 封装工艺"), Lang::zh());
        assert_eq!(
            Lang::detect("Graphene anodes for lithium batteries"),
            Lang::en()
        );
    }

    #[test]
    fn accepts_names_and_codes() {
        assert_eq!(Lang::try_from("中文".to_string()).unwrap(), Lang::zh());
        assert_eq!(Lang::try_from("EN".to_string()).unwrap(), Lang::en());
        assert!(Lang::try_from("klingon!".to_string()).is_err());
    }
}
