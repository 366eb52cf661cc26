//! Look-ahead by declared paths. Resolvers look ahead at what a query selects below them, to load
//! a whole list's relationships in one statement each (priming) or to skip work nobody asked for.
//! Every field path they look for is declared here, from the GraphQL type it starts at, and a test
//! walks each one through the schema: a renamed field fails the suite instead of silently turning
//! priming off (the query would still answer, one statement per row).
//!
//! A [`Path`] can only be made here (its fields are private), so a resolver cannot look ahead for
//! a path this list does not hold.

use async_graphql::Lookahead;

/// Fields to follow, one below the other, from a GraphQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path {
    /// The GraphQL type the first field belongs to.
    on: &'static str,
    fields: &'static [&'static str],
}

impl Path {
    /// What the query selects at this path below `look` (a selection of the path's type).
    pub fn below<'a>(&self, look: &Lookahead<'a>) -> Lookahead<'a> {
        let mut at = look.field(self.fields[0]);
        for name in &self.fields[1..] {
            at = at.field(name);
        }
        at
    }

    /// Whether the query selects this path below `look`.
    pub fn selected(&self, look: &Lookahead<'_>) -> bool {
        self.below(look).exists()
    }
}

macro_rules! paths {
    ($($(#[$doc:meta])* $name:ident: $on:literal => [$($field:literal),+];)+) => {
        $($(#[$doc])* pub const $name: Path = Path { on: $on, fields: &[$($field),+] };)+
        /// Every declared path, with its name (the schema test walks them all).
        pub const ALL: &[(&str, Path)] = &[$((stringify!($name), $name)),+];
    };
}

paths! {
    // The nodes of a page: every connection has the same shape (`connection_type!`).
    NODES: "PatientConnection" => ["nodes"];
    EDGES: "PatientConnection" => ["edges"];
    EDGE_NODES: "PatientConnection" => ["edges", "node"];
    PAGE_INFO: "PatientConnection" => ["pageInfo"];

    // Below a patient (MDT preparation, patient pages and lists).
    CARE_TEAM: "Patient" => ["careTeam"];
    REGISTERED_PRACTICE: "Patient" => ["registeredPractice"];
    PRACTICE_PARENT: "Patient" => ["registeredPractice", "parent"];
    NEIGHBOURHOOD: "Patient" => ["neighbourhood"];
    CONDITIONS: "Patient" => ["conditions"];
    CONDITION_COUNT: "Patient" => ["conditionCount"];
    REFERRALS: "Patient" => ["referrals"];
    REFERRAL_NEEDS: "Patient" => ["referrals", "needs"];
    REFERRAL_EVENTS: "Patient" => ["referrals", "events"];
    REFERRAL_FEEDBACK: "Patient" => ["referrals", "feedback"];
    CARE_PLAN: "Patient" => ["carePlan"];
    PLAN_GOALS: "Patient" => ["carePlan", "goals"];
    PLAN_ACTIONS: "Patient" => ["carePlan", "actions"];
    PLAN_UPDATED_BY: "Patient" => ["carePlan", "updatedBy"];
    PLAN_ACTION_OWNER_ORGANISATION: "Patient" => ["carePlan", "actions", "ownerOrganisation"];
    PLAN_ACTION_OWNER_PRACTITIONER: "Patient" => ["carePlan", "actions", "ownerPractitioner"];
    OUTCOME_MEASUREMENTS: "Patient" => ["outcomeMeasurements"];
    OUTCOME_TRENDS: "Patient" => ["outcomeTrends"];
    MEASUREMENT_RESPONSES: "Patient" => ["outcomeMeasurements", "responses"];
    TREND_RESPONSES: "Patient" => ["outcomeTrends", "latest", "responses"];
    ASSET_CONNECTIONS: "Patient" => ["assetConnections"];
    CONNECTION_EVENTS: "Patient" => ["assetConnections", "events"];
    CONNECTION_ASSET_PROVIDER: "Patient" => ["assetConnections", "asset", "provider"];
    CONNECTION_CREATED_BY: "Patient" => ["assetConnections", "createdBy"];
    MDT_ACTIONS: "Patient" => ["mdtActions"];
    MDT_ACTION_HISTORY: "Patient" => ["mdtActions", "history"];
    MDT_ACTION_OWNER_PRACTITIONER: "Patient" => ["mdtActions", "ownerPractitioner"];
    MDT_ACTION_OWNER_ORGANISATION: "Patient" => ["mdtActions", "ownerOrganisation"];

    // Below a referral (inboxes, caseloads, a person's referrals).
    REFERRAL_PATIENT: "Referral" => ["patient"];
    REFERRAL_PATIENT_REFERRALS: "Referral" => ["patient", "referrals"];
    NEEDS: "Referral" => ["needs"];
    EVENTS: "Referral" => ["events"];
    FEEDBACK: "Referral" => ["feedback"];
    REFERRING_ORGANISATION: "Referral" => ["referringOrganisation"];
    RECEIVING_ORGANISATION: "Referral" => ["receivingOrganisation"];
    REFERRING_PRACTITIONER: "Referral" => ["referringPractitioner"];
    ASSIGNED_PRACTITIONER: "Referral" => ["assignedPractitioner"];
    CONSENT_RECORDED_BY: "Referral" => ["consentRecordedBy"];

    // Below feedback to a referrer.
    FEEDBACK_PATIENT: "ReferralFeedback" => ["patient"];
    FEEDBACK_REFERRAL: "ReferralFeedback" => ["referral"];
    FEEDBACK_WORKER: "ReferralFeedback" => ["worker"];
    FEEDBACK_WRITTEN_BY: "ReferralFeedback" => ["writtenBy"];
    FEEDBACK_FILED_BY: "ReferralFeedback" => ["filedBy"];

    // Below a support group.
    GROUP_MEMBER_COUNT: "SupportGroup" => ["memberCount"];
    GROUP_SPACES_LEFT: "SupportGroup" => ["spacesLeft"];
    GROUP_SESSIONS: "SupportGroup" => ["sessions"];
    GROUP_PARTICIPANTS: "SupportGroup" => ["participants"];

    // Below an MDT agenda item, and a proposed one.
    ITEM_PATIENT: "MdtAgendaItem" => ["patient"];
    ITEM_REASON: "MdtAgendaItem" => ["reason"];
    ITEM_DECISIONS: "MdtAgendaItem" => ["decisions"];
    ITEM_ACTIONS: "MdtAgendaItem" => ["actions"];
    PROPOSAL_PATIENT: "MdtAgendaProposal" => ["patient"];
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};

    use super::*;

    fn base_name(ty: &Type) -> &str {
        match &ty.base {
            BaseType::Named(name) => name.as_str(),
            BaseType::List(inner) => base_name(inner),
        }
    }

    #[test]
    fn every_path_looked_ahead_for_exists_in_the_schema() {
        let sdl = crate::schema::sdl();
        let document = async_graphql::parser::parse_schema(&sdl).expect("the schema parses");
        // type -> field -> the field's type (lists and non-null unwrapped)
        let mut fields: HashMap<String, HashMap<String, String>> = HashMap::new();
        for definition in &document.definitions {
            if let TypeSystemDefinition::Type(ty) = definition {
                let of_type = match &ty.node.kind {
                    TypeKind::Object(object) => &object.fields,
                    TypeKind::Interface(interface) => &interface.fields,
                    _ => continue,
                };
                let entry = fields.entry(ty.node.name.node.to_string()).or_default();
                for field in of_type {
                    entry.insert(field.node.name.node.to_string(), base_name(&field.node.ty.node).to_owned());
                }
            }
        }
        let mut missing = Vec::new();
        for (name, path) in ALL {
            let mut on = path.on.to_owned();
            for field in path.fields {
                match fields.get(&on).and_then(|f| f.get(*field)) {
                    Some(next) => on = next.clone(),
                    None => {
                        missing.push(format!("{name}: {}.{} ({:?} from {})", on, field, path.fields, path.on));
                        break;
                    }
                }
            }
        }
        assert!(missing.is_empty(), "look-ahead paths that are not in the schema: {missing:#?}");
    }
}
