//! Organisations, consortia, people and the roles they hold.

use crate::ids::{Email, OrgId, ParseError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What part an organisation plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgKind {
    /// A contracting authority: a council or other public body that buys.
    Authority,
    /// A company that bids for and holds contracts.
    Supplier,
    /// A body that leads a consortium of authorities.
    Coordinator,
}

impl OrgKind {
    /// Every kind, in the order forms list them.
    pub const ALL: [OrgKind; 3] = [OrgKind::Authority, OrgKind::Supplier, OrgKind::Coordinator];

    /// The word used on the command line and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Authority => "authority",
            OrgKind::Supplier => "supplier",
            OrgKind::Coordinator => "coordinator",
        }
    }

    /// The label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            OrgKind::Authority => "Contracting authority",
            OrgKind::Supplier => "Supplier",
            OrgKind::Coordinator => "Coordinator",
        }
    }
}

impl fmt::Display for OrgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrgKind {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "authority" => Ok(OrgKind::Authority),
            "supplier" => Ok(OrgKind::Supplier),
            "coordinator" => Ok(OrgKind::Coordinator),
            other => Err(ParseError::new(
                "kind",
                format!(
                    "'{other}' is not a kind of organisation: use authority, supplier or coordinator"
                ),
            )),
        }
    }
}

/// What a person may do for an organisation. A person holds roles through
/// memberships, one role per membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the installation: organisations, people, the audit log.
    Admin,
    /// Leads a consortium: members, planning across members.
    Coordinator,
    /// A procurement officer of an authority.
    Buyer,
    /// Scores bids.
    Evaluator,
    /// One of the officers who together open sealed bids.
    Opener,
    /// Acts for a supplier.
    Supplier,
}

impl Role {
    /// Every role, in the order forms list them.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Coordinator,
        Role::Buyer,
        Role::Evaluator,
        Role::Opener,
        Role::Supplier,
    ];

    /// The word used on the command line and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::Buyer => "buyer",
            Role::Evaluator => "evaluator",
            Role::Opener => "opener",
            Role::Supplier => "supplier",
        }
    }

    /// The label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Coordinator => "Consortium coordinator",
            Role::Buyer => "Buyer",
            Role::Evaluator => "Evaluator",
            Role::Opener => "Bid opener",
            Role::Supplier => "Supplier",
        }
    }

    /// Whether a person of an organisation of `kind` may hold this role.
    /// Suppliers' people act only as suppliers; public bodies' people never do.
    pub fn fits(self, kind: OrgKind) -> bool {
        match self {
            Role::Supplier => kind == OrgKind::Supplier,
            Role::Coordinator => kind == OrgKind::Coordinator || kind == OrgKind::Authority,
            Role::Admin | Role::Buyer | Role::Evaluator | Role::Opener => kind != OrgKind::Supplier,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                ParseError::new(
                    "role",
                    format!(
                        "'{}' is not a role: use one of admin, coordinator, buyer, evaluator, opener, supplier",
                        s.trim()
                    ),
                )
            })
    }
}

/// How to reach an organisation. Every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDetails {
    /// A named person or team.
    pub name: Option<String>,
    /// An email address for procurement matters.
    pub email: Option<Email>,
    /// A telephone number as written.
    pub telephone: Option<String>,
    /// A postal address, one string.
    pub address: Option<String>,
}

/// An organisation known to Consort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Its org-id identifier.
    pub id: OrgId,
    /// Its name as it is known publicly.
    pub name: String,
    /// What part it plays.
    pub kind: OrgKind,
    /// How to reach it.
    pub contact: ContactDetails,
}

/// A new organisation, parsed from what a person entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganisation(pub Organisation);

impl NewOrganisation {
    /// Parses the fields of an organisation, reporting every field in error.
    pub fn parse(
        id: &str,
        name: &str,
        kind: &str,
        contact_email: Option<&str>,
        telephone: Option<&str>,
        address: Option<&str>,
    ) -> Result<Self, Vec<ParseError>> {
        let mut errors = Vec::new();
        let id = OrgId::parse(id).map_err(|e| errors.push(e)).ok();
        let name = name.trim();
        if name.is_empty() {
            errors.push(ParseError::new("name", "enter the organisation's name"));
        } else if name.chars().count() > 200 {
            errors.push(ParseError::new(
                "name",
                "the name must be 200 characters or fewer",
            ));
        }
        let kind = kind.parse::<OrgKind>().map_err(|e| errors.push(e)).ok();
        let email = match contact_email.map(str::trim).filter(|s| !s.is_empty()) {
            Some(e) => Email::parse(e)
                .map_err(|e| errors.push(ParseError::new("contact_email", e.reason)))
                .ok(),
            None => None,
        };
        let clean = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        match (id, kind) {
            (Some(id), Some(kind)) if errors.is_empty() => Ok(Self(Organisation {
                id,
                name: name.to_string(),
                kind,
                contact: ContactDetails {
                    name: None,
                    email,
                    telephone: clean(telephone),
                    address: clean(address),
                },
            })),
            _ => Err(errors),
        }
    }
}

/// A named group of authorities led by a coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consortium {
    /// Its number in this installation.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The organisation that leads it.
    pub coordinator: OrgId,
}

/// Why a change to a consortium's membership is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MembershipError {
    /// Only contracting authorities can be members.
    #[error("{0} is not a contracting authority, so it cannot be a member of a consortium")]
    NotAnAuthority(OrgId),
    /// Joining twice.
    #[error("{0} is already a member of this consortium")]
    AlreadyMember(OrgId),
    /// Leaving without having joined.
    #[error("{0} is not a member of this consortium")]
    NotMember(OrgId),
    /// The coordinator must be of the right kind.
    #[error("{0} cannot coordinate a consortium: it is a supplier")]
    CoordinatorIsSupplier(OrgId),
}

/// Decides whether `org` may join a consortium whose current members are `members`.
pub fn check_join(org: &Organisation, members: &[OrgId]) -> Result<(), MembershipError> {
    if org.kind != OrgKind::Authority {
        return Err(MembershipError::NotAnAuthority(org.id.clone()));
    }
    if members.contains(&org.id) {
        return Err(MembershipError::AlreadyMember(org.id.clone()));
    }
    Ok(())
}

/// Decides whether `org` may leave a consortium whose current members are `members`.
pub fn check_leave(org: &OrgId, members: &[OrgId]) -> Result<(), MembershipError> {
    if !members.contains(org) {
        return Err(MembershipError::NotMember(org.clone()));
    }
    Ok(())
}

/// Decides whether `org` may coordinate a consortium.
pub fn check_coordinator(org: &Organisation) -> Result<(), MembershipError> {
    if org.kind == OrgKind::Supplier {
        return Err(MembershipError::CoordinatorIsSupplier(org.id.clone()));
    }
    Ok(())
}

/// One role a person holds at one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Membership {
    /// The organisation.
    pub org: OrgId,
    /// The role held there.
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, kind: OrgKind) -> Organisation {
        Organisation {
            id: OrgId::parse(id).unwrap(),
            name: id.into(),
            kind,
            contact: ContactDetails::default(),
        }
    }

    #[test]
    fn roles_and_kinds_round_trip_through_text() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        for k in OrgKind::ALL {
            assert_eq!(k.as_str().parse::<OrgKind>().unwrap(), k);
        }
        assert!(
            "auditor"
                .parse::<Role>()
                .unwrap_err()
                .reason
                .contains("evaluator")
        );
    }

    #[test]
    fn supplier_people_are_only_suppliers() {
        assert!(Role::Supplier.fits(OrgKind::Supplier));
        assert!(!Role::Buyer.fits(OrgKind::Supplier));
        assert!(!Role::Supplier.fits(OrgKind::Authority));
        assert!(Role::Coordinator.fits(OrgKind::Coordinator));
        assert!(Role::Buyer.fits(OrgKind::Authority));
    }

    #[test]
    fn only_authorities_join_and_only_once() {
        let camden = org("GB-LAE-CMD", OrgKind::Authority);
        let supplier = org("GB-COH-01234567", OrgKind::Supplier);
        assert_eq!(check_join(&camden, &[]), Ok(()));
        assert_eq!(
            check_join(&camden, std::slice::from_ref(&camden.id)),
            Err(MembershipError::AlreadyMember(camden.id.clone()))
        );
        assert!(matches!(
            check_join(&supplier, &[]),
            Err(MembershipError::NotAnAuthority(_))
        ));
        assert!(check_leave(&camden.id, &[]).is_err());
        assert!(check_leave(&camden.id, std::slice::from_ref(&camden.id)).is_ok());
        assert!(check_coordinator(&supplier).is_err());
    }

    #[test]
    fn new_organisation_reports_every_bad_field() {
        let errors =
            NewOrganisation::parse("nope", " ", "council", Some("x"), None, None).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["id", "name", "kind", "contact_email"]);
        let ok = NewOrganisation::parse(
            "GB-LAE-HCK",
            "London Borough of Hackney",
            "authority",
            None,
            Some(" "),
            None,
        )
        .unwrap();
        assert_eq!(ok.0.contact.telephone, None);
    }
}
