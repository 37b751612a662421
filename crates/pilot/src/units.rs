//! Units and capability parameters: a value in any unit of a dimension compares with a value in any
//! other unit of it (°C with K, L with m³, MPa with bar), and a typed filter such as
//! "最高温度 ≥ 300 °C" or "volume >= 0.5 m3" is parsed against the parameter vocabulary.

use std::collections::HashMap;

use crate::{parse, DataError};

/// One unit: `base = value × factor + offset` in its dimension's base unit.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub symbol: String,
    pub dimension: String,
    pub factor: f64,
    #[serde(default)]
    pub offset: f64,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// One capability parameter of the vocabulary.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    pub id: String,
    pub zh: String,
    pub en: String,
    pub dimension: String,
    /// The unit values are shown in.
    pub unit: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(serde::Deserialize)]
struct UnitFile {
    units: Vec<Unit>,
}

#[derive(serde::Deserialize)]
struct ParameterFile {
    parameters: Vec<Parameter>,
}

/// The unit table and the parameter vocabulary, with their lookups.
#[derive(Debug, Clone)]
pub struct Units {
    pub units: Vec<Unit>,
    pub parameters: Vec<Parameter>,
    unit_by_key: HashMap<String, usize>,
    param_by_key: HashMap<String, usize>,
}

/// A measured value: what was recorded and its value in the base unit (`None`: unknown unit).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Measure {
    /// The parameter's id when the name is in the vocabulary.
    pub param: Option<String>,
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub base: Option<f64>,
}

/// `>=`, `<=`, `>`, `<` or `=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Comparison {
    AtLeast,
    AtMost,
    Above,
    Below,
    Equal,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtLeast => "≥",
            Comparison::AtMost => "≤",
            Comparison::Above => ">",
            Comparison::Below => "<",
            Comparison::Equal => "=",
        }
    }

    fn holds(self, value: f64, limit: f64) -> bool {
        // Values converted between units carry rounding (0.5 m³ → 500.0000000001 L): compare with a
        // tolerance relative to the larger magnitude.
        let eps = 1e-9 * value.abs().max(limit.abs()).max(1.0);
        match self {
            Comparison::AtLeast => value >= limit - eps,
            Comparison::AtMost => value <= limit + eps,
            Comparison::Above => value > limit + eps,
            Comparison::Below => value < limit - eps,
            Comparison::Equal => (value - limit).abs() <= eps,
        }
    }
}

/// A typed parameter filter, parsed: parameter, comparison, limit in the base unit, and as written.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Filter {
    pub param: String,
    pub comparison: Comparison,
    pub value: f64,
    pub unit: String,
    /// The limit in the dimension's base unit.
    pub base: f64,
}

/// Lower-cases and drops spaces, underscores and hyphens: how names and units are looked up.
pub fn key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

impl Units {
    pub fn load(
        units_file: &str,
        units_text: &str,
        params_file: &str,
        params_text: &str,
    ) -> Result<Units, DataError> {
        let u: UnitFile = parse(units_file, units_text)?;
        let p: ParameterFile = parse(params_file, params_text)?;
        let bad = |file: &str, message: String| DataError {
            file: file.into(),
            message,
        };
        let mut unit_by_key: HashMap<String, usize> = HashMap::new();
        for (i, unit) in u.units.iter().enumerate() {
            if !(unit.factor.is_finite() && unit.factor > 0.0 && unit.offset.is_finite()) {
                return Err(bad(
                    units_file,
                    format!("unit `{}`: factor must be positive", unit.symbol),
                ));
            }
            for k in std::iter::once(&unit.symbol).chain(&unit.aliases) {
                for k in [k.clone(), key(k)] {
                    match unit_by_key.insert(k.clone(), i) {
                        Some(j) if j != i => {
                            return Err(bad(
                                units_file,
                                format!(
                                    "`{k}` names both `{}` and `{}`",
                                    u.units[j].symbol, unit.symbol
                                ),
                            ))
                        }
                        _ => {}
                    }
                }
            }
        }
        let mut param_by_key = HashMap::new();
        for (i, par) in p.parameters.iter().enumerate() {
            let Some(&ui) = unit_by_key.get(&par.unit) else {
                return Err(bad(
                    params_file,
                    format!(
                        "parameter `{}`: unit `{}` is not in units.toml",
                        par.id, par.unit
                    ),
                ));
            };
            if u.units[ui].dimension != par.dimension {
                return Err(bad(
                    params_file,
                    format!(
                        "parameter `{}`: unit `{}` measures {}, not {}",
                        par.id, par.unit, u.units[ui].dimension, par.dimension
                    ),
                ));
            }
            for k in [&par.id, &par.zh, &par.en].into_iter().chain(&par.aliases) {
                if let Some(j) = param_by_key.insert(key(k), i) {
                    if j != i {
                        return Err(bad(
                            params_file,
                            format!("`{k}` names both `{}` and `{}`", p.parameters[j].id, par.id),
                        ));
                    }
                }
            }
        }
        Ok(Units {
            units: u.units,
            parameters: p.parameters,
            unit_by_key,
            param_by_key,
        })
    }

    pub fn shipped() -> Units {
        Units::load(
            "units.toml",
            crate::UNITS,
            "parameters.toml",
            crate::PARAMETERS,
        )
        .expect("the shipped units and parameters load")
    }

    /// A unit by its symbol or any alias (exact first, then ignoring case and spaces).
    pub fn unit(&self, s: &str) -> Option<&Unit> {
        let s = s.trim();
        self.unit_by_key
            .get(s)
            .or_else(|| self.unit_by_key.get(&key(s)))
            .map(|&i| &self.units[i])
    }

    /// A parameter by its id, Chinese or English name, or an alias.
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.param_by_key
            .get(&key(name))
            .map(|&i| &self.parameters[i])
    }

    /// A recorded value: its parameter (when the name is known) and base value (when the unit is
    /// known and of the parameter's dimension). An error names what to fix.
    pub fn measure(&self, name: &str, value: f64, unit: &str) -> Result<Measure, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("give the parameter a name (e.g. 最高温度)".into());
        }
        if !value.is_finite() {
            return Err(format!("{name}: give a finite number"));
        }
        let param = self.parameter(name);
        let u = self.unit(unit);
        let base = match (param, u) {
            (Some(p), Some(u)) if u.dimension != p.dimension => {
                return Err(format!(
                    "{name}: `{unit}` is not a unit of {} (use e.g. {})",
                    p.dimension, p.unit
                ));
            }
            (Some(p), None) => {
                return Err(format!(
                    "{name}: unit `{unit}` is not known; write it in {} or another unit of units.toml",
                    p.unit
                ));
            }
            (_, Some(u)) => Some(value * u.factor + u.offset),
            (None, None) => None,
        };
        Ok(Measure {
            param: param.map(|p| p.id.clone()),
            name: name.to_string(),
            value,
            unit: u.map_or_else(|| unit.trim().to_string(), |u| u.symbol.clone()),
            base,
        })
    }

    /// Shows a base value in a parameter's display unit.
    pub fn show(&self, param: &str, base: f64) -> Option<(f64, String)> {
        let p = self.parameter(param)?;
        let u = self.unit(&p.unit)?;
        Some(((base - u.offset) / u.factor, u.symbol.clone()))
    }

    /// Parses "最高温度 ≥ 300 °C", "volume>=0.5 m3", "max_pressure<=10bar" (no unit: the parameter's
    /// display unit).
    pub fn filter(&self, text: &str) -> Result<Filter, String> {
        let t = text.trim();
        const OPS: [(&str, Comparison); 9] = [
            (">=", Comparison::AtLeast),
            ("≥", Comparison::AtLeast),
            ("<=", Comparison::AtMost),
            ("≤", Comparison::AtMost),
            ("＞", Comparison::Above),
            ("＜", Comparison::Below),
            (">", Comparison::Above),
            ("<", Comparison::Below),
            ("=", Comparison::Equal),
        ];
        let found = OPS
            .iter()
            .filter_map(|(s, c)| t.find(s).map(|i| (i, *s, *c)))
            .min_by_key(|(i, s, _)| (*i, usize::MAX - s.len()));
        let Some((at, op, comparison)) = found else {
            return Err(format!(
                "`{t}`: write a parameter, a comparison and a value, e.g. 最高温度>=300°C"
            ));
        };
        let name = t[..at].trim();
        let rest = t[at + op.len()..].trim();
        let param = self.parameter(name).ok_or_else(|| {
            format!(
                "`{name}` is not a capability parameter the search knows (e.g. {})",
                self.parameters
                    .iter()
                    .take(4)
                    .map(|p| p.zh.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            )
        })?;
        let split = rest
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
            .map_or(rest.len(), |(i, _)| i);
        // `e` may start a unit rather than an exponent: back off to the longest number that parses.
        let mut cut = split;
        let value = loop {
            if cut == 0 {
                return Err(format!("`{t}`: give a number after {op}"));
            }
            if let Ok(v) = rest[..cut].parse::<f64>() {
                break v;
            }
            cut -= 1;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
        };
        let unit_text = rest[cut..].trim();
        let unit_text = if unit_text.is_empty() {
            param.unit.as_str()
        } else {
            unit_text
        };
        let m = self.measure(&param.id, value, unit_text)?;
        Ok(Filter {
            param: param.id.clone(),
            comparison,
            value,
            unit: m.unit,
            base: m.base.unwrap_or(value),
        })
    }
}

impl Filter {
    /// Whether a recorded value passes (it must be of the filter's parameter, in a known unit).
    pub fn passes(&self, m: &Measure) -> bool {
        m.param.as_deref() == Some(self.param.as_str())
            && m.base.is_some_and(|b| self.comparison.holds(b, self.base))
    }

    /// The filter as people write it: "max_temperature ≥ 300 °C".
    pub fn describe(&self) -> String {
        format!(
            "{} {} {} {}",
            self.param,
            self.comparison.symbol(),
            self.value,
            self.unit
        )
    }
}

#[cfg(test)]
mod tests;
