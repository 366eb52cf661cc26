//! The subscription root: `mdtMeetingChanges(meetingId)` streams every change to a meeting with the
//! meeting as it is now. Each event is read afresh under the subscriber's own access: the token is
//! checked again (it ends the stream when it expires), the caller reloaded, the meeting's access
//! rule applied again, and nested fields resolve under a new request context (new DataLoaders, new
//! grants), exactly as they would for an HTTP request made at that moment.
//!
//! One change is read once for all of one caller's subscriptions to the meeting in this process
//! (`SharedReads`): the first subscription woken by it reads the caller and the meeting; the others
//! resolve their own selections over the same event context, whose loaders then hold what the first
//! loaded, and whose audit records each person once. Without it, ten connections of twenty
//! subscriptions each turned ten agenda changes into 2,000 meeting reads and 24,120 audit rows.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::context::{parse_id, RequestContext};
use crate::error::{graphql_error, ApiError};
use crate::mdt::graphql::MdtMeetingNode;
use crate::scalars;
use domain::auth::{Bearer, Caller};
use domain::error::{AppError, AppResult};
use domain::live::ChangeKind;
use domain::live::{Heard, LiveBroker};

/// The schema's subscription type, `Subscription`.
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(MdtSubscription);

/// How a subscription checks its bearer token again at every event: the server's authentication,
/// which this crate knows only through this trait (it knows no JWT).
#[async_trait::async_trait]
pub trait Tokens: Send + Sync {
    /// Whom the token names, its signature and lifetime checked without a statement.
    fn bearer(&self, token: &str) -> AppResult<Bearer>;

    /// The caller the token is for, as the records say now.
    async fn caller(&self, token: &str) -> AppResult<Caller>;
}

/// Who is subscribing and how to check them again, put into each operation's data by the websocket
/// endpoint. Holds the bearer token so that every event re-checks it.
#[derive(Clone)]
pub struct Subscriber {
    pub db: DatabaseConnection,
    /// The server's token check.
    pub tokens: Arc<dyn Tokens>,
    pub live: LiveBroker,
    pub audit: domain::audit::AuditLog,
    pub token: Arc<SecretString>,
    /// The token's `exp`: the stream ends then.
    pub expires_at: DateTime<Utc>,
    /// `subscription Name`, for the audit trail.
    pub operation: String,
    /// The websocket connection's request id (the audit trail's and the logs' correlation id).
    pub request_id: String,
    /// The event reads this process shares between one caller's subscriptions to one meeting.
    pub reads: SharedReads,
}

/// The last event read per caller and meeting, with the number of the signal it was read for:
/// the subscriptions woken by the same signal take it rather than read it again.
#[derive(Clone, Default)]
pub struct SharedReads {
    events: Arc<Mutex<Events>>,
}

/// Keyed by (the token's subject, meeting): the signal last read and its read.
type Events = HashMap<(String, Uuid), (u64, Slot)>;

/// The one read of one signal, once done.
type Slot = Arc<OnceCell<Arc<MdtMeetingChange>>>;

impl SharedReads {
    /// The one read of signal `signal` for the bearer of `subject` and `meeting`.
    fn slot(&self, subject: &str, meeting: Uuid, signal: u64) -> Slot {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        // Events nobody else holds any more are let go (each holds a read meeting and its loaders).
        events.retain(|key, (_, cell)| (key.0 == subject && key.1 == meeting) || Arc::strong_count(cell) > 1);
        let key = (subject.to_owned(), meeting);
        match events.get(&key) {
            Some((n, cell)) if *n == signal => cell.clone(),
            _ => {
                let cell = Arc::new(OnceCell::new());
                events.insert(key, (signal, cell.clone()));
                cell
            }
        }
    }

    /// Events held (tests).
    pub fn len(&self) -> usize {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Subscriber {
    /// The caller as the token and the records say now.
    async fn caller(&self) -> AppResult<Caller> {
        if Utc::now() >= self.expires_at {
            return Err(expired());
        }
        self.tokens.caller(self.token.expose_secret()).await
    }

    /// One event: the meeting read now, under the subscriber's access now.
    async fn event(&self, meeting_id: Uuid, kind: ChangeKind, shared: bool) -> AppResult<MdtMeetingChange> {
        domain::telemetry::with_request_id(self.request_id.clone(), async {
            let caller = self.caller().await?;
            let meeting = domain::mdt::get(&self.db, &caller, meeting_id).await?;
            // The same constructor as an HTTP request's: fresh loaders, the caller's own grants.
            let context = RequestContext::new(
                caller.clone(),
                self.db.clone(),
                self.live.clone(),
                self.audit.clone(),
                self.operation.clone(),
                self.request_id.clone(),
            );
            let mut scope = Data::default();
            scope.insert(if shared { context.shared() } else { context });
            Ok(MdtMeetingChange {
                fields: ChangeFields {
                    meeting_id: ID(meeting_id.to_string()),
                    kind: kind.into(),
                    at: (Utc::now()).into(),
                    meeting: MdtMeetingNode(meeting),
                },
                scope,
                caller,
            })
        })
        .await
    }

    /// The event for `signal`, read once for all of this caller's subscriptions to the meeting.
    /// This subscription's own token is checked again (without a statement), and must agree with
    /// the caller the shared read loaded.
    async fn shared_event(&self, meeting_id: Uuid, kind: ChangeKind, signal: u64) -> AppResult<LiveChange> {
        if Utc::now() >= self.expires_at {
            return Err(expired());
        }
        let bearer = self.tokens.bearer(self.token.expose_secret())?;
        let slot = self.reads.slot(&bearer.subject, meeting_id, signal);
        // A failed read is not kept: it may be this subscription's own (its token), not the others'.
        let change =
            slot.get_or_try_init(|| async { self.event(meeting_id, kind, true).await.map(Arc::new) }).await?.clone();
        if !bearer.is(&change.caller) {
            return Err(Bearer::stale());
        }
        Ok(LiveChange(change))
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
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<LiveChange>>> {
        let subscriber = ctx
            .data::<Subscriber>()
            .map_err(|_| AppError::BadUserInput {
                field: None,
                message: "subscriptions run over the websocket at /graphql (protocol graphql-transport-ws)".to_owned(),
            })
            .map_err(ApiError::from)?
            .clone();
        let id = parse_id("meetingId", &meeting_id).map_err(ApiError::from)?;
        // Subscribe before the first read: a change committed after that read cannot be missed.
        let changes = subscriber.live.changes(id);
        let first =
            LiveChange(Arc::new(subscriber.event(id, ChangeKind::Subscribed, false).await.map_err(ApiError::from)?));
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
    changes: std::pin::Pin<Box<dyn Stream<Item = Heard> + Send>>,
    deadline: tokio::time::Instant,
    ended: bool,
}

impl Following {
    /// The next event; after an error (no longer allowed, token expired, a failed read) nothing.
    async fn next(&mut self) -> Option<async_graphql::Result<LiveChange>> {
        if self.ended {
            return None;
        }
        let heard = tokio::select! {
            heard = self.changes.next() => heard?,
            () = tokio::time::sleep_until(self.deadline) => {
                self.ended = true;
                return Some(Err(graphql_error(&expired())));
            }
        };
        let event = match heard.signal {
            Some(signal) => self.subscriber.shared_event(self.meeting_id, heard.kind, signal).await,
            // This subscriber's own RESYNC (it fell behind): nobody else was woken by it.
            None => self.subscriber.event(self.meeting_id, heard.kind, false).await.map(|c| LiveChange(Arc::new(c))),
        };
        match event {
            Ok(change) => Some(Ok(change)),
            Err(e) => {
                self.ended = true;
                Some(Err(graphql_error(&e)))
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
    /// Whom it was read for.
    caller: Caller,
}

/// An event as a subscription yields it: shared between the subscriptions woken by one change.
pub struct LiveChange(Arc<MdtMeetingChange>);

impl OutputType for LiveChange {
    fn type_name() -> Cow<'static, str> {
        MdtMeetingChange::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        MdtMeetingChange::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        OutputType::resolve(self.0.as_ref(), ctx, field).await
    }
}

/// One change to an MDT meeting, with the meeting as it is now.
#[derive(SimpleObject)]
#[graphql(name = "MdtMeetingChange")]
struct ChangeFields {
    meeting_id: ID,
    /// What changed; the meeting below is the whole of it as it is now.
    kind: crate::enums::ChangeKind,
    /// When the meeting was read for this event.
    at: scalars::DateTime,
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
