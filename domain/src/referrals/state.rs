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

/// What a move's acceptance depends on besides the two states: who asks, and what is recorded.
#[derive(Debug, Clone, Copy)]
pub struct MoveContext {
    pub status: S,
    /// The caller's organisation referred the person.
    pub is_referrer: bool,
    /// The caller's organisation receives the referral.
    pub is_receiver: bool,
    /// Contact attempts recorded so far.
    pub contact_attempts: usize,
}

/// Whether the move to `to` would be accepted now, and if not, the refusal it would get: the one
/// rule behind both `moveReferral` and `Referral.allowedMoves`, so a listed move never fails for a
/// reason the list could have known. (Inputs a move needs, such as a closing outcome, are the
/// request's business: `Referral.moves` names them.)
pub fn precondition(ctx: &MoveContext, to: S) -> AppResult<()> {
    match blocked(ctx, to) {
        None => Ok(()),
        Some(Blocked::NotFromHere) => {
            Err(refused(ctx, format!("the referral is {}; it cannot move to {}", label(ctx.status), label(to))))
        }
        Some(Blocked::Side(Side::Referrer)) => {
            Err(AppError::forbidden("only the referring organisation can cancel a referral"))
        }
        Some(Blocked::Side(Side::Receiver)) => {
            Err(AppError::forbidden("only the receiving organisation works a referral through its states"))
        }
        Some(Blocked::TooFewAttempts) => Err(refused(
            ctx,
            format!(
                "record at least {MIN_CONTACT_ATTEMPTS} contact attempts before closing as unable to contact ({} so far)",
                ctx.contact_attempts
            ),
        )),
    }
}

/// Why a move cannot be made now.
enum Blocked {
    /// The state machine has no such move from the current state.
    NotFromHere,
    /// The move is the other party's.
    Side(Side),
    TooFewAttempts,
}

fn blocked(ctx: &MoveContext, to: S) -> Option<Blocked> {
    if !allowed_moves(ctx.status).contains(&to) {
        return Some(Blocked::NotFromHere);
    }
    match side_for(to) {
        Side::Referrer if !ctx.is_referrer => return Some(Blocked::Side(Side::Referrer)),
        Side::Receiver if !ctx.is_receiver => return Some(Blocked::Side(Side::Receiver)),
        _ => {}
    }
    (to == S::UnableToContact && ctx.contact_attempts < MIN_CONTACT_ATTEMPTS).then_some(Blocked::TooFewAttempts)
}

/// The `moveReferral` inputs a move to `to` requires (checked by `move_referral`).
pub fn required_inputs(to: S) -> &'static [&'static str] {
    match to {
        S::Closed => &["outcome"],
        S::RejectedByService => &["reason"],
        _ => &[],
    }
}

/// The moves the caller could make now, in the state machine's order.
pub fn moves_now(ctx: &MoveContext) -> Vec<S> {
    allowed_moves(ctx.status).iter().copied().filter(|to| blocked(ctx, *to).is_none()).collect()
}

fn refused(ctx: &MoveContext, why: String) -> AppError {
    let now = moves_now(ctx);
    let allowed_text = if allowed_moves(ctx.status).is_empty() {
        "none: it has ended".to_owned()
    } else if now.is_empty() {
        "none by your organisation now".to_owned()
    } else {
        now.iter().map(|s| label(*s)).collect::<Vec<_>>().join(", ")
    };
    AppError::invalid_move(format!("{why}. Allowed moves: {allowed_text}"), ctx.status, now)
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

    fn receiver(status: S, contact_attempts: usize) -> MoveContext {
        MoveContext { status, is_referrer: false, is_receiver: true, contact_attempts }
    }

    #[test]
    fn illegal_moves_name_the_state_and_the_allowed_moves() {
        let AppError::InvalidTransition { message, current_status, allowed_moves } =
            precondition(&receiver(S::Received, 0), S::Closed).unwrap_err()
        else {
            panic!("wrong error")
        };
        assert!(message.contains("RECEIVED") && message.contains("CLOSED") && message.contains("AWAITING_CONTACT"));
        assert_eq!(current_status.as_deref(), Some("RECEIVED"));
        // The receiver cannot cancel: that is the referrer's move, so it is not offered.
        assert_eq!(allowed_moves, ["AWAITING_CONTACT", "REJECTED_BY_SERVICE"]);
        let AppError::InvalidTransition { message, .. } = precondition(&receiver(S::Closed, 0), S::Active).unwrap_err()
        else {
            panic!()
        };
        assert!(message.contains("it has ended"));
        assert!(precondition(&receiver(S::Active, 0), S::Closed).is_ok());
    }

    /// Every move listed would be accepted, and every move accepted is listed, for every state,
    /// side and count of attempts.
    #[test]
    fn the_moves_offered_are_exactly_the_moves_accepted() {
        for status in S::iter() {
            for (is_referrer, is_receiver) in [(true, false), (false, true), (true, true), (false, false)] {
                for contact_attempts in 0..=MIN_CONTACT_ATTEMPTS + 1 {
                    let ctx = MoveContext { status, is_referrer, is_receiver, contact_attempts };
                    let offered = moves_now(&ctx);
                    for to in S::iter() {
                        assert_eq!(offered.contains(&to), precondition(&ctx, to).is_ok(), "{ctx:?} → {to:?}");
                    }
                }
            }
        }
        assert!(!moves_now(&receiver(S::AwaitingContact, 2)).contains(&S::UnableToContact));
        assert!(moves_now(&receiver(S::AwaitingContact, 3)).contains(&S::UnableToContact));
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
