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
