//! The contracts register's storage, on SQLite and PostgreSQL.

mod common;

use consort_core::OrgId;
use consort_core::org::{ContactDetails, OrgKind, Organisation};
use consort_core::register::{Contract, ContractStatus, ExpiryBand, Pence, Source, Span};
use consort_store::{CategoryDecision, ContractFilter, StoreError};
use std::collections::BTreeMap;

fn camden() -> OrgId {
    OrgId::parse("GB-LAE-CMD").unwrap()
}

async fn with_authorities(db: &common::TestDb) {
    for (id, kind) in [
        ("GB-LAE-CMD", OrgKind::Authority),
        ("GB-LAE-HCK", OrgKind::Authority),
        ("GB-COH-01234567", OrgKind::Supplier),
    ] {
        db.store
            .create_org(
                "test",
                &Organisation {
                    id: OrgId::parse(id).unwrap(),
                    name: id.into(),
                    kind,
                    contact: ContactDetails::default(),
                },
            )
            .await
            .unwrap();
    }
}

fn contract(reference: &str, end: &str) -> Contract {
    Contract {
        authority: camden(),
        reference: reference.into(),
        title: format!("Contract {reference}"),
        description: "Housing management system".into(),
        supplier_name: Some("Example Housing Systems Ltd".into()),
        supplier_company_number: Some("01234567".into()),
        cpv_codes: vec![consort_core::register::CpvCode::parse("48000000").unwrap()],
        category: None,
        total_value: Some(Pence(120_000_000)),
        annual_value: Some(Pence(30_000_000)),
        start: Some("2022-04-01".parse().unwrap()),
        end: Some(end.parse().unwrap()),
        extensions: vec![Span::Months(12), Span::Months(12)],
        break_date: None,
        notice_period: Some(Span::Months(3)),
        status: ContractStatus::Active,
        source: Source::Csv {
            file: "register.csv".into(),
            line: 2,
        },
        extra: BTreeMap::from([("Directorate".to_string(), "Housing".to_string())]),
    }
}

on_both!(
    importing_the_same_file_twice_changes_nothing,
    |db, _clock| {
        with_authorities(db).await;
        let s = &db.store;
        let rows = vec![
            contract("HMS-1", "2027-03-31"),
            contract("HMS-2", "2028-03-31"),
        ];
        let first = s
            .import_contracts("test", &camden(), "register.csv", &rows)
            .await
            .unwrap();
        assert_eq!(first.inserted, vec!["HMS-1", "HMS-2"]);
        let entries = s.audit_page(1, 1).await.unwrap().total;
        let again = s
            .import_contracts("test", &camden(), "register.csv", &rows)
            .await
            .unwrap();
        assert_eq!(
            (again.inserted.len(), again.updated.len(), again.unchanged),
            (0, 0, 2)
        );
        assert_eq!(
            s.audit_page(1, 1).await.unwrap().total,
            entries,
            "no audit entry for a no-op import"
        );
        let stored = s.contracts(&ContractFilter::default()).await.unwrap();
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0].contract, rows[0], "every field round-trips");

        // A coordinator's category survives a re-import that has none; a real change updates.
        s.set_category(
            "test",
            &[(camden(), "HMS-1".into())],
            Some("Housing management system"),
        )
        .await
        .unwrap();
        let mut changed = rows.clone();
        changed[1].end = Some("2029-03-31".parse().unwrap());
        let third = s
            .import_contracts("test", &camden(), "register.csv", &changed)
            .await
            .unwrap();
        assert_eq!(
            (third.updated.clone(), third.unchanged),
            (vec!["HMS-2".to_string()], 1)
        );
        let hms1 = s
            .contracts(&ContractFilter {
                text: Some("hms-1".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            hms1[0].contract.category.as_deref(),
            Some("Housing management system")
        );
        assert_eq!(
            s.audit_page(1, 1).await.unwrap().entries[0].kind,
            "register.imported"
        );
    }
);

on_both!(
    imports_name_an_unknown_or_wrong_kind_of_authority,
    |db, _clock| {
        with_authorities(db).await;
        let s = &db.store;
        let unknown = OrgId::parse("GB-LAE-ZZZ").unwrap();
        let e = s
            .import_contracts("test", &unknown, "f.csv", &[])
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::NotFound(_)) && e.to_string().contains("GB-LAE-ZZZ"),
            "{e}"
        );
        let supplier = OrgId::parse("GB-COH-01234567").unwrap();
        let e = s
            .import_contracts("test", &supplier, "f.csv", &[])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("not a contracting authority"), "{e}");
        let mut other = contract("X-1", "2027-01-01");
        other.authority = OrgId::parse("GB-LAE-HCK").unwrap();
        let e = s
            .import_contracts(
                "test",
                &camden(),
                "f.csv",
                &[contract("OK-1", "2027-01-01"), other],
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("GB-LAE-HCK"), "{e}");
        assert!(
            s.contracts(&ContractFilter::default())
                .await
                .unwrap()
                .is_empty(),
            "a failed import saves nothing"
        );
    }
);

on_both!(extensions_are_logged_and_used_up, |db, _clock| {
    with_authorities(db).await;
    let s = &db.store;
    let id = s
        .create_contract("test", &contract("HMS-1", "2027-03-31"))
        .await
        .unwrap();
    let on = "2026-12-01".parse().unwrap();
    let first = s
        .exercise_extension("user:buyer@cmd.example", id, on)
        .await
        .unwrap();
    assert_eq!(first.new_end.to_string(), "2028-03-31");
    s.exercise_extension("user:buyer@cmd.example", id, on)
        .await
        .unwrap();
    let e = s
        .exercise_extension("user:buyer@cmd.example", id, on)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no extension options left"), "{e}");
    let (stored, log) = s.contract(id).await.unwrap().unwrap();
    assert_eq!(stored.contract.end.unwrap().to_string(), "2029-03-31");
    assert!(stored.contract.extensions.is_empty());
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].old_end.to_string(), "2028-03-31");
    assert_eq!(log[0].recorded_by, "user:buyer@cmd.example");
    assert_eq!(
        s.audit_page(1, 1).await.unwrap().entries[0].kind,
        "contract.extended"
    );
    assert!(s.contract(id + 1000).await.unwrap().is_none());
});

on_both!(the_register_filters_and_sorts_by_end_date, |db, _clock| {
    with_authorities(db).await;
    let s = &db.store;
    let mut no_end = contract("C-none", "2030-01-01");
    no_end.end = None;
    no_end.extensions.clear();
    let rows = vec![
        contract("C-later", "2028-01-01"),
        no_end,
        contract("C-expired", "2026-01-01"),
        contract("C-soon", "2027-01-15"),
    ];
    s.import_contracts("test", &camden(), "f.csv", &rows)
        .await
        .unwrap();
    let refs = |v: Vec<consort_store::StoredContract>| {
        v.into_iter()
            .map(|c| c.contract.reference)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        refs(s.contracts(&ContractFilter::default()).await.unwrap()),
        ["C-expired", "C-soon", "C-later", "C-none"]
    );
    let today = "2026-11-25".parse().unwrap();
    let soon = ContractFilter {
        band: Some((ExpiryBand::Within90Days, today)),
        ..Default::default()
    };
    assert_eq!(refs(s.contracts(&soon).await.unwrap()), ["C-soon"]);
    let hackney = ContractFilter {
        authorities: Some(vec![OrgId::parse("GB-LAE-HCK").unwrap()]),
        ..Default::default()
    };
    assert!(s.contracts(&hackney).await.unwrap().is_empty());
});

on_both!(edits_are_audited_field_by_field, |db, _clock| {
    with_authorities(db).await;
    let s = &db.store;
    let id = s
        .create_contract("test", &contract("HMS-1", "2027-03-31"))
        .await
        .unwrap();
    let mut edited = contract("HMS-1", "2027-03-31");
    edited.annual_value = Some(Pence(31_000_000));
    s.update_contract("user:buyer@cmd.example", id, &edited)
        .await
        .unwrap();
    let entry = s.audit_page(1, 1).await.unwrap().entries.remove(0);
    assert_eq!(entry.kind, "contract.updated");
    assert!(
        entry.payload.contains("annual_value") && !entry.payload.contains("\"title\""),
        "{}",
        entry.payload
    );
    let mut bad = edited.clone();
    bad.end = Some("2020-01-01".parse().unwrap());
    let e = s.update_contract("test", id, &bad).await.unwrap_err();
    assert!(e.to_string().contains("before the start date"), "{e}");
});

on_both!(category_decisions_are_remembered, |db, _clock| {
    let s = &db.store;
    let decision = CategoryDecision {
        key_kind: "cpv".into(),
        key_value: "48000".into(),
        label: Some("Housing management system".into()),
    };
    s.record_category_decision("user:coordinator@lhpp.example", &decision)
        .await
        .unwrap();
    let rejected = CategoryDecision {
        label: None,
        ..decision.clone()
    };
    s.record_category_decision("user:coordinator@lhpp.example", &rejected)
        .await
        .unwrap();
    assert_eq!(s.category_decisions().await.unwrap(), vec![rejected]);
    let kinds: Vec<String> = s
        .audit_page(1, 2)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["category.rejected", "category.confirmed"]);
});
