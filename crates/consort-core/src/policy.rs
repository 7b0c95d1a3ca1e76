//! Who may do what: the one place where access is decided. The web layer asks
//! here before it shows or changes anything; handlers never decide on their own.

use crate::ids::{Email, OrgId};
use crate::org::{Membership, Role};

/// A signed-in person and the roles they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Their account number.
    pub user_id: i64,
    /// Their email address.
    pub email: Email,
    /// Every role they hold, at each organisation.
    pub memberships: Vec<Membership>,
}

impl Actor {
    /// Whether they hold `role` at any organisation.
    pub fn has_role(&self, role: Role) -> bool {
        self.memberships.iter().any(|m| m.role == role)
    }

    /// Whether they hold `role` at `org`.
    pub fn has_role_at(&self, role: Role, org: &OrgId) -> bool {
        self.memberships
            .iter()
            .any(|m| m.role == role && &m.org == org)
    }

    /// Whether they hold any role at `org`.
    pub fn belongs_to(&self, org: &OrgId) -> bool {
        self.memberships.iter().any(|m| &m.org == org)
    }

    /// The organisations they act for, each once, in the order first held.
    pub fn organisations(&self) -> Vec<&OrgId> {
        let mut out: Vec<&OrgId> = Vec::new();
        for m in &self.memberships {
            if !out.contains(&&m.org) {
                out.push(&m.org);
            }
        }
        out
    }

    /// The roles they hold, each once, in [`Role::ALL`] order.
    pub fn roles(&self) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| self.has_role(*r))
            .collect()
    }

    /// The audit log's name for them.
    pub fn audit_name(&self) -> String {
        format!("user:{}", self.email)
    }
}

/// Something a person asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// See their own dashboard.
    ViewDashboard,
    /// List organisations and see their public details (name, kind, identifier).
    ListOrganisations,
    /// List the consortia one's organisation belongs to or coordinates.
    ListConsortia,
    /// Add an organisation.
    CreateOrganisation,
    /// See an organisation's private details: contact details and its people.
    ViewOrganisationPrivate {
        /// The organisation asked about.
        org: &'a OrgId,
    },
    /// Add people or give them roles.
    ManageUsers,
    /// Read the audit log.
    ViewAuditLog,
    /// See a consortium, its members and coordinator.
    ViewConsortium {
        /// The consortium's coordinator.
        coordinator: &'a OrgId,
        /// Its current members.
        members: &'a [OrgId],
    },
    /// Create a consortium led by `coordinator`.
    CreateConsortium {
        /// The organisation that will lead it.
        coordinator: &'a OrgId,
    },
    /// See the planner across a consortium's members and decide which of their
    /// contracts are comparable.
    PlanConsortium {
        /// The consortium's coordinator.
        coordinator: &'a OrgId,
    },
    /// Add or remove members of a consortium led by `coordinator`.
    ManageConsortium {
        /// The consortium's coordinator.
        coordinator: &'a OrgId,
    },
    /// See an authority's contracts register. `coordinators` are the coordinators
    /// of the consortia the authority belongs to, who plan across members.
    ViewRegister {
        /// The authority whose register it is.
        authority: &'a OrgId,
        /// The coordinators of the consortia the authority is a member of.
        coordinators: &'a [OrgId],
    },
    /// Add to, import into or change an authority's contracts register, and
    /// record extensions.
    EditRegister {
        /// The authority whose register it is.
        authority: &'a OrgId,
    },
    /// Use the buying workspace (register contracts, run competitions).
    UseBuyerWorkspace,
    /// Use the coordinator's workspace (planning across members).
    UseCoordinatorWorkspace,
    /// Use the evaluation workspace.
    UseEvaluatorWorkspace,
    /// Use the bid-opening workspace.
    UseOpenerWorkspace,
    /// Use the supplier's workspace (opportunities, bids).
    UseSupplierWorkspace,
}

/// A refusal, with the reason shown to the person refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Denied {
    /// Why, in words a person understands.
    pub reason: &'static str,
}

fn allow_if(cond: bool, reason: &'static str) -> Result<(), Denied> {
    if cond { Ok(()) } else { Err(Denied { reason }) }
}

/// Decides whether `actor` may do `action`.
pub fn authorize(actor: &Actor, action: Action<'_>) -> Result<(), Denied> {
    let admin = actor.has_role(Role::Admin);
    let public_body = actor.memberships.iter().any(|m| m.role != Role::Supplier);
    match action {
        Action::ViewDashboard | Action::ListOrganisations => allow_if(
            !actor.memberships.is_empty(),
            "your account has no roles yet: ask an administrator to give you one",
        ),
        Action::ListConsortia => allow_if(
            public_body,
            "consortia are for contracting authorities and their coordinators",
        ),
        Action::CreateOrganisation | Action::ManageUsers | Action::ViewAuditLog => {
            allow_if(admin, "only administrators can do this")
        }
        Action::ViewOrganisationPrivate { org } => allow_if(
            admin || actor.belongs_to(org),
            "only people of this organisation can see its contact details and people",
        ),
        Action::ViewConsortium {
            coordinator,
            members,
        } => allow_if(
            admin
                || (public_body
                    && (actor.belongs_to(coordinator)
                        || members.iter().any(|m| actor.belongs_to(m)))),
            "only the consortium's coordinator and members can see it",
        ),
        Action::PlanConsortium { coordinator } => allow_if(
            admin || actor.has_role_at(Role::Coordinator, coordinator),
            "only the consortium's coordinator can plan across its members",
        ),
        Action::CreateConsortium { coordinator } | Action::ManageConsortium { coordinator } => {
            allow_if(
                admin || actor.has_role_at(Role::Coordinator, coordinator),
                "only the consortium's coordinator can change its membership",
            )
        }
        Action::ViewRegister {
            authority,
            coordinators,
        } => allow_if(
            admin
                || (public_body && actor.belongs_to(authority))
                || coordinators
                    .iter()
                    .any(|c| actor.has_role_at(Role::Coordinator, c)),
            "only the authority's own people and its consortia's coordinators can see its contracts register",
        ),
        Action::EditRegister { authority } => allow_if(
            admin || actor.has_role_at(Role::Buyer, authority),
            "only the authority's buyers can change its contracts register",
        ),
        Action::UseBuyerWorkspace => allow_if(
            actor.has_role(Role::Buyer),
            "this page is for buyers of a contracting authority",
        ),
        Action::UseCoordinatorWorkspace => allow_if(
            actor.has_role(Role::Coordinator),
            "this page is for consortium coordinators",
        ),
        Action::UseEvaluatorWorkspace => allow_if(
            actor.has_role(Role::Evaluator),
            "this page is for evaluators",
        ),
        Action::UseOpenerWorkspace => {
            allow_if(actor.has_role(Role::Opener), "this page is for bid openers")
        }
        Action::UseSupplierWorkspace => {
            allow_if(actor.has_role(Role::Supplier), "this page is for suppliers")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[(&str, Role)]) -> Actor {
        Actor {
            user_id: 1,
            email: Email::parse("person@example.gov.uk").unwrap(),
            memberships: roles
                .iter()
                .map(|(org, role)| Membership {
                    org: OrgId::parse(org).unwrap(),
                    role: *role,
                })
                .collect(),
        }
    }

    fn id(s: &str) -> OrgId {
        OrgId::parse(s).unwrap()
    }

    #[test]
    fn suppliers_cannot_use_buyer_pages_and_buyers_cannot_use_supplier_pages() {
        let supplier = actor(&[("GB-COH-01234567", Role::Supplier)]);
        let buyer = actor(&[("GB-LAE-CMD", Role::Buyer)]);
        assert!(authorize(&supplier, Action::UseBuyerWorkspace).is_err());
        assert!(authorize(&supplier, Action::UseSupplierWorkspace).is_ok());
        assert!(authorize(&buyer, Action::UseBuyerWorkspace).is_ok());
        assert!(authorize(&buyer, Action::UseSupplierWorkspace).is_err());
        assert!(authorize(&supplier, Action::ListConsortia).is_err());
        assert!(authorize(&buyer, Action::ListConsortia).is_ok());
    }

    #[test]
    fn private_details_stay_within_the_organisation() {
        let camden_buyer = actor(&[("GB-LAE-CMD", Role::Buyer)]);
        let admin = actor(&[("GB-LAE-HCK", Role::Admin)]);
        let camden = id("GB-LAE-CMD");
        let hackney = id("GB-LAE-HCK");
        assert!(
            authorize(
                &camden_buyer,
                Action::ViewOrganisationPrivate { org: &camden }
            )
            .is_ok()
        );
        assert!(
            authorize(
                &camden_buyer,
                Action::ViewOrganisationPrivate { org: &hackney }
            )
            .is_err()
        );
        assert!(authorize(&admin, Action::ViewOrganisationPrivate { org: &camden }).is_ok());
    }

    #[test]
    fn consortia_are_seen_by_their_coordinator_and_members_only() {
        let coordinator = id("GB-COH-ZZ000100");
        let members = [id("GB-LAE-CMD"), id("GB-LAE-HCK")];
        let view = Action::ViewConsortium {
            coordinator: &coordinator,
            members: &members,
        };
        assert!(authorize(&actor(&[("GB-LAE-CMD", Role::Evaluator)]), view).is_ok());
        assert!(authorize(&actor(&[("GB-COH-ZZ000100", Role::Coordinator)]), view).is_ok());
        assert!(authorize(&actor(&[("GB-LAE-ISL", Role::Buyer)]), view).is_err());
        let manage = Action::ManageConsortium {
            coordinator: &coordinator,
        };
        assert!(authorize(&actor(&[("GB-LAE-CMD", Role::Buyer)]), manage).is_err());
        assert!(authorize(&actor(&[("GB-COH-ZZ000100", Role::Coordinator)]), manage).is_ok());
        assert!(
            authorize(&actor(&[("GB-LAE-CMD", Role::Coordinator)]), manage).is_err(),
            "a coordinator of another organisation cannot manage this consortium"
        );
    }

    #[test]
    fn registers_are_seen_by_their_authority_and_its_coordinators_and_changed_by_its_buyers() {
        let camden = id("GB-LAE-CMD");
        let lead = [id("GB-COH-ZZ000100")];
        let view = Action::ViewRegister {
            authority: &camden,
            coordinators: &lead,
        };
        let edit = Action::EditRegister { authority: &camden };
        let camden_evaluator = actor(&[("GB-LAE-CMD", Role::Evaluator)]);
        let camden_buyer = actor(&[("GB-LAE-CMD", Role::Buyer)]);
        let hackney_buyer = actor(&[("GB-LAE-HCK", Role::Buyer)]);
        let coordinator = actor(&[("GB-COH-ZZ000100", Role::Coordinator)]);
        let supplier = actor(&[("GB-COH-01234567", Role::Supplier)]);
        assert!(authorize(&camden_evaluator, view).is_ok());
        assert!(authorize(&camden_evaluator, edit).is_err());
        assert!(authorize(&camden_buyer, edit).is_ok());
        assert!(authorize(&hackney_buyer, view).is_err());
        assert!(authorize(&coordinator, view).is_ok());
        assert!(authorize(&coordinator, edit).is_err());
        assert!(authorize(&supplier, view).is_err());
    }

    #[test]
    fn only_admins_administer() {
        for role in Role::ALL {
            let a = actor(&[("GB-LAE-CMD", role)]);
            let expected = role == Role::Admin;
            assert_eq!(authorize(&a, Action::ViewAuditLog).is_ok(), expected);
            assert_eq!(authorize(&a, Action::CreateOrganisation).is_ok(), expected);
            assert_eq!(authorize(&a, Action::ManageUsers).is_ok(), expected);
        }
    }

    #[test]
    fn a_person_without_roles_sees_nothing() {
        let nobody = actor(&[]);
        assert!(authorize(&nobody, Action::ViewDashboard).is_err());
        assert!(authorize(&nobody, Action::ListOrganisations).is_err());
    }
}
