//! Structured logs (tracing) and the per-request correlation id that ties a client's error
//! reference to the server's log line.

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `fut` with `request_id` as the correlation id of everything it logs or reports.
pub async fn with_request_id<F: std::future::Future>(request_id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(request_id, fut).await
}

/// The correlation id of the request being served, or `-` outside one.
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(|id| id.clone()).unwrap_or_else(|_| "-".to_owned())
}
