//! Who is asking: the signed-in person behind a request, the page chrome built
//! for them, and the one door through which handlers ask the policy.

use crate::error::AppError;
use crate::security::{self, CsrfToken, SESSION_COOKIE};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use consort_core::policy::{self, Action, Actor};

/// One link in the service navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
    /// Whether it is the page being shown.
    pub current: bool,
}

/// What the layout needs on every page.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    /// The service navigation, by role.
    pub nav: Vec<NavItem>,
    /// The signed-in person's email address.
    pub signed_in_as: Option<String>,
    /// The CSRF token for forms on the page (including sign out).
    pub csrf_token: String,
}

/// The sections of the service, each shown to those the policy lets in.
const SECTIONS: &[(&str, &str, Action<'static>)] = &[
    ("/dashboard", "Dashboard", Action::ViewDashboard),
    ("/buying", "Buying", Action::UseBuyerWorkspace),
    (
        "/coordination",
        "Coordination",
        Action::UseCoordinatorWorkspace,
    ),
    ("/evaluation", "Evaluation", Action::UseEvaluatorWorkspace),
    ("/opening", "Bid opening", Action::UseOpenerWorkspace),
    (
        "/opportunities",
        "Opportunities",
        Action::UseSupplierWorkspace,
    ),
    ("/register", "Contracts", Action::ListConsortia),
    ("/consortia", "Consortia", Action::ListConsortia),
    ("/organisations", "Organisations", Action::ListOrganisations),
    ("/admin/audit", "Audit log", Action::ViewAuditLog),
];

impl Chrome {
    /// The chrome for `actor` on the page at `path`.
    pub fn for_actor(actor: Option<&Actor>, path: &str, csrf_token: &str) -> Self {
        let nav = match actor {
            Some(actor) => SECTIONS
                .iter()
                .filter(|(_, _, action)| policy::authorize(actor, *action).is_ok())
                .map(|(href, label, _)| NavItem {
                    href,
                    label,
                    current: path == *href || path.starts_with(&format!("{href}/")),
                })
                .collect(),
            None => Vec::new(),
        };
        Self {
            nav,
            signed_in_as: actor.map(|a| a.email.to_string()),
            csrf_token: csrf_token.to_string(),
        }
    }
}

/// The person behind a request, if signed in, with the page chrome.
pub struct Visitor {
    /// The signed-in person, if any.
    pub actor: Option<Actor>,
    /// The hash of their session token, if signed in.
    pub session_hash: Option<String>,
    /// Whether they must change their password before anything else.
    pub must_change_password: bool,
    /// The chrome for the page being asked for.
    pub chrome: Chrome,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let mut actor = None;
        let mut session_hash = None;
        let mut must_change_password = false;
        if let Some(token) = security::cookie_value(&parts.headers, SESSION_COOKIE) {
            let hash = security::session_hash(&token);
            if let Some(session) = state.store.touch_session(&hash).await? {
                actor = state.store.actor(session.user_id).await?;
                if actor.is_some() {
                    must_change_password =
                        state.store.must_change_password(session.user_id).await?;
                    session_hash = Some(hash);
                }
            }
        }
        let chrome = Chrome::for_actor(actor.as_ref(), parts.uri.path(), &csrf);
        Ok(Self {
            actor,
            session_hash,
            must_change_password,
            chrome,
        })
    }
}

/// A signed-in person who has no outstanding demand to change their password.
/// Pages that need one take this; anyone else is sent to sign in.
pub struct SignedIn {
    /// Who they are.
    pub actor: Actor,
    /// The hash of their session token.
    pub session_hash: String,
    /// The chrome for the page.
    pub chrome: Chrome,
}

impl SignedIn {
    /// Asks the policy; a refusal becomes a 403 page that says why.
    pub fn authorize(&self, action: Action<'_>) -> Result<(), AppError> {
        policy::authorize(&self.actor, action).map_err(|denied| AppError::Forbidden {
            chrome: Box::new(self.chrome.clone()),
            reason: denied.reason,
        })
    }

    /// A 403 page in this person's chrome, for when the policy's answers leave
    /// nothing on a page for them.
    pub fn forbidden(&self, reason: &'static str) -> AppError {
        AppError::Forbidden {
            chrome: Box::new(self.chrome.clone()),
            reason,
        }
    }

    /// A 404 page in this person's chrome.
    pub fn not_found(&self) -> AppError {
        AppError::NotFound(Some(Box::new(self.chrome.clone())))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        match (visitor.actor, visitor.session_hash) {
            (Some(actor), Some(session_hash)) => {
                if visitor.must_change_password {
                    return Err(AppError::Redirect("/account/password".into()));
                }
                Ok(Self {
                    actor,
                    session_hash,
                    chrome: visitor.chrome,
                })
            }
            _ => Err(AppError::SignInRequired),
        }
    }
}
