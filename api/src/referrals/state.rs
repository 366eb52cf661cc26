//! The referral state machine. Every move is checked here before anything is written; an illegal
//! move fails with INVALID_TRANSITION naming the current state and the moves it allows.
//!
//! received → awaiting contact (on the waiting list) → contacted → active → closed (with outcome);
//! and from the open states: declined by the patient, rejected by the service (with a reason),
//! unable to contact (after recorded attempts), cancelled by the referrer.

use entity::{ReferralService, ReferralStatus as S};

use crate::error::{AppError, AppResult};

/// Recorded contact attempts needed before a referral may end as unable to contact.
pub const MIN_CONTACT_ATTEMPTS: usize = 3;

/// SNOMED CT 871731000000106 "Referral to social prescribing service" (IIF PC-01).
pub const SNOMED_REFERRAL_TO_SOCIAL_PRESCRIBING: &str = "871731000000106";
/// SNOMED CT 871711000000103 "Social prescribing declined".
pub const SNOMED_SOCIAL_PRESCRIBING_DECLINED: &str = "871711000000103";

/// Which side of a referral may make a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Referrer,
    Receiver,
}

pub fn allowed_moves(from: S) -> &'static [S] {
    match from {
        S::Received => &[S::AwaitingContact, S::RejectedByService, S::CancelledByReferrer],
        S::AwaitingContact => {
            &[S::Contacted, S::DeclinedByPatient, S::RejectedByService, S::UnableToContact, S::CancelledByReferrer]
        }
        S::Contacted => &[S::Active, S::DeclinedByPatient, S::RejectedByService, S::CancelledByReferrer],
        S::Active => &[S::Closed],
        S::Closed | S::DeclinedByPatient | S::RejectedByService | S::UnableToContact | S::CancelledByReferrer => &[],
    }
}

/// Open referrals are still being worked; the others have ended.
pub fn is_open(status: S) -> bool {
    !allowed_moves(status).is_empty()
}

/// Waiting for first contact: received, or accepted and awaiting contact.
pub fn is_waiting(status: S) -> bool {
    matches!(status, S::Received | S::AwaitingContact)
}

/// The statuses in which a referral waits for first contact.
pub const WAITING: [S; 2] = [S::Received, S::AwaitingContact];

pub fn side_for(to: S) -> Side {
    if to == S::CancelledByReferrer {
        Side::Referrer
    } else {
        Side::Receiver
    }
}

pub use crate::label::label;

pub fn check_move(from: S, to: S) -> AppResult<()> {
    let allowed = allowed_moves(from);
    if allowed.contains(&to) {
        return Ok(());
    }
    let allowed_text = if allowed.is_empty() {
        "none: it has ended".to_owned()
    } else {
        allowed.iter().map(|s| label(*s)).collect::<Vec<_>>().join(", ")
    };
    Err(AppError::InvalidTransition(format!(
        "the referral is {}; it cannot move to {}. Allowed moves: {allowed_text}",
        label(from),
        label(to)
    )))
}

/// The SNOMED CT code recorded with an event, where one exists.
pub fn snomed_code(service: ReferralService, to: Option<S>) -> Option<&'static str> {
    match (service, to) {
        (ReferralService::SocialPrescribing, None) => Some(SNOMED_REFERRAL_TO_SOCIAL_PRESCRIBING),
        (ReferralService::SocialPrescribing, Some(S::DeclinedByPatient)) => Some(SNOMED_SOCIAL_PRESCRIBING_DECLINED),
        _ => None,
    }
}

/// The SNOMED CT codes the referring practice files with the feedback on a referral that ended in
/// `ended`: the episode's referral code and, for a declined social prescribing referral, the
/// decline code. Other services have no national code in the reference pack, so none is invented.
pub fn feedback_codes(service: ReferralService, ended: S) -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = snomed_code(service, None).into_iter().collect();
    codes.extend(snomed_code(service, Some(ended)));
    codes
}

/// The preferred term of a code this module records.
pub fn snomed_term(code: &str) -> Option<&'static str> {
    match code {
        SNOMED_REFERRAL_TO_SOCIAL_PRESCRIBING => Some("Referral to social prescribing service"),
        SNOMED_SOCIAL_PRESCRIBING_DECLINED => Some("Social prescribing declined"),
        _ => None,
    }
}

/// Codes as stored in `referral_feedback.snomed_codes`: comma-separated, no spaces.
pub fn join_codes(codes: &[&str]) -> String {
    codes.join(",")
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::*;

    #[test]
    fn every_state_is_reachable_from_received_and_ended_states_allow_nothing() {
        let mut reached = vec![S::Received];
        let mut frontier = vec![S::Received];
        while let Some(state) = frontier.pop() {
            for next in allowed_moves(state) {
                if !reached.contains(next) {
                    reached.push(*next);
                    frontier.push(*next);
                }
            }
        }
        assert_eq!(reached.len(), S::iter().count());
        for ended in [S::Closed, S::DeclinedByPatient, S::RejectedByService, S::UnableToContact, S::CancelledByReferrer]
        {
            assert!(!is_open(ended));
        }
    }

    #[test]
    fn illegal_moves_name_the_state_and_the_allowed_moves() {
        let AppError::InvalidTransition(message) = check_move(S::Received, S::Closed).unwrap_err() else {
            panic!("wrong error")
        };
        assert!(message.contains("RECEIVED") && message.contains("CLOSED") && message.contains("AWAITING_CONTACT"));
        let AppError::InvalidTransition(message) = check_move(S::Closed, S::Active).unwrap_err() else { panic!() };
        assert!(message.contains("it has ended"));
        assert!(check_move(S::Active, S::Closed).is_ok());
    }

    #[test]
    fn feedback_carries_the_national_codes_where_they_exist() {
        assert_eq!(
            feedback_codes(ReferralService::SocialPrescribing, S::Closed),
            [SNOMED_REFERRAL_TO_SOCIAL_PRESCRIBING]
        );
        assert_eq!(
            join_codes(&feedback_codes(ReferralService::SocialPrescribing, S::DeclinedByPatient)),
            "871731000000106,871711000000103"
        );
        assert!(feedback_codes(ReferralService::AdultSocialCare, S::DeclinedByPatient).is_empty());
    }
}
