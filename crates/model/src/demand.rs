use chrono::NaiveDate;

use crate::{coded_enum, keys, BudgetRange, FieldError, Region, Trl, Uscc};

coded_enum! {
    /// Who may read a demand's details. Titles of `registered` demands are visible to signed-in users;
    /// `nda` demands only to their owner, administrators and parties who signed the NDA.
    Confidentiality {
        Public => "public", "公开";
        Registered => "registered", "注册用户可见", "registered_users", "注册用户";
        Nda => "nda", "保密", "签署保密协议后可见", "nda_only", "保密协议";
    }
}

coded_enum! {
    /// How an enterprise wants to work with whoever solves its problem.
    CooperationMode {
        Transfer => "transfer", "技术转让", "转让";
        Licence => "licence", "技术许可", "许可", "license";
        JointDevelopment => "joint_development", "合作开发", "联合开发";
        Commissioned => "commissioned", "委托开发", "委托研发";
        Service => "service", "技术服务", "技术咨询", "consulting";
        Equity => "equity", "入股", "作价入股", "股权合作";
    }
}

coded_enum! {
    /// Where a demand stands.
    DemandStatus {
        Open => "open", "征集中", "开放";
        Matched => "matched", "已对接", "对接中";
        Closed => "closed", "已关闭", "已解决", "关闭";
    }
}

/// An enterprise's technology need (企业技术需求).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Demand {
    /// The enterprise's own reference for the need, when it has one (e.g. XQ-2026-001).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_uscc: Option<Uscc>,
    pub title: String,
    pub problem: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_metrics: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "BudgetRange::is_open")]
    pub budget: BudgetRange,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<NaiveDate>,
    /// The maturity the enterprise needs (e.g. 7: ready for a production-line pilot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trl_needed: Option<Trl>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain_nodes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cooperation: Vec<CooperationMode>,
    pub confidentiality: Confidentiality,
    /// For an NDA-only need: what every signed-in user may read of it (公开摘要), so solvers can
    /// find it and ask to sign; the rest stays with those who signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_summary: Option<String>,
    pub status: DemandStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Demand {
    pub fn new(
        owner: impl Into<String>,
        title: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Demand {
            code: None,
            owner: owner.into(),
            owner_uscc: None,
            title: title.into(),
            problem: problem.into(),
            target_metrics: vec![],
            keywords: vec![],
            budget: BudgetRange::default(),
            deadline: None,
            trl_needed: None,
            clusters: vec![],
            chain_nodes: vec![],
            cooperation: vec![],
            confidentiality: Confidentiality::Public,
            public_summary: None,
            status: DemandStatus::Open,
            region: None,
            source: None,
            extra: Default::default(),
        }
    }

    /// Identity across re-imports: the owner's code for the need, else owner + normalised title.
    pub fn natural_key(&self) -> String {
        let owner = match &self.owner_uscc {
            Some(u) => u.to_string(),
            None => keys::normalize_name(&self.owner),
        };
        match &self.code {
            Some(c) => format!("code:{owner}|{}", c.trim()),
            None => format!("title:{owner}|{}", keys::normalize_title(&self.title)),
        }
    }

    pub fn check(&self) -> Vec<FieldError> {
        let mut errs = vec![];
        for (field, v) in [
            ("owner", &self.owner),
            ("title", &self.title),
            ("problem", &self.problem),
        ] {
            if v.trim().is_empty() {
                errs.push(FieldError::missing(field));
            }
        }
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_confidentiality_in_both_languages() {
        assert_eq!(
            "保密".parse::<Confidentiality>().unwrap(),
            Confidentiality::Nda
        );
        assert_eq!(
            "NDA".parse::<Confidentiality>().unwrap(),
            Confidentiality::Nda
        );
        assert_eq!(
            "registered".parse::<Confidentiality>().unwrap(),
            Confidentiality::Registered
        );
        let err = "secret".parse::<Confidentiality>().unwrap_err();
        assert!(err.contains("public (公开)"), "{err}");
    }

    #[test]
    fn natural_key_uses_code_when_given() {
        let mut d = Demand::new("重庆某汽车零部件有限公司", "电池热管理", "…");
        assert!(d.natural_key().starts_with("title:"));
        d.code = Some("XQ-1".into());
        assert!(d.natural_key().ends_with("|XQ-1"));
    }
}
