//! The domain of Neighbourhood: who may see what (the access policy and the audit of every read),
//! and the rules, queries and transactions of each area: patients and cohorts, referrals and
//! caseloads, care plans, the community asset directory, support groups, outcome measures and MDT
//! meetings.
//!
//! It knows nothing of GraphQL or HTTP (the crate does not depend on either): functions take a
//! caller and a connection, check the policy, and return rows or an [`error::AppError`].
//!
//! Writes take any connection that can begin a transaction (`ConnectionTrait + TransactionTrait`).
//! Given the pool, a write commits on its own; given a transaction, its own transaction is a
//! savepoint inside it, so the caller decides whether several writes commit together, and a write
//! that fails undoes only its own part.

pub mod administration;
pub mod audit;
pub mod auth;
pub mod brake;
pub mod break_glass;
pub mod care_team;
pub mod cohorts;
pub mod conditions;
pub mod directory;
pub mod disclosure;
pub mod error;
pub mod frailty;
pub mod groups;
pub mod imports;
pub mod label;
pub mod live;
pub mod mdt;
pub mod nhs_number;
pub mod objections;
pub mod open_key;
pub mod outcomes;
pub mod pagination;
pub mod patients;
pub mod plans;
pub mod privacy;
pub mod referrals;
pub mod search;
pub mod sql;
pub mod team;
pub mod telemetry;
