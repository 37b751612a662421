//! IP fast-track eligibility (知识产权快速预审): a patent application is taken for pre-examination
//! when one of its IPC symbols falls in an industry the local protection centre serves
//! (`data/pilot/ip-fast-track.toml`, marked unconfirmed where the official list is not), and the
//! time-to-grant figures the indicators read.

use crate::{parse, DataError};

pub const FAST_TRACK: &str = include_str!("../../../data/pilot/ip-fast-track.toml");

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Industry {
    pub code: String,
    pub zh: String,
    pub en: String,
    pub ipc: Vec<String>,
}

/// The centre and the industries it serves.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FastTrack {
    pub centre: String,
    /// `confirmed` or `unconfirmed`.
    pub status: String,
    pub industries: Vec<Industry>,
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

impl FastTrack {
    pub fn load(file: &str, text: &str) -> Result<FastTrack, DataError> {
        let f: FastTrack = parse(file, text)?;
        if !matches!(f.status.as_str(), "confirmed" | "unconfirmed") {
            return Err(DataError {
                file: file.into(),
                message: "status: `confirmed` or `unconfirmed`".into(),
            });
        }
        if let Some(i) = f.industries.iter().find(|i| i.ipc.is_empty()) {
            return Err(DataError {
                file: file.into(),
                message: format!("industry `{}` lists no IPC prefix", i.code),
            });
        }
        Ok(f)
    }

    pub fn shipped() -> FastTrack {
        FastTrack::load("ip-fast-track.toml", FAST_TRACK)
            .expect("the shipped fast-track list loads")
    }

    /// The industry a filing's IPC symbols put it in, with the symbol that did (the longest prefix
    /// wins; none: not eligible).
    pub fn industry_of<'a>(&'a self, ipc: &[String]) -> Option<(&'a Industry, String)> {
        let mut best: Option<(&Industry, String, usize)> = None;
        for symbol in ipc {
            let s = norm(symbol);
            for i in &self.industries {
                for p in &i.ipc {
                    let p = norm(p);
                    if s.starts_with(&p) && best.as_ref().is_none_or(|b| p.len() > b.2) {
                        best = Some((i, symbol.clone(), p.len()));
                    }
                }
            }
        }
        best.map(|(i, s, _)| (i, s))
    }
}

/// The median of day counts (none when empty).
pub fn median_days(mut v: Vec<i64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eligibility_by_ipc_prefix() {
        let f = FastTrack::shipped();
        let (i, s) = f.industry_of(&["H01M 10/48".into()]).unwrap();
        assert_eq!((i.code.as_str(), s.as_str()), ("automotive", "H01M 10/48"));
        let (i, _) = f
            .industry_of(&["G06F 17/00".into(), "B25J 9/16".into()])
            .unwrap();
        assert_eq!(i.code, "intelligent_manufacturing");
        assert!(
            f.industry_of(&["A61K 9/20".into()]).is_none(),
            "pharma is not served"
        );
        assert!(f.industry_of(&[]).is_none());
        // B60L (longer) wins over B60 within one industry; case and spaces do not matter.
        let (_, s) = f.industry_of(&["b60l 58/16".into()]).unwrap();
        assert_eq!(s, "b60l 58/16");
    }

    #[test]
    fn medians() {
        assert_eq!(median_days(vec![]), None);
        assert_eq!(median_days(vec![90, 30, 60]), Some(60.0));
        assert_eq!(median_days(vec![30, 60, 90, 400]), Some(75.0));
    }
}
