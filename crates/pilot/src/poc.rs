//! PoC seed screening (概念验证"种子"): a registered outcome's TRL band, IP strength, local market
//! pull, chain priority and team, each scored 0–1 and weighted into 0–100 by `data/rules/poc.toml`.
//! The score comes with each criterion's points and what would raise it, so an official reads why
//! one seed ranks above another.

use crate::{parse, DataError};

/// The shipped screening rules.
pub const POC: &str = include_str!("../../../data/rules/poc.toml");

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub ip: u32,
    pub market: u32,
    pub chain: u32,
    pub team: u32,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpRules {
    pub granted_invention: f64,
    pub utility_model: f64,
    pub application: f64,
    pub none: f64,
    pub claims_share: f64,
    pub claims_full: u32,
    pub term_share: f64,
    pub term_full_years: f64,
    pub invention_years: i32,
    pub utility_years: i32,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketRules {
    pub min_relevance: f64,
    pub budget_full_fen: i64,
    pub budget_cap: f64,
    pub pull_full: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainRules {
    pub missing: f64,
    pub weak: f64,
    pub covered: f64,
    pub unknown: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamRules {
    pub conversions_full: u32,
}

/// The screening rules.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PocRules {
    pub version: String,
    pub trl_min: u8,
    pub trl_max: u8,
    pub weights: Weights,
    pub ip: IpRules,
    pub market: MarketRules,
    pub chain: ChainRules,
    pub team: TeamRules,
}

/// The strongest IP right an outcome holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IpRight {
    None,
    Application,
    UtilityModel,
    GrantedInvention,
}

/// A chain node's standing on the chain map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeStanding {
    Missing,
    Weak,
    Covered,
    Unknown,
}

/// What is known of an outcome for screening.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedFacts {
    pub trl: Option<u8>,
    pub ip: IpRight,
    pub claims: u32,
    /// Years left of the strongest right's term (none when unknown).
    pub years_left: Option<f64>,
    /// Matching open local needs: (relevance 0–1, budget in fen when stated).
    pub needs: Vec<(f64, Option<i64>)>,
    /// The best standing among the outcome's chain nodes.
    pub node: NodeStanding,
    /// Past conversions of its people.
    pub conversions: u32,
}

/// One criterion's part of the score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Part {
    /// `ip`, `market`, `chain` or `team`.
    pub criterion: String,
    /// 0–1.
    pub factor: f64,
    /// factor × weight, one decimal.
    pub points: f64,
    pub max: u32,
    /// What would raise it (a code the pages put in words; none when it is full).
    pub raise: Option<String>,
}

/// A screened outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SeedScore {
    /// Inside the TRL band (outcomes outside it are not seeds, whatever they score).
    pub in_band: bool,
    /// 0–100, one decimal.
    pub score: f64,
    pub parts: Vec<Part>,
    /// The local market pull before it is capped (Σ relevance × budget factor).
    pub pull: f64,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl PocRules {
    pub fn load(file: &str, text: &str) -> Result<PocRules, DataError> {
        let r: PocRules = parse(file, text)?;
        let w = &r.weights;
        let bad = |message: String| DataError {
            file: file.into(),
            message,
        };
        if w.ip + w.market + w.chain + w.team != 100 {
            return Err(bad("weights: the four weights must sum to 100".into()));
        }
        if !(1..=9).contains(&r.trl_min) || !(r.trl_min..=9).contains(&r.trl_max) {
            return Err(bad("trl_min, trl_max: levels 1–9, min ≤ max".into()));
        }
        let shares = r.ip.claims_share + r.ip.term_share;
        if !(0.0..=1.0).contains(&shares) || r.ip.claims_full == 0 || r.ip.term_full_years <= 0.0 {
            return Err(bad(
                "ip: claims_share + term_share within 0–1, positive full marks".into(),
            ));
        }
        if r.market.pull_full <= 0.0 || r.market.budget_cap < 1.0 || r.market.budget_full_fen <= 0 {
            return Err(bad(
                "market: positive pull_full and budget_full_fen, budget_cap ≥ 1".into(),
            ));
        }
        if r.team.conversions_full == 0 {
            return Err(bad("team: conversions_full must be positive".into()));
        }
        Ok(r)
    }

    pub fn shipped() -> PocRules {
        PocRules::load("poc.toml", POC).expect("the shipped PoC rules load")
    }

    /// The IP factor: the right's base value, with shares for claims and remaining term.
    pub fn ip_factor(&self, f: &SeedFacts) -> f64 {
        let r = &self.ip;
        let base = match f.ip {
            IpRight::GrantedInvention => r.granted_invention,
            IpRight::UtilityModel => r.utility_model,
            IpRight::Application => r.application,
            IpRight::None => r.none,
        };
        if f.ip == IpRight::None {
            return base;
        }
        let claims = (f64::from(f.claims) / f64::from(r.claims_full)).min(1.0);
        let term = f
            .years_left
            .map_or(0.0, |y| (y / r.term_full_years).clamp(0.0, 1.0));
        base * (1.0 - r.claims_share - r.term_share + r.claims_share * claims + r.term_share * term)
    }

    /// The market pull: Σ relevance × budget factor over matching needs above the threshold.
    pub fn pull(&self, f: &SeedFacts) -> f64 {
        let m = &self.market;
        f.needs
            .iter()
            .filter(|(r, _)| *r >= m.min_relevance)
            .map(|(r, budget)| {
                let b = budget.map_or(1.0, |fen| {
                    1.0 + (m.budget_cap - 1.0) * (fen as f64 / m.budget_full_fen as f64).min(1.0)
                });
                r * b
            })
            .sum::<f64>()
            + 0.0 // an empty sum is -0.0
    }

    /// Scores an outcome.
    pub fn score(&self, f: &SeedFacts) -> SeedScore {
        let in_band = f
            .trl
            .is_some_and(|t| (self.trl_min..=self.trl_max).contains(&t));
        let pull = self.pull(f);
        let chain = match f.node {
            NodeStanding::Missing => self.chain.missing,
            NodeStanding::Weak => self.chain.weak,
            NodeStanding::Covered => self.chain.covered,
            NodeStanding::Unknown => self.chain.unknown,
        };
        let team = (f64::from(f.conversions) / f64::from(self.team.conversions_full)).min(1.0);
        let ip = self.ip_factor(f);
        let market = (pull / self.market.pull_full).min(1.0);
        let w = &self.weights;
        let raise = |criterion: &str, factor: f64| -> Option<String> {
            if factor >= 1.0 - 1e-9 {
                return None;
            }
            Some(
                match criterion {
                    "ip" => match f.ip {
                        IpRight::None => "ip_file",
                        IpRight::Application | IpRight::UtilityModel => "ip_grant",
                        IpRight::GrantedInvention => "ip_claims",
                    },
                    "market" => "market_needs",
                    "chain" => "chain_node",
                    _ => "team_conversions",
                }
                .to_string(),
            )
        };
        let parts: Vec<Part> = [
            ("ip", ip, w.ip),
            ("market", market, w.market),
            ("chain", chain, w.chain),
            ("team", team, w.team),
        ]
        .into_iter()
        .map(|(c, factor, weight)| Part {
            criterion: c.into(),
            factor,
            points: round1(factor * f64::from(weight)),
            max: weight,
            raise: raise(c, factor),
        })
        .collect();
        let score = round1(
            ip * f64::from(w.ip)
                + market * f64::from(w.market)
                + chain * f64::from(w.chain)
                + team * f64::from(w.team),
        );
        SeedScore {
            in_band,
            score,
            parts,
            pull,
        }
    }
}

/// The type of a Chinese patent from its application number (`CN202310123456.7`: the fifth digit
/// after the year is 1 invention, 2 utility model, 3 design; also 8 and 9 for PCT entries of
/// inventions and utility models). Source: CNIPA application-number rules (2003).
pub fn patent_type(number: &str) -> Option<&'static str> {
    let digits: String = number
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    if digits.len() < 12 {
        return None;
    }
    match digits.as_bytes()[4] {
        b'1' | b'8' => Some("invention"),
        b'2' | b'9' => Some("utility_model"),
        b'3' => Some("design"),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
