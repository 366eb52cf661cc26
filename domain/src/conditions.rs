//! The catalogue of long-term conditions the product codes, from the checked reference pack
//! (`data/ltc-conditions.csv`: SNOMED CT concept, term and QOF cluster, each with its source).

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongTermCondition {
    /// Stable short key, e.g. `heart_failure`.
    pub key: String,
    pub name: String,
    pub snomed_code: String,
    pub snomed_term: String,
    /// NHS Digital primary care domain refset the code was found in (e.g. `HF_COD`).
    pub qof_cluster: Option<String>,
}

static CATALOGUE: LazyLock<Vec<LongTermCondition>> =
    LazyLock::new(|| parse_catalogue(include_str!("../data/ltc-conditions.csv")));

static BY_CODE: LazyLock<HashMap<&'static str, &'static LongTermCondition>> =
    LazyLock::new(|| catalogue().iter().map(|c| (c.snomed_code.as_str(), c)).collect());

pub fn catalogue() -> &'static [LongTermCondition] {
    &CATALOGUE
}

pub fn by_code(code: &str) -> Option<&'static LongTermCondition> {
    BY_CODE.get(code).copied()
}

pub fn by_key(key: &str) -> Option<&'static LongTermCondition> {
    catalogue().iter().find(|c| c.key == key)
}

/// Accepts either a SNOMED CT code or a catalogue key.
pub fn resolve(code_or_key: &str) -> Option<&'static LongTermCondition> {
    by_code(code_or_key).or_else(|| by_key(code_or_key))
}

/// Minimal CSV reader for the catalogue file: fields may be double-quoted, quotes doubled inside.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

fn parse_catalogue(text: &str) -> Vec<LongTermCondition> {
    let mut lines = text.lines();
    let header = split_csv_line(lines.next().unwrap_or_default());
    let col = |name: &str| {
        header.iter().position(|h| h == name).unwrap_or_else(|| panic!("ltc-conditions.csv has no column {name}"))
    };
    let (key, name, code, term, qof) =
        (col("key"), col("name"), col("snomed_ct_id"), col("snomed_term"), col("qof_register"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f = split_csv_line(line);
            LongTermCondition {
                key: f[key].clone(),
                name: f[name].clone(),
                snomed_code: f[code].clone(),
                snomed_term: f[term].clone(),
                qof_cluster: Some(f[qof].clone()).filter(|s| !s.is_empty()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_loads_every_reference_row() {
        assert_eq!(catalogue().len(), 22);
        let hf = by_key("heart_failure").unwrap();
        assert_eq!(hf.snomed_code, "84114007");
        assert_eq!(hf.qof_cluster.as_deref(), Some("HF_COD"));
        assert_eq!(by_code("49049000").unwrap().name, "Parkinson's disease");
        assert_eq!(
            resolve("serious_mental_illness").unwrap().name,
            "Serious mental illness (schizophrenia, bipolar, psychosis)"
        );
        assert!(by_code("cancer").is_none());
        assert!(resolve("cancer").is_some());
        assert_eq!(by_key("cancer").unwrap().qof_cluster, None);
    }
}
