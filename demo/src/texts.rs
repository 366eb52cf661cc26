//! What people write on referrals, in contact notes and in feedback: short, plain and specific, the
//! way a GP, a link worker or a duty social worker writes them. Picked to agree with the referral's
//! service, its main need, the person (lives alone, carer, age) and how the referral ended.

use entity::{ReferralNeed as N, ReferralOutcome, ReferralService as Svc};
use rand::Rng;

/// Facts about the person that the wording depends on.
#[derive(Clone, Copy)]
pub struct Person {
    pub age: u32,
    pub lives_alone: bool,
    pub is_carer: bool,
}

fn one<'a>(rng: &mut impl Rng, items: &[&'a str]) -> &'a str {
    if items.is_empty() {
        return "";
    }
    items[rng.random_range(0..items.len())]
}

/// The detail recorded with an OTHER need.
pub fn other_detail(rng: &mut impl Rng, service: Svc) -> String {
    let items: &[&str] = match service {
        Svc::SocialPrescribing => &[
            "Help with a Blue Badge application",
            "Wants to get back into volunteering",
            "No internet at home; struggling with online forms",
            "Transport to hospital appointments",
            "Wants to learn to cook on a budget",
        ],
        Svc::AdultSocialCare => &[
            "Needs help with washing and dressing after a fall",
            "Care needs assessment: not managing meals",
            "Key safe and pendant alarm",
            "Struggling with the stairs at home",
            "Review of current care package",
        ],
        Svc::CommunityMentalHealth => &["Poor sleep and constant worry", "Hoarding affecting safety at home"],
        Svc::CommunityNursing => &[
            "Leg ulcer needing regular dressings",
            "Continence assessment",
            "Catheter care",
            "Pressure area care",
            "Housebound: bloods needed at home",
        ],
        Svc::Vcse => &[
            "Garden has become unmanageable",
            "Would like to join a men's shed",
            "Digital skills: video calls with family",
        ],
    };
    one(rng, items).to_owned()
}

/// What a referrer writes for a voluntary-sector receiver: what the person would like and how to
/// reach them, nothing clinical. Built from the coded needs and the person's circumstances alone
/// (no draw from the generator, so adding it changed nothing else in the demo).
pub fn partner_summary(needs: &[N], person: Person) -> String {
    let wants: Vec<&str> = needs
        .iter()
        .map(|need| match need {
            N::LonelinessOrIsolation => "company and meeting people nearby",
            N::Housing => "help with a housing problem",
            N::DebtAndMoney => "help with money and bills",
            N::Employment => "support to get back into work",
            N::PhysicalActivity => "a gentle activity to get moving",
            N::LowMoodOrAnxiety => "something to look forward to each week",
            N::CarerSupport => "support as a carer",
            N::FoodInsecurity => "help with food",
            N::Bereavement => "support after a bereavement",
            N::LongTermConditionSelfManagement => "practical support day to day",
            N::Other => "practical help at home",
        })
        .collect();
    let how = if person.lives_alone { "Lives alone; happy to be phoned." } else { "Happy to be phoned." };
    format!("Would like {}. {how}", wants.join(" and "))
}

/// The referrer's free text: why now, in a sentence or two.
pub fn context(
    rng: &mut impl Rng,
    service: Svc,
    need: N,
    detail: Option<&str>,
    person: Person,
    urgent: bool,
) -> String {
    let old = person.age >= 70;
    let text: String = match (service, need) {
        (Svc::CommunityNursing, _) => one(
            rng,
            &[
                "Housebound; needs visits at home. Daughter can let staff in.",
                "Discharged from hospital this week; needs follow-up at home.",
                "Frail and unable to get to the surgery; please arrange a home visit.",
            ],
        )
        .to_owned(),
        (Svc::AdultSocialCare, N::CarerSupport) => {
            "Main carer is close to breaking point; please consider a carer's assessment and respite.".to_owned()
        }
        (Svc::AdultSocialCare, _) => {
            let who = if person.lives_alone {
                "Lives alone; family visit weekly and are worried about how they are coping."
            } else {
                "Partner is doing everything and is struggling."
            };
            let what = one(
                rng,
                &[
                    "Two falls this month, struggling with washing and dressing.",
                    "Not managing meals and losing weight.",
                    "Recently out of hospital and less mobile than before.",
                ],
            );
            format!("{what} {who}")
        }
        (Svc::CommunityMentalHealth, _) => one(
            rng,
            &[
                "Low mood and anxiety for over six months despite medication; not sleeping.",
                "Worsening anxiety with panic attacks; has stopped going out.",
                "Persistent low mood after a relationship breakdown; no thoughts of self-harm but struggling to cope.",
            ],
        )
        .to_owned(),
        (_, N::LonelinessOrIsolation) if person.lives_alone => one(
            rng,
            &[
                "Lives alone and says days go by without speaking to anyone.",
                "Lives alone since partner died; rarely goes out and would like to meet people.",
                "Lost confidence going out since a fall; lives alone and feels cut off.",
            ],
        )
        .to_owned(),
        (_, N::LonelinessOrIsolation) => one(
            rng,
            &[
                "Family live away; feels isolated, especially at weekends.",
                "Recently moved to the area and knows nobody nearby.",
            ],
        )
        .to_owned(),
        (_, N::LowMoodOrAnxiety) if person.age >= 60 => {
            "Feeling flat since retiring; lost routine and purpose. Not keen on medication.".to_owned()
        }
        (_, N::LowMoodOrAnxiety) => one(
            rng,
            &[
                "Low mood for several months; would like support other than medication.",
                "Anxious about going out; finding day-to-day life hard.",
            ],
        )
        .to_owned(),
        (_, N::PhysicalActivity) => one(
            rng,
            &[
                "Wants to be more active to help with weight and blood pressure.",
                "Finished cardiac rehab; would like a group to keep going.",
                "Knee pain improving with physio; looking for gentle exercise.",
            ],
        )
        .to_owned(),
        (_, N::DebtAndMoney) => one(
            rng,
            &[
                "Struggling with energy bills and rent arrears; worried about letters from creditors.",
                "Universal Credit reduced; needs a benefits check and help with budgeting.",
                "Behind on council tax since hours were cut at work.",
            ],
        )
        .to_owned(),
        (_, N::Housing) => one(
            rng,
            &[
                "Damp and mould in rented flat; landlord not responding.",
                "Stairs now a struggle; wants to look at ground-floor housing.",
                "Private tenancy ending in two months; worried about finding somewhere affordable.",
            ],
        )
        .to_owned(),
        (_, N::Employment) => one(
            rng,
            &[
                "Off work with back pain for three months; wants support to get back to work.",
                "Looking for work after redundancy; lacks confidence with applications.",
            ],
        )
        .to_owned(),
        (_, N::CarerSupport) => one(
            rng,
            &[
                "Cares for partner with dementia; exhausted and not sleeping.",
                "Main carer for a parent; no break for over a year.",
                "Cares for an adult son with learning disabilities; would like to meet other carers.",
            ],
        )
        .to_owned(),
        (_, N::FoodInsecurity) => {
            "Skipping meals to make money stretch; asked at the surgery about food bank vouchers.".to_owned()
        }
        (_, N::Bereavement) if old => {
            "Partner died earlier this year; struggling since and not going out much.".to_owned()
        }
        (_, N::Bereavement) => "Recently bereaved of a close family member; low and tearful.".to_owned(),
        (_, N::LongTermConditionSelfManagement) => {
            "Several long-term conditions; would like support to manage day to day and stay independent.".to_owned()
        }
        (_, N::Other) => format!("{}.", detail.unwrap_or("Practical help needed")),
    };
    if urgent {
        format!("Urgent, please contact this week. {text}")
    } else {
        text
    }
}

/// A note on a contact attempt that did not reach the person.
pub fn attempt_note(rng: &mut impl Rng) -> &'static str {
    one(
        rng,
        &[
            "No answer; voicemail left",
            "No answer",
            "Number unobtainable; letter sent",
            "Text sent with a direct number to call back",
            "Spoke to a family member; will pass on the message",
            "Phone switched off",
        ],
    )
}

pub fn decline_reason(rng: &mut impl Rng) -> &'static str {
    one(
        rng,
        &[
            "managing with family support",
            "does not feel it would help at the moment",
            "already going to a local group",
            "too unwell at present; will ask the GP when ready",
            "does not want any more appointments",
        ],
    )
}

pub fn cancel_reason(rng: &mut impl Rng) -> &'static str {
    one(
        rng,
        &[
            "Referred in error",
            "Admitted to hospital",
            "Moved out of the area",
            "Needs now being met by the practice team",
            "Duplicate of a referral made elsewhere",
        ],
    )
}

/// Why a service could not take a referral, and what it suggested instead.
pub fn rejection(rng: &mut impl Rng, service: Svc) -> (&'static str, Option<&'static str>) {
    let items: &[(&str, Option<&str>)] = match service {
        Svc::SocialPrescribing => &[
            ("Needs are mainly clinical; GP review first", Some("GP review")),
            ("Specialist debt advice needed beyond link worker support", Some("Citizens Advice debt clinic")),
            ("Already supported by the community mental health team", None),
            ("Needs met by the PCN care coordinator", Some("PCN care coordinator")),
        ],
        Svc::AdultSocialCare => &[
            ("Does not meet Care Act eligibility criteria at present", Some("Social prescribing link worker")),
            ("Needs can be met with equipment alone", Some("Community equipment service")),
        ],
        Svc::CommunityMentalHealth => &[
            ("Suitable for primary care psychological therapy", Some("NHS Talking Therapies (self-referral)")),
            ("Mainly a social need", Some("Social prescribing link worker")),
        ],
        Svc::CommunityNursing => &[("Not housebound: can attend the practice", Some("Practice nurse treatment room"))],
        Svc::Vcse => &[
            ("Programme full until the spring", Some("Waiting-list wellbeing café")),
            ("No transport to the site and no volunteer drivers free", None),
        ],
    };
    let i = rng.random_range(0..items.len());
    items[i]
}

fn service_name(service: Svc) -> &'static str {
    match service {
        Svc::SocialPrescribing => "link worker",
        Svc::AdultSocialCare => "adult social care",
        Svc::CommunityMentalHealth => "community mental health team",
        Svc::CommunityNursing => "community nursing",
        Svc::Vcse => "the programme",
    }
}

/// What the link worker connected the person to, by their main need.
fn connected_to(rng: &mut impl Rng, need: N, detail: Option<&str>, place: &str) -> String {
    match need {
        N::LonelinessOrIsolation => match rng.random_range(0..3) {
            0 => format!("Attending the weekly art group at {place} Community Centre"),
            1 => format!("Goes to the Tuesday lunch club in {place} and has a befriender from Age UK Notts"),
            _ => format!("Joined the knit and natter group at {place} Library"),
        },
        N::LowMoodOrAnxiety => one(
            rng,
            &[
                "Self-referred to NHS Talking Therapies with support and attending a peer support group",
                "Volunteering two mornings a week at Feel Good Gardens",
            ],
        )
        .to_owned(),
        N::PhysicalActivity => match rng.random_range(0..3) {
            0 => format!("Walking weekly with the {place} gentle walking group"),
            1 => format!("Doing chair-based exercise twice a week at {place} leisure centre"),
            _ => "Going to the green gym at Cotgrave Community Garden".to_owned(),
        },
        N::DebtAndMoney => one(
            rng,
            &[
                "Benefits check done and Attendance Allowance awarded; debt advice through Citizens Advice",
                "Payment plan agreed for arrears and Household Support Fund application made",
            ],
        )
        .to_owned(),
        N::Housing => one(
            rng,
            &[
                "Damp reported to the landlord with Housing Options' help; repairs booked",
                "Registered for ground-floor housing and supported with bidding",
            ],
        )
        .to_owned(),
        N::Employment => "Working with the employment adviser; CV done and started a volunteering placement".to_owned(),
        N::CarerSupport => {
            "Registered with the Carers Hub, carer's assessment requested, comes to the carers' coffee morning"
                .to_owned()
        }
        N::FoodInsecurity => {
            format!("Food bank referral made, linked to the community pantry in {place}; benefits check done")
        }
        N::Bereavement => "Linked to Cruse Bereavement Support and attending the Coping with Loss group".to_owned(),
        N::LongTermConditionSelfManagement => {
            "Completed a self-management course and joined a community exercise group".to_owned()
        }
        N::Other => format!("Practical help given ({})", detail.unwrap_or("see notes").to_lowercase()),
    }
}

/// The feedback summary for a closed referral.
pub fn closed_summary(
    rng: &mut impl Rng,
    service: Svc,
    outcome: ReferralOutcome,
    need: N,
    detail: Option<&str>,
    place: &str,
) -> String {
    use ReferralOutcome as O;
    match (service, outcome) {
        (Svc::SocialPrescribing | Svc::Vcse, O::GoalsMet) => {
            let done = connected_to(rng, need, detail, place);
            let tail = match need {
                N::LonelinessOrIsolation | N::Bereavement | N::CarerSupport => "mood improved, feels less alone",
                N::LowMoodOrAnxiety => "mood improved and sleeping better",
                N::DebtAndMoney | N::FoodInsecurity | N::Housing => "much less worried; goals met",
                _ => one(rng, &["goals met; discharged from link worker support", "more confident and managing well"]),
            };
            format!("{done} — {tail}.")
        }
        (Svc::SocialPrescribing | Svc::Vcse, O::GoalsPartlyMet) => {
            let done = connected_to(rng, need, detail, place);
            let tail = one(
                rng,
                &[
                    "some goals met; still finds evenings hard. Discharged; can be re-referred",
                    "partly met: practical worries eased but still low at times; suggest GP review of mood",
                    "goes when able but health makes it hard to keep going; partly met",
                ],
            );
            format!("{done} — {tail}.")
        }
        (Svc::SocialPrescribing | Svc::Vcse, O::MovedToAnotherService) => one(
            rng,
            &[
                "Needs now mainly mental health: supported to self-refer to NHS Talking Therapies; closed to link worker.",
                "Needs care at home beyond link worker support: referred on to adult social care.",
                "Complex debts: handed over to Citizens Advice caseworker; closed to link worker.",
            ],
        )
        .to_owned(),
        (Svc::SocialPrescribing | Svc::Vcse, O::PatientWithdrew) => format!(
            "Withdrew after {} sessions — felt it was not the right time. Welcome to re-refer.",
            rng.random_range(2..=4)
        ),
        (Svc::AdultSocialCare, O::GoalsMet) => one(
            rng,
            &[
                "Care Act assessment completed; package of care started, two calls a day. Managing well at home.",
                "OT assessment: grab rails and stair rail fitted, key safe and pendant alarm installed. Managing independently.",
                "Carer's assessment completed; monthly respite arranged and carer feels supported.",
            ],
        )
        .to_owned(),
        (Svc::AdultSocialCare, O::GoalsPartlyMet) => {
            "Assessment completed; offered care at home but accepted only a pendant alarm for now. Will review if needs change."
                .to_owned()
        }
        (Svc::AdultSocialCare, O::MovedToAnotherService) => {
            "Transferred to the long-term care team for ongoing review.".to_owned()
        }
        (Svc::AdultSocialCare, O::PatientWithdrew) => {
            "Family now providing support; did not want a care package at this time.".to_owned()
        }
        (Svc::CommunityMentalHealth, O::GoalsMet) => {
            "Seen over eight weeks; mood improved. Stepped down to GP care with a relapse plan.".to_owned()
        }
        (Svc::CommunityMentalHealth, O::GoalsPartlyMet) => {
            "Engaged with the team and some improvement; stepped down to NHS Talking Therapies.".to_owned()
        }
        (Svc::CommunityMentalHealth, O::MovedToAnotherService) => {
            "Transferred to the psychology service for longer-term therapy.".to_owned()
        }
        (Svc::CommunityMentalHealth, O::PatientWithdrew) => {
            "Stopped attending after two appointments; crisis line details given and GP informed.".to_owned()
        }
        (Svc::CommunityNursing, O::GoalsMet) => one(
            rng,
            &[
                "Leg ulcer healed after ten weeks of compression therapy; discharged to the practice nurse.",
                "Wound healed; equipment in place and discharged from community nursing.",
                "Continence assessment done and products in place; discharged.",
            ],
        )
        .to_owned(),
        (Svc::CommunityNursing, O::GoalsPartlyMet) => {
            "Wound improving but not yet healed; practice nurse to continue dressings.".to_owned()
        }
        (Svc::CommunityNursing, O::MovedToAnotherService) => {
            "No longer housebound: care transferred to the practice treatment room.".to_owned()
        }
        (Svc::CommunityNursing, O::PatientWithdrew) => "Declined further visits; family managing dressings.".to_owned(),
    }
}

/// The feedback summary for a referral the person declined.
pub fn declined_summary(reason: &str) -> String {
    let mut chars = reason.chars();
    let reason = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
        None => String::new(),
    };
    format!("Declined: {reason}.")
}

pub fn rejected_summary(reason: &str, alternative: Option<&str>) -> String {
    match alternative {
        Some(alt) => format!("Not accepted: {reason}. Suggested instead: {alt}."),
        None => format!("Not accepted: {reason}."),
    }
}

pub fn unable_summary(service: Svc, attempts: usize) -> String {
    format!(
        "Unable to contact after {attempts} attempts by phone, text and letter; closed to {}. Please re-refer if still needed.",
        service_name(service)
    )
}

pub fn unable_reason(attempts: usize) -> String {
    format!("No response to {attempts} attempts and a letter")
}
