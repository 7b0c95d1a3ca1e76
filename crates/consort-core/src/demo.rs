//! The demonstration data set: a consortium of London boroughs replacing their
//! housing-management systems, the suppliers who might bid, and one person for
//! every role. Borough names and identifiers are real (org-id `GB-LAE` codes);
//! the coordinator and the suppliers are fictional and say so.

use crate::ids::{Email, OrgId};
use crate::org::{ContactDetails, OrgKind, Organisation, Role};

/// The London boroughs in the demo consortium: (GB-LAE code, name).
pub const BOROUGHS: [(&str, &str); 10] = [
    ("CMD", "London Borough of Camden"),
    ("GRE", "Royal Borough of Greenwich"),
    ("HCK", "London Borough of Hackney"),
    ("HMF", "London Borough of Hammersmith and Fulham"),
    ("ISL", "London Borough of Islington"),
    ("LBH", "London Borough of Lambeth"),
    ("LEW", "London Borough of Lewisham"),
    ("SWK", "London Borough of Southwark"),
    ("TWH", "London Borough of Tower Hamlets"),
    ("WSM", "Westminster City Council"),
];

/// Fictional suppliers of housing-management software.
pub const SUPPLIERS: [&str; 10] = [
    "Example Housing Systems Ltd",
    "Sample Tenancy Software Ltd",
    "Illustrative Estates Digital Ltd",
    "Placeholder Property Platforms Ltd",
    "Demonstration Repairs Cloud Ltd",
    "Specimen Rent Accounting Ltd",
    "Mock Lettings Technology Ltd",
    "Exemplar Asset Management Ltd",
    "Model Neighbourhood Services Ltd",
    "Prototype Housing Data Ltd",
];

/// The consortium's name.
pub const CONSORTIUM_NAME: &str = "London Housing Systems Consortium";

/// A person in the demo, with the role they hold and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPerson {
    /// Their email address (on the reserved `.example` domain).
    pub email: Email,
    /// Their organisation.
    pub org: OrgId,
    /// Their role.
    pub role: Role,
}

/// Everything the demo loads.
#[derive(Debug, Clone)]
pub struct DemoData {
    /// Organisations: the coordinator, the boroughs, the suppliers.
    pub organisations: Vec<Organisation>,
    /// The coordinator of the consortium.
    pub coordinator: OrgId,
    /// The consortium's member boroughs.
    pub members: Vec<OrgId>,
    /// One person per role, and a second buyer at another borough.
    pub people: Vec<DemoPerson>,
}

fn org(id: &str, name: &str, kind: OrgKind, email: &str) -> Organisation {
    Organisation {
        id: OrgId::parse(id).expect("demo identifiers are valid"),
        name: name.to_string(),
        kind,
        contact: ContactDetails {
            name: Some("Procurement team".into()),
            email: Some(Email::parse(email).expect("demo emails are valid")),
            telephone: None,
            address: None,
        },
    }
}

/// Builds the demo data set.
pub fn data() -> DemoData {
    let coordinator = org(
        "GB-COH-ZZ000100",
        "London Housing Procurement Partnership (fictional demo coordinator)",
        OrgKind::Coordinator,
        "procurement@lhpp.example",
    );
    let boroughs: Vec<Organisation> = BOROUGHS
        .iter()
        .map(|(code, name)| {
            let slug = code.to_ascii_lowercase();
            org(
                &format!("GB-LAE-{code}"),
                name,
                OrgKind::Authority,
                &format!("procurement@{slug}.example"),
            )
        })
        .collect();
    let suppliers: Vec<Organisation> = SUPPLIERS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            org(
                &format!("GB-COH-ZZ{:06}", i + 1),
                name,
                OrgKind::Supplier,
                &format!("bids@supplier{}.example", i + 1),
            )
        })
        .collect();
    let person = |email: &str, org: &Organisation, role| DemoPerson {
        email: Email::parse(email).expect("demo emails are valid"),
        org: org.id.clone(),
        role,
    };
    let camden = &boroughs[0];
    let hackney = &boroughs[2];
    let people = vec![
        person("admin@lhpp.example", &coordinator, Role::Admin),
        person("coordinator@lhpp.example", &coordinator, Role::Coordinator),
        person("buyer@cmd.example", camden, Role::Buyer),
        person("evaluator@cmd.example", camden, Role::Evaluator),
        person("evaluator2@cmd.example", camden, Role::Evaluator),
        person("moderator@cmd.example", camden, Role::Evaluator),
        person("opener1@cmd.example", camden, Role::Opener),
        person("opener2@cmd.example", camden, Role::Opener),
        person("buyer@hck.example", hackney, Role::Buyer),
        person("supplier@supplier1.example", &suppliers[0], Role::Supplier),
        person("supplier@supplier2.example", &suppliers[1], Role::Supplier),
    ];
    DemoData {
        coordinator: coordinator.id.clone(),
        members: boroughs.iter().map(|b| b.id.clone()).collect(),
        organisations: std::iter::once(coordinator)
            .chain(boroughs)
            .chain(suppliers)
            .collect(),
        people,
    }
}

/// A kind of contract every borough holds, for the synthetic registers.
struct Kind {
    category: &'static str,
    cpv: Option<&'static str>,
    titles: &'static [&'static str],
    suppliers: &'static [&'static str],
    /// Typical annual value in pounds, before the borough's own variation.
    annual_pounds: i64,
    term_years: i16,
    /// How many of this kind each borough has.
    per_borough: usize,
}

const KINDS: &[Kind] = &[
    Kind {
        category: "Housing management system",
        cpv: Some("48000000"),
        titles: &[
            "Housing management system",
            "Integrated housing management IT system",
            "Housing system: rents, repairs and tenancy",
        ],
        suppliers: &[
            "Example Housing Systems Ltd",
            "Sample Tenancy Software Ltd",
            "Placeholder Property Platforms Ltd",
        ],
        annual_pounds: 420_000,
        term_years: 5,
        per_borough: 1,
    },
    Kind {
        category: "Housing management system",
        cpv: None,
        titles: &[
            "Support and maintenance of the housing management system",
            "Housing IT system hosting and support",
        ],
        suppliers: &["Example Housing Systems Ltd", "Sample Tenancy Software Ltd"],
        annual_pounds: 90_000,
        term_years: 3,
        per_borough: 1,
    },
    Kind {
        category: "Responsive repairs",
        cpv: Some("50700000"),
        titles: &[
            "Responsive repairs and voids",
            "Housing repairs and maintenance",
            "Day-to-day repairs to council homes",
        ],
        suppliers: &[
            "Demonstration Repairs Cloud Ltd",
            "Model Neighbourhood Services Ltd",
        ],
        annual_pounds: 6_500_000,
        term_years: 7,
        per_borough: 2,
    },
    Kind {
        category: "Waste collection",
        cpv: Some("90511000"),
        titles: &[
            "Household waste and recycling collection",
            "Refuse collection and street cleansing",
        ],
        suppliers: &[
            "Model Neighbourhood Services Ltd",
            "Exemplar Asset Management Ltd",
        ],
        annual_pounds: 9_000_000,
        term_years: 8,
        per_borough: 1,
    },
    Kind {
        category: "Temporary accommodation",
        cpv: None,
        titles: &[
            "Nightly-paid temporary accommodation",
            "Temporary accommodation for homeless households",
        ],
        suppliers: &[
            "Illustrative Estates Digital Ltd",
            "Mock Lettings Technology Ltd",
        ],
        annual_pounds: 2_400_000,
        term_years: 3,
        per_borough: 2,
    },
    Kind {
        category: "Legal services",
        cpv: Some("79100000"),
        titles: &[
            "Legal services panel",
            "External legal advice: housing litigation",
        ],
        suppliers: &["Specimen Rent Accounting Ltd", "Prototype Housing Data Ltd"],
        annual_pounds: 350_000,
        term_years: 4,
        per_borough: 1,
    },
    Kind {
        category: "Grounds maintenance",
        cpv: Some("77314000"),
        titles: &[
            "Grounds maintenance of housing estates",
            "Parks and estates grounds maintenance",
        ],
        suppliers: &["Model Neighbourhood Services Ltd"],
        annual_pounds: 1_100_000,
        term_years: 5,
        per_borough: 1,
    },
    Kind {
        category: "Library management system",
        cpv: Some("48161000"),
        titles: &["Library management system"],
        suppliers: &["Prototype Housing Data Ltd"],
        annual_pounds: 60_000,
        term_years: 5,
        per_borough: 1,
    },
];

/// A small deterministic generator (SplitMix64): the same registers every time.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Synthetic contracts registers for the demo boroughs: dozens of contracts each
/// in several categories, housing-management-system contracts ending across
/// several years, some with break clauses and extension options. Generated
/// deterministically; every contract says it is synthetic. Categories are left
/// unassigned on contracts without CPV codes, so that a coordinator has
/// groupings to confirm.
pub fn registers() -> Vec<crate::register::Contract> {
    use crate::register::{Contract, ContractStatus, CpvCode, Pence, Source, Span};
    use jiff::civil::Date;
    let mut seq = Sequence(0x0C0_4504_7D3A);
    let mut out = Vec::new();
    for (b, (code, _)) in BOROUGHS.iter().enumerate() {
        let authority =
            OrgId::parse(&format!("GB-LAE-{code}")).expect("demo identifiers are valid");
        let mut line = 1u64;
        for (k, kind) in KINDS.iter().enumerate() {
            for n in 0..kind.per_borough {
                line += 1;
                // Housing systems end between 2026 and 2031; the rest between 2025 and 2032.
                let (first_year, years) = if kind.category == "Housing management system" {
                    (2026, 6)
                } else {
                    (2025, 8)
                };
                let end_year = first_year + seq.below(years) as i16;
                let end = Date::new(end_year, 1 + seq.below(12) as i8, 1)
                    .expect("valid")
                    .last_of_month();
                let start = end
                    .saturating_sub(jiff::Span::new().years(i64::from(kind.term_years)))
                    .tomorrow()
                    .expect("valid");
                let extensions = match seq.below(4) {
                    0 => vec![],
                    1 => vec![Span::Months(12)],
                    2 => vec![Span::Months(12), Span::Months(12)],
                    _ => vec![Span::Months(24)],
                };
                let break_date =
                    (seq.below(4) == 0).then(|| end.saturating_sub(jiff::Span::new().years(1)));
                let annual = kind.annual_pounds * (80 + seq.below(41) as i64) / 100;
                let title = kind.titles[(b + n) % kind.titles.len()];
                let supplier = kind.suppliers[(b + k + n) % kind.suppliers.len()];
                out.push(Contract {
                    authority: authority.clone(),
                    reference: format!("{code}-{:02}{:02}", k + 1, n + 1),
                    title: title.to_string(),
                    description: format!(
                        "{title} for the London Borough ({code}). Synthetic demonstration data."
                    ),
                    supplier_name: Some(supplier.to_string()),
                    supplier_company_number: None,
                    cpv_codes: kind
                        .cpv
                        .map(|c| vec![CpvCode::parse(c).expect("valid")])
                        .unwrap_or_default(),
                    category: kind.cpv.map(|_| kind.category.to_string()),
                    total_value: Some(Pence(annual * 100 * i64::from(kind.term_years))),
                    annual_value: Some(Pence(annual * 100)),
                    start: Some(start),
                    end: Some(end),
                    extensions,
                    break_date,
                    notice_period: Some(Span::Months(3 + 3 * seq.below(2) as u32)),
                    status: ContractStatus::Active,
                    source: Source::Csv {
                        file: format!(
                            "demo-register-{}.csv (synthetic)",
                            code.to_ascii_lowercase()
                        ),
                        line,
                    },
                    extra: std::collections::BTreeMap::from([(
                        "Data".to_string(),
                        "Synthetic demonstration data, not a real contract".to_string(),
                    )]),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_registers_are_deterministic_valid_and_varied() {
        let a = registers();
        assert_eq!(a, registers(), "the same every time");
        assert!(
            a.len() >= 10 * 10,
            "dozens of contracts across the boroughs"
        );
        for c in &a {
            c.check().unwrap();
            assert!(c.extra.values().any(|v| v.contains("Synthetic")));
        }
        let hms: Vec<_> = a
            .iter()
            .filter(|c| {
                c.title.to_lowercase().contains("housing")
                    && c.title.to_lowercase().contains("system")
            })
            .collect();
        let years: std::collections::BTreeSet<i16> =
            hms.iter().filter_map(|c| c.end).map(|d| d.year()).collect();
        assert!(
            years.len() >= 3,
            "housing system contracts end over several years: {years:?}"
        );
        assert!(a.iter().any(|c| c.break_date.is_some()));
        assert!(a.iter().any(|c| !c.extensions.is_empty()));
        assert!(
            a.iter().any(|c| c.category.is_none()),
            "some are left for a coordinator to group"
        );
    }

    #[test]
    fn the_demo_has_what_the_foundation_promises() {
        let d = data();
        assert!(d.members.len() >= 8);
        let suppliers = d
            .organisations
            .iter()
            .filter(|o| o.kind == OrgKind::Supplier)
            .count();
        assert_eq!(suppliers, 10);
        for role in Role::ALL {
            assert!(d.people.iter().any(|p| p.role == role), "no {role}");
        }
        for p in &d.people {
            let org = d.organisations.iter().find(|o| o.id == p.org).unwrap();
            assert!(
                p.role.fits(org.kind),
                "{} cannot be {} at {}",
                p.email,
                p.role,
                org.id
            );
        }
    }
}
