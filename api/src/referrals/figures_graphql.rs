//! GraphQL for the waiting-list and throughput figures (`figures`). Aggregates only: visible to
//! the neighbourhood's organisations and to commissioners. Exact figures go to callers who may
//! read identifiable records and ask for the referrals their organisation received or made (they
//! are a party to each); everything else is answered as published statistics (`domain::disclosure`):
//! fixed, ended periods, counts of 1–4 withheld along with a complement on every sum that could
//! give them away, the rest rounded to the nearest 5, and the waits computed from a withheld count
//! withheld too.

use async_graphql::{ComplexObject, Context, InputObject, SimpleObject, ID};
use chrono::{NaiveDate, Utc};
use tokio::sync::OnceCell;
use uuid::Uuid;

use sea_orm::Iterable;

use crate::context::{opt_id, parse_id, request, RequestContext};
use crate::enums::{ReferralNeed, ReferralService, ReferralSource, ReferralStatus};
use crate::error::ApiResult;
use crate::organisations::OrganisationNode;
use crate::scalars;
use domain::disclosure::{Cell, Disclosure, Shown, Table};
use domain::error::{AppError, AppResult};
use domain::referrals::figures::{compute, FigureScope, Figures, GroupKey, THROUGHPUT_WINDOW_DAYS};

#[derive(InputObject)]
pub struct ReferralFiguresInput {
    pub neighbourhood_id: ID,
    /// First day of the period (UK time), inclusive. Callers who see aggregates only ask for one
    /// calendar month, financial-year quarter or financial year that has ended.
    pub from: scalars::Date,
    /// Last day of the period (UK time), inclusive; the waiting list is taken at its end (or now).
    pub to: scalars::Date,
    /// Only patients registered with this PCN's practices.
    pub pcn_id: Option<ID>,
    pub service: Option<ReferralService>,
    /// Only referrals this organisation received. A service asking for its own (or a practice
    /// for the referrals it made, `referringOrganisationId`) is a party to every referral counted,
    /// and gets exact figures for any period; every other selection holds referrals between other
    /// organisations, and is answered as published statistics.
    pub receiving_organisation_id: Option<ID>,
    /// Only referrals this organisation made.
    pub referring_organisation_id: Option<ID>,
}

#[derive(SimpleObject, Clone)]
pub struct StatusCount {
    pub status: ReferralStatus,
    pub count: Option<u64>,
}

#[derive(SimpleObject, Clone)]
pub struct SourceCount {
    pub source: ReferralSource,
    pub count: Option<u64>,
}

#[derive(SimpleObject, Clone)]
pub struct NeedCount {
    pub need: ReferralNeed,
    pub count: Option<u64>,
}

/// Figures for one PCN and service (or the whole selection). For callers who see aggregates only,
/// a count is null when it is 1–4 or when it would give such a count away by subtraction, the
/// others are rounded to the nearest 5, and waits computed from a withheld count are null.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct ReferralFigures {
    /// Referrals received in the period.
    pub received: Option<u64>,
    /// The state of the referrals received in the period: now (exact figures), or at `asAt`
    /// (published statistics, which never change once the period has ended).
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
    async fn pcn(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.pcn_id).await
    }
}

/// `f` with a count (zero where there is none) for every state, source and need, in their order.
fn with_every_key(mut f: Figures) -> Figures {
    fn fill<K: Copy + PartialEq>(list: &mut Vec<(K, u64)>, all: impl Iterator<Item = K>, order: fn(K) -> u8) {
        for key in all {
            if !list.iter().any(|(k, _)| *k == key) {
                list.push((key, 0));
            }
        }
        list.sort_by_key(|(k, _)| order(*k));
    }
    fill(&mut f.by_status, entity::ReferralStatus::iter(), |k| k as u8);
    fill(&mut f.by_source, entity::ReferralSource::iter(), |k| k as u8);
    fill(&mut f.by_need, entity::ReferralNeed::iter(), |k| k as u8);
    f
}

/// The cells one group's counts occupy in the table that protects them.
struct Cells {
    received: Cell,
    by_status: Vec<(entity::ReferralStatus, Cell)>,
    by_source: Vec<(entity::ReferralSource, Cell)>,
    by_need: Vec<(entity::ReferralNeed, Cell)>,
    waiting: Cell,
    supported: Cell,
    /// Waiting and not supported: not shown, but a reader could subtract it.
    unsupported: Cell,
    first_contacts: Cell,
    recent: Cell,
}

impl Cells {
    /// Registers `f`'s counts, with the sums within one group: states and sources add up to the
    /// referrals received, and those waiting are those supported plus those not.
    fn register(table: &mut Table, f: &Figures) -> Self {
        let received = table.cell(f.received);
        let by_status: Vec<_> = f.by_status.iter().map(|(s, n)| (*s, table.cell(*n))).collect();
        let by_source: Vec<_> = f.by_source.iter().map(|(s, n)| (*s, table.cell(*n))).collect();
        let by_need: Vec<_> = f.by_need.iter().map(|(s, n)| (*s, table.cell(*n))).collect();
        let waiting = table.cell(f.waiting);
        let supported = table.cell(f.supported_while_waiting);
        let unsupported = table.cell(f.waiting.saturating_sub(f.supported_while_waiting));
        let cells = Self {
            received,
            by_status,
            by_source,
            by_need,
            waiting,
            supported,
            unsupported,
            first_contacts: table.cell(f.first_contacts),
            recent: table.cell(f.recent_first_contacts),
        };
        table.line(cells.received, cells.by_status.iter().map(|(_, c)| *c).collect());
        table.line(cells.received, cells.by_source.iter().map(|(_, c)| *c).collect());
        table.line(cells.waiting, vec![cells.supported, cells.unsupported]);
        cells
    }

    /// The sums across groups: the breakdown rows add up to the total, field by field.
    fn across(table: &mut Table, total: &Cells, rows: &[Cells]) {
        let fields: [fn(&Cells) -> Cell; 6] =
            [|c| c.received, |c| c.waiting, |c| c.supported, |c| c.unsupported, |c| c.first_contacts, |c| c.recent];
        for field in fields {
            table.line(field(total), rows.iter().map(field).collect());
        }
        fn by<K: PartialEq + Copy>(table: &mut Table, total: &[(K, Cell)], rows: Vec<&[(K, Cell)]>) {
            for (key, cell) in total {
                let parts = rows.iter().filter_map(|r| r.iter().find(|(k, _)| k == key).map(|(_, c)| *c)).collect();
                table.line(*cell, parts);
            }
        }
        by(table, &total.by_status, rows.iter().map(|r| r.by_status.as_slice()).collect());
        by(table, &total.by_source, rows.iter().map(|r| r.by_source.as_slice()).collect());
        by(table, &total.by_need, rows.iter().map(|r| r.by_need.as_slice()).collect());
    }

    /// The group's figures as shown.
    fn show(&self, shown: &Shown, disclosure: Disclosure, key: Option<GroupKey>, f: &Figures) -> ReferralFigures {
        let get = |c: Cell| shown.get(c);
        let (waiting, contacts, recent) = (get(self.waiting), get(self.first_contacts), get(self.recent));
        let days = |d: Option<f64>, known: bool| d.filter(|_| known).map(|d| disclosure.days(d));
        ReferralFigures {
            received: get(self.received),
            by_status: self
                .by_status
                .iter()
                .map(|(s, c)| StatusCount { status: (*s).into(), count: get(*c) })
                .collect(),
            by_source: self
                .by_source
                .iter()
                .map(|(s, c)| SourceCount { source: (*s).into(), count: get(*c) })
                .collect(),
            by_need: self.by_need.iter().map(|(s, c)| NeedCount { need: (*s).into(), count: get(*c) }).collect(),
            waiting,
            supported_while_waiting: get(self.supported),
            oldest_wait_days: days(f.oldest_wait_days, waiting.is_some()),
            first_contacts: contacts,
            median_wait_days: days(f.median_wait_days, contacts.is_some()),
            p90_wait_days: days(f.p90_wait_days, contacts.is_some()),
            recent_first_contacts: recent,
            estimated_wait_days: match disclosure {
                Disclosure::Exact => f.estimated_wait_days.map(|d| disclosure.days(d)),
                // From the counts as shown, not the exact ones: an estimate is a ratio of the
                // two, and from the exact ones it would give them back.
                Disclosure::Published => waiting
                    .zip(recent)
                    .filter(|(_, r)| *r > 0)
                    .map(|(w, r)| disclosure.days((w + 1) as f64 * THROUGHPUT_WINDOW_DAYS as f64 / r as f64)),
            },
            pcn_id: key.and_then(|(pcn, _)| pcn),
            service: key.map(|(_, s)| s.into()),
        }
    }
}

/// The whole selection and its breakdown, as shown to one caller.
#[derive(Clone)]
struct ShownFigures {
    total: Option<ReferralFigures>,
    rows: Vec<ReferralFigures>,
}

/// The figures for a neighbourhood and period, with the whole selection and its breakdown.
pub struct ReferralFiguresReport {
    scope: FigureScope,
    from: NaiveDate,
    to: NaiveDate,
    disclosure: Disclosure,
    /// Published statistics protect the total and the rows together, so they are computed once.
    published: OnceCell<ShownFigures>,
}

impl ReferralFiguresReport {
    /// The total (`total`), the rows (`rows`), or both, protected together when published.
    async fn figures(&self, req: &RequestContext, total: bool, rows: bool) -> AppResult<ShownFigures> {
        let (total, rows) = match self.disclosure {
            Disclosure::Exact => (total, rows),
            Disclosure::Published => (true, true),
        };
        let whole = if total {
            Some(compute(&req.db, &self.scope, false).await?.remove(&None).unwrap_or_default())
        } else {
            None
        };
        let mut groups: Vec<(Option<GroupKey>, Figures)> =
            if rows { compute(&req.db, &self.scope, true).await?.into_iter().collect() } else { Vec::new() };
        let pcns: Vec<Uuid> = groups.iter().filter_map(|(k, _)| k.and_then(|(p, _)| p)).collect();
        let names = req.loaders.organisation.load_many(pcns).await?;
        let sort_key = |k: &Option<GroupKey>| {
            let pcn = k.and_then(|(p, _)| p);
            let name = pcn.and_then(|p| names.get(&p)).map(|o| o.name.clone()).unwrap_or_default();
            (name, pcn, k.map(|(_, s)| s as u8))
        };
        if self.disclosure == Disclosure::Published && rows {
            // Every PCN and service has its row: a row that is absent would say "none".
            for key in self.grid(req).await? {
                if !groups.iter().any(|(k, _)| *k == Some(key)) {
                    groups.push((Some(key), Figures::default()));
                }
            }
        }
        groups.sort_by_key(|(k, _)| sort_key(k));
        let complete = |f: Figures| if self.disclosure == Disclosure::Published { with_every_key(f) } else { f };
        let whole = whole.map(complete);
        let groups: Vec<(Option<GroupKey>, Figures)> = groups.into_iter().map(|(k, f)| (k, complete(f))).collect();

        let mut table = Table::default();
        let whole_cells = whole.as_ref().map(|f| Cells::register(&mut table, f));
        let row_cells: Vec<Cells> = groups.iter().map(|(_, f)| Cells::register(&mut table, f)).collect();
        if let Some(total) = &whole_cells {
            Cells::across(&mut table, total, &row_cells);
        }
        let shown = Shown::of(&table, self.disclosure);
        Ok(ShownFigures {
            total: whole_cells.zip(whole.as_ref()).map(|(c, f)| c.show(&shown, self.disclosure, None, f)),
            rows: row_cells.iter().zip(&groups).map(|(c, (k, f))| c.show(&shown, self.disclosure, *k, f)).collect(),
        })
    }

    /// Every (PCN, service) of the selection: the PCNs of the neighbourhood's practices (none for
    /// a practice without one), each service, as far as the filters allow.
    async fn grid(&self, req: &RequestContext) -> AppResult<Vec<GroupKey>> {
        let members =
            req.loaders.neighbourhood_members.load_one(self.scope.neighbourhood_id).await?.unwrap_or_default();
        let organisations = req.loaders.organisation.load_many(members).await?;
        let mut pcns: Vec<Option<Uuid>> = organisations
            .values()
            .filter(|o| o.kind == entity::OrganisationKind::GpPractice)
            .map(|o| o.parent_id)
            .filter(|pcn| self.scope.pcn_id.is_none() || *pcn == self.scope.pcn_id)
            .collect();
        pcns.sort();
        pcns.dedup();
        let services: Vec<entity::ReferralService> = match self.scope.service {
            Some(s) => vec![s],
            None => entity::ReferralService::iter().collect(),
        };
        Ok(pcns.iter().flat_map(|p| services.iter().map(move |s| (*p, *s))).collect())
    }

    async fn shown(&self, req: &RequestContext, total: bool, rows: bool) -> AppResult<ShownFigures> {
        match self.disclosure {
            Disclosure::Exact => self.figures(req, total, rows).await,
            Disclosure::Published => self.published.get_or_try_init(|| self.figures(req, true, true)).await.cloned(),
        }
    }
}

#[async_graphql::Object]
impl ReferralFiguresReport {
    async fn from(&self) -> scalars::Date {
        self.from.into()
    }
    async fn to(&self) -> scalars::Date {
        self.to.into()
    }
    /// When the waiting list was taken: the end of the period, or now if sooner.
    async fn as_at(&self) -> scalars::DateTime {
        self.scope.as_at.into()
    }
    /// Days of first contacts the estimated wait is based on.
    async fn throughput_window_days(&self) -> i64 {
        THROUGHPUT_WINDOW_DAYS
    }
    /// Whether the figures are exact (the caller may read the records) or published statistics
    /// (withheld small numbers, the rest rounded to the nearest 5).
    async fn exact(&self) -> bool {
        self.disclosure == Disclosure::Exact
    }
    /// The whole selection.
    async fn total(&self, ctx: &Context<'_>) -> ApiResult<ReferralFigures> {
        let shown = self.shown(request(ctx)?, true, false).await?;
        Ok(shown.total.ok_or_else(|| AppError::internal(anyhow::anyhow!("figures computed without their total")))?)
    }
    /// One row per PCN and service that has any referral in the selection, by PCN then service.
    async fn breakdown(&self, ctx: &Context<'_>) -> ApiResult<Vec<ReferralFigures>> {
        Ok(self.shown(request(ctx)?, false, true).await?.rows)
    }
}

#[derive(Default)]
pub struct FiguresQuery;

#[async_graphql::Object]
impl FiguresQuery {
    /// Waiting-list and throughput figures for a neighbourhood and period, per PCN and service:
    /// counts by state, source and need, how many wait (and how many of them are supported in a
    /// group), the oldest wait, median and 90th-percentile wait to first contact, and an estimated
    /// wait for a new referral. Aggregates only, computed in the database. Callers who see
    /// aggregates only ask for a calendar month, financial-year quarter or financial year that has
    /// ended, and get published statistics (see `exact`).
    async fn referral_figures(
        &self,
        ctx: &Context<'_>,
        input: ReferralFiguresInput,
    ) -> ApiResult<ReferralFiguresReport> {
        let req = request(ctx)?;
        let area = domain::disclosure::area(
            &req.db,
            &req.caller,
            parse_id("neighbourhoodId", &input.neighbourhood_id)?,
            opt_id("pcnId", &input.pcn_id)?,
            "figures",
        )
        .await?;
        let receiving = opt_id("receivingOrganisationId", &input.receiving_organisation_id)?;
        let referring = opt_id("referringOrganisationId", &input.referring_organisation_id)?;
        // Exact figures only over referrals the caller's organisation is a party to: any other
        // selection counts referrals between other organisations, which only their parties see.
        let own = [receiving, referring].contains(&Some(req.caller.organisation_id));
        let disclosure =
            if own { req.caller.disclosure_of_own_referrals() } else { domain::disclosure::Disclosure::Published };
        disclosure.check_period(input.from.0, input.to.0, req.today)?;
        let mut scope = FigureScope::for_days(
            area.neighbourhood_id,
            area.pcn_id,
            input.service.map(Into::into),
            input.from.0,
            input.to.0,
            Utc::now(),
        )?;
        scope.receiving_organisation_id = receiving;
        scope.referring_organisation_id = referring;
        scope.status_as_at = disclosure == domain::disclosure::Disclosure::Published;
        scope.counted = req.caller.counted(disclosure);
        Ok(ReferralFiguresReport {
            scope,
            from: input.from.into(),
            to: input.to.into(),
            disclosure,
            published: OnceCell::new(),
        })
    }
}
