//! Database migrations. Each migration is frozen once it has landed: a change is a new file.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261125_000001_core;
mod m20261125_000002_referrals;
mod m20261126_000003_feedback_and_groups;
mod m20261127_000004_plans_and_outcomes;
mod m20261127_000005_directory_and_connections;
mod m20261127_000006_mdt;
mod m20261127_000007_referral_list_indexes;
mod m20261127_000008_practice_frailty_index;
mod m20261128_000009_access_audit_per_request;
mod m20261128_000010_held_referrals_index;
mod m20261201_000011_referral_partner_summary;
mod m20261201_000012_access_event_field_path;
mod m20261201_000013_access_alarm;
mod m20261203_000014_lists_as_rows;
mod m20261206_000015_referral_relationship_indexes;
mod m20261206_000016_care_team_member;
mod m20261206_000017_break_glass;
mod m20261207_000018_access_review_indexes;
mod m20261207_000019_sharing_objection;
mod m20261207_000020_administration;
mod m20261207_000021_registration;
mod m20261207_000022_staff_reference;

pub use m20261128_000010_held_referrals_index::{HELD_INDEX, HELD_STATES};
pub use m20261203_000014_lists_as_rows::DISCIPLINES as LISTED_DISCIPLINES;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_core::Migration),
            Box::new(m20261125_000002_referrals::Migration),
            Box::new(m20261126_000003_feedback_and_groups::Migration),
            Box::new(m20261127_000004_plans_and_outcomes::Migration),
            Box::new(m20261127_000005_directory_and_connections::Migration),
            Box::new(m20261127_000006_mdt::Migration),
            Box::new(m20261127_000007_referral_list_indexes::Migration),
            Box::new(m20261127_000008_practice_frailty_index::Migration),
            Box::new(m20261128_000009_access_audit_per_request::Migration),
            Box::new(m20261128_000010_held_referrals_index::Migration),
            Box::new(m20261201_000011_referral_partner_summary::Migration),
            Box::new(m20261201_000012_access_event_field_path::Migration),
            Box::new(m20261201_000013_access_alarm::Migration),
            Box::new(m20261203_000014_lists_as_rows::Migration),
            Box::new(m20261206_000015_referral_relationship_indexes::Migration),
            Box::new(m20261206_000016_care_team_member::Migration),
            Box::new(m20261206_000017_break_glass::Migration),
            Box::new(m20261207_000018_access_review_indexes::Migration),
            Box::new(m20261207_000019_sharing_objection::Migration),
            Box::new(m20261207_000020_administration::Migration),
            Box::new(m20261207_000021_registration::Migration),
            Box::new(m20261207_000022_staff_reference::Migration),
        ]
    }
}
