//! Cookies, session tokens, CSRF protection, client addresses and the security
//! headers every response carries.

use crate::state::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::{Cookie, SameSite};
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "consort_session";
/// The CSRF cookie's name.
pub const CSRF_COOKIE: &str = "consort_csrf";
/// The form field (or `X-CSRF-Token` header) that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
/// The largest form body the CSRF check will read.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// The Content-Security-Policy: our own scripts, styles, fonts and images only;
/// no inline script; no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// 32 random bytes from the operating system, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How a session token is stored: its SHA-256, so a copy of the database does not
/// hand out live sessions.
pub fn session_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Reads a cookie from the request headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// Whether the request reached us over HTTPS, as far as we can tell.
pub fn is_https(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.always_secure_cookies
        || (state.config.trust_proxy
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https")))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, Secure over HTTPS.
pub fn set_cookie(name: &'static str, value: String, secure: bool, expire: bool) -> HeaderValue {
    let mut c = Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(secure);
    if expire {
        c = c.max_age(cookie::time::Duration::ZERO);
    }
    HeaderValue::from_str(&c.build().to_string()).expect("cookie values are ASCII")
}

/// The address a request came from: the peer, or with `--trust-proxy` the
/// address the proxy appended last to `X-Forwarded-For`.
pub fn client_address(state: &AppState, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    if state.config.trust_proxy {
        // Several header lines form one list in order (RFC 9110 §5.3); the last
        // entry is the one our own proxy added, whatever the client sent before it.
        let last = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty());
        if let Some(address) = last {
            return address.to_string();
        }
    }
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The CSRF token for this visitor, put in every form. Present in request
/// extensions for every request that passed through [`csrf`].
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn csrf_token_for(key: &[u8; 32], cookie: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(cookie.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn csrf_matches(key: &[u8; 32], cookie: &str, token: &str) -> bool {
    let Ok(given) = URL_SAFE_NO_PAD.decode(token) else {
        return false;
    };
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(cookie.as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// CSRF protection by signed double-submit: each visitor holds a random cookie,
/// and every state-changing request must carry the HMAC of that cookie under the
/// installation's key, in the `csrf_token` form field, the `X-CSRF-Token`
/// header, or (for file uploads) the `csrf_token` query parameter. A page on another site can neither read the cookie nor compute the
/// token, and cannot plant a cookie of its own that matches a token.
pub async fn csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let secure = is_https(&state, request.headers());
    let (cookie, fresh) =
        match cookie_value(request.headers(), CSRF_COOKIE).filter(|c| c.len() >= 32) {
            Some(c) => (c, false),
            None => (random_token(), true),
        };
    let token = csrf_token_for(&state.csrf_key, &cookie);
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let mut request = request;
    if unsafe_method {
        let (parts, body) = request.into_parts();
        let header_token = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        // File uploads (multipart) carry the token in the form's action URL, so
        // that a large body need not be read before the check.
        let query_token = parts.uri.query().and_then(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .ok()
                .and_then(|fields| {
                    fields
                        .into_iter()
                        .find(|(k, _)| k == CSRF_FIELD)
                        .map(|(_, v)| v)
                })
        });
        let (body, form_token) = if is_form {
            let bytes = match http_body_util::Limited::new(body, MAX_FORM_BYTES)
                .collect()
                .await
            {
                Ok(b) => b.to_bytes(),
                Err(_) => {
                    return (StatusCode::PAYLOAD_TOO_LARGE, "the form is too large")
                        .into_response();
                }
            };
            let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                .ok()
                .and_then(|fields| {
                    fields
                        .into_iter()
                        .find(|(k, _)| k == CSRF_FIELD)
                        .map(|(_, v)| v)
                });
            (Body::from(bytes), token)
        } else {
            (body, None)
        };
        let ok = !fresh
            && header_token
                .or(form_token)
                .or(query_token)
                .is_some_and(|t| csrf_matches(&state.csrf_key, &cookie, &t));
        if !ok {
            tracing::warn!(path = %parts.uri.path(), "rejected a state-changing request without a valid CSRF token");
            return crate::pages::csrf_failure();
        }
        request = Request::from_parts(parts, body);
    }
    request.extensions_mut().insert(CsrfToken(token));
    let mut response = next.run(request).await;
    if fresh {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, cookie, secure, false),
        );
    }
    response
}

/// Adds the security headers to every response, and stops browsers and proxies
/// from caching pages (they hold private data); assets set their own caching.
/// Over HTTPS it also asks browsers to keep to HTTPS (HSTS).
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let https = is_https(&state, request.headers());
    let mut response = next.run(request).await;
    if https {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    let h = response.headers_mut();
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The peer address, when the server was started with connection info.
pub fn peer(request_extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    request_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_bind_to_the_cookie_and_the_key() {
        let key = [7u8; 32];
        let token = csrf_token_for(&key, "cookie-a");
        assert!(csrf_matches(&key, "cookie-a", &token));
        assert!(!csrf_matches(&key, "cookie-b", &token));
        assert!(!csrf_matches(&[8u8; 32], "cookie-a", &token));
        assert!(!csrf_matches(&key, "cookie-a", "not base64!"));
    }

    #[test]
    fn session_hashes_are_sha256_hex() {
        assert_eq!(session_hash("abc").len(), 64);
        assert_ne!(session_hash("abc"), session_hash("abd"));
    }
}
