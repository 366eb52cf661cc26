//! The HTTP surface: POST /graphql (GraphQL over HTTP with content negotiation; a file upload as a
//! GraphQL multipart request, with a header that forged forms cannot carry), GraphiQL on GET
//! when enabled (GET never executes an operation), the WebSocket upgrade of GET /graphql for
//! subscriptions (`live::ws`), /livez and /readyz. Bodies, batches and
//! queries are bounded; every request gets a correlation id; errors never carry database text.

use std::time::Duration;

use async_graphql::{BatchRequest, Response as GqlResponse, ServerError};
use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use headers_accept::Accept;
use mediatype::names::{APPLICATION, CHARSET, FORM_DATA, HTML, JSON, MULTIPART, TEXT};
use mediatype::{MediaType, MediaTypeBuf, Name, ReadParams, WriteParams};
use tower_http::trace::TraceLayer;

use crate::auth;
use crate::state::AppState;
use api::context::RequestContext;
use domain::error::{code, AppError};
use domain::telemetry;

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";
const REQUEST_ID_HEADER: &str = "x-request-id";
/// Where a client's own `x-request-id` is moved to (logged, never trusted).
const CLIENT_REQUEST_ID_HEADER: &str = "x-client-request-id";

pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.max_body_bytes;
    Router::new()
        .route("/graphql", get(get_graphql).post(graphql))
        .route("/schema.graphql", get(schema_sdl))
        .route("/graphiql/{asset}", get(graphiql_asset))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
            tracing::info_span!(
                "request",
                method = %request.method(),
                path = %request.uri().path(),
                request_id = %id(REQUEST_ID_HEADER),
                client_request_id = %id(CLIENT_REQUEST_ID_HEADER),
            )
        }))
        .layer(axum::middleware::from_fn(assign_request_id))
        .with_state(state)
}

/// Gives every request a fresh server-generated id (UUID v7), returned as `x-request-id`. An id the
/// client sent is kept only as `client_request_id` in the logs: it is never trusted as the
/// correlation id, which the audit trail and error references record.
async fn assign_request_id(mut request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let id = uuid::Uuid::now_v7().to_string();
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("-"));
    let headers = request.headers_mut();
    if let Some(client) = headers.remove(REQUEST_ID_HEADER) {
        headers.insert(CLIENT_REQUEST_ID_HEADER, client);
    }
    headers.insert(REQUEST_ID_HEADER, value.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert(REQUEST_ID_HEADER, value);
    response
}

async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database did not answer in time").into_response(),
    }
}

/// GET /schema.graphql: the schema as SDL (what the repository publishes as `schema.graphql`),
/// where introspection is on; for codegen and schema registries that fetch a URL.
async fn schema_sdl(State(state): State<AppState>) -> Response {
    if !state.settings.introspection {
        return (
            StatusCode::NOT_FOUND,
            "introspection is disabled on this server; the schema is published as schema.graphql",
        )
            .into_response();
    }
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], state.schema.sdl()).into_response()
}

/// GET /graphiql/{asset}: GraphiQL's embedded scripts and styles, where GraphiQL is on.
async fn graphiql_asset(State(state): State<AppState>, Path(asset): Path<String>) -> Response {
    if !state.settings.graphiql {
        return (StatusCode::NOT_FOUND, "GraphiQL is disabled on this server").into_response();
    }
    crate::graphiql::asset(&asset)
}

/// GET /graphql: a WebSocket upgrade for subscriptions, else GraphiQL (when enabled).
async fn get_graphql(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let wants_websocket =
        headers.get(header::UPGRADE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !wants_websocket {
        // The page is for a browser asking for a page; a client asking for JSON (or sending an
        // operation in the URL) is told that operations are POSTed, in JSON.
        let has_operation = uri.query().is_some_and(|q| q.split('&').any(|p| p.starts_with("query=")));
        if wants_page(&headers) && !has_operation {
            return graphiql(state);
        }
        return get_is_not_executed(negotiate(&headers).unwrap_or(ResponseMedia::Json));
    }
    match upgrade {
        Ok(upgrade) => {
            let request_id = headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
            crate::ws::upgrade(state, upgrade, request_id)
        }
        Err(rejection) => rejection.into_response(),
    }
}

/// GET never executes an operation (a mutation in a link must not run): 405, `Allow: POST`.
fn get_is_not_executed(media: ResponseMedia) -> Response {
    let mut response = refuse(
        StatusCode::METHOD_NOT_ALLOWED,
        media,
        AppError::BadUserInput {
            field: None,
            message: "GraphQL operations are POSTed to /graphql as JSON; GET never executes one".to_owned(),
        },
    );
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

fn graphiql(state: AppState) -> Response {
    if state.settings.graphiql {
        crate::graphiql::page("/graphql").into_response()
    } else {
        let mut response = (
            StatusCode::METHOD_NOT_ALLOWED,
            "GraphQL requests are POSTed to /graphql (GraphiQL is disabled on this server)",
        )
            .into_response();
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        response
    }
}

/// Which media type the client asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ResponseMedia {
    GraphqlResponseJson,
    Json,
}

impl ResponseMedia {
    fn as_str(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => GRAPHQL_RESPONSE_JSON,
            Self::Json => APPLICATION_JSON,
        }
    }
}

/// `application/graphql-response+json`.
const GRAPHQL_RESPONSE_TYPE: MediaType<'static> =
    MediaType::from_parts(APPLICATION, Name::new_unchecked("graphql-response"), Some(JSON), &[]);
const JSON_TYPE: MediaType<'static> = MediaType::new(APPLICATION, JSON);
/// `multipart/form-data`: a GraphQL multipart request, which carries an uploaded file.
const MULTIPART_TYPE: MediaType<'static> = MediaType::new(MULTIPART, FORM_DATA);
/// Headers of which one must accompany a multipart request (any value): a form another site posts
/// cannot set them without a CORS preflight this server does not grant, so an upload cannot be
/// forged from a page the user happens to visit (cross-site request forgery). The second is what
/// Apollo's clients send.
const PREFLIGHT_HEADERS: [&str; 2] = ["graphql-require-preflight", "apollo-require-preflight"];
/// Files one multipart request may upload.
const MAX_UPLOAD_FILES: usize = 1;
const HTML_TYPE: MediaType<'static> = MediaType::new(TEXT, HTML);

/// The client's Accept header (absent: anything), its media ranges in precedence order, quality
/// values included (RFC 9110 §12.5.1). `charset=utf-8` is dropped from each range: JSON is always
/// UTF-8, so it narrows nothing (another charset cannot be served, and so matches nothing).
/// `None` when the header does not parse.
fn accepted(headers: &HeaderMap) -> Option<Accept> {
    let Some(value) = headers.get(header::ACCEPT) else {
        return "*/*".parse().ok();
    };
    let accept = Accept::try_from(value).ok()?;
    Some(
        accept
            .media_types()
            .map(|range| {
                let mut range = range.to_ref();
                if range.get_param(CHARSET).is_some_and(|c| c.unquoted_str().eq_ignore_ascii_case("utf-8")) {
                    range.remove_params(CHARSET);
                }
                MediaTypeBuf::from(range)
            })
            .collect(),
    )
}

/// GraphQL over HTTP: the media type the client prefers of `application/graphql-response+json`
/// and `application/json`, by quality and then by the client's order; a wildcard (or no Accept
/// header) gets `application/json`, as the specification asks for legacy clients. `None` when the
/// client accepts neither.
fn negotiate(headers: &HeaderMap) -> Option<ResponseMedia> {
    let chosen = accepted(headers)?.negotiate(&[JSON_TYPE, GRAPHQL_RESPONSE_TYPE])?.clone();
    Some(if chosen == GRAPHQL_RESPONSE_TYPE { ResponseMedia::GraphqlResponseJson } else { ResponseMedia::Json })
}

/// Whether a GET asks for a page (GraphiQL) rather than data: text/html is preferred to JSON, or
/// anything is accepted.
fn wants_page(headers: &HeaderMap) -> bool {
    accepted(headers)
        .and_then(|accept| accept.negotiate(&[HTML_TYPE, JSON_TYPE, GRAPHQL_RESPONSE_TYPE]).cloned())
        .is_some_and(|chosen| chosen == HTML_TYPE)
}

fn error_body(error: &AppError) -> serde_json::Value {
    let mut extensions = serde_json::json!({ "code": error.code() });
    if let Some(seconds) = error.retry_after_seconds() {
        extensions["retryAfterSeconds"] = serde_json::json!(seconds);
    }
    serde_json::json!({ "errors": [{ "message": error.client_message(), "extensions": extensions }] })
}

fn reply(status: StatusCode, media: ResponseMedia, body: &impl serde::Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| br#"{"errors":[{"message":"internal error"}]}"#.to_vec());
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(media.as_str()));
    response
}

fn refuse(status: StatusCode, media: ResponseMedia, error: AppError) -> Response {
    let mut response = reply(status, media, &error_body(&error));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if let Some(seconds) = error.retry_after_seconds() {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

async fn graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let media = negotiate(&headers).unwrap_or(ResponseMedia::Json);
            let message = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                format!(
                    "the request body is larger than this server accepts, {} bytes (--max-body-bytes, \
                     NEIGHBOURHOOD_MAX_BODY_BYTES)",
                    state.settings.max_body_bytes
                )
            } else {
                "the request body could not be read".to_owned()
            };
            return refuse(rejection.status(), media, AppError::BadUserInput { field: None, message });
        }
    };
    let request_id = headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    telemetry::with_request_id(request_id.clone(), handle_graphql(state, headers, request_id, body)).await
}

async fn handle_graphql(state: AppState, headers: HeaderMap, request_id: String, body: Bytes) -> Response {
    let Some(media) = negotiate(&headers) else {
        return refuse(
            StatusCode::NOT_ACCEPTABLE,
            ResponseMedia::Json,
            AppError::BadUserInput {
                field: None,
                message: format!(
                    "responses are {GRAPHQL_RESPONSE_JSON} or {APPLICATION_JSON}; the Accept header allows neither"
                ),
            },
        );
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let sent = MediaType::parse(content_type);
    let is = |wanted: &MediaType| sent.as_ref().is_ok_and(|m| m.essence() == *wanted);
    let batch = if is(&JSON_TYPE) {
        serde_json::from_slice::<BatchRequest>(&body).map_err(|e| format!("the body is not a GraphQL request: {e}"))
    } else if is(&MULTIPART_TYPE) {
        if !PREFLIGHT_HEADERS.iter().any(|name| headers.get(*name).is_some_and(|v| !v.is_empty())) {
            return refuse(
                StatusCode::BAD_REQUEST,
                media,
                AppError::BadUserInput {
                    field: None,
                    message:
                        "a multipart request (a file upload) must carry the header `GraphQL-Require-Preflight: 1` \
                              (or `Apollo-Require-Preflight`), which a form posted from another site cannot"
                            .to_owned(),
                },
            );
        }
        let options = async_graphql::http::MultipartOptions::default()
            .max_num_files(MAX_UPLOAD_FILES)
            .max_file_size(state.settings.max_body_bytes);
        async_graphql::http::receive_batch_body(Some(content_type), body.as_ref(), options)
            .await
            .map_err(|e| format!("the body is not a GraphQL multipart request: {e}"))
    } else {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            AppError::BadUserInput {
                field: None,
                message: "POST a JSON body with Content-Type: application/json (or multipart/form-data, the GraphQL \
                          multipart request, to upload a file)"
                    .to_owned(),
            },
        );
    };
    let batch: BatchRequest = match batch {
        Ok(batch) => batch,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, media, AppError::BadUserInput { field: None, message }),
    };
    let requests = match batch {
        BatchRequest::Single(request) => vec![request],
        BatchRequest::Batch(requests) => {
            if requests.is_empty() || requests.len() > state.settings.max_batch {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    media,
                    AppError::BadUserInput {
                        field: None,
                        message: format!(
                            "a batch holds 1 to {} operations, this one holds {}",
                            state.settings.max_batch,
                            requests.len()
                        ),
                    },
                );
            }
            return execute_batch(&state, &headers, media, request_id, requests).await;
        }
    };
    let caller = match authenticate(&state, &headers).await {
        Ok(caller) => caller,
        Err(e) => return refuse(status_for(&e), media, e),
    };
    if let Err(e) = state.brakes.admit_requests(&caller, 1, &request_id).await {
        return refuse(status_for(&e), media, e);
    }
    let Some(request) = requests.into_iter().next() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            media,
            AppError::BadUserInput { field: None, message: "the request holds no operation".to_owned() },
        );
    };
    let response = execute_one(&state, caller, request_id, request).await;
    // A request that failed before execution: 400 for application/graphql-response+json, 200 for
    // application/json (as GraphQL over HTTP says: legacy clients read the body only on 200).
    if nothing_ran_for_want_of_the_database(&response) {
        let mut refused = reply(StatusCode::SERVICE_UNAVAILABLE, media, &Body(&response));
        refused
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(domain::error::UNAVAILABLE_RETRY_AFTER_SECONDS));
        return refused;
    }
    let status = if is_request_error(&response) && media == ResponseMedia::GraphqlResponseJson {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    reply(status, media, &Body(&response))
}

/// No data at all, and every error says the database was busy: the whole request can be retried,
/// which HTTP says with 503 and `Retry-After`.
fn nothing_ran_for_want_of_the_database(response: &GqlResponse) -> bool {
    let unavailable = |e: &ServerError| {
        e.extensions.as_ref().and_then(|x| x.get("code")) == Some(&async_graphql::Value::from(code::UNAVAILABLE))
    };
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(unavailable)
}

/// A response as GraphQL over HTTP writes it: one that failed before execution has no `data`.
struct Body<'a>(&'a GqlResponse);

impl serde::Serialize for Body<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let response = self.0;
        if !is_request_error(response) {
            return response.serialize(serializer);
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("errors", &response.errors)?;
        if !response.extensions.is_empty() {
            map.serialize_entry("extensions", &response.extensions)?;
        }
        map.end()
    }
}

async fn execute_batch(
    state: &AppState,
    headers: &HeaderMap,
    media: ResponseMedia,
    request_id: String,
    requests: Vec<async_graphql::Request>,
) -> Response {
    let caller = match authenticate(state, headers).await {
        Ok(caller) => caller,
        Err(e) => return refuse(status_for(&e), media, e),
    };
    if let Err(e) = state.brakes.admit_requests(&caller, requests.len(), &request_id).await {
        return refuse(status_for(&e), media, e);
    }
    let mut responses = Vec::with_capacity(requests.len());
    for request in requests {
        responses.push(execute_one(state, caller.clone(), request_id.clone(), request).await);
    }
    let bodies: Vec<Body<'_>> = responses.iter().map(Body).collect();
    reply(StatusCode::OK, media, &bodies)
}

fn status_for(error: &AppError) -> StatusCode {
    match error {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<domain::auth::Caller, AppError> {
    let header = headers.get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or(""));
    let token = auth::bearer_token(header)?;
    state.auth.caller(token).await
}

async fn execute_one(
    state: &AppState,
    caller: domain::auth::Caller,
    request_id: String,
    request: async_graphql::Request,
) -> GqlResponse {
    let operation = operation_label(&request);
    let kind = operation.split(' ').next().unwrap_or("query").to_owned();
    let context =
        RequestContext::new(caller, state.db.clone(), state.live.clone(), state.audit.clone(), operation, request_id);
    let started = std::time::Instant::now();
    let response = sanitise(state.schema.execute(request.data(context)).await);
    state.metrics.record(&kind, &response, started.elapsed());
    response
}

/// Prometheus metrics (OpenMetrics text); see `crate::metrics`.
async fn metrics(State(state): State<AppState>) -> Response {
    match state.metrics.render() {
        Ok(text) => ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.client_message()).into_response(),
    }
}

/// `query Name` / `mutation Name` for the audit trail: the `operationName` the client sent, else
/// the name written in the document (read lexically: the document is parsed once, by the schema).
pub(crate) fn operation_label(request: &async_graphql::Request) -> String {
    let text: String =
        request.query.lines().map(|line| line.split('#').next().unwrap_or("")).collect::<Vec<_>>().join(" ");
    let head = text.split('{').next().unwrap_or("");
    let mut words = head.split(|c: char| c.is_whitespace() || c == '(' || c == '@').filter(|w| !w.is_empty());
    let (kind, written_name) = match words.next() {
        Some(kind @ ("query" | "mutation" | "subscription")) => (kind, words.next()),
        _ => ("query", None),
    };
    let name = request.operation_name.as_deref().or(written_name).unwrap_or("anonymous");
    format!("{kind} {name}")
}

/// A response that failed before execution (parse, validation, limits): no data and no path.
fn is_request_error(response: &GqlResponse) -> bool {
    !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// Gives every error a code. An execution error without one did not come from `AppError`, so its
/// text may hold internals: log it and send only a reference.
pub(crate) fn sanitise(mut response: GqlResponse) -> GqlResponse {
    for error in &mut response.errors {
        let has_code = error.extensions.as_ref().is_some_and(|ext| ext.get("code").is_some());
        if has_code {
            continue;
        }
        if is_input_error(&error.message) {
            // async-graphql's own words about a value the client sent (a second line behind
            // `input_check`, which names the variable or argument first).
            set_code(error, code::BAD_USER_INPUT);
        } else if error.path.is_empty() {
            set_code(error, code::GRAPHQL_VALIDATION_FAILED);
        } else {
            let reference = telemetry::current_request_id();
            tracing::error!(message = %error.message, path = ?error.path, request_id = %reference, "uncoded resolver error");
            error.message = format!("internal error; quote reference {reference} to the service desk");
            set_code(error, code::INTERNAL);
        }
    }
    response
}

/// async-graphql's messages about a malformed value: an argument that does not fit its type,
/// a scalar that does not parse, a variable that was not sent.
fn is_input_error(message: &str) -> bool {
    message.starts_with("Invalid value for argument")
        || message.starts_with("Failed to parse \"")
        || message.starts_with("Expected input type \"")
        || (message.starts_with("Variable ") && message.ends_with(" is not defined."))
}

fn set_code(error: &mut ServerError, value: &str) {
    let mut extensions = error.extensions.take().unwrap_or_default();
    extensions.set("code", value);
    error.extensions = Some(extensions);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_name_the_operation() {
        let label = |q: &str, name: Option<&str>| {
            let mut r = async_graphql::Request::new(q);
            if let Some(n) = name {
                r = r.operation_name(n);
            }
            operation_label(&r)
        };
        assert_eq!(label("query Caseload { patients { totalCount } }", None), "query Caseload");
        assert_eq!(label("query Page($first: Int) { x }", None), "query Page");
        assert_eq!(label("# comment\nmutation Save{ x }", None), "mutation Save");
        assert_eq!(label("{ me { role } }", None), "query anonymous");
        assert_eq!(label("query { me { role } }", None), "query anonymous");
        assert_eq!(label("query A { a } query B { b }", Some("B")), "query B");
    }

    #[test]
    fn uncoded_resolver_errors_are_replaced_and_validation_errors_coded() {
        let mut leaky = ServerError::new("error returned from database: relation \"patient\" does not exist", None);
        leaky.path = vec![async_graphql::PathSegment::Field("patients".into())];
        let parse = ServerError::new("Unknown field \"rol\"", None);
        let response = sanitise(GqlResponse::from_errors(vec![leaky, parse]));
        assert!(response.errors[0].message.starts_with("internal error; quote reference"));
        assert!(!response.errors[0].message.contains("relation"));
        let code = |e: &ServerError| e.extensions.as_ref().and_then(|x| x.get("code")).cloned();
        assert_eq!(code(&response.errors[0]), Some(async_graphql::Value::from("INTERNAL")));
        assert_eq!(code(&response.errors[1]), Some(async_graphql::Value::from("GRAPHQL_VALIDATION_FAILED")));
        assert!(response.errors[1].message.contains("rol"));
    }

    fn accept(value: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = value {
            headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_response_type_is_negotiated_with_quality_values() {
        use ResponseMedia::{GraphqlResponseJson as Gql, Json};
        let chosen = |value: Option<&str>| negotiate(&accept(value));
        assert!(chosen(None) == Some(Json), "no Accept header: legacy JSON");
        assert!(chosen(Some("*/*")) == Some(Json), "a wildcard: legacy JSON");
        assert!(chosen(Some("application/*")) == Some(Json));
        assert!(chosen(Some("application/graphql-response+json")) == Some(Gql));
        assert!(chosen(Some("application/graphql-response+json, application/json")) == Some(Gql));
        assert!(
            chosen(Some("application/json, application/graphql-response+json")) == Some(Json),
            "the client's order"
        );
        assert!(chosen(Some("application/json;q=0.5, application/graphql-response+json;q=0.9")) == Some(Gql));
        assert!(chosen(Some("application/graphql-response+json;q=0, */*")) == Some(Json), "q=0 refuses a type");
        assert!(chosen(Some("application/graphql-response+json; charset=utf-8")) == Some(Gql));
        assert!(chosen(Some("application/json; charset=UTF-8")) == Some(Json));
        assert!(chosen(Some("application/json; charset=iso-8859-1")).is_none(), "JSON is UTF-8 only");
        assert!(chosen(Some("text/html")).is_none());
        assert!(chosen(Some("application/json;q=0")).is_none());
        assert!(chosen(Some("not a media type")).is_none());
    }

    #[test]
    fn a_page_is_for_a_client_that_prefers_html_or_takes_anything() {
        let page = |value: Option<&str>| wants_page(&accept(value));
        assert!(page(Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")), "a browser");
        assert!(page(Some("*/*")));
        assert!(page(None));
        assert!(!page(Some("application/json")));
        assert!(!page(Some("application/graphql-response+json, text/html;q=0.5")));
        assert!(!page(Some("text/html;q=0, */*")), "q=0 refuses the page");
    }
}
