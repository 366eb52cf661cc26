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

/// One row of `data/ltc-conditions.csv`, by column name (the file has more columns: prevalence and
/// each row's sources, which the product does not read).
#[derive(serde::Deserialize)]
struct CatalogueRow {
    key: String,
    name: String,
    snomed_ct_id: String,
    snomed_term: String,
    qof_register: Option<String>,
}

/// The catalogue is part of the build: a malformed row is a defect of the release, found by the
/// test below, so it panics naming the row.
fn parse_catalogue(text: &str) -> Vec<LongTermCondition> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize::<CatalogueRow>()
        .enumerate()
        .map(|(i, row)| {
            let row = row.unwrap_or_else(|e| panic!("ltc-conditions.csv row {}: {e}", i + 2));
            LongTermCondition {
                key: row.key,
                name: row.name,
                snomed_code: row.snomed_ct_id,
                snomed_term: row.snomed_term,
                qof_cluster: row.qof_register.filter(|s| !s.is_empty()),
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
        // A quoted field keeps its comma.
        assert_eq!(by_key("hypertension").unwrap().snomed_term, "Hypertensive disorder, systemic arterial");
    }

    #[test]
    #[should_panic(expected = "ltc-conditions.csv row 3")]
    fn a_row_without_a_column_names_its_row() {
        parse_catalogue("key,name,snomed_ct_id,snomed_term,qof_register\na,A,1,One,\nb,B\n");
    }
}
