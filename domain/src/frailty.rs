//! Frailty: electronic Frailty Index categories (Clegg et al. 2016 cut-offs) and the Clinical Frailty Scale.

use serde::{Deserialize, Serialize};

/// eFI category. Cut-offs: fit ≤ 0.12 < mild ≤ 0.24 < moderate ≤ 0.36 < severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FrailtyCategory {
    Fit,
    Mild,
    Moderate,
    Severe,
}

/// Number of deficits the eFI counts; a score is deficits present / 36.
pub const EFI_DEFICITS: u32 = 36;

impl FrailtyCategory {
    pub const ALL: [FrailtyCategory; 4] = [Self::Fit, Self::Mild, Self::Moderate, Self::Severe];

    pub fn from_efi(score: f64) -> Self {
        if score <= 0.12 {
            Self::Fit
        } else if score <= 0.24 {
            Self::Mild
        } else if score <= 0.36 {
            Self::Moderate
        } else {
            Self::Severe
        }
    }

    /// The score interval of the category as (exclusive lower, inclusive upper) bounds;
    /// `None` means unbounded on that side. Used to filter in SQL without storing the category.
    pub fn efi_bounds(self) -> (Option<f64>, Option<f64>) {
        match self {
            Self::Fit => (None, Some(0.12)),
            Self::Mild => (Some(0.12), Some(0.24)),
            Self::Moderate => (Some(0.24), Some(0.36)),
            Self::Severe => (Some(0.36), None),
        }
    }

    /// SNOMED CT frailty diagnosis code (NHS Digital MILDFRAIL/MODFRAIL/SEVFRAIL clusters).
    pub fn snomed_code(self) -> Option<&'static str> {
        match self {
            Self::Fit => None,
            Self::Mild => Some("925791000000100"),
            Self::Moderate => Some("925831000000107"),
            Self::Severe => Some("925861000000102"),
        }
    }
}

/// Clinical Frailty Scale labels (Rockwood), 1..=9.
pub fn clinical_frailty_scale_label(value: i16) -> Option<&'static str> {
    Some(match value {
        1 => "Very fit",
        2 => "Fit",
        3 => "Managing well",
        4 => "Living with very mild frailty",
        5 => "Living with mild frailty",
        6 => "Living with moderate frailty",
        7 => "Living with severe frailty",
        8 => "Living with very severe frailty",
        9 => "Terminally ill",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_offs_are_inclusive_at_the_upper_bound() {
        assert_eq!(FrailtyCategory::from_efi(0.0), FrailtyCategory::Fit);
        assert_eq!(FrailtyCategory::from_efi(0.12), FrailtyCategory::Fit);
        assert_eq!(FrailtyCategory::from_efi(0.121), FrailtyCategory::Mild);
        assert_eq!(FrailtyCategory::from_efi(0.24), FrailtyCategory::Mild);
        assert_eq!(FrailtyCategory::from_efi(0.25), FrailtyCategory::Moderate);
        assert_eq!(FrailtyCategory::from_efi(0.36), FrailtyCategory::Moderate);
        assert_eq!(FrailtyCategory::from_efi(0.37), FrailtyCategory::Severe);
        // Deficit counts: 4/36 fit, 5/36 mild, 8/36 mild, 9/36 moderate, 12/36 moderate, 13/36 severe.
        let cat = |k: u32| FrailtyCategory::from_efi(f64::from(k) / f64::from(EFI_DEFICITS));
        assert_eq!(
            [cat(4), cat(5), cat(8), cat(9), cat(12), cat(13)],
            [
                FrailtyCategory::Fit,
                FrailtyCategory::Mild,
                FrailtyCategory::Mild,
                FrailtyCategory::Moderate,
                FrailtyCategory::Moderate,
                FrailtyCategory::Severe
            ]
        );
    }

    #[test]
    fn bounds_agree_with_from_efi() {
        for k in 0..=EFI_DEFICITS {
            let score = f64::from(k) / f64::from(EFI_DEFICITS);
            let category = FrailtyCategory::from_efi(score);
            let (lo, hi) = category.efi_bounds();
            assert!(lo.is_none_or(|lo| score > lo) && hi.is_none_or(|hi| score <= hi));
        }
    }
}
