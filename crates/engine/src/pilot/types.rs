//! What the library exchanges: the inputs of an entry and a machine, the stored detail, and the
//! faces its readers see.

/// A capability parameter as entered.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ParamInput {
    /// The parameter's name (最高温度, max temperature …; see data/pilot/parameters.toml).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    pub value: f64,
    #[cfg_attr(feature = "openapi", schema(max_length = 20))]
    pub unit: String,
}

/// One line of a fee schedule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Fee {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub item: String,
    /// `hour`, `day`, `batch`, `sample` or `project`.
    pub unit: String,
    /// Integer fen per unit.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100000000000_i64))]
    pub fen: i64,
    /// The price for small and medium enterprises, when discounted.
    #[serde(default)]
    pub sme_fen: Option<i64>,
}

/// A contact person: name and role shown to all; phone and e-mail to the public only when `public`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub public: bool,
}

/// What a platform did (track record).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TrackRecord {
    #[serde(default)]
    pub projects: i64,
    #[serde(default)]
    pub products: i64,
    #[serde(default)]
    pub firms_incubated: i64,
}

/// A library entry's fields besides its columns (stored as JSON).
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct PlatformDetail {
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub summary: String,
    /// 依托单位 (the host organization), as named.
    pub host_org: String,
    pub co_builders: Vec<String>,
    /// One of the six MIIT construction modes.
    pub construction_mode: String,
    /// Chain nodes (data/chains taxonomy codes) it serves.
    pub chain_nodes: Vec<String>,
    /// Service types (data/pilot/vocabulary.toml `services`).
    pub services: Vec<String>,
    /// CMA, CNAS, GMP … (others kept as written).
    pub qualifications: Vec<String>,
    pub service_modes: Vec<String>,
    pub fees: Vec<Fee>,
    /// Alliances (`chengyu_mian`: the Chengdu–Chongqing–Mianyang pilot ecosystem).
    pub alliances: Vec<String>,
    pub contacts: Vec<Contact>,
    pub track_record: TrackRecord,
    /// Recognition document number (认定文号) and validity.
    pub recognition_no: String,
    pub valid_until: Option<String>,
}

/// What creating or editing a library entry takes.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlatformInput {
    /// `poc_centre`, `pilot_platform` or `pilot_base`.
    pub kind: String,
    /// `comprehensive`, `specialised` or `enterprise`.
    pub form: String,
    pub level: String,
    /// One of the six MIIT fields.
    #[serde(default)]
    pub field: String,
    /// The 33618 cluster code it mainly serves.
    #[serde(default)]
    pub cluster: String,
    /// TRL served: from (in) and to (out), 1–9.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 9))]
    pub trl_in: i64,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 9))]
    pub trl_out: i64,
    #[serde(default)]
    pub detail: PlatformDetail,
    /// The version read (editing only).
    #[serde(default)]
    pub version: Option<i64>,
}

/// What adding or editing equipment takes.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EquipmentInput {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    #[serde(default)]
    pub model: String,
    /// `24x7` or weekly windows such as `mon-fri 08:00-18:00; sat 09:00-12:00` (Beijing time).
    #[serde(default = "always")]
    pub hours: String,
    /// Requests inside opening hours are confirmed at once (open booking).
    #[serde(default)]
    pub auto_confirm: bool,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub parameters: Vec<ParamInput>,
    #[serde(default)]
    pub capacity: String,
    #[serde(default)]
    pub batch_size: String,
    /// Integer fen per booked hour.
    #[serde(default)]
    pub fee_fen_per_hour: Option<i64>,
}

fn always() -> String {
    "24x7".into()
}
fn yes() -> bool {
    true
}

/// Equipment's detail column.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub(crate) struct EquipmentDetail {
    pub parameters: Vec<ParamInput>,
    pub capacity: String,
    pub batch_size: String,
    pub fee_fen_per_hour: Option<i64>,
}

/// A capability parameter as shown: as recorded, and in the vocabulary's unit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParamFace {
    pub name: String,
    /// The vocabulary's id (none: a name typed filters cannot compare).
    pub param: Option<String>,
    pub value: f64,
    pub unit: String,
}

/// Equipment as shown.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EquipmentFace {
    pub id: i64,
    pub platform_id: i64,
    pub name: String,
    pub model: String,
    pub hours: String,
    pub auto_confirm: bool,
    pub active: bool,
    pub parameters: Vec<ParamFace>,
    pub capacity: String,
    pub batch_size: String,
    pub fee_fen_per_hour: Option<i64>,
}

/// A library entry as shown to its reader.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformFace {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub kind: String,
    pub form: String,
    pub level: String,
    pub field: String,
    pub cluster: String,
    pub region_code: Option<String>,
    /// In Chongqing.
    pub local: bool,
    /// A member of an alliance (成渝绵) outside Chongqing.
    pub alliance: bool,
    pub trl_in: i64,
    pub trl_out: i64,
    /// Contacts' private details are blank unless the reader may see them.
    pub detail: PlatformDetail,
    pub equipment: Vec<EquipmentFace>,
    pub version: i64,
    /// The reader is its staff (or an operator): may edit it and answer its bookings.
    pub staff: bool,
}
