//! GraphQL for outcome measures: the instrument catalogue, recording a measurement (scored by the
//! server), a person's measurements (part of their full record) and the outcome report.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use entity::outcome_measurement;

use crate::context::{opt_id, parse_id, request};
use crate::enums::{MeasurementKind, ReferralService};
use crate::error::ApiResult;
use crate::neighbourhoods::NeighbourhoodNode;
use crate::organisations::OrganisationNode;
use crate::practitioners::PractitionerNode;
use crate::referrals::graphql::ReferralNode;
use crate::scalars;
use domain::disclosure::Disclosure;
use domain::error::AppError;
use domain::outcomes::instruments::{self, Instrument, Item};
use domain::outcomes::report::{self, DisclosedInstrument, DisclosedItem, ReportScope};
use domain::outcomes::NewMeasurement;

/// An outcome instrument the server scores.
pub struct OutcomeInstrument(pub &'static Instrument);

#[Object]
impl OutcomeInstrument {
    /// Key used when recording, e.g. `swemwbs`, `ons4`.
    async fn key(&self) -> &str {
        self.0.key
    }
    async fn name(&self) -> &str {
        self.0.name
    }
    /// How the server scores it.
    async fn scoring(&self) -> &str {
        self.0.scoring
    }
    async fn items(&self) -> Vec<OutcomeItem> {
        self.0.items.iter().map(OutcomeItem).collect()
    }
}

/// One question of an instrument.
pub struct OutcomeItem(pub &'static Item);

#[Object]
impl OutcomeItem {
    async fn key(&self) -> &str {
        self.0.key
    }
    async fn text(&self) -> &str {
        self.0.text
    }
    async fn min(&self) -> i32 {
        self.0.min.into()
    }
    async fn max(&self) -> i32 {
        self.0.max.into()
    }
    /// False where a lower response is the better one (ONS4 anxiety).
    async fn higher_is_better(&self) -> bool {
        self.0.higher_is_better
    }
    /// Names of the response values from `min` upwards, where the scale names them.
    async fn response_labels(&self) -> Vec<&str> {
        self.0.response_labels.to_vec()
    }
}

/// One item's response in a measurement.
#[derive(SimpleObject)]
pub struct OutcomeResponse {
    pub item: String,
    pub text: String,
    pub value: i32,
    /// The scale point's name, where it has one ("Often").
    pub label: Option<String>,
    /// The instrument's band for the value, where it defines them (ONS4: "High").
    pub band: Option<String>,
}

/// One administration of an instrument to a person.
#[derive(Clone)]
pub struct OutcomeMeasurementNode(pub outcome_measurement::Model);

impl OutcomeMeasurementNode {
    fn catalogue_entry(&self) -> Option<&'static Instrument> {
        instruments::by_key(&self.0.instrument).ok()
    }
}

#[Object(name = "OutcomeMeasurement")]
impl OutcomeMeasurementNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn instrument(&self) -> ApiResult<OutcomeInstrument> {
        Ok(OutcomeInstrument(instruments::by_key(&self.0.instrument)?))
    }
    async fn kind(&self) -> MeasurementKind {
        self.0.kind.into()
    }
    async fn taken_on(&self) -> scalars::Date {
        self.0.taken_on.into()
    }
    /// Sum of the items (SWEMWBS raw score, 7–35); absent for instruments never summed (ONS4).
    async fn raw_score(&self) -> Option<i32> {
        self.0.raw_score
    }
    /// The converted score (SWEMWBS metric score), computed by the server.
    async fn metric_score(&self) -> Option<f64> {
        self.0.metric_score
    }
    async fn responses(&self, ctx: &Context<'_>) -> ApiResult<Vec<OutcomeResponse>> {
        let rows = request(ctx)?.loaders.outcome_responses.load_one(self.0.id).await?.unwrap_or_default();
        let instrument = self.catalogue_entry();
        // In the instrument's order, whatever order the rows come in.
        let position = |key: &str| instrument.and_then(|i| i.items.iter().position(|it| it.key == key));
        let mut rows = rows;
        rows.sort_by_key(|r| position(&r.item).unwrap_or(usize::MAX));
        Ok(rows
            .into_iter()
            .map(|r| {
                let item = instrument.and_then(|i| i.item(&r.item));
                OutcomeResponse {
                    text: item.map_or_else(String::new, |i| i.text.to_owned()),
                    label: item.and_then(|i| {
                        usize::try_from(r.value - i.min)
                            .ok()
                            .and_then(|k| i.response_labels.get(k))
                            .map(|s| (*s).to_owned())
                    }),
                    band: item.and_then(|i| i.bands).map(|band| band(r.value).to_owned()),
                    value: r.value.into(),
                    item: r.item,
                }
            })
            .collect())
    }
    /// For a follow-up: the baseline it is compared with.
    async fn baseline(&self, ctx: &Context<'_>) -> ApiResult<Option<OutcomeMeasurementNode>> {
        let Some(id) = self.0.baseline_id else { return Ok(None) };
        Ok(request(ctx)?.loaders.outcome_measurement.load_one(id).await?.map(OutcomeMeasurementNode))
    }
    /// For a follow-up: metric score minus the baseline's.
    async fn metric_change(&self, ctx: &Context<'_>) -> ApiResult<Option<f64>> {
        let (Some(id), Some(score)) = (self.0.baseline_id, self.0.metric_score) else { return Ok(None) };
        let baseline = request(ctx)?.loaders.outcome_measurement.load_one(id).await?;
        Ok(baseline.and_then(|b| b.metric_score).map(|b| ((score - b) * 100.0).round() / 100.0))
    }
    /// The referral it was taken under, if the caller is a party to it (null otherwise, as when
    /// there is none: to anyone else even its existence is not theirs to know).
    async fn referral(&self, ctx: &Context<'_>) -> ApiResult<Option<ReferralNode>> {
        let Some(id) = self.0.referral_id else { return Ok(None) };
        let req = request(ctx)?;
        let model = req.loaders.referral.load_one(id).await?;
        Ok(model.and_then(|m| ReferralNode::visible(&req.caller, m)))
    }
    async fn recorded_by(&self, ctx: &Context<'_>) -> ApiResult<Option<PractitionerNode>> {
        PractitionerNode::load(ctx, self.0.recorded_by).await
    }
    async fn recorded_organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<OrganisationNode>> {
        OrganisationNode::load(ctx, self.0.recorded_organisation_id).await
    }
    async fn recorded_at(&self) -> scalars::DateTime {
        self.0.recorded_at.into()
    }
}

#[derive(InputObject)]
pub struct OutcomeResponseInput {
    /// The item's key (see `outcomeInstruments`).
    pub item: String,
    pub value: i32,
}

#[derive(InputObject)]
pub struct RecordOutcomeMeasurementInput {
    pub patient_id: ID,
    /// An instrument key from `outcomeInstruments`: `swemwbs`, `ons4`.
    pub instrument: String,
    pub kind: MeasurementKind,
    pub taken_on: scalars::Date,
    /// The referral the measurement belongs to, if any.
    pub referral_id: Option<ID>,
    /// Every item exactly once.
    pub responses: Vec<OutcomeResponseInput>,
}

#[derive(SimpleObject)]
pub struct RecordOutcomeMeasurementPayload {
    pub measurement: OutcomeMeasurementNode,
}

#[derive(InputObject)]
pub struct OutcomeReportInput {
    pub neighbourhood_id: ID,
    /// Only people registered with this PCN's practices.
    pub pcn_id: Option<ID>,
    /// Only follow-ups recorded under a referral to this service.
    pub service: Option<ReferralService>,
    /// Follow-ups taken from this day … (callers who see aggregates only: the first day of a
    /// calendar month, financial-year quarter or financial year that has ended)
    pub from: scalars::Date,
    /// … to this day, inclusive.
    pub to: scalars::Date,
}

/// A share of the people with a baseline and follow-up. Counts of 1–4 are suppressed (and
/// reported as suppressed, never as 0).
#[derive(SimpleObject)]
pub struct OutcomeShare {
    /// People in the category; null when suppressed.
    pub count: Option<u64>,
    /// People with a pair; null when the instrument is suppressed.
    pub denominator: Option<u64>,
    /// Per cent to one decimal place; null when suppressed or when nobody has a pair.
    pub percent: Option<f64>,
    pub suppressed: bool,
}

impl From<report::Share> for OutcomeShare {
    fn from(s: report::Share) -> Self {
        Self { count: s.numerator, denominator: s.denominator, percent: s.percent, suppressed: s.suppressed }
    }
}

/// One item's change between baseline and follow-up.
pub struct ItemOutcome(DisclosedItem, &'static Item);

#[Object]
impl ItemOutcome {
    async fn item(&self) -> OutcomeItem {
        OutcomeItem(self.1)
    }
    /// Better at follow-up (higher, or lower where lower is better).
    async fn improved(&self) -> OutcomeShare {
        self.0.improved.into()
    }
    async fn same(&self) -> OutcomeShare {
        self.0.same.into()
    }
    async fn worsened(&self) -> OutcomeShare {
        self.0.worsened.into()
    }
    /// Mean of follow-up minus baseline on the item's scale; null when suppressed.
    async fn mean_change(&self) -> Option<f64> {
        self.0.mean_change
    }
    /// The line for a report: "66.0% (33 of 50) were able to think more clearly".
    async fn headline(&self) -> String {
        let s = &self.0.improved;
        match (s.numerator, s.denominator, s.percent) {
            (Some(n), Some(d), Some(p)) => format!("{p:.1}% ({n} of {d}) {}", self.1.improved_phrase),
            (_, Some(0), _) => format!("no one with a baseline and follow-up yet: {}", self.1.improved_phrase),
            _ => format!("suppressed (fewer than 5 people): {}", self.1.improved_phrase),
        }
    }
}

/// One instrument's outcomes over the period.
pub struct InstrumentOutcome(DisclosedInstrument);

#[Object]
impl InstrumentOutcome {
    async fn instrument(&self) -> OutcomeInstrument {
        OutcomeInstrument(self.0.instrument)
    }
    /// People with a baseline and a follow-up in the period (the denominator); null when 1–4.
    async fn people_with_pair(&self) -> Option<u64> {
        self.0.people
    }
    async fn suppressed(&self) -> bool {
        self.0.people_suppressed
    }
    /// Mean change of the metric score (SWEMWBS), follow-up minus baseline; null when suppressed
    /// or when the instrument has no metric score.
    async fn mean_metric_change(&self) -> Option<f64> {
        self.0.mean_metric_change
    }
    async fn items(&self) -> Vec<ItemOutcome> {
        self.0
            .items
            .iter()
            .filter_map(|i| self.0.instrument.item(i.item).map(|item| ItemOutcome(i.clone(), item)))
            .collect()
    }
}

/// Outcome figures for a neighbourhood and period: aggregates only, no person in them.
#[derive(SimpleObject)]
pub struct OutcomeReport {
    pub neighbourhood: NeighbourhoodNode,
    pub from: scalars::Date,
    pub to: scalars::Date,
    /// Whether the counts are exact (the caller may read the records) or published statistics
    /// (rounded to the nearest 5, fixed ended periods, follow-ups recorded by the period's end).
    pub exact: bool,
    pub instruments: Vec<InstrumentOutcome>,
}

#[derive(Default)]
pub struct OutcomeQuery;

#[Object]
impl OutcomeQuery {
    /// The instruments the server scores.
    async fn outcome_instruments(&self) -> Vec<OutcomeInstrument> {
        instruments::CATALOGUE.iter().map(|i| OutcomeInstrument(i)).collect()
    }

    /// For each instrument: people with a baseline and follow-up in the period, mean change, and
    /// for each item the share who improved, stayed the same or worsened, each with its numerator
    /// and denominator. Counts of 1–4 are suppressed for every caller (with a complement wherever
    /// one could be subtracted). Callers who see aggregates only ask for a calendar month,
    /// financial-year quarter or financial year that has ended, and get published statistics.
    async fn outcome_report(&self, ctx: &Context<'_>, input: OutcomeReportInput) -> ApiResult<OutcomeReport> {
        let req = request(ctx)?;
        let area = domain::disclosure::area(
            &req.db,
            &req.caller,
            parse_id("neighbourhoodId", &input.neighbourhood_id)?,
            opt_id("pcnId", &input.pcn_id)?,
            "outcome figures",
        )
        .await?;
        let neighbourhood = req
            .loaders
            .neighbourhood
            .load_one(area.neighbourhood_id)
            .await?
            .ok_or_else(|| AppError::not_found("neighbourhood", area.neighbourhood_id))?;
        let disclosure = req.caller.disclosure();
        disclosure.check_period(input.from.0, input.to.0, req.today)?;
        // Published statistics count what had been recorded by the period's end, so that the
        // figures of a period never change (a change would be one person's result).
        let recorded_before = match disclosure {
            Disclosure::Exact => None,
            Disclosure::Published => Some(domain::referrals::figures::uk_midnight(
                input.to.succ_opt().ok_or_else(|| AppError::bad_input("to", "is out of range"))?,
            )?),
        };
        let scope = ReportScope {
            neighbourhood_id: area.neighbourhood_id,
            pcn_id: area.pcn_id,
            service: input.service.map(Into::into),
            from: input.from.into(),
            to: input.to.into(),
            recorded_before,
            counted: req.caller.counted(disclosure),
        }
        .checked()?;
        let counts = report::compute(&req.db, &scope).await?;
        Ok(OutcomeReport {
            neighbourhood: neighbourhood.into(),
            from: input.from,
            to: input.to,
            exact: disclosure == Disclosure::Exact,
            instruments: counts.iter().map(|c| InstrumentOutcome(report::disclose(c, disclosure))).collect(),
        })
    }
}

#[derive(Default)]
pub struct OutcomeMutation;

#[Object]
impl OutcomeMutation {
    /// Records an outcome measurement; the server checks every item and computes the scores. A
    /// follow-up is paired with the person's latest earlier baseline of the same instrument.
    async fn record_outcome_measurement(
        &self,
        ctx: &Context<'_>,
        input: RecordOutcomeMeasurementInput,
    ) -> ApiResult<RecordOutcomeMeasurementPayload> {
        let req = request(ctx)?;
        let new = NewMeasurement {
            patient_id: parse_id("patientId", &input.patient_id)?,
            instrument: input.instrument,
            kind: input.kind.into(),
            taken_on: input.taken_on.into(),
            referral_id: opt_id("referralId", &input.referral_id)?,
            responses: input.responses.into_iter().map(|r| (r.item, r.value)).collect(),
        };
        let (model, grant) = domain::outcomes::record(&req.db, &req.caller, req.today, new).await?;
        req.audit_reads(ctx, &[(model.patient_id, grant.reason())]).await?;
        Ok(RecordOutcomeMeasurementPayload { measurement: OutcomeMeasurementNode(model) })
    }
}
