//! GraphQL subscriptions over WebSocket on GET /graphql, speaking graphql-transport-ws
//! (github.com/enisdenjo/graphql-ws, PROTOCOL.md). The bearer token travels in `connection_init`
//! (browsers cannot set headers on a WebSocket) and is checked by the same authentication as HTTP;
//! refusals use the protocol's close codes. Only subscriptions run here: queries and mutations are
//! POSTed, where the HTTP limits and checks live.
//!
//! async-graphql's own websocket transport (behind async-graphql-axum) is not used: it closes a
//! refused `connection_init` with 1002 rather than 4403, a subscribe before the acknowledgement
//! with 1011 rather than 4401, never sends the protocol's `error` message, and silently replaces a
//! subscription whose id is reused (the protocol says 4409).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use async_graphql::Response as GqlResponse;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::stream::{AbortHandle, Abortable, SelectAll, SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};
use tracing::Instrument;
use uuid::Uuid;

use crate::auth;
use crate::state::AppState;
use api::live::{SharedReads, Subscriber};
use domain::error::AppError;

/// The WebSocket subprotocol spoken here.
pub const PROTOCOL: &str = "graphql-transport-ws";
/// How long a new connection has to send `connection_init`.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most subscriptions running at once on one connection.
pub const MAX_SUBSCRIPTIONS: usize = 20;

/// What one practitioner holds open, across all their connections to this process.
#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    connections: u32,
    subscriptions: u32,
}

/// Per-caller websocket limits (connections and subscriptions a practitioner may hold open at
/// once, in this process) and the event reads their subscriptions share. Cloning shares them.
#[derive(Clone)]
pub struct CallerSockets {
    usage: Arc<Mutex<HashMap<Uuid, Usage>>>,
    max_connections: u32,
    max_subscriptions: u32,
    reads: SharedReads,
}

/// A connection or a subscription held open; given back when dropped.
pub struct Held {
    sockets: CallerSockets,
    practitioner: Uuid,
    connection: bool,
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut usage = self.sockets.usage.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(u) = usage.get_mut(&self.practitioner) {
            if self.connection {
                u.connections = u.connections.saturating_sub(1);
            } else {
                u.subscriptions = u.subscriptions.saturating_sub(1);
            }
            if u.connections == 0 && u.subscriptions == 0 {
                usage.remove(&self.practitioner);
            }
        }
    }
}

impl CallerSockets {
    pub fn new(max_connections: u32, max_subscriptions: u32) -> Self {
        Self { usage: Arc::default(), max_connections, max_subscriptions, reads: SharedReads::default() }
    }

    /// The event reads shared between a caller's subscriptions (tests look at it).
    pub fn reads(&self) -> &SharedReads {
        &self.reads
    }

    fn hold(&self, practitioner: Uuid, connection: bool) -> Result<Held, u32> {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        let u = usage.entry(practitioner).or_default();
        let (count, max) = if connection {
            (&mut u.connections, self.max_connections)
        } else {
            (&mut u.subscriptions, self.max_subscriptions)
        };
        if *count >= max {
            return Err(max);
        }
        *count += 1;
        Ok(Held { sockets: self.clone(), practitioner, connection })
    }
}

/// The close codes of graphql-transport-ws (and the WebSocket standard's internal error).
pub mod close_code {
    /// A message that is not valid JSON or not a protocol message.
    pub const BAD_REQUEST: u16 = 4400;
    /// `subscribe` before the connection was acknowledged.
    pub const UNAUTHORIZED: u16 = 4401;
    /// `connection_init` refused: no token, or one that does not verify or names no active practitioner.
    pub const FORBIDDEN: u16 = 4403;
    /// No `connection_init` within the time allowed.
    pub const INIT_TIMEOUT: u16 = 4408;
    /// `subscribe` with the id of a subscription still running.
    pub const DUPLICATE_ID: u16 = 4409;
    /// A second `connection_init`.
    pub const TOO_MANY_INITS: u16 = 4429;
    /// The server failed (the database did not answer, say).
    pub const INTERNAL: u16 = 1011;
    /// Broken WebSocket framing.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text message that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// A message larger than the server accepts (its body limit).
    pub const TOO_BIG: u16 = 1009;
    /// The server is shutting down: connect again (to another replica).
    pub const GOING_AWAY: u16 = 1001;
    /// The practitioner already holds as many connections as one caller may.
    pub const POLICY_VIOLATION: u16 = 1008;
}

/// The upgrade of GET /graphql. The body limit (`NEIGHBOURHOOD_MAX_BODY_BYTES`) bounds every message
/// as it bounds a POST; larger ones close the connection with 1009.
pub fn upgrade(state: AppState, upgrade: WebSocketUpgrade, request_id: String) -> Response {
    if !upgrade.requested_protocols().any(|p| p.as_bytes().eq_ignore_ascii_case(PROTOCOL.as_bytes())) {
        return (
            StatusCode::BAD_REQUEST,
            format!("GraphQL over WebSocket speaks the {PROTOCOL} protocol: request it in Sec-WebSocket-Protocol"),
        )
            .into_response();
    }
    let limit = state.settings.max_body_bytes;
    let mut upgrade = upgrade.max_message_size(limit).max_frame_size(limit);
    upgrade.set_selected_protocol(HeaderValue::from_static(PROTOCOL));
    upgrade.on_upgrade(move |socket| {
        let span = tracing::info_span!("websocket", request_id = %request_id);
        // Tracked, so that a server shutting down waits for this connection's close frame.
        let sockets = state.sockets.clone();
        sockets.track_future(
            domain::telemetry::with_request_id(request_id.clone(), Connection::serve(socket, state, request_id))
                .instrument(span),
        )
    })
}

/// A message from the client.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: Value,
    },
    Complete {
        id: String,
    },
    Ping {
        #[serde(default)]
        payload: Option<Value>,
    },
    /// Its payload, if any, is of no interest.
    Pong {},
}

/// What arrived on the socket.
enum Incoming {
    Message(ClientMessage),
    /// A frame the protocol does not see (WebSocket ping and pong).
    Nothing,
    /// Something that is not a protocol message; the reason goes into the close frame.
    Invalid(String),
    /// The client closed the socket or it broke.
    Gone,
    /// The WebSocket layer refused what arrived (too large, not UTF-8, broken framing).
    Refused(Close),
}

/// Why the connection is being ended.
struct Close(u16, String);

type Tagged = (String, u64, Option<GqlResponse>);

struct Connection {
    sink: SplitSink<WebSocket, Message>,
    incoming: SplitStream<WebSocket>,
    state: AppState,
    request_id: String,
}

/// The shutdown's close: clients connect again, to this server once it is back or to another.
fn going_away() -> Close {
    Close(close_code::GOING_AWAY, "Going away: the server is shutting down; connect again".to_owned())
}

impl Connection {
    async fn serve(socket: WebSocket, state: AppState, request_id: String) {
        let (sink, incoming) = socket.split();
        let mut connection = Connection { sink, incoming, state, request_id };
        let outcome = match connection.handshake().await {
            Ok(Some((subscriber, caller, held))) => {
                let outcome = connection.run(subscriber, &caller).await;
                drop(held);
                outcome
            }
            Ok(None) => Ok(()),
            Err(close) => Err(close),
        };
        match outcome {
            Ok(()) => {
                // Completes the closing handshake the client started (or closes the socket).
                let _ = connection.sink.close().await;
                tracing::debug!("websocket closed by the client");
            }
            Err(Close(code, reason)) => {
                tracing::info!(code, reason = %reason, "closing the websocket");
                connection.close(code, &reason).await;
            }
        }
    }

    /// Waits for `connection_init` and authenticates it. `None`: the client went away.
    async fn handshake(&mut self) -> Result<Option<(Subscriber, domain::auth::Caller, Held)>, Close> {
        let deadline = tokio::time::Instant::now() + INIT_TIMEOUT;
        let shutdown = self.state.shutdown.clone();
        loop {
            let incoming = tokio::select! {
                incoming = tokio::time::timeout_at(deadline, self.receive()) => incoming,
                () = shutdown.cancelled() => return Err(going_away()),
            };
            let Ok(incoming) = incoming else {
                return Err(Close(close_code::INIT_TIMEOUT, "Connection initialisation timeout".to_owned()));
            };
            match incoming {
                Incoming::Gone => return Ok(None),
                Incoming::Refused(close) => return Err(close),
                Incoming::Nothing => {}
                Incoming::Invalid(reason) => return Err(Close(close_code::BAD_REQUEST, reason)),
                Incoming::Message(ClientMessage::ConnectionInit { payload }) => {
                    let (subscriber, caller) = self.authenticate(payload.unwrap_or(Value::Null)).await?;
                    let held = self.state.live_callers.hold(caller.practitioner_id, true).map_err(|max| {
                        Close(
                            close_code::POLICY_VIOLATION,
                            format!(
                                "Policy violation: at most {max} websocket connections per practitioner \
                                 (NEIGHBOURHOOD_MAX_WEBSOCKETS_PER_CALLER)"
                            ),
                        )
                    })?;
                    self.send(json!({ "type": "connection_ack" })).await?;
                    return Ok(Some((subscriber, caller, held)));
                }
                Incoming::Message(ClientMessage::Subscribe { .. }) => {
                    return Err(Close(close_code::UNAUTHORIZED, "Unauthorized: send connection_init first".to_owned()))
                }
                Incoming::Message(ClientMessage::Ping { payload }) => self.pong(payload).await?,
                Incoming::Message(ClientMessage::Pong { .. } | ClientMessage::Complete { .. }) => {}
            }
        }
    }

    /// The subscriber a `connection_init` payload names, or the close that refuses it.
    async fn authenticate(&self, payload: Value) -> Result<(Subscriber, domain::auth::Caller), Close> {
        let refuse = |e: AppError| match e {
            AppError::Internal(_) => Close(close_code::INTERNAL, e.client_message()),
            other => Close(close_code::FORBIDDEN, format!("Forbidden: {}", other.client_message())),
        };
        let token = token_in(&payload).map_err(refuse)?;
        let state = &self.state;
        // `authenticate` verifies the token too; its claims are read here only for `exp`.
        let claims = state.auth.verify(&token).map_err(refuse)?;
        let caller = state.auth.caller(&token).await.map_err(refuse)?;
        let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0)
            .ok_or_else(|| refuse(AppError::Unauthenticated("the token's exp is out of range".to_owned())))?;
        tracing::info!(practitioner = %caller.practitioner_id, "websocket connection acknowledged");
        let subscriber = Subscriber {
            db: state.db.clone(),
            tokens: Arc::new(state.auth.clone()),
            live: state.live.clone(),
            audit: state.audit.clone(),
            token: Arc::new(SecretString::from(token)),
            expires_at,
            operation: String::new(),
            request_id: self.request_id.clone(),
            reads: state.live_callers.reads.clone(),
        };
        Ok((subscriber, caller))
    }

    /// The acknowledged connection: subscriptions start and stop, their results go out.
    async fn run(&mut self, subscriber: Subscriber, caller: &domain::auth::Caller) -> Result<(), Close> {
        // Running subscriptions by id, each with a generation so that the end of a stopped one is
        // not taken for the end of a later one reusing its id, and the caller's subscription it holds.
        let mut running: HashMap<String, (u64, AbortHandle, Held)> = HashMap::new();
        let mut streams: SelectAll<futures::stream::BoxStream<'static, Tagged>> = SelectAll::new();
        let mut generation = 0u64;
        let shutdown = self.state.shutdown.clone();
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return Err(going_away()),
                incoming = self.receive() => match incoming {
                    Incoming::Gone => return Ok(()),
                    Incoming::Refused(close) => return Err(close),
                    Incoming::Nothing => {}
                    Incoming::Invalid(reason) => return Err(Close(close_code::BAD_REQUEST, reason)),
                    Incoming::Message(ClientMessage::ConnectionInit { .. }) => {
                        let reason = "Too many initialisation requests".to_owned();
                        return Err(Close(close_code::TOO_MANY_INITS, reason));
                    }
                    Incoming::Message(ClientMessage::Ping { payload }) => self.pong(payload).await?,
                    Incoming::Message(ClientMessage::Pong { .. }) => {}
                    Incoming::Message(ClientMessage::Complete { id }) => {
                        if let Some((_, handle, _)) = running.remove(&id) {
                            handle.abort();
                        }
                    }
                    Incoming::Message(ClientMessage::Subscribe { id, payload }) => {
                        if running.contains_key(&id) {
                            let reason = format!("Subscriber for {id} already exists");
                            return Err(Close(close_code::DUPLICATE_ID, reason));
                        }
                        if running.len() >= MAX_SUBSCRIPTIONS {
                            self.send_error(&id, errors_of(&too_many())).await?;
                            continue;
                        }
                        if let Err(e) = self.state.brakes.admit_requests(caller, 1, &self.request_id).await {
                            self.send_error(&id, errors_of(&e)).await?;
                            continue;
                        }
                        let held = match self.state.live_callers.hold(caller.practitioner_id, false) {
                            Ok(held) => held,
                            Err(max) => {
                                self.send_error(&id, errors_of(&too_many_for_caller(max))).await?;
                                continue;
                            }
                        };
                        let request = match start(&id, payload, &subscriber) {
                            Ok(request) => request,
                            Err(Refusal::Invalid(reason)) => return Err(Close(close_code::BAD_REQUEST, reason)),
                            Err(Refusal::Error(errors)) => {
                                self.send_error(&id, errors).await?;
                                continue;
                            }
                        };
                        generation += 1;
                        let (handle, registration) = AbortHandle::new_pair();
                        running.insert(id.clone(), (generation, handle, held));
                        let (tag, this) = (id, generation);
                        let results = self
                            .state
                            .schema
                            .execute_stream(request)
                            .map(|response| Some(crate::http::sanitise(response)))
                            .chain(futures::stream::once(async { None }));
                        let tagged = Abortable::new(results, registration).map(move |item| (tag.clone(), this, item));
                        streams.push(tagged.boxed());
                    }
                },
                Some((id, this, item)) = streams.next(), if !streams.is_empty() => {
                    // A stream stopped by the client, or replaced under its id, says nothing more.
                    if running.get(&id).map(|(g, _, _)| *g) != Some(this) {
                        continue;
                    }
                    match item {
                        Some(response) if is_failure(&response) => {
                            if let Some((_, handle, _)) = running.remove(&id) {
                                handle.abort();
                            }
                            self.send_error(&id, json!(response.errors)).await?;
                        }
                        Some(response) => {
                            self.send(json!({ "id": id, "type": "next", "payload": response })).await?;
                        }
                        None => {
                            running.remove(&id);
                            self.send(json!({ "id": id, "type": "complete" })).await?;
                        }
                    }
                }
            }
        }
    }

    async fn receive(&mut self) -> Incoming {
        match self.incoming.next().await {
            None | Some(Ok(Message::Close(_))) => Incoming::Gone,
            Some(Err(e)) => refused(e, self.state.settings.max_body_bytes),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Incoming::Nothing,
            Some(Ok(Message::Text(text))) => parse(text.as_str().as_bytes()),
            Some(Ok(Message::Binary(bytes))) => parse(&bytes),
        }
    }

    async fn send(&mut self, message: Value) -> Result<(), Close> {
        // A socket that cannot be written to is gone: nothing more can be said on it either.
        self.sink
            .send(Message::Text(message.to_string().into()))
            .await
            .map_err(|_| Close(close_code::INTERNAL, "the connection failed".to_owned()))
    }

    async fn send_error(&mut self, id: &str, errors: Value) -> Result<(), Close> {
        self.send(json!({ "id": id, "type": "error", "payload": errors })).await
    }

    async fn pong(&mut self, payload: Option<Value>) -> Result<(), Close> {
        match payload {
            Some(payload) => self.send(json!({ "type": "pong", "payload": payload })).await,
            None => self.send(json!({ "type": "pong" })).await,
        }
    }

    /// Sends the close frame and gives the client a moment to answer it.
    async fn close(&mut self, code: u16, reason: &str) {
        let frame = CloseFrame { code, reason: truncate(reason, 123).into() };
        if self.sink.send(Message::Close(Some(frame))).await.is_err() {
            return;
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(Ok(message)) = self.incoming.next().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

/// What a failed read means for the client: a close code where the WebSocket standard has one.
fn refused(error: axum::Error, limit: usize) -> Incoming {
    use tungstenite::error::{CapacityError, Error as WsError};
    match error.into_inner().downcast::<WsError>().map(|e| *e) {
        Ok(WsError::Capacity(CapacityError::MessageTooLong { .. })) => Incoming::Refused(Close(
            close_code::TOO_BIG,
            format!("a message may be at most {limit} bytes (NEIGHBOURHOOD_MAX_BODY_BYTES)"),
        )),
        Ok(WsError::Utf8(_)) => Incoming::Refused(Close(close_code::INVALID_DATA, "text must be UTF-8".to_owned())),
        Ok(WsError::Protocol(e)) => Incoming::Refused(Close(close_code::PROTOCOL_ERROR, e.to_string())),
        _ => Incoming::Gone,
    }
}

fn parse(bytes: &[u8]) -> Incoming {
    match serde_json::from_slice::<ClientMessage>(bytes) {
        Ok(message) => Incoming::Message(message),
        Err(e) => Incoming::Invalid(format!("Invalid message received: {e}")),
    }
}

/// The token in a `connection_init` payload: `{"Authorization": "Bearer <jwt>"}` (the key in any
/// case) or `{"token": "<jwt>"}`.
fn token_in(payload: &Value) -> Result<String, AppError> {
    let fields = payload.as_object();
    let header = fields.and_then(|f| f.iter().find(|(k, _)| k.eq_ignore_ascii_case("authorization")).map(|(_, v)| v));
    if let Some(header) = header {
        let header = header.as_str().ok_or_else(|| {
            AppError::Unauthenticated("Authorization in connection_init must be the string `Bearer <token>`".to_owned())
        })?;
        return auth::bearer_token(Some(header)).map(str::to_owned);
    }
    match fields.and_then(|f| f.get("token")) {
        Some(Value::String(token)) if !token.trim().is_empty() => Ok(token.trim().to_owned()),
        Some(_) => Err(AppError::Unauthenticated("token in connection_init must be the token as a string".to_owned())),
        None => Err(AppError::Unauthenticated(
            "connection_init carries no token: send {\"Authorization\": \"Bearer <token>\"} or {\"token\": \"<token>\"}"
                .to_owned(),
        )),
    }
}

/// Why a `subscribe` does not start.
enum Refusal {
    /// Not a GraphQL request at all: the connection closes (4400).
    Invalid(String),
    /// A request refused with the protocol's `error` message.
    Error(Value),
}

/// The request a `subscribe` message asks for, with the subscriber in its data.
fn start(id: &str, payload: Value, subscriber: &Subscriber) -> Result<async_graphql::Request, Refusal> {
    let mut request: async_graphql::Request = serde_json::from_value(payload)
        .map_err(|e| Refusal::Invalid(format!("Invalid message received: subscribe {id}: {e}")))?;
    // Parsed once here; the schema reuses the parsed document. One that does not parse is left to
    // the schema, which reports it as it would over HTTP.
    let operation_name = request.operation_name.clone();
    if let Ok(document) = request.parsed_query() {
        let mut operations = document.operations.iter();
        let chosen = match &operation_name {
            Some(name) => operations.find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
            None => operations.next().filter(|_| document.operations.iter().count() == 1),
        };
        if let Some((_, operation)) = chosen {
            if operation.node.ty != OperationType::Subscription {
                let refusal = AppError::BadUserInput {
                    field: None,
                    message: "only subscriptions run over the websocket; POST queries and mutations to /graphql"
                        .to_owned(),
                };
                return Err(Refusal::Error(errors_of(&refusal)));
            }
        }
    }
    let operation = crate::http::operation_label(&request);
    let subscriber = Subscriber { operation, ..subscriber.clone() };
    Ok(request.data(subscriber))
}

fn too_many() -> AppError {
    AppError::BadUserInput {
        field: None,
        message: format!("at most {MAX_SUBSCRIPTIONS} subscriptions run on one connection; complete one first"),
    }
}

fn too_many_for_caller(max: u32) -> AppError {
    AppError::BadUserInput {
        field: None,
        message: format!(
            "at most {max} subscriptions run at once for one practitioner, over all their connections \
             (NEIGHBOURHOOD_MAX_SUBSCRIPTIONS_PER_CALLER); complete one first"
        ),
    }
}

/// The payload of an `error` message: a rate-limited subscribe, or one the database was too busy
/// for, says when to retry, as over HTTP.
fn retry_after(error: &AppError) -> Option<u64> {
    error.retry_after_seconds()
}

/// The payload of an `error` message for one of the service's own errors.
fn errors_of(error: &AppError) -> Value {
    let mut extensions = json!({ "code": error.code() });
    if let Some(seconds) = retry_after(error) {
        extensions["retryAfterSeconds"] = json!(seconds);
    }
    json!([{ "message": error.client_message(), "extensions": extensions }])
}

/// A result with no data and errors: the operation failed (refused at the start, or ended by an
/// error such as a withdrawn invitation), so it goes out as the protocol's `error` and ends.
fn is_failure(response: &GqlResponse) -> bool {
    !response.errors.is_empty() && response.data == async_graphql::Value::Null
}

fn truncate(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_either_form_of_connection_init() {
        assert_eq!(token_in(&json!({ "Authorization": "Bearer abc" })).unwrap(), "abc");
        assert_eq!(token_in(&json!({ "authorization": "bearer abc" })).unwrap(), "abc");
        assert_eq!(token_in(&json!({ "token": " abc " })).unwrap(), "abc");
        for refused in
            [json!(null), json!({}), json!({ "token": "" }), json!({ "Authorization": "abc" }), json!({ "token": 1 })]
        {
            assert_eq!(token_in(&refused).unwrap_err().code(), "UNAUTHENTICATED", "{refused}");
        }
    }

    #[test]
    fn close_reasons_fit_a_close_frame() {
        let long = "é".repeat(100);
        let cut = truncate(&long, 123);
        assert!(cut.len() <= 123 && long.starts_with(&cut));
        assert_eq!(truncate("short", 123), "short");
    }
}
