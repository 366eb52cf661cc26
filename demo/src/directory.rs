//! The community asset directory of each demo neighbourhood (the briefing's examples: community
//! gardens, walking groups and green gyms, outdoor arts, nature mindfulness, open-water swimming
//! and canoeing, art groups, food banks, debt advice, carers' sessions, a 65+ social hub, an
//! employment support pilot, and more), people's connections to them from their social prescribing
//! support, and the locations of every postcode the demo uses.
//!
//! Geography is approximate: each postcode district is placed at a rough centre of the real
//! district, and each postcode within about 1.5 km of it by a hash of the postcode (so the same
//! postcode is always in the same place). Good enough for "1.2 km from home", not for navigation.

use std::collections::{BTreeSet, HashMap};

use chrono::{Days, Duration};
use entity::{
    asset_connection, asset_connection_event, community_asset, community_asset_category, community_asset_condition,
    community_asset_language, community_asset_session, postcode_location, AssetCategory as C, AssetCost,
    ConnectionState, NoiseLevel, OrganisationKind,
};
use rand::Rng;
use uuid::Uuid;

use super::referrals::Spell;
use super::{at, places, DemoData, Gen, NeighbourhoodCtx};
use domain::directory::matching::categories_for;
use domain::error::AppResult;

/// Rough centres of the postcode districts the demo uses (degrees).
const DISTRICTS: &[(&str, f64, f64)] = &[
    ("NG1", 52.954, -1.150),
    ("NG2", 52.935, -1.135),
    ("NG3", 52.965, -1.125),
    ("NG4", 52.968, -1.080),
    ("NG5", 53.000, -1.140),
    ("NG6", 53.000, -1.190),
    ("NG7", 52.950, -1.180),
    ("NG9", 52.925, -1.230),
    ("NG11", 52.895, -1.160),
    ("NG12", 52.905, -1.060),
    ("NG13", 52.950, -0.950),
    ("NG14", 53.035, -1.060),
    ("NG15", 53.040, -1.200),
    ("NG16", 53.015, -1.290),
    ("NG17", 53.115, -1.260),
    ("NG18", 53.135, -1.180),
    ("NG19", 53.165, -1.200),
    ("NG20", 53.210, -1.150),
    ("NG21", 53.125, -1.100),
    ("NG22", 53.200, -1.000),
    ("NG23", 53.150, -0.850),
    ("NG24", 53.075, -0.810),
    ("NG25", 53.075, -0.960),
    ("LE12", 52.830, -1.180),
    ("DN10", 53.410, -0.990),
    ("DN11", 53.440, -1.050),
    ("DN22", 53.320, -0.945),
    ("S80", 53.300, -1.120),
    ("S81", 53.340, -1.120),
];

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Where a demo postcode is: its district's centre moved by up to about 1.5 km, fixed per postcode.
pub fn point_of(postcode: &str) -> Option<(f64, f64)> {
    let district = domain::directory::geo::district_of(postcode);
    let &(_, lat, lon) = DISTRICTS.iter().find(|(d, _, _)| *d == district)?;
    let h = fnv1a(postcode);
    let u = (h & 0xffff) as f64 / 65_535.0 - 0.5;
    let v = ((h >> 16) & 0xffff) as f64 / 65_535.0 - 0.5;
    // 0.027° of latitude ≈ 3 km; longitude scaled for ~53°N.
    Some((lat + u * 0.027, lon + v * 0.045))
}

struct Template {
    /// `{town}` becomes the place it runs in.
    name: &'static str,
    description: &'static str,
    /// Preferred provider (a shared VCSE's name contains this); any VCSE otherwise.
    provider: &'static str,
    venue: &'static str,
    categories: &'static [C],
    sessions: &'static [(u8, &'static str, &'static str)],
    schedule_note: Option<&'static str>,
    cost: AssetCost,
    cost_note: Option<&'static str>,
    ages: (Option<i32>, Option<i32>),
    eligibility_note: Option<&'static str>,
    step_free: bool,
    noise: NoiseLevel,
    sensory_friendly: bool,
    hearing_loop: bool,
    transport_provided: bool,
    languages: &'static [&'static str],
    capacity: Option<i32>,
    takes_referrals: bool,
    /// Catalogue keys of the long-term conditions it is meant for.
    conditions: &'static [&'static str],
}

const fn t(
    name: &'static str,
    description: &'static str,
    provider: &'static str,
    venue: &'static str,
    categories: &'static [C],
) -> Template {
    Template {
        name,
        description,
        provider,
        venue,
        categories,
        sessions: &[],
        schedule_note: None,
        cost: AssetCost::Free,
        cost_note: None,
        ages: (Some(18), None),
        eligibility_note: None,
        step_free: true,
        noise: NoiseLevel::Moderate,
        sensory_friendly: false,
        hearing_loop: false,
        transport_provided: false,
        languages: &[],
        capacity: Some(15),
        takes_referrals: true,
        conditions: &[],
    }
}

const TEMPLATES: &[Template] = &[
    Template { sessions: &[(2, "10:00", "12:30"), (5, "10:00", "12:30")], capacity: Some(20), noise: NoiseLevel::Quiet, ..t("{town} Community Garden", "Grow fruit, veg and flowers alongside others in a friendly volunteer-run garden; tools, gloves and tea provided. No experience needed.", "Community Garden", "{town} Community Garden, Allotment Lane", &[C::GreenAndBlue, C::PhysicalActivity, C::PeerSupport]) },
    Template { sessions: &[(3, "10:00", "12:00")], capacity: Some(12), ..t("Feel Good Gardens: {town}", "Therapeutic gardening for people with low mood, anxiety or long-term conditions, led by a horticultural therapist.", "Feel Good Gardens", "{town} Park Walled Garden", &[C::GreenAndBlue, C::MentalWellbeing]) },
    Template { sessions: &[(1, "10:30", "11:30"), (4, "10:30", "11:30")], capacity: None, step_free: false, ..t("{town} Health Walk", "Free, friendly walks of 30–60 minutes led by trained volunteers; go at your own pace.", "GreenSpace", "Meet at {town} Library", &[C::PhysicalActivity, C::GreenAndBlue]) },
    Template { sessions: &[(6, "09:30", "12:30")], capacity: Some(15), step_free: false, ..t("{town} Green Gym", "Outdoor conservation work (hedge laying, path clearing, planting) that keeps you fit and makes friends.", "GreenSpace", "{town} Country Park car park", &[C::GreenAndBlue, C::PhysicalActivity]) },
    Template { sessions: &[(2, "13:30", "15:30")], capacity: Some(10), noise: NoiseLevel::Quiet, sensory_friendly: true, ..t("Nature Mindfulness in {town}", "Slow, guided mindfulness walks and sitting practice in nature for people feeling stressed or low.", "GreenSpace", "{town} Nature Reserve visitor centre", &[C::GreenAndBlue, C::MentalWellbeing]) },
    Template { sessions: &[(6, "09:00", "11:00")], schedule_note: Some("May to September; wetsuits provided"), cost: AssetCost::LowCost, cost_note: Some("£3 a session, first four free on referral"), ages: (Some(18), Some(75)), eligibility_note: Some("Must be able to swim 25 metres"), step_free: false, noise: NoiseLevel::Loud, capacity: Some(12), ..t("Open-Water Swimming and Canoeing, {town}", "Blue prescribing: supported open-water swimming and canoe taster sessions with qualified instructors.", "GreenSpace", "{town} Lakes watersports centre", &[C::GreenAndBlue, C::PhysicalActivity]) },
    Template { sessions: &[(4, "13:00", "15:00")], cost: AssetCost::Donation, cost_note: Some("Suggested donation £1 towards materials"), noise: NoiseLevel::Quiet, hearing_loop: true, capacity: Some(14), ..t("{town} Art Group", "A weekly painting and drawing group for all abilities; materials provided, tea and biscuits.", "Best Years", "{town} Community Centre", &[C::ArtsAndCulture, C::PeerSupport]) },
    Template { sessions: &[(3, "10:00", "12:00")], capacity: Some(12), step_free: true, ..t("Outdoor Arts in {town} Park", "Make art outdoors from natural materials with a local artist; sessions finish with a shared exhibition.", "GreenSpace", "{town} Park bandstand", &[C::ArtsAndCulture, C::GreenAndBlue]) },
    Template { sessions: &[(2, "11:00", "14:00"), (4, "11:00", "14:00")], capacity: None, eligibility_note: Some("Referral voucher from a link worker, GP or advice service"), ..t("{town} Food Bank", "Three days of nutritionally balanced emergency food, and signposting to help with the causes of crisis.", "CVS", "{town} Methodist Church hall", &[C::Food]) },
    Template { sessions: &[(1, "09:30", "12:30")], capacity: None, takes_referrals: false, noise: NoiseLevel::Quiet, hearing_loop: true, languages: &["Urdu", "Polish"], ..t("{town} Debt and Money Advice Drop-in", "Free, confidential advice on debts, benefits and budgeting from accredited advisers; bring recent letters.", "CVS", "{town} Library meeting room", &[C::DebtAndMoneyAdvice]) },
    Template { sessions: &[(5, "10:00", "12:00")], capacity: Some(16), noise: NoiseLevel::Quiet, hearing_loop: true, ..t("{town} Carers' Café", "A monthly-themed weekly session for unpaid carers: a break, a chat and advice on carers' assessments and respite.", "Best Years", "{town} Community Centre", &[C::Carers, C::PeerSupport]) },
    Template { sessions: &[(2, "10:00", "15:00"), (4, "10:00", "15:00")], ages: (Some(65), None), transport_provided: true, noise: NoiseLevel::Loud, capacity: Some(40), ..t("Best Years 65+ Social Hub, {town}", "Lunch club, activities and friendship for people aged 65 and over; community bus pick-up on request.", "Best Years", "{town} Miners Welfare", &[C::Befriending, C::PeerSupport, C::Food]) },
    Template { sessions: &[(3, "09:30", "12:30")], ages: (Some(18), Some(66)), capacity: Some(20), ..t("Working Well Employment Support Pilot, {town}", "One-to-one support into work, volunteering or training for people whose health makes work hard.", "CVS", "{town} Job Centre community room", &[C::Employment, C::Learning]) },
    Template { sessions: &[], schedule_note: Some("Weekly visit or call at a time agreed with the volunteer"), noise: NoiseLevel::Quiet, capacity: Some(25), ..t("{town} Befriending Service", "A trained volunteer visits or phones each week for a chat; for people who are lonely or housebound.", "Vibrant", "Home visits across {town}", &[C::Befriending]) },
    Template { sessions: &[(1, "14:00", "15:00"), (4, "14:00", "15:00")], noise: NoiseLevel::Moderate, capacity: Some(18), conditions: &["osteoarthritis", "parkinsons_disease", "stroke_tia"], ..t("Chair-Based Exercise, {town}", "Gentle seated exercise to music to build strength and balance and reduce falls.", "Best Years", "{town} Community Centre", &[C::PhysicalActivity]) },
    Template { sessions: &[(2, "10:00", "13:00"), (5, "10:00", "13:00")], noise: NoiseLevel::Loud, capacity: Some(15), ..t("{town} Men's Shed", "Woodwork, repairs and banter: a workshop where men (and anyone) make things and make friends.", "Vibrant", "{town} Industrial Estate, Unit 4", &[C::PeerSupport, C::Learning]) },
    Template { sessions: &[(3, "13:30", "15:30")], noise: NoiseLevel::Quiet, sensory_friendly: true, hearing_loop: true, capacity: Some(12), conditions: &["dementia"], ..t("{town} Memory Café", "A relaxed afternoon for people living with memory problems and their carers: music, reminiscence and support.", "Best Years", "{town} Library", &[C::PeerSupport, C::Carers, C::MentalWellbeing]) },
    Template { sessions: &[(4, "10:00", "11:30")], noise: NoiseLevel::Loud, capacity: Some(25), conditions: &["copd", "asthma"], ..t("Singing for Better Breathing, {town}", "A friendly singing group for people with COPD and other lung conditions, led by a trained practitioner.", "CVS", "{town} Parish Church hall", &[C::PhysicalActivity, C::PeerSupport, C::ArtsAndCulture]) },
    Template { sessions: &[(1, "13:00", "15:00")], noise: NoiseLevel::Quiet, capacity: Some(10), languages: &["Polish"], ..t("{town} Digital Skills Club", "Get confident with a tablet or phone: video calls, prescriptions online, staying safe; devices to borrow.", "Bassetlaw CVS", "{town} Library computer room", &[C::Learning]) },
    Template { sessions: &[(5, "10:00", "12:00")], noise: NoiseLevel::Quiet, capacity: Some(12), ..t("{town} Talking Café", "Peer support for people feeling low or anxious, facilitated by trained volunteers with lived experience.", "Vibrant", "{town} Community Centre quiet room", &[C::MentalWellbeing, C::PeerSupport]) },
    Template { sessions: &[(3, "09:30", "12:30")], capacity: None, takes_referrals: false, ..t("{town} Housing Advice Surgery", "Drop-in advice on tenancy problems, repairs, homelessness prevention and rehousing.", "CVS", "{town} Council offices", &[C::Housing]) },
];

/// The directory for one neighbourhood.
pub fn generate(g: &mut Gen, ctx: &NeighbourhoodCtx, data: &mut DemoData) -> AppResult<()> {
    let today = g.today;
    let vcse: Vec<(String, Uuid)> = data
        .top_organisations
        .iter()
        .filter(|o| o.kind == OrganisationKind::Vcse)
        .map(|o| (o.name.clone(), o.id))
        .collect();
    for (k, template) in TEMPLATES.iter().enumerate() {
        let (town, district) = ctx.area.places[k % ctx.area.places.len()];
        let postcode = places::postcode(&mut g.rng, district);
        let Some((latitude, longitude)) = point_of(&postcode) else { continue };
        let provider = vcse
            .iter()
            .find(|(name, _)| name.contains(template.provider))
            .or_else(|| vcse.get(k % vcse.len().max(1)))
            .map(|(_, id)| *id);
        let Some(provider) = provider else { continue };
        // Most entries were checked in the last six months; some are overdue.
        let checked_days_ago =
            if g.rng.random_bool(0.15) { g.rng.random_range(190..420) } else { g.rng.random_range(3..170) };
        let id = g.uuid();
        let capacity = template.capacity.map(|c| (c as f64 * g.rng.random_range(0.8..1.25)).round() as i32);
        data.assets.push(community_asset::Model {
            id,
            provider_organisation_id: provider,
            neighbourhood_id: ctx.id,
            name: template.name.replace("{town}", town),
            description: template.description.to_owned(),
            address: template.venue.replace("{town}", town),
            postcode,
            latitude,
            longitude,
            contact: Some(format!("0115 {:03} {:04}", g.rng.random_range(100..999), g.rng.random_range(0..9999))),
            schedule_note: template.schedule_note.map(str::to_owned),
            cost: template.cost,
            cost_note: template.cost_note.map(str::to_owned),
            min_age: template.ages.0,
            max_age: template.ages.1,
            eligibility_note: template.eligibility_note.map(str::to_owned),
            step_free: template.step_free,
            accessible_toilet: template.step_free && g.rng.random_bool(0.8),
            noise_level: template.noise,
            sensory_friendly: template.sensory_friendly,
            hearing_loop: template.hearing_loop,
            on_bus_route: g.rng.random_bool(0.7),
            transport_provided: template.transport_provided,
            capacity,
            places_taken: 0,
            takes_referrals: template.takes_referrals,
            last_checked_on: today.checked_sub_days(Days::new(checked_days_ago)).unwrap_or(today),
            active: true,
            created_at: ctx.created_at,
            updated_at: at(today.checked_sub_days(Days::new(checked_days_ago)).unwrap_or(today), 9 * 60),
        });
        for language in template.languages {
            data.asset_languages
                .push(community_asset_language::Model { asset_id: id, language: (*language).to_owned() });
        }
        for category in template.categories {
            data.asset_categories.push(community_asset_category::Model { asset_id: id, category: *category });
        }
        for key in template.conditions {
            if let Some(condition) = domain::conditions::by_key(key) {
                data.asset_conditions.push(community_asset_condition::Model {
                    asset_id: id,
                    snomed_code: condition.snomed_code.clone(),
                });
            }
        }
        for (weekday, starts, ends) in template.sessions {
            data.asset_sessions.push(community_asset_session::Model {
                id: g.uuid(),
                asset_id: id,
                weekday: i16::from(*weekday),
                starts_at: (*starts).to_owned(),
                ends_at: (*ends).to_owned(),
            });
        }
    }
    Ok(())
}

/// Connections from social prescribing support: people whose support is under way attend (or were
/// referred to) an activity that meets one of their needs; people whose support ended completed it
/// or stopped. Places held never exceed capacity.
pub fn connect(g: &mut Gen, ctx: &NeighbourhoodCtx, spells: &[Spell], data: &mut DemoData) -> AppResult<()> {
    let cutoff = at(g.today, 0);
    let workers = ctx.link_workers(data);
    if workers.is_empty() {
        return Ok(());
    }
    let mine: Vec<usize> = (0..data.assets.len()).filter(|&i| data.assets[i].neighbourhood_id == ctx.id).collect();
    let mut categories: HashMap<Uuid, Vec<C>> = HashMap::new();
    for c in &data.asset_categories {
        categories.entry(c.asset_id).or_default().push(c.category);
    }
    let mut open: BTreeSet<(Uuid, Uuid)> = BTreeSet::new();
    for spell in spells {
        let Some((started, ended)) = spell.active else { continue };
        if started >= cutoff || !g.rng.random_bool(0.6) {
            continue;
        }
        let wanted: Vec<C> = spell.needs.iter().flat_map(|n| categories_for(*n).iter().copied()).collect();
        let fits: Vec<usize> = mine
            .iter()
            .copied()
            .filter(|&i| {
                let a = &data.assets[i];
                categories.get(&a.id).is_some_and(|cs| cs.iter().any(|c| wanted.contains(c)))
                    && a.takes_referrals
                    && !open.contains(&(spell.patient_id, a.id))
            })
            .collect();
        if fits.is_empty() {
            continue;
        }
        let i = fits[g.rng.random_range(0..fits.len())];
        let live = ended.is_none_or(|e| e >= cutoff);
        if live && data.assets[i].capacity.is_some_and(|c| data.assets[i].places_taken >= c) {
            continue;
        }
        let (worker, worker_org) = workers[g.rng.random_range(0..workers.len())];
        let referred_at = started + Duration::days(g.rng.random_range(3..21));
        if referred_at >= cutoff {
            continue;
        }
        let attending_at = referred_at + Duration::days(g.rng.random_range(4..15));
        let asset_id = data.assets[i].id;
        let id = g.uuid();
        let mut events = vec![(None, ConnectionState::Referred, referred_at, "Referred by the link worker")];
        let (state, started_at, ended_at) = if attending_at >= cutoff {
            (ConnectionState::Referred, None, None)
        } else if live {
            events.push((
                Some(ConnectionState::Referred),
                ConnectionState::Attending,
                attending_at,
                "First session attended",
            ));
            (ConnectionState::Attending, Some(attending_at), None)
        } else {
            let end = ended.unwrap_or(cutoff).max(attending_at + Duration::days(7)).min(cutoff - Duration::hours(1));
            let outcome = if g.rng.random_bool(0.7) { ConnectionState::Completed } else { ConnectionState::Stopped };
            events.push((
                Some(ConnectionState::Referred),
                ConnectionState::Attending,
                attending_at,
                "First session attended",
            ));
            events.push((
                Some(ConnectionState::Attending),
                outcome,
                end,
                if outcome == ConnectionState::Completed { "Finished the course" } else { "Stopped going" },
            ));
            (outcome, Some(attending_at), Some(end))
        };
        let holds = matches!(state, ConnectionState::Referred | ConnectionState::Attending);
        if holds {
            data.assets[i].places_taken += 1;
            open.insert((spell.patient_id, asset_id));
        }
        data.connections.push(asset_connection::Model {
            id,
            patient_id: spell.patient_id,
            asset_id,
            referral_id: Some(spell.referral_id),
            state,
            open_key: holds.then(|| domain::directory::connections::open_key(spell.patient_id, asset_id)),
            created_by: worker,
            created_at: referred_at,
            updated_at: events.last().map_or(referred_at, |e| e.2),
            started_at,
            ended_at,
        });
        for (from, to, when, note) in events {
            data.connection_events.push(asset_connection_event::Model {
                id: g.uuid(),
                connection_id: id,
                from_state: from,
                to_state: to,
                practitioner_id: worker,
                organisation_id: worker_org,
                occurred_at: when,
                note: Some(note.to_owned()),
            });
        }
    }
    Ok(())
}

/// A location for every postcode the demo wrote (people, organisations, assets).
pub fn locations(data: &mut DemoData) {
    let mut seen = BTreeSet::new();
    let postcodes = data
        .patients
        .iter()
        .map(|p| p.postcode.clone())
        .chain(
            data.top_organisations.iter().chain(&data.pcns).chain(&data.practices).filter_map(|o| o.postcode.clone()),
        )
        .chain(data.assets.iter().map(|a| a.postcode.clone()));
    for postcode in postcodes {
        if !seen.insert(postcode.clone()) {
            continue;
        }
        if let Some((latitude, longitude)) = point_of(&postcode) {
            let district = domain::directory::geo::district_of(&postcode).to_owned();
            data.postcode_locations.push(postcode_location::Model { postcode, district, latitude, longitude });
        }
    }
}
