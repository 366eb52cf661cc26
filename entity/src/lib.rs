//! sea-orm entities for Neighbourhood: one module per table, no logic beyond the model.
//! Enumerations stored as text live here so every crate reads and writes the same values.

pub mod access_alarm;
pub mod access_event;
pub mod access_event_patient;
pub mod administration_event;
pub mod asset_connection;
pub mod asset_connection_event;
pub mod break_glass;
pub mod care_plan;
pub mod care_plan_action;
pub mod care_plan_goal;
pub mod care_plan_revision;
pub mod care_plan_share;
pub mod care_team_member;
pub mod cohort;
pub mod community_asset;
pub mod community_asset_category;
pub mod community_asset_condition;
pub mod community_asset_language;
pub mod community_asset_session;
pub mod enums;
pub mod group_attendance;
pub mod group_participant;
pub mod group_session;
pub mod mdt_action;
pub mod mdt_action_event;
pub mod mdt_agenda_item;
pub mod mdt_decision;
pub mod mdt_invitation;
pub mod mdt_meeting;
pub mod mdt_meeting_required_discipline;
pub mod neighbourhood;
pub mod neighbourhood_organisation;
pub mod neighbourhood_required_discipline;
pub mod organisation;
pub mod outcome_measurement;
pub mod outcome_response;
pub mod patient;
pub mod patient_condition;
pub mod postcode_location;
pub mod practitioner;
pub mod referral;
pub mod referral_event;
pub mod referral_feedback;
pub mod referral_need;
pub mod sharing_objection;
pub mod support_group;

pub use enums::{
    AgendaItemKind, AssetCategory, AssetCost, AttendanceStatus, ConnectionState, Discipline, GoalStatus,
    MeasurementKind, MeetingAttendance, MeetingStatus, NoiseLevel, OrganisationKind, PlanActionStatus,
    ProfessionalRole, ReferralEventKind, ReferralNeed, ReferralOutcome, ReferralService, ReferralSource,
    ReferralStatus, Sex, Urgency,
};
