//! The shape of the synthetic population: age structure, sex, access flags, long-term conditions and
//! frailty.
//!
//! Sourced: the age structure (`AGE_BANDS`) is the reference pack's `population-age-england.csv`
//! (ONS mid-2021, England). The frailty targets come from the pack's `frailty-by-age.csv` where it has
//! a figure (Walsh 2023: 10.8% of people aged 50–64 frail by eFI) and otherwise from the brief
//! (65+: about 50% fit / 30% mild / 15% moderate / 5% severe; 85+ mostly frail).
//!
//! NOT sourced: the reference pack has no prevalence figures (its `england_prevalence_percent`
//! column is empty), so the condition prevalence table below and the rates of the access flags are
//! shaped approximations (rising with age the way QOF registers do), written for realistic-looking
//! demo data. Do not quote them as statistics.

use chrono::{Days, Months, NaiveDate};
use rand::Rng;

/// England's population by five-year age band, percent (ONS mid-2021; sums to 100.03 by rounding).
pub const AGE_BANDS: &[(u32, f64)] = &[
    (0, 5.41),
    (5, 5.91),
    (10, 6.05),
    (15, 5.70),
    (20, 6.03),
    (25, 6.54),
    (30, 6.99),
    (35, 6.73),
    (40, 6.36),
    (45, 6.32),
    (50, 6.91),
    (55, 6.76),
    (60, 5.80),
    (65, 4.91),
    (70, 4.94),
    (75, 3.69),
    (80, 2.52),
    (85, 1.56),
    (90, 0.90),
];

/// Oldest age generated (the 90+ band is spread over 90..=OLDEST, thinning each year).
pub const OLDEST: u32 = 104;

/// Picks an index with probability proportional to its weight.
pub fn weighted_index(rng: &mut impl Rng, weights: impl Iterator<Item = f64> + Clone) -> usize {
    let total: f64 = weights.clone().sum();
    let mut target = rng.random::<f64>() * total;
    let mut last = 0;
    for (i, w) in weights.enumerate() {
        if target < w {
            return i;
        }
        target -= w;
        last = i;
    }
    last
}

/// A standard normal deviate (Box–Muller).
pub fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// An age in whole years, following England's age structure.
pub fn draw_age(rng: &mut impl Rng) -> u32 {
    let band = weighted_index(rng, AGE_BANDS.iter().map(|(_, p)| *p));
    let start = AGE_BANDS[band].0;
    if start < 90 {
        start + rng.random_range(0..5)
    } else {
        // Each year past 90 about 22% fewer people survive into it.
        90 + weighted_index(rng, (0..=OLDEST - 90).map(|i| 0.78f64.powi(i as i32))) as u32
    }
}

/// A date of birth giving exactly `age` completed years on `today`.
pub fn date_of_birth(rng: &mut impl Rng, today: NaiveDate, age: u32) -> NaiveDate {
    let anniversary = today.checked_sub_months(Months::new(age * 12)).unwrap_or(today);
    // Up to 364 days before the birthday that falls today (or falls on it).
    let back = rng.random_range(0..365u64);
    let dob = anniversary.checked_sub_days(Days::new(back)).unwrap_or(anniversary);
    // Guard the leap-day edge: never older than `age`.
    if completed_years(dob, today) != age {
        anniversary
    } else {
        dob
    }
}

/// Whole years on `today` (never negative).
pub fn completed_years(dob: NaiveDate, today: NaiveDate) -> u32 {
    domain::patients::age_on(dob, today).max(0) as u32
}

/// Probability that a person is female, by age (women outlive men).
pub fn female_share(age: u32) -> f64 {
    match age {
        0..=64 => 0.50,
        65..=79 => 0.52,
        80..=89 => 0.58,
        _ => 0.68,
    }
}

/// Probability of each access flag at an age. Shaped, not sourced.
pub fn lives_alone_rate(age: u32) -> f64 {
    match age {
        0..=17 => 0.0,
        18..=24 => 0.05,
        25..=64 => 0.11,
        65..=74 => 0.30,
        75..=84 => 0.38,
        _ => 0.45,
    }
}

pub fn carer_rate(age: u32) -> f64 {
    match age {
        0..=9 => 0.0,
        10..=17 => 0.015,
        18..=24 => 0.05,
        25..=49 => 0.09,
        50..=64 => 0.15,
        65..=79 => 0.11,
        _ => 0.06,
    }
}

pub fn hearing_impairment_rate(age: u32) -> f64 {
    match age {
        0..=17 => 0.005,
        18..=39 => 0.01,
        40..=59 => 0.03,
        60..=69 => 0.08,
        70..=79 => 0.18,
        80..=89 => 0.35,
        _ => 0.50,
    }
}

pub fn visual_impairment_rate(age: u32) -> f64 {
    match age {
        0..=17 => 0.003,
        18..=59 => 0.01,
        60..=74 => 0.03,
        75..=84 => 0.08,
        _ => 0.16,
    }
}

pub const NATIONAL_DATA_OPT_OUT_RATE: f64 = 0.05;

/// Age bands of the prevalence table: lower bounds of 0–17, 18–29, 30–39, 40–49, 50–59, 60–64,
/// 65–74, 75–84, 85+.
const PREVALENCE_BAND_STARTS: [u32; 9] = [0, 18, 30, 40, 50, 60, 65, 75, 85];

fn prevalence_band(age: u32) -> usize {
    PREVALENCE_BAND_STARTS.iter().rposition(|start| age >= *start).unwrap_or(0)
}

/// When in life a condition is first diagnosed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Onset {
    /// Any time from early childhood.
    Childhood,
    /// From age 18, within the last 30 years.
    Adult,
}

/// eFI deficit a condition counts towards (conditions sharing a deficit count once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Deficit {
    Hypertension,
    Diabetes,
    RespiratoryDisease,
    IschaemicHeartDisease,
    HeartFailure,
    AtrialFibrillation,
    CerebrovascularDisease,
    ChronicKidneyDisease,
    MemoryProblems,
    Osteoporosis,
    Arthritis,
    PeripheralVascularDisease,
    ThyroidDisease,
    Parkinsonism,
}

/// One long-term condition's shape in the synthetic population.
pub struct ConditionShape {
    /// Catalogue key (`domain::conditions::by_key`).
    pub key: &'static str,
    /// Prevalence in percent by band: 0–17, 18–29, 30–39, 40–49, 50–59, 60–64, 65–74, 75–84, 85+.
    pub percent: [f64; 9],
    /// Relative rate in (female, male).
    pub sex: (f64, f64),
    /// How strongly the condition follows the person's general multimorbidity tendency (0..=1).
    pub clustering: f64,
    pub onset: Onset,
    pub deficit: Option<Deficit>,
}

/// Approximate prevalence by age band. SHAPED APPROXIMATIONS, NOT SOURCED: the reference pack holds
/// no prevalence figures, so these are plausible magnitudes rising with age as QOF registers do.
#[rustfmt::skip]
pub const CONDITIONS: &[ConditionShape] = &[
    //                                    0-17  18-29 30-39 40-49 50-59 60-64 65-74 75-84  85+
    ConditionShape { key: "hypertension",
        percent: [0.0,  0.8,  3.0,  9.0, 22.0, 32.0, 45.0, 58.0, 62.0], sex: (0.95, 1.05), clustering: 1.0, onset: Onset::Adult, deficit: Some(Deficit::Hypertension) },
    ConditionShape { key: "type_2_diabetes",
        percent: [0.0,  0.5,  2.0,  5.0,  9.0, 13.0, 17.0, 20.0, 17.0], sex: (0.85, 1.15), clustering: 1.0, onset: Onset::Adult, deficit: Some(Deficit::Diabetes) },
    ConditionShape { key: "type_1_diabetes",
        percent: [0.3,  0.6,  0.6,  0.5,  0.5,  0.4,  0.4,  0.3,  0.2], sex: (0.9, 1.1), clustering: 0.2, onset: Onset::Childhood, deficit: Some(Deficit::Diabetes) },
    ConditionShape { key: "asthma",
        percent: [8.0,  9.0,  8.0,  7.0,  7.0,  7.0,  8.0,  8.0,  7.0], sex: (1.1, 0.9), clustering: 0.4, onset: Onset::Childhood, deficit: Some(Deficit::RespiratoryDisease) },
    ConditionShape { key: "copd",
        percent: [0.0,  0.1,  0.3,  0.9,  2.5,  4.5,  6.5,  9.0,  9.0], sex: (0.95, 1.05), clustering: 1.0, onset: Onset::Adult, deficit: Some(Deficit::RespiratoryDisease) },
    ConditionShape { key: "coronary_heart_disease",
        percent: [0.0, 0.05,  0.2,  1.0,  3.5,  6.0, 10.0, 16.0, 20.0], sex: (0.65, 1.4), clustering: 1.0, onset: Onset::Adult, deficit: Some(Deficit::IschaemicHeartDisease) },
    ConditionShape { key: "heart_failure",
        percent: [0.0, 0.05,  0.1,  0.3,  0.8,  1.5,  3.0,  6.5, 11.0], sex: (0.85, 1.2), clustering: 1.0, onset: Onset::Adult, deficit: Some(Deficit::HeartFailure) },
    ConditionShape { key: "atrial_fibrillation",
        percent: [0.0, 0.05,  0.2,  0.5,  1.2,  2.5,  6.0, 12.0, 18.0], sex: (0.85, 1.2), clustering: 1.0, onset: Onset::Adult, deficit: Some(Deficit::AtrialFibrillation) },
    ConditionShape { key: "stroke_tia",
        percent: [0.0,  0.1,  0.3,  0.7,  1.6,  3.0,  5.0,  8.5, 12.0], sex: (0.95, 1.05), clustering: 1.0, onset: Onset::Adult, deficit: Some(Deficit::CerebrovascularDisease) },
    ConditionShape { key: "ckd_3_5",
        percent: [0.0,  0.1,  0.3,  0.8,  2.0,  4.0,  9.0, 20.0, 32.0], sex: (1.15, 0.85), clustering: 1.0, onset: Onset::Adult, deficit: Some(Deficit::ChronicKidneyDisease) },
    ConditionShape { key: "dementia",
        percent: [0.0,  0.0, 0.02, 0.05,  0.2,  0.6,  1.8,  7.0, 20.0], sex: (1.1, 0.9), clustering: 0.8, onset: Onset::Adult, deficit: Some(Deficit::MemoryProblems) },
    ConditionShape { key: "depression",
        percent: [0.0, 12.0, 14.0, 14.0, 13.0, 12.0, 10.0,  9.0,  9.0], sex: (1.3, 0.7), clustering: 0.5, onset: Onset::Adult, deficit: None },
    ConditionShape { key: "serious_mental_illness",
        percent: [0.0,  0.9,  1.1,  1.2,  1.1,  1.0,  0.8,  0.7,  0.6], sex: (1.0, 1.0), clustering: 0.5, onset: Onset::Adult, deficit: None },
    ConditionShape { key: "cancer",
        percent: [0.0,  0.3,  0.7,  1.5,  3.5,  6.0,  9.0, 13.0, 14.0], sex: (1.0, 1.0), clustering: 0.6, onset: Onset::Adult, deficit: None },
    ConditionShape { key: "osteoporosis",
        percent: [0.0,  0.0,  0.1,  0.3,  1.0,  2.0,  4.0,  8.0, 12.0], sex: (1.7, 0.3), clustering: 0.8, onset: Onset::Adult, deficit: Some(Deficit::Osteoporosis) },
    ConditionShape { key: "rheumatoid_arthritis",
        percent: [0.0,  0.2,  0.4,  0.7,  1.0,  1.3,  1.5,  1.7,  1.6], sex: (1.5, 0.5), clustering: 0.5, onset: Onset::Adult, deficit: Some(Deficit::Arthritis) },
    ConditionShape { key: "epilepsy",
        percent: [0.5,  0.8,  0.8,  0.8,  0.9,  0.9,  0.9,  0.9,  0.8], sex: (1.0, 1.0), clustering: 0.2, onset: Onset::Childhood, deficit: None },
    ConditionShape { key: "learning_disability",
        percent: [0.7,  0.8,  0.6,  0.5,  0.4,  0.3,  0.2,  0.1, 0.05], sex: (0.7, 1.3), clustering: 0.0, onset: Onset::Childhood, deficit: None },
    ConditionShape { key: "peripheral_arterial_disease",
        percent: [0.0,  0.0, 0.05,  0.2,  0.6,  1.2,  2.5,  4.0,  5.0], sex: (0.7, 1.3), clustering: 1.0, onset: Onset::Adult, deficit: Some(Deficit::PeripheralVascularDisease) },
    ConditionShape { key: "hypothyroidism",
        percent: [0.1,  0.8,  1.5,  2.5,  4.0,  5.0,  6.0,  7.0,  8.0], sex: (1.7, 0.3), clustering: 0.4, onset: Onset::Adult, deficit: Some(Deficit::ThyroidDisease) },
    ConditionShape { key: "osteoarthritis",
        percent: [0.0,  0.2,  0.8,  3.0,  8.0, 13.0, 20.0, 28.0, 33.0], sex: (1.25, 0.75), clustering: 0.8, onset: Onset::Adult, deficit: Some(Deficit::Arthritis) },
    ConditionShape { key: "parkinsons_disease",
        percent: [0.0,  0.0, 0.01, 0.03,  0.1, 0.25,  0.6,  1.3,  2.0], sex: (0.75, 1.25), clustering: 0.5, onset: Onset::Adult, deficit: Some(Deficit::Parkinsonism) },
];

/// A person's general tendency to multimorbidity (mean about 1, right-skewed), so that conditions
/// cluster in the same people as they do in real registers.
pub fn multimorbidity_tendency(rng: &mut impl Rng) -> f64 {
    const SIGMA: f64 = 0.6;
    (SIGMA * standard_normal(rng) - SIGMA * SIGMA / 2.0).exp()
}

/// More deprived areas carry more illness: decile 1 about +22%, decile 10 about −22%.
pub fn deprivation_factor(decile: i16) -> f64 {
    1.0 + 0.05 * (5.5 - f64::from(decile))
}

/// Probability that a person has a condition.
pub fn condition_probability(shape: &ConditionShape, age: u32, female: bool, tendency: f64, deprivation: f64) -> f64 {
    let base = shape.percent[prevalence_band(age)] / 100.0;
    if base == 0.0 {
        return 0.0;
    }
    let sex = if female { shape.sex.0 } else { shape.sex.1 };
    let clustered = tendency.powf(shape.clustering);
    (base * sex * clustered * deprivation).min(0.95)
}

/// A plausible diagnosis date, or `None` when the person is too young for one.
pub fn diagnosis_date(rng: &mut impl Rng, onset: Onset, dob: NaiveDate, today: NaiveDate) -> Option<NaiveDate> {
    let (earliest_age_months, lookback_years) = match onset {
        Onset::Childhood => (6, None),
        Onset::Adult => (18 * 12, Some(30)),
    };
    let mut start = dob.checked_add_months(Months::new(earliest_age_months))?;
    if let Some(years) = lookback_years {
        if let Some(limit) = today.checked_sub_months(Months::new(years * 12)) {
            start = start.max(limit);
        }
    }
    let end = today.checked_sub_days(Days::new(14))?;
    if end < start {
        return None;
    }
    let span = (end - start).num_days() as u64;
    start.checked_add_days(Days::new(rng.random_range(0..=span)))
}

/// eFI deficits that are not coded conditions or access flags (falls, mobility problems, urinary
/// incontinence, requirement for care, …): the eFI's 36 less the 18 this generator derives.
pub const OTHER_DEFICITS: u32 = 18;

/// Chance of each "other" eFI deficit for a person: rising with age, with their multimorbidity
/// tendency (capped, so the oldest do not all land in severe) and with deprivation. The constants
/// are tuned, not sourced: with the deficits derived from conditions and flags they give about
/// 11% frail at 50–64 (Walsh 2023: 10.8%), and at 65+ about 50% fit / 30% mild / 15% moderate /
/// 5% severe, with most people aged 85+ frail.
pub fn other_deficit_probability(age: u32, tendency: f64, deprivation: f64) -> f64 {
    let by_age = 0.046 * (0.05 * (f64::from(age) - 50.0)).exp();
    (by_age * tendency.min(1.5).powf(1.5) * deprivation).min(0.3)
}
