//! Consort's domain: the rules of who is who, who may do what, and how the audit
//! chain is formed. Nothing here performs I/O or reads the clock; time is always an
//! argument.

pub mod advisor;
pub mod audit;
pub mod calendar;
pub mod competition;
pub mod demo;
pub mod document;
pub mod grouping;
pub mod ids;
pub mod org;
pub mod password;
pub mod planner;
pub mod policy;
pub mod register;
pub mod sign_in;
pub mod time;
pub mod timeline;

pub use ids::{Email, OrgId, ParseError};
pub use org::{OrgKind, Organisation, Role};
