//! NHS number: ten digits whose last is a Modulus 11 check digit over the first nine.

use std::fmt;

/// A syntactically valid NHS number. Only [`NhsNumber::parse`] builds one, so every value held
/// inside the program has passed the check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NhsNumber(u64);

/// Why a string is not an NHS number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NhsNumberError {
    WrongLength(usize),
    NotDigits,
    /// The first nine digits give a check digit of 10, which no issued number can have.
    NoValidCheckDigit,
    CheckDigitMismatch {
        expected: u8,
        found: u8,
    },
}

impl fmt::Display for NhsNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongLength(n) => write!(f, "an NHS number has 10 digits, this has {n}"),
            Self::NotDigits => write!(f, "an NHS number contains only digits (spaces are allowed)"),
            Self::NoValidCheckDigit => {
                write!(f, "the first nine digits cannot form a valid NHS number (check digit would be 10)")
            }
            Self::CheckDigitMismatch { expected, found } => {
                write!(f, "the check digit is wrong (expected {expected}, found {found}); check for a typing error")
            }
        }
    }
}

impl std::error::Error for NhsNumberError {}

/// The range NHS England never issues to real people; every synthetic number must come from it.
#[allow(clippy::inconsistent_digit_grouping)] // grouped as NHS numbers are written: 3-3-4
pub const TEST_RANGE: std::ops::RangeInclusive<u64> = 999_000_0000..=999_999_9999;

/// Check digit for a nine-digit stem, or `None` when the stem has no valid number.
pub fn check_digit(stem: u64) -> Option<u8> {
    let mut digits = [0u64; 9];
    let mut rest = stem;
    for slot in digits.iter_mut().rev() {
        *slot = rest % 10;
        rest /= 10;
    }
    let sum: u64 = digits.iter().enumerate().map(|(i, d)| d * (10 - i as u64)).sum();
    match 11 - (sum % 11) {
        11 => Some(0),
        10 => None,
        d => Some(d as u8),
    }
}

impl NhsNumber {
    /// Parses ten digits, allowing the usual `999 000 0018` / `999-000-0018` grouping.
    pub fn parse(input: &str) -> Result<Self, NhsNumberError> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if !compact.chars().all(|c| c.is_ascii_digit()) {
            return Err(NhsNumberError::NotDigits);
        }
        if compact.len() != 10 {
            return Err(NhsNumberError::WrongLength(compact.len()));
        }
        let value: u64 = compact.parse().map_err(|_| NhsNumberError::NotDigits)?;
        let found = (value % 10) as u8;
        match check_digit(value / 10) {
            None => Err(NhsNumberError::NoValidCheckDigit),
            Some(expected) if expected != found => Err(NhsNumberError::CheckDigitMismatch { expected, found }),
            Some(_) => Ok(Self(value)),
        }
    }

    /// The valid number for a nine-digit stem, if it has one.
    pub fn from_stem(stem: u64) -> Option<Self> {
        if stem >= 1_000_000_000 {
            return None;
        }
        check_digit(stem).map(|d| Self(stem * 10 + u64::from(d)))
    }

    pub fn is_test_number(&self) -> bool {
        TEST_RANGE.contains(&self.0)
    }

    /// Ten digits, no spaces: the form stored and exchanged.
    pub fn as_digits(&self) -> String {
        format!("{:010}", self.0)
    }

    /// `999 000 0018`: the form people read.
    pub fn to_display_form(&self) -> String {
        let d = self.as_digits();
        format!("{} {} {}", &d[0..3], &d[3..6], &d[6..10])
    }
}

impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_digits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_valid_numbers_from_the_reference_pack() {
        for n in ["9990000018", "9990000050", "999 000 0069", "999-000-0018"] {
            let parsed = NhsNumber::parse(n).unwrap_or_else(|e| panic!("{n}: {e}"));
            assert!(parsed.is_test_number());
        }
        assert_eq!(NhsNumber::parse("9990000050").unwrap().to_display_form(), "999 000 0050");
        // Valid but in an issuable range: accepted, and not a test number.
        assert!(!NhsNumber::parse("9434765919").unwrap().is_test_number());
    }

    #[test]
    fn known_invalid_numbers_say_why() {
        assert_eq!(NhsNumber::parse("9990000019"), Err(NhsNumberError::CheckDigitMismatch { expected: 8, found: 9 }));
        assert_eq!(NhsNumber::parse("9991234560"), Err(NhsNumberError::NoValidCheckDigit));
        assert_eq!(NhsNumber::parse("9876544321"), Err(NhsNumberError::CheckDigitMismatch { expected: 2, found: 1 }));
        assert_eq!(NhsNumber::parse("999000001"), Err(NhsNumberError::WrongLength(9)));
        assert_eq!(NhsNumber::parse("99900000181"), Err(NhsNumberError::WrongLength(11)));
        assert_eq!(NhsNumber::parse("99900000A8"), Err(NhsNumberError::NotDigits));
        assert_eq!(NhsNumber::parse(""), Err(NhsNumberError::WrongLength(0)));
    }

    /// Reference implementation written straight from the published algorithm, digit by digit.
    fn reference_is_valid(digits: &[u8; 10]) -> bool {
        let sum: u32 = (0..9).map(|i| u32::from(digits[i]) * (10 - i as u32)).sum();
        let check = 11 - (sum % 11);
        let check = if check == 11 { 0 } else { check };
        check != 10 && check == u32::from(digits[9])
    }

    proptest! {
        #[test]
        fn parse_agrees_with_the_reference_algorithm(digits in proptest::array::uniform10(0u8..10)) {
            let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            prop_assert_eq!(NhsNumber::parse(&text).is_ok(), reference_is_valid(&digits));
        }

        #[test]
        fn every_number_built_from_a_stem_parses_back(stem in 0u64..1_000_000_000) {
            if let Some(n) = NhsNumber::from_stem(stem) {
                prop_assert_eq!(NhsNumber::parse(&n.as_digits()), Ok(n));
                prop_assert_eq!(NhsNumber::parse(&n.to_display_form()), Ok(n));
            } else {
                prop_assert_eq!(check_digit(stem), None);
            }
        }

        #[test]
        fn changing_one_digit_is_always_caught(stem in 0u64..1_000_000_000, pos in 0usize..10, delta in 1u8..10) {
            if let Some(n) = NhsNumber::from_stem(stem) {
                let mut bytes = n.as_digits().into_bytes();
                bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
                let typo = String::from_utf8(bytes).unwrap();
                prop_assert!(NhsNumber::parse(&typo).is_err(), "{} accepted", typo);
            }
        }
    }
}
