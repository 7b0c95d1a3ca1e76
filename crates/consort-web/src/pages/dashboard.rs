//! The dashboard, with a panel for each role a person holds, and each role's
//! workspace.

use super::{Row, Section, plural, workspace};
use crate::context::{Chrome, SignedIn};
use crate::error::{AppError, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use consort_core::org::Role;
use consort_core::policy::{Action, Actor};
use consort_store::{CompetitionSummary, ConsortiumDetail, Store};
use serde::Deserialize;

/// One panel of the dashboard.
struct Panel {
    title: String,
    lines: Vec<String>,
    links: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    email: String,
    notice: Option<&'static str>,
    panels: Vec<Panel>,
}

/// The dashboard's query string.
#[derive(Deserialize)]
pub struct DashboardQuery {
    notice: Option<String>,
}

/// The consortia a person can see, by the policy.
pub(crate) async fn visible_consortia(
    store: &Store,
    actor: &Actor,
) -> Result<Vec<ConsortiumDetail>, AppError> {
    Ok(store
        .consortia()
        .await?
        .into_iter()
        .filter(|c| {
            consort_core::policy::authorize(
                actor,
                Action::ViewConsortium {
                    coordinator: &c.consortium.coordinator,
                    members: &c.members,
                },
            )
            .is_ok()
        })
        .collect())
}

/// `GET /dashboard`.
pub async fn dashboard(
    State(state): State<AppState>,
    user: SignedIn,
    Query(query): Query<DashboardQuery>,
) -> Result<Response, AppError> {
    user.authorize(Action::ViewDashboard)?;
    let actor = &user.actor;
    let consortia = visible_consortia(&state.store, actor).await?;
    let all_orgs = state.store.orgs().await?;
    let mut panels = Vec::new();
    for role in actor.roles() {
        let orgs: Vec<String> = actor
            .memberships
            .iter()
            .filter(|m| m.role == role)
            .map(|m| {
                all_orgs
                    .iter()
                    .find(|o| o.id == m.org)
                    .map_or_else(|| m.org.to_string(), |o| o.name.clone())
            })
            .collect();
        let at = format!("For {}", orgs.join(", "));
        let panel = match role {
            Role::Admin => {
                let orgs = &all_orgs;
                let audit = state.store.audit_page(1, 1).await?;
                Panel {
                    title: "Administration".into(),
                    lines: vec![
                        format!(
                            "{} registered.",
                            plural(orgs.len(), "organisation", "organisations")
                        ),
                        format!(
                            "{} in the audit log.",
                            plural(audit.total as usize, "entry", "entries")
                        ),
                    ],
                    links: vec![
                        ("/organisations".into(), "Organisations".into()),
                        ("/admin/audit".into(), "Audit log".into()),
                    ],
                }
            }
            Role::Coordinator => {
                let led: Vec<&ConsortiumDetail> = consortia
                    .iter()
                    .filter(|c| actor.has_role_at(Role::Coordinator, &c.consortium.coordinator))
                    .collect();
                Panel {
                    title: "Coordination".into(),
                    lines: vec![
                        at,
                        format!(
                            "You coordinate {}.",
                            plural(led.len(), "consortium", "consortia")
                        ),
                    ],
                    links: led
                        .iter()
                        .flat_map(|c| {
                            [
                                (
                                    format!("/consortia/{}/planner", c.consortium.id),
                                    format!("Planner for {}", c.consortium.name),
                                ),
                                (
                                    format!("/consortia/{}", c.consortium.id),
                                    format!(
                                        "{} ({})",
                                        c.consortium.name,
                                        plural(c.members.len(), "member", "members")
                                    ),
                                ),
                            ]
                        })
                        .chain(std::iter::once((
                            "/coordination".into(),
                            "Coordination workspace".into(),
                        )))
                        .collect(),
                }
            }
            Role::Buyer => Panel {
                title: "Buying".into(),
                lines: vec![
                    at,
                    format!(
                        "Your organisation is in {}.",
                        plural(consortia.len(), "consortium", "consortia")
                    ),
                ],
                links: vec![
                    ("/buying".into(), "Buying workspace".into()),
                    ("/competitions".into(), "Competitions".into()),
                    ("/consortia".into(), "Consortia".into()),
                ],
            },
            Role::Evaluator => {
                let assigned = state.store.competitions_assigned_to(&actor.email).await?;
                Panel {
                    title: "Evaluation".into(),
                    lines: vec![
                        at,
                        if assigned.is_empty() {
                            "No evaluations are assigned to you.".into()
                        } else {
                            format!(
                                "{} assigned to you.",
                                plural(assigned.len(), "competition is", "competitions are")
                            )
                        },
                    ],
                    links: vec![("/evaluation".into(), "Evaluation workspace".into())],
                }
            }
            Role::Opener => {
                let waiting = state
                    .store
                    .competitions_awaiting_opening(&orgs_with(actor, Role::Opener))
                    .await?;
                Panel {
                    title: "Bid opening".into(),
                    lines: vec![
                        at,
                        if waiting.is_empty() {
                            "No sealed bids are waiting to be opened.".into()
                        } else {
                            format!(
                                "{} waiting to be opened.",
                                plural(
                                    waiting.len(),
                                    "competition's bids are",
                                    "competitions' bids are"
                                )
                            )
                        },
                    ],
                    links: vec![
                        ("/opening".into(), "Bid opening workspace".into()),
                        ("/account/opening-key".into(), "Your opening key".into()),
                    ],
                }
            }
            Role::Supplier => {
                let open = opportunity_rows(&state.store, actor).await?;
                Panel {
                    title: "Opportunities".into(),
                    lines: vec![
                        at,
                        if open.is_empty() {
                            "No opportunities are open to you.".into()
                        } else {
                            format!(
                                "{} open to you.",
                                plural(open.len(), "opportunity is", "opportunities are")
                            )
                        },
                    ],
                    links: vec![("/opportunities".into(), "Opportunities".into())],
                }
            }
        };
        panels.push(panel);
    }
    let notice = match query.notice.as_deref() {
        Some("password-changed") => Some("Your password has been changed"),
        _ => None,
    };
    Ok(render(
        StatusCode::OK,
        &DashboardPage {
            chrome: user.chrome.clone(),
            email: actor.email.to_string(),
            notice,
            panels,
        },
    ))
}

/// The rows describing the organisations a person acts for in `role`.
async fn my_organisations(store: &Store, actor: &Actor, role: Role) -> Result<Vec<Row>, AppError> {
    let mut rows = Vec::new();
    for m in actor.memberships.iter().filter(|m| m.role == role) {
        if let Some(org) = store.org(&m.org).await? {
            rows.push(Row {
                key: org.kind.label().to_string(),
                value: org.name.clone(),
                href: Some(format!("/organisations/{}", org.id)),
            });
        }
    }
    Ok(rows)
}

/// The organisations where `actor` holds `role`.
fn orgs_with(actor: &Actor, role: Role) -> Vec<consort_core::OrgId> {
    actor
        .memberships
        .iter()
        .filter(|m| m.role == role)
        .map(|m| m.org.clone())
        .collect()
}

/// A competition as a workspace row, linking to `suffix` under its page.
fn competition_row(c: &CompetitionSummary, suffix: &str) -> Row {
    let deadline = c
        .deadline
        .map(|d| format!(", deadline {}", crate::pages::competitions::when(d)))
        .unwrap_or_default();
    Row {
        key: c.reference.clone(),
        value: format!("{} ({}{deadline})", c.title, c.status.label()),
        href: Some(format!("/competitions/{}{suffix}", c.id)),
    }
}

/// The opportunities open to any supplier `actor` acts for, each once, as rows.
async fn opportunity_rows(store: &Store, actor: &Actor) -> Result<Vec<Row>, AppError> {
    let mut seen = Vec::new();
    let mut rows = Vec::new();
    for supplier in orgs_with(actor, Role::Supplier) {
        for c in store.opportunities_for(&supplier).await? {
            if !seen.contains(&c.id) {
                seen.push(c.id);
                rows.push(competition_row(&c, ""));
            }
        }
    }
    Ok(rows)
}

fn consortium_rows(consortia: &[ConsortiumDetail]) -> Vec<Row> {
    consortia
        .iter()
        .map(|c| Row {
            key: c.consortium.name.clone(),
            value: plural(c.members.len(), "member", "members"),
            href: Some(format!("/consortia/{}", c.consortium.id)),
        })
        .collect()
}

/// `GET /buying`: the buyer's workspace.
pub async fn buying(State(state): State<AppState>, user: SignedIn) -> Result<Response, AppError> {
    user.authorize(Action::UseBuyerWorkspace)?;
    let orgs = my_organisations(&state.store, &user.actor, Role::Buyer).await?;
    let consortia = visible_consortia(&state.store, &user.actor).await?;
    let mut competitions: Vec<Row> = state
        .store
        .competitions_of_buyers(&orgs_with(&user.actor, Role::Buyer))
        .await?
        .iter()
        .map(|c| competition_row(c, ""))
        .collect();
    competitions.push(Row {
        key: "Competitions".into(),
        value: "All competitions, and create a competition".into(),
        href: Some("/competitions".into()),
    });
    workspace(
        user,
        Action::UseBuyerWorkspace,
        "Buying",
        "Register your contracts, plan with your consortium and run procurements.",
        vec![
            Section {
                title: "You buy for".into(),
                rows: orgs,
                empty: "You do not buy for any organisation.".into(),
            },
            Section {
                title: "Competitions".into(),
                rows: competitions,
                empty: "Your organisation has no competitions.".into(),
            },
            Section {
                title: "Consortia".into(),
                rows: consortium_rows(&consortia),
                empty: "Your organisation is not in a consortium.".into(),
            },
        ],
    )
}

/// `GET /coordination`: the coordinator's workspace.
pub async fn coordination(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Response, AppError> {
    user.authorize(Action::UseCoordinatorWorkspace)?;
    let consortia: Vec<ConsortiumDetail> = visible_consortia(&state.store, &user.actor)
        .await?
        .into_iter()
        .filter(|c| {
            user.actor
                .has_role_at(Role::Coordinator, &c.consortium.coordinator)
        })
        .collect();
    let orgs = my_organisations(&state.store, &user.actor, Role::Coordinator).await?;
    workspace(
        user,
        Action::UseCoordinatorWorkspace,
        "Coordination",
        "Bring members together and build the critical mass to buy as one.",
        vec![
            Section {
                title: "You coordinate for".into(),
                rows: orgs,
                empty: "You coordinate for no organisation.".into(),
            },
            Section {
                title: "Consortia you coordinate".into(),
                rows: consortium_rows(&consortia),
                empty: "You do not coordinate a consortium yet. Start one from the consortia page."
                    .into(),
            },
        ],
    )
}

/// `GET /evaluation`: the evaluator's workspace.
pub async fn evaluation(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Response, AppError> {
    user.authorize(Action::UseEvaluatorWorkspace)?;
    let orgs = my_organisations(&state.store, &user.actor, Role::Evaluator).await?;
    let assigned: Vec<Row> = state
        .store
        .competitions_assigned_to(&user.actor.email)
        .await?
        .iter()
        .map(|c| competition_row(c, "/evaluation"))
        .collect();
    workspace(
        user,
        Action::UseEvaluatorWorkspace,
        "Evaluation",
        "Score bids against the published criteria, independently, then moderate.",
        vec![
            Section {
                title: "You evaluate for".into(),
                rows: orgs,
                empty: "You evaluate for no organisation.".into(),
            },
            Section {
                title: "Assigned evaluations".into(),
                rows: assigned,
                empty: "No evaluations are assigned to you.".into(),
            },
        ],
    )
}

/// `GET /opening`: the bid opener's workspace.
pub async fn opening(State(state): State<AppState>, user: SignedIn) -> Result<Response, AppError> {
    user.authorize(Action::UseOpenerWorkspace)?;
    let orgs = my_organisations(&state.store, &user.actor, Role::Opener).await?;
    let waiting: Vec<Row> = state
        .store
        .competitions_awaiting_opening(&orgs_with(&user.actor, Role::Opener))
        .await?
        .iter()
        .map(|c| competition_row(c, "/open"))
        .collect();
    let key = Row {
        key: "Opening key".into(),
        value: if state.store.has_opener_key(user.actor.user_id).await? {
            "Set up".into()
        } else {
            "Not set up: set one up before bids can be sealed for you".into()
        },
        href: Some("/account/opening-key".into()),
    };
    workspace(
        user,
        Action::UseOpenerWorkspace,
        "Bid opening",
        "Sealed bids are opened after the deadline by two authorised openers acting together.",
        vec![
            Section {
                title: "You open bids for".into(),
                rows: orgs,
                empty: "You open bids for no organisation.".into(),
            },
            Section {
                title: "Your opening key".into(),
                rows: vec![key],
                empty: String::new(),
            },
            Section {
                title: "Waiting to be opened".into(),
                rows: waiting,
                empty: "No sealed bids are waiting to be opened.".into(),
            },
        ],
    )
}

/// `GET /opportunities`: the supplier's workspace.
pub async fn opportunities(
    State(state): State<AppState>,
    user: SignedIn,
) -> Result<Response, AppError> {
    user.authorize(Action::UseSupplierWorkspace)?;
    let orgs = my_organisations(&state.store, &user.actor, Role::Supplier).await?;
    let open = opportunity_rows(&state.store, &user.actor).await?;
    workspace(
        user,
        Action::UseSupplierWorkspace,
        "Opportunities",
        "Find opportunities, ask questions and submit bids.",
        vec![
            Section {
                title: "You act for".into(),
                rows: orgs,
                empty: "You act for no supplier.".into(),
            },
            Section {
                title: "Open opportunities".into(),
                rows: open,
                empty: "No opportunities are open to you.".into(),
            },
        ],
    )
}
