//! The collaboration planner: where enough members' contracts line up to buy
//! together. Pure: no I/O, no clock; "today" is always an argument.
//!
//! The planner works one category at a time (comparable contracts share a
//! category label). For each category it finds:
//!
//! * **joint go-live cohorts** ([`JointCohort`]): every maximal set of contracts
//!   whose exit windows share at least one date, with that shared range;
//! * a **shared agreement** ([`SharedAgreement`]): the start date for a framework
//!   or joint contract of a fixed term that lets the most authorities call off
//!   from it when their current contracts end.
//!
//! Both are sweeps over sorted window endpoints with running counters, so a
//! category of `n` contracts costs O(n log n) time and O(n + a) memory (`a`
//! distinct authorities), however many cohorts there are. Member lists are only
//! built for the cohorts a caller asks for: [`CategoryIndex::joint_cohorts`]
//! returns compact [`CohortSummary`] values for all of them, and
//! [`CategoryIndex::materialise`] lists the members of one.
//!
//! Start with [`group_contracts`] (register → per-category [`PlanItem`]s) and
//! [`plan`] (one category), or [`plan_register`] for both.

use crate::ids::OrgId;
use crate::register::windows::ExitWindow;
use crate::register::{Contract, ContractStatus, Pence};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

mod agreement;
pub mod bench;
mod cohorts;
mod days;
pub mod pipeline;
pub mod synthetic;

pub use bench::{BenchReport, bench_plan, bench_plan_with};
pub use synthetic::synthetic_register;

/// One contract as the planner sees it: whose it is, its reference, when it can
/// end and what it is worth a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanItem {
    /// The authority that holds the contract.
    pub authority: OrgId,
    /// The authority's reference for it.
    pub reference: String,
    /// The earliest and latest dates it can end. A window whose `earliest` is
    /// after its `latest` (never built by [`ExitWindow::of`]) is read with the
    /// two dates swapped.
    pub window: ExitWindow,
    /// Its estimated annual value; zero when the register gives no value.
    pub annual_value: Pence,
}

impl PlanItem {
    /// The plan item for `contract`: its exit window ([`ExitWindow::of`]) and
    /// annual value ([`Contract::annual_value_estimate`], zero when unknown).
    /// Fails with [`SkipReason::NoEndDate`] when the contract has no end date.
    pub fn from_contract(contract: &Contract) -> Result<Self, SkipReason> {
        let window = ExitWindow::of(contract).ok_or(SkipReason::NoEndDate)?;
        Ok(Self {
            authority: contract.authority.clone(),
            reference: contract.reference.clone(),
            window,
            annual_value: contract.annual_value_estimate().unwrap_or_default(),
        })
    }
}

/// Why a contract was left out of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SkipReason {
    /// It has no end date, so it has no exit window.
    #[serde(rename = "no end date")]
    NoEndDate,
    /// It has no category, so there is nothing to compare it with.
    #[serde(rename = "no category")]
    NoCategory,
    /// It has ended; whatever replaced it is what to plan for.
    #[serde(rename = "ended")]
    Ended,
    /// It was terminated; whatever replaced it is what to plan for.
    #[serde(rename = "terminated")]
    Terminated,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::NoEndDate => "no end date",
            SkipReason::NoCategory => "no category",
            SkipReason::Ended => "ended",
            SkipReason::Terminated => "terminated",
        })
    }
}

/// A contract left out of the plan, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The authority that holds it.
    pub authority: OrgId,
    /// Its reference.
    pub reference: String,
    /// Why it was left out (serialised as plain English, e.g. `"no end date"`).
    pub reason: SkipReason,
}

/// The contracts of one category, ready to plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryItems {
    /// The category label, as written in the register.
    pub category: String,
    /// Its contracts, in register order.
    pub items: Vec<PlanItem>,
}

/// A register split by category, with the contracts that could not be planned.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Grouped {
    /// One entry per category, sorted by label.
    pub categories: Vec<CategoryItems>,
    /// Contracts left out, in register order.
    pub skipped: Vec<Skipped>,
}

/// Groups `contracts` by category label and turns each into a [`PlanItem`].
/// Left out, with the reason: ended or terminated contracts, contracts with no
/// category (or a blank one), and contracts with no end date (checked in that
/// order).
pub fn group_contracts(contracts: &[Contract]) -> Grouped {
    let mut by_category: BTreeMap<&str, Vec<PlanItem>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for contract in contracts {
        let label = contract
            .category
            .as_deref()
            .filter(|c| !c.trim().is_empty());
        let category = match (contract.status, label) {
            (ContractStatus::Ended, _) => Err(SkipReason::Ended),
            (ContractStatus::Terminated, _) => Err(SkipReason::Terminated),
            (ContractStatus::Active, None) => Err(SkipReason::NoCategory),
            (ContractStatus::Active, Some(c)) => Ok(c),
        };
        match category.and_then(|c| Ok((c, PlanItem::from_contract(contract)?))) {
            Ok((category, item)) => by_category.entry(category).or_default().push(item),
            Err(reason) => skipped.push(Skipped {
                authority: contract.authority.clone(),
                reference: contract.reference.clone(),
                reason,
            }),
        }
    }
    Grouped {
        categories: by_category
            .into_iter()
            .map(|(category, items)| CategoryItems {
                category: category.to_string(),
                items,
            })
            .collect(),
        skipped,
    }
}

/// Groups labelled items by label, moving them: one entry per label, sorted by
/// label, each keeping the items' original order. O(n) plus sorting the labels.
pub fn group_by_category(rows: Vec<(String, PlanItem)>) -> Vec<CategoryItems> {
    // First count, so that each category's items are moved once, into a vector
    // of the right size.
    let mut numbers: FastMap<&str, u32> = FastMap::default();
    let mut counts: Vec<usize> = Vec::new();
    let mut labels: Vec<u32> = Vec::with_capacity(rows.len());
    for (category, _) in &rows {
        let next = counts.len() as u32;
        let n = *numbers.entry(category.as_str()).or_insert(next);
        if n == next {
            counts.push(0);
        }
        counts[n as usize] += 1;
        labels.push(n);
    }
    drop(numbers);
    let mut groups: Vec<CategoryItems> = counts
        .iter()
        .map(|&count| CategoryItems {
            category: String::new(),
            items: Vec::with_capacity(count),
        })
        .collect();
    for ((category, item), n) in rows.into_iter().zip(labels) {
        let group = &mut groups[n as usize];
        if group.items.is_empty() {
            group.category = category;
        }
        group.items.push(item);
    }
    groups.sort_unstable_by(|a, b| a.category.cmp(&b.category));
    groups
}

/// What the planner assumes about how joint buying works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanParams {
    /// The shared agreement's term in months (default 48).
    pub term_months: u32,
    /// Months needed to run the procurement before the agreement can start
    /// (default 9).
    pub lead_months: u32,
    /// Months an authority needs between calling off from the agreement and its
    /// old contract ending (default 12).
    pub mobilisation_months: u32,
    /// How many joint cohorts [`plan`] lists with their members, best first
    /// (default 100). All of them are counted in [`CategoryPlan::cohort_count`].
    pub max_cohorts: usize,
}

impl Default for PlanParams {
    fn default() -> Self {
        Self {
            term_months: 48,
            lead_months: 9,
            mobilisation_months: 12,
            max_cohorts: 100,
        }
    }
}

/// A joint go-live cohort with its members listed: a maximal set of contracts
/// whose exit windows all contain every date from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JointCohort {
    /// The distinct authorities holding the member contracts, sorted.
    pub authorities: Vec<OrgId>,
    /// The first date every member can end on (the latest `earliest`).
    pub from: Date,
    /// The last date every member can end on (the earliest `latest`).
    pub to: Date,
    /// The member contracts' references, ordered by authority then reference.
    pub contracts: Vec<String>,
    /// The members' combined annual value.
    pub annual_value_pence: Pence,
}

/// A joint go-live cohort without its member lists: what the sweep computes for
/// every cohort. [`CategoryIndex::members`] and [`CategoryIndex::materialise`]
/// list the members of one when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CohortSummary {
    /// The first shared date.
    pub from: Date,
    /// The last shared date.
    pub to: Date,
    /// How many distinct authorities hold member contracts.
    pub authority_count: u32,
    /// How many contracts are members.
    pub contract_count: u32,
    /// The members' combined annual value (held to the range of `i64`).
    pub annual_value_pence: Pence,
}

impl CohortSummary {
    /// The ranking order: more distinct authorities first, then the larger
    /// combined annual value, then the earlier `from` (then the earlier `to`,
    /// which makes the order total: no two cohorts share both dates).
    pub fn rank_cmp(&self, other: &Self) -> Ordering {
        other
            .authority_count
            .cmp(&self.authority_count)
            .then(other.annual_value_pence.cmp(&self.annual_value_pence))
            .then(self.from.cmp(&other.from))
            .then(self.to.cmp(&other.to))
    }
}

/// Sorts `cohorts` best first (see [`CohortSummary::rank_cmp`]) and keeps the
/// first `limit`. O(k + limit log limit) for k cohorts when `limit` is small.
pub fn rank_cohorts(cohorts: &mut Vec<CohortSummary>, limit: usize) {
    if limit < cohorts.len() {
        if limit == 0 {
            cohorts.clear();
            return;
        }
        cohorts.select_nth_unstable_by(limit - 1, CohortSummary::rank_cmp);
        cohorts.truncate(limit);
    }
    cohorts.sort_unstable_by(CohortSummary::rank_cmp);
}

/// An authority the shared agreement would serve, with the contracts of its
/// that end in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoveredAuthority {
    /// The authority.
    pub authority: OrgId,
    /// References of its contracts whose exit window, less the mobilisation
    /// time, overlaps the agreement's term; sorted.
    pub contracts: Vec<String>,
}

/// An authority the shared agreement would not serve, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotCovered {
    /// The authority.
    pub authority: OrgId,
    /// Why, in plain English with dates.
    pub reason: String,
}

/// The best shared agreement for a category: when to start it so that the most
/// authorities can call off from it as their contracts end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedAgreement {
    /// The agreement's first day.
    pub start: Date,
    /// Its last day: `start` plus the term.
    pub end: Date,
    /// When the procurement must begin: `start` less the lead time (never
    /// before today, which month-end rounding could otherwise give).
    pub procurement_start: Date,
    /// Authorities served, sorted, each with its qualifying contracts.
    pub covered: Vec<CoveredAuthority>,
    /// Authorities in the category that are not served, sorted, with reasons.
    pub not_covered: Vec<NotCovered>,
}

/// The shared agreement's figures without the authority lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AgreementSummary {
    /// The agreement's first day.
    pub start: Date,
    /// Its last day.
    pub end: Date,
    /// How many distinct authorities it serves.
    pub authority_count: u32,
    /// How many contracts qualify.
    pub contract_count: u32,
    /// Their combined annual value (held to the range of `i64`).
    pub annual_value_pence: Pence,
}

/// The plan for one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryPlan {
    /// The category label.
    pub category: String,
    /// How many contracts were planned.
    pub contract_count: usize,
    /// How many distinct authorities hold them.
    pub authority_count: usize,
    /// How many joint cohorts there are in all.
    pub cohort_count: usize,
    /// The best [`PlanParams::max_cohorts`] joint cohorts, best first, with
    /// their members listed.
    pub cohorts: Vec<JointCohort>,
    /// The best shared agreement.
    pub agreement: SharedAgreement,
    /// The combined annual value of the contracts the agreement serves.
    pub agreement_value_pence: Pence,
}

/// The plan for a whole register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterPlan {
    /// One plan per category, sorted by label.
    pub categories: Vec<CategoryPlan>,
    /// Contracts left out, and why.
    pub skipped: Vec<Skipped>,
}

/// Plans one category: all joint cohorts (the best [`PlanParams::max_cohorts`]
/// listed with members) and the best shared agreement starting no earlier than
/// `today` plus the lead time. O(n log n + c·n) for n items and c listed cohorts.
pub fn plan(category: &str, items: &[PlanItem], params: &PlanParams, today: Date) -> CategoryPlan {
    let index = CategoryIndex::new(items);
    let mut summaries = index.joint_cohorts();
    let cohort_count = summaries.len();
    rank_cohorts(&mut summaries, params.max_cohorts);
    let cohorts = summaries.iter().map(|c| index.materialise(c)).collect();
    let (agreement, summary) = index.shared_agreement_with_summary(params, today);
    CategoryPlan {
        category: category.to_string(),
        contract_count: items.len(),
        authority_count: index.authorities().len(),
        cohort_count,
        cohorts,
        agreement,
        agreement_value_pence: summary.annual_value_pence,
    }
}

/// Groups `contracts` ([`group_contracts`]) and plans every category ([`plan`]).
pub fn plan_register(contracts: &[Contract], params: &PlanParams, today: Date) -> RegisterPlan {
    let grouped = group_contracts(contracts);
    RegisterPlan {
        categories: grouped
            .categories
            .iter()
            .map(|c| plan(&c.category, &c.items, params, today))
            .collect(),
        skipped: grouped.skipped,
    }
}

/// One category's items in the compact form the sweeps use: authorities
/// numbered in sorted order, windows as day numbers. Building it is O(n) with a
/// hash of each authority; it borrows the items.
#[derive(Debug, Clone)]
pub struct CategoryIndex<'a> {
    items: &'a [PlanItem],
    /// Distinct authorities, sorted; an authority's number is its position here.
    authorities: Vec<&'a OrgId>,
    /// Each item's authority number.
    authority: Vec<u32>,
    /// Each item's earliest exit, as a day number.
    earliest: Vec<i32>,
    /// Each item's latest exit, as a day number.
    latest: Vec<i32>,
}

impl<'a> CategoryIndex<'a> {
    /// Indexes `items`.
    ///
    /// # Panics
    ///
    /// With 2³² items or more.
    pub fn new(items: &'a [PlanItem]) -> Self {
        assert!(
            u32::try_from(items.len()).is_ok(),
            "the planner handles fewer than 2^32 contracts per category"
        );
        let mut numbers: FastMap<&'a OrgId, u32> = FastMap::default();
        let mut authorities: Vec<&'a OrgId> = Vec::new();
        let mut authority = Vec::with_capacity(items.len());
        let mut earliest = Vec::with_capacity(items.len());
        let mut latest = Vec::with_capacity(items.len());
        // In blocks: first read each authority's first byte, so that the block's
        // identifiers are fetched from memory together rather than one at a time
        // inside the hash lookups (a large register's identifiers are scattered).
        for block in items.chunks(32) {
            let mut first_bytes = 0u8;
            for item in block {
                first_bytes ^= item
                    .authority
                    .as_str()
                    .as_bytes()
                    .first()
                    .copied()
                    .unwrap_or(0);
            }
            std::hint::black_box(first_bytes);
            for item in block {
                let next = authorities.len() as u32;
                let n = *numbers.entry(&item.authority).or_insert_with(|| {
                    authorities.push(&item.authority);
                    next
                });
                authority.push(n);
                let (e, l) = (
                    days::day_number(item.window.earliest),
                    days::day_number(item.window.latest),
                );
                earliest.push(e.min(l));
                latest.push(e.max(l));
            }
        }
        // Renumber so that numbers follow the authorities' sorted order.
        let mut order: Vec<u32> = (0..authorities.len() as u32).collect();
        order.sort_unstable_by_key(|&n| authorities[n as usize]);
        let mut renumber = vec![0u32; authorities.len()];
        for (new, &old) in order.iter().enumerate() {
            renumber[old as usize] = new as u32;
        }
        for a in &mut authority {
            *a = renumber[*a as usize];
        }
        let authorities = order.iter().map(|&n| authorities[n as usize]).collect();
        Self {
            items,
            authorities,
            authority,
            earliest,
            latest,
        }
    }

    /// The items indexed.
    pub fn items(&self) -> &'a [PlanItem] {
        self.items
    }

    /// The distinct authorities, sorted.
    pub fn authorities(&self) -> &[&'a OrgId] {
        &self.authorities
    }

    /// The earliest and latest exit of item `i` as given, in order.
    fn window(&self, i: usize) -> (Date, Date) {
        let w = self.items[i].window;
        (w.earliest.min(w.latest), w.earliest.max(w.latest))
    }

    /// The annual value of item `i` in pence.
    fn value(&self, i: usize) -> i128 {
        i128::from(self.items[i].annual_value.0)
    }
}

/// Per-authority counters for a sweep: how many active contracts each authority
/// has, how many authorities have at least one, how many contracts are active
/// and their combined value.
struct Counters {
    per_authority: Vec<u32>,
    distinct: u32,
    contracts: u32,
    value: i128,
}

impl Counters {
    fn new(authorities: usize) -> Self {
        Self {
            per_authority: vec![0; authorities],
            distinct: 0,
            contracts: 0,
            value: 0,
        }
    }

    fn add(&mut self, index: &CategoryIndex<'_>, i: usize) {
        let count = &mut self.per_authority[index.authority[i] as usize];
        if *count == 0 {
            self.distinct += 1;
        }
        *count += 1;
        self.contracts += 1;
        self.value += index.value(i);
    }

    fn remove(&mut self, index: &CategoryIndex<'_>, i: usize) {
        let count = &mut self.per_authority[index.authority[i] as usize];
        *count -= 1;
        if *count == 0 {
            self.distinct -= 1;
        }
        self.contracts -= 1;
        self.value -= index.value(i);
    }
}

/// A hash map with a fast, unkeyed hash, for the planner's small tables of
/// authorities and labels (a few hundred keys from the consortium's own
/// register, so flooding is not a concern; speed on a million lookups is).
type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// The FxHash function (as in rustc): a multiply and rotate per word, with a
/// final mix so that the low bits, which pick the bucket, depend on every byte.
#[derive(Default)]
struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        let z = self.0 ^ (self.0 >> 33);
        let z = z.wrapping_mul(0xff51_afd7_ed55_8ccd);
        z ^ (z >> 33)
    }
}

/// A sum of pence held to the range of [`Pence`].
fn clamp_pence(value: i128) -> Pence {
    Pence(value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}
