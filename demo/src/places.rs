//! Places for the demo: the PCNs named in the Nottinghamshire social prescribing briefing, each with
//! towns and villages and their postcode districts, and the organisations every neighbourhood shares.
//!
//! The pairing of PCN, places and postcode districts is illustrative (real places and real postcode
//! districts, not a statement of any PCN's actual boundary), and the deprivation means are rough
//! shapes (former coalfield towns more deprived, Rushcliffe less), not IMD figures.

use entity::OrganisationKind;

/// One PCN footprint.
pub struct Area {
    /// The PCN name without the trailing " PCN" (the INT is named "<stem> INT").
    pub stem: &'static str,
    /// (place, postcode district). At least 7, so every practice gets its own place.
    pub places: &'static [(&'static str, &'static str)],
    /// Typical Index of Multiple Deprivation decile (1 = most deprived).
    pub deprivation_mean: f64,
}

/// In the order the briefing lists them; neighbourhood `k` uses `AREAS[k % 15]`.
pub const AREAS: &[Area] = &[
    Area {
        stem: "Arnold and Calverton",
        places: &[
            ("Arnold", "NG5"),
            ("Calverton", "NG14"),
            ("Daybrook", "NG5"),
            ("Redhill", "NG5"),
            ("Woodthorpe", "NG5"),
            ("Mapperley", "NG3"),
            ("Woodborough", "NG14"),
            ("Lambley", "NG4"),
        ],
        deprivation_mean: 6.0,
    },
    Area {
        stem: "Rushcliffe",
        places: &[
            ("West Bridgford", "NG2"),
            ("Radcliffe on Trent", "NG12"),
            ("Cotgrave", "NG12"),
            ("Keyworth", "NG12"),
            ("Ruddington", "NG11"),
            ("Bingham", "NG13"),
            ("East Leake", "LE12"),
            ("Gamston", "NG2"),
        ],
        deprivation_mean: 8.5,
    },
    Area {
        stem: "Nottingham West",
        places: &[
            ("Beeston", "NG9"),
            ("Stapleford", "NG9"),
            ("Chilwell", "NG9"),
            ("Bramcote", "NG9"),
            ("Toton", "NG9"),
            ("Attenborough", "NG9"),
            ("Trowell", "NG9"),
        ],
        deprivation_mean: 6.0,
    },
    Area {
        stem: "Arrow Health",
        places: &[
            ("Carlton", "NG4"),
            ("Gedling", "NG4"),
            ("Netherfield", "NG4"),
            ("Colwick", "NG4"),
            ("Burton Joyce", "NG14"),
            ("Porchester", "NG3"),
            ("Westdale Lane", "NG3"),
        ],
        deprivation_mean: 5.0,
    },
    Area {
        stem: "Byron",
        places: &[
            ("Hucknall", "NG15"),
            ("Linby", "NG15"),
            ("Papplewick", "NG15"),
            ("Ravenshead", "NG15"),
            ("Bestwood Village", "NG6"),
            ("Butler's Hill", "NG15"),
            ("Watnall Road", "NG15"),
        ],
        deprivation_mean: 4.5,
    },
    Area {
        stem: "Mansfield North",
        places: &[
            ("Mansfield Woodhouse", "NG19"),
            ("Forest Town", "NG19"),
            ("Market Warsop", "NG20"),
            ("Church Warsop", "NG20"),
            ("Pleasley", "NG19"),
            ("Meden Vale", "NG20"),
            ("Clipstone", "NG21"),
        ],
        deprivation_mean: 3.0,
    },
    Area {
        stem: "Rosewood",
        places: &[
            ("Mansfield", "NG18"),
            ("Rainworth", "NG21"),
            ("Blidworth", "NG21"),
            ("Ladybrook", "NG18"),
            ("Oak Tree", "NG18"),
            ("Berry Hill", "NG18"),
            ("Bull Farm", "NG19"),
        ],
        deprivation_mean: 3.0,
    },
    Area {
        stem: "Ashfield North",
        places: &[
            ("Sutton-in-Ashfield", "NG17"),
            ("Skegby", "NG17"),
            ("Huthwaite", "NG17"),
            ("Stanton Hill", "NG17"),
            ("Teversal", "NG17"),
            ("Mansfield Road", "NG17"),
            ("Fackley", "NG17"),
        ],
        deprivation_mean: 3.0,
    },
    Area {
        stem: "Ashfield South",
        places: &[
            ("Kirkby-in-Ashfield", "NG17"),
            ("Annesley Woodhouse", "NG17"),
            ("Selston", "NG16"),
            ("Jacksdale", "NG16"),
            ("Underwood", "NG16"),
            ("Nuncargate", "NG17"),
            ("Newstead", "NG15"),
        ],
        deprivation_mean: 3.5,
    },
    Area {
        stem: "Newark",
        places: &[
            ("Newark", "NG24"),
            ("Balderton", "NG24"),
            ("Collingham", "NG23"),
            ("Fernwood", "NG24"),
            ("Sutton-on-Trent", "NG23"),
            ("Coddington", "NG24"),
            ("Barnby Gate", "NG24"),
        ],
        deprivation_mean: 5.0,
    },
    Area {
        stem: "Sherwood",
        places: &[
            ("Ollerton", "NG22"),
            ("Edwinstowe", "NG21"),
            ("Bilsthorpe", "NG22"),
            ("Southwell", "NG25"),
            ("Farnsfield", "NG22"),
            ("Boughton", "NG22"),
            ("Rufford", "NG22"),
        ],
        deprivation_mean: 5.0,
    },
    Area {
        stem: "Lawood and Bawtry",
        places: &[
            ("Bawtry", "DN10"),
            ("Harworth", "DN11"),
            ("Misterton", "DN10"),
            ("Blyth", "S81"),
            ("Beckingham", "DN10"),
            ("Everton", "DN10"),
            ("Bircotes", "DN11"),
        ],
        deprivation_mean: 5.5,
    },
    Area {
        stem: "Newgate",
        places: &[
            ("Worksop", "S80"),
            ("Carlton in Lindrick", "S81"),
            ("Langold", "S81"),
            ("Shireoaks", "S81"),
            ("Manton", "S80"),
            ("Kilton", "S81"),
            ("Gateford", "S81"),
        ],
        deprivation_mean: 4.0,
    },
    Area {
        stem: "Retford and Villages",
        places: &[
            ("Retford", "DN22"),
            ("Tuxford", "NG22"),
            ("East Markham", "NG22"),
            ("Clarborough", "DN22"),
            ("Sutton cum Lound", "DN22"),
            ("Ranskill", "DN22"),
            ("Gamston", "DN22"),
        ],
        deprivation_mean: 5.5,
    },
    Area {
        stem: "Synergy",
        places: &[
            ("Eastwood", "NG16"),
            ("Kimberley", "NG16"),
            ("Nuthall", "NG16"),
            ("Awsworth", "NG16"),
            ("Brinsley", "NG16"),
            ("Giltbrook", "NG16"),
            ("Newthorpe", "NG16"),
        ],
        deprivation_mean: 5.0,
    },
];

/// How a practice is named after its place.
pub const PRACTICE_NAME_FORMS: &[(&str, &str)] = &[
    ("", " Medical Practice"),
    ("", " Health Centre"),
    ("", " Surgery"),
    ("", " Medical Centre"),
    ("The ", " Practice"),
    ("", " Family Practice"),
];

pub const ICB_NAME: &str = "NHS Nottingham and Nottinghamshire ICB";
pub const ICB_DISTRICT: &str = "NG5";

/// Organisations that take part in every neighbourhood: (name, kind, postcode district).
pub const SHARED_ORGANISATIONS: &[(&str, OrganisationKind, &str)] = &[
    ("Primary Integrated Community Services", OrganisationKind::SplwProvider, "NG7"),
    ("Nottinghamshire County Council Adult Social Care", OrganisationKind::AdultSocialCare, "NG2"),
    ("Nottinghamshire Healthcare NHS Foundation Trust", OrganisationKind::MentalHealthTrust, "NG3"),
    ("Nottingham CityCare Partnership", OrganisationKind::CommunityHealthTrust, "NG3"),
    ("Nottingham CVS (GreenSpace)", OrganisationKind::Vcse, "NG1"),
    ("Your CVS (Best Years Hub)", OrganisationKind::Vcse, "NG18"),
    ("Vibrant Warsop", OrganisationKind::Vcse, "NG20"),
    ("Feel Good Gardens", OrganisationKind::Vcse, "NG17"),
    ("Cotgrave Community Garden", OrganisationKind::Vcse, "NG12"),
    ("Bassetlaw CVS", OrganisationKind::Vcse, "S80"),
    // Synthetic: the briefing names housing as a partner but no housing organisation.
    ("Nottinghamshire Housing Options Service", OrganisationKind::Housing, "NG17"),
];

/// Letters used in the inward code's unit (the last two characters of a UK postcode).
const UNIT_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// A postcode in `district` with a random sector and unit, e.g. `NG5 6BL` (valid format,
/// not checked against the postcode address file).
pub fn postcode(rng: &mut impl rand::Rng, district: &str) -> String {
    let sector = rng.random_range(1..=9u8);
    let a = UNIT_LETTERS[rng.random_range(0..UNIT_LETTERS.len())] as char;
    let b = UNIT_LETTERS[rng.random_range(0..UNIT_LETTERS.len())] as char;
    format!("{district} {sector}{a}{b}")
}
