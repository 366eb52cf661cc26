//! Per-request DataLoaders: every relationship a list can reach is batched by key, so the number of
//! SQL statements for a query does not grow with the rows it returns. Built per request (they
//! cache per caller). Loaders only fetch; access decisions happen before a loader is reached.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait,
};
use uuid::Uuid;

use entity::{
    asset_connection, asset_connection_event, care_plan, care_plan_action, care_plan_goal, care_plan_revision,
    care_plan_share, care_team_member, community_asset, community_asset_category, community_asset_condition,
    community_asset_language, community_asset_session, group_attendance, group_participant, group_session, mdt_action,
    mdt_action_event, mdt_agenda_item, mdt_decision, mdt_invitation, mdt_meeting, neighbourhood,
    neighbourhood_organisation, organisation, outcome_measurement, outcome_response, patient, patient_condition,
    practitioner, referral, referral_event, referral_feedback, referral_need, sharing_objection,
};

use domain::auth::Caller;
use domain::error::{AppError, AppResult};
use domain::sql::any_of;

/// Keeps batches well under both databases' bind-parameter limits.
const MAX_BATCH: usize = 1_000;

/// How long a loader waits for more keys before it queries. Loaders live for one request, and
/// async-graphql polls every sibling field of a list in one pass before the spawned batch task can
/// run, so all the keys of one level are registered without waiting. The library's default of
/// 1 ms would add a timer wait (rounded up to tokio's 1 ms tick) to every level of every request.
const BATCH_DELAY: std::time::Duration = std::time::Duration::ZERO;

macro_rules! by_id_loader {
    ($name:ident, $entity:ident) => {
        pub struct $name(pub DatabaseConnection);

        impl Loader<Uuid> for $name {
            type Value = $entity::Model;
            type Error = AppError;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
                if keys.is_empty() {
                    return Ok(HashMap::new());
                }
                let rows = $entity::Entity::find()
                    .filter(any_of(self.0.get_database_backend(), $entity::Column::Id, keys))
                    .all(&self.0)
                    .await?;
                Ok(rows.into_iter().map(|m| (m.id, m)).collect())
            }
        }
    };
}

by_id_loader!(OrganisationLoader, organisation);
by_id_loader!(NeighbourhoodLoader, neighbourhood);
by_id_loader!(PractitionerLoader, practitioner);
by_id_loader!(ReferralLoader, referral);
by_id_loader!(OutcomeMeasurementLoader, outcome_measurement);
by_id_loader!(CarePlanLoader, care_plan);

/// People by id, each with whether a referral relates them to the request's caller (the caller
/// learns it with the rows: `domain::auth::referral_parties`), in the same statement.
pub struct PatientLoader {
    db: DatabaseConnection,
    caller: Caller,
}

impl PatientLoader {
    pub fn new(db: DatabaseConnection, caller: Caller) -> Self {
        Self { db, caller }
    }
}

impl Loader<Uuid> for PatientLoader {
    type Value = patient::Model;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = domain::auth::load_people_by_id(&self.db, &self.caller, keys).await?;
        Ok(rows.into_iter().map(|m| (m.id, m)).collect())
    }
}
by_id_loader!(CommunityAssetLoader, community_asset);
by_id_loader!(MdtMeetingLoader, mdt_meeting);

/// Rows of a child table grouped by their parent's id (`$column` / `$field`), in `$order`.
macro_rules! children_loader {
    ($(#[$doc:meta])* $name:ident, $entity:ident, $column:ident, $field:ident, [$($order:ident),+]) => {
        $(#[$doc])*
        pub struct $name(pub DatabaseConnection);

        impl Loader<Uuid> for $name {
            type Value = Vec<$entity::Model>;
            type Error = AppError;

            async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
                let mut out: HashMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
                if keys.is_empty() {
                    return Ok(out);
                }
                let rows = $entity::Entity::find()
                    .filter(any_of(self.0.get_database_backend(), $entity::Column::$column, keys))
                    $(.order_by_asc($entity::Column::$order))+
                    .all(&self.0)
                    .await?;
                for row in rows {
                    out.entry(row.$field).or_default().push(row);
                }
                Ok(out)
            }
        }
    };
}

children_loader!(
    /// A patient's long-term conditions, oldest diagnosis first.
    ConditionsByPatientLoader, patient_condition, PatientId, patient_id, [DiagnosedOn, SnomedCode]
);
children_loader!(
    /// A person's referrals, oldest first.
    ReferralsByPatientLoader, referral, PatientId, patient_id, [CreatedAt, Id]
);
children_loader!(
    /// A referral's history, oldest first.
    ReferralEventsLoader, referral_event, ReferralId, referral_id, [OccurredAt, Id]
);
children_loader!(
    /// A referral's coded needs.
    ReferralNeedsLoader, referral_need, ReferralId, referral_id, [Need]
);

children_loader!(
    /// The feedback sent when a referral ended (at most one per referral).
    ReferralFeedbackLoader, referral_feedback, ReferralId, referral_id, [CreatedAt]
);

children_loader!(
    /// A support group's sessions, earliest first.
    GroupSessionsLoader, group_session, GroupId, group_id, [StartsAt, Id]
);
children_loader!(
    /// A support group's memberships, current and past, in order of joining.
    GroupParticipantsLoader, group_participant, GroupId, group_id, [JoinedAt, Id]
);
children_loader!(
    /// A group session's register.
    SessionAttendanceLoader, group_attendance, SessionId, session_id, [ParticipantId]
);

children_loader!(
    /// A person's named care team, standing and ended memberships, in order of joining.
    CareTeamByPatientLoader, care_team_member, PatientId, patient_id, [AddedAt, Id]
);
children_loader!(
    /// A person's objections to sharing beyond their practice, oldest first.
    SharingObjectionsByPatientLoader, sharing_objection, PatientId, patient_id, [RecordedAt, Id]
);
children_loader!(
    /// A person's outcome measurements, oldest first.
    MeasurementsByPatientLoader, outcome_measurement, PatientId, patient_id, [TakenOn, Id]
);
children_loader!(
    /// A measurement's item responses.
    OutcomeResponsesLoader, outcome_response, MeasurementId, measurement_id, [Item]
);

children_loader!(
    /// A care plan's goals, in plan order.
    PlanGoalsLoader, care_plan_goal, PlanId, plan_id, [Position]
);
children_loader!(
    /// A care plan's actions, in plan order.
    PlanActionsLoader, care_plan_action, PlanId, plan_id, [Position]
);
children_loader!(
    /// A care plan's sharing agreements, standing and withdrawn, oldest first.
    PlanSharesLoader, care_plan_share, PlanId, plan_id, [RecordedAt, Id]
);
children_loader!(
    /// A care plan's versions, oldest first.
    PlanRevisionsLoader, care_plan_revision, PlanId, plan_id, [Version]
);

children_loader!(
    /// The languages an asset's sessions are run in besides English.
    AssetLanguagesLoader, community_asset_language, AssetId, asset_id, [Language]
);
children_loader!(
    /// An asset's categories.
    AssetCategoriesLoader, community_asset_category, AssetId, asset_id, [Category]
);
children_loader!(
    /// The long-term conditions an asset is meant for.
    AssetConditionsLoader, community_asset_condition, AssetId, asset_id, [SnomedCode]
);
children_loader!(
    /// An asset's weekly sessions, Monday first.
    AssetSessionsLoader, community_asset_session, AssetId, asset_id, [Weekday, StartsAt]
);
children_loader!(
    /// A person's connections to community assets, oldest first.
    ConnectionsByPatientLoader, asset_connection, PatientId, patient_id, [CreatedAt, Id]
);
children_loader!(
    /// A connection's moves, oldest first.
    ConnectionEventsLoader, asset_connection_event, ConnectionId, connection_id, [OccurredAt, Id]
);

children_loader!(
    /// A meeting's invitations, standing and removed.
    MdtInvitationsLoader, mdt_invitation, MeetingId, meeting_id, [InvitedAt, Id]
);
/// What each meeting's quoracy is measured against (its own list and its neighbourhood's), in one
/// statement.
pub struct MeetingRequirementsLoader(pub DatabaseConnection);

impl Loader<Uuid> for MeetingRequirementsLoader {
    type Value = domain::mdt::Requirements;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        domain::mdt::requirements_of(&self.0, keys).await
    }
}
/// A meeting's agenda items (including removed ones), in agenda order, each with its person: one
/// statement (a join) for the agenda and its people; the caller learns whether a referral relates
/// them to any of those their reach does not open (a statement only then).
pub struct MdtAgendaLoader {
    db: DatabaseConnection,
    caller: Caller,
}

impl MdtAgendaLoader {
    pub fn new(db: DatabaseConnection, caller: Caller) -> Self {
        Self { db, caller }
    }
}

impl Loader<Uuid> for MdtAgendaLoader {
    type Value = Vec<(mdt_agenda_item::Model, patient::Model)>;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let mut out: HashMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        if keys.is_empty() {
            return Ok(out);
        }
        let backend = self.db.get_database_backend();
        // The items as `A_…` and their people as `B_…` (sea-orm's pair of models), with whether a
        // referral relates each person to the caller.
        let statement = mdt_agenda_item::Entity::find()
            .select_also(patient::Entity)
            .column_as(self.caller.referral_party(patient::Entity), domain::auth::referral_parties::REFERRAL_PARTY)
            .join(
                JoinType::InnerJoin,
                mdt_agenda_item::Entity::belongs_to(patient::Entity)
                    .from(mdt_agenda_item::Column::PatientId)
                    .to(patient::Column::Id)
                    .into(),
            )
            .filter(any_of(backend, mdt_agenda_item::Column::MeetingId, keys))
            .order_by_asc(mdt_agenda_item::Column::Position)
            .order_by_asc(mdt_agenda_item::Column::Id)
            .build(backend);
        for row in self.db.query_all_raw(statement).await? {
            let item = mdt_agenda_item::Model::from_query_result(&row, "A_")?;
            let person = domain::auth::referral_parties::read_person(&self.caller, &row, "B_")?;
            out.entry(item.meeting_id).or_default().push((item, person));
        }
        Ok(out)
    }
}
children_loader!(
    /// An agenda item's decisions, oldest first.
    MdtDecisionsLoader, mdt_decision, ItemId, item_id, [RecordedAt, Id]
);
children_loader!(
    /// An agenda item's actions, oldest first.
    MdtItemActionsLoader, mdt_action, ItemId, item_id, [CreatedAt, Id]
);
children_loader!(
    /// Actions agreed about a person at MDT meetings, oldest first.
    MdtActionsByPatientLoader, mdt_action, PatientId, patient_id, [CreatedAt, Id]
);
children_loader!(
    /// An action's status history, oldest first.
    MdtActionEventsLoader, mdt_action_event, ActionId, action_id, [OccurredAt, Id]
);

/// A person's current care plan (at most one), keyed by patient id; `None` for a person without
/// one, so that the request's cache answers for them too instead of asking the database again.
pub struct CarePlanByPatientLoader(pub DatabaseConnection);

impl Loader<Uuid> for CarePlanByPatientLoader {
    type Value = Option<care_plan::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let mut out: HashMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, None)).collect();
        if keys.is_empty() {
            return Ok(out);
        }
        let rows = care_plan::Entity::find()
            .filter(any_of(self.0.get_database_backend(), care_plan::Column::PatientId, keys))
            .all(&self.0)
            .await?;
        for row in rows {
            out.insert(row.patient_id, Some(row));
        }
        Ok(out)
    }
}

/// Current members per support group.
pub struct GroupMemberCountLoader(pub DatabaseConnection);

impl Loader<Uuid> for GroupMemberCountLoader {
    type Value = u64;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        domain::groups::member_counts(&self.0, keys).await
    }
}

/// Open referrals held per worker (their caseload's count).
pub struct CaseloadCountLoader(pub DatabaseConnection);

impl Loader<Uuid> for CaseloadCountLoader {
    type Value = u64;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        domain::referrals::caseload::caseload_counts(&self.0, keys).await
    }
}

/// The organisations taking part in a neighbourhood (ids; names come through `OrganisationLoader`).
pub struct NeighbourhoodMembersLoader(pub DatabaseConnection);

impl Loader<Uuid> for NeighbourhoodMembersLoader {
    type Value = Vec<Uuid>;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let mut out: HashMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        if keys.is_empty() {
            return Ok(out);
        }
        let rows = neighbourhood_organisation::Entity::find()
            .filter(any_of(self.0.get_database_backend(), neighbourhood_organisation::Column::NeighbourhoodId, keys))
            .all(&self.0)
            .await?;
        for row in rows {
            out.entry(row.neighbourhood_id).or_default().push(row.organisation_id);
        }
        Ok(out)
    }
}

/// A request's loader for `L`, caching what it has loaded for the rest of the request.
pub type RequestLoader<L> = DataLoader<L, HashMapCache>;

/// `loader`'s answer for `keys` when `wanted`, else nothing: one load of a priming round, written
/// so that a round's independent loads can be joined (`futures::try_join!`) and go out at once, each
/// on its own pooled connection, instead of waiting for one round trip after another.
pub async fn load_if<L: Loader<Uuid, Error = AppError>>(
    wanted: bool,
    loader: &RequestLoader<L>,
    keys: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, L::Value>> {
    if !wanted {
        return Ok(HashMap::new());
    }
    loader.load_many(keys).await
}

/// The same, as one list of every key's rows.
pub async fn rows_if<L, T>(
    wanted: bool,
    loader: &RequestLoader<L>,
    keys: impl IntoIterator<Item = Uuid>,
) -> AppResult<Vec<T>>
where
    L: Loader<Uuid, Error = AppError>,
    L::Value: IntoIterator<Item = T>,
{
    Ok(load_if(wanted, loader, keys).await?.into_values().flatten().collect())
}

/// All of a request's loaders, registered together as request data.
pub struct Loaders {
    pub organisation: RequestLoader<OrganisationLoader>,
    pub neighbourhood: RequestLoader<NeighbourhoodLoader>,
    pub practitioner: RequestLoader<PractitionerLoader>,
    pub conditions: RequestLoader<ConditionsByPatientLoader>,
    pub neighbourhood_members: RequestLoader<NeighbourhoodMembersLoader>,
    pub cohort_counts: RequestLoader<CohortCountLoader>,
    pub patient: RequestLoader<PatientLoader>,
    pub referral_events: RequestLoader<ReferralEventsLoader>,
    pub referral_needs: RequestLoader<ReferralNeedsLoader>,
    pub referral_feedback: RequestLoader<ReferralFeedbackLoader>,
    pub referral: RequestLoader<ReferralLoader>,
    pub referrals_by_patient: RequestLoader<ReferralsByPatientLoader>,
    pub group_sessions: RequestLoader<GroupSessionsLoader>,
    pub group_participants: RequestLoader<GroupParticipantsLoader>,
    pub session_attendance: RequestLoader<SessionAttendanceLoader>,
    pub group_member_count: RequestLoader<GroupMemberCountLoader>,
    pub caseload_count: RequestLoader<CaseloadCountLoader>,
    pub outcome_measurement: RequestLoader<OutcomeMeasurementLoader>,
    pub measurements_by_patient: RequestLoader<MeasurementsByPatientLoader>,
    pub outcome_responses: RequestLoader<OutcomeResponsesLoader>,
    pub care_plan: RequestLoader<CarePlanLoader>,
    pub care_plan_by_patient: RequestLoader<CarePlanByPatientLoader>,
    pub community_asset: RequestLoader<CommunityAssetLoader>,
    pub mdt_meeting: RequestLoader<MdtMeetingLoader>,
    pub mdt_invitations: RequestLoader<MdtInvitationsLoader>,
    pub meeting_requirements: RequestLoader<MeetingRequirementsLoader>,
    pub mdt_agenda: RequestLoader<MdtAgendaLoader>,
    pub mdt_decisions: RequestLoader<MdtDecisionsLoader>,
    pub mdt_item_actions: RequestLoader<MdtItemActionsLoader>,
    pub mdt_action_events: RequestLoader<MdtActionEventsLoader>,
    pub mdt_actions_by_patient: RequestLoader<MdtActionsByPatientLoader>,
    pub asset_categories: RequestLoader<AssetCategoriesLoader>,
    pub asset_languages: RequestLoader<AssetLanguagesLoader>,
    pub asset_sessions: RequestLoader<AssetSessionsLoader>,
    pub asset_conditions: RequestLoader<AssetConditionsLoader>,
    pub connections_by_patient: RequestLoader<ConnectionsByPatientLoader>,
    pub connection_events: RequestLoader<ConnectionEventsLoader>,
    pub plan_goals: RequestLoader<PlanGoalsLoader>,
    pub plan_actions: RequestLoader<PlanActionsLoader>,
    pub plan_shares: RequestLoader<PlanSharesLoader>,
    pub plan_revisions: RequestLoader<PlanRevisionsLoader>,
    pub care_team: RequestLoader<CareTeamByPatientLoader>,
    pub sharing_objections: RequestLoader<SharingObjectionsByPatientLoader>,
}

impl Loaders {
    /// Loaders for one request; `counted` is whom the caller's cohort counts count (`Caller::counted`).
    pub fn new(
        db: &DatabaseConnection,
        caller: &Caller,
        today: chrono::NaiveDate,
        counted: domain::disclosure::Counted,
        view: domain::conditions::ConditionView,
    ) -> Self {
        fn make<L: Loader<Uuid>>(loader: L) -> RequestLoader<L> {
            DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
                .max_batch_size(MAX_BATCH)
                .delay(BATCH_DELAY)
        }
        Self {
            organisation: make(OrganisationLoader(db.clone())),
            neighbourhood: make(NeighbourhoodLoader(db.clone())),
            practitioner: make(PractitionerLoader(db.clone())),
            conditions: make(ConditionsByPatientLoader(db.clone())),
            neighbourhood_members: make(NeighbourhoodMembersLoader(db.clone())),
            cohort_counts: make(CohortCountLoader::new(db.clone(), today, counted, view)),
            patient: make(PatientLoader::new(db.clone(), caller.clone())),
            referral_events: make(ReferralEventsLoader(db.clone())),
            referral_needs: make(ReferralNeedsLoader(db.clone())),
            referral_feedback: make(ReferralFeedbackLoader(db.clone())),
            referral: make(ReferralLoader(db.clone())),
            referrals_by_patient: make(ReferralsByPatientLoader(db.clone())),
            group_sessions: make(GroupSessionsLoader(db.clone())),
            group_participants: make(GroupParticipantsLoader(db.clone())),
            session_attendance: make(SessionAttendanceLoader(db.clone())),
            group_member_count: make(GroupMemberCountLoader(db.clone())),
            caseload_count: make(CaseloadCountLoader(db.clone())),
            outcome_measurement: make(OutcomeMeasurementLoader(db.clone())),
            measurements_by_patient: make(MeasurementsByPatientLoader(db.clone())),
            outcome_responses: make(OutcomeResponsesLoader(db.clone())),
            care_plan: make(CarePlanLoader(db.clone())),
            care_plan_by_patient: make(CarePlanByPatientLoader(db.clone())),
            community_asset: make(CommunityAssetLoader(db.clone())),
            mdt_meeting: make(MdtMeetingLoader(db.clone())),
            mdt_invitations: make(MdtInvitationsLoader(db.clone())),
            meeting_requirements: make(MeetingRequirementsLoader(db.clone())),
            mdt_agenda: make(MdtAgendaLoader::new(db.clone(), caller.clone())),
            mdt_decisions: make(MdtDecisionsLoader(db.clone())),
            mdt_item_actions: make(MdtItemActionsLoader(db.clone())),
            mdt_action_events: make(MdtActionEventsLoader(db.clone())),
            mdt_actions_by_patient: make(MdtActionsByPatientLoader(db.clone())),
            asset_categories: make(AssetCategoriesLoader(db.clone())),
            asset_languages: make(AssetLanguagesLoader(db.clone())),
            asset_sessions: make(AssetSessionsLoader(db.clone())),
            asset_conditions: make(AssetConditionsLoader(db.clone())),
            connections_by_patient: make(ConnectionsByPatientLoader(db.clone())),
            connection_events: make(ConnectionEventsLoader(db.clone())),
            plan_goals: make(PlanGoalsLoader(db.clone())),
            plan_actions: make(PlanActionsLoader(db.clone())),
            plan_shares: make(PlanSharesLoader(db.clone())),
            plan_revisions: make(PlanRevisionsLoader(db.clone())),
            care_team: make(CareTeamByPatientLoader(db.clone())),
            sharing_objections: make(SharingObjectionsByPatientLoader(db.clone())),
        }
    }
}

/// Member counts for many cohorts in one statement (`domain::cohorts::member_counts_of`).
pub struct CohortCountLoader {
    db: DatabaseConnection,
    /// The request's date, so that counts and member lists agree on everyone's age.
    today: chrono::NaiveDate,
    /// Whom the caller's counts count, and which of their conditions.
    counted: domain::disclosure::Counted,
    view: domain::conditions::ConditionView,
}

impl CohortCountLoader {
    pub fn new(
        db: DatabaseConnection,
        today: chrono::NaiveDate,
        counted: domain::disclosure::Counted,
        view: domain::conditions::ConditionView,
    ) -> Self {
        Self { db, today, counted, view }
    }
}

impl Loader<Uuid> for CohortCountLoader {
    type Value = u64;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, u64>, AppError> {
        domain::cohorts::member_counts_of(&self.db, keys, self.today, self.counted, self.view).await
    }
}
