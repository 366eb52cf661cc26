//! GraphQL for the waiting-list and throughput figures (`figures`). Aggregates only: visible to
//! the neighbourhood's organisations and to commissioners, with counts of 1–4 (and the waits
//! computed from them) withheld from callers who may not see identifiable data.

use async_graphql::{ComplexObject, Context, InputObject, SimpleObject, ID};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use entity::{organisation, OrganisationKind};
use sea_orm::EntityTrait;

use super::figures::{compute, FigureScope, Figures, GroupKey, THROUGHPUT_WINDOW_DAYS};
use super::graphql::{ReferralNeed, ReferralService, ReferralSource, ReferralStatus};
use crate::auth::Caller;
use crate::context::{parse_id, request};
use crate::error::AppError;
use crate::organisations::OrganisationNode;

#[derive(InputObject)]
pub struct ReferralFiguresInput {
    pub neighbourhood_id: ID,
    /// First day of the period (UK time), inclusive.
    pub from: NaiveDate,
    /// Last day of the period (UK time), inclusive; the waiting list is taken at its end (or now).
    pub to: NaiveDate,
    /// Only patients registered with this PCN's practices.
    pub pcn_id: Option<ID>,
    pub service: Option<ReferralService>,
}

#[derive(SimpleObject)]
pub struct StatusCount {
    pub status: ReferralStatus,
    pub count: Option<u64>,
}

#[derive(SimpleObject)]
pub struct SourceCount {
    pub source: ReferralSource,
    pub count: Option<u64>,
}

#[derive(SimpleObject)]
pub struct NeedCount {
    pub need: ReferralNeed,
    pub count: Option<u64>,
}

/// Figures for one PCN and service (or the whole selection). A count is null when it is 1–4 and
/// the caller may not see identifiable data; waits computed from such a count are null too.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ReferralFigures {
    /// Referrals received in the period.
    pub received: Option<u64>,
    /// The current state of the referrals received in the period.
    pub by_status: Vec<StatusCount>,
    pub by_source: Vec<SourceCount>,
    /// By need (a referral with two needs counts under both).
    pub by_need: Vec<NeedCount>,
    /// Waiting for first contact at `asAt` (received or awaiting contact).
    pub waiting: Option<u64>,
    /// Of those waiting, people in a support group at `asAt`.
    pub supported_while_waiting: Option<u64>,
    /// Days the longest-waiting of them has waited.
    pub oldest_wait_days: Option<f64>,
    /// Referrals first contacted in the period.
    pub first_contacts: Option<u64>,
    /// Median days from referral to first contact, over the first contacts in the period.
    pub median_wait_days: Option<f64>,
    /// 90th percentile of the same.
    pub p90_wait_days: Option<f64>,
    /// First contacts in the throughput window before `asAt`.
    pub recent_first_contacts: Option<u64>,
    /// Estimated days a referral made at `asAt` waits for first contact: the people ahead of it
    /// plus itself over the recent daily rate of first contacts. Null when nobody was contacted
    /// in the window.
    pub estimated_wait_days: Option<f64>,
    #[graphql(skip)]
    pcn_id: Option<Uuid>,
    /// The service (breakdown rows; null for the whole selection).
    pub service: Option<ReferralService>,
}

#[ComplexObject]
impl ReferralFigures {
    /// The PCN (breakdown rows; null for the whole selection or patients of practices without one).
    async fn pcn(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OrganisationNode>> {
        let Some(id) = self.pcn_id else { return Ok(None) };
        Ok(request(ctx)?.loaders.organisation.load_one(id).await?.map(Into::into))
    }
}

fn round(days: f64) -> f64 {
    (days * 10.0).round() / 10.0
}

impl ReferralFigures {
    fn new(caller: &Caller, key: Option<GroupKey>, f: Figures) -> Self {
        let shown = |n: u64| caller.disclosable_count(n);
        let contacts_shown = shown(f.first_contacts).is_some();
        let waiting_shown = shown(f.waiting).is_some();
        let recent_shown = shown(f.recent_first_contacts).is_some();
        Self {
            received: shown(f.received),
            by_status: f
                .by_status
                .into_iter()
                .map(|(s, n)| StatusCount { status: s.into(), count: shown(n) })
                .collect(),
            by_source: f
                .by_source
                .into_iter()
                .map(|(s, n)| SourceCount { source: s.into(), count: shown(n) })
                .collect(),
            by_need: f.by_need.into_iter().map(|(s, n)| NeedCount { need: s.into(), count: shown(n) }).collect(),
            waiting: shown(f.waiting),
            supported_while_waiting: shown(f.supported_while_waiting),
            oldest_wait_days: f.oldest_wait_days.filter(|_| waiting_shown).map(round),
            first_contacts: shown(f.first_contacts),
            median_wait_days: f.median_wait_days.filter(|_| contacts_shown).map(round),
            p90_wait_days: f.p90_wait_days.filter(|_| contacts_shown).map(round),
            recent_first_contacts: shown(f.recent_first_contacts),
            estimated_wait_days: f.estimated_wait_days.filter(|_| waiting_shown && recent_shown).map(round),
            pcn_id: key.and_then(|(pcn, _)| pcn),
            service: key.map(|(_, s)| s.into()),
        }
    }
}

/// The figures for a neighbourhood and period, with the whole selection and its breakdown.
pub struct ReferralFiguresReport {
    scope: FigureScope,
    from: NaiveDate,
    to: NaiveDate,
}

#[async_graphql::Object]
impl ReferralFiguresReport {
    async fn from(&self) -> NaiveDate {
        self.from
    }
    async fn to(&self) -> NaiveDate {
        self.to
    }
    /// When the waiting list was taken: the end of the period, or now if sooner.
    async fn as_at(&self) -> DateTime<Utc> {
        self.scope.as_at
    }
    /// Days of first contacts the estimated wait is based on.
    async fn throughput_window_days(&self) -> i64 {
        THROUGHPUT_WINDOW_DAYS
    }
    /// The whole selection.
    async fn total(&self, ctx: &Context<'_>) -> async_graphql::Result<ReferralFigures> {
        let req = request(ctx)?;
        let mut all = compute(&req.db, &self.scope, false).await?;
        let figures = all.remove(&None).unwrap_or_default();
        Ok(ReferralFigures::new(&req.caller, None, figures))
    }
    /// One row per PCN and service that has any referral in the selection, by PCN then service.
    async fn breakdown(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ReferralFigures>> {
        let req = request(ctx)?;
        let mut rows: Vec<_> = compute(&req.db, &self.scope, true).await?.into_iter().collect();
        let pcns: Vec<Uuid> = rows.iter().filter_map(|(k, _)| k.and_then(|(p, _)| p)).collect();
        let names = req.loaders.organisation.load_many(pcns).await?;
        let sort_key = |k: &Option<GroupKey>| {
            let pcn = k.and_then(|(p, _)| p);
            let name = pcn.and_then(|p| names.get(&p)).map(|o| o.name.clone()).unwrap_or_default();
            (name, pcn, k.map(|(_, s)| s as u8))
        };
        rows.sort_by_key(|(k, _)| sort_key(k));
        Ok(rows.into_iter().map(|(k, f)| ReferralFigures::new(&req.caller, k, f)).collect())
    }
}

#[derive(Default)]
pub struct FiguresQuery;

#[async_graphql::Object]
impl FiguresQuery {
    /// Waiting-list and throughput figures for a neighbourhood and period, per PCN and service:
    /// counts by state, source and need, how many wait (and how many of them are supported in a
    /// group), the oldest wait, median and 90th-percentile wait to first contact, and an estimated
    /// wait for a new referral. Aggregates only, computed in the database.
    async fn referral_figures(
        &self,
        ctx: &Context<'_>,
        input: ReferralFiguresInput,
    ) -> async_graphql::Result<ReferralFiguresReport> {
        let req = request(ctx)?;
        let neighbourhood_id = parse_id("neighbourhoodId", &input.neighbourhood_id)?;
        if !req.caller.may_see_aggregates(neighbourhood_id) {
            return Err(
                AppError::forbidden("figures are for the neighbourhood's organisations and commissioners").into()
            );
        }
        let pcn_id = input.pcn_id.as_ref().map(|id| parse_id("pcnId", id)).transpose()?;
        if let Some(pcn) = pcn_id {
            let found = organisation::Entity::find_by_id(pcn).one(&req.db).await?;
            if !found.is_some_and(|o| o.kind == OrganisationKind::Pcn) {
                return Err(AppError::bad_input("pcnId", "no such PCN").into());
            }
        }
        let scope = FigureScope::for_days(
            neighbourhood_id,
            pcn_id,
            input.service.map(Into::into),
            input.from,
            input.to,
            Utc::now(),
        )?;
        Ok(ReferralFiguresReport { scope, from: input.from, to: input.to })
    }
}
