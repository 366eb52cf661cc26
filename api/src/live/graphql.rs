//! The subscription root: `mdtMeetingChanges(meetingId)` streams every change to a meeting with the
//! meeting as it is now. Each event is read afresh under the subscriber's own access: the token is
//! checked again (it ends the stream when it expires), the caller reloaded, the meeting's access
//! rule applied again, and nested fields resolve under a new request context (new DataLoaders, new
//! grants), exactly as they would for an HTTP request made at that moment.

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{
    Context, ContextSelectionSet, Data, MergedSubscription, OutputType, Positioned, ServerResult, SimpleObject,
    Subscription, Value, ID,
};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use sea_orm::DatabaseConnection;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::{ChangeKind, LiveBroker};
use crate::auth::{self, Caller, JwtVerifier, MdtWindow};
use crate::context::{parse_id, RequestContext};
use crate::error::{AppError, AppResult};
use crate::mdt::graphql::MdtMeetingNode;

#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(MdtSubscription);

/// Who is subscribing and how to check them again, put into each operation's data by the websocket
/// endpoint. Holds the bearer token so that every event re-checks it.
#[derive(Clone)]
pub struct Subscriber {
    pub db: DatabaseConnection,
    pub verifier: Arc<JwtVerifier>,
    pub window: MdtWindow,
    pub live: LiveBroker,
    pub audit: crate::audit::AuditLog,
    pub token: Arc<SecretString>,
    /// The token's `exp`: the stream ends then.
    pub expires_at: DateTime<Utc>,
    /// `subscription Name`, for the audit trail.
    pub operation: String,
    /// The websocket connection's request id (the audit trail's and the logs' correlation id).
    pub request_id: String,
}

impl Subscriber {
    /// The caller as the token and the records say now.
    async fn caller(&self) -> AppResult<Caller> {
        if Utc::now() >= self.expires_at {
            return Err(expired());
        }
        auth::authenticate(&self.db, &self.verifier, self.token.expose_secret(), self.window).await
    }

    /// One event: the meeting read now, under the subscriber's access now.
    async fn event(&self, meeting_id: Uuid, kind: ChangeKind) -> AppResult<MdtMeetingChange> {
        crate::telemetry::with_request_id(self.request_id.clone(), async {
            let caller = self.caller().await?;
            let meeting = crate::mdt::get(&self.db, &caller, meeting_id).await?;
            // The same constructor as an HTTP request's: fresh loaders, the caller's own grants.
            let context = RequestContext::new(
                caller,
                self.db.clone(),
                self.live.clone(),
                self.audit.clone(),
                self.operation.clone(),
                self.request_id.clone(),
            );
            let mut scope = Data::default();
            scope.insert(context);
            Ok(MdtMeetingChange {
                fields: ChangeFields {
                    meeting_id: ID(meeting_id.to_string()),
                    kind,
                    at: Utc::now(),
                    meeting: MdtMeetingNode(meeting),
                },
                scope,
            })
        })
        .await
    }
}

fn expired() -> AppError {
    AppError::Unauthenticated(
        "the token has expired; the subscription has ended: connect again with a fresh token".to_owned(),
    )
}

#[derive(Default)]
pub struct MdtSubscription;

#[Subscription]
impl MdtSubscription {
    /// Every change to an MDT meeting the caller may see, each with the meeting as it is now. The
    /// first event (`SUBSCRIBED`) is the meeting when the subscription starts; every change
    /// committed after it follows. The stream ends with `FORBIDDEN` when the caller may no longer
    /// see the meeting (an invitation withdrawn) and with `UNAUTHENTICATED` when the token expires.
    /// Over the websocket at /graphql only (graphql-transport-ws).
    async fn mdt_meeting_changes(
        &self,
        ctx: &Context<'_>,
        meeting_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<MdtMeetingChange>>> {
        let subscriber = ctx
            .data::<Subscriber>()
            .map_err(|_| AppError::BadUserInput {
                field: None,
                message: "subscriptions run over the websocket at /graphql (protocol graphql-transport-ws)".to_owned(),
            })?
            .clone();
        let id = parse_id("meetingId", &meeting_id)?;
        // Subscribe before the first read: a change committed after that read cannot be missed.
        let changes = subscriber.live.changes(id);
        let first = subscriber.event(id, ChangeKind::Subscribed).await?;
        let deadline = tokio::time::Instant::now()
            + (subscriber.expires_at - Utc::now()).to_std().unwrap_or(std::time::Duration::ZERO);
        let state = Following { subscriber, meeting_id: id, changes: Box::pin(changes), deadline, ended: false };
        let rest = futures::stream::unfold(state, |mut state| async move {
            let event = state.next().await?;
            Some((event, state))
        });
        Ok(futures::stream::once(async { Ok(first) }).chain(rest))
    }
}

/// A subscription after its first event.
struct Following {
    subscriber: Subscriber,
    meeting_id: Uuid,
    changes: std::pin::Pin<Box<dyn Stream<Item = ChangeKind> + Send>>,
    deadline: tokio::time::Instant,
    ended: bool,
}

impl Following {
    /// The next event; after an error (no longer allowed, token expired, a failed read) nothing.
    async fn next(&mut self) -> Option<async_graphql::Result<MdtMeetingChange>> {
        if self.ended {
            return None;
        }
        let kind = tokio::select! {
            kind = self.changes.next() => kind?,
            () = tokio::time::sleep_until(self.deadline) => {
                self.ended = true;
                return Some(Err(expired().into()));
            }
        };
        match self.subscriber.event(self.meeting_id, kind).await {
            Ok(change) => Some(Ok(change)),
            Err(e) => {
                self.ended = true;
                Some(Err(e.into()))
            }
        }
    }
}

/// One change to a meeting. Its nested fields resolve under the event's own request context (see
/// the `OutputType` impl), not under anything shared by the whole subscription.
pub struct MdtMeetingChange {
    fields: ChangeFields,
    /// Holds the event's `RequestContext`.
    scope: Data,
}

/// One change to an MDT meeting, with the meeting as it is now.
#[derive(SimpleObject)]
#[graphql(name = "MdtMeetingChange")]
struct ChangeFields {
    meeting_id: ID,
    /// What changed; the meeting below is the whole of it as it is now.
    kind: ChangeKind,
    /// When the meeting was read for this event.
    at: DateTime<Utc>,
    /// The meeting as it is now, under the subscriber's access now.
    meeting: MdtMeetingNode,
}

/// Resolves the fields with the event's data in front of everything else in the context: the
/// resolvers' `request(ctx)` then finds this event's `RequestContext`. async-graphql looks up
/// `execute_data` first (the slot its extensions use to add per-execution data); the field is
/// public but undocumented, so the live-update tests pin the behaviour this relies on.
impl OutputType for MdtMeetingChange {
    fn type_name() -> Cow<'static, str> {
        ChangeFields::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        ChangeFields::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        let mut scoped: ContextSelectionSet<'_> = ctx.clone();
        scoped.execute_data = Some(&self.scope);
        OutputType::resolve(&self.fields, &scoped, field).await
    }
}
