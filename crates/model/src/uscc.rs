//! 统一社会信用代码 (Unified Social Credit Code), GB 32100-2015.

use std::fmt;
use std::str::FromStr;

/// The 31 characters a USCC may contain (digits and capitals without I, O, S, V, Z).
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1–17 in the check-character computation (3^(i-1) mod 31).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A validated 18-character USCC.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

impl Uscc {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit administrative division code embedded in positions 3–8.
    pub fn division_code(&self) -> &str {
        &self.0[2..8]
    }

    /// Computes the check character for the first 17 characters, or `None` if one is not allowed.
    pub fn check_char(first17: &str) -> Option<char> {
        let mut sum = 0u32;
        for (i, b) in first17.bytes().enumerate().take(17) {
            let v = ALPHABET.iter().position(|&a| a == b)? as u32;
            sum += v * WEIGHTS[i];
        }
        let c = (31 - sum % 31) % 31;
        Some(ALPHABET[c as usize] as char)
    }
}

impl FromStr for Uscc {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let code: String = crate::keys::fold(s)
            .to_uppercase()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if code.chars().count() != 18 {
            return Err(format!(
                "a USCC has 18 characters, this one has {}: check for missing or extra characters",
                code.chars().count()
            ));
        }
        if let Some(bad) = code
            .chars()
            .find(|c| !ALPHABET.contains(&(*c as u8)) || !c.is_ascii())
        {
            return Err(format!(
                "'{bad}' cannot appear in a USCC (allowed: digits and capitals except I, O, S, V, Z)"
            ));
        }
        if !code[2..8].bytes().all(|b| b.is_ascii_digit()) {
            return Err("characters 3–8 of a USCC are the 6-digit division code".into());
        }
        let expected = Uscc::check_char(&code[..17]).expect("alphabet checked above");
        let given = code.as_bytes()[17] as char;
        if given != expected {
            return Err(format!(
                "check character is '{given}' but GB 32100-2015 gives '{expected}': \
                 the code was mistyped, re-copy it from the business licence"
            ));
        }
        Ok(Uscc(code))
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Uscc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Uscc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_standards_example() {
        // The worked example printed in GB 32100-2015 and in most explanations of it.
        let u: Uscc = "91350100M000100Y43".parse().unwrap();
        assert_eq!(u.division_code(), "350100");
    }

    #[test]
    fn accepts_lower_case_and_full_width_and_spaces() {
        let u: Uscc = "９１３５０１００ｍ０００１００ｙ４３".parse().unwrap();
        assert_eq!(u.as_str(), "91350100M000100Y43");
        assert!("91350100 M000100Y43".parse::<Uscc>().is_ok());
    }

    #[test]
    fn rejects_a_wrong_check_character_and_names_the_right_one() {
        let err = "91350100M000100Y44".parse::<Uscc>().unwrap_err();
        assert!(err.contains("'3'"), "{err}");
    }

    #[test]
    fn rejects_wrong_length_and_forbidden_letters() {
        assert!("91350100M000100Y4"
            .parse::<Uscc>()
            .unwrap_err()
            .contains("18"));
        assert!("91350100M000100I43"
            .parse::<Uscc>()
            .unwrap_err()
            .contains("'I'"));
    }

    #[test]
    fn check_char_can_be_zero() {
        // Find a prefix whose sum is ≡ 0 mod 31 and confirm the check character is '0', not '31'.
        let mut found = false;
        for n in 0..1000u32 {
            let prefix = format!("915001{n:011}");
            if Uscc::check_char(&prefix) == Some('0') {
                assert!(format!("{prefix}0").parse::<Uscc>().is_ok());
                found = true;
                break;
            }
        }
        assert!(found);
    }
}
