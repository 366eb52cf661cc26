//! The catalogue of outcome instruments: each is data (its items and response ranges) plus a
//! scoring function. Adding an instrument is a new entry here, not a new table: measurements store
//! the instrument's key and one row per item response.

use crate::error::{AppError, AppResult};

/// One question of an instrument.
#[derive(Debug, Clone, Copy)]
pub struct Item {
    /// Stable key stored with each response, e.g. `thinking_clearly`.
    pub key: &'static str,
    /// The wording put to the person.
    pub text: &'static str,
    pub min: i16,
    pub max: i16,
    /// Whether a higher response is the better one (false for ONS4 anxiety).
    pub higher_is_better: bool,
    /// Labels of the response values from `min` upwards, when the scale has named points.
    pub response_labels: &'static [&'static str],
    /// The item's bands, when the instrument defines them.
    pub bands: Option<fn(i16) -> &'static str>,
    /// How an improvement reads in a report: "66% were able to think more clearly".
    pub improved_phrase: &'static str,
}

/// What the server computes from a complete, valid set of responses.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Scores {
    /// Sum of the items (only where the instrument is summed).
    pub raw: Option<i32>,
    /// The converted score (SWEMWBS metric score).
    pub metric: Option<f64>,
}

/// An outcome instrument.
#[derive(Debug)]
pub struct Instrument {
    pub key: &'static str,
    pub name: &'static str,
    /// How it is scored, for people reading the API.
    pub scoring: &'static str,
    pub items: &'static [Item],
    /// Scores from the responses in `items` order (already checked complete and in range).
    pub score: fn(&[i16]) -> Scores,
}

impl Instrument {
    pub fn item(&self, key: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.key == key)
    }

    /// Checks a set of `(item, value)` responses: every item exactly once, each within its range.
    /// Returns the values in `items` order. Errors name the item.
    pub fn validate(&self, responses: &[(String, i32)]) -> AppResult<Vec<i16>> {
        let mut values: Vec<Option<i16>> = vec![None; self.items.len()];
        for (key, value) in responses {
            let Some(position) = self.items.iter().position(|i| i.key == key) else {
                let known: Vec<&str> = self.items.iter().map(|i| i.key).collect();
                return Err(AppError::bad_input(
                    "responses",
                    format!("{} has no item {key:?}; its items are {}", self.name, known.join(", ")),
                ));
            };
            let item = &self.items[position];
            if values[position].is_some() {
                return Err(AppError::bad_input("responses", format!("item {key:?} is answered twice")));
            }
            if *value < i32::from(item.min) || *value > i32::from(item.max) {
                return Err(AppError::bad_input(
                    "responses",
                    format!("item {key:?} ({}) must be {} to {}, got {value}", item.text, item.min, item.max),
                ));
            }
            values[position] = Some(*value as i16);
        }
        let missing: Vec<&str> =
            self.items.iter().zip(&values).filter(|(_, v)| v.is_none()).map(|(i, _)| i.key).collect();
        if !missing.is_empty() {
            return Err(AppError::bad_input(
                "responses",
                format!("{} is incomplete: no response for {}", self.name, missing.join(", ")),
            ));
        }
        Ok(values.into_iter().flatten().collect())
    }
}

const SWEMWBS_LABELS: &[&str] = &["None of the time", "Rarely", "Some of the time", "Often", "All of the time"];

const fn swemwbs_item(key: &'static str, text: &'static str, improved_phrase: &'static str) -> Item {
    Item {
        key,
        text,
        min: 1,
        max: 5,
        higher_is_better: true,
        response_labels: SWEMWBS_LABELS,
        bands: None,
        improved_phrase,
    }
}

/// Short Warwick-Edinburgh Mental Wellbeing Scale: 7 items, each 1–5.
pub const SWEMWBS_ITEMS: &[Item] = &[
    swemwbs_item("optimistic", "I've been feeling optimistic about the future", "felt more optimistic"),
    swemwbs_item("useful", "I've been feeling useful", "felt more useful"),
    swemwbs_item("relaxed", "I've been feeling relaxed", "felt more relaxed"),
    swemwbs_item(
        "dealing_with_problems",
        "I've been dealing with problems well",
        "were better able to deal with problems",
    ),
    swemwbs_item("thinking_clearly", "I've been thinking clearly", "were able to think more clearly"),
    swemwbs_item("close_to_others", "I've been feeling close to other people", "felt closer to other people"),
    swemwbs_item(
        "own_mind",
        "I've been able to make up my own mind about things",
        "were better able to make up their own mind",
    ),
];

/// The published SWEMWBS raw-to-metric conversion table (Warwick Medical School), raw 7..=35.
pub const SWEMWBS_METRIC: [f64; 29] = [
    7.00, 9.51, 11.25, 12.40, 13.33, 14.08, 14.75, 15.32, 15.84, 16.36, 16.88, 17.43, 17.98, 18.59, 19.25, 19.98,
    20.73, 21.54, 22.35, 23.21, 24.11, 25.03, 26.02, 27.03, 28.13, 29.31, 30.70, 32.55, 35.00,
];

/// The SWEMWBS metric score of a raw total (7–35).
pub fn swemwbs_metric(raw: i32) -> Option<f64> {
    usize::try_from(raw - 7).ok().and_then(|i| SWEMWBS_METRIC.get(i).copied())
}

fn score_swemwbs(values: &[i16]) -> Scores {
    let raw: i32 = values.iter().map(|v| i32::from(*v)).sum();
    Scores { raw: Some(raw), metric: swemwbs_metric(raw) }
}

/// ONS thresholds for life satisfaction, worthwhile and happiness.
fn ons4_positive_band(value: i16) -> &'static str {
    match value {
        0..=4 => "Low",
        5..=6 => "Medium",
        7..=8 => "High",
        _ => "Very high",
    }
}

/// ONS thresholds for anxiety (where low is good).
fn ons4_anxiety_band(value: i16) -> &'static str {
    match value {
        0..=1 => "Very low",
        2..=3 => "Low",
        4..=5 => "Medium",
        _ => "High",
    }
}

const fn ons4_item(
    key: &'static str,
    text: &'static str,
    higher_is_better: bool,
    improved_phrase: &'static str,
) -> Item {
    Item {
        improved_phrase,
        key,
        text,
        min: 0,
        max: 10,
        higher_is_better,
        response_labels: &[],
        bands: Some(if higher_is_better { ons4_positive_band } else { ons4_anxiety_band }),
    }
}

/// ONS4 personal wellbeing: four separate 0–10 questions, never summed.
pub const ONS4_ITEMS: &[Item] = &[
    ons4_item(
        "life_satisfaction",
        "Overall, how satisfied are you with your life nowadays?",
        true,
        "were more satisfied with their life",
    ),
    ons4_item(
        "worthwhile",
        "Overall, to what extent do you feel that the things you do in your life are worthwhile?",
        true,
        "felt the things they do are more worthwhile",
    ),
    ons4_item("happiness", "Overall, how happy did you feel yesterday?", true, "felt happier"),
    ons4_item(
        "anxiety",
        "On a scale where 0 is \"not at all anxious\" and 10 is \"completely anxious\", overall, how anxious did you feel yesterday?",
        false,
        "felt less anxious",
    ),
];

fn score_ons4(_: &[i16]) -> Scores {
    Scores::default()
}

pub const SWEMWBS: Instrument = Instrument {
    key: "swemwbs",
    name: "Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS)",
    scoring: "7 items scored 1–5 and summed (raw 7–35), converted to the metric score with the published Warwick conversion table",
    items: SWEMWBS_ITEMS,
    score: score_swemwbs,
};

pub const ONS4: Instrument = Instrument {
    key: "ons4",
    name: "ONS4 personal wellbeing",
    scoring: "four separate 0–10 items, each with its ONS band; never summed",
    items: ONS4_ITEMS,
    score: score_ons4,
};

/// Every instrument the server scores.
pub const CATALOGUE: &[&Instrument] = &[&SWEMWBS, &ONS4];

/// The instrument with `key`, or an error naming the known ones.
pub fn by_key(key: &str) -> AppResult<&'static Instrument> {
    let wanted = key.trim().to_ascii_lowercase();
    CATALOGUE.iter().copied().find(|i| i.key == wanted).ok_or_else(|| {
        let known: Vec<&str> = CATALOGUE.iter().map(|i| i.key).collect();
        AppError::bad_input("instrument", format!("unknown instrument {key:?}; known: {}", known.join(", ")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every raw total against the published table, reached through real responses.
    #[test]
    fn every_swemwbs_raw_total_scores_as_the_published_table() {
        let table = [
            (7, 7.00),
            (8, 9.51),
            (9, 11.25),
            (10, 12.40),
            (11, 13.33),
            (12, 14.08),
            (13, 14.75),
            (14, 15.32),
            (15, 15.84),
            (16, 16.36),
            (17, 16.88),
            (18, 17.43),
            (19, 17.98),
            (20, 18.59),
            (21, 19.25),
            (22, 19.98),
            (23, 20.73),
            (24, 21.54),
            (25, 22.35),
            (26, 23.21),
            (27, 24.11),
            (28, 25.03),
            (29, 26.02),
            (30, 27.03),
            (31, 28.13),
            (32, 29.31),
            (33, 30.70),
            (34, 32.55),
            (35, 35.00),
        ];
        for (raw, metric) in table {
            // Spread the total over the seven items (each 1–5).
            let mut left = raw - 7;
            let responses: Vec<(String, i32)> = SWEMWBS_ITEMS
                .iter()
                .map(|item| {
                    let extra = left.min(4);
                    left -= extra;
                    (item.key.to_owned(), 1 + extra)
                })
                .collect();
            let values = SWEMWBS.validate(&responses).unwrap();
            let scores = (SWEMWBS.score)(&values);
            assert_eq!(scores.raw, Some(raw));
            assert_eq!(scores.metric, Some(metric), "raw {raw}");
        }
        assert_eq!(swemwbs_metric(6), None);
        assert_eq!(swemwbs_metric(36), None);
    }

    #[test]
    fn incomplete_duplicate_unknown_and_out_of_range_responses_name_the_item() {
        let all = |v: i32| SWEMWBS_ITEMS.iter().map(|i| (i.key.to_owned(), v)).collect::<Vec<_>>();
        let message = |e: AppError| match e {
            AppError::BadUserInput { message, .. } => message,
            other => panic!("{other:?}"),
        };
        let mut missing = all(3);
        missing.retain(|(k, _)| k != "relaxed");
        assert!(message(SWEMWBS.validate(&missing).unwrap_err()).contains("no response for relaxed"));
        let mut high = all(3);
        high[4].1 = 6;
        let m = message(SWEMWBS.validate(&high).unwrap_err());
        assert!(m.contains("thinking_clearly") && m.contains("1 to 5, got 6"), "{m}");
        let mut twice = all(3);
        twice.push(("useful".into(), 2));
        assert!(message(SWEMWBS.validate(&twice).unwrap_err()).contains("\"useful\" is answered twice"));
        let mut unknown = all(3);
        unknown.push(("cheerful".into(), 2));
        assert!(message(SWEMWBS.validate(&unknown).unwrap_err()).contains("no item \"cheerful\""));
        let ons = ONS4_ITEMS.iter().map(|i| (i.key.to_owned(), -1)).collect::<Vec<_>>();
        assert!(message(ONS4.validate(&ons).unwrap_err()).contains("life_satisfaction"));
    }

    #[test]
    fn ons4_is_never_summed_and_bands_follow_the_ons_thresholds() {
        let values = ONS4.validate(&ONS4_ITEMS.iter().map(|i| (i.key.to_owned(), 7)).collect::<Vec<_>>()).unwrap();
        assert_eq!((ONS4.score)(&values), Scores::default());
        let positive = ONS4.item("happiness").unwrap().bands.unwrap();
        let anxiety = ONS4.item("anxiety").unwrap().bands.unwrap();
        assert_eq!(
            (0..=10).map(positive).collect::<Vec<_>>(),
            ["Low", "Low", "Low", "Low", "Low", "Medium", "Medium", "High", "High", "Very high", "Very high"]
        );
        assert_eq!(
            (0..=10).map(anxiety).collect::<Vec<_>>(),
            ["Very low", "Very low", "Low", "Low", "Medium", "Medium", "High", "High", "High", "High", "High"]
        );
        assert!(!ONS4.item("anxiety").unwrap().higher_is_better);
        assert_eq!(by_key(" SWEMWBS ").unwrap().key, "swemwbs");
        assert!(by_key("phq9").is_err());
    }
}
