use crate::{coded_enum, keys, FieldError, Region, Uscc};

coded_enum! {
    /// What an organization is; labs, PoC centres and pilot platforms are organizations too.
    OrgKind {
        Enterprise => "enterprise", "企业", "公司", "company";
        University => "university", "高校", "大学", "高等院校";
        ResearchInstitute => "research_institute", "科研院所", "研究院", "研究所", "institute";
        Lab => "lab", "实验室", "重点实验室", "laboratory";
        NewRdInstitution => "new_rd_institution", "新型研发机构", "new-type r&d institution";
        PocCentre => "poc_centre", "概念验证中心", "poc_center", "poc";
        PilotPlatform => "pilot_platform", "中试平台", "中试基地", "pilot";
        Bank => "bank", "银行";
        Fund => "fund", "基金", "投资机构", "investor";
        Government => "government", "政府", "政府部门", "gov";
    }
}

/// An organization on either chain: an enterprise, a university, a lab, a platform, a bank…
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Organization {
    pub kind: OrgKind,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uscc: Option<Uscc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Industry-cluster codes (33618 taxonomy, defined in a later data file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<String>,
    /// Chain-node codes within the clusters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain_nodes: Vec<String>,
    /// Main products or services, used later to find adopters for an outcome.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    /// National industry classification (GB/T 4754-2017) class codes, e.g. `3670`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub industry_codes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The host institution of a lab or platform (e.g. the university running a key lab).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Columns the importer did not recognise, kept rather than dropped.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Organization {
    pub fn new(kind: OrgKind, name: impl Into<String>) -> Self {
        Organization {
            kind,
            name: name.into(),
            uscc: None,
            region: None,
            address: None,
            clusters: vec![],
            chain_nodes: vec![],
            products: vec![],
            industry_codes: vec![],
            business_scope: None,
            description: None,
            host: None,
            website: None,
            source: None,
            extra: Default::default(),
        }
    }

    /// Identity across re-imports: the USCC when known, else the normalised name.
    pub fn natural_key(&self) -> String {
        match &self.uscc {
            Some(u) => format!("uscc:{u}"),
            None => format!("name:{}", keys::normalize_name(&self.name)),
        }
    }

    /// Rules that span fields; single values are already valid by construction.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errs = vec![];
        if self.name.trim().is_empty() {
            errs.push(FieldError::missing("name"));
        }
        if self.kind == OrgKind::Enterprise && self.uscc.is_none() {
            // Enterprises registered in China always have one; without it re-imports cannot match.
            errs.push(FieldError::new(
                "uscc",
                "",
                "an enterprise needs its 18-character USCC (统一社会信用代码): copy it from the business licence",
            ));
        }
        errs
    }
}
