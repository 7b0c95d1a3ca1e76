//! Who may do what: the one place where access is decided. The web layer asks
//! here before it shows or changes anything; handlers never decide on their own.

use crate::competition::{Competition, Status};
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
#[derive(Debug, Clone, Copy, PartialEq)]
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
    /// Start a competition led by `buyer`.
    CreateCompetition {
        /// The organisation that will lead it.
        buyer: &'a OrgId,
    },
    /// See a competition's page (each person sees only what the competition's
    /// views give them) and download its procurement documents.
    ViewCompetition {
        /// The competition.
        competition: &'a Competition,
    },
    /// Change a competition: edit the draft, publish, answer questions, amend,
    /// decide the award, issue the notice, cancel or close it.
    ManageCompetition {
        /// The competition.
        competition: &'a Competition,
    },
    /// Take part as `supplier`: ask questions, save and submit bids, read one's
    /// own receipts and assessment summary.
    BidInCompetition {
        /// The competition.
        competition: &'a Competition,
        /// The supplier the person acts for.
        supplier: &'a OrgId,
    },
    /// Approve the opening of a competition's sealed bids.
    OpenCompetitionBids {
        /// The competition.
        competition: &'a Competition,
    },
    /// Take part in a competition's evaluation: declare interests, score,
    /// and (for the moderator) moderate.
    EvaluateCompetition {
        /// The competition.
        competition: &'a Competition,
    },
    /// Be assigned to a competition's evaluation team (asked of the person
    /// being assigned, not of the buyer assigning them).
    JoinEvaluationTeam {
        /// The competition.
        competition: &'a Competition,
    },
    /// Set up (or replace) one's own opening key.
    SetOpeningKey,
    /// Create an organisation's recovery key, whose secret can stand in for one
    /// opener.
    CreateRecoveryKey {
        /// The organisation.
        org: &'a OrgId,
        /// Whether anyone holds the administrator role there.
        org_has_admin: bool,
    },
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
        Action::CreateCompetition { buyer } => allow_if(
            actor.has_role_at(Role::Buyer, buyer),
            "only the organisation's buyers can start a competition for it",
        ),
        Action::ViewCompetition { competition } => allow_if(
            is_buyer_of(actor, competition)
                || on_team(actor, competition)
                || (competition.status != Status::Draft && competition.is_authorised_opener(actor))
                || supplier_orgs(actor).any(|s| competition.visible_to_supplier(s)),
            "only the competition's buyers, evaluation team and openers, and the suppliers who may bid once it is published, can see it",
        ),
        Action::ManageCompetition { competition } => allow_if(
            actor.has_role_at(Role::Buyer, &competition.content.buyer),
            "only the lead buyer's buyers can change a competition",
        ),
        Action::BidInCompetition {
            competition,
            supplier,
        } => allow_if(
            actor.has_role_at(Role::Supplier, supplier)
                && competition.visible_to_supplier(supplier),
            "only people of a supplier that may bid can ask questions or bid",
        ),
        Action::OpenCompetitionBids { competition } => allow_if(
            competition.status != Status::Draft && competition.is_authorised_opener(actor),
            "only people with the opener role at the competition's buyers can open its bids",
        ),
        Action::EvaluateCompetition { competition } => allow_if(
            on_team(actor, competition),
            "only the competition's evaluators and moderator can take part in its evaluation",
        ),
        Action::JoinEvaluationTeam { competition } => allow_if(
            competition
                .buyers()
                .into_iter()
                .any(|b| actor.has_role_at(Role::Evaluator, b)),
            "evaluators and moderators must hold the evaluator role at one of the competition's buyers",
        ),
        Action::SetOpeningKey => allow_if(
            actor.has_role(Role::Opener),
            "only bid openers have opening keys",
        ),
        Action::CreateRecoveryKey { org, org_has_admin } => allow_if(
            actor.has_role_at(Role::Admin, org)
                || (!org_has_admin && actor.has_role_at(Role::Buyer, org)),
            "only the organisation's administrator (or, where it has none, its buyers) can create its recovery key",
        ),
    }
}

/// Whether `actor` holds the buyer role at one of the competition's buyers.
fn is_buyer_of(actor: &Actor, competition: &Competition) -> bool {
    competition
        .buyers()
        .into_iter()
        .any(|b| actor.has_role_at(Role::Buyer, b))
}

/// Whether `actor` is on the evaluation team and still an evaluator at a buyer.
fn on_team(actor: &Actor, competition: &Competition) -> bool {
    competition.evaluation.is_member(&actor.email)
        && competition
            .buyers()
            .into_iter()
            .any(|b| actor.has_role_at(Role::Evaluator, b))
}

/// The suppliers `actor` acts for.
fn supplier_orgs(actor: &Actor) -> impl Iterator<Item = &OrgId> {
    actor
        .memberships
        .iter()
        .filter(|m| m.role == Role::Supplier)
        .map(|m| &m.org)
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
    fn competition(buyer: &str, joint: &[&str], invited: Option<&[&str]>) -> Competition {
        use crate::calendar::Regime;
        use crate::competition::{CompetitionRules, DraftContent};
        let mut content = DraftContent::new("Housing system", id(buyer));
        content.joint_buyers = joint.iter().map(|j| id(j)).collect();
        content.consortium_id = (!joint.is_empty()).then_some(1);
        let rules = match invited {
            None => CompetitionRules::open_procedure(Regime::Pa2023),
            Some(list) => CompetitionRules::competitive_flexible(
                Regime::Pa2023,
                list.iter().map(|s| id(s)).collect(),
            ),
        };
        let created = Competition::create(
            "CMP-00001",
            rules,
            content,
            Email::parse("buyer@cmd.example").unwrap(),
            "2026-11-25T09:00:00Z".parse().unwrap(),
        )
        .unwrap();
        Competition::replay(&[created]).unwrap()
    }

    fn person(email: &str, roles: &[(&str, Role)]) -> Actor {
        Actor {
            email: Email::parse(email).unwrap(),
            ..actor(roles)
        }
    }

    fn with_team(mut c: Competition, evaluators: &[&str], moderator: &str) -> Competition {
        c.evaluation.team = Some(crate::competition::EvaluationTeam {
            evaluators: evaluators
                .iter()
                .map(|e| Email::parse(e).unwrap())
                .collect(),
            moderator: Email::parse(moderator).unwrap(),
            assigned_by: Email::parse("buyer@cmd.example").unwrap(),
            assigned_at: "2026-11-25T09:00:00Z".parse().unwrap(),
        });
        c
    }

    #[test]
    fn only_an_organisations_buyers_start_its_competitions() {
        let camden = id("GB-LAE-CMD");
        let create = Action::CreateCompetition { buyer: &camden };
        assert!(authorize(&actor(&[("GB-LAE-CMD", Role::Buyer)]), create).is_ok());
        assert!(authorize(&actor(&[("GB-LAE-HCK", Role::Buyer)]), create).is_err());
        assert!(authorize(&actor(&[("GB-LAE-CMD", Role::Evaluator)]), create).is_err());
        assert!(authorize(&actor(&[("GB-LAE-CMD", Role::Admin)]), create).is_err());
    }

    #[test]
    fn a_draft_is_seen_by_its_buyers_and_team_only() {
        let c = with_team(
            competition("GB-LAE-CMD", &["GB-LAE-HCK"], None),
            &["evaluator@cmd.example"],
            "moderator@cmd.example",
        );
        let view = Action::ViewCompetition { competition: &c };
        let manage = Action::ManageCompetition { competition: &c };
        let lead = actor(&[("GB-LAE-CMD", Role::Buyer)]);
        let joint = actor(&[("GB-LAE-HCK", Role::Buyer)]);
        assert!(authorize(&lead, view).is_ok());
        assert!(authorize(&lead, manage).is_ok());
        assert!(authorize(&joint, view).is_ok());
        assert!(
            authorize(&joint, manage).is_err(),
            "a joint buyer sees the competition but the lead buyer runs it"
        );
        let evaluator = person("evaluator@cmd.example", &[("GB-LAE-CMD", Role::Evaluator)]);
        let other_evaluator = person("other@cmd.example", &[("GB-LAE-CMD", Role::Evaluator)]);
        assert!(authorize(&evaluator, view).is_ok());
        assert!(authorize(&other_evaluator, view).is_err());
        let opener = actor(&[("GB-LAE-CMD", Role::Opener)]);
        assert!(
            authorize(&opener, view).is_err(),
            "openers wait for publication"
        );
        let supplier = actor(&[("GB-COH-ZZ000001", Role::Supplier)]);
        assert!(
            authorize(&supplier, view).is_err(),
            "suppliers never see a draft"
        );
        let admin = actor(&[("GB-COH-ZZ000100", Role::Admin)]);
        assert!(authorize(&admin, view).is_err());
    }

    #[test]
    fn published_competitions_are_seen_by_openers_and_the_suppliers_that_may_bid() {
        let mut c = competition("GB-LAE-CMD", &[], Some(&["GB-COH-ZZ000001"]));
        let invited = id("GB-COH-ZZ000001");
        let uninvited = id("GB-COH-ZZ000002");
        let invited_person = actor(&[("GB-COH-ZZ000001", Role::Supplier)]);
        let uninvited_person = actor(&[("GB-COH-ZZ000002", Role::Supplier)]);
        fn bid<'a>(c: &'a Competition, s: &'a OrgId) -> Action<'a> {
            Action::BidInCompetition {
                competition: c,
                supplier: s,
            }
        }
        assert!(authorize(&invited_person, bid(&c, &invited)).is_err());
        c.status = Status::Published;
        let view = Action::ViewCompetition { competition: &c };
        assert!(authorize(&invited_person, view).is_ok());
        assert!(authorize(&uninvited_person, view).is_err());
        assert!(authorize(&invited_person, bid(&c, &invited)).is_ok());
        assert!(authorize(&uninvited_person, bid(&c, &uninvited)).is_err());
        assert!(
            authorize(&uninvited_person, bid(&c, &invited)).is_err(),
            "a person cannot act for a supplier they do not belong to"
        );
        let opener = actor(&[("GB-LAE-CMD", Role::Opener)]);
        let other_opener = actor(&[("GB-LAE-HCK", Role::Opener)]);
        assert!(authorize(&opener, view).is_ok());
        assert!(authorize(&opener, Action::OpenCompetitionBids { competition: &c }).is_ok());
        assert!(
            authorize(
                &other_opener,
                Action::OpenCompetitionBids { competition: &c }
            )
            .is_err()
        );
        let buyer = actor(&[("GB-LAE-CMD", Role::Buyer)]);
        let evaluator = actor(&[("GB-LAE-CMD", Role::Evaluator)]);
        assert!(authorize(&buyer, Action::OpenCompetitionBids { competition: &c }).is_err());
        assert!(authorize(&evaluator, Action::OpenCompetitionBids { competition: &c }).is_err());
    }

    #[test]
    fn the_team_evaluates_and_only_evaluators_of_a_buyer_may_join_it() {
        let c = with_team(
            competition("GB-LAE-CMD", &[], None),
            &["evaluator@cmd.example"],
            "moderator@cmd.example",
        );
        let evaluate = Action::EvaluateCompetition { competition: &c };
        let join = Action::JoinEvaluationTeam { competition: &c };
        let evaluator = person("evaluator@cmd.example", &[("GB-LAE-CMD", Role::Evaluator)]);
        let moderator = person("moderator@cmd.example", &[("GB-LAE-CMD", Role::Evaluator)]);
        let not_on_team = person("someone@cmd.example", &[("GB-LAE-CMD", Role::Evaluator)]);
        let lost_role = person("evaluator@cmd.example", &[("GB-LAE-CMD", Role::Buyer)]);
        assert!(authorize(&evaluator, evaluate).is_ok());
        assert!(authorize(&moderator, evaluate).is_ok());
        assert!(authorize(&not_on_team, evaluate).is_err());
        assert!(authorize(&lost_role, evaluate).is_err());
        assert!(authorize(&not_on_team, join).is_ok());
        assert!(
            authorize(
                &person("b@cmd.example", &[("GB-LAE-CMD", Role::Buyer)]),
                join
            )
            .is_err()
        );
        assert!(
            authorize(
                &person("e@hck.example", &[("GB-LAE-HCK", Role::Evaluator)]),
                join
            )
            .is_err()
        );
    }

    #[test]
    fn opening_keys_are_for_openers_and_recovery_keys_for_the_organisations_administrator() {
        assert!(
            authorize(
                &actor(&[("GB-LAE-CMD", Role::Opener)]),
                Action::SetOpeningKey
            )
            .is_ok()
        );
        assert!(
            authorize(
                &actor(&[("GB-LAE-CMD", Role::Buyer)]),
                Action::SetOpeningKey
            )
            .is_err()
        );
        let camden = id("GB-LAE-CMD");
        let with_admin = Action::CreateRecoveryKey {
            org: &camden,
            org_has_admin: true,
        };
        let without_admin = Action::CreateRecoveryKey {
            org: &camden,
            org_has_admin: false,
        };
        let admin = actor(&[("GB-LAE-CMD", Role::Admin)]);
        let buyer = actor(&[("GB-LAE-CMD", Role::Buyer)]);
        let other_admin = actor(&[("GB-COH-ZZ000100", Role::Admin)]);
        let opener = actor(&[("GB-LAE-CMD", Role::Opener)]);
        assert!(authorize(&admin, with_admin).is_ok());
        assert!(authorize(&buyer, with_admin).is_err());
        assert!(authorize(&buyer, without_admin).is_ok());
        assert!(
            authorize(&other_admin, without_admin).is_err(),
            "another organisation's administrator never holds this one's recovery secret"
        );
        assert!(authorize(&opener, without_admin).is_err());
    }
}
