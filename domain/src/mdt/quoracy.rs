//! Quoracy: the disciplines a meeting requires (its own list, else its neighbourhood's, else
//! the default core of an INT's MDT) against those invited or, once it has started, present.

use std::collections::BTreeSet;

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use entity::{
    mdt_invitation, mdt_meeting, mdt_meeting_required_discipline, neighbourhood_required_discipline, Discipline,
    MeetingAttendance, MeetingStatus, ProfessionalRole,
};

use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::live::{ChangeKind, MeetingChanged};

/// Required when a neighbourhood has not set its own: the core of an INT's MDT.
pub const DEFAULT_REQUIRED: &[Discipline] = &[
    Discipline::GeneralPractice,
    Discipline::AdultSocialCare,
    Discipline::MentalHealth,
    Discipline::CommunityNursing,
    Discipline::SocialPrescribing,
];

/// The discipline a practitioner brings to an MDT, from their professional role.
pub fn discipline_of(role: ProfessionalRole) -> Option<Discipline> {
    use ProfessionalRole as R;
    Some(match role {
        R::Gp => Discipline::GeneralPractice,
        R::PracticeNurse => Discipline::PracticeNursing,
        R::Pharmacist => Discipline::Pharmacy,
        R::SocialPrescribingLinkWorker | R::HealthAndWellbeingCoach | R::CareCoordinator => {
            Discipline::SocialPrescribing
        }
        R::SocialWorker => Discipline::AdultSocialCare,
        R::MentalHealthPractitioner => Discipline::MentalHealth,
        R::DistrictNurse => Discipline::CommunityNursing,
        R::OccupationalTherapist => Discipline::OccupationalTherapy,
        R::VcseWorker => Discipline::VoluntarySector,
        R::IntCoordinator => Discipline::Coordination,
        R::Receptionist
        | R::Commissioner
        | R::PrivacyOfficer
        | R::OrganisationAdministrator
        | R::DeploymentAdministrator => return None,
    })
}

/// What a meeting's quoracy is measured against: its own list and its neighbourhood's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirements {
    /// The meeting's own list (empty: it follows the neighbourhood).
    pub own: Vec<Discipline>,
    /// The neighbourhood's list (empty: the default).
    pub neighbourhood: Vec<Discipline>,
}

/// The requirements of each of `meeting_ids`, in one statement: the meetings' own rows and their
/// neighbourhoods' rows, as one union. A meeting that is not there is left out.
pub async fn requirements_of(
    db: &impl ConnectionTrait,
    meeting_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Requirements>> {
    use crate::sql::any_of;
    use entity::mdt_meeting_required_discipline as own;
    use neighbourhood_required_discipline as inherited;
    use sea_orm::sea_query::{Alias, Query, UnionType};
    let mut found: std::collections::HashMap<Uuid, Requirements> = std::collections::HashMap::new();
    if meeting_ids.is_empty() {
        return Ok(found);
    }
    let backend = db.get_database_backend();
    let (meeting, is_own, discipline) = (Alias::new("meeting_id"), Alias::new("is_own"), Alias::new("discipline"));
    let mut statement = Query::select()
        .expr_as(Expr::col((mdt_meeting::Entity, mdt_meeting::Column::Id)), meeting.clone())
        .expr_as(Expr::val(false), is_own.clone())
        .expr_as(Expr::col((inherited::Entity, inherited::Column::Discipline)), discipline.clone())
        .from(mdt_meeting::Entity)
        .inner_join(
            inherited::Entity,
            Expr::col((inherited::Entity, inherited::Column::NeighbourhoodId))
                .equals((mdt_meeting::Entity, mdt_meeting::Column::NeighbourhoodId)),
        )
        .and_where(any_of(backend, mdt_meeting::Column::Id, meeting_ids))
        .to_owned();
    statement.union(
        UnionType::All,
        Query::select()
            .expr_as(Expr::col((own::Entity, own::Column::MeetingId)), meeting.clone())
            .expr_as(Expr::val(true), is_own.clone())
            .expr_as(Expr::col((own::Entity, own::Column::Discipline)), discipline.clone())
            .from(own::Entity)
            .and_where(any_of(backend, own::Column::MeetingId, meeting_ids))
            .to_owned(),
    );
    for id in meeting_ids {
        found.insert(*id, Requirements::default());
    }
    for row in db.query_all(&statement).await? {
        let id: Uuid = row.try_get("", "meeting_id")?;
        let value: String = row.try_get("", "discipline")?;
        let d = Discipline::try_from_value(&value)?;
        let entry = found.entry(id).or_default();
        if row.try_get::<bool>("", "is_own")? {
            entry.own.push(d);
        } else {
            entry.neighbourhood.push(d);
        }
    }
    Ok(found)
}

/// The disciplines a meeting requires: its own list, else its neighbourhood's, else the default.
pub fn required_disciplines(requirements: Requirements) -> Vec<Discipline> {
    let mut list = if !requirements.own.is_empty() {
        requirements.own
    } else if !requirements.neighbourhood.is_empty() {
        requirements.neighbourhood
    } else {
        DEFAULT_REQUIRED.to_vec()
    };
    list.sort();
    list.dedup();
    list
}

/// Sets the disciplines a neighbourhood's meetings require (replacing the list in one
/// transaction); meetings with their own list keep it.
pub async fn set_required_disciplines(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    neighbourhood_id: Uuid,
    disciplines: Vec<Discipline>,
) -> AppResult<MeetingChanged<Vec<Discipline>>> {
    if !caller.may_set_required_disciplines(neighbourhood_id) {
        return Err(AppError::forbidden(
            "the neighbourhood's own staff (or a deployment administrator) set what its meetings require",
        ));
    }
    let mut list = disciplines;
    list.sort();
    list.dedup();
    if list.is_empty() {
        return Err(AppError::bad_input("disciplines", "name at least one discipline"));
    }
    let txn = db.begin().await?;
    neighbourhood_required_discipline::Entity::delete_many()
        .filter(neighbourhood_required_discipline::Column::NeighbourhoodId.eq(neighbourhood_id))
        .exec(&txn)
        .await?;
    neighbourhood_required_discipline::Entity::insert_many(
        list.iter()
            .map(|d| neighbourhood_required_discipline::Model { neighbourhood_id, discipline: *d }.into_active_model()),
    )
    .exec_without_returning(&txn)
    .await?;
    let following = following_neighbourhood(&txn, neighbourhood_id).await?;
    let words: Vec<String> = list.iter().map(|d| crate::label::label(*d)).collect();
    crate::administration::record(
        &txn,
        crate::administration::Actor::of(caller),
        "neighbourhood.required_disciplines",
        crate::administration::Subject { kind: "neighbourhood", id: neighbourhood_id, organisation_id: None },
        format!("set the disciplines its MDT meetings require: {}", words.join(", ")),
        serde_json::json!({ "disciplines": words }),
    )
    .await?;
    txn.commit().await?;
    Ok(MeetingChanged::each(list, following, ChangeKind::Requirements))
}

/// The neighbourhood's meetings that follow its required disciplines: not closed, with no list of
/// their own. Their quoracy changes with the neighbourhood's list.
async fn following_neighbourhood(db: &impl ConnectionTrait, neighbourhood_id: Uuid) -> AppResult<Vec<Uuid>> {
    let own_list = Query::select()
        .expr(Expr::val(1))
        .from(mdt_meeting_required_discipline::Entity)
        .and_where(
            Expr::col((mdt_meeting_required_discipline::Entity, mdt_meeting_required_discipline::Column::MeetingId))
                .equals((mdt_meeting::Entity, mdt_meeting::Column::Id)),
        )
        .to_owned();
    Ok(mdt_meeting::Entity::find()
        .select_only()
        .column(mdt_meeting::Column::Id)
        .filter(mdt_meeting::Column::NeighbourhoodId.eq(neighbourhood_id))
        .filter(mdt_meeting::Column::Status.ne(MeetingStatus::Closed))
        .filter(Expr::exists(own_list).not())
        .into_tuple()
        .all(db)
        .await?)
}

/// Whether the disciplines present cover those required, and which are missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Quoracy {
    pub required: Vec<Discipline>,
    /// Disciplines expected (invited, no apologies) or, once the meeting has started, present.
    pub present: Vec<Discipline>,
    pub missing: Vec<Discipline>,
}

impl Quoracy {
    pub fn is_quorate(&self) -> bool {
        self.missing.is_empty()
    }
}

/// Quoracy from a meeting's standing invitations: before it starts, everyone invited who has not
/// sent apologies counts; from the start, only those recorded as attending.
pub fn quoracy(
    meeting: &mdt_meeting::Model,
    required: Vec<Discipline>,
    invitations: &[mdt_invitation::Model],
) -> Quoracy {
    let counts = |i: &&mdt_invitation::Model| match meeting.status {
        MeetingStatus::Planned => i.attendance != MeetingAttendance::Apologies,
        MeetingStatus::InProgress | MeetingStatus::Closed => i.attendance == MeetingAttendance::Attended,
    };
    let present: BTreeSet<Discipline> =
        invitations.iter().filter(|i| i.open_key.is_some()).filter(counts).map(|i| i.discipline).collect();
    let missing = required.iter().copied().filter(|d| !present.contains(d)).collect();
    Quoracy { required, present: present.into_iter().collect(), missing }
}

#[cfg(test)]
mod lists_as_rows_tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    /// Migration 000014 carried the disciplines it knew into rows and dropped the rest, as the old
    /// parser ignored them; every one it kept must read back as a `Discipline`.
    #[test]
    fn every_discipline_the_migration_keeps_reads_back() {
        let known: Vec<String> = Discipline::iter().map(|d| d.to_value()).collect();
        for value in migration::LISTED_DISCIPLINES {
            assert!(known.iter().any(|k| k == value), "{value} is not a Discipline");
        }
    }
}

#[cfg(test)]
mod quoracy_tests {
    use proptest::prelude::*;
    use sea_orm::Iterable;

    use super::*;

    fn meeting(status: MeetingStatus) -> mdt_meeting::Model {
        let now = chrono::Utc::now();
        mdt_meeting::Model {
            id: Uuid::nil(),
            neighbourhood_id: Uuid::nil(),
            title: "Frailty MDT".to_owned(),
            starts_at: now,
            ends_at: now + chrono::Duration::minutes(90),
            place: Some("Arnold Health Centre".to_owned()),
            online_link: None,
            chair_id: Uuid::nil(),
            status,
            created_by: Uuid::nil(),
            created_at: now,
            updated_at: now,
        }
    }

    fn invitation(discipline: Discipline, attendance: MeetingAttendance, standing: bool) -> mdt_invitation::Model {
        let practitioner = Uuid::now_v7();
        mdt_invitation::Model {
            id: Uuid::now_v7(),
            meeting_id: Uuid::nil(),
            practitioner_id: practitioner,
            organisation_id: Uuid::nil(),
            discipline,
            attendance,
            open_key: standing.then(|| crate::mdt::invitation_key(Uuid::nil(), practitioner)),
            invited_by: Uuid::nil(),
            invited_at: chrono::Utc::now(),
            removed_at: (!standing).then(chrono::Utc::now),
        }
    }

    const GP: Discipline = Discipline::GeneralPractice;
    const ASC: Discipline = Discipline::AdultSocialCare;

    #[test]
    fn before_the_start_everyone_invited_counts_but_those_who_sent_apologies() {
        let planned = meeting(MeetingStatus::Planned);
        let invited =
            [invitation(GP, MeetingAttendance::Invited, true), invitation(ASC, MeetingAttendance::Apologies, true)];
        let q = quoracy(&planned, vec![GP, ASC], &invited);
        assert_eq!((q.present, q.missing.clone()), (vec![GP], vec![ASC]));
        assert!(!quoracy(&planned, vec![GP, ASC], &invited).is_quorate());
        assert!(quoracy(&planned, vec![GP], &invited).is_quorate());
    }

    #[test]
    fn from_the_start_only_those_recorded_as_attending_count() {
        let invited =
            [invitation(GP, MeetingAttendance::Invited, true), invitation(ASC, MeetingAttendance::Attended, true)];
        for status in [MeetingStatus::InProgress, MeetingStatus::Closed] {
            let q = quoracy(&meeting(status), vec![GP, ASC], &invited);
            assert_eq!((q.present, q.missing), (vec![ASC], vec![GP]), "{status:?}");
        }
    }

    #[test]
    fn a_withdrawn_invitation_never_counts() {
        let withdrawn = [invitation(GP, MeetingAttendance::Attended, false)];
        for status in MeetingStatus::iter() {
            assert_eq!(quoracy(&meeting(status), vec![GP], &withdrawn).missing, vec![GP], "{status:?}");
        }
    }

    fn any_invitation() -> impl Strategy<Value = mdt_invitation::Model> {
        let disciplines: Vec<Discipline> = Discipline::iter().collect();
        let attendances: Vec<MeetingAttendance> = MeetingAttendance::iter().collect();
        (prop::sample::select(disciplines), prop::sample::select(attendances), any::<bool>())
            .prop_map(|(d, a, standing)| invitation(d, a, standing))
    }

    proptest! {
        /// Whatever the invitations: what is required is split into present and missing, with
        /// nothing in both; quorate exactly when nothing is missing; and one more attendee never
        /// makes a quorate meeting inquorate.
        #[test]
        fn required_is_split_into_present_and_missing(
            invitations in prop::collection::vec(any_invitation(), 0..12),
            required in prop::sample::subsequence(Discipline::iter().collect::<Vec<_>>(), 1..6),
            status in prop::sample::select(MeetingStatus::iter().collect::<Vec<_>>()),
            extra in any_invitation(),
        ) {
            let m = meeting(status);
            let q = quoracy(&m, required.clone(), &invitations);
            for d in &required {
                prop_assert!(q.present.contains(d) != q.missing.contains(d), "{d:?} is present or missing, not both");
            }
            prop_assert!(q.missing.iter().all(|d| required.contains(d)));
            prop_assert_eq!(q.is_quorate(), q.missing.is_empty());
            let attending = mdt_invitation::Model { attendance: MeetingAttendance::Attended, ..extra };
            let more = [invitations.clone(), vec![attending]].concat();
            prop_assert!(!q.is_quorate() || quoracy(&m, required, &more).is_quorate());
        }
    }
}
