use crate::{coded_enum, keys, FieldError, Region};

coded_enum! {
    /// The role a person plays on the platform.
    PersonKind {
        Expert => "expert", "专家";
        Researcher => "researcher", "科研人员", "研究人员", "研究员";
        Broker => "broker", "技术经理人", "技术经纪人", "经纪人";
    }
}

/// How to reach a person. Private unless `contact_public` is set on the person.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Contact {
    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.phone.is_none()
    }
}

/// An expert, researcher or technology broker.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Person {
    pub kind: PersonKind,
    pub name: String,
    /// Name of the university, institute or company the person works for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affiliation: Option<String>,
    /// Professional title (职称), e.g. 教授, 研究员, 高级工程师.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Research fields or specialities, free words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orcid: Option<String>,
    #[serde(default, skip_serializing_if = "Contact::is_empty")]
    pub contact: Contact,
    /// Whether the contact may be shown to other users. Defaults to false.
    #[serde(default)]
    pub contact_public: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain_nodes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Person {
    pub fn new(kind: PersonKind, name: impl Into<String>) -> Self {
        Person {
            kind,
            name: name.into(),
            affiliation: None,
            title: None,
            fields: vec![],
            bio: None,
            region: None,
            orcid: None,
            contact: Contact::default(),
            contact_public: false,
            clusters: vec![],
            chain_nodes: vec![],
            source: None,
            extra: Default::default(),
        }
    }

    /// Identity across re-imports: ORCID, else e-mail, else name within affiliation.
    pub fn natural_key(&self) -> String {
        if let Some(o) = &self.orcid {
            return format!("orcid:{o}");
        }
        if let Some(e) = &self.contact.email {
            return format!("email:{}", e.trim().to_lowercase());
        }
        format!(
            "name:{}|{}",
            keys::normalize_name(&self.name),
            keys::normalize_name(self.affiliation.as_deref().unwrap_or(""))
        )
    }

    /// A copy safe to show someone who may not see private contact details.
    pub fn without_private_contact(&self) -> Person {
        let mut p = self.clone();
        if !p.contact_public {
            p.contact = Contact::default();
        }
        p
    }

    /// The person as everyone may see them — the one redaction rule of the API, the pages and the
    /// exports: no private contact, and none of the unmapped import columns (`extra`), which may hold
    /// a WeChat id or a phone number under a header the importer did not know.
    pub fn public_view(&self) -> Person {
        let mut p = self.without_private_contact();
        p.extra.clear();
        p
    }

    /// Whether [`Person::public_view`] withholds anything.
    pub fn has_private_details(&self) -> bool {
        (!self.contact_public && !self.contact.is_empty()) || !self.extra.is_empty()
    }

    pub fn check(&self) -> Vec<FieldError> {
        let mut errs = vec![];
        if self.name.trim().is_empty() {
            errs.push(FieldError::missing("name"));
        }
        if let Some(e) = &self.contact.email {
            if !e.contains('@') {
                errs.push(FieldError::new("email", e, "not an e-mail address"));
            }
        }
        errs
    }
}
