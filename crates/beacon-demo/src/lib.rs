//! A generated data set that looks like a state's referral traffic: tips
//! spread over recent months (more of them recently), across the state's
//! towns, with the mix of urgency, trafficking type and place a hotline sees;
//! a roster of troopers and advocates for every troop; and what happened next
//! (handoff, acknowledgement, arrival, closure), at the pace of a centre that
//! meets its response targets: urgent tips are reached within the hour, and
//! nearly every case is closed within a few days. About one tip in ten
//! repeats a phone, plate or address of an earlier one, so it is linked.
//!
//! Deterministic for a given seed and `now`, so tests and benchmarks can rely
//! on it. Every name, phone number and plate is invented.
#![forbid(unsafe_code)]

use beacon_domain::ResponderId;
use beacon_domain::links::DEFAULT_LINK_WINDOW_DAYS;
use beacon_domain::referral::*;
use beacon_domain::responder::{Responder, Role};
use beacon_domain::triage::{self, Priority};
use chrono::{DateTime, Duration, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

/// A town the generator may place a tip in (from the jurisdiction layer's ZIP table).
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    pub zip: String,
    pub city: String,
    pub county: String,
    pub state: Option<String>,
    pub lat: f64,
    pub lon: f64,
}

/// Something that happened to a case after it arrived.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    HandOff { responder: ResponderId },
    Acknowledge,
    OnScene,
    Note { text: String },
    Close { disposition: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub at: DateTime<Utc>,
    /// Index into [`DemoData::referrals`].
    pub referral: usize,
    pub action: Action,
}

#[derive(Clone, Debug)]
pub struct DemoData {
    pub responders: Vec<Responder>,
    pub referrals: Vec<Referral>,
    /// In time order.
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub referrals: usize,
    pub seed: u64,
    pub now: DateTime<Utc>,
    /// Troop (or agency) names to staff, e.g. `["A", "B", …]`.
    pub troops: Vec<String>,
    /// Whether to generate what happened to older cases.
    pub history: bool,
}

/// How many days of traffic `n` referrals represent: a few months for a demo,
/// longer for large sets so the daily rate stays believable (~1,400 a day at most).
pub fn span_days(n: usize) -> i64 {
    (n as i64 / 1_400).max(120)
}

pub fn generate(places: &[Place], opts: &Options) -> DemoData {
    // One random stream each for the referrals, the roster and the history,
    // so a seed gives the same referrals whatever the troops and whether the
    // history is made (the benchmarks import the one and load the other).
    let stream = |n: u64| {
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        rng.set_stream(n);
        rng
    };
    let (mut rng, mut roster_rng, mut history_rng) = (stream(0), stream(1), stream(2));
    let responders = roster(&mut roster_rng, &opts.troops);
    let mut fresh = Fresh::default();
    let mut scenes: Vec<Scene> = Vec::with_capacity(opts.referrals);
    let span = span_days(opts.referrals);
    let mut referrals = Vec::with_capacity(opts.referrals);
    let mut steps = Vec::new();
    // A small demo set leans toward recent days so the console looks like
    // a live shift; large sets are steady traffic, spread evenly. Referrals
    // come in time order, numbered as they arrive, as a hotline export is.
    let mut times: Vec<DateTime<Utc>> = (0..opts.referrals)
        .map(|_| {
            let u: f64 = rng.random();
            let skew = if opts.referrals <= 10_000 { u * u } else { u };
            let back = skew * (span * 86_400) as f64;
            opts.now - Duration::seconds(back as i64 + 60)
        })
        .collect();
    times.sort();
    for (i, received_at) in times.into_iter().enumerate() {
        let echo = if rng.random_bool(ECHO_SHARE) { echo(&mut rng, received_at, &referrals, &scenes) } else { None };
        let (r, scene) = referral(&mut rng, i, received_at, places, &mut fresh, echo);
        if opts.history {
            history(&mut history_rng, i, &r, &responders, opts.now, &mut steps);
        }
        referrals.push(r);
        scenes.push(scene);
    }
    steps.sort_by(|a, b| a.at.cmp(&b.at).then(a.referral.cmp(&b.referral)));
    DemoData { responders, referrals, steps }
}

const FIRST: &[&str] = &[
    "James", "Maria", "Robert", "Linda", "Michael", "Ana", "David", "Grace", "Daniel", "Rosa", "Kevin", "Jasmine",
    "Thomas", "Mei", "Luis", "Emily", "Andre", "Fatima", "Carlos", "Hannah",
];
const LAST: &[&str] = &[
    "Miller", "Garcia", "Johnson", "Nguyen", "Brown", "Lopez", "Davis", "Wilson", "Martinez", "Anderson", "Clark",
    "Lewis", "Walker", "Young", "Hall", "Allen", "King", "Wright", "Scott", "Green",
];
const STREETS: &[&str] = &[
    "Main St",
    "Olive St",
    "Glenstone Ave",
    "Sunshine St",
    "Broadway",
    "Market St",
    "Grand Blvd",
    "Range Line Rd",
    "Walnut St",
    "Highway 63",
    "Elm St",
    "Kingshighway",
    "Truman Rd",
    "Noland Rd",
    "Washington Ave",
    "Industrial Dr",
    "Commerce Dr",
    "Route 66",
];
const MOTELS: &[&str] = &[
    "Budget Inn",
    "Interstate Motel",
    "Starlite Motor Lodge",
    "Travelers Rest",
    "Gateway Inn",
    "Route 66 Motel",
    "Super Stay",
    "Crossroads Inn",
];
const LANGUAGES: &[&str] = &["en", "en", "en", "es", "es", "zh", "vi", "ko", "tl", "ru"];
const MAKES: &[(&str, &str)] = &[
    ("Ford", "Transit"),
    ("Chevrolet", "Express"),
    ("Dodge", "Caravan"),
    ("Toyota", "Camry"),
    ("Honda", "Odyssey"),
    ("Nissan", "Altima"),
    ("Ford", "F-150"),
];
const COLORS: &[&str] = &["white", "black", "silver", "gray", "red", "blue", "maroon"];
/// How a case ends once someone has been there.
const DISPOSITIONS: &[&str] = &[
    "victim recovered and referred to services",
    "referred to services; victim declined law enforcement",
    "no trafficking found on scene",
    "unable to locate",
    "investigation opened by task force",
    "duplicate of an earlier referral",
];
/// How a case ends when nobody went: followed up by phone or passed on.
const FOLLOW_UP_DISPOSITIONS: &[&str] = &[
    "referred to services; victim declined law enforcement",
    "unable to locate",
    "investigation opened by task force",
    "duplicate of an earlier referral",
    "reporter called back; no further action",
];
/// How a tip with nothing to act on is closed at the desk, without a handoff.
const DESK_DISPOSITIONS: &[&str] = &[
    "logged for the task force; nothing to act on",
    "duplicate of an earlier referral",
    "outside the state; passed on",
];

/// The share of tips about someone or somewhere an earlier tip was about: the
/// same suspect (phone or car) or the same address. Each such tip links itself
/// and the earlier one, so about twice this share of referrals is linked.
const ECHO_SHARE: f64 = 0.055;

/// How far apart (days) a tip and the earlier one it repeats may be: well
/// inside the link window, so the two are linked.
const ECHO_DAYS: i64 = DEFAULT_LINK_WINDOW_DAYS * 2 / 3;

/// Phones, plates and addresses already given out, so that apart from the
/// tips that repeat an earlier one, referrals do not share them by chance.
#[derive(Default)]
struct Fresh {
    phones: HashSet<String>,
    plates: HashSet<String>,
    addresses: HashSet<String>,
}

impl Fresh {
    /// Draw until `make` gives something not yet used (a few tries: in very
    /// large sets the invented numbers run out and some repeat).
    fn draw(
        rng: &mut ChaCha8Rng,
        used: &mut HashSet<String>,
        make: impl Fn(&mut ChaCha8Rng) -> String,
        key: impl Fn(&str) -> String,
    ) -> String {
        let mut value = make(rng);
        for _ in 0..8 {
            if used.insert(key(&value)) {
                break;
            }
            value = make(rng);
        }
        value
    }
}

/// Where a tip is set, kept so a later tip about the same place can say the same.
#[derive(Clone, Debug)]
struct Scene {
    place: usize,
    street: String,
    motel: &'static str,
}

/// What a tip repeats from an earlier one.
enum Echo {
    /// The same person: their phone or car.
    Suspect(Suspect),
    /// The same address.
    Place(Scene, Location),
}

/// Something an earlier tip, received within [`ECHO_DAYS`], gave that this one repeats.
fn echo(rng: &mut ChaCha8Rng, at: DateTime<Utc>, earlier: &[Referral], scenes: &[Scene]) -> Option<Echo> {
    // Earlier referrals are in time order: the recent ones are the tail.
    let first = earlier.partition_point(|r| at - r.received_at > Duration::days(ECHO_DAYS));
    if first == earlier.len() {
        return None;
    }
    for _ in 0..8 {
        let j = rng.random_range(first..earlier.len());
        let other = &earlier[j];
        let suspects: Vec<&Suspect> =
            other.suspects.iter().filter(|s| !s.phones.is_empty() || s.vehicle.is_some()).collect();
        let address = other.location.as_ref().filter(|l| l.address.is_some());
        match (suspects.choose(rng), address) {
            (Some(s), None) => return Some(Echo::Suspect((*s).clone())),
            (Some(s), Some(_)) if rng.random_bool(0.6) => return Some(Echo::Suspect((*s).clone())),
            (_, Some(l)) => return Some(Echo::Place(scenes[j].clone(), l.clone())),
            (None, None) => {}
        }
    }
    None
}

/// An invented number in one of the state's area codes, in the 555 exchange.
fn phone(rng: &mut ChaCha8Rng) -> String {
    format!("({}) 555-{:04}", pick(rng, &[314, 816, 417, 573, 636, 660]), rng.random_range(100..10_000))
}

fn plate(rng: &mut ChaCha8Rng) -> String {
    format!("{}{}{}-{:03}", letter(rng), letter(rng), letter(rng), rng.random_range(0..1000))
}

fn letter(rng: &mut ChaCha8Rng) -> char {
    char::from(b'A' + rng.random_range(0..26u8))
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    items.choose(rng).expect("non-empty constant list")
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (item, w) in items {
        if roll < *w {
            return *item;
        }
        roll -= w;
    }
    items[0].0
}

fn referral(
    rng: &mut ChaCha8Rng,
    i: usize,
    received_at: DateTime<Utc>,
    places: &[Place],
    fresh: &mut Fresh,
    echo: Option<Echo>,
) -> (Referral, Scene) {
    let urgency = weighted(
        rng,
        &[(Urgency::InProgress, 4), (Urgency::Imminent, 7), (Urgency::Recent, 47), (Urgency::Historical, 42)],
    );
    let trafficking_type = weighted(
        rng,
        &[
            (TraffickingType::Sex, 55),
            (TraffickingType::Labor, 25),
            (TraffickingType::Both, 7),
            (TraffickingType::Unknown, 13),
        ],
    );
    let mut place_type = weighted(
        rng,
        &[
            (PlaceType::Hotel, 28),
            (PlaceType::Residence, 22),
            (PlaceType::Business, 18),
            (PlaceType::TruckStop, 8),
            (PlaceType::Vehicle, 6),
            (PlaceType::Street, 8),
            (PlaceType::Online, 7),
            (PlaceType::Other, 3),
        ],
    );
    let source = weighted(
        rng,
        &[
            (Source::HotlineCall, 55),
            (Source::HotlineWeb, 20),
            (Source::HotlineText, 12),
            (Source::LocalCall, 9),
            (Source::WalkIn, 2),
            (Source::Other, 2),
        ],
    );
    let (scene, echoed_location, echoed_suspect) = match echo {
        Some(Echo::Place(scene, location)) => {
            place_type = location.place_type.unwrap_or(place_type);
            (scene, Some(location), None)
        }
        echo => {
            let place = rng.random_range(0..places.len());
            let city = &places[place].city;
            let street = Fresh::draw(
                rng,
                &mut fresh.addresses,
                |rng| format!("{} {}", rng.random_range(100..9_900), pick(rng, STREETS)),
                |street| format!("{street}|{city}"),
            );
            let suspect = match echo {
                Some(Echo::Suspect(s)) => Some(s),
                _ => None,
            };
            let motel = *pick::<&str>(rng, MOTELS);
            (Scene { place, street, motel }, None, suspect)
        }
    };
    let place = &places[scene.place];
    let (street, motel) = (&scene.street, scene.motel);
    let detail = rng.random_range(0..100);
    let fresh_location = (place_type != PlaceType::Online || detail < 30).then(|| {
        let (lat, lon) = if detail < 70 {
            // Within about 3 km of the ZIP's centre.
            (
                Some(round6(place.lat + rng.random_range(-0.027..0.027))),
                Some(round6(place.lon + rng.random_range(-0.034..0.034))),
            )
        } else {
            (None, None)
        };
        let address = (detail < 85).then(|| street.clone());
        Location {
            address,
            city: Some(place.city.clone()),
            county: (detail >= 85 || rng.random_bool(0.5)).then(|| place.county.clone()),
            state: place.state.clone(),
            zip: (detail < 95).then(|| place.zip.clone()),
            lat,
            lon,
            place_type: Some(place_type),
            extra: Default::default(),
        }
    });
    let location = echoed_location.or(fresh_location);
    let minors = weighted(rng, &[(YesNoUnknown::Yes, 14), (YesNoUnknown::No, 56), (YesNoUnknown::Unknown, 30)]);
    let count = rng.random_range(1..=5u32);
    let lang = *pick(rng, LANGUAGES);
    let potential_victims = PotentialVictims {
        count: Some(count),
        minors,
        languages: if lang == "en" { vec!["en".into()] } else { vec![lang.into(), "en".into()] },
        description: Some(format!(
            "{} {}, {}",
            count,
            if count == 1 { "person" } else { "people" },
            pick(
                rng,
                &[
                    "appear to be in their twenties",
                    "appear young, possibly teenagers",
                    "adults, speaking little English",
                    "women, one with visible bruises",
                    "men working long shifts"
                ]
            )
        )),
        extra: Default::default(),
    };
    // Up to two suspects; a tip about someone named before tells of them first.
    let others = rng.random_range(0..=2u32).min(2 - u32::from(echoed_suspect.is_some()));
    let suspects: Vec<Suspect> = echoed_suspect
        .into_iter()
        .chain((0..others).map(|_| Suspect {
            description: Some(format!(
                "{} {}, {}",
                pick(rng, FIRST),
                pick(rng, LAST),
                pick(
                    rng,
                    &[
                        "drives the workers",
                        "collects the money",
                        "stays in the room next door",
                        "the manager",
                        "older man with a neck tattoo"
                    ]
                )
            )),
            phones: if rng.random_bool(0.6) {
                vec![Fresh::draw(rng, &mut fresh.phones, phone, str::to_string)]
            } else {
                vec![]
            },
            vehicle: rng.random_bool(0.4).then(|| {
                let (make, model) = *pick(rng, MAKES);
                Vehicle {
                    plate: Some(Fresh::draw(rng, &mut fresh.plates, plate, str::to_string)),
                    state: if rng.random_bool(0.8) { place.state.clone() } else { Some("IL".into()) },
                    make: Some(make.into()),
                    model: Some(model.into()),
                    color: Some(pick(rng, COLORS).to_string()),
                    extra: Default::default(),
                }
            }),
            extra: Default::default(),
        }))
        .collect();
    let reporter_kind = weighted(
        rng,
        &[
            (ReporterKind::CommunityMember, 50),
            (ReporterKind::Professional, 20),
            (ReporterKind::Victim, 12),
            (ReporterKind::Anonymous, 18),
        ],
    );
    let reporter = Reporter {
        kind: reporter_kind,
        name: (reporter_kind != ReporterKind::Anonymous).then(|| format!("{} {}", pick(rng, FIRST), pick(rng, LAST))),
        phone: (reporter_kind != ReporterKind::Anonymous)
            .then(|| format!("(573) 555-{:04}", rng.random_range(0..10_000))),
        email: None,
        contact_ok: reporter_kind != ReporterKind::Anonymous && rng.random_bool(0.7),
        extra: Default::default(),
    };
    let consent = Consent {
        share_identifying_info: rng.random_bool(0.6),
        obtained_at: Some(received_at),
        scope: Vec::new(),
        expires_at: None,
        notes: None,
        extra: Default::default(),
    };
    let all_indicators: Vec<&str> = INDICATORS.iter().map(|(n, _)| *n).collect();
    let mut indicators: Vec<String> =
        (0..rng.random_range(0..=4)).map(|_| pick(rng, &all_indicators).to_string()).collect();
    indicators.sort();
    indicators.dedup();
    let narrative = narrative(rng, place_type, trafficking_type, urgency, &place.city, motel, street);
    let referral = Referral {
        external_id: format!("NHTH-{}-{:07}", received_at.format("%y%m"), i + 1),
        source,
        received_at,
        trafficking_type,
        urgency,
        location,
        potential_victims: Some(potential_victims),
        suspects,
        reporter: Some(reporter),
        consent: Some(consent),
        indicators,
        narrative,
        extra: Default::default(),
    };
    (referral, scene)
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn narrative(
    rng: &mut ChaCha8Rng,
    place: PlaceType,
    kind: TraffickingType,
    urgency: Urgency,
    city: &str,
    motel: &str,
    street: &str,
) -> String {
    let when = match urgency {
        Urgency::InProgress => "right now",
        Urgency::Imminent => "tonight",
        Urgency::Recent => "over the past week",
        Urgency::Historical => "last year",
    };
    let scene = match place {
        PlaceType::Hotel => format!("at the {motel} in {city}, room {}", rng.random_range(100..300)),
        PlaceType::Residence => format!("at a house on {street} in {city}"),
        PlaceType::Business => format!(
            "at a {} on {street}, {city}",
            pick(rng, &["massage parlor", "nail salon", "restaurant", "landscaping company", "warehouse"])
        ),
        PlaceType::TruckStop => format!("at a truck stop off the interstate near {city}"),
        PlaceType::Vehicle => format!("in a van that parks on {street} in {city}"),
        PlaceType::Street => format!("on {street} in {city}"),
        PlaceType::Online => "in online advertisements".to_string(),
        PlaceType::Other => format!("near {city}"),
    };
    let what = match kind {
        TraffickingType::Sex => pick(
            rng,
            &[
                "Caller saw young women brought in and out by an older man who holds their phones.",
                "Reporter believes a teenager is being advertised for commercial sex.",
                "Caller heard a woman say she cannot leave until she pays off a debt.",
            ],
        ),
        TraffickingType::Labor => pick(
            rng,
            &[
                "Workers say their passports were taken and they are paid far less than promised.",
                "Crew is driven to job sites before dawn and locked in the housing at night.",
                "Caller reports workers sleeping at the business and never leaving alone.",
            ],
        ),
        TraffickingType::Both => "Workers are forced to work days and are sold for sex at night, per the caller.",
        TraffickingType::Unknown => pick(
            rng,
            &[
                "Caller is unsure what is happening but something feels wrong: many visitors, covered windows.",
                "Reporter noticed a person who seemed afraid to speak and was watched closely.",
            ],
        ),
    };
    format!("Activity {when} {scene}. {what}")
}

fn roster(rng: &mut ChaCha8Rng, troops: &[String]) -> Vec<Responder> {
    let mut out = Vec::new();
    for troop in troops {
        let people: [(Role, usize, &str, &str); 4] = [
            (Role::Trooper, 3, "Tpr.", "Highway Patrol"),
            (Role::VictimAdvocate, 2, "", "Victim Services"),
            (Role::Investigator, 1, "Det.", "Highway Patrol DDCC"),
            (Role::Supervisor, 1, "Sgt.", "Highway Patrol"),
        ];
        for (role, count, title, agency) in people {
            for n in 1..=count {
                let (first, last) = (pick(rng, FIRST), pick(rng, LAST));
                let name = format!("{title} {first} {last}").trim().to_string();
                let languages = if role == Role::VictimAdvocate && n == 1 {
                    vec!["en".into(), "es".into()]
                } else {
                    vec!["en".into()]
                };
                out.push(Responder {
                    id: ResponderId(format!("{}-{}{}", troop, role_code(role), n)),
                    name,
                    role,
                    agency: agency.to_string(),
                    jurisdictions: vec![format!("Troop {troop}")],
                    languages,
                    // At least one trooper and one advocate per troop are always on duty.
                    on_duty: n == 1 || rng.random_bool(0.6),
                    email: Some(format!(
                        "{}.{}{}@example.org",
                        role_code(role).to_lowercase(),
                        troop.to_lowercase(),
                        n
                    )),
                    phone: Some(format!("(573) 555-{:04}", rng.random_range(0..10_000))),
                    webhook: None,
                });
            }
        }
    }
    out
}

fn role_code(r: Role) -> &'static str {
    match r {
        Role::Trooper => "T",
        Role::VictimAdvocate => "VA",
        Role::Investigator => "INV",
        Role::Supervisor => "SUP",
    }
}

const HOUR: i64 = 60;
const DAY: i64 = 24 * HOUR;

/// How fast a priority's cases move. Durations are in minutes, as (least, most).
struct Pace {
    /// Share closed at the desk without a handoff: old tips with nothing to act on.
    desk: f64,
    /// From receipt to the first handoff.
    handoff: (i64, i64),
    /// Share acknowledged inside the target.
    on_time: f64,
    /// From the handoff to the acknowledgement, when on time.
    ack: (i64, i64),
    /// From receipt to the acknowledgement, when late.
    late_ack: (i64, i64),
    /// Share where someone goes to the scene.
    go: f64,
    /// From the acknowledgement to arriving.
    travel: (i64, i64),
    /// Share that take longer to get there, and how long.
    late_travel: (f64, (i64, i64)),
    /// From the last step to closing the case.
    close: (i64, i64),
}

/// Inside the default targets (P1 15 min to acknowledge and 60 to arrive,
/// P2 1 h, P3 24 h, P4 72 h) for most cases, with a few late.
fn pace(p: Priority) -> Pace {
    match p {
        Priority::P1 => Pace {
            desk: 0.0,
            handoff: (1, 5),
            on_time: 0.96,
            ack: (1, 9),
            late_ack: (16, 35),
            go: 0.985,
            travel: (8, 40),
            late_travel: (0.025, (45, 100)),
            close: (HOUR, 12 * HOUR),
        },
        Priority::P2 => Pace {
            desk: 0.0,
            handoff: (3, 25),
            on_time: 0.9,
            ack: (3, 30),
            late_ack: (65, 4 * HOUR),
            go: 0.45,
            travel: (30, 6 * HOUR),
            late_travel: (0.0, (0, 1)),
            close: (2 * HOUR, 30 * HOUR),
        },
        Priority::P3 => Pace {
            desk: 0.05,
            handoff: (20, 6 * HOUR),
            on_time: 0.9,
            ack: (20, 12 * HOUR),
            late_ack: (25 * HOUR, 2 * DAY),
            go: 0.25,
            travel: (HOUR, DAY),
            late_travel: (0.0, (0, 1)),
            close: (6 * HOUR, 36 * HOUR),
        },
        Priority::P4 => Pace {
            desk: 0.35,
            handoff: (HOUR, DAY),
            on_time: 0.9,
            ack: (HOUR, 40 * HOUR),
            late_ack: (73 * HOUR, 5 * DAY),
            go: 0.08,
            travel: (2 * HOUR, 2 * DAY),
            late_travel: (0.0, (0, 1)),
            close: (12 * HOUR, 3 * DAY),
        },
    }
}

fn minutes(rng: &mut ChaCha8Rng, (least, most): (i64, i64)) -> Duration {
    Duration::seconds(rng.random_range(least * 60..most * 60))
}

/// What happened to a case, paced by its priority: urgent cases are handed
/// off in minutes and reached within the hour, and nearly every case is
/// closed within a few days. Steps after `now` have not happened yet, so the
/// newest cases are part way along; a small tail is never acknowledged or
/// never closed (the stale cases a supervisor reviews).
fn history(
    rng: &mut ChaCha8Rng,
    i: usize,
    r: &Referral,
    roster: &[Responder],
    now: DateTime<Utc>,
    steps: &mut Vec<Step>,
) {
    let troopers: Vec<&Responder> = roster.iter().filter(|p| p.role == Role::Trooper).collect();
    let advocates: Vec<&Responder> = roster.iter().filter(|p| p.role == Role::VictimAdvocate).collect();
    let (Some(trooper), Some(advocate)) = (troopers.choose(rng), advocates.choose(rng)) else { return };
    let priority = triage::triage(r).priority;
    let pace = pace(priority);
    let stale = rng.random_bool(if priority == Priority::P1 { 0.01 } else { 0.025 });
    let mut push = |at: DateTime<Utc>, action: Action| {
        let happened = at < now;
        if happened {
            steps.push(Step { at, referral: i, action });
        }
        happened
    };

    if rng.random_bool(pace.desk) {
        let at = r.received_at + minutes(rng, (2 * HOUR, 36 * HOUR));
        push(at, Action::Close { disposition: pick(rng, DESK_DISPOSITIONS).to_string() });
        return;
    }
    let handoff = r.received_at + minutes(rng, pace.handoff);
    if !push(handoff, Action::HandOff { responder: trooper.id.clone() }) {
        return;
    }
    let with_advocate = rng.random_bool(0.6);
    if with_advocate {
        push(handoff + Duration::seconds(30), Action::HandOff { responder: advocate.id.clone() });
    }
    let ack = if rng.random_bool(pace.on_time) {
        handoff + minutes(rng, pace.ack)
    } else {
        (r.received_at + minutes(rng, pace.late_ack)).max(handoff + Duration::minutes(1))
    };
    if stale && priority != Priority::P1 && rng.random_bool(0.5) {
        return;
    }
    if !push(ack, Action::Acknowledge) {
        return;
    }
    if with_advocate {
        push(ack + minutes(rng, (1, 20)), Action::Acknowledge);
    }
    let went = rng.random_bool(pace.go);
    if rng.random_bool(0.4) {
        let notes: &[&str] = if went {
            &["Trooper en route.", "Advocate standing by.", "Called the reporter back; details confirmed."]
        } else {
            &[
                "Called the reporter back; details confirmed.",
                "Left a message for the reporter.",
                "Passed to the task force.",
            ]
        };
        push(ack + Duration::seconds(rng.random_range(30..300)), Action::Note { text: pick(rng, notes).to_string() });
    }
    let mut last = ack;
    if went {
        let (late_share, late) = pace.late_travel;
        let travel = if rng.random_bool(late_share) { late } else { pace.travel };
        last = ack + minutes(rng, travel);
        if !push(last, Action::OnScene) {
            return;
        }
    }
    if stale {
        return;
    }
    let disposition = pick(rng, if went { DISPOSITIONS } else { FOLLOW_UP_DISPOSITIONS }).to_string();
    push(last + minutes(rng, pace.close), Action::Close { disposition });
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn places() -> Vec<Place> {
        vec![Place {
            zip: "65801".into(),
            city: "Springfield".into(),
            county: "Greene".into(),
            state: Some("MO".into()),
            lat: 37.2,
            lon: -93.3,
        }]
    }

    fn opts(n: usize) -> Options {
        Options {
            referrals: n,
            seed: 7,
            now: Utc.with_ymd_and_hms(2026, 11, 30, 3, 0, 0).unwrap(),
            troops: vec!["A".into(), "B".into()],
            history: true,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_data_and_every_referral_is_valid() {
        let a = generate(&places(), &opts(300));
        let b = generate(&places(), &opts(300));
        assert_eq!(a.referrals, b.referrals);
        assert_eq!(a.steps, b.steps);
        let now = opts(0).now;
        for r in &a.referrals {
            assert!(beacon_domain::validate::validate_referral(r, now).is_empty(), "{r:?}");
            assert!(r.received_at <= now);
        }
        let ids: std::collections::HashSet<_> = a.referrals.iter().map(|r| &r.external_id).collect();
        assert_eq!(ids.len(), 300);
    }

    #[test]
    fn every_troop_has_an_on_duty_trooper_and_advocate() {
        let d = generate(&places(), &opts(10));
        for troop in ["Troop A", "Troop B"] {
            for role in [Role::Trooper, Role::VictimAdvocate] {
                assert!(
                    d.responders
                        .iter()
                        .any(|r| r.role == role && r.on_duty && r.jurisdictions.contains(&troop.to_string()))
                );
            }
        }
    }

    #[test]
    fn old_cases_are_mostly_closed() {
        let o = opts(2_000);
        let d = generate(&places(), &o);
        let old: Vec<usize> =
            (0..d.referrals.len()).filter(|&i| o.now - d.referrals[i].received_at > Duration::days(7)).collect();
        let closed = old
            .iter()
            .filter(|&&i| d.steps.iter().any(|s| s.referral == i && matches!(s.action, Action::Close { .. })))
            .count();
        assert!(closed as f64 > 0.9 * old.len() as f64, "{closed} of {} old cases closed", old.len());
    }

    #[test]
    fn steps_are_in_time_order_and_in_the_past() {
        let d = generate(&places(), &opts(500));
        assert!(d.steps.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(d.steps.iter().all(|s| s.at < opts(0).now && s.at >= d.referrals[s.referral].received_at));
        assert!(d.steps.iter().any(|s| matches!(s.action, Action::Close { .. })));
    }
}
