//! A synthetic register for benchmarks and demonstrations: deterministic for a
//! seed, shaped like a consortium's real one. Each row is built as a
//! [`Contract`] and goes through [`ExitWindow::of`] and
//! [`Contract::annual_value_estimate`], as imported contracts do.

use super::PlanItem;
use super::days::{date_of, day_number};
use crate::ids::OrgId;
use crate::register::windows::ExitWindow;
use crate::register::{Contract, ContractStatus, Pence, Source, Span};
use jiff::civil::Date;
use std::collections::BTreeMap;

/// Category labels with their share (per cent) of the synthetic register, and a
/// short code for references.
const CATEGORIES: [(&str, &str, u64); 20] = [
    ("Housing management systems", "HMS", 4),
    ("Revenues and benefits systems", "RBS", 3),
    ("Social care case management", "SCC", 3),
    ("Waste collection", "WST", 6),
    ("Highways maintenance", "HWY", 8),
    ("Street lighting maintenance", "LGT", 4),
    ("Grounds maintenance", "GRD", 6),
    ("Building cleaning", "CLN", 7),
    ("Temporary accommodation", "TMP", 6),
    ("Agency staff", "AGY", 7),
    ("Legal services", "LEG", 4),
    ("Insurance", "INS", 3),
    ("Energy supply", "NRG", 4),
    ("Fleet leasing", "FLT", 4),
    ("Library management systems", "LIB", 2),
    ("CCTV maintenance", "CTV", 3),
    ("Parking enforcement", "PRK", 5),
    ("Payroll and HR systems", "PAY", 3),
    ("Leisure management", "LSR", 4),
    ("Telecoms and networks", "TEL", 15),
];

/// London boroughs' org-id `GB-LAE` codes, used for the first authorities.
const BOROUGHS: [&str; 33] = [
    "CMD", "GRE", "HCK", "HMF", "ISL", "LBH", "LEW", "SWK", "TWH", "WSM", "KEC", "WND", "HRY",
    "ENF", "BNE", "BEN", "EAL", "HNS", "RIC", "KTT", "MRT", "STN", "CRY", "BRY", "BEX", "HAV",
    "BDG", "RDB", "NWM", "WFT", "HIL", "HRW", "LND",
];

/// splitmix64: a small, fast, well-mixed generator. Not for secrets.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The `i`th synthetic authority: a London borough for the first 33, then
/// four-letter `GB-LAE` codes, then (past 26⁴ + 33) a synthetic list.
fn authority(i: usize) -> OrgId {
    let text = if let Some(code) = BOROUGHS.get(i) {
        format!("GB-LAE-{code}")
    } else if i - BOROUGHS.len() < 26usize.pow(4) {
        let mut n = i - BOROUGHS.len();
        let mut code = [b'A'; 4];
        for c in code.iter_mut().rev() {
            *c = b'A' + (n % 26) as u8;
            n /= 26;
        }
        format!("GB-LAE-{}", String::from_utf8_lossy(&code))
    } else {
        format!("XI-SYN-{i}")
    };
    OrgId::parse(&text).expect("synthetic identifiers are valid")
}

/// `contracts` synthetic contracts held by `authorities` authorities (at least
/// one), as (category label, plan item), the same for the same `seed`.
///
/// About 20 categories of unequal size; end dates from 2026 to 2034, a third on
/// 31 March (the end of the financial year) and a quarter at other month ends;
/// a quarter with a break clause 1–3 years before the end; two fifths with one
/// or two extension options; annual values from about £10,000 to £3.75m, some
/// given only as a total over the contract.
pub fn synthetic_register(
    contracts: usize,
    authorities: usize,
    seed: u64,
) -> Vec<(String, PlanItem)> {
    let mut rng = SplitMix64(seed);
    let orgs: Vec<OrgId> = (0..authorities.max(1)).map(authority).collect();
    let first_day = day_number(Date::constant(2026, 1, 1));
    let days = day_number(Date::constant(2034, 12, 31)) - first_day + 1;
    let total_weight: u64 = CATEGORIES.iter().map(|c| c.2).sum();
    let mut rows = Vec::with_capacity(contracts);
    for i in 0..contracts {
        let mut pick = rng.below(total_weight);
        let (label, code, _) = CATEGORIES
            .iter()
            .find(|c| {
                let hit = pick < c.2;
                pick = pick.saturating_sub(c.2);
                hit
            })
            .copied()
            .unwrap_or(CATEGORIES[0]);
        let org = &orgs[rng.below(orgs.len() as u64) as usize];
        let year = 2026 + rng.below(9) as i16;
        let end = match rng.below(100) {
            0..35 => Date::constant(year, 3, 31),
            35..60 => Date::constant(year, 1 + rng.below(12) as i8, 1).last_of_month(),
            _ => date_of(first_day + rng.below(days as u64) as i32),
        };
        let years = 3 + rng.below(5) as u32;
        let start = Span::Months(12 * years).before(end);
        let break_date = rng
            .chance(25)
            .then(|| Span::Months(12 * (1 + rng.below(3) as u32)).before(end));
        let mut extensions = Vec::new();
        if rng.chance(40) {
            extensions.push(Span::Months(if rng.chance(50) { 12 } else { 24 }));
            if rng.chance(35) {
                extensions.push(Span::Months(12));
            }
        }
        let base = [
            1_000_000i64,
            2_500_000,
            5_000_000,
            10_000_000,
            25_000_000,
            50_000_000,
            250_000_000,
        ][rng.below(7) as usize];
        let annual = Pence(base * (50 + rng.below(101) as i64) / 100);
        let value_as_total = rng.chance(20);
        let contract = Contract {
            authority: org.clone(),
            reference: format!("{code}-{i:07}"),
            title: String::new(),
            description: String::new(),
            supplier_name: None,
            supplier_company_number: None,
            cpv_codes: Vec::new(),
            category: None,
            total_value: value_as_total.then(|| Pence(annual.0 * i64::from(years))),
            annual_value: (!value_as_total).then_some(annual),
            start: Some(start),
            end: Some(end),
            extensions,
            break_date,
            notice_period: None,
            status: ContractStatus::Active,
            source: Source::Manual,
            extra: BTreeMap::new(),
        };
        let window = ExitWindow::of(&contract).expect("synthetic contracts have end dates");
        let annual_value = contract.annual_value_estimate().unwrap_or_default();
        rows.push((
            label.to_string(),
            PlanItem {
                authority: contract.authority,
                reference: contract.reference,
                window,
                annual_value,
            },
        ));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_are_distinct_and_valid() {
        let ids: std::collections::BTreeSet<OrgId> = (0..2000).map(authority).collect();
        assert_eq!(ids.len(), 2000);
        assert_eq!(authority(0).as_str(), "GB-LAE-CMD");
        assert_eq!(authority(33).as_str(), "GB-LAE-AAAA");
        assert_eq!(authority(33 + 26usize.pow(4)).as_str(), "XI-SYN-457009");
    }
}
