//! The access audit: every read of a patient's record, written in the same request, one
//! statement per page whatever its size.

use chrono::Utc;
use sea_orm::{ActiveEnum, ConnectionTrait, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use entity::access_audit;

use crate::auth::{AccessReason, Caller};
use crate::error::AppResult;

/// Records that `caller` read each of `patients` through `operation`.
pub async fn record_reads(
    db: &impl ConnectionTrait,
    caller: &Caller,
    patients: &[(Uuid, AccessReason)],
    operation: &str,
    request_id: &str,
) -> AppResult<()> {
    if patients.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let operation: String = operation.chars().take(300).collect();
    let rows = patients.iter().map(|(patient_id, reason)| {
        access_audit::Model {
            id: Uuid::now_v7(),
            occurred_at: now,
            practitioner_id: caller.practitioner_id,
            organisation_id: caller.organisation_id,
            professional_role: caller.role.to_value(),
            patient_id: *patient_id,
            operation: operation.clone(),
            access_reason: reason.as_str().to_owned(),
            request_id: Some(request_id.chars().take(64).collect()),
        }
        .into_active_model()
    });
    access_audit::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}
