//! Live updates: the broker that tells subscribers an MDT meeting changed, on every server process.
//! On SQLite a change is delivered in process; on PostgreSQL it is published with `pg_notify` and
//! every process's one listener forwards what the database delivers (its own changes included) to
//! its local subscribers, so a change made through any process reaches subscribers on all of them.
//!
//! Publishing happens after the change has committed: a change that was rolled back is never
//! announced. When announcements may have been lost (the listener lost its connection, or a
//! subscriber fell too far behind) subscribers are told to RESYNC, never left silently stale.

use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgListener, PgNotification, PgPoolOptions};
use tokio::sync::broadcast;
use uuid::Uuid;

/// The PostgreSQL channel changes travel on (channels are per database).
pub const CHANNEL: &str = "neighbourhood_mdt_changes";
/// `application_name` of the listener's connection, so that operators (and tests) can find it.
pub const LISTENER_APPLICATION_NAME: &str = "neighbourhood-live";
/// Signals a process buffers for its slowest subscriber before that subscriber is told to RESYNC.
pub const BUFFER: usize = 1024;
/// Longest pause between attempts to bring a lost listener connection back.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(30);

/// What changed about a meeting. Every event carries the meeting as it is now, so the kind tells a
/// client what to look at, not what to patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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

/// A change to one meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub meeting_id: Uuid,
    pub kind: ChangeKind,
}

/// What a process's subscribers hear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Changed(Change),
    /// Announcements may have been lost for every meeting.
    ResyncAll,
}

/// The process's signals, each numbered as it is sent: every subscriber of this process hears the
/// same signal under the same number, so several subscriptions to one meeting can tell that they
/// were woken by the same change (and read the meeting once for it).
struct Signals {
    sender: broadcast::Sender<(u64, Signal)>,
    next: std::sync::atomic::AtomicU64,
}

impl Signals {
    fn new(buffer: usize) -> Arc<Self> {
        let (sender, _) = broadcast::channel(buffer.max(1));
        Arc::new(Self { sender, next: std::sync::atomic::AtomicU64::new(1) })
    }

    fn send(&self, signal: Signal) {
        let number = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // An error only means nobody in this process is subscribed.
        let _ = self.sender.send((number, signal));
    }
}

/// One change a subscriber hears: what changed and, when every subscriber of this process heard
/// the same signal, its number (none for a RESYNC of this subscriber's own, after falling behind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heard {
    pub kind: ChangeKind,
    pub signal: Option<u64>,
}

/// What a write to MDT meetings returns: what it wrote, and the changes its subscribers must hear
/// of. The written value is reached only through [`MeetingChanged::announce`], and nothing else
/// publishes, so a change cannot be made through the domain without being announced, and the
/// write (which knows what it changed) names the meetings and the kind, not its caller.
///
/// Announce once the transaction holding the write has committed: a write that was rolled back
/// must not be announced. When the write opened its own transaction (called on a pool), that is
/// as soon as it returns; a caller composing several writes in one transaction announces each
/// after its commit.
#[must_use = "subscribers hear of an MDT change only when it is announced: call .announce(&live) once committed"]
pub struct MeetingChanged<T> {
    value: T,
    changes: Vec<Change>,
}

impl<T> MeetingChanged<T> {
    /// `value`, written by a change of `kind` to one meeting.
    pub(crate) fn one(value: T, meeting_id: Uuid, kind: ChangeKind) -> Self {
        Self { value, changes: vec![Change { meeting_id, kind }] }
    }

    /// `value`, written by a change of `kind` to each of `meetings` (none is allowed).
    pub(crate) fn each(value: T, meetings: impl IntoIterator<Item = Uuid>, kind: ChangeKind) -> Self {
        Self { value, changes: meetings.into_iter().map(|meeting_id| Change { meeting_id, kind }).collect() }
    }

    /// The changes subscribers will hear of, in order.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// Tells every subscriber of the changed meetings, on every process, and hands back what was
    /// written. Never fails: see [`LiveBroker`] for what happens when announcing does.
    pub async fn announce(self, live: &LiveBroker) -> T {
        for change in &self.changes {
            live.publish(change.meeting_id, change.kind).await;
        }
        self.value
    }
}

/// Publishes changes and hands out subscriptions. Cheap to clone: clones share one broadcast and,
/// on PostgreSQL, one listener, which stops when the last clone is dropped.
#[derive(Clone)]
pub struct LiveBroker {
    inner: Arc<Inner>,
}

struct Inner {
    signals: Arc<Signals>,
    transport: Transport,
}

enum Transport {
    /// SQLite: subscribers live in this process only.
    InProcess,
    /// PostgreSQL: `pg_notify` on the service's own pool, delivered back through the listener.
    Postgres { db: DatabaseConnection, listener: tokio::task::JoinHandle<()> },
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Transport::Postgres { listener, .. } = &self.transport {
            listener.abort();
        }
    }
}

impl LiveBroker {
    /// The broker for `db`: in process for SQLite; for PostgreSQL, LISTENs before returning (so
    /// that a server accepting requests already hears every change) and keeps listening.
    pub async fn start(db: &DatabaseConnection) -> anyhow::Result<Self> {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(Self::in_process(BUFFER));
        }
        let signals = Signals::new(BUFFER);
        let options = (*db.get_postgres_connection_pool().connect_options()).clone();
        let listener = listen(&options)
            .await
            .map_err(|e| anyhow::anyhow!("live updates: cannot LISTEN on the PostgreSQL channel {CHANNEL}: {e}"))?;
        let task = tokio::spawn(forward(listener, options, signals.clone()));
        Ok(Self {
            inner: Arc::new(Inner { signals, transport: Transport::Postgres { db: db.clone(), listener: task } }),
        })
    }

    /// A broker that delivers only within this process, holding `buffer` signals per subscriber.
    pub fn in_process(buffer: usize) -> Self {
        Self { inner: Arc::new(Inner { signals: Signals::new(buffer), transport: Transport::InProcess }) }
    }

    /// Announces that `meeting_id` changed. Only [`MeetingChanged::announce`] calls it, once the
    /// change has committed. It never fails the caller: the change is stored whatever happens
    /// here, so a failure to announce it is logged, and this process's own subscribers are still told.
    async fn publish(&self, meeting_id: Uuid, kind: ChangeKind) {
        let change = Change { meeting_id, kind };
        match &self.inner.transport {
            Transport::InProcess => self.deliver(Signal::Changed(change)),
            Transport::Postgres { db, .. } => {
                if let Err(e) = notify(db, change).await {
                    tracing::warn!(error = %e, %meeting_id, ?kind, "live updates: pg_notify failed; only this process's subscribers hear of the change");
                    self.deliver(Signal::Changed(change));
                }
            }
        }
    }

    /// The changes to `meeting_id` from now on, in order. A subscriber that falls more than the
    /// buffer behind, or that may have missed changes because the listener lost its connection,
    /// receives `Resync`. The stream ends only when the broker does.
    pub fn changes(&self, meeting_id: Uuid) -> impl Stream<Item = Heard> + Send + 'static {
        let receiver = self.inner.signals.sender.subscribe();
        futures::stream::unfold(receiver, move |mut receiver| async move {
            loop {
                let heard = match receiver.recv().await {
                    Ok((n, Signal::Changed(change))) if change.meeting_id == meeting_id => {
                        Heard { kind: change.kind, signal: Some(n) }
                    }
                    Ok((_, Signal::Changed(_))) => continue,
                    Ok((n, Signal::ResyncAll)) => Heard { kind: ChangeKind::Resync, signal: Some(n) },
                    Err(broadcast::error::RecvError::Lagged(_)) => Heard { kind: ChangeKind::Resync, signal: None },
                    Err(broadcast::error::RecvError::Closed) => return None,
                };
                return Some((heard, receiver));
            }
        })
    }

    fn deliver(&self, signal: Signal) {
        self.inner.signals.send(signal);
    }
}

async fn notify(db: &DatabaseConnection, change: Change) -> anyhow::Result<()> {
    let payload = serde_json::to_string(&change)?;
    db.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

/// A listener on its own one-connection pool (the service's pool keeps all its connections), with
/// the service's connection options.
async fn listen(options: &sqlx::postgres::PgConnectOptions) -> Result<PgListener, sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .max_lifetime(None)
        .idle_timeout(None)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.clone().application_name(LISTENER_APPLICATION_NAME))
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Forwards notifications to this process's subscribers for as long as the broker lives. After
/// any interruption, once LISTEN is in place again, every subscriber is told to RESYNC: what was
/// published in between was not delivered, and what is published from now on will be.
async fn forward(mut listener: PgListener, options: sqlx::postgres::PgConnectOptions, sender: Arc<Signals>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => sender.send(parse(&notification)),
            // sqlx has already reconnected and listens again (`eager_reconnect`, the default).
            Ok(None) => {
                tracing::warn!(
                    "live updates: the listener's connection was lost and re-established; subscribers resync"
                );
                sender.send(Signal::ResyncAll);
            }
            Err(e) => {
                tracing::warn!(error = %e, "live updates: the listener failed; reconnecting");
                drop(listener);
                listener = reconnect(&options).await;
                sender.send(Signal::ResyncAll);
            }
        }
    }
}

/// A new listener, retrying with backoff until the database answers.
async fn reconnect(options: &sqlx::postgres::PgConnectOptions) -> PgListener {
    let mut delay = Duration::from_millis(100);
    loop {
        tokio::time::sleep(delay).await;
        match listen(options).await {
            Ok(listener) => {
                tracing::info!("live updates: listening again");
                return listener;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "live updates: cannot LISTEN yet");
                delay = (delay * 2).min(MAX_RECONNECT_DELAY);
            }
        }
    }
}

/// A notification's change. One this version cannot read (say, from a newer server during a
/// rolling deploy) makes every subscriber reload rather than miss it.
fn parse(notification: &PgNotification) -> Signal {
    match serde_json::from_str::<Change>(notification.payload()) {
        Ok(change) => Signal::Changed(change),
        Err(e) => {
            tracing::warn!(error = %e, payload = notification.payload(), "live updates: unreadable notification; subscribers resync");
            Signal::ResyncAll
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    #[tokio::test]
    async fn subscribers_hear_only_their_meeting_in_order() {
        let broker = LiveBroker::in_process(16);
        let (mine, other) = (Uuid::now_v7(), Uuid::now_v7());
        let mut changes = Box::pin(broker.changes(mine));
        broker.publish(other, ChangeKind::Agenda).await;
        broker.publish(mine, ChangeKind::Agenda).await;
        broker.publish(mine, ChangeKind::Decision).await;
        let agenda = changes.next().await.unwrap();
        let decision = changes.next().await.unwrap();
        assert_eq!((agenda.kind, decision.kind), (ChangeKind::Agenda, ChangeKind::Decision));
        // Every subscriber of the process hears a change under the same number.
        let mut again = Box::pin(broker.changes(mine));
        let mut first = Box::pin(broker.changes(mine));
        broker.publish(mine, ChangeKind::Action).await;
        let (a, b) = (again.next().await.unwrap(), first.next().await.unwrap());
        assert_eq!(a, b);
        assert!(a.signal.is_some() && a.signal > decision.signal);
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_to_resync() {
        let broker = LiveBroker::in_process(4);
        let meeting = Uuid::now_v7();
        let mut changes = Box::pin(broker.changes(meeting));
        for _ in 0..10 {
            broker.publish(meeting, ChangeKind::Action).await;
        }
        let lagged = changes.next().await.unwrap();
        assert_eq!(lagged, Heard { kind: ChangeKind::Resync, signal: None }, "lost changes are not skipped silently");
        // Then the most recent ones still in the buffer.
        assert_eq!(changes.next().await.map(|h| h.kind), Some(ChangeKind::Action));
    }

    #[test]
    fn the_payload_names_the_meeting_and_the_kind() {
        let change = Change { meeting_id: Uuid::nil(), kind: ChangeKind::Attendance };
        let text = serde_json::to_string(&change).unwrap();
        assert_eq!(text, r#"{"meetingId":"00000000-0000-0000-0000-000000000000","kind":"ATTENDANCE"}"#);
        assert_eq!(serde_json::from_str::<Change>(&text).unwrap(), change);
    }
}
