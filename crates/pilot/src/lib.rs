//! The pure rules of the chain 实验室—中试线—生产线 (lab → pilot line → production line): the units and
//! parameter vocabulary capability search compares in, equipment opening hours and utilisation,
//! the PoC seed score (概念验证"种子"), IP fast-track eligibility (知识产权快速预审) and the conversion
//! path's ranking.
//!
//! Nothing here reads the store: the engine gathers facts and these functions decide, so each rule
//! is tested with a handful of hand-worked numbers. Vocabularies, weights and bands are data files
//! under `data/pilot` and `data/rules`, each with its source.

pub mod calendar;
pub mod ipfast;
pub mod path;
pub mod poc;
pub mod units;

pub use calendar::{Hours, HOUR};
pub use units::{Comparison, Filter, Measure, Parameter, Unit, Units};

/// The shipped unit table.
pub const UNITS: &str = include_str!("../../../data/pilot/units.toml");
/// The shipped capability parameters.
pub const PARAMETERS: &str = include_str!("../../../data/pilot/parameters.toml");
/// The shipped codes of the resource library.
pub const VOCABULARY: &str = include_str!("../../../data/pilot/vocabulary.toml");
/// The shipped booking settings.
pub const BOOKING: &str = include_str!("../../../data/pilot/booking.toml");

/// A data file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct DataError {
    pub file: String,
    pub message: String,
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<T, DataError> {
    toml::from_str(text).map_err(|e| DataError {
        file: file.into(),
        message: e.to_string(),
    })
}

/// The library's codes (see `data/pilot/vocabulary.toml`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    pub types: Vec<String>,
    pub forms: Vec<String>,
    pub levels: Vec<String>,
    pub construction_modes: Vec<String>,
    pub fields: Vec<String>,
    pub services: Vec<String>,
    pub service_modes: Vec<String>,
    pub fee_units: Vec<String>,
    pub qualifications: Vec<String>,
    pub alliances: Vec<String>,
}

impl Vocabulary {
    pub fn shipped() -> Vocabulary {
        parse("vocabulary.toml", VOCABULARY).expect("the shipped vocabulary parses")
    }
}

/// Booking settings (see `data/pilot/booking.toml`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingSettings {
    pub hold_days: i64,
    pub max_hours: i64,
    pub horizon_days: i64,
    pub max_pending_per_org: i64,
    pub max_future_hours_per_org: i64,
    pub max_waiting: i64,
}

impl BookingSettings {
    pub fn shipped() -> BookingSettings {
        parse("booking.toml", BOOKING).expect("the shipped booking settings parse")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shipped_files_parse() {
        let v = super::Vocabulary::shipped();
        assert!(v.types.contains(&"pilot_platform".to_string()));
        assert_eq!(v.construction_modes.len(), 6);
        assert_eq!(v.fields.len(), 6);
        let b = super::BookingSettings::shipped();
        assert!(b.max_hours >= 24 && b.hold_days >= 1);
    }
}
