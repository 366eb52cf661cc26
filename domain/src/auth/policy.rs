//! The access policy: the one place that decides what a practitioner may see of a patient.
//!
//! First version (foundation): staff of an organisation taking part in a neighbourhood see the
//! full record of that neighbourhood's patients when their role at that kind of organisation is on
//! the allow-list [`IDENTIFIABLE_ACCESS`]; everyone else (VCSE staff, commissioners, and any
//! organisation kind or role no rule names) sees no identifiable patient data (commissioners get
//! aggregates). An open referral opens the person's summary (name
//! and access needs) to the receiving organisation and the assigned worker, which is how a VCSE
//! service knows whom to contact (`grant_through_referral`). A person's agreement to share their
//! care plan summary with an organisation opens that summary (`AccessReason::PlanShared`, decided
//! in `plans::read` against the standing agreement). Practitioners invited to an MDT meeting may
//! open the records of the people on its agenda from a configured number of days before the
//! meeting to a number of days after it (`AccessReason::MdtAgenda`; the caller's list is loaded
//! with the caller, so taking a person off the agenda or withdrawing the invitation ends it at
//! the next request). VCSE attendees get nothing from it: they see what the person shared.

use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::ColumnTrait;
use uuid::Uuid;

use entity::{patient, OrganisationKind, ProfessionalRole};

use super::Caller;
use crate::error::{AppError, AppResult};

use crate::disclosure::Disclosure;
pub use crate::disclosure::SMALL_NUMBER_THRESHOLD;

/// Why a person's record is refused to a caller whose access gives no grant for it.
pub const NOT_IN_YOUR_ACCESS: &str = "your access does not include this patient's record";

/// Why a referral is refused to someone who is not a party to it.
pub const REFERRAL_PARTIES_ONLY: &str =
    "only the referring organisation, the receiving organisation and the assigned worker see a referral";

/// How much of a patient's record a grant opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PatientAccessLevel {
    /// Nothing identifiable.
    None,
    /// What the person agreed to share with the caller's organisation (shared plan summary).
    SharedSummary,
    /// The full record.
    Full,
}

/// Why access was granted; recorded with every audited read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessReason {
    /// The caller's organisation takes part in the patient's neighbourhood.
    NeighbourhoodMember,
    /// The caller is a party to a referral of the patient (referrer, receiver or assigned worker).
    ReferralParty,
    /// The person is on the agenda of an MDT meeting the caller is invited to, within its window.
    MdtAgenda,
    /// The person agreed to share their plan summary with the caller's organisation.
    PlanShared,
    /// The person is referred to or attending an activity the caller's organisation runs.
    AssetConnection,
    /// The caller owns an action an MDT meeting agreed about the person.
    MdtActionOwner,
}

impl AccessReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeighbourhoodMember => "neighbourhood_member",
            Self::ReferralParty => "referral_party",
            Self::MdtAgenda => "mdt_agenda",
            Self::PlanShared => "plan_shared",
            Self::AssetConnection => "asset_connection",
            Self::MdtActionOwner => "mdt_action_owner",
        }
    }
}

/// A decision to show a patient to a caller. Only this module makes one, each through a named
/// decision of `Caller`: whoever holds a grant was given it by the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    level: PatientAccessLevel,
    reason: AccessReason,
}

impl Grant {
    /// How much of the record it opens.
    pub fn level(self) -> PatientAccessLevel {
        self.level
    }

    /// The relationship that opened it, as the access audit records it.
    pub fn reason(self) -> AccessReason {
        self.reason
    }
}

/// How much of a referral its party reads (see `Caller::referral_view`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralView {
    /// Everything, free text included.
    Full,
    /// Coded facts and the partner summary; of free text, only what `organisation_id` (the
    /// caller's own organisation) wrote.
    NonClinical { organisation_id: Uuid },
}

impl ReferralView {
    /// Whether free text written by `author` (an organisation) may be read.
    pub fn reads_text_of(self, author: Uuid) -> bool {
        match self {
            Self::Full => true,
            Self::NonClinical { organisation_id } => organisation_id == author,
        }
    }
}

/// The patients a caller may reach, as a condition every patient select must carry.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientScope {
    neighbourhood_ids: Vec<Uuid>,
    /// People reachable one by one (an MDT agenda) outside those neighbourhoods.
    patient_ids: Vec<Uuid>,
}

impl PatientScope {
    /// The condition to add to every select that can return patient rows.
    pub fn condition(&self) -> Condition {
        if self.neighbourhood_ids.is_empty() && self.patient_ids.is_empty() {
            // Never true: an empty scope selects nothing, on both databases.
            return Condition::all().add(Expr::val(1).eq(0));
        }
        let mut any = Condition::any();
        if !self.neighbourhood_ids.is_empty() {
            any = any.add(patient::Column::NeighbourhoodId.is_in(self.neighbourhood_ids.clone()));
        }
        if !self.patient_ids.is_empty() {
            any = any.add(patient::Column::Id.is_in(self.patient_ids.clone()));
        }
        // An ALL around the alternatives: callers add their own conditions to it, which must narrow.
        Condition::all().add(any)
    }

    pub fn covers_neighbourhood(&self, id: Uuid) -> bool {
        self.neighbourhood_ids.contains(&id)
    }
}

/// Who may ever read identifiable records, as an allow-list: for each kind of organisation, the
/// roles it employs for direct care. Deny by default: an organisation kind or a role that is not
/// listed here (a new one, `HOUSING`, `OTHER`, ICBs, VCSE organisations, commissioners, VCSE
/// workers) opens no identifiable record until a rule here says so. Which records it then opens
/// is decided below (`grant_for`).
pub const IDENTIFIABLE_ACCESS: &[(OrganisationKind, &[ProfessionalRole])] = {
    use OrganisationKind as K;
    use ProfessionalRole as R;
    &[
        (
            K::GpPractice,
            &[
                R::Gp,
                R::PracticeNurse,
                R::Pharmacist,
                R::Receptionist,
                R::SocialPrescribingLinkWorker,
                R::HealthAndWellbeingCoach,
                R::CareCoordinator,
                R::IntCoordinator,
            ],
        ),
        (
            K::Pcn,
            &[
                R::Gp,
                R::PracticeNurse,
                R::Pharmacist,
                R::SocialPrescribingLinkWorker,
                R::HealthAndWellbeingCoach,
                R::CareCoordinator,
                R::IntCoordinator,
            ],
        ),
        (K::SplwProvider, &[R::SocialPrescribingLinkWorker, R::HealthAndWellbeingCoach, R::CareCoordinator]),
        (K::AdultSocialCare, &[R::SocialWorker, R::OccupationalTherapist]),
        (K::MentalHealthTrust, &[R::MentalHealthPractitioner, R::OccupationalTherapist]),
        (K::CommunityHealthTrust, &[R::DistrictNurse, R::OccupationalTherapist]),
    ]
};

/// Whether staff of this role at an organisation of this kind may ever see identifiable records.
pub fn identifiable_access_allowed(kind: OrganisationKind, role: ProfessionalRole) -> bool {
    IDENTIFIABLE_ACCESS.iter().any(|(k, roles)| *k == kind && roles.contains(&role))
}

impl Caller {
    /// Whether the caller's role and organisation can ever see identifiable patient data.
    fn may_see_identifiable(&self) -> bool {
        identifiable_access_allowed(self.organisation_kind, self.role)
    }

    /// The patients this caller may list. Refuses callers who may see no identifiable data at all,
    /// so that they learn why instead of receiving an empty list.
    pub fn patient_scope(&self) -> AppResult<PatientScope> {
        if !self.may_see_identifiable() {
            return Err(AppError::forbidden(self.why_no_identifiable_access()));
        }
        Ok(PatientScope {
            neighbourhood_ids: self.neighbourhood_ids.clone(),
            patient_ids: self.mdt_patient_ids.clone(),
        })
    }

    /// The decision for one patient record; `None` means no access.
    pub fn grant_for(&self, patient: &patient::Model) -> Option<Grant> {
        if !self.may_see_identifiable() {
            // VCSE attendees of an MDT see only what the person agreed to share (plan summary).
            return None;
        }
        if self.neighbourhood_ids.contains(&patient.neighbourhood_id) {
            Some(Grant { level: PatientAccessLevel::Full, reason: AccessReason::NeighbourhoodMember })
        } else if self.mdt_patient_ids.contains(&patient.id) {
            Some(Grant { level: PatientAccessLevel::Full, reason: AccessReason::MdtAgenda })
        } else {
            None
        }
    }

    /// The decision for a patient reached through one of their referrals: the caller's own grant,
    /// or, while the referral is open, the person's consent to it opens the summary (name and
    /// access needs, nothing clinical) to the receiving organisation and the assigned worker: how a
    /// VCSE service that receives a referral knows whom to contact.
    pub fn grant_through_referral(
        &self,
        patient: &patient::Model,
        referral: &entity::referral::Model,
    ) -> Option<Grant> {
        if referral.patient_id != patient.id {
            return None;
        }
        self.grant_for(patient).or_else(|| {
            let receives = self.organisation_id == referral.receiving_organisation_id
                || referral.assigned_practitioner_id == Some(self.practitioner_id);
            (receives && referral.open_key.is_some())
                .then_some(Grant { level: PatientAccessLevel::SharedSummary, reason: AccessReason::ReferralParty })
        })
    }

    /// The decision for a person reached through an agreement to share their plan: the caller's
    /// own grant, or, while the agreement stands with the caller's organisation, the summary.
    pub fn grant_through_share(
        &self,
        patient: &patient::Model,
        share: &entity::care_plan_share::Model,
    ) -> Option<Grant> {
        if share.patient_id != patient.id {
            return None;
        }
        self.grant_for(patient).or_else(|| {
            (share.organisation_id == self.organisation_id && share.open_key.is_some())
                .then_some(Grant { level: PatientAccessLevel::SharedSummary, reason: AccessReason::PlanShared })
        })
    }

    /// The decision for a person reached through their connection to a community asset: the
    /// caller's own grant, or, while the person is referred to or attending the asset, the summary
    /// (name and access needs) for the organisation that provides it.
    pub fn grant_through_connection(
        &self,
        patient: &patient::Model,
        connection: &entity::asset_connection::Model,
        asset: &entity::community_asset::Model,
    ) -> Option<Grant> {
        if connection.patient_id != patient.id || connection.asset_id != asset.id {
            return None;
        }
        self.grant_for(patient).or_else(|| {
            (self.organisation_id == asset.provider_organisation_id
                && crate::directory::connections::holds_place(connection.state))
            .then_some(Grant { level: PatientAccessLevel::SharedSummary, reason: AccessReason::AssetConnection })
        })
    }

    /// Whether the caller is a party to a referral: the referring organisation, the receiving
    /// organisation or the assigned worker. Other organisations do not see it, by any path (the
    /// referral, its needs, events and feedback, a person's list of referrals, their care team,
    /// the needs behind suggestions, the reasons of an agenda proposal).
    pub fn may_see_referral(&self, referral: &entity::referral::Model) -> bool {
        self.organisation_id == referral.referring_organisation_id
            || self.organisation_id == referral.receiving_organisation_id
            || referral.assigned_practitioner_id == Some(self.practitioner_id)
    }

    /// The decision for one referral: `None` when the caller is no party to it; otherwise how much
    /// of it they read. A party that may not read identifiable records (a VCSE receiver) reads the
    /// coded facts, the partner summary written for it and the free text its own organisation
    /// wrote, never free text other organisations wrote, which may be clinical.
    pub fn referral_view(&self, referral: &entity::referral::Model) -> Option<ReferralView> {
        if !self.may_see_referral(referral) {
            return None;
        }
        Some(if self.may_see_identifiable() {
            ReferralView::Full
        } else {
            ReferralView::NonClinical { organisation_id: self.organisation_id }
        })
    }

    /// Whether the caller reads free text about a person written by `author` (an organisation):
    /// callers who may read identifiable records read all of it; the others (a VCSE partner) only
    /// what their own organisation wrote, since another's may be clinical.
    pub fn reads_text_written_by(&self, author: Uuid) -> bool {
        self.may_see_identifiable() || self.organisation_id == author
    }

    /// The caller's level for patients of their neighbourhoods (shown by `me`).
    pub fn patient_access_level(&self) -> PatientAccessLevel {
        if self.may_see_identifiable() && !self.neighbourhood_ids.is_empty() {
            PatientAccessLevel::Full
        } else {
            PatientAccessLevel::None
        }
    }

    /// Whether the caller may see non-identifiable figures (cohort definitions and counts) for a
    /// neighbourhood: its participants, and commissioners for every neighbourhood.
    pub fn may_see_aggregates(&self, neighbourhood_id: Uuid) -> bool {
        self.sees_every_neighbourhood() || self.neighbourhood_ids.contains(&neighbourhood_id)
    }

    /// How this caller reads figures about people: exactly when they may read the records
    /// themselves; otherwise as published statistics (`crate::disclosure`).
    pub fn disclosure(&self) -> Disclosure {
        if self.may_see_identifiable() {
            Disclosure::Exact
        } else {
            Disclosure::Published
        }
    }

    /// One aggregate count, alone, as this caller may see it. Callers without access to
    /// identifiable data do not see counts below 5 (`None`): a narrow definition (one practice,
    /// one age, a rare condition) could otherwise single a person out; the others they see rounded
    /// to the nearest 5, so that two counts a day apart do not differ by one person.
    pub fn disclosable_count(&self, count: u64) -> Option<u64> {
        let disclosure = self.disclosure();
        if disclosure == Disclosure::Published && disclosure.withholds(count) {
            None
        } else {
            Some(disclosure.shown(count))
        }
    }

    /// Whether the caller may define cohorts for a neighbourhood (those who can see its members).
    pub fn may_manage_cohorts(&self, neighbourhood_id: Uuid) -> bool {
        self.may_see_identifiable() && self.neighbourhood_ids.contains(&neighbourhood_id)
    }

    /// Whether the caller's organisation takes part in a neighbourhood: it sees the neighbourhood's
    /// meetings, groups and lists of members.
    pub fn takes_part_in(&self, neighbourhood_id: Uuid) -> bool {
        self.neighbourhood_ids.contains(&neighbourhood_id)
    }

    /// Whether the caller sees the cohorts of every neighbourhood (their definitions and counts),
    /// not only their own neighbourhoods': a commissioner.
    pub fn sees_every_neighbourhood(&self) -> bool {
        self.role == ProfessionalRole::Commissioner
    }

    /// Whether the caller may organise a neighbourhood's MDT meetings (schedule, invite, set the
    /// agenda and the disciplines they require, close them): staff who may see its members.
    pub fn may_organise_meetings(&self, neighbourhood_id: Uuid) -> bool {
        self.may_see_identifiable() && self.neighbourhood_ids.contains(&neighbourhood_id)
    }

    /// Whether the caller may update an MDT action of a meeting in `neighbourhood_id`: its owner
    /// (the practitioner or their organisation), or the meeting's organisers.
    pub fn may_update_action(&self, action: &entity::mdt_action::Model, neighbourhood_id: Uuid) -> bool {
        action.owner_practitioner_id == Some(self.practitioner_id)
            || action.owner_organisation_id == Some(self.organisation_id)
            || self.may_organise_meetings(neighbourhood_id)
    }

    /// Whether the caller may start a support group in a neighbourhood: staff who may see its
    /// members (a group's register names them).
    pub fn may_start_groups(&self, neighbourhood_id: Uuid) -> bool {
        self.may_see_identifiable() && self.neighbourhood_ids.contains(&neighbourhood_id)
    }

    /// Whether the caller's organisation runs a support group (and so manages it).
    pub fn runs_group(&self, group: &entity::support_group::Model) -> bool {
        self.organisation_id == group.organisation_id
    }

    /// Whether the caller sees a support group: any organisation of its neighbourhood, and the one
    /// that runs it.
    pub fn may_see_group(&self, group: &entity::support_group::Model) -> bool {
        self.takes_part_in(group.neighbourhood_id) || self.runs_group(group)
    }

    /// Whether `practitioner` is an active colleague of the caller (same organisation): whom the
    /// caller may name to lead their group.
    pub fn is_active_colleague(&self, practitioner: &entity::practitioner::Model) -> bool {
        practitioner.active && practitioner.organisation_id == self.organisation_id
    }

    /// Whether the caller's organisation made the referral: it may cancel it and files the
    /// feedback that comes back.
    pub fn is_referrer(&self, referral: &entity::referral::Model) -> bool {
        self.organisation_id == referral.referring_organisation_id
    }

    /// Whether the caller's organisation received the referral: it triages, assigns and contacts,
    /// and moves it through its service.
    pub fn is_receiver(&self, referral: &entity::referral::Model) -> bool {
        self.organisation_id == referral.receiving_organisation_id
    }

    /// Whether the caller files a referral's feedback: staff of the referring organisation.
    pub fn files_feedback(&self, feedback: &entity::referral_feedback::Model) -> bool {
        self.organisation_id == feedback.referring_organisation_id
    }

    /// Whether the caller may see a worker's caseload: the worker, or staff of the same
    /// organisation.
    pub fn may_see_caseload(&self, worker: &entity::practitioner::Model) -> bool {
        self.practitioner_id == worker.id || self.organisation_id == worker.organisation_id
    }

    /// Whether the caller may record that a directory entry was checked: its provider, or staff of
    /// its neighbourhood who may see identifiable records.
    pub fn may_check_asset(&self, asset: &entity::community_asset::Model) -> bool {
        self.organisation_id == asset.provider_organisation_id
            || (self.may_see_identifiable() && self.neighbourhood_ids.contains(&asset.neighbourhood_id))
    }

    /// Why `patient_scope` refuses this caller, in words they can act on.
    fn why_no_identifiable_access(&self) -> String {
        use crate::label::label;
        match (self.role, self.organisation_kind) {
            (ProfessionalRole::Commissioner, _) | (_, OrganisationKind::Icb) => {
                "Commissioning staff do not see identifiable patient records; use the aggregate figures (cohort member counts, referral figures, the outcome report) instead".to_owned()
            }
            (ProfessionalRole::VcseWorker, _) | (_, OrganisationKind::Vcse) => {
                "VCSE staff do not see identifiable patient records; you see only what a person has agreed to share with your organisation".to_owned()
            }
            (role, kind) => format!(
                "{} staff of a {} organisation do not see identifiable patient records: no access rule opens them to this role at this kind of organisation",
                label(role),
                label(kind)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: ProfessionalRole, kind: OrganisationKind, neighbourhoods: Vec<Uuid>) -> Caller {
        Caller {
            practitioner_id: Uuid::nil(),
            name: "Test".into(),
            role,
            organisation_id: Uuid::nil(),
            organisation_kind: kind,
            neighbourhood_ids: neighbourhoods,
            mdt_patient_ids: Vec::new(),
        }
    }

    fn test_patient(neighbourhood_id: Uuid) -> patient::Model {
        patient::Model {
            id: Uuid::from_u128(9),
            nhs_number: "9990000018".into(),
            given_name: "A".into(),
            family_name: "B".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1944, 1, 1).unwrap(),
            sex: entity::Sex::Female,
            postcode: "NG5 6AA".into(),
            deprivation_decile: None,
            registered_practice_id: Uuid::nil(),
            neighbourhood_id,
            efi_score: None,
            efi_calculated_on: None,
            clinical_frailty_scale: None,
            cfs_assessed_on: None,
            lives_alone: true,
            is_carer: false,
            hearing_impairment: false,
            visual_impairment: false,
            interpreter_language: None,
            national_data_opt_out: false,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    /// An agreement to share a plan opens the summary to the organisation it names, while it
    /// stands, for the person it is about; nothing else, and no more than the summary.
    #[test]
    fn a_plan_share_opens_the_summary_to_its_organisation_only_while_it_stands() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let vcse = Uuid::from_u128(30);
        let mut worker = caller(ProfessionalRole::VcseWorker, OrganisationKind::Vcse, vec![a]);
        worker.organisation_id = vcse;
        let person = test_patient(a);
        let share = |patient_id: Uuid, organisation_id: Uuid, open: bool| entity::care_plan_share::Model {
            id: Uuid::from_u128(40),
            plan_id: Uuid::from_u128(41),
            patient_id,
            organisation_id,
            open_key: open.then(|| "open".to_owned()),
            recorded_by: Uuid::nil(),
            recorded_at: chrono::Utc::now(),
            withdrawn_by: None,
            withdrawn_at: None,
        };
        let granted = worker.grant_through_share(&person, &share(person.id, vcse, true)).expect("the summary");
        assert_eq!((granted.level(), granted.reason()), (PatientAccessLevel::SharedSummary, AccessReason::PlanShared));
        assert_eq!(worker.grant_through_share(&person, &share(person.id, vcse, false)), None, "a withdrawn agreement");
        assert_eq!(worker.grant_through_share(&person, &share(person.id, b, true)), None, "another organisation's");
        assert_eq!(
            worker.grant_through_share(&person, &share(Uuid::from_u128(99), vcse, true)),
            None,
            "another person's"
        );
        // A caller with a relationship keeps their own, fuller grant.
        let gp = caller(ProfessionalRole::Gp, OrganisationKind::GpPractice, vec![a]);
        let own = gp.grant_through_share(&person, &share(person.id, b, true)).expect("the GP's own grant");
        assert_eq!(own.level(), PatientAccessLevel::Full);
    }

    /// Table-driven: who sees a patient of neighbourhood A, and at what level.
    #[test]
    fn policy_matrix() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        use OrganisationKind as K;
        use ProfessionalRole as R;
        let cases = [
            (R::IntCoordinator, K::Pcn, vec![a], Some(PatientAccessLevel::Full)),
            (R::Gp, K::GpPractice, vec![a], Some(PatientAccessLevel::Full)),
            (R::SocialWorker, K::AdultSocialCare, vec![a, b], Some(PatientAccessLevel::Full)),
            (R::MentalHealthPractitioner, K::MentalHealthTrust, vec![a], Some(PatientAccessLevel::Full)),
            (R::SocialPrescribingLinkWorker, K::SplwProvider, vec![a], Some(PatientAccessLevel::Full)),
            (R::Gp, K::GpPractice, vec![b], None),
            (R::IntCoordinator, K::Pcn, vec![], None),
            (R::VcseWorker, K::Vcse, vec![a], None),
            (R::SocialWorker, K::Vcse, vec![a], None),
            (R::Commissioner, K::Icb, vec![a], None),
        ];
        for (role, kind, neighbourhoods, expected) in cases {
            let c = caller(role, kind, neighbourhoods);
            let got = c.grant_for(&test_patient(a)).map(|g| g.level);
            assert_eq!(got, expected, "{role:?} at {kind:?}");
            assert_eq!(c.patient_scope().is_ok(), !matches!(role, R::VcseWorker | R::Commissioner) && kind != K::Vcse);
        }
    }

    /// Deny by default, over every organisation kind and role: exactly these pairs see identifiable
    /// records (written out here, not derived from the rule), and nothing else — `HOUSING` and
    /// `OTHER` organisations, ICBs, VCSE organisations, commissioners and VCSE workers included.
    #[test]
    fn identifiable_access_is_an_allow_list_over_every_kind_and_role() {
        use sea_orm::Iterable;
        use OrganisationKind as K;
        use ProfessionalRole as R;
        let allowed = [
            (K::GpPractice, R::Gp),
            (K::GpPractice, R::PracticeNurse),
            (K::GpPractice, R::Pharmacist),
            (K::GpPractice, R::Receptionist),
            (K::GpPractice, R::SocialPrescribingLinkWorker),
            (K::GpPractice, R::HealthAndWellbeingCoach),
            (K::GpPractice, R::CareCoordinator),
            (K::GpPractice, R::IntCoordinator),
            (K::Pcn, R::Gp),
            (K::Pcn, R::PracticeNurse),
            (K::Pcn, R::Pharmacist),
            (K::Pcn, R::SocialPrescribingLinkWorker),
            (K::Pcn, R::HealthAndWellbeingCoach),
            (K::Pcn, R::CareCoordinator),
            (K::Pcn, R::IntCoordinator),
            (K::SplwProvider, R::SocialPrescribingLinkWorker),
            (K::SplwProvider, R::HealthAndWellbeingCoach),
            (K::SplwProvider, R::CareCoordinator),
            (K::AdultSocialCare, R::SocialWorker),
            (K::AdultSocialCare, R::OccupationalTherapist),
            (K::MentalHealthTrust, R::MentalHealthPractitioner),
            (K::MentalHealthTrust, R::OccupationalTherapist),
            (K::CommunityHealthTrust, R::DistrictNurse),
            (K::CommunityHealthTrust, R::OccupationalTherapist),
        ];
        let a = Uuid::from_u128(1);
        let mut opened = 0;
        for kind in K::iter() {
            for role in R::iter() {
                let c = caller(role, kind, vec![a]);
                let expected = allowed.contains(&(kind, role));
                let grant = c.grant_for(&test_patient(a));
                assert_eq!(grant.is_some(), expected, "{role:?} at {kind:?}");
                assert_eq!(c.patient_scope().is_ok(), expected, "{role:?} at {kind:?}");
                let level = if expected { PatientAccessLevel::Full } else { PatientAccessLevel::None };
                assert_eq!(c.patient_access_level(), level, "{role:?} at {kind:?}");
                if !expected {
                    let why = c.patient_scope().unwrap_err().client_message();
                    assert!(why.contains("do not see identifiable patient records"), "{why}");
                }
                opened += usize::from(expected);
            }
        }
        assert_eq!(opened, allowed.len());
        for kind in [K::Housing, K::Other, K::Icb, K::Vcse] {
            assert!(IDENTIFIABLE_ACCESS.iter().all(|(k, _)| *k != kind), "{kind:?} opens nothing");
        }
    }

    #[test]
    fn an_mdt_agenda_opens_one_record_outside_the_neighbourhood_but_not_for_vcse() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut visitor = caller(ProfessionalRole::Gp, OrganisationKind::GpPractice, vec![b]);
        let mut vcse = caller(ProfessionalRole::VcseWorker, OrganisationKind::Vcse, vec![a]);
        let on_agenda = Uuid::from_u128(9);
        visitor.mdt_patient_ids = vec![on_agenda];
        vcse.mdt_patient_ids = vec![on_agenda];
        let mut person = test_patient(a);
        person.id = on_agenda;
        assert_eq!(
            visitor.grant_for(&person),
            Some(Grant { level: PatientAccessLevel::Full, reason: AccessReason::MdtAgenda })
        );
        assert_eq!(vcse.grant_for(&person), None);
        person.id = Uuid::from_u128(10);
        assert_eq!(visitor.grant_for(&person), None);
    }

    #[test]
    fn small_counts_are_withheld_from_aggregate_only_callers() {
        let commissioner = caller(ProfessionalRole::Commissioner, OrganisationKind::Icb, vec![]);
        let gp = caller(ProfessionalRole::Gp, OrganisationKind::GpPractice, vec![Uuid::from_u128(1)]);
        assert_eq!(
            [0, 1, 4, 5, 1_808].map(|n| commissioner.disclosable_count(n)),
            [None, None, None, Some(5), Some(1_810)]
        );
        assert_eq!([1, 4].map(|n| gp.disclosable_count(n)), [Some(1), Some(4)]);
    }

    #[test]
    fn commissioners_see_aggregates_everywhere_vcse_only_where_they_take_part() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        assert!(caller(ProfessionalRole::Commissioner, OrganisationKind::Icb, vec![]).may_see_aggregates(b));
        assert!(caller(ProfessionalRole::VcseWorker, OrganisationKind::Vcse, vec![a]).may_see_aggregates(a));
        assert!(!caller(ProfessionalRole::VcseWorker, OrganisationKind::Vcse, vec![a]).may_see_aggregates(b));
        assert!(!caller(ProfessionalRole::VcseWorker, OrganisationKind::Vcse, vec![a]).may_manage_cohorts(a));
    }
}
