//! The access policy: the one place that decides what a practitioner may see of a patient.
//!
//! Identifiable records open by allow-list ([`IDENTIFIABLE_ACCESS`]): for each kind of
//! organisation, the roles it employs for direct care, each with its [`Reach`], the people it sees
//! without a relationship of its own. Practice staff see the people registered at their practice;
//! PCN staff the people registered with the PCN's practices; the INT coordinator the
//! neighbourhood's registered population (case finding and MDT preparation); adult social care,
//! mental health, community nursing and social prescribing services only the people they have a
//! care relationship with. Everyone else (VCSE staff, commissioners, any organisation kind or role
//! no rule names) sees no identifiable record (commissioners get aggregates).
//!
//! The care relationships, each opening the full record to a role on the allow-list: a referral to
//! the caller's organisation or assigned to them, open or ended within
//! `AccessWindows::referral_days_after_end` (`AccessReason::ReferralParty`), a standing membership
//! of the person's named care team (`AccessReason::CareTeam`), and an MDT meeting the caller is
//! invited to, for the people on its agenda from a configured number of days before the
//! meeting to a number after it (`AccessReason::MdtAgenda`). All are read from the records at
//! every request (the referral with the people the request loads, `auth::referral_parties`; the
//! rest with the caller, `auth::load_caller`), so that closing a referral past its window, ending
//! a membership, taking a person off an agenda or withdrawing an invitation ends them at the next
//! request. What the allow-list does not open, the person's own
//! agreements still do, at the level of the summary (name and access needs): an open referral to a
//! VCSE service (`grant_through_referral`), a plan summary shared with an organisation
//! (`grant_through_share`), a place at an activity an organisation runs
//! (`grant_through_connection`).

use sea_orm::sea_query::{Condition, Expr, ExprTrait, SelectStatement};
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
    /// The administrative record: name, NHS number, date of birth, sex, address, registration,
    /// access needs and the administrative state of referrals; nothing clinical (conditions,
    /// frailty, plans, outcomes, MDT discussion, referral free text), and no selection or order
    /// by anything clinical. What a receptionist needs.
    Administrative,
    /// The full record.
    Full,
}

impl PatientAccessLevel {
    /// Whether it opens the administrative record (demographics and registration).
    pub fn opens_demographics(self) -> bool {
        self >= Self::Administrative
    }

    /// Whether it opens what is clinical about the person.
    pub fn opens_clinical(self) -> bool {
        self == Self::Full
    }

    /// In a word, as the README's table says it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::SharedSummary => "shared summary",
            Self::Administrative => "administrative",
            Self::Full => "full",
        }
    }
}

/// Why access was granted; recorded with every audited read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessReason {
    /// The caller's role reaches the registered population of the patient's neighbourhood (the INT
    /// coordinator: case finding and MDT preparation).
    NeighbourhoodMember,
    /// The patient is registered at the caller's practice, or at a practice of the caller's PCN.
    RegisteredPractice,
    /// The patient is referred to the caller's organisation or assigned to the caller (open, or
    /// ended within its window; for a VCSE receiver, open, and only the summary).
    ReferralParty,
    /// The person is on the agenda of an MDT meeting the caller is invited to, within its window.
    MdtAgenda,
    /// The person agreed to share their plan summary with the caller's organisation.
    PlanShared,
    /// The person is referred to or attending an activity the caller's organisation runs.
    AssetConnection,
    /// The caller owns an action an MDT meeting agreed about the person.
    MdtActionOwner,
    /// The caller stands in the person's named care team.
    CareTeam,
    /// The caller broke the glass (an emergency, with a stated reason, for a limited time).
    BreakGlass,
    /// A privacy officer reviewed who read the person's record (their trail, a break-glass use,
    /// a subject access request): the person's name and NHS number, never their record.
    PrivacyReview,
}

impl AccessReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeighbourhoodMember => "neighbourhood_member",
            Self::RegisteredPractice => "registered_practice",
            Self::ReferralParty => "referral_party",
            Self::MdtAgenda => "mdt_agenda",
            Self::PlanShared => "plan_shared",
            Self::AssetConnection => "asset_connection",
            Self::MdtActionOwner => "mdt_action_owner",
            Self::CareTeam => "care_team",
            Self::BreakGlass => "break_glass",
            Self::PrivacyReview => "privacy_review",
        }
    }

    pub const ALL: [Self; 10] = [
        Self::NeighbourhoodMember,
        Self::RegisteredPractice,
        Self::ReferralParty,
        Self::MdtAgenda,
        Self::PlanShared,
        Self::AssetConnection,
        Self::MdtActionOwner,
        Self::CareTeam,
        Self::BreakGlass,
        Self::PrivacyReview,
    ];

    /// Why, in words the person whose record it is can read (a subject access request).
    pub fn in_words(self) -> &'static str {
        match self {
            Self::NeighbourhoodMember => "coordinates care for your neighbourhood (finding who needs a team review)",
            Self::RegisteredPractice => "works at or for your GP practice",
            Self::ReferralParty => "you were referred to their service, or they referred you",
            Self::MdtAgenda => "you were discussed at a care team meeting they were invited to",
            Self::PlanShared => "you shared your care plan with their organisation",
            Self::AssetConnection => "you were referred to or take part in an activity they run",
            Self::MdtActionOwner => "a care team meeting gave them something to do for you",
            Self::CareTeam => "they are in your named care team",
            Self::BreakGlass => {
                "emergency access without an existing care relationship, reviewed by the privacy officer"
            }
            Self::PrivacyReview => "the privacy officer checking who has looked at your record",
        }
    }

    /// The reason as the audit stores it; `None` for a value no release wrote.
    pub fn from_stored(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
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

/// Roles that oversee the service rather than work with people (commissioning, reviewing access,
/// administering the team): whatever their organisation is party to, they are no party to it
/// themselves, so no referral, plan share or activity of their organisation names a person to them.
pub const OVERSIGHT_ROLES: &[ProfessionalRole] = &[
    ProfessionalRole::Commissioner,
    ProfessionalRole::PrivacyOfficer,
    ProfessionalRole::DeploymentAdministrator,
    ProfessionalRole::OrganisationAdministrator,
];

/// Organisations whose privacy officer (Caldicott Guardian or information-governance lead) reviews
/// access to the shared record: the health and care organisations that hold it as joint
/// controllers. Deny by default: a privacy officer elsewhere (a VCSE organisation, housing, a
/// kind added later) reviews nothing until a rule here says so.
pub const PRIVACY_REVIEW_ORGANISATIONS: &[OrganisationKind] = &[
    OrganisationKind::GpPractice,
    OrganisationKind::Pcn,
    OrganisationKind::Icb,
    OrganisationKind::AdultSocialCare,
    OrganisationKind::MentalHealthTrust,
    OrganisationKind::CommunityHealthTrust,
];

/// What an administrator manages (never patient data): the whole deployment's organisations,
/// neighbourhoods and staff, or their own organisation's details and staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminScope {
    Deployment,
    Organisation(Uuid),
}

impl AdminScope {
    /// Whether the administrator manages `organisation_id`'s details and staff.
    pub fn manages(self, organisation_id: Uuid) -> bool {
        match self {
            Self::Deployment => true,
            Self::Organisation(own) => own == organisation_id,
        }
    }

    /// Refused unless the administrator manages the deployment: `what` says what was asked.
    pub fn check_deployment(self, what: &str) -> AppResult<()> {
        match self {
            Self::Deployment => Ok(()),
            Self::Organisation(_) => Err(AppError::forbidden(format!(
                "{what} is for a deployment administrator; an organisation's administrator manages their own organisation's details and staff"
            ))),
        }
    }

    /// Refused unless the administrator manages `organisation_id`.
    pub fn check_manages(self, organisation_id: Uuid) -> AppResult<()> {
        if self.manages(organisation_id) {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "an organisation's administrator manages their own organisation's details and staff only",
            ))
        }
    }
}

/// Which administrative changes a caller reads back from the administration trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrailScope {
    /// Every change (a deployment administrator; a privacy officer reviewing who was given which role).
    All,
    /// The changes to one organisation and its staff.
    Organisation(Uuid),
}

/// Whose access a privacy officer reviews: the people of the neighbourhoods their organisation
/// takes part in, as a condition on `patient` and a check on one person.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewScope {
    neighbourhood_ids: Vec<Uuid>,
}

impl ReviewScope {
    /// Whether the person's access trail is the caller's to review.
    pub fn covers(&self, person: &patient::Model) -> bool {
        self.neighbourhood_ids.contains(&person.neighbourhood_id)
    }

    /// Whether the neighbourhood's people are the caller's to review.
    pub fn covers_neighbourhood(&self, neighbourhood_id: Uuid) -> bool {
        self.neighbourhood_ids.contains(&neighbourhood_id)
    }

    /// The neighbourhoods reviewed.
    pub fn neighbourhoods(&self) -> &[Uuid] {
        &self.neighbourhood_ids
    }

    /// The people reviewed, as a condition on `patient` rows.
    pub fn condition(&self) -> Condition {
        Condition::all().add(patient::Column::NeighbourhoodId.is_in(self.neighbourhood_ids.clone()))
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
    /// Coded facts and the partner summary, no free text at all, not even their own
    /// organisation's (a receptionist: the practice's clinicians wrote it).
    Administrative,
}

impl ReferralView {
    /// Whether free text written by `author` (an organisation) may be read.
    pub fn reads_text_of(self, author: Uuid) -> bool {
        match self {
            Self::Full => true,
            Self::NonClinical { organisation_id } => organisation_id == author,
            Self::Administrative => false,
        }
    }
}

/// The people a caller reaches through care relationships, as a scope selects them.
#[derive(Debug, Clone, PartialEq)]
enum Related {
    /// Bound as a list (sorted), beside a practice's or a neighbourhood's population: the staff of
    /// a practice or PCN have few relationships beyond it, and a list keeps their statements as
    /// they were (one plan, their population's indexes).
    Listed(Vec<Uuid>),
    /// As a sub-select (`Caller::related_people`): those reached only through relationships,
    /// who may have thousands (a provider's worker), so that the statement is driven by them.
    Selected(Box<SelectStatement>),
}

/// The patients a caller may reach, as a condition every patient select must carry.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientScope {
    /// Neighbourhoods the caller's organisation takes part in (which it may name in a filter).
    member_of: Vec<Uuid>,
    /// Neighbourhoods whose whole registered population the caller reaches.
    neighbourhood_ids: Vec<Uuid>,
    /// Practices whose registered people the caller reaches.
    practice_ids: Vec<Uuid>,
    /// People reachable one by one, through a care relationship.
    related: Related,
    /// People whose record the caller opened by breaking the glass: reached whatever they object to.
    break_glass_ids: Vec<Uuid>,
    /// The caller's organisation: a person who objects to sharing beyond their practice is reached
    /// (but for break-glass) only by its staff.
    organisation_id: Uuid,
    /// Whether the caller may select and order people by what is clinical about them.
    clinical: bool,
    /// Which coded conditions the caller reads, counts, selects and orders by.
    conditions: crate::conditions::ConditionView,
}

impl PatientScope {
    /// The condition to add to every select that can return patient rows.
    pub fn condition(&self) -> Condition {
        let related = match &self.related {
            Related::Listed(ids) if ids.is_empty() => None,
            Related::Listed(ids) => Some(patient::Column::Id.is_in(ids.iter().copied())),
            Related::Selected(people) => Some(patient::Column::Id.in_subquery((**people).clone())),
        };
        let reaches = !(self.neighbourhood_ids.is_empty() && self.practice_ids.is_empty() && related.is_none());
        if !reaches && self.break_glass_ids.is_empty() {
            // Never true: an empty scope selects nothing, on both databases.
            return Condition::all().add(Expr::val(1).eq(0));
        }
        let mut any = Condition::any();
        if reaches {
            let mut reach = Condition::any();
            if !self.neighbourhood_ids.is_empty() {
                reach = reach.add(patient::Column::NeighbourhoodId.is_in(self.neighbourhood_ids.clone()));
            }
            if !self.practice_ids.is_empty() {
                reach = reach.add(patient::Column::RegisteredPracticeId.is_in(self.practice_ids.clone()));
            }
            if let Some(related) = related {
                reach = reach.add(related);
            }
            // A person who objects to sharing beyond their practice is reached by its staff only.
            let shared = Condition::any()
                .add(patient::Column::ObjectsToSharing.eq(false))
                .add(patient::Column::RegisteredPracticeId.eq(self.organisation_id));
            any = any.add(Condition::all().add(reach).add(shared));
        }
        if !self.break_glass_ids.is_empty() {
            any = any.add(patient::Column::Id.is_in(self.break_glass_ids.clone()));
        }
        // An ALL around the alternatives: callers add their own conditions to it, which must narrow.
        Condition::all().add(any)
    }

    /// Whether the caller's organisation takes part in the neighbourhood (it may filter by it).
    pub fn covers_neighbourhood(&self, id: Uuid) -> bool {
        self.member_of.contains(&id)
    }

    /// Which coded conditions the caller reads: a selection, a count or an order by conditions
    /// counts only these.
    pub fn conditions(&self) -> crate::conditions::ConditionView {
        self.conditions
    }

    /// Refuses a selection by a condition the caller's role does not read (a sensitive one): who
    /// is selected would say who has it.
    pub fn check_condition_codes(&self, codes: &[String]) -> AppResult<()> {
        self.conditions.check_codes(codes)
    }

    /// Refuses a selection or an order by something clinical (frailty, conditions) to a caller
    /// whose role reads the administrative record only: who is in it would tell them what the
    /// record withholds.
    pub fn check_clinical(&self, what: &str) -> AppResult<()> {
        if self.clinical {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "your role reads the administrative record only, so people cannot be selected or ordered by {what}"
            )))
        }
    }
}

/// Whom staff of a role reach without a care relationship of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The people registered at their own practice.
    OwnPractice,
    /// The people registered with the practices of their PCN.
    PcnPractices,
    /// The registered population of the neighbourhoods their organisation takes part in (case
    /// finding and MDT preparation).
    NeighbourhoodPopulation,
    /// Nobody: only the people they have a care relationship with.
    CareRelationships,
}

impl Reach {
    /// In words, as the README's table says it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::OwnPractice => "people registered at their practice",
            Self::PcnPractices => "people registered with the PCN's practices",
            Self::NeighbourhoodPopulation => "the neighbourhood's registered population",
            Self::CareRelationships => "only people they have a care relationship with",
        }
    }
}

/// One role's rule: whom it reaches without a relationship, and the level of the record it reads.
pub type RoleRule = (ProfessionalRole, Reach, PatientAccessLevel);

/// Who may ever read identifiable records, and whom they reach, as an allow-list: for each kind of
/// organisation, the roles it employs for direct care with their [`Reach`]. Deny by default: an
/// organisation kind or a role that is not listed here (a new one, `HOUSING`, `OTHER`, ICBs, VCSE
/// organisations, commissioners, VCSE workers) opens no identifiable record until a rule here says
/// so. Every role listed also reaches the people it has a care relationship with (`grant_for`),
/// and every grant it holds opens the level its rule names, whatever opened it.
pub const IDENTIFIABLE_ACCESS: &[(OrganisationKind, &[RoleRule])] = {
    use OrganisationKind as K;
    use PatientAccessLevel as L;
    use ProfessionalRole as R;
    use Reach::*;
    &[
        (
            K::GpPractice,
            &[
                (R::Gp, OwnPractice, L::Full),
                (R::PracticeNurse, OwnPractice, L::Full),
                (R::Pharmacist, OwnPractice, L::Full),
                (R::Receptionist, OwnPractice, L::Administrative),
                (R::SocialPrescribingLinkWorker, OwnPractice, L::Full),
                (R::HealthAndWellbeingCoach, OwnPractice, L::Full),
                (R::CareCoordinator, OwnPractice, L::Full),
                (R::IntCoordinator, NeighbourhoodPopulation, L::Full),
            ],
        ),
        (
            K::Pcn,
            &[
                (R::Gp, PcnPractices, L::Full),
                (R::PracticeNurse, PcnPractices, L::Full),
                (R::Pharmacist, PcnPractices, L::Full),
                (R::SocialPrescribingLinkWorker, PcnPractices, L::Full),
                (R::HealthAndWellbeingCoach, PcnPractices, L::Full),
                (R::CareCoordinator, PcnPractices, L::Full),
                (R::IntCoordinator, NeighbourhoodPopulation, L::Full),
            ],
        ),
        (
            K::SplwProvider,
            &[
                (R::SocialPrescribingLinkWorker, CareRelationships, L::Full),
                (R::HealthAndWellbeingCoach, CareRelationships, L::Full),
                (R::CareCoordinator, CareRelationships, L::Full),
            ],
        ),
        (
            K::AdultSocialCare,
            &[(R::SocialWorker, CareRelationships, L::Full), (R::OccupationalTherapist, CareRelationships, L::Full)],
        ),
        (
            K::MentalHealthTrust,
            &[
                (R::MentalHealthPractitioner, CareRelationships, L::Full),
                (R::OccupationalTherapist, CareRelationships, L::Full),
            ],
        ),
        (
            K::CommunityHealthTrust,
            &[(R::DistrictNurse, CareRelationships, L::Full), (R::OccupationalTherapist, CareRelationships, L::Full)],
        ),
    ]
};

/// The clinical roles: where their grant opens the full record they read its sensitive categories
/// too (mental health, safeguarding, sexual health: `crate::conditions::SensitiveCategory`), and
/// only they may break the glass. The other roles that read the full record (link workers, health
/// and wellbeing coaches, care coordinators, social workers, the INT coordinator) read everything
/// else of it, through a relationship only. Deny by default: a role not listed is not clinical.
pub const CLINICAL_ROLES: &[ProfessionalRole] = &[
    ProfessionalRole::Gp,
    ProfessionalRole::PracticeNurse,
    ProfessionalRole::Pharmacist,
    ProfessionalRole::MentalHealthPractitioner,
    ProfessionalRole::DistrictNurse,
    ProfessionalRole::OccupationalTherapist,
];

/// The rule for staff of this role at an organisation of this kind: whom they reach and the level
/// their grants open; `None` when they may never see identifiable records.
fn rule_of(kind: OrganisationKind, role: ProfessionalRole) -> Option<(Reach, PatientAccessLevel)> {
    IDENTIFIABLE_ACCESS
        .iter()
        .filter(|(k, _)| *k == kind)
        .flat_map(|(_, roles)| roles.iter())
        .find(|(r, _, _)| *r == role)
        .map(|(_, reach, level)| (*reach, *level))
}

/// Whom staff of this role at an organisation of this kind reach; `None` when they may never see
/// identifiable records.
pub fn reach_of(kind: OrganisationKind, role: ProfessionalRole) -> Option<Reach> {
    rule_of(kind, role).map(|(reach, _)| reach)
}

/// The level of the record this role's grants open, whatever relationship opened them: the full
/// record, or the administrative record (a receptionist); `None` when it sees no identifiable record.
pub fn level_of(kind: OrganisationKind, role: ProfessionalRole) -> Option<PatientAccessLevel> {
    rule_of(kind, role).map(|(_, level)| level)
}

/// Which of a person's coded conditions staff of this role at an organisation of this kind read,
/// where a grant opens the full record to them: every one for the clinical roles
/// ([`is_clinician`]); all but the sensitive categories for the rest.
pub fn condition_view_of(kind: OrganisationKind, role: ProfessionalRole) -> crate::conditions::ConditionView {
    if is_clinician(kind, role) {
        crate::conditions::ConditionView::All
    } else {
        crate::conditions::ConditionView::ExceptSensitive
    }
}

/// Whether staff of this role at an organisation of this kind act as clinicians here: a role of
/// [`CLINICAL_ROLES`] whose rule opens the full record.
pub fn is_clinician(kind: OrganisationKind, role: ProfessionalRole) -> bool {
    level_of(kind, role).is_some_and(PatientAccessLevel::opens_clinical) && CLINICAL_ROLES.contains(&role)
}

/// Whether staff of this role at an organisation of this kind may ever see identifiable records.
pub fn identifiable_access_allowed(kind: OrganisationKind, role: ProfessionalRole) -> bool {
    reach_of(kind, role).is_some()
}

impl Caller {
    /// Whom the caller reaches without a relationship; `None` when they never see identifiable data.
    pub fn reach(&self) -> Option<Reach> {
        reach_of(self.organisation_kind, self.role)
    }

    /// Whether the caller's role and organisation can ever see identifiable patient data.
    fn may_see_identifiable(&self) -> bool {
        self.reach().is_some()
    }

    /// The level every grant of the caller's opens (`level_of`).
    fn record_level(&self) -> PatientAccessLevel {
        level_of(self.organisation_kind, self.role).unwrap_or(PatientAccessLevel::None)
    }

    /// Which of a person's coded conditions the caller reads (where their grant opens the full
    /// record): every one for the clinical roles of [`CLINICAL_ROLES`]; all but the sensitive
    /// categories (mental health, safeguarding, sexual health) for the rest.
    pub fn condition_view(&self) -> crate::conditions::ConditionView {
        condition_view_of(self.organisation_kind, self.role)
    }

    /// Whether the caller's role reads what is clinical about the people it reaches: conditions,
    /// frailty, plans, outcomes, free text about them; and selects or orders people by it.
    pub fn reads_clinical(&self) -> bool {
        self.record_level().opens_clinical()
    }

    /// Whether the caller reaches the whole registered population of a neighbourhood.
    fn reaches_population_of(&self, neighbourhood_id: Uuid) -> bool {
        self.reach() == Some(Reach::NeighbourhoodPopulation) && self.neighbourhood_ids.contains(&neighbourhood_id)
    }

    /// The practices whose registered people the caller reaches (none unless their reach says so).
    fn reached_practices(&self) -> &[Uuid] {
        match self.reach() {
            Some(Reach::OwnPractice | Reach::PcnPractices) => &self.practice_ids,
            _ => &[],
        }
    }

    /// The patients this caller may list. Refuses callers who may see no identifiable data at all,
    /// so that they learn why instead of receiving an empty list.
    pub fn patient_scope(&self) -> AppResult<PatientScope> {
        let Some(reach) = self.reach() else {
            return Err(AppError::forbidden(self.why_no_identifiable_access()));
        };
        Ok(PatientScope {
            member_of: self.neighbourhood_ids.clone(),
            neighbourhood_ids: if reach == Reach::NeighbourhoodPopulation {
                self.neighbourhood_ids.clone()
            } else {
                Vec::new()
            },
            practice_ids: self.reached_practices().to_vec(),
            related: if reach == Reach::CareRelationships {
                Related::Selected(Box::new(self.related_people()))
            } else {
                // Sorted and deduplicated at once.
                let mut ids: Vec<Uuid> = self
                    .mdt_patient_ids
                    .iter()
                    .chain(&self.practice_referred_ids)
                    .chain(&self.care_team_patient_ids)
                    .copied()
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                Related::Listed(ids)
            },
            break_glass_ids: self.break_glass_patient_ids.clone(),
            organisation_id: self.organisation_id,
            clinical: self.reads_clinical(),
            conditions: self.condition_view(),
        })
    }

    /// The decision for one patient record; `None` means no access. Exactly the people of
    /// `patient_scope`, with the relationship that opens each.
    pub fn grant_for(&self, patient: &patient::Model) -> Option<Grant> {
        if let Some(decided) = self.decided_without_referral(patient) {
            return decided;
        }
        // Staff of a practice or PCN hold theirs as a list, loaded with them; the rest learn it
        // with the people a request loads (`auth::referral_parties`).
        let related = if self.reach() == Some(Reach::CareRelationships) {
            self.referral_parties.of(patient.id)
        } else {
            Some(self.practice_referred_ids.binary_search(&patient.id).is_ok())
        };
        match related {
            Some(true) => Some(Grant { level: self.record_level(), reason: AccessReason::ReferralParty }),
            Some(false) => None,
            None => {
                // Refused, never granted: the statement that loaded the person did not say whether
                // a referral relates them to the caller (`auth::load_people`).
                debug_assert!(false, "person {} loaded without the referral relationship", patient.id);
                tracing::error!(patient = %patient.id, "person loaded without the referral relationship");
                None
            }
        }
    }

    /// The decision where the caller's reach, or a relationship loaded with the caller, makes it;
    /// `None` when only a referral could open the record.
    fn decided_without_referral(&self, patient: &patient::Model) -> Option<Option<Grant>> {
        // VCSE attendees of an MDT see only what the person agreed to share (plan summary).
        if self.reach().is_none() {
            return Some(None);
        }
        let full = |reason| Some(Some(Grant { level: self.record_level(), reason }));
        if self.objection_stands_against(patient) {
            // Beyond their practice, only an emergency opens the record of a person who objects.
            return if self.break_glass_patient_ids.contains(&patient.id) {
                full(AccessReason::BreakGlass)
            } else {
                Some(None)
            };
        }
        if self.reaches_population_of(patient.neighbourhood_id) {
            full(AccessReason::NeighbourhoodMember)
        } else if self.reached_practices().contains(&patient.registered_practice_id) {
            full(AccessReason::RegisteredPractice)
        } else if self.care_team_patient_ids.contains(&patient.id) {
            full(AccessReason::CareTeam)
        } else if self.break_glass_patient_ids.contains(&patient.id) {
            full(AccessReason::BreakGlass)
        } else if self.mdt_patient_ids.contains(&patient.id) {
            full(AccessReason::MdtAgenda)
        } else {
            None
        }
    }

    /// Refused unless the caller registers people at `practice_id`: staff of that GP practice whose
    /// role reaches its registered people (its receptionists included: registration is the
    /// practice's administrative work).
    pub fn may_register_at(&self, practice_id: Uuid) -> AppResult<()> {
        if self.organisation_kind == OrganisationKind::GpPractice
            && self.organisation_id == practice_id
            && self.reach() == Some(Reach::OwnPractice)
        {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "people are registered, and their registration kept, by the staff of their GP practice",
            ))
        }
    }

    /// The grant with which the caller keeps a person's registration (demographics, access needs,
    /// what the practice records about them): staff of their registered practice.
    pub fn may_keep_registration_of(&self, patient: &patient::Model) -> AppResult<Grant> {
        self.may_register_at(patient.registered_practice_id)?;
        self.grant_for(patient).ok_or_else(|| AppError::forbidden(NOT_IN_YOUR_ACCESS))
    }

    /// Refused unless the caller's role records what is clinical (conditions, the eFI): the roles
    /// that read it.
    pub fn may_record_clinical(&self) -> AppResult<()> {
        if self.reads_clinical() {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "your role reads the administrative record only, so it does not record conditions or frailty",
            ))
        }
    }

    /// Refused unless the caller assesses the Clinical Frailty Scale: a clinician ([`CLINICAL_ROLES`]).
    pub fn may_assess_frailty(&self) -> AppResult<()> {
        if is_clinician(self.organisation_kind, self.role) {
            Ok(())
        } else {
            Err(AppError::forbidden("the Clinical Frailty Scale is assessed by a clinician"))
        }
    }

    /// Whether the person objects to their record being shared beyond their GP practice and the
    /// caller is not of that practice: then no relationship opens it, only break-glass (and what the
    /// person agreed to specifically: a referral while it is open, a plan share, an activity).
    fn objection_stands_against(&self, patient: &patient::Model) -> bool {
        patient.objects_to_sharing && self.organisation_id != patient.registered_practice_id
    }

    /// Whether the caller records and withdraws the person's objection to sharing beyond their
    /// practice, with the grant that lets them: staff of the person's registered practice who read
    /// their record (administrative staff included: the practice holds the objection with the GP
    /// record).
    pub fn may_record_objection(&self, patient: &patient::Model) -> Option<Grant> {
        self.grant_for(patient).filter(|_| self.organisation_id == patient.registered_practice_id)
    }

    /// Whether the caller may break the glass for `patient`: a clinical role ([`CLINICAL_ROLES`]),
    /// of an organisation taking part in the person's neighbourhood, with no relationship that
    /// already opens the record. The refusal says which rule.
    pub fn may_break_glass(&self, patient: &patient::Model) -> AppResult<()> {
        if !is_clinician(self.organisation_kind, self.role) {
            return Err(AppError::forbidden(
                "break-glass access is for clinical roles with direct care duties (GPs, nurses, pharmacists, mental health practitioners, occupational therapists); link workers, coordinators, social workers, VCSE, commissioning and administrative roles cannot use it",
            ));
        }
        if !self.takes_part_in(patient.neighbourhood_id) {
            return Err(AppError::forbidden(
                "your organisation does not take part in the person's neighbourhood, so break-glass access does not reach them",
            ));
        }
        if let Some(grant) = self.grant_for(patient) {
            return Err(AppError::bad_input(
                "patientId",
                format!("you already read this record ({}); break-glass access is not needed", grant.reason.as_str()),
            ));
        }
        Ok(())
    }

    /// The decision for a person reached through a break-glass use: the full record while it is
    /// the caller's own, about this person, and not lapsed at `now`, for a role that may break it.
    pub fn grant_through_break_glass(
        &self,
        patient: &patient::Model,
        use_: &entity::break_glass::Model,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<Grant> {
        (is_clinician(self.organisation_kind, self.role)
            && use_.practitioner_id == self.practitioner_id
            && use_.patient_id == patient.id
            && use_.expires_at > now)
            .then_some(Grant { level: PatientAccessLevel::Full, reason: AccessReason::BreakGlass })
    }

    /// Whether the caller keeps `patient`'s named care team (names members, ends memberships),
    /// with the grant that lets them: those who reach the person as part of their population
    /// (their practice, PCN or INT coordinator), not through a relationship of their own.
    pub fn may_manage_care_team(&self, patient: &patient::Model) -> Option<Grant> {
        self.grant_for(patient)
            .filter(|g| matches!(g.reason, AccessReason::NeighbourhoodMember | AccessReason::RegisteredPractice))
    }

    /// The decision for a patient reached through one of their referrals: the caller's own grant;
    /// or, while the referral is open, the person's consent to it opens the summary (name and
    /// access needs, nothing clinical) to the receiving organisation and the assigned worker: how a
    /// VCSE service that receives a referral knows whom to contact; or, for the referring
    /// organisation, the summary of the person it referred, whenever it reads that referral or its
    /// feedback: whom the feedback it files is about.
    pub fn grant_through_referral(
        &self,
        patient: &patient::Model,
        referral: &entity::referral::Model,
    ) -> Option<Grant> {
        if referral.patient_id != patient.id {
            return None;
        }
        self.grant_for(patient).or_else(|| {
            let receives =
                self.is_receiver(referral) || referral.assigned_practitioner_id == Some(self.practitioner_id);
            ((receives && referral.open_key.is_some()) || self.is_referrer(referral))
                .then_some(Grant { level: PatientAccessLevel::SharedSummary, reason: AccessReason::ReferralParty })
        })
    }

    /// The decision for a person reached through feedback on their referral: the caller's own
    /// grant, or, for the organisation the feedback is addressed to (the referrer, which files it),
    /// the summary: whom it is about.
    pub fn grant_through_feedback(
        &self,
        patient: &patient::Model,
        feedback: &entity::referral_feedback::Model,
    ) -> Option<Grant> {
        if feedback.patient_id != patient.id {
            return None;
        }
        self.grant_for(patient).or_else(|| {
            self.files_feedback(feedback)
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
        // The plan is clinical: an administrative grant does not open it, the person's agreement does.
        self.grant_for(patient).filter(|g| g.level.opens_clinical()).or_else(|| {
            (self.works_for(share.organisation_id) && share.open_key.is_some())
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
            (self.works_for(asset.provider_organisation_id)
                && crate::directory::connections::holds_place(connection.state))
            .then_some(Grant { level: PatientAccessLevel::SharedSummary, reason: AccessReason::AssetConnection })
        })
    }

    /// Whether the caller is a party to a referral: the referring organisation, the receiving
    /// organisation or the assigned worker. Other organisations do not see it, by any path (the
    /// referral, its needs, events and feedback, a person's list of referrals, their care team,
    /// the needs behind suggestions, the reasons of an agenda proposal).
    pub fn may_see_referral(&self, referral: &entity::referral::Model) -> bool {
        self.is_referrer(referral)
            || self.is_receiver(referral)
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
        Some(match self.record_level() {
            PatientAccessLevel::Full => ReferralView::Full,
            PatientAccessLevel::Administrative => ReferralView::Administrative,
            PatientAccessLevel::SharedSummary | PatientAccessLevel::None => {
                ReferralView::NonClinical { organisation_id: self.organisation_id }
            }
        })
    }

    /// Whether the caller reads free text about a person written by `author` (an organisation):
    /// callers who may read identifiable records read all of it; the others (a VCSE partner) only
    /// what their own organisation wrote, since another's may be clinical.
    pub fn reads_text_written_by(&self, author: Uuid) -> bool {
        match self.record_level() {
            PatientAccessLevel::Full => true,
            PatientAccessLevel::Administrative => false,
            PatientAccessLevel::SharedSummary | PatientAccessLevel::None => self.organisation_id == author,
        }
    }

    /// The caller's level for the people their reach covers without a relationship (shown by
    /// `me`): the full record for practice, PCN and neighbourhood roles; nothing for the others,
    /// who see people one by one through their care relationships.
    pub fn patient_access_level(&self) -> PatientAccessLevel {
        let covers_people = match self.reach() {
            Some(Reach::NeighbourhoodPopulation) => !self.neighbourhood_ids.is_empty(),
            Some(Reach::OwnPractice | Reach::PcnPractices) => !self.practice_ids.is_empty(),
            Some(Reach::CareRelationships) | None => false,
        };
        if covers_people {
            self.record_level()
        } else {
            PatientAccessLevel::None
        }
    }

    /// Whether the caller may see non-identifiable figures (cohort definitions and counts) for a
    /// neighbourhood: its participants, and commissioners for every neighbourhood.
    pub fn may_see_aggregates(&self, neighbourhood_id: Uuid) -> bool {
        self.sees_every_neighbourhood() || self.neighbourhood_ids.contains(&neighbourhood_id)
    }

    /// How this caller reads figures about people: exactly when they may read the records of
    /// everyone the figures count (the neighbourhood's population: the INT coordinator); otherwise
    /// as published statistics (`crate::disclosure`). A practice's staff or a service's worker
    /// would otherwise learn, from an exact small count, about people they may not see.
    pub fn disclosure(&self) -> Disclosure {
        if self.reach() == Some(Reach::NeighbourhoodPopulation) {
            Disclosure::Exact
        } else {
            Disclosure::Published
        }
    }

    /// How this caller reads figures over referrals their own organisation is a party to: exactly
    /// when they may read identifiable records, since they see every one of those referrals;
    /// otherwise as published statistics.
    pub fn disclosure_of_own_referrals(&self) -> Disclosure {
        if self.may_see_identifiable() {
            Disclosure::Exact
        } else {
            Disclosure::Published
        }
    }

    /// Whose data the caller's figures count, read as `disclosure`: exact figures over an area count
    /// only the records the caller reads (a person who objects to sharing is not one); exact
    /// figures over their own organisation's referrals count its referrals; published statistics
    /// leave out everyone with a national data opt-out, since they are a use beyond individual care.
    pub fn counted(&self, disclosure: Disclosure) -> crate::disclosure::Counted {
        use crate::disclosure::Counted;
        match disclosure {
            Disclosure::Published => Counted::OptedIn,
            Disclosure::Exact if self.reach() == Some(Reach::NeighbourhoodPopulation) => {
                Counted::ReadableBy { organisation_id: self.organisation_id }
            }
            Disclosure::Exact => Counted::Parties,
        }
    }

    /// Which conditions the caller's figures count: exact figures (records in all but name) only
    /// those the caller reads; published statistics every one (no person's condition can be read
    /// from a suppressed, rounded count).
    pub fn counted_conditions(&self, disclosure: Disclosure) -> crate::conditions::ConditionView {
        match disclosure {
            Disclosure::Published => crate::conditions::ConditionView::All,
            Disclosure::Exact => self.condition_view(),
        }
    }

    /// One aggregate count, alone, as this caller may see it. Callers who do not read the records
    /// of everyone it counts (see `disclosure`) do not see counts below 5 (`None`): a narrow definition (one practice,
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

    /// Whether the caller may define cohorts for a neighbourhood (those who can see its members
    /// and what the definitions select by).
    pub fn may_manage_cohorts(&self, neighbourhood_id: Uuid) -> bool {
        self.reads_clinical() && self.neighbourhood_ids.contains(&neighbourhood_id)
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

    /// Whether the caller may set the disciplines a neighbourhood's meetings require: its
    /// organisers, or a deployment administrator.
    pub fn may_set_required_disciplines(&self, neighbourhood_id: Uuid) -> bool {
        self.may_organise_meetings(neighbourhood_id) || matches!(self.administration(), Ok(AdminScope::Deployment))
    }

    /// Whether the caller may have people proposed for an MDT agenda: an organiser whose role reads
    /// clinical records, since a proposal selects people by frailty and conditions and ranks them
    /// by clinical reasons (long waits, overdue actions, falling wellbeing), which the
    /// administrative record withholds.
    pub fn may_have_agenda_proposed(&self, neighbourhood_id: Uuid) -> AppResult<()> {
        if !self.may_organise_meetings(neighbourhood_id) {
            return Err(AppError::forbidden("meetings are organised by staff of the neighbourhood's organisations"));
        }
        if !self.reads_clinical() {
            return Err(AppError::forbidden(
                "your role reads the administrative record only, so it cannot have people proposed for an agenda by their clinical reasons",
            ));
        }
        Ok(())
    }

    /// Why the caller may read an MDT action's text (what the meeting agreed about a person):
    /// their grant on the person, where it opens what is clinical, or owning the action (the
    /// meeting gave it to them, whatever their access to the record); `None`: the text is not
    /// theirs to read. `person` is the action's person as loaded, `None` when there is none.
    pub fn reads_action(
        &self,
        action: &entity::mdt_action::Model,
        person: Option<&patient::Model>,
    ) -> Option<AccessReason> {
        let grant = person.filter(|p| p.id == action.patient_id).and_then(|p| self.grant_for(p));
        match grant {
            Some(grant) if grant.level.opens_clinical() => Some(grant.reason),
            _ if action.owner_practitioner_id == Some(self.practitioner_id) => Some(AccessReason::MdtActionOwner),
            _ => None,
        }
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
        self.works_for(referral.referring_organisation_id)
    }

    /// Whether the caller acts for `organisation_id` in the care of people: one of its staff, in a
    /// role that works with people. The roles of [`OVERSIGHT_ROLES`] never do, so nothing their
    /// organisation is party to (a referral it made or received, a plan shared with it, an activity
    /// it runs) names a person to them.
    fn works_for(&self, organisation_id: Uuid) -> bool {
        self.organisation_id == organisation_id && !OVERSIGHT_ROLES.contains(&self.role)
    }

    /// Whether the caller's organisation received the referral: it triages, assigns and contacts,
    /// and moves it through its service.
    pub fn is_receiver(&self, referral: &entity::referral::Model) -> bool {
        self.works_for(referral.receiving_organisation_id)
    }

    /// Whether the caller files a referral's feedback: staff of the referring organisation.
    pub fn files_feedback(&self, feedback: &entity::referral_feedback::Model) -> bool {
        self.works_for(feedback.referring_organisation_id)
    }

    /// Whether the caller may see a worker's caseload: the worker, or staff of the same
    /// organisation.
    pub fn may_see_caseload(&self, worker: &entity::practitioner::Model) -> bool {
        self.practitioner_id == worker.id || self.works_for(worker.organisation_id)
    }

    /// Whether the caller may record that a directory entry was checked: its provider, or staff of
    /// its neighbourhood who may see identifiable records.
    pub fn may_check_asset(&self, asset: &entity::community_asset::Model) -> bool {
        self.organisation_id == asset.provider_organisation_id
            || (self.may_see_identifiable() && self.neighbourhood_ids.contains(&asset.neighbourhood_id))
    }

    /// Refused unless the caller keeps the directory entries `provider_id` runs: its staff who
    /// work with people, its own administrator, or the deployment's. Commissioners and privacy
    /// officers do not edit the directory.
    pub fn may_edit_assets_of(&self, provider_id: Uuid) -> AppResult<()> {
        let own_admin = self.role == ProfessionalRole::OrganisationAdministrator && self.organisation_id == provider_id;
        if self.works_for(provider_id) || own_admin || self.role == ProfessionalRole::DeploymentAdministrator {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "a directory entry is kept by the organisation that runs it (its staff or its administrator) or the deployment's administrator",
            ))
        }
    }

    /// What the caller administers: refused to everyone but administrators.
    pub fn administration(&self) -> AppResult<AdminScope> {
        match self.role {
            ProfessionalRole::DeploymentAdministrator => Ok(AdminScope::Deployment),
            ProfessionalRole::OrganisationAdministrator => Ok(AdminScope::Organisation(self.organisation_id)),
            _ => Err(AppError::forbidden(
                "organisations, neighbourhoods and staff are managed by administrators (a deployment administrator, or an organisation's own)",
            )),
        }
    }

    /// Whether the caller reads the identity `practitioner` signs in with: their own, or as an
    /// administrator of their organisation.
    pub fn reads_identity_of(&self, practitioner: &entity::practitioner::Model) -> bool {
        self.practitioner_id == practitioner.id
            || self.administration().is_ok_and(|scope| scope.manages(practitioner.organisation_id))
    }

    /// Which administrative changes the caller reads: administrators theirs, privacy officers of
    /// the organisations that review access all of them (who was given which role is part of
    /// who could read what).
    pub fn administration_trail_scope(&self) -> AppResult<TrailScope> {
        match self.role {
            ProfessionalRole::DeploymentAdministrator => Ok(TrailScope::All),
            ProfessionalRole::OrganisationAdministrator => Ok(TrailScope::Organisation(self.organisation_id)),
            ProfessionalRole::PrivacyOfficer if PRIVACY_REVIEW_ORGANISATIONS.contains(&self.organisation_kind) => {
                Ok(TrailScope::All)
            }
            _ => Err(AppError::forbidden(
                "the administration trail is read by administrators and by the privacy officer of a health or care organisation",
            )),
        }
    }

    /// Whose access the caller reviews: a privacy officer of an organisation in
    /// [`PRIVACY_REVIEW_ORGANISATIONS`] reviews the people of the neighbourhoods it takes part in.
    /// Everyone else is refused: the trail says who read whose record, which is itself personal.
    pub fn review_scope(&self) -> AppResult<ReviewScope> {
        if self.role != ProfessionalRole::PrivacyOfficer
            || !PRIVACY_REVIEW_ORGANISATIONS.contains(&self.organisation_kind)
        {
            return Err(AppError::forbidden(
                "the access trail and break-glass reviews are for the privacy officer (Caldicott Guardian or information-governance lead) of a health or care organisation",
            ));
        }
        if self.neighbourhood_ids.is_empty() {
            return Err(AppError::forbidden(
                "your organisation takes part in no neighbourhood, so there is no access of its people to review",
            ));
        }
        Ok(ReviewScope { neighbourhood_ids: self.neighbourhood_ids.clone() })
    }

    /// Why `patient_scope` refuses this caller, in words they can act on.
    fn why_no_identifiable_access(&self) -> String {
        use crate::label::label;
        match (self.role, self.organisation_kind) {
            (ProfessionalRole::DeploymentAdministrator | ProfessionalRole::OrganisationAdministrator, _) => {
                "Administrators manage organisations, neighbourhoods and staff; they do not see identifiable patient records".to_owned()
            }
            (ProfessionalRole::Commissioner, _) | (_, OrganisationKind::Icb) => {
                "Commissioning staff do not see identifiable patient records; use the aggregate figures (cohort member counts, referral figures, the outcome report) instead".to_owned()
            }
            (ProfessionalRole::PrivacyOfficer, _) => {
                "Privacy officers do not see identifiable patient records; they review who read whose record through the access trail (accessTrail, breakGlassUses, accessFlags, subjectAccessReport)".to_owned()
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
            identity_subject: None,
            name: "Test".into(),
            role,
            organisation_id: Uuid::nil(),
            organisation_kind: kind,
            neighbourhood_ids: neighbourhoods,
            practice_ids: Vec::new(),
            mdt_patient_ids: Vec::new(),
            referral_parties: unrelated(),
            practice_referred_ids: Vec::new(),
            care_team_patient_ids: Vec::new(),
            break_glass_patient_ids: Vec::new(),
            windows: crate::auth::AccessWindows::default(),
            backend: sea_orm::DatabaseBackend::Sqlite,
        }
    }

    /// What a loading statement tells a caller no referral relates to the test patient.
    fn unrelated() -> crate::auth::ReferralParties {
        let known = crate::auth::ReferralParties::default();
        known.learn(Uuid::from_u128(9), false);
        known
    }

    /// A caller a referral relates to `patient_id` (as loading them tells, and, for practice and
    /// PCN staff, as the caller's own list says).
    fn referred(c: &mut Caller, patient_id: Uuid) {
        c.referral_parties = crate::auth::ReferralParties::default();
        c.referral_parties.learn(patient_id, true);
        if matches!(c.organisation_kind, OrganisationKind::GpPractice | OrganisationKind::Pcn) {
            c.practice_referred_ids = vec![patient_id];
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
            objects_to_sharing: false,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            efi_recorded_by: None,
            cfs_assessed_by: None,
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
        let mut gp = caller(ProfessionalRole::Gp, OrganisationKind::GpPractice, vec![a]);
        gp.practice_ids = vec![person.registered_practice_id];
        let own = gp.grant_through_share(&person, &share(person.id, b, true)).expect("the GP's own grant");
        assert_eq!(own.level(), PatientAccessLevel::Full);
    }

    /// Through a referral: a service's staff on the allow-list read the full record while it is
    /// open or within its window after it ends (read with the person); a VCSE receiver the
    /// summary while it is open; the referring organisation the summary of whom it referred, in
    /// the referral and in the feedback addressed to it; another organisation nothing.
    #[test]
    fn a_referral_opens_what_each_party_needs_and_nothing_to_others() {
        let a = Uuid::from_u128(1);
        let (practice, service, vcse, other) =
            (Uuid::from_u128(5), Uuid::from_u128(20), Uuid::from_u128(30), Uuid::from_u128(40));
        let person = test_patient(a);
        let referral = |receiver: Uuid, open: bool| entity::referral::Model {
            id: Uuid::from_u128(50),
            patient_id: person.id,
            source: entity::ReferralSource::Gp,
            referring_practitioner_id: Uuid::nil(),
            referring_organisation_id: practice,
            service: entity::ReferralService::AdultSocialCare,
            receiving_organisation_id: receiver,
            urgency: entity::Urgency::Routine,
            context: None,
            partner_summary: None,
            consent_recorded_by: Uuid::nil(),
            consent_recorded_at: chrono::Utc::now(),
            status: if open { entity::ReferralStatus::Received } else { entity::ReferralStatus::Closed },
            open_key: open.then(|| "open".to_owned()),
            assigned_practitioner_id: None,
            idempotency_key: None,
            first_contact_at: None,
            ended_at: (!open).then(chrono::Utc::now),
            outcome: None,
            rejection_reason: None,
            suggested_alternative: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let at = |role, kind, organisation_id| Caller { organisation_id, ..caller(role, kind, vec![a]) };
        let mut worker = at(ProfessionalRole::SocialWorker, OrganisationKind::AdultSocialCare, service);
        let level = |c: &Caller, r: &entity::referral::Model| c.grant_through_referral(&person, r).map(|g| g.level);
        // Past its window the referral is not among the caller's relationships.
        assert_eq!(level(&worker, &referral(service, false)), None);
        referred(&mut worker, person.id);
        assert_eq!(level(&worker, &referral(service, false)), Some(PatientAccessLevel::Full));
        let partner = at(ProfessionalRole::VcseWorker, OrganisationKind::Vcse, vcse);
        assert_eq!(level(&partner, &referral(vcse, true)), Some(PatientAccessLevel::SharedSummary));
        assert_eq!(level(&partner, &referral(vcse, false)), None, "a VCSE receiver's summary ends with it");
        let referrer = at(ProfessionalRole::Receptionist, OrganisationKind::Housing, practice);
        assert_eq!(level(&referrer, &referral(service, false)), Some(PatientAccessLevel::SharedSummary));
        let stranger = at(ProfessionalRole::SocialWorker, OrganisationKind::AdultSocialCare, other);
        assert_eq!(level(&stranger, &referral(service, true)), None);
        let mut elsewhere = referral(service, true);
        elsewhere.patient_id = Uuid::from_u128(99);
        assert_eq!(level(&referrer, &elsewhere), None, "another person's referral opens nothing");

        let feedback = |to: Uuid, patient_id: Uuid| entity::referral_feedback::Model {
            id: Uuid::from_u128(60),
            referral_id: Uuid::from_u128(50),
            patient_id,
            referring_organisation_id: to,
            ended_status: entity::ReferralStatus::Closed,
            outcome: None,
            snomed_codes: String::new(),
            summary: "Walking weekly".to_owned(),
            worker_id: None,
            written_by: Uuid::nil(),
            created_at: chrono::Utc::now(),
            filed_at: None,
            filed_by: None,
        };
        let through = |c: &Caller, f| c.grant_through_feedback(&person, &f).map(|g| g.level);
        assert_eq!(through(&referrer, feedback(practice, person.id)), Some(PatientAccessLevel::SharedSummary));
        assert_eq!(through(&stranger, feedback(practice, person.id)), None);
        assert_eq!(through(&referrer, feedback(practice, Uuid::from_u128(99))), None);
    }

    /// Break-glass: only clinical roles, in the person's neighbourhood, without a relationship;
    /// a use opens the full record to its own practitioner, for its own person, until it lapses.
    #[test]
    fn break_glass_opens_only_a_clinicians_own_unlapsed_use_and_is_refused_where_it_may_not_be() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let person = test_patient(a);
        let nurse = caller(ProfessionalRole::DistrictNurse, OrganisationKind::CommunityHealthTrust, vec![a]);
        assert!(nurse.may_break_glass(&person).is_ok());
        for (role, kind) in [
            (ProfessionalRole::VcseWorker, OrganisationKind::Vcse),
            (ProfessionalRole::Commissioner, OrganisationKind::Icb),
            (ProfessionalRole::Receptionist, OrganisationKind::GpPractice),
        ] {
            let err = caller(role, kind, vec![a]).may_break_glass(&person).unwrap_err();
            assert_eq!(err.code(), "FORBIDDEN", "{role:?}");
        }
        let elsewhere = caller(ProfessionalRole::DistrictNurse, OrganisationKind::CommunityHealthTrust, vec![b]);
        assert_eq!(elsewhere.may_break_glass(&person).unwrap_err().code(), "FORBIDDEN");
        let mut related = nurse.clone();
        referred(&mut related, person.id);
        assert_eq!(related.may_break_glass(&person).unwrap_err().code(), "BAD_USER_INPUT");

        let now = chrono::Utc::now();
        let use_ = |practitioner_id: Uuid, patient_id: Uuid, lapses: chrono::DateTime<chrono::Utc>| {
            entity::break_glass::Model {
                id: Uuid::from_u128(70),
                practitioner_id,
                organisation_id: Uuid::nil(),
                professional_role: "district_nurse".into(),
                patient_id,
                reason: "emergency_care".into(),
                detail: "Fall at home".into(),
                started_at: now - chrono::Duration::hours(1),
                expires_at: lapses,
                reviewed_by: None,
                reviewed_at: None,
                review_outcome: None,
                review_note: None,
            }
        };
        let later = now + chrono::Duration::hours(3);
        let grant = nurse.grant_through_break_glass(&person, &use_(nurse.practitioner_id, person.id, later), now);
        assert_eq!(grant.map(|g| (g.level, g.reason)), Some((PatientAccessLevel::Full, AccessReason::BreakGlass)));
        assert_eq!(nurse.grant_through_break_glass(&person, &use_(nurse.practitioner_id, person.id, now), now), None);
        assert_eq!(nurse.grant_through_break_glass(&person, &use_(Uuid::from_u128(8), person.id, later), now), None);
        assert_eq!(
            nurse.grant_through_break_glass(&person, &use_(nurse.practitioner_id, Uuid::from_u128(99), later), now),
            None
        );
        let receptionist = caller(ProfessionalRole::Receptionist, OrganisationKind::GpPractice, vec![a]);
        let theirs = use_(receptionist.practitioner_id, person.id, later);
        assert_eq!(receptionist.grant_through_break_glass(&person, &theirs, now), None, "a role that may not");
    }

    /// An action's text opens under a grant that opens what is clinical, or to its owner; an
    /// administrative grant alone (a receptionist organising the meeting) opens nothing of it.
    #[test]
    fn an_actions_text_opens_to_clinical_readers_and_its_owner_only() {
        let a = Uuid::from_u128(1);
        let practice = Uuid::from_u128(5);
        let mut person = test_patient(a);
        person.registered_practice_id = practice;
        let action = |owner: Option<Uuid>| entity::mdt_action::Model {
            id: Uuid::from_u128(80),
            meeting_id: Uuid::from_u128(81),
            item_id: Uuid::from_u128(82),
            patient_id: person.id,
            text: "Review medication".into(),
            owner_practitioner_id: owner,
            owner_organisation_id: None,
            due_date: None,
            status: entity::PlanActionStatus::Open,
            created_by: Uuid::nil(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        let at_practice = |role| {
            let mut c = caller(role, OrganisationKind::GpPractice, vec![a]);
            c.practice_ids = vec![practice];
            c
        };
        let gp = at_practice(ProfessionalRole::Gp);
        let mut receptionist = at_practice(ProfessionalRole::Receptionist);
        receptionist.practitioner_id = Uuid::from_u128(3);
        assert_eq!(gp.reads_action(&action(None), Some(&person)), Some(AccessReason::RegisteredPractice));
        assert_eq!(receptionist.reads_action(&action(None), Some(&person)), None);
        assert_eq!(
            receptionist.reads_action(&action(Some(receptionist.practitioner_id)), Some(&person)),
            Some(AccessReason::MdtActionOwner)
        );
        let stranger = caller(ProfessionalRole::SocialWorker, OrganisationKind::AdultSocialCare, vec![a]);
        assert_eq!(stranger.reads_action(&action(None), Some(&person)), None);
        assert_eq!(stranger.reads_action(&action(None), None), None);
        let mut someone_else = test_patient(a);
        someone_else.id = Uuid::from_u128(99);
        assert_eq!(gp.reads_action(&action(None), Some(&someone_else)), None, "another person's grant opens nothing");
        assert!(receptionist.may_have_agenda_proposed(a).is_err());
        assert!(gp.may_have_agenda_proposed(a).is_ok());
    }

    /// Table-driven: who sees a patient of neighbourhood A registered at practice P, at what level
    /// and through which relationship.
    #[test]
    fn policy_matrix() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let (p, q) = (Uuid::from_u128(5), Uuid::from_u128(6));
        let mut person = test_patient(a);
        person.registered_practice_id = p;
        use AccessReason as Why;
        use OrganisationKind as K;
        use ProfessionalRole as R;
        // (role, kind, neighbourhoods, practices, referred to them, expected)
        let cases = [
            (R::IntCoordinator, K::Pcn, vec![a], vec![p], false, Some(Why::NeighbourhoodMember)),
            (R::IntCoordinator, K::GpPractice, vec![a], vec![q], false, Some(Why::NeighbourhoodMember)),
            (R::IntCoordinator, K::Pcn, vec![b], vec![], false, None),
            (R::Gp, K::GpPractice, vec![a], vec![p], false, Some(Why::RegisteredPractice)),
            (R::Receptionist, K::GpPractice, vec![a], vec![p], false, Some(Why::RegisteredPractice)),
            (R::Gp, K::GpPractice, vec![a], vec![q], false, None),
            (R::CareCoordinator, K::Pcn, vec![a], vec![q, p], false, Some(Why::RegisteredPractice)),
            (R::SocialPrescribingLinkWorker, K::Pcn, vec![a], vec![q], false, None),
            (R::Gp, K::GpPractice, vec![a], vec![q], true, Some(Why::ReferralParty)),
            (R::SocialWorker, K::AdultSocialCare, vec![a, b], vec![], false, None),
            (R::SocialWorker, K::AdultSocialCare, vec![a, b], vec![], true, Some(Why::ReferralParty)),
            // A practice list does not open a record to a service, whatever its rows say.
            (R::SocialWorker, K::AdultSocialCare, vec![a], vec![p], false, None),
            (R::MentalHealthPractitioner, K::MentalHealthTrust, vec![a], vec![], false, None),
            (R::MentalHealthPractitioner, K::MentalHealthTrust, vec![a], vec![], true, Some(Why::ReferralParty)),
            (R::DistrictNurse, K::CommunityHealthTrust, vec![a], vec![], false, None),
            (R::SocialPrescribingLinkWorker, K::SplwProvider, vec![a], vec![], false, None),
            (R::SocialPrescribingLinkWorker, K::SplwProvider, vec![a], vec![], true, Some(Why::ReferralParty)),
            (R::VcseWorker, K::Vcse, vec![a], vec![p], true, None),
            (R::SocialWorker, K::Vcse, vec![a], vec![p], true, None),
            (R::Commissioner, K::Icb, vec![a], vec![p], true, None),
        ];
        for (role, kind, neighbourhoods, practices, referred, expected) in cases {
            let mut c = caller(role, kind, neighbourhoods);
            c.practice_ids = practices;
            if referred {
                super::tests::referred(&mut c, person.id);
            }
            let got = c.grant_for(&person);
            assert_eq!(got.map(|g| g.reason), expected, "{role:?} at {kind:?}");
            assert!(got.is_none_or(|g| Some(g.level) == level_of(kind, role)), "{role:?} at {kind:?}");
            assert_eq!(c.patient_scope().is_ok(), !matches!(role, R::VcseWorker | R::Commissioner) && kind != K::Vcse);
        }
    }

    /// The scope selects exactly what `grant_for` opens: the neighbourhood for the coordinator,
    /// the practice list for practice and PCN staff, the people a relationship relates to the
    /// caller for everyone on the allow-list, and nothing else.
    #[test]
    fn the_scope_names_what_the_reach_and_the_relationships_open() {
        let (a, p, q, x) = (Uuid::from_u128(1), Uuid::from_u128(5), Uuid::from_u128(6), Uuid::from_u128(77));
        let scope_of = |role, kind| {
            let mut c = caller(role, kind, vec![a]);
            c.practice_ids = vec![p, q];
            referred(&mut c, x);
            (c.patient_scope().expect("a scope"), c)
        };
        let (coordinator, _) = scope_of(ProfessionalRole::IntCoordinator, OrganisationKind::Pcn);
        assert_eq!(
            (coordinator.neighbourhood_ids, coordinator.practice_ids, coordinator.related),
            (vec![a], vec![], Related::Listed(vec![x]))
        );
        let (nurse, _) = scope_of(ProfessionalRole::PracticeNurse, OrganisationKind::Pcn);
        assert_eq!(
            (nurse.neighbourhood_ids, nurse.practice_ids, nurse.related),
            (vec![], vec![p, q], Related::Listed(vec![x]))
        );
        let (social_worker, c) = scope_of(ProfessionalRole::SocialWorker, OrganisationKind::AdultSocialCare);
        assert!(social_worker.covers_neighbourhood(a), "it may still name its neighbourhood in a filter");
        assert_eq!((social_worker.neighbourhood_ids.clone(), social_worker.practice_ids.clone()), (vec![], vec![]));
        // Reached through relationships only: all of them as the sub-select the scope carries.
        let Related::Selected(people) = &social_worker.related else {
            panic!("a sub-select: {:?}", social_worker.related)
        };
        let text = |s: &SelectStatement| s.build(sea_orm::sea_query::SqliteQueryBuilder).0;
        assert_eq!(text(people), text(&c.related_people()));
        for part in ["\"referral\"", "\"care_team_member\"", "\"mdt_agenda_item\"", "\"ended_at\" IS NULL"] {
            assert!(text(people).contains(part), "{part} in {}", text(people));
        }
    }

    /// The referral relationship of those who reach a population is loaded with the caller for
    /// the staff of practices and PCNs (`auth::load_caller`): every rule with such a reach must be
    /// at one, or its referrals would open nothing.
    #[test]
    fn every_population_reach_is_at_a_practice_or_pcn() {
        for (kind, rules) in IDENTIFIABLE_ACCESS {
            for (role, reach, _) in rules.iter() {
                if *reach != Reach::CareRelationships {
                    assert!(
                        matches!(kind, OrganisationKind::GpPractice | OrganisationKind::Pcn),
                        "{role:?} at {kind:?}"
                    );
                }
            }
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
                let mut c = caller(role, kind, vec![a]);
                // The person is registered at the caller's practice (for a practice or PCN) and
                // referred to them: every rule that could open the record applies.
                c.practice_ids = vec![Uuid::nil()];
                referred(&mut c, test_patient(a).id);
                let expected = allowed.contains(&(kind, role));
                let grant = c.grant_for(&test_patient(a));
                assert_eq!(grant.is_some(), expected, "{role:?} at {kind:?}");
                assert_eq!(c.patient_scope().is_ok(), expected, "{role:?} at {kind:?}");
                let population = expected && reach_of(kind, role) != Some(Reach::CareRelationships);
                let level = if population { level_of(kind, role).unwrap() } else { PatientAccessLevel::None };
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
        visitor.referral_parties.learn(person.id, false);
        assert_eq!(visitor.grant_for(&person), None);
    }

    #[test]
    fn small_counts_are_withheld_from_callers_who_do_not_see_everyone_counted() {
        let a = Uuid::from_u128(1);
        let commissioner = caller(ProfessionalRole::Commissioner, OrganisationKind::Icb, vec![]);
        let coordinator = caller(ProfessionalRole::IntCoordinator, OrganisationKind::Pcn, vec![a]);
        assert_eq!(
            [0, 1, 4, 5, 1_808].map(|n| commissioner.disclosable_count(n)),
            [None, None, None, Some(5), Some(1_810)]
        );
        assert_eq!([1, 4].map(|n| coordinator.disclosable_count(n)), [Some(1), Some(4)]);
        // A neighbourhood's figures count people of every practice: a GP sees only their own
        // practice's, a social worker only the people referred to them, so neither reads an exact
        // small count of the others; over their own organisation's referrals both do.
        for (role, kind) in [
            (ProfessionalRole::Gp, OrganisationKind::GpPractice),
            (ProfessionalRole::SocialWorker, OrganisationKind::AdultSocialCare),
        ] {
            let c = caller(role, kind, vec![a]);
            assert_eq!([1, 4, 7].map(|n| c.disclosable_count(n)), [None, None, Some(5)], "{role:?}");
            assert_eq!(c.disclosure_of_own_referrals(), Disclosure::Exact, "{role:?}");
        }
        let vcse = caller(ProfessionalRole::VcseWorker, OrganisationKind::Vcse, vec![a]);
        assert_eq!(vcse.disclosure_of_own_referrals(), Disclosure::Published);
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
