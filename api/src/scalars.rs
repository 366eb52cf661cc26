//! The schema's own date and time scalars, named as clients expect (`Date`, `DateTime`, with
//! `@specifiedBy` RFC 3339) rather than after the Rust types behind them (`NaiveDate`,
//! "Implement the DateTime<Utc> scalar").
//!
//! Both are strict: a value that is not in the stated format is refused while the request is
//! validated (`is_valid`), so a browser's `"2026-12-10T10:00"` (no offset) or `"01/09/2026"` is a
//! `BAD_USER_INPUT` naming the argument, never an execution error. The domain keeps chrono's
//! types; these wrappers exist only at the GraphQL edge (`From` both ways, `Deref` to read).

use std::fmt;
use std::ops::Deref;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, Utc};

/// RFC 3339, section 5.6: `full-date` and `date-time`.
pub const RFC3339: &str = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6";

/// What a `Date` looks like, for error messages.
pub const DATE_FORMAT: &str = "a calendar date as YYYY-MM-DD (RFC 3339 full-date, e.g. 2026-09-01)";
/// What a `DateTime` looks like, for error messages.
pub const DATE_TIME_FORMAT: &str =
    "a date and time with an offset, RFC 3339 (e.g. 2026-12-10T10:00:00Z or 2026-12-10T10:00:00+01:00)";

/// A calendar date without a time or zone (an appointment day, a date of birth, a period's end).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

/// An instant, answered in UTC (`+00:00`); accepted with any offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub chrono::DateTime<Utc>);

impl Date {
    /// `text` as a date when it is exactly `YYYY-MM-DD` and a real day of the calendar.
    pub fn parse(text: &str) -> Option<NaiveDate> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes.iter().enumerate().all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shaped {
            return None;
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
    }
}

impl DateTime {
    /// `text` as an instant when it is an RFC 3339 date-time with an offset (`Z` or `±hh:mm`).
    pub fn parse(text: &str) -> Option<chrono::DateTime<Utc>> {
        chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
    }
}

/// A string scalar read by `parse`, or an error saying what `format` it must have.
fn parse_text<T: async_graphql::InputType>(
    value: &Value,
    parse: impl Fn(&str) -> Option<T>,
    format: &str,
) -> InputValueResult<T> {
    match value {
        Value::String(s) => parse(s).ok_or_else(|| InputValueError::custom(format!("expected {format}, got {s:?}"))),
        other => Err(InputValueError::custom(format!("expected {format}, got {other}"))),
    }
}

/// A calendar date, `YYYY-MM-DD` (RFC 3339 `full-date`), e.g. `2026-09-01`. Dates are days in
/// England; no time or zone is attached.
#[Scalar(name = "Date", specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        parse_text(&value, |s| Date::parse(s).map(Date), DATE_FORMAT)
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(s) if Date::parse(s).is_some())
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// An instant as an RFC 3339 `date-time` with an offset: `2026-12-10T10:00:00Z` or
/// `2026-12-10T10:00:00+01:00` (fractions of a second allowed). A time without an offset is
/// refused, since it does not say which instant it is. Answers are in UTC, written `+00:00`.
#[Scalar(name = "DateTime", specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        parse_text(&value, |s| DateTime::parse(s).map(DateTime), DATE_TIME_FORMAT)
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(s) if DateTime::parse(s).is_some())
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

impl Deref for Date {
    type Target = NaiveDate;
    fn deref(&self) -> &NaiveDate {
        &self.0
    }
}

impl Deref for DateTime {
    type Target = chrono::DateTime<Utc>;
    fn deref(&self) -> &chrono::DateTime<Utc> {
        &self.0
    }
}

impl From<NaiveDate> for Date {
    fn from(value: NaiveDate) -> Self {
        Date(value)
    }
}

impl From<Date> for NaiveDate {
    fn from(value: Date) -> Self {
        value.0
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(value: chrono::DateTime<Utc>) -> Self {
        DateTime(value)
    }
}

impl From<DateTime> for chrono::DateTime<Utc> {
    fn from(value: DateTime) -> Self {
        value.0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_exactly_yyyy_mm_dd_and_real_days() {
        assert_eq!(Date::parse("2026-09-01"), NaiveDate::from_ymd_opt(2026, 9, 1));
        for bad in ["01/09/2026", "2026-02-30", "20261201", "", "2026-9-1", "2026-09-01T00:00:00Z", " 2026-09-01"] {
            assert_eq!(Date::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn instants_need_an_offset() {
        let t = DateTime::parse("2026-12-10T10:00:00+01:00").unwrap();
        assert_eq!(DateTime(t).to_value(), Value::String("2026-12-10T09:00:00+00:00".into()));
        assert!(DateTime::parse("2026-12-10T10:00:00.250Z").is_some());
        for bad in ["2026-12-10T10:00", "2026-12-10T10:00:00", "2026-13-01T10:00:00Z", "2026-12-10", ""] {
            assert_eq!(DateTime::parse(bad), None, "{bad:?}");
        }
    }
}
