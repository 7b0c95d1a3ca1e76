//! Grouping comparable contracts across councils' registers.

use consort_core::OrgId;
use consort_core::grouping::{
    Basis, ContractRef, Decision, GroupingParams, MatchKey, Suggestion, apply_decisions,
    categorise, cpv_label, cpv_prefix_label, match_key, suggest_groups, tokenise,
};
use consort_core::register::{Contract, ContractStatus, CpvCode, Source};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

fn contract(
    borough: &str,
    reference: &str,
    title: &str,
    description: &str,
    supplier: Option<&str>,
    cpv: &[&str],
) -> Contract {
    Contract {
        authority: OrgId::parse(&format!("GB-LAE-{borough}")).unwrap(),
        reference: reference.to_string(),
        title: title.to_string(),
        description: description.to_string(),
        supplier_name: supplier.map(str::to_string),
        supplier_company_number: None,
        cpv_codes: cpv.iter().map(|c| CpvCode::parse(c).unwrap()).collect(),
        category: None,
        total_value: None,
        annual_value: None,
        start: None,
        end: None,
        extensions: Vec::new(),
        break_date: None,
        notice_period: None,
        status: ContractStatus::Active,
        source: Source::Manual,
        extra: BTreeMap::new(),
    }
}

/// Several boroughs' registers: housing management systems named differently,
/// with and without CPV codes, and unrelated contracts.
fn registers() -> Vec<Contract> {
    vec![
        // Housing management systems, no CPV codes.
        contract(
            "CMD",
            "CMD-HMS-01",
            "Housing Management System",
            "Hosted housing management system covering tenancies, rents, repairs and lettings.",
            Some("Example Housing Systems Ltd"),
            &[],
        ),
        contract(
            "HCK",
            "HCK/2019/044",
            "Integrated housing IT system – rents and repairs",
            "Integrated housing management IT system for rent accounting, arrears and responsive repairs.",
            Some("Sample Tenancy Software Ltd"),
            &[],
        ),
        contract(
            "ISL",
            "ISL-0871",
            "Northgate OHMS support and maintenance",
            "Annual support and maintenance of the Northgate OHMS housing management system.",
            Some("Northgate Public Services Ltd"),
            &[],
        ),
        contract(
            "LEW",
            "LEW-IT-22",
            "Housing management systems (tenancy, rents and repairs)",
            "Provision of a housing management system for council homes.",
            Some("Illustrative Estates Digital Ltd"),
            &[],
        ),
        // Housing software with CPV codes.
        contract(
            "GRE",
            "GRE-ICT-7",
            "Housing Management Software",
            "Licences for the housing management software.",
            Some("Placeholder Property Platforms Ltd"),
            &["48000000-8"],
        ),
        contract(
            "SWK",
            "SWK-4410",
            "Housing system licences and hosting",
            "",
            Some("Mock Lettings Technology Ltd"),
            &["48000000"],
        ),
        contract(
            "TWH",
            "TWH-0099",
            "Housing IT support",
            "Application support for the housing system.",
            None,
            &["72000000-5"],
        ),
        contract(
            "WSM",
            "WCC-IT-3",
            "IT support for housing applications",
            "",
            None,
            &["72000000"],
        ),
        // Waste collection.
        contract(
            "LBH",
            "LBH-ENV-1",
            "Waste collection services",
            "Collection of household waste and recycling.",
            Some("Example Environmental Ltd"),
            &[],
        ),
        contract(
            "SWK",
            "SWK-ENV-12",
            "Refuse and recycling collection",
            "Kerbside collection of domestic waste and recycling.",
            Some("Specimen Waste Services Ltd"),
            &[],
        ),
        contract(
            "LEW",
            "LEW-W-5",
            "Household waste and recycling collection contract",
            "",
            None,
            &[],
        ),
        // Legal services.
        contract(
            "CMD",
            "CMD-LEG-2",
            "Legal services framework",
            "External legal advice and representation.",
            None,
            &[],
        ),
        contract(
            "HCK",
            "HCK-LEG-9",
            "Provision of external legal advice",
            "Legal advice and representation for the council.",
            Some("Demonstration Chambers LLP"),
            &[],
        ),
        contract(
            "WSM",
            "WCC-LEG-1",
            "Legal advice and representation (childcare and property)",
            "",
            None,
            &[],
        ),
        // School catering.
        contract(
            "GRE",
            "GRE-CAT-3",
            "School catering",
            "Provision of school meals for primary schools.",
            Some("Sample Catering Ltd"),
            &[],
        ),
        contract(
            "ISL",
            "ISL-CAT-1",
            "Primary school meals service",
            "Catering for school lunches.",
            None,
            &[],
        ),
        contract(
            "LBH",
            "LBH-EDU-4",
            "School meals contract",
            "Hot school meals for primary and secondary schools.",
            None,
            &[],
        ),
        // Unrelated one-offs that share a generic word with the others.
        contract(
            "TWH",
            "TWH-PARKS-2",
            "Grounds maintenance",
            "Grass cutting and maintenance of parks and open spaces.",
            None,
            &[],
        ),
        contract(
            "LEW",
            "LEW-HWY-8",
            "Street lighting maintenance",
            "Maintenance of street lights and illuminated signs.",
            None,
            &[],
        ),
        contract(
            "CMD",
            "CMD-FLEET-1",
            "Fleet vehicle leasing",
            "Lease of refuse collection vehicles.",
            None,
            &["34144512"],
        ),
    ]
}

fn refs(contracts: &[Contract]) -> Vec<ContractRef<'_>> {
    contracts.iter().map(ContractRef::from).collect()
}

fn member(borough: &str, reference: &str) -> (OrgId, String) {
    (
        OrgId::parse(&format!("GB-LAE-{borough}")).unwrap(),
        reference.to_string(),
    )
}

fn members(list: &[(&str, &str)]) -> Vec<(OrgId, String)> {
    let mut v: Vec<_> = list.iter().map(|(b, r)| member(b, r)).collect();
    v.sort();
    v
}

fn containing<'s>(suggestions: &'s [Suggestion], borough: &str, reference: &str) -> &'s Suggestion {
    let m = member(borough, reference);
    let found: Vec<_> = suggestions
        .iter()
        .filter(|s| s.members.contains(&m))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{reference} should be in one suggestion: {suggestions:#?}"
    );
    found[0]
}

fn suggest(contracts: &[Contract], decisions: &[Decision]) -> Vec<Suggestion> {
    suggest_groups(&refs(contracts), decisions, &GroupingParams::default())
}

#[test]
fn housing_systems_named_differently_are_grouped_by_text() {
    let contracts = registers();
    let s = suggest(&contracts, &[]);
    let housing = containing(&s, "CMD", "CMD-HMS-01");
    assert_eq!(
        housing.members,
        members(&[
            ("CMD", "CMD-HMS-01"),
            ("HCK", "HCK/2019/044"),
            ("ISL", "ISL-0871"),
            ("LEW", "LEW-IT-22"),
        ])
    );
    assert_eq!(housing.label, "Housing Management System");
    assert_eq!(housing.authorities, 4);
    let Basis::Text {
        terms,
        mean_similarity,
    } = &housing.basis
    else {
        panic!("expected a text basis: {housing:?}");
    };
    let top: BTreeSet<&str> = terms[..3].iter().map(String::as_str).collect();
    assert_eq!(top, BTreeSet::from(["housing", "management", "system"]));
    assert!(
        *mean_similarity > 0.2 && *mean_similarity < 1.0,
        "{mean_similarity}"
    );
}

#[test]
fn unrelated_contracts_are_grouped_apart() {
    let contracts = registers();
    let s = suggest(&contracts, &[]);

    let waste = containing(&s, "LBH", "LBH-ENV-1");
    assert_eq!(
        waste.members,
        members(&[
            ("LBH", "LBH-ENV-1"),
            ("SWK", "SWK-ENV-12"),
            ("LEW", "LEW-W-5")
        ])
    );
    assert_eq!(waste.label, "Waste Recycling Collection");

    let legal = containing(&s, "CMD", "CMD-LEG-2");
    assert_eq!(
        legal.members,
        members(&[
            ("CMD", "CMD-LEG-2"),
            ("HCK", "HCK-LEG-9"),
            ("WSM", "WCC-LEG-1")
        ])
    );
    assert_eq!(legal.label, "Legal Advice Representation");

    let catering = containing(&s, "GRE", "GRE-CAT-3");
    assert_eq!(
        catering.members,
        members(&[
            ("GRE", "GRE-CAT-3"),
            ("ISL", "ISL-CAT-1"),
            ("LBH", "LBH-EDU-4")
        ])
    );
    assert_eq!(catering.label, "Primary School Meals");

    // One-offs that only share "maintenance" or "refuse collection" are left alone.
    let everyone: BTreeSet<_> = s.iter().flat_map(|s| s.members.iter().cloned()).collect();
    for (b, r) in [
        ("TWH", "TWH-PARKS-2"),
        ("LEW", "LEW-HWY-8"),
        ("CMD", "CMD-FLEET-1"),
    ] {
        assert!(
            !everyone.contains(&member(b, r)),
            "{r} was suggested: {s:#?}"
        );
    }
}

#[test]
fn contracts_with_cpv_codes_are_grouped_by_prefix_and_labelled_from_the_cpv_list() {
    let contracts = registers();
    let s = suggest(&contracts, &[]);

    let software = containing(&s, "GRE", "GRE-ICT-7");
    assert_eq!(
        software.basis,
        Basis::Cpv {
            prefix: "48000".into()
        }
    );
    assert_eq!(software.label, "Software package and information systems");
    assert_eq!(
        software.members,
        members(&[("GRE", "GRE-ICT-7"), ("SWK", "SWK-4410")])
    );
    assert_eq!(software.keys, vec![MatchKey::Cpv("48000".into())]);

    let it = containing(&s, "TWH", "TWH-0099");
    assert_eq!(
        it.label,
        "IT services: consulting, software development, Internet and support"
    );
    assert_eq!(it.members.len(), 2);

    // At two digits, 48… and 72… are still different divisions.
    let coarse = suggest_groups(
        &refs(&contracts),
        &[],
        &GroupingParams {
            cpv_depth: 2,
            ..GroupingParams::default()
        },
    );
    assert_eq!(
        containing(&coarse, "GRE", "GRE-ICT-7").basis,
        Basis::Cpv {
            prefix: "48".into()
        }
    );
}

#[test]
fn suggestions_are_sorted_and_their_ids_are_stable() {
    let contracts = registers();
    let s = suggest(&contracts, &[]);
    assert_eq!(s.len(), 6, "{s:#?}");
    assert_eq!(s[0].label, "Housing Management System");
    for pair in s.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            (b.authorities, b.members.len()) <= (a.authorities, a.members.len()),
            "{a:?} before {b:?}"
        );
    }
    let ids: BTreeSet<_> = s.iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids.len(), s.len());
    assert!(s.iter().all(|s| s.id.len() == 64));

    // The same input in another order gives the same suggestions.
    let mut reversed = registers();
    reversed.reverse();
    assert_eq!(suggest(&reversed, &[]), s);

    // A different member set gives a different id.
    let mut fewer = registers();
    fewer.retain(|c| c.reference != "LEW-W-5");
    let waste_before = containing(&s, "LBH", "LBH-ENV-1");
    let waste_after = suggest(&fewer, &[]);
    let waste_after = containing(&waste_after, "LBH", "LBH-ENV-1");
    assert_ne!(waste_before.id, waste_after.id);
}

#[test]
fn categorised_contracts_are_not_suggested_but_attract_similar_ones() {
    let mut contracts = registers();
    for c in &mut contracts {
        if c.reference == "CMD-HMS-01" || c.reference == "GRE-ICT-7" {
            c.category = Some("Housing management".into());
        }
    }
    let s = suggest(&contracts, &[]);
    let everyone: Vec<_> = s.iter().flat_map(|s| s.members.iter().cloned()).collect();
    assert!(!everyone.contains(&member("CMD", "CMD-HMS-01")));
    assert!(!everyone.contains(&member("GRE", "GRE-ICT-7")));

    let similar = containing(&s, "HCK", "HCK/2019/044");
    assert_eq!(
        similar.basis,
        Basis::SimilarTo {
            category: "Housing management".into()
        }
    );
    assert_eq!(similar.label, "Housing management");
    assert_eq!(
        similar.members,
        members(&[
            ("HCK", "HCK/2019/044"),
            ("ISL", "ISL-0871"),
            ("LEW", "LEW-IT-22")
        ])
    );
    // The lone remaining 48000000 contract is no group on its own.
    assert!(!everyone.contains(&member("SWK", "SWK-4410")));
    // Waste collection is not attracted to housing.
    assert!(matches!(
        containing(&s, "LBH", "LBH-ENV-1").basis,
        Basis::Text { .. }
    ));
}

#[test]
fn rejected_suggestions_stay_out() {
    let contracts = registers();
    let s = suggest(&contracts, &[]);
    let waste = containing(&s, "LBH", "LBH-ENV-1").clone();
    let software = containing(&s, "GRE", "GRE-ICT-7").clone();
    let mut decisions = waste.reject();
    decisions.extend(software.reject());
    assert!(decisions.iter().all(|d| d.label.is_none()));

    let again = suggest(&contracts, &decisions);
    assert_eq!(again.len(), s.len() - 2);
    assert!(
        again
            .iter()
            .all(|x| x.id != waste.id && x.id != software.id)
    );
    let everyone: BTreeSet<_> = again
        .iter()
        .flat_map(|s| s.members.iter().cloned())
        .collect();
    for m in waste.members.iter().chain(&software.members) {
        assert!(!everyone.contains(m));
    }

    // A later import of the same contracts is not suggested either, nor a new
    // 48000000 contract.
    let mut later = registers();
    later.push(contract(
        "HMF",
        "HMF-77",
        "Household Waste & Recycling Collection",
        "",
        None,
        &[],
    ));
    later.push(contract(
        "HMF",
        "HMF-78",
        "Housing software",
        "",
        None,
        &["48000000"],
    ));
    let later_s = suggest(&later, &decisions);
    let everyone: BTreeSet<_> = later_s
        .iter()
        .flat_map(|s| s.members.iter().cloned())
        .collect();
    assert!(!everyone.contains(&member("HMF", "HMF-77")));
    assert!(!everyone.contains(&member("HMF", "HMF-78")));
    // Rejections don't touch anything else.
    assert!(
        later_s
            .iter()
            .any(|x| x.label == "Housing Management System")
    );
}

#[test]
fn remembered_confirmations_categorise_later_imports() {
    let params = GroupingParams::default();
    let contracts = registers();
    let s = suggest(&contracts, &[]);
    let housing = containing(&s, "CMD", "CMD-HMS-01");
    let software = containing(&s, "GRE", "GRE-ICT-7");
    let mut decisions = housing.confirm(Some("Housing management"));
    decisions.extend(software.confirm(Some("  Housing management ")));
    assert!(
        decisions
            .iter()
            .all(|d| d.label.as_deref() == Some("Housing management"))
    );
    assert_eq!(housing.keys.len(), 4, "{:?}", housing.keys);

    // The confirmed contracts themselves.
    let assigned = apply_decisions(&refs(&contracts), &decisions, &params);
    let assigned: BTreeSet<_> = assigned
        .iter()
        .map(|a| (a.authority.clone(), a.reference.clone()))
        .collect();
    let expected: BTreeSet<_> = housing
        .members
        .iter()
        .chain(&software.members)
        .cloned()
        .collect();
    assert_eq!(assigned, expected);

    // A later import: the same kind of contract from another borough.
    let new_hms = contract(
        "HMF",
        "HMF-1",
        "Housing management systems 2025-2030",
        "Replacement housing management system.",
        None,
        &[],
    );
    let new_software = contract(
        "HMF",
        "HMF-2",
        "Tenancy software",
        "",
        None,
        &["48000000-8"],
    );
    let new_waste = contract("HMF", "HMF-3", "Waste collection", "", None, &["90511000"]);
    for (c, label) in [
        (&new_hms, Some("Housing management")),
        (&new_software, Some("Housing management")),
        (&new_waste, None),
    ] {
        assert_eq!(
            categorise(&ContractRef::from(c), &decisions, &params).as_deref(),
            label,
            "{}",
            c.title
        );
    }

    // After the confirmations, housing is no longer suggested as a new group;
    // a differently named housing contract is suggested for the category.
    let mut later = registers();
    later.push(new_hms);
    later.push(contract(
        "HMF",
        "HMF-4",
        "Housing IT system hosting",
        "Hosting of the housing management system.",
        None,
        &[],
    ));
    let later_s = suggest(&later, &decisions);
    assert!(
        later_s
            .iter()
            .all(|s| s.label != "Housing Management System")
    );
    let add = containing(&later_s, "HMF", "HMF-4");
    assert_eq!(
        add.basis,
        Basis::SimilarTo {
            category: "Housing management".into()
        }
    );
    assert_eq!(add.members, members(&[("HMF", "HMF-4")]));
    assert!(
        !later_s
            .iter()
            .any(|s| s.members.contains(&member("HMF", "HMF-1")))
    );

    // Contracts that already have a category keep it.
    let mut kept = contract("CMD", "CMD-X", "Housing Management System", "", None, &[]);
    kept.category = Some("Tenancy".into());
    assert!(apply_decisions(&[ContractRef::from(&kept)], &decisions, &params).is_empty());
}

#[test]
fn match_keys_survive_rewording_that_does_not_matter() {
    let params = GroupingParams::default();
    let key = |title: &str, cpv: &[&str]| {
        let c = contract("CMD", "X", title, "", None, cpv);
        match_key(&ContractRef::from(&c), &params)
    };
    let hms = MatchKey::Text("housing management system".into());
    assert_eq!(key("Housing Management System", &[]), hms);
    assert_eq!(key("HOUSING MANAGEMENT SYSTEMS 2024-2029", &[]), hms);
    assert_eq!(key("Provision of a housing system (management)", &[]), hms);
    assert_eq!(
        key("Anything", &["48219300-4"]),
        MatchKey::Cpv("48219".into())
    );

    // A remembered broader CPV prefix covers more specific codes; the longest wins.
    let decisions = vec![
        Decision {
            key: MatchKey::Cpv("48".into()),
            label: Some("Software".into()),
        },
        Decision {
            key: MatchKey::Cpv("48219".into()),
            label: Some("Telephony".into()),
        },
        Decision {
            key: MatchKey::Cpv("48100".into()),
            label: None,
        },
        Decision {
            key: MatchKey::Text("   ".into()),
            label: Some("Everything".into()),
        },
    ];
    let cat = |title: &str, cpv: &[&str]| {
        let c = contract("CMD", "X", title, "", None, cpv);
        categorise(&ContractRef::from(&c), &decisions, &params)
    };
    assert_eq!(cat("A", &["48219300"]).as_deref(), Some("Telephony"));
    assert_eq!(cat("A", &["48300000"]).as_deref(), Some("Software"));
    assert_eq!(cat("A", &["48100000"]), None, "rejected");
    assert_eq!(cat("A", &["72000000"]), None);
    assert_eq!(cat("Contract 2019/44", &[]), None, "empty signature");
}

#[test]
fn match_keys_round_trip_through_the_store_columns() {
    for key in [
        MatchKey::Cpv("48000".into()),
        MatchKey::Text("housing management system".into()),
    ] {
        assert_eq!(MatchKey::from_parts(key.kind(), key.value()).unwrap(), key);
    }
    assert_eq!(
        MatchKey::from_parts("text", "System housing  MANAGEMENT housing").unwrap(),
        MatchKey::Text("housing management system".into())
    );
    assert!(MatchKey::from_parts("cpv", "4").is_err());
    assert!(MatchKey::from_parts("cpv", "48000000-8").is_err());
    assert!(MatchKey::from_parts("text", " ").is_err());
    assert_eq!(
        MatchKey::from_parts("word", "x").unwrap_err().field,
        "key_kind"
    );
    assert_eq!(
        serde_json::to_value(MatchKey::Cpv("48000".into())).unwrap(),
        serde_json::json!({"kind": "cpv", "value": "48000"})
    );
}

#[test]
fn suggestions_serialise_for_the_web() {
    let contracts = registers();
    let s = suggest(&contracts, &[]);
    let json = serde_json::to_value(&s[0]).unwrap();
    assert_eq!(json["basis"]["kind"], "text");
    assert_eq!(json["members"][0][0], "GB-LAE-CMD");
    assert_eq!(json["authorities"], 4);
    let back: Suggestion = serde_json::from_value(json).unwrap();
    assert_eq!(back, s[0]);
}

#[test]
fn cpv_labels_come_from_the_embedded_list() {
    let code = CpvCode::parse("48000000-8").unwrap();
    assert_eq!(
        cpv_label(&code),
        Some("Software package and information systems")
    );
    assert_eq!(
        cpv_label(&CpvCode::parse("90511000").unwrap()),
        Some("Refuse collection services")
    );
    assert_eq!(cpv_label(&CpvCode::parse("99999999").unwrap()), None);
    assert_eq!(
        cpv_prefix_label("4820"),
        Some("Networking, Internet and intranet software package")
    );
    assert_eq!(
        cpv_prefix_label("48"),
        Some("Software package and information systems")
    );
    assert_eq!(cpv_prefix_label("48000000"), cpv_prefix_label("48"));
    assert_eq!(cpv_prefix_label(""), None);
    assert_eq!(cpv_prefix_label("48x"), None);
    assert_eq!(cpv_prefix_label("480000000"), None);
}

#[test]
fn tokenising_drops_noise_and_makes_plurals_singular() {
    assert_eq!(
        tokenise("Provision of Housing Management Systems to the London Borough of Camden Ltd"),
        ["housing", "management", "system", "camden"]
    );
    assert_eq!(
        tokenise("Integrated housing IT system – rents and repairs (2019/044)"),
        ["integrated", "housing", "it", "system", "rent", "repair"]
    );
    assert_eq!(
        tokenise("Repairs to council properties"),
        ["repair", "property"]
    );
    assert_eq!(tokenise("what is it for"), Vec::<String>::new());
}

#[test]
fn text_labels_keep_acronyms() {
    let contracts = vec![
        contract("CMD", "A", "CCTV monitoring", "", None, &[]),
        contract("HCK", "B", "CCTV monitoring and maintenance", "", None, &[]),
    ];
    let s = suggest(&contracts, &[]);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].label, "CCTV Monitoring");
}

#[test]
fn ten_thousand_uncategorised_contracts() {
    let contracts = synthetic(10_000);
    let start = std::time::Instant::now();
    let s = suggest(&contracts, &[]);
    let elapsed = start.elapsed();
    // Generous, for unoptimised test builds; a release build takes far less.
    assert!(elapsed.as_secs() < 30, "took {elapsed:?}");
    // Groups follow the topics the contracts were written from: one large group
    // per topic, and next to no contract in a group of another topic (a
    // contract can honestly resemble another topic's through a shared
    // supplier).
    let topic = |reference: &str| reference.split('-').next().unwrap().to_string();
    let (mut grouped, mut strays) = (0, 0);
    let mut main_groups = BTreeSet::new();
    for x in &s {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for m in &x.members {
            *counts.entry(topic(&m.1)).or_default() += 1;
        }
        let (main, most) = counts.iter().max_by_key(|(_, n)| **n).unwrap();
        grouped += x.members.len();
        strays += x.members.len() - most;
        if x.members.len() >= 100 {
            assert!(main_groups.insert(main.clone()), "{main} split in two");
        }
    }
    assert_eq!(main_groups.len(), TOPICS.len(), "{s:#?}");
    assert!(grouped > 9_500, "only {grouped} grouped");
    assert!(strays < 20, "{strays} contracts grouped with another topic");
    eprintln!(
        "10,000 contracts: {} suggestions, {grouped} contracts grouped, {strays} with another \
         topic, in {elapsed:?}",
        s.len()
    );
}

#[test]
fn contracts_sharing_one_small_vocabulary_still_group_without_exhausting_memory() {
    // The worst case for the inverted index: every contract shares words with
    // nearly every other. (Its speed is a benchmark's business, not a test's.)
    let contracts = word_salad(2_000);
    let s = suggest(&contracts, &[]);
    assert!(!s.is_empty());
    let grouped: usize = s.iter().map(|x| x.members.len()).sum();
    assert!(
        grouped <= contracts.len(),
        "no contract is in two suggestions"
    );
}

/// A small, deterministic pseudo-random generator (xorshift).
fn generator(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |m: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % m as u64) as usize
    }
}

/// What councils buy, each with the words contracts for it tend to use.
const TOPICS: &[&[&str]] = &[
    &["housing", "tenancy", "rents", "lettings"],
    &["waste", "refuse", "recycling", "kerbside"],
    &["legal", "advice", "counsel", "litigation"],
    &["school", "meals", "catering", "pupils"],
    &["parking", "enforcement", "permits", "penalty"],
    &["leisure", "centres", "swimming", "gym"],
    &["library", "books", "lending", "catalogue"],
    &["cctv", "cameras", "monitoring", "surveillance"],
    &["payroll", "salaries", "pensions", "hr"],
    &["revenues", "benefits", "council tax", "billing"],
    &["cleaning", "janitorial", "hygiene", "washrooms"],
    &["energy", "electricity", "gas", "metering"],
    &["fleet", "vehicles", "leasing", "telematics"],
    &["adult", "homecare", "domiciliary", "carers"],
    &["fostering", "children", "placements", "adoption"],
    &["highways", "resurfacing", "carriageway", "potholes"],
    &["street", "lighting", "lanterns", "columns"],
    &["grounds", "grass", "parks", "trees"],
    &["cemetery", "burials", "cremation", "memorials"],
    &["planning", "applications", "portal", "development control"],
];

/// Words any contract may use.
const GENERIC: &[&str] = &[
    "management",
    "system",
    "software",
    "support",
    "maintenance",
    "repairs",
    "hosting",
    "consultancy",
    "equipment",
    "training",
    "delivery",
    "operation",
    "programme",
    "review",
];

/// Contracts written from the topics above, with generic words, words hardly
/// any other contract uses (places, product names), and suppliers that mostly
/// keep to one line of business.
fn synthetic(n: usize) -> Vec<Contract> {
    const BOROUGHS: &[&str] = &[
        "CMD", "GRE", "HCK", "HMF", "ISL", "LBH", "LEW", "SWK", "TWH",
    ];
    let mut next = generator(0x2545_f491_4f6c_dd1d);
    let rare = |i: usize| format!("w{i}x");
    (0..n)
        .map(|i| {
            let t = next(TOPICS.len());
            let words = TOPICS[t];
            let title = format!(
                "{} {} {} {}",
                words[next(words.len())],
                words[next(words.len())],
                GENERIC[next(GENERIC.len())],
                rare(next(100_000))
            );
            let description = format!(
                "{} and {} of {} {} for the borough, {} {}",
                GENERIC[next(GENERIC.len())],
                GENERIC[next(GENERIC.len())],
                words[next(words.len())],
                words[next(words.len())],
                rare(next(100_000)),
                rare(next(100_000)),
            );
            // One supplier in ten works across lines of business.
            let supplier = if next(10) == 0 {
                format!("Generalist {} Ltd", rare(next(50)))
            } else {
                format!("{} Ltd", rare(200_000 + t * 100 + next(40)))
            };
            contract(
                BOROUGHS[next(BOROUGHS.len())],
                &format!("T{t}-{i}"),
                &title,
                &description,
                Some(&supplier),
                &[],
            )
        })
        .collect()
}

/// Contracts whose words all come from one small vocabulary.
fn word_salad(n: usize) -> Vec<Contract> {
    let mut next = generator(0x9e37_79b9_7f4a_7c15);
    let all: Vec<&str> = TOPICS
        .iter()
        .flat_map(|t| t.iter().copied())
        .chain(GENERIC.iter().copied())
        .collect();
    (0..n)
        .map(|i| {
            let title = (0..4)
                .map(|_| all[next(all.len())])
                .collect::<Vec<_>>()
                .join(" ");
            let description = (0..6)
                .map(|_| all[next(all.len())])
                .collect::<Vec<_>>()
                .join(" ");
            contract("CMD", &format!("S-{i}"), &title, &description, None, &[])
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------

const WORDS: &[&str] = &[
    "housing",
    "management",
    "system",
    "waste",
    "collection",
    "legal",
    "advice",
    "school",
    "meals",
    "repairs",
    "support",
    "maintenance",
    "the",
    "of",
    "services",
    "contract",
];
const CPVS: &[&str] = &["48000000", "48200000", "72000000", "90511000", "55524000"];
const BOROUGH_CODES: &[&str] = &["CMD", "GRE", "HCK", "ISL"];

fn arb_contracts() -> impl Strategy<Value = Vec<Contract>> {
    let one = (
        0..BOROUGH_CODES.len(),
        prop::collection::vec(0..WORDS.len(), 0..5),
        prop::collection::vec(0..WORDS.len(), 0..4),
        prop::option::weighted(0.3, 0..CPVS.len()),
        prop::option::weighted(0.2, 0..3usize),
    );
    prop::collection::vec(one, 0..40).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (b, title, desc, cpv, category))| {
                let words = |ix: Vec<usize>| {
                    ix.into_iter()
                        .map(|w| WORDS[w])
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let cpv: Vec<&str> = cpv.map(|c| CPVS[c]).into_iter().collect();
                let mut c = contract(
                    BOROUGH_CODES[b],
                    &format!("R{i}"),
                    &words(title),
                    &words(desc),
                    None,
                    &cpv,
                );
                c.category = category.map(|k| format!("Category {k}"));
                c
            })
            .collect()
    })
}

fn arb_decisions() -> impl Strategy<Value = Vec<Decision>> {
    let key = prop_oneof![
        (0..CPVS.len()).prop_map(|c| MatchKey::Cpv(CPVS[c][..5].to_string())),
        prop::collection::vec(0..WORDS.len(), 1..3).prop_map(|ws| {
            let mut ws: Vec<&str> = ws.into_iter().map(|w| WORDS[w]).collect();
            ws.sort();
            ws.dedup();
            MatchKey::Text(ws.join(" "))
        }),
    ];
    prop::collection::vec(
        (key, prop::option::of(Just("Remembered".to_string()))),
        0..4,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(key, label)| Decision { key, label })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn suggestions_hold_their_invariants(
        contracts in arb_contracts(),
        decisions in arb_decisions(),
        threshold in 0.0f64..1.0,
    ) {
        let params = GroupingParams { similarity_threshold: threshold, ..GroupingParams::default() };
        let s = suggest_groups(&refs(&contracts), &decisions, &params);
        let mut seen: BTreeMap<&str, BTreeSet<(OrgId, String)>> = BTreeMap::new();
        for x in &s {
            let min = if matches!(x.basis, Basis::SimilarTo { .. }) { 1 } else { 2 };
            prop_assert!(x.members.len() >= min, "{:?}", x);
            prop_assert!(x.members.windows(2).all(|w| w[0] < w[1]));
            let authorities: BTreeSet<_> = x.members.iter().map(|m| &m.0).collect();
            prop_assert_eq!(x.authorities, authorities.len());
            let kind = seen.entry(x.basis.kind()).or_default();
            for m in &x.members {
                prop_assert!(kind.insert(m.clone()), "{:?} twice in {}", m, x.basis.kind());
                let c = contracts.iter().find(|c| (&c.authority, &c.reference) == (&m.0, &m.1)).unwrap();
                prop_assert!(c.category.is_none());
                prop_assert_eq!(categorise(&ContractRef::from(c), &decisions, &params), None);
            }
        }
        for pair in s.windows(2) {
            prop_assert!((pair[1].authorities, pair[1].members.len()) <= (pair[0].authorities, pair[0].members.len()));
        }
    }

    #[test]
    fn suggestions_do_not_depend_on_input_order(
        (contracts, shuffled) in arb_contracts().prop_flat_map(|c| (Just(c.clone()), Just(c).prop_shuffle())),
        decisions in arb_decisions(),
    ) {
        let params = GroupingParams::default();
        let a = suggest_groups(&refs(&contracts), &decisions, &params);
        let b = suggest_groups(&refs(&shuffled), &decisions, &params);
        let ids = |s: &[Suggestion]| s.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
        prop_assert_eq!(ids(&a), ids(&b));
        prop_assert_eq!(a, b);
    }
}
