//! Money as integer fen (分). Never `f64`: budgets are compared and summed exactly.

use std::fmt;
use std::str::FromStr;

/// An amount in fen (1 yuan = 100 fen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Fen(pub i64);

impl Fen {
    pub fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan * 100)
    }

    /// Yuan as an exact decimal string: "500000" or "1234.56".
    pub fn yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        if abs.is_multiple_of(100) {
            format!("{sign}{}", abs / 100)
        } else {
            format!("{sign}{}.{:02}", abs / 100, abs % 100)
        }
    }

    /// Short Chinese display: 50万, 1.2亿, 3000元.
    pub fn display_zh(self) -> String {
        let yuan = self.0 / 100;
        if self.0 % 100 == 0 && yuan != 0 && yuan % 100_000_000 == 0 {
            format!("{}亿", yuan / 100_000_000)
        } else if self.0 % 100 == 0 && yuan != 0 && yuan % 10_000 == 0 {
            format!("{}万", yuan / 10_000)
        } else {
            format!("{}元", self.yuan_string())
        }
    }
}

/// Multipliers for the unit words used in Chinese budgets, in yuan.
const UNITS: &[(&str, i128)] = &[
    ("亿元", 100_000_000),
    ("亿", 100_000_000),
    ("千万元", 10_000_000),
    ("千万", 10_000_000),
    ("百万元", 1_000_000),
    ("百万", 1_000_000),
    ("万元", 10_000),
    ("万", 10_000),
    ("千元", 1_000),
    ("元", 1),
    ("rmb", 1),
    ("cny", 1),
    ("yuan", 1),
];

/// Parses an amount such as `500000`, `500,000.50`, `¥50万`, `50万元`, `1.2亿`; the default unit is yuan.
impl FromStr for Fen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let folded = crate::keys::fold(s);
        let mut t: &str = folded.trim_start_matches(['¥', '￥']).trim();
        let mut unit: i128 = 1;
        for (word, mult) in UNITS {
            if let Some(rest) = t.strip_suffix(word) {
                t = rest.trim();
                unit = *mult;
                break;
            }
        }
        let t = t.replace(',', "");
        let bad = || {
            format!(
                "'{}' is not an amount: write yuan as digits, optionally with 万 or 亿 (e.g. 500000, 50万, 1.2亿)",
                s.trim()
            )
        };
        let (int_part, frac_part) = match t.split_once('.') {
            Some((i, f)) => (i, f),
            None => (t.as_str(), ""),
        };
        let negative = int_part.starts_with('-');
        let int_digits = int_part.trim_start_matches('-');
        if int_digits.is_empty() && frac_part.is_empty()
            || !int_digits.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
            || frac_part.len() > 12
            || int_digits.len() > 15
        {
            return Err(bad());
        }
        let mantissa: i128 = format!("{int_digits}{frac_part}")
            .parse()
            .map_err(|_| bad())?;
        let scale = 10i128.pow(frac_part.len() as u32);
        let numerator = mantissa * unit * 100;
        if numerator % scale != 0 {
            return Err(format!(
                "'{}' has more precision than one fen (0.01 yuan)",
                s.trim()
            ));
        }
        let fen = numerator / scale;
        let fen = i64::try_from(fen).map_err(|_| bad())?;
        Ok(Fen(if negative { -fen } else { fen }))
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_zh())
    }
}

/// Serialised as yuan: an integer when whole, else an exact decimal string.
impl serde::Serialize for Fen {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 100 == 0 {
            s.serialize_i64(self.0 / 100)
        } else {
            s.serialize_str(&self.yuan_string())
        }
    }
}

impl<'de> serde::Deserialize<'de> for Fen {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let s = match v {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s,
            other => return Err(serde::de::Error::custom(format!("not an amount: {other}"))),
        };
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A budget range; either end may be open ("100万以内", "50万以上"); both open means 面议 (negotiable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct BudgetRange {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub min: Option<Fen>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max: Option<Fen>,
}

impl BudgetRange {
    pub fn new(min: Option<Fen>, max: Option<Fen>) -> Result<Self, String> {
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                return Err(format!(
                    "budget minimum {} is above the maximum {}: swap them",
                    lo.display_zh(),
                    hi.display_zh()
                ));
            }
        }
        if min.is_some_and(|m| m.0 < 0) || max.is_some_and(|m| m.0 < 0) {
            return Err("a budget cannot be negative".into());
        }
        Ok(BudgetRange { min, max })
    }

    pub fn is_open(&self) -> bool {
        self.min.is_none() && self.max.is_none()
    }
}

impl fmt::Display for BudgetRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min, self.max) {
            (None, None) => f.write_str("面议"),
            (Some(lo), None) => write!(f, "{}以上", lo.display_zh()),
            (None, Some(hi)) => write!(f, "{}以内", hi.display_zh()),
            (Some(lo), Some(hi)) if lo == hi => write!(f, "{}", lo.display_zh()),
            (Some(lo), Some(hi)) => write!(f, "{}-{}", lo.display_zh(), hi.display_zh()),
        }
    }
}

/// Parses "50-100万", "50万~100万", "100万以内", "≤100万", "50万以上", "面议", or a single amount.
impl FromStr for BudgetRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = crate::keys::fold(s);
        if t.is_empty() || matches!(t.as_str(), "面议" | "negotiable" | "tbd" | "待定") {
            return Ok(BudgetRange::default());
        }
        for suffix in ["以内", "以下"] {
            if let Some(rest) = t.strip_suffix(suffix) {
                return BudgetRange::new(None, Some(rest.parse()?));
            }
        }
        for prefix in ["≤", "<=", "<", "不超过", "up to"] {
            if let Some(rest) = t.strip_prefix(prefix) {
                return BudgetRange::new(None, Some(rest.trim().parse()?));
            }
        }
        if let Some(rest) = t.strip_suffix("以上") {
            return BudgetRange::new(Some(rest.parse()?), None);
        }
        for prefix in ["≥", ">=", ">", "不低于"] {
            if let Some(rest) = t.strip_prefix(prefix) {
                return BudgetRange::new(Some(rest.trim().parse()?), None);
            }
        }
        let parts: Vec<&str> = t.split(['-', '~', '～', '—', '至']).collect();
        match parts.as_slice() {
            [one] => {
                let v: Fen = one.parse()?;
                BudgetRange::new(Some(v), Some(v))
            }
            [lo, hi] => {
                let hi_fen: Fen = hi.parse()?;
                // "50-100万": the unit written once applies to both ends.
                let lo_fen: Fen = match lo.trim().parse::<Fen>() {
                    Ok(v) if lo.trim().bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
                        let unit_hi = hi.trim().trim_start_matches(|c: char| {
                            c.is_ascii_digit() || c == '.' || c == ','
                        });
                        if unit_hi.is_empty() {
                            v
                        } else {
                            format!("{}{}", lo.trim(), unit_hi).parse()?
                        }
                    }
                    Ok(v) => v,
                    Err(e) => return Err(e),
                };
                BudgetRange::new(Some(lo_fen), Some(hi_fen))
            }
            _ => Err(format!(
                "'{}' is not a budget: write e.g. 50-100万, 100万以内, 50万以上 or 面议",
                s.trim()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_amounts_exactly() {
        assert_eq!("500000".parse::<Fen>().unwrap(), Fen(50_000_000));
        assert_eq!("500,000.50".parse::<Fen>().unwrap(), Fen(50_000_050));
        assert_eq!("¥50万".parse::<Fen>().unwrap(), Fen::from_yuan(500_000));
        assert_eq!("1.2亿".parse::<Fen>().unwrap(), Fen::from_yuan(120_000_000));
        assert_eq!("0.1".parse::<Fen>().unwrap(), Fen(10));
        assert!("0.001".parse::<Fen>().unwrap_err().contains("fen"));
        assert!("lots".parse::<Fen>().is_err());
    }

    #[test]
    fn displays_in_chinese_units() {
        assert_eq!(Fen::from_yuan(500_000).display_zh(), "50万");
        assert_eq!(Fen::from_yuan(200_000_000).display_zh(), "2亿");
        assert_eq!(Fen(123_456).display_zh(), "1234.56元");
    }

    #[test]
    fn parses_ranges() {
        let r: BudgetRange = "50-100万".parse().unwrap();
        assert_eq!(r.min, Some(Fen::from_yuan(500_000)));
        assert_eq!(r.max, Some(Fen::from_yuan(1_000_000)));
        let r: BudgetRange = "50万～1亿".parse().unwrap();
        assert_eq!(r.max, Some(Fen::from_yuan(100_000_000)));
        let r: BudgetRange = "100万以内".parse().unwrap();
        assert_eq!((r.min, r.max), (None, Some(Fen::from_yuan(1_000_000))));
        assert!("面议".parse::<BudgetRange>().unwrap().is_open());
        assert!("100-50万"
            .parse::<BudgetRange>()
            .unwrap_err()
            .contains("swap"));
        assert_eq!(
            "50-100万".parse::<BudgetRange>().unwrap().to_string(),
            "50万-100万"
        );
    }

    #[test]
    fn round_trips_through_json() {
        let r: BudgetRange = "50.5-100万".parse().unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"min":505000,"max":1000000}"#);
        let back: BudgetRange = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        let odd = Fen(1);
        let back: Fen = serde_json::from_str(&serde_json::to_string(&odd).unwrap()).unwrap();
        assert_eq!(back, odd);
    }
}
