//! Every enum of the schema, in one place: each mirrors a stored enum (`entity`) or a domain enum
//! (`domain`), so that neither of those knows GraphQL. The mirror's doc comments are the schema's
//! descriptions; `remote` gives the conversions both ways, and a variant added on one side and not
//! the other does not compile.

use async_graphql::Enum;

// Stored enums.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::GoalStatus")]
pub enum GoalStatus {
    NotStarted,
    InProgress,
    Achieved,
    NoLongerRelevant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::PlanActionStatus")]
pub enum PlanActionStatus {
    Open,
    Done,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::Sex")]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::ReferralStatus")]
pub enum ReferralStatus {
    Received,
    AwaitingContact,
    Contacted,
    Active,
    Closed,
    DeclinedByPatient,
    RejectedByService,
    UnableToContact,
    CancelledByReferrer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::ReferralSource")]
pub enum ReferralSource {
    Gp,
    PracticeNurse,
    Pharmacist,
    Receptionist,
    OtherPracticeStaff,
    AdultSocialCare,
    MentalHealth,
    CommunityHealth,
    Vcse,
    SecondaryCare,
    SelfReferral,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::ReferralService")]
pub enum ReferralService {
    SocialPrescribing,
    AdultSocialCare,
    CommunityMentalHealth,
    CommunityNursing,
    Vcse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::ReferralOutcome")]
pub enum ReferralOutcome {
    GoalsMet,
    GoalsPartlyMet,
    MovedToAnotherService,
    PatientWithdrew,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::Urgency")]
pub enum Urgency {
    Routine,
    Urgent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::ReferralNeed")]
pub enum ReferralNeed {
    LonelinessOrIsolation,
    Housing,
    DebtAndMoney,
    Employment,
    PhysicalActivity,
    LowMoodOrAnxiety,
    CarerSupport,
    FoodInsecurity,
    Bereavement,
    LongTermConditionSelfManagement,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::ReferralEventKind")]
pub enum ReferralEventKind {
    Created,
    StatusChanged,
    ContactAttempt,
    Assigned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::ProfessionalRole")]
pub enum ProfessionalRole {
    Gp,
    PracticeNurse,
    Pharmacist,
    Receptionist,
    SocialPrescribingLinkWorker,
    HealthAndWellbeingCoach,
    CareCoordinator,
    SocialWorker,
    MentalHealthPractitioner,
    DistrictNurse,
    OccupationalTherapist,
    VcseWorker,
    IntCoordinator,
    Commissioner,
    /// Caldicott Guardian or information-governance lead: reviews who read whose record, reads no record.
    PrivacyOfficer,
    /// Manages their own organisation's details and staff; reads no record.
    OrganisationAdministrator,
    /// Manages the deployment's organisations, neighbourhoods and staff; reads no record.
    DeploymentAdministrator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::AssetCategory")]
pub enum AssetCategory {
    GreenAndBlue,
    PhysicalActivity,
    ArtsAndCulture,
    PeerSupport,
    Befriending,
    Food,
    DebtAndMoneyAdvice,
    Housing,
    Employment,
    Carers,
    MentalWellbeing,
    Learning,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::AssetCost")]
pub enum AssetCost {
    Free,
    Donation,
    LowCost,
    Paid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::NoiseLevel")]
pub enum NoiseLevel {
    Quiet,
    Moderate,
    Loud,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::ConnectionState")]
pub enum ConnectionState {
    Suggested,
    Referred,
    Attending,
    Stopped,
    Completed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::MeasurementKind")]
pub enum MeasurementKind {
    /// Taken at the start of support.
    Baseline,
    /// Taken later, compared with the baseline.
    FollowUp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::OrganisationKind")]
pub enum OrganisationKind {
    GpPractice,
    Pcn,
    Icb,
    AdultSocialCare,
    MentalHealthTrust,
    CommunityHealthTrust,
    Vcse,
    SplwProvider,
    Housing,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::AttendanceStatus")]
pub enum AttendanceStatus {
    Attended,
    /// Sent apologies in advance.
    Apologies,
    DidNotAttend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::Discipline")]
pub enum Discipline {
    GeneralPractice,
    PracticeNursing,
    Pharmacy,
    SocialPrescribing,
    AdultSocialCare,
    MentalHealth,
    CommunityNursing,
    OccupationalTherapy,
    VoluntarySector,
    Coordination,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::MeetingStatus")]
pub enum MeetingStatus {
    Planned,
    InProgress,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::MeetingAttendance")]
pub enum MeetingAttendance {
    Invited,
    Attended,
    Apologies,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "entity::AgendaItemKind")]
pub enum AgendaItemKind {
    /// Discussed in full.
    FullDiscussion,
    /// Noted for information, no discussion.
    ForInformation,
}

// Domain enums.

/// Whether a patient must have all listed conditions or at least one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::patients::criteria::ConditionMatch")]
pub enum ConditionMatch {
    All,
    Any,
}

/// What a patient list is sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::patients::query::PatientSortKey", name = "PatientSortField")]
pub enum PatientSortKey {
    /// Family name, then given name.
    #[default]
    Name,
    /// The electronic Frailty Index score (`frailty.efiScore`). People with no score come last
    /// in either direction.
    EfiScore,
    /// The Clinical Frailty Scale (`frailty.clinicalFrailtyScale`). People never assessed come
    /// last in either direction.
    ClinicalFrailtyScale,
    /// The number of the person's coded long-term conditions (`conditions`).
    ConditionCount,
}

/// How much of a patient's record a grant opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::auth::policy::PatientAccessLevel")]
pub enum PatientAccessLevel {
    /// Nothing identifiable.
    None,
    /// What the person agreed to share with the caller's organisation (shared plan summary).
    SharedSummary,
    /// The administrative record: name, NHS number, date of birth, sex, address, registration,
    /// access needs and the administrative state of referrals; nothing clinical, and no selection
    /// or order by anything clinical (a receptionist).
    Administrative,
    /// The full record.
    Full,
}

/// eFI category. Cut-offs: fit ≤ 0.12 < mild ≤ 0.24 < moderate ≤ 0.36 < severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::frailty::FrailtyCategory")]
pub enum FrailtyCategory {
    Fit,
    Mild,
    Moderate,
    Severe,
}

/// The direction a list is sorted in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::pagination::Direction", name = "SortDirection")]
pub enum Direction {
    /// Smallest first (A to Z for names).
    #[default]
    #[graphql(name = "ASC")]
    Ascending,
    /// Largest first (Z to A for names).
    #[graphql(name = "DESC")]
    Descending,
}

/// How precisely a postcode was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::directory::geo::LocationPrecision")]
pub enum LocationPrecision {
    /// The postcode itself is known.
    Postcode,
    /// Only its district (outward code) is known: the centre of the district's known postcodes.
    District,
}

/// What changed about a meeting. Every event carries the meeting as it is now, so the kind tells a
/// client what to look at, not what to patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::live::ChangeKind", name = "MdtChangeKind")]
pub enum ChangeKind {
    /// The first event of every subscription: the meeting as it is when the subscription starts.
    /// Changes committed after it are all announced.
    Subscribed,
    /// The meeting was scheduled.
    Scheduled,
    /// The meeting started or closed.
    Status,
    /// A practitioner was invited or an invitation withdrawn (quoracy may have changed).
    Invitations,
    /// Attendance or apologies were recorded (quoracy may have changed).
    Attendance,
    /// A person was added to or taken off the agenda, or the agenda was reordered.
    Agenda,
    /// A decision was recorded.
    Decision,
    /// An action was added or its status changed.
    Action,
    /// The neighbourhood changed the disciplines its meetings require (quoracy may have changed).
    Requirements,
    /// Changes may have been missed (a lost connection to the database, or a subscriber too slow
    /// to keep up): reload everything about the meeting that is shown.
    Resync,
}

/// Why a person is proposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::mdt::proposal::ProposalReasonKind")]
pub enum ProposalReasonKind {
    SevereFrailty,
    ModerateFrailty,
    ReferralWaiting,
    OverdueAction,
    FallingWellbeing,
    Multimorbidity,
}

/// The relationship (or break-glass) that opened a record, as the access audit records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::auth::AccessReason")]
pub enum AccessReasonCode {
    /// The INT coordinator's reach: the neighbourhood's registered population.
    NeighbourhoodMember,
    /// Registered at the reader's practice, or a practice of their PCN.
    RegisteredPractice,
    /// A referral to the reader's organisation or assigned to them (or made by it).
    ReferralParty,
    /// On the agenda of an MDT meeting the reader is invited to.
    MdtAgenda,
    /// The person shared their plan summary with the reader's organisation.
    PlanShared,
    /// Referred to or attending an activity the reader's organisation runs.
    AssetConnection,
    /// The reader owns an MDT action about the person.
    MdtActionOwner,
    /// The reader stands in the person's named care team.
    CareTeam,
    /// Break-glass: emergency access without a relationship, reviewed.
    BreakGlass,
    /// A privacy officer's review of who read the record.
    PrivacyReview,
}

/// The privacy officer's finding on a break-glass use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::break_glass::ReviewOutcome")]
pub enum BreakGlassReviewOutcome {
    /// The emergency and the reason given justified the access.
    Justified,
    /// It did not; the note says what follows.
    NotJustified,
    /// Passed on for investigation; the note says to whom.
    ReferredForInvestigation,
}

/// A category of health information that opens only to clinical roles with a care relationship,
/// whatever else a role reads of the record (see the README's "Who sees what").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::conditions::SensitiveCategory")]
pub enum SensitiveCategory {
    MentalHealth,
    Safeguarding,
    SexualHealth,
}

/// Which break-glass uses a review lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::break_glass::QueueStatus")]
pub enum BreakGlassReviewStatus {
    /// Waiting for review (the queue).
    #[default]
    Unreviewed,
    Reviewed,
    All,
}

/// An unusual pattern in the access trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::privacy::flags::FlagKind")]
pub enum AccessFlagKind {
    /// Reads outside weekdays 07:00 to 19:00, UK time.
    OutOfHours,
    /// Reads of people who share the reader's family name.
    SameFamilyName,
    /// Three or more break-glass uses in the period.
    RepeatedBreakGlass,
    /// Break-glass on a person who objects to sharing beyond their practice.
    BreakGlassOverObjection,
    /// Refusals by the per-minute limits on requests or records read.
    VolumeLimit,
}
