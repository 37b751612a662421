//! Regions: Chongqing's districts and counties by name or code, the Chengdu–Chongqing circle, the
//! provinces, and free text for anywhere else. The table is `data/regions/regions.csv`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../../data/regions/regions.csv");

/// How close a region is to Chongqing; ranking prefers nearer tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionTier {
    Chongqing,
    Chengyu,
    China,
    Elsewhere,
}

#[derive(Debug)]
struct Entry {
    code: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    level: &'static str,
    parent: &'static str,
    tier: RegionTier,
}

struct Table {
    entries: Vec<Entry>,
    by_key: HashMap<String, usize>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let mut entries = Vec::new();
        let mut by_key = HashMap::new();
        for line in TABLE.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&'static str> = line.split(',').collect();
            assert_eq!(cols.len(), 7, "regions.csv: bad line {line}");
            let tier = match cols[5] {
                "chongqing" => RegionTier::Chongqing,
                "chengyu" => RegionTier::Chengyu,
                "china" => RegionTier::China,
                _ => RegionTier::Elsewhere,
            };
            let i = entries.len();
            entries.push(Entry {
                code: cols[0],
                name_zh: cols[1],
                name_en: cols[2],
                level: cols[3],
                parent: cols[4],
                tier,
            });
            let keys = [cols[0], cols[1], cols[2]]
                .into_iter()
                .chain(cols[6].split('|').filter(|a| !a.is_empty()));
            for key in keys {
                by_key.entry(crate::keys::normalize_name(key)).or_insert(i);
            }
        }
        Table { entries, by_key }
    })
}

/// A region: a known entry of the table, or free text for places the table does not list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Region {
    Known(usize),
    Other(String),
}

impl Region {
    /// Looks a name, alias or code up; `None` if the table does not know it.
    pub fn lookup(s: &str) -> Option<Region> {
        let t = table();
        let key = crate::keys::normalize_name(s);
        if let Some(&i) = t.by_key.get(&key) {
            return Some(Region::Known(i));
        }
        // "重庆市渝北区" / "重庆渝北区" / "四川省成都市": try the most specific part.
        for prefix in ["重庆市", "重庆", "四川省", "四川", "chongqing"] {
            if let Some(rest) = key.strip_prefix(prefix) {
                if let Some(&i) = t.by_key.get(rest) {
                    return Some(Region::Known(i));
                }
            }
        }
        None
    }

    pub fn code(&self) -> Option<&'static str> {
        match self {
            Region::Known(i) => Some(table().entries[*i].code),
            Region::Other(_) => None,
        }
    }

    pub fn name_zh(&self) -> &str {
        match self {
            Region::Known(i) => table().entries[*i].name_zh,
            Region::Other(s) => s,
        }
    }

    pub fn name_en(&self) -> &str {
        match self {
            Region::Known(i) => table().entries[*i].name_en,
            Region::Other(s) => s,
        }
    }

    pub fn level(&self) -> &str {
        match self {
            Region::Known(i) => table().entries[*i].level,
            Region::Other(_) => "other",
        }
    }

    pub fn tier(&self) -> RegionTier {
        match self {
            Region::Known(i) => table().entries[*i].tier,
            Region::Other(_) => RegionTier::Elsewhere,
        }
    }

    /// The stable stored form: the code when known, the free text otherwise.
    pub fn key(&self) -> &str {
        self.code().unwrap_or_else(|| self.name_zh())
    }

    /// This region and every region the table places inside it (a city's districts, a province's
    /// cities and their districts), so a filter on "重庆市" also takes 渝北区.
    pub fn with_descendants(&self) -> Vec<Region> {
        let Region::Known(root) = self else {
            return vec![self.clone()];
        };
        let t = table();
        let mut out = vec![*root];
        let mut at = 0;
        while at < out.len() {
            let code = t.entries[out[at]].code;
            for (i, e) in t.entries.iter().enumerate() {
                if e.parent == code && !out.contains(&i) {
                    out.push(i);
                }
            }
            at += 1;
        }
        out.into_iter().map(Region::Known).collect()
    }

    /// Number of Chongqing districts and counties (level district/county) in the table.
    pub fn chongqing_district_count() -> usize {
        table()
            .entries
            .iter()
            .filter(|e| e.tier == RegionTier::Chongqing && matches!(e.level, "district" | "county"))
            .count()
    }
}

impl FromStr for Region {
    type Err = String;

    /// Never fails on non-empty text: unknown places are kept as free text (importers warn).
    fn from_str(s: &str) -> Result<Self, String> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err("region is empty".into());
        }
        Ok(Region::lookup(trimmed).unwrap_or_else(|| Region::Other(trimmed.to_string())))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_zh())
    }
}

impl serde::Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

impl<'de> serde::Deserialize<'de> for Region {
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
    fn table_has_all_38_chongqing_districts_and_counties() {
        assert_eq!(Region::chongqing_district_count(), 38);
    }

    #[test]
    fn finds_districts_by_name_alias_code_and_english() {
        for s in ["渝北区", "渝北", "500112", "Yubei", "重庆市渝北区", "yubei"] {
            let r = Region::lookup(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(r.code(), Some("500112"), "{s}");
            assert_eq!(r.tier(), RegionTier::Chongqing);
        }
        assert_eq!(Region::lookup("成都").unwrap().tier(), RegionTier::Chengyu);
        assert_eq!(
            Region::lookup("四川省成都市").unwrap().code(),
            Some("510100")
        );
        assert_eq!(Region::lookup("上海市").unwrap().tier(), RegionTier::China);
        let cq: Vec<String> = Region::lookup("重庆")
            .unwrap()
            .with_descendants()
            .iter()
            .map(|r| r.name_zh().to_string())
            .collect();
        assert!(cq.contains(&"渝北区".to_string()) && cq.contains(&"重庆市".to_string()));
        assert!(!cq.contains(&"成都市".to_string()));
        let sc: Vec<String> = Region::lookup("四川省")
            .unwrap()
            .with_descendants()
            .iter()
            .map(|r| r.name_zh().to_string())
            .collect();
        assert!(sc.contains(&"成都市".to_string()));
        assert_eq!(
            Region::lookup("渝北区").unwrap().with_descendants().len(),
            1
        );
    }

    #[test]
    fn keeps_unknown_places_as_free_text() {
        let r: Region = "Munich, Germany".parse().unwrap();
        assert_eq!(r.code(), None);
        assert_eq!(r.tier(), RegionTier::Elsewhere);
        assert_eq!(r.key(), "Munich, Germany");
    }

    #[test]
    fn serialises_as_code() {
        let r: Region = "沙坪坝区".parse().unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"500106\"");
        let back: Region = serde_json::from_str("\"500106\"").unwrap();
        assert_eq!(back, r);
    }
}
