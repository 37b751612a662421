//! Shuanglian's domain model: the things the registry holds and the rules their values obey.
//!
//! Every value type here *parses* its input (`FromStr` / `parse`) and can only hold valid data, so code
//! further along never re-checks a USCC check character or a TRL range. No IO lives in this crate; the
//! reference tables it needs (regions) are compiled in from `data/`.

mod dates;
mod demand;
mod error;
mod identifiers;
mod keys;
mod lang;
mod money;
mod org;
mod outcome;
mod person;
mod region;
mod trl;
mod uscc;

pub use dates::parse_date;
pub use demand::{Confidentiality, CooperationMode, Demand, DemandStatus};
pub use error::FieldError;
pub use identifiers::{Doi, IpcCode, PatentNumber};
pub use keys::{content_hash, normalize_name, normalize_title, sha256_hex};
pub use lang::Lang;
pub use money::{BudgetRange, Fen};
pub use org::{OrgKind, Organization};
pub use outcome::{Outcome, OutcomeKind, TransferMode};
pub use person::{Contact, Person, PersonKind};
pub use region::{Region, RegionTier};
pub use trl::Trl;
pub use uscc::Uscc;

/// The kinds of record the registry stores; used by import, export and stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Organization,
    Person,
    Outcome,
    Demand,
}

impl RecordKind {
    pub const ALL: [RecordKind; 4] = [
        RecordKind::Organization,
        RecordKind::Person,
        RecordKind::Outcome,
        RecordKind::Demand,
    ];

    /// Singular name used on the command line (`shuanglian import outcome …`).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Organization => "organization",
            RecordKind::Person => "person",
            RecordKind::Outcome => "outcome",
            RecordKind::Demand => "demand",
        }
    }

    /// Plural name used in stats and table names.
    pub fn plural(self) -> &'static str {
        match self {
            RecordKind::Organization => "organizations",
            RecordKind::Person => "persons",
            RecordKind::Outcome => "outcomes",
            RecordKind::Demand => "demands",
        }
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Implements `as_str`, `Display`, `FromStr` (accepting English codes, Chinese names and aliases) and
/// `ALL` for a plain enum whose values are stored and exchanged as short snake_case codes.
macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal, $zh:literal $(, $alias:literal)*;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code stored in the database and written on export.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The Chinese label shown to users.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// Every accepted spelling, for error messages.
            pub fn accepted() -> String {
                let codes: Vec<String> = Self::ALL
                    .iter()
                    .map(|v| format!("{} ({})", v.as_str(), v.label_zh()))
                    .collect();
                codes.join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let folded = crate::keys::fold(s);
                let key = folded.replace(['-', ' '], "_");
                $(
                    if key == $code || folded == $zh $(|| folded == $alias)* {
                        return Ok($name::$variant);
                    }
                )+
                Err(format!("'{}' is not one of: {}", s.trim(), Self::accepted()))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use coded_enum;

/// Any record the registry stores, so import, export and the store can treat kinds alike.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Record {
    Organization(Organization),
    Person(Person),
    Outcome(Outcome),
    Demand(Demand),
}

impl Record {
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Organization(_) => RecordKind::Organization,
            Record::Person(_) => RecordKind::Person,
            Record::Outcome(_) => RecordKind::Outcome,
            Record::Demand(_) => RecordKind::Demand,
        }
    }

    /// Keys under which a stored copy may be found, strongest first (see each kind's `natural_key`).
    pub fn identity_keys(&self) -> Vec<String> {
        match self {
            Record::Organization(o) => {
                let mut k = vec![o.natural_key()];
                if o.uscc.is_some() {
                    k.push(format!("name:{}", normalize_name(&o.name)));
                }
                k
            }
            Record::Person(p) => {
                let mut k = vec![p.natural_key()];
                let by_name = format!(
                    "name:{}|{}",
                    normalize_name(&p.name),
                    normalize_name(p.affiliation.as_deref().unwrap_or(""))
                );
                if k[0] != by_name {
                    k.push(by_name);
                }
                k
            }
            Record::Outcome(o) => o.identity_keys(),
            Record::Demand(d) => vec![d.natural_key()],
        }
    }

    pub fn natural_key(&self) -> String {
        self.identity_keys().remove(0)
    }

    /// Cross-field checks of the record's kind.
    pub fn check(&self) -> Vec<FieldError> {
        match self {
            Record::Organization(o) => o.check(),
            Record::Person(p) => p.check(),
            Record::Outcome(o) => o.check(),
            Record::Demand(d) => d.check(),
        }
    }

    /// Short human label: a name or a title.
    pub fn label(&self) -> &str {
        match self {
            Record::Organization(o) => &o.name,
            Record::Person(p) => &p.name,
            Record::Outcome(o) => &o.title,
            Record::Demand(d) => &d.title,
        }
    }

    /// Parses a stored canonical JSON document of the given kind.
    pub fn from_json(kind: RecordKind, doc: &str) -> Result<Record, serde_json::Error> {
        Ok(match kind {
            RecordKind::Organization => Record::Organization(serde_json::from_str(doc)?),
            RecordKind::Person => Record::Person(serde_json::from_str(doc)?),
            RecordKind::Outcome => Record::Outcome(serde_json::from_str(doc)?),
            RecordKind::Demand => Record::Demand(serde_json::from_str(doc)?),
        })
    }
}
