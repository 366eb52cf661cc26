//! Prometheus metrics, served at `GET /metrics` (OpenMetrics text): every executed GraphQL
//! operation by kind and outcome (the first error's code when it failed) and how long it took.
//! Nothing in them identifies a person. The benchmark reads them to count GraphQL errors, which
//! HTTP status codes do not show.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use domain::error::{AppError, AppResult};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Outcome {
    ok,
    error,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResponseLabels {
    /// `query`, `mutation` or `subscription`.
    pub kind: String,
    pub outcome: Outcome,
    /// The first error's code (e.g. `FORBIDDEN`); empty when the operation succeeded.
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

/// The server's metrics; one registry per server (tests run several in one process).
pub struct Metrics {
    registry: Registry,
    responses: Family<ResponseLabels, Counter>,
    durations: Family<KindLabels, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let responses = Family::<ResponseLabels, Counter>::default();
        registry.register("graphql_responses", "GraphQL operations executed, by outcome", responses.clone());
        let durations = Family::<KindLabels, Histogram>::new_with_constructor(|| {
            // 0.5 ms to about 4 s.
            Histogram::new(exponential_buckets(0.0005, 2.0, 14))
        });
        registry.register("graphql_duration_seconds", "Time to execute a GraphQL operation", durations.clone());
        Self { registry, responses, durations }
    }
}

impl Metrics {
    /// Records one executed operation.
    pub fn record(&self, kind: &str, response: &async_graphql::Response, elapsed: Duration) {
        let code =
            response.errors.first().and_then(|e| e.extensions.as_ref()).and_then(|ext| ext.get("code")).map(|code| {
                match code {
                    async_graphql::Value::String(s) => s.clone(),
                    other => other.to_string(),
                }
            });
        let labels = ResponseLabels {
            kind: kind.to_owned(),
            outcome: if response.errors.is_empty() { Outcome::ok } else { Outcome::error },
            code: if response.errors.is_empty() { String::new() } else { code.unwrap_or_else(|| "UNKNOWN".to_owned()) },
        };
        self.responses.get_or_create(&labels).inc();
        self.durations.get_or_create(&KindLabels { kind: kind.to_owned() }).observe(elapsed.as_secs_f64());
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> AppResult<String> {
        let mut out = String::new();
        encode(&mut out, &self.registry).map_err(|e| AppError::internal(anyhow::anyhow!("encoding metrics: {e}")))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_counted_with_the_first_error_code() {
        let metrics = Metrics::default();
        metrics.record("query", &async_graphql::Response::new(async_graphql::Value::Null), Duration::from_millis(3));
        let mut error = async_graphql::ServerError::new("no", None);
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", "FORBIDDEN");
        error.extensions = Some(ext);
        metrics.record("query", &async_graphql::Response::from_errors(vec![error]), Duration::from_millis(1));
        let text = metrics.render().unwrap();
        assert!(text.contains(r#"graphql_responses_total{kind="query",outcome="ok",code=""} 1"#), "{text}");
        assert!(text.contains(r#"graphql_responses_total{kind="query",outcome="error",code="FORBIDDEN"} 1"#), "{text}");
        assert!(text.contains(r#"graphql_duration_seconds_count{kind="query"} 2"#), "{text}");
    }
}
