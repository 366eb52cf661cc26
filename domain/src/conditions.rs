//! The catalogue of long-term conditions the product codes, from the checked reference pack
//! (`data/ltc-conditions.csv`: SNOMED CT concept, term and QOF cluster, each with its source), and
//! which of them fall in a sensitive category (`data/sensitive-conditions.csv`: mental health,
//! safeguarding, sexual health), whose detail opens only to clinical roles ([`ConditionView`]).

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
    /// The sensitive category the condition falls in, if any.
    pub sensitive: Option<SensitiveCategory>,
}

/// A category of health information that shared care records open only to clinical roles with a
/// care relationship, whatever else a role reads of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensitiveCategory {
    MentalHealth,
    /// No catalogue condition is in it yet; a code added with it is withheld the same way.
    Safeguarding,
    /// No catalogue condition is in it yet; a code added with it is withheld the same way.
    SexualHealth,
}

/// What a reader sees of a person's coded conditions: all of them, or all but those in a sensitive
/// category (`Caller::condition_view`). What it hides it hides everywhere: in the list, in counts of
/// conditions, in selections and orders by them, in the reasons a proposal or a suggestion gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionView {
    All,
    ExceptSensitive,
}

impl ConditionView {
    /// Whether a condition coded `code` is shown.
    pub fn shows(self, code: &str) -> bool {
        self == Self::All || by_code(code).is_none_or(|c| c.sensitive.is_none())
    }

    /// Refuses a selection by a condition this view hides: who is selected would say who has it.
    pub fn check_codes(self, codes: &[String]) -> crate::error::AppResult<()> {
        match codes.iter().find(|code| !self.shows(code)) {
            Some(code) => Err(crate::error::AppError::forbidden(format!(
                "{code} is in a sensitive category (mental health, safeguarding, sexual health), which opens only to clinical roles: your role cannot select or count people by it"
            ))),
            None => Ok(()),
        }
    }

    /// The codes this view hides (none for `All`).
    pub fn hidden_codes(self) -> Vec<String> {
        match self {
            Self::All => Vec::new(),
            Self::ExceptSensitive => SENSITIVE_CODES.clone(),
        }
    }
}

static CATALOGUE: LazyLock<Vec<LongTermCondition>> = LazyLock::new(|| {
    let mut catalogue = parse_catalogue(include_str!("../data/ltc-conditions.csv"));
    mark_sensitive(&mut catalogue, include_str!("../data/sensitive-conditions.csv"));
    catalogue
});

/// The codes of the catalogue's sensitive conditions, worked out once.
static SENSITIVE_CODES: LazyLock<Vec<String>> =
    LazyLock::new(|| catalogue().iter().filter(|c| c.sensitive.is_some()).map(|c| c.snomed_code.clone()).collect());

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

/// One row of `data/sensitive-conditions.csv`.
#[derive(serde::Deserialize)]
struct SensitiveRow {
    key: String,
    category: SensitiveCategory,
}

/// Marks the catalogue's sensitive conditions. Like the catalogue, part of the build: a row naming
/// no condition of the catalogue, or no category, is a defect of the release and panics naming it.
fn mark_sensitive(catalogue: &mut [LongTermCondition], text: &str) {
    for (i, row) in csv::Reader::from_reader(text.as_bytes()).deserialize::<SensitiveRow>().enumerate() {
        let row = row.unwrap_or_else(|e| panic!("sensitive-conditions.csv row {}: {e}", i + 2));
        let condition = catalogue.iter_mut().find(|c| c.key == row.key).unwrap_or_else(|| {
            panic!("sensitive-conditions.csv row {}: no condition {:?} in the catalogue", i + 2, row.key)
        });
        condition.sensitive = Some(row.category);
    }
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
                sensitive: None,
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
    fn mental_health_diagnoses_are_sensitive_and_hidden_from_a_view_without_them() {
        let sensitive: Vec<&str> =
            catalogue().iter().filter(|c| c.sensitive.is_some()).map(|c| c.key.as_str()).collect();
        assert_eq!(sensitive, ["depression", "serious_mental_illness"]);
        assert_eq!(by_key("depression").unwrap().sensitive, Some(SensitiveCategory::MentalHealth));
        let view = ConditionView::ExceptSensitive;
        assert!(!view.shows("35489007") && !view.shows("58214004"));
        assert!(view.shows("84114007"), "heart failure is not sensitive");
        assert!(view.shows("999999"), "a code outside the catalogue is shown (it names no category)");
        assert!(ConditionView::All.shows("35489007"));
        assert_eq!(view.hidden_codes(), ["35489007", "58214004"]);
        assert!(ConditionView::All.hidden_codes().is_empty());
    }

    #[test]
    #[should_panic(expected = "sensitive-conditions.csv row 2: no condition \"gout\"")]
    fn a_sensitive_row_naming_no_condition_names_its_row() {
        let mut catalogue = parse_catalogue("key,name,snomed_ct_id,snomed_term,qof_register\na,A,1,One,\n");
        mark_sensitive(&mut catalogue, "key,category,basis\ngout,mental_health,x\n");
    }

    #[test]
    #[should_panic(expected = "sensitive-conditions.csv row 2")]
    fn a_sensitive_row_with_an_unknown_category_names_its_row() {
        let mut catalogue = parse_catalogue("key,name,snomed_ct_id,snomed_term,qof_register\na,A,1,One,\n");
        mark_sensitive(&mut catalogue, "key,category,basis\na,gossip,x\n");
    }

    #[test]
    fn safeguarding_and_sexual_health_are_categories_a_row_may_name() {
        let mut catalogue = parse_catalogue("key,name,snomed_ct_id,snomed_term,qof_register\na,A,1,One,\nb,B,2,Two,\n");
        mark_sensitive(&mut catalogue, "key,category,basis\na,safeguarding,x\nb,sexual_health,y\n");
        assert_eq!(catalogue[0].sensitive, Some(SensitiveCategory::Safeguarding));
        assert_eq!(catalogue[1].sensitive, Some(SensitiveCategory::SexualHealth));
    }

    #[test]
    #[should_panic(expected = "ltc-conditions.csv row 3")]
    fn a_row_without_a_column_names_its_row() {
        parse_catalogue("key,name,snomed_ct_id,snomed_term,qof_register\na,A,1,One,\nb,B\n");
    }
}
