//! How values are written for people in messages and generated text: a stored enum value by its
//! GraphQL name (`awaiting_contact` → `AWAITING_CONTACT`, the one spelling a client can match
//! on), a referral service in words, and a date as "3 Sep 2026".

use chrono::NaiveDate;
use entity::ReferralService;
use sea_orm::ActiveEnum;

pub fn label<E: ActiveEnum<Value = String>>(value: E) -> String {
    value.to_value().to_uppercase()
}

/// A referral service as a sentence names it ("referral to adult social care").
pub fn service_words(service: ReferralService) -> &'static str {
    match service {
        ReferralService::SocialPrescribing => "social prescribing",
        ReferralService::AdultSocialCare => "adult social care",
        ReferralService::CommunityMentalHealth => "community mental health",
        ReferralService::CommunityNursing => "community nursing",
        ReferralService::Vcse => "a voluntary-sector service",
    }
}

/// "3 Sep 2026".
pub fn day(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}
