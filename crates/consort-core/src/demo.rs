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
        person("opener1@cmd.example", camden, Role::Opener),
        person("opener2@cmd.example", camden, Role::Opener),
        person("buyer@hck.example", hackney, Role::Buyer),
        person("supplier@supplier1.example", &suppliers[0], Role::Supplier),
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

#[cfg(test)]
mod tests {
    use super::*;

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
