use crate::{coded_enum, keys, Doi, FieldError, IpcCode, Lang, PatentNumber, Trl, Uscc};

coded_enum! {
    /// What kind of research outcome (成果) a record is.
    OutcomeKind {
        Paper => "paper", "论文", "article";
        Patent => "patent", "专利", "发明专利", "实用新型";
        Software => "software", "软件", "软件著作权", "软著";
        Prototype => "prototype", "样机", "原型", "样品";
        Process => "process", "工艺", "新工艺";
        Standard => "standard", "标准";
        Other => "other", "其他";
    }
}

coded_enum! {
    /// How an outcome may pass to industry.
    TransferMode {
        Transfer => "transfer", "转让", "技术转让";
        Licence => "licence", "许可", "技术许可", "license", "licensing";
        JointDevelopment => "joint_development", "合作开发", "联合开发", "合作";
        Equity => "equity", "作价入股", "入股", "作价投资";
    }
}

/// A research outcome: a paper, patent, piece of software, prototype, process or standard.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub title: String,
    #[serde(default, rename = "abstract", skip_serializing_if = "Option::is_none")]
    pub abstract_text: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    pub lang: Lang,
    /// Owning organizations and people, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// USCC of the main owning organization, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_uscc: Option<Uscc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trl: Option<Trl>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipc: Vec<IpcCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doi: Option<Doi>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patent_no: Option<PatentNumber>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transfer_modes: Vec<TransferMode>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain_nodes: Vec<String>,
    /// Where the record came from (a system, a benchmark corpus, a university register).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The record's identifier in its source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// Licence under which the record's text may be used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Outcome {
    pub fn new(kind: OutcomeKind, title: impl Into<String>) -> Self {
        let title = title.into();
        Outcome {
            kind,
            lang: Lang::detect(&title),
            title,
            abstract_text: None,
            keywords: vec![],
            owners: vec![],
            owner_uscc: None,
            trl: None,
            ipc: vec![],
            year: None,
            doi: None,
            patent_no: None,
            transfer_modes: vec![],
            clusters: vec![],
            chain_nodes: vec![],
            source: None,
            source_id: None,
            licence: None,
            extra: Default::default(),
        }
    }

    /// The keys under which an existing copy of this outcome may already be stored, strongest first:
    /// DOI, patent number, source id, then normalised title + year.
    pub fn identity_keys(&self) -> Vec<String> {
        let mut k = vec![];
        if let Some(d) = &self.doi {
            k.push(format!("doi:{d}"));
        }
        if let Some(p) = &self.patent_no {
            k.push(format!("patent:{p}"));
        }
        if let Some(id) = &self.source_id {
            k.push(format!(
                "src:{}|{}",
                keys::normalize_name(self.source.as_deref().unwrap_or("")),
                id.trim()
            ));
        }
        k.push(self.title_key());
        k
    }

    /// Normalised title + year: the weakest identity, used when nothing better is known.
    pub fn title_key(&self) -> String {
        match self.year {
            Some(y) => format!("title:{}|{y}", keys::normalize_title(&self.title)),
            None => format!("title:{}|", keys::normalize_title(&self.title)),
        }
    }

    /// The strongest identity key; stored as the record's natural key.
    pub fn natural_key(&self) -> String {
        self.identity_keys().remove(0)
    }

    pub fn check(&self) -> Vec<FieldError> {
        let mut errs = vec![];
        if self.title.trim().is_empty() {
            errs.push(FieldError::missing("title"));
        }
        if let Some(y) = self.year {
            if !(1900..=2100).contains(&y) {
                errs.push(FieldError::new(
                    "year",
                    &y.to_string(),
                    "year must be between 1900 and 2100",
                ));
            }
        }
        if self.kind == OutcomeKind::Patent && self.patent_no.is_none() && self.source_id.is_none()
        {
            // Not an error: patent applications are often registered before a number is known.
        }
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_prefers_doi_then_patent_then_source_then_title() {
        let mut o = Outcome::new(OutcomeKind::Paper, "Graphene Anodes");
        o.year = Some(2021);
        assert_eq!(o.natural_key(), "title:grapheneanodes|2021");
        o.source = Some("CSL".into());
        o.source_id = Some("csl-1".into());
        assert_eq!(o.natural_key(), "src:csl|csl-1");
        o.doi = Some("10.1/x".parse().unwrap());
        assert_eq!(o.natural_key(), "doi:10.1/x");
        assert_eq!(o.identity_keys().len(), 3);
    }
}
