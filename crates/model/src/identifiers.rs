//! External identifiers of outcomes: DOI, patent number, IPC classification.

use std::fmt;
use std::str::FromStr;

macro_rules! string_newtype_serde {
    ($t:ident) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <String as serde::Deserialize>::deserialize(d)?
                    .parse()
                    .map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A DOI, lower-cased and stripped of resolver prefixes, so the same paper always has the same key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Doi(String);
string_newtype_serde!(Doi);

impl FromStr for Doi {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut t = crate::keys::fold(s);
        for prefix in [
            "https://doi.org/",
            "http://doi.org/",
            "https://dx.doi.org/",
            "http://dx.doi.org/",
            "doi.org/",
            "doi:",
        ] {
            if let Some(rest) = t.strip_prefix(prefix) {
                t = rest.trim().to_string();
                break;
            }
        }
        match t.split_once('/') {
            Some((prefix, suffix))
                if prefix.starts_with("10.") && prefix.len() > 3 && !suffix.is_empty() =>
            {
                Ok(Doi(t))
            }
            _ => Err(format!(
                "'{}' is not a DOI: a DOI looks like 10.1000/xyz123",
                s.trim()
            )),
        }
    }
}

/// A patent or application number, upper-cased without spaces (CN202310123456.7, ZL…, US1234567B2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PatentNumber(String);
string_newtype_serde!(PatentNumber);

impl FromStr for PatentNumber {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t: String = crate::keys::fold(s)
            .to_uppercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let digits = t.chars().filter(|c| c.is_ascii_digit()).count();
        if digits < 5 || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') {
            return Err(format!(
                "'{}' is not a patent number: expected e.g. CN202310123456.7 or US1234567B2",
                s.trim()
            ));
        }
        Ok(PatentNumber(t))
    }
}

/// An International Patent Classification symbol, canonical form `H01M 4/36` (or just `H01M`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpcCode(String);
string_newtype_serde!(IpcCode);

impl IpcCode {
    /// The subclass (first four characters), e.g. `H01M`.
    pub fn subclass(&self) -> &str {
        &self.0[..4.min(self.0.len())]
    }
}

impl FromStr for IpcCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t: String = crate::keys::fold(s)
            .to_uppercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let bad = || {
            format!(
                "'{}' is not an IPC symbol: expected a subclass such as H01M or a group such as H01M 4/36",
                s.trim()
            )
        };
        let b = t.as_bytes();
        if b.len() < 3
            || !(b'A'..=b'H').contains(&b[0])
            || !b[1].is_ascii_digit()
            || !b[2].is_ascii_digit()
        {
            return Err(bad());
        }
        if b.len() == 3 {
            return Ok(IpcCode(t));
        }
        if !b[3].is_ascii_uppercase() {
            return Err(bad());
        }
        let rest = &t[4..];
        if rest.is_empty() {
            return Ok(IpcCode(t));
        }
        let (group, sub) = rest.split_once('/').ok_or_else(bad)?;
        let ok = |p: &str, max: usize| {
            !p.is_empty() && p.len() <= max && p.bytes().all(|c| c.is_ascii_digit())
        };
        if !ok(group, 4) || !ok(sub, 6) {
            return Err(bad());
        }
        Ok(IpcCode(format!("{} {}/{}", &t[..4], group, sub)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dois_are_canonical() {
        let a: Doi = "https://doi.org/10.1038/NATURE12373".parse().unwrap();
        let b: Doi = "doi:10.1038/nature12373".parse().unwrap();
        assert_eq!(a, b);
        assert!("nature12373".parse::<Doi>().is_err());
    }

    #[test]
    fn ipc_symbols_are_canonical() {
        assert_eq!("h01m4/36".parse::<IpcCode>().unwrap().as_str(), "H01M 4/36");
        assert_eq!(
            "H01M  4/36".parse::<IpcCode>().unwrap().as_str(),
            "H01M 4/36"
        );
        assert_eq!("B60L".parse::<IpcCode>().unwrap().subclass(), "B60L");
        assert!("Z99X".parse::<IpcCode>().is_err());
        assert!("H01M 4".parse::<IpcCode>().is_err());
    }

    #[test]
    fn patent_numbers_are_upper_case_without_spaces() {
        let p: PatentNumber = "zl 2023 1012 3456.7".parse().unwrap();
        assert_eq!(p.as_str(), "ZL202310123456.7");
        assert!("pending".parse::<PatentNumber>().is_err());
    }
}
