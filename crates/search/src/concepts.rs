//! What a hit in another language than the query holds of it: the query's words and the hit's words
//! the dictionary bridge matched them to.

/// A word of the query and the candidate's word in another language it was matched to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Concept {
    pub from: String,
    pub to: String,
}

/// The translated terms `text` holds, each with the query word it came from and the text's own word
/// (its first occurrence), in the order of the translation.
pub fn concepts(translated: &[bridge::Term], passage: &str) -> Vec<Concept> {
    let mut surface: Vec<Option<String>> = vec![None; translated.len()];
    text::Analyzer::shared().analyze_each(passage, |t, from, to| {
        if let Some(i) = translated.iter().position(|x| x.text == t) {
            if surface[i].is_none() {
                surface[i] = Some(passage[from..to].to_string());
            }
        }
    });
    let mut out: Vec<Concept> = vec![];
    for (t, s) in translated.iter().zip(surface) {
        let Some(to) = s else { continue };
        if t.from.eq_ignore_ascii_case(&to) {
            continue; // a name or number the texts share: no translation to show
        }
        match out.iter_mut().find(|c| c.from == t.from) {
            Some(c) if !c.to.split(", ").any(|w| w.eq_ignore_ascii_case(&to)) => {
                c.to = format!("{}, {to}", c.to);
            }
            Some(_) => {}
            None => out.push(Concept {
                from: t.from.clone(),
                to,
            }),
        }
    }
    out
}
