use std::fmt;
use std::str::FromStr;

/// Technology readiness level, 1 (basic principles) to 9 (proven in operation), per GB/T 22900-2022.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Trl(u8);

impl Trl {
    pub fn new(level: u8) -> Result<Self, String> {
        if (1..=9).contains(&level) {
            Ok(Trl(level))
        } else {
            Err(format!("TRL must be 1–9, got {level}"))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl FromStr for Trl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let folded = crate::keys::fold(s);
        let digits = folded
            .trim_start_matches("trl")
            .trim_start_matches('级')
            .trim_end_matches('级')
            .trim();
        let n: f64 = digits
            .parse()
            .map_err(|_| format!("TRL must be a whole number 1–9, got '{}'", s.trim()))?;
        if n.fract() != 0.0 || !(1.0..=9.0).contains(&n) {
            return Err(format!(
                "TRL must be a whole number 1–9, got '{}'",
                s.trim()
            ));
        }
        Ok(Trl(n as u8))
    }
}

impl fmt::Display for Trl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl serde::Serialize for Trl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Trl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Trl::new(u8::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_decorated_levels() {
        assert_eq!("5".parse::<Trl>().unwrap().get(), 5);
        assert_eq!("TRL7".parse::<Trl>().unwrap().get(), 7);
        assert_eq!("３".parse::<Trl>().unwrap().get(), 3);
        assert_eq!("6.0".parse::<Trl>().unwrap().get(), 6);
    }

    #[test]
    fn rejects_out_of_range() {
        assert!("12".parse::<Trl>().unwrap_err().contains("1–9"));
        assert!("0".parse::<Trl>().is_err());
        assert!("4.5".parse::<Trl>().is_err());
        assert!("high".parse::<Trl>().is_err());
    }
}
