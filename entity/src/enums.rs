//! Enumerations stored as short text codes (portable across SQLite and PostgreSQL).

use sea_orm::entity::prelude::*;

/// What an organisation is, which decides its place in the access policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum OrganisationKind {
    #[sea_orm(string_value = "gp_practice")]
    GpPractice,
    #[sea_orm(string_value = "pcn")]
    Pcn,
    #[sea_orm(string_value = "icb")]
    Icb,
    #[sea_orm(string_value = "adult_social_care")]
    AdultSocialCare,
    #[sea_orm(string_value = "mental_health_trust")]
    MentalHealthTrust,
    #[sea_orm(string_value = "community_health_trust")]
    CommunityHealthTrust,
    #[sea_orm(string_value = "vcse")]
    Vcse,
    #[sea_orm(string_value = "splw_provider")]
    SplwProvider,
    #[sea_orm(string_value = "housing")]
    Housing,
    #[sea_orm(string_value = "other")]
    Other,
}

/// A practitioner's professional role (the discipline they bring to a team).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ProfessionalRole {
    #[sea_orm(string_value = "gp")]
    Gp,
    #[sea_orm(string_value = "practice_nurse")]
    PracticeNurse,
    #[sea_orm(string_value = "pharmacist")]
    Pharmacist,
    #[sea_orm(string_value = "receptionist")]
    Receptionist,
    #[sea_orm(string_value = "social_prescribing_link_worker")]
    SocialPrescribingLinkWorker,
    #[sea_orm(string_value = "health_and_wellbeing_coach")]
    HealthAndWellbeingCoach,
    #[sea_orm(string_value = "care_coordinator")]
    CareCoordinator,
    #[sea_orm(string_value = "social_worker")]
    SocialWorker,
    #[sea_orm(string_value = "mental_health_practitioner")]
    MentalHealthPractitioner,
    #[sea_orm(string_value = "district_nurse")]
    DistrictNurse,
    #[sea_orm(string_value = "occupational_therapist")]
    OccupationalTherapist,
    #[sea_orm(string_value = "vcse_worker")]
    VcseWorker,
    #[sea_orm(string_value = "int_coordinator")]
    IntCoordinator,
    #[sea_orm(string_value = "commissioner")]
    Commissioner,
    /// Caldicott Guardian or information-governance lead: reviews who read whose record.
    #[sea_orm(string_value = "privacy_officer")]
    PrivacyOfficer,
    /// Manages their own organisation's details and staff (no patient data).
    #[sea_orm(string_value = "organisation_administrator")]
    OrganisationAdministrator,
    /// Manages the deployment's organisations, neighbourhoods and staff (no patient data).
    #[sea_orm(string_value = "deployment_administrator")]
    DeploymentAdministrator,
}

/// Sex as recorded in the GP record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Sex {
    #[sea_orm(string_value = "female")]
    Female,
    #[sea_orm(string_value = "male")]
    Male,
    #[sea_orm(string_value = "other")]
    Other,
    #[sea_orm(string_value = "unknown")]
    Unknown,
}

/// Where a referral comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ReferralSource {
    #[sea_orm(string_value = "gp")]
    Gp,
    #[sea_orm(string_value = "practice_nurse")]
    PracticeNurse,
    #[sea_orm(string_value = "pharmacist")]
    Pharmacist,
    #[sea_orm(string_value = "receptionist")]
    Receptionist,
    #[sea_orm(string_value = "other_practice_staff")]
    OtherPracticeStaff,
    #[sea_orm(string_value = "adult_social_care")]
    AdultSocialCare,
    #[sea_orm(string_value = "mental_health")]
    MentalHealth,
    #[sea_orm(string_value = "community_health")]
    CommunityHealth,
    #[sea_orm(string_value = "vcse")]
    Vcse,
    #[sea_orm(string_value = "secondary_care")]
    SecondaryCare,
    #[sea_orm(string_value = "self_referral")]
    SelfReferral,
}

/// The receiving service of an INT a referral goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ReferralService {
    #[sea_orm(string_value = "social_prescribing")]
    SocialPrescribing,
    #[sea_orm(string_value = "adult_social_care")]
    AdultSocialCare,
    #[sea_orm(string_value = "community_mental_health")]
    CommunityMentalHealth,
    #[sea_orm(string_value = "community_nursing")]
    CommunityNursing,
    #[sea_orm(string_value = "vcse")]
    Vcse,
}

/// Where a referral stands; it moves only through the referral state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ReferralStatus {
    #[sea_orm(string_value = "received")]
    Received,
    #[sea_orm(string_value = "awaiting_contact")]
    AwaitingContact,
    #[sea_orm(string_value = "contacted")]
    Contacted,
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "closed")]
    Closed,
    #[sea_orm(string_value = "declined_by_patient")]
    DeclinedByPatient,
    #[sea_orm(string_value = "rejected_by_service")]
    RejectedByService,
    #[sea_orm(string_value = "unable_to_contact")]
    UnableToContact,
    #[sea_orm(string_value = "cancelled_by_referrer")]
    CancelledByReferrer,
}

/// How a closed referral ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ReferralOutcome {
    #[sea_orm(string_value = "goals_met")]
    GoalsMet,
    #[sea_orm(string_value = "goals_partly_met")]
    GoalsPartlyMet,
    #[sea_orm(string_value = "moved_to_another_service")]
    MovedToAnotherService,
    #[sea_orm(string_value = "patient_withdrew")]
    PatientWithdrew,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Urgency {
    #[sea_orm(string_value = "routine")]
    Routine,
    #[sea_orm(string_value = "urgent")]
    Urgent,
}

/// A need or reason for referral, from the coded list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(40))")]
pub enum ReferralNeed {
    #[sea_orm(string_value = "loneliness_or_isolation")]
    LonelinessOrIsolation,
    #[sea_orm(string_value = "housing")]
    Housing,
    #[sea_orm(string_value = "debt_and_money")]
    DebtAndMoney,
    #[sea_orm(string_value = "employment")]
    Employment,
    #[sea_orm(string_value = "physical_activity")]
    PhysicalActivity,
    #[sea_orm(string_value = "low_mood_or_anxiety")]
    LowMoodOrAnxiety,
    #[sea_orm(string_value = "carer_support")]
    CarerSupport,
    #[sea_orm(string_value = "food_insecurity")]
    FoodInsecurity,
    #[sea_orm(string_value = "bereavement")]
    Bereavement,
    #[sea_orm(string_value = "long_term_condition_self_management")]
    LongTermConditionSelfManagement,
    #[sea_orm(string_value = "other")]
    Other,
}

/// What a referral event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ReferralEventKind {
    #[sea_orm(string_value = "created")]
    Created,
    #[sea_orm(string_value = "status_changed")]
    StatusChanged,
    #[sea_orm(string_value = "contact_attempt")]
    ContactAttempt,
    #[sea_orm(string_value = "assigned")]
    Assigned,
}

/// Whether a participant came to a group session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AttendanceStatus {
    #[sea_orm(string_value = "attended")]
    Attended,
    /// Sent apologies in advance.
    #[sea_orm(string_value = "apologies")]
    Apologies,
    #[sea_orm(string_value = "did_not_attend")]
    DidNotAttend,
}

/// Where an outcome measurement sits in a person's support: at the start, or later to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MeasurementKind {
    #[sea_orm(string_value = "baseline")]
    Baseline,
    #[sea_orm(string_value = "follow_up")]
    FollowUp,
}

/// How far a care plan goal has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum GoalStatus {
    #[sea_orm(string_value = "not_started")]
    NotStarted,
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    #[sea_orm(string_value = "achieved")]
    Achieved,
    #[sea_orm(string_value = "no_longer_relevant")]
    NoLongerRelevant,
}

/// Whether a care plan action is still to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PlanActionStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "done")]
    Done,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

/// Open Referral UK-style service categories for community assets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum AssetCategory {
    #[sea_orm(string_value = "green_and_blue")]
    GreenAndBlue,
    #[sea_orm(string_value = "physical_activity")]
    PhysicalActivity,
    #[sea_orm(string_value = "arts_and_culture")]
    ArtsAndCulture,
    #[sea_orm(string_value = "peer_support")]
    PeerSupport,
    #[sea_orm(string_value = "befriending")]
    Befriending,
    #[sea_orm(string_value = "food")]
    Food,
    #[sea_orm(string_value = "debt_and_money_advice")]
    DebtAndMoneyAdvice,
    #[sea_orm(string_value = "housing")]
    Housing,
    #[sea_orm(string_value = "employment")]
    Employment,
    #[sea_orm(string_value = "carers")]
    Carers,
    #[sea_orm(string_value = "mental_wellbeing")]
    MentalWellbeing,
    #[sea_orm(string_value = "learning")]
    Learning,
}

/// What an activity costs a participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AssetCost {
    #[sea_orm(string_value = "free")]
    Free,
    #[sea_orm(string_value = "donation")]
    Donation,
    #[sea_orm(string_value = "low_cost")]
    LowCost,
    #[sea_orm(string_value = "paid")]
    Paid,
}

/// How loud a venue usually is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum NoiseLevel {
    #[sea_orm(string_value = "quiet")]
    Quiet,
    #[sea_orm(string_value = "moderate")]
    Moderate,
    #[sea_orm(string_value = "loud")]
    Loud,
}

/// Where a person's connection to a community asset stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ConnectionState {
    /// Suggested to the person; no place held.
    #[sea_orm(string_value = "suggested")]
    Suggested,
    /// Referred to the activity; holds a place.
    #[sea_orm(string_value = "referred")]
    Referred,
    /// Going; holds a place.
    #[sea_orm(string_value = "attending")]
    Attending,
    /// Stopped going, or never started.
    #[sea_orm(string_value = "stopped")]
    Stopped,
    /// Finished the activity as planned.
    #[sea_orm(string_value = "completed")]
    Completed,
}

/// A discipline an MDT meeting may require (derived from a practitioner's professional role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Discipline {
    #[sea_orm(string_value = "general_practice")]
    GeneralPractice,
    #[sea_orm(string_value = "practice_nursing")]
    PracticeNursing,
    #[sea_orm(string_value = "pharmacy")]
    Pharmacy,
    #[sea_orm(string_value = "social_prescribing")]
    SocialPrescribing,
    #[sea_orm(string_value = "adult_social_care")]
    AdultSocialCare,
    #[sea_orm(string_value = "mental_health")]
    MentalHealth,
    #[sea_orm(string_value = "community_nursing")]
    CommunityNursing,
    #[sea_orm(string_value = "occupational_therapy")]
    OccupationalTherapy,
    #[sea_orm(string_value = "voluntary_sector")]
    VoluntarySector,
    #[sea_orm(string_value = "coordination")]
    Coordination,
}

/// Where an MDT meeting is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MeetingStatus {
    #[sea_orm(string_value = "planned")]
    Planned,
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    #[sea_orm(string_value = "closed")]
    Closed,
}

/// Whether an invited practitioner came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MeetingAttendance {
    #[sea_orm(string_value = "invited")]
    Invited,
    #[sea_orm(string_value = "attended")]
    Attended,
    #[sea_orm(string_value = "apologies")]
    Apologies,
}

/// How an agenda item is taken (NHS guidance on streamlining MDT meetings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum AgendaItemKind {
    #[sea_orm(string_value = "full_discussion")]
    FullDiscussion,
    #[sea_orm(string_value = "for_information")]
    ForInformation,
}
