//! The contracts-register CSV importer, on real and deliberately ugly files.

use consort_core::ids::OrgId;
use consort_core::register::import::{
    Field, FileError, ImportOptions, ParsedRegister, RowError, normalise_company_number,
    parse_cpv_codes, parse_date, parse_extensions, parse_pence, parse_register, parse_span,
    parse_status,
};
use consort_core::register::{Contract, ContractStatus, Pence, Source, Span};
use jiff::civil::{Date, date};
use proptest::prelude::*;
use std::collections::BTreeSet;

fn options(file: &str) -> ImportOptions {
    ImportOptions {
        authority: OrgId::parse("GB-LAE-NFK").unwrap(),
        file_name: file.to_string(),
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/registers/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse_fixture(name: &str) -> ParsedRegister {
    parse_register(&fixture(name), &options(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn parse_text(text: &str) -> ParsedRegister {
    parse_register(text.as_bytes(), &options("test.csv")).unwrap_or_else(|e| panic!("{e}"))
}

fn contract<'a>(parsed: &'a ParsedRegister, reference: &str) -> &'a Contract {
    parsed
        .contracts
        .iter()
        .map(|(_, c)| c)
        .find(|c| c.reference == reference)
        .unwrap_or_else(|| panic!("no contract {reference}: rejected {:#?}", parsed.rejected))
}

fn line_of(parsed: &ParsedRegister, reference: &str) -> u64 {
    parsed
        .contracts
        .iter()
        .find(|(_, c)| c.reference == reference)
        .map(|(l, _)| *l)
        .unwrap()
}

fn errors_on(parsed: &ParsedRegister, line: u64) -> Vec<String> {
    parsed
        .rejected
        .iter()
        .filter(|e| e.line == line)
        .map(ToString::to_string)
        .collect()
}

fn field_of(parsed: &ParsedRegister, header: &str) -> Option<Field> {
    parsed
        .columns
        .iter()
        .find(|c| c.header == header)
        .unwrap_or_else(|| panic!("no column {header}"))
        .field
}

// ---------------------------------------------------------------------------
// The real Norfolk County Council register
// ---------------------------------------------------------------------------

mod norfolk {
    use super::*;

    const FILE: &str = "norfolk-county-council-NCC164467.csv";

    fn parsed() -> ParsedRegister {
        parse_fixture(FILE)
    }

    #[test]
    fn the_copy_is_byte_for_byte() {
        let bytes = fixture(FILE);
        assert_eq!(bytes.len(), 2_310_201);
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "the file is not UTF-8"
        );
    }

    #[test]
    fn is_read_as_windows_1252_with_every_row_accounted_for() {
        let parsed = parsed();
        assert_eq!(parsed.encoding, "windows-1252");
        assert_eq!(parsed.header_line, 1);
        assert_eq!(parsed.columns.len(), 39);

        let accepted: BTreeSet<u64> = parsed.contracts.iter().map(|(l, _)| *l).collect();
        let rejected: BTreeSet<u64> = parsed.rejected.iter().map(|e| e.line).collect();
        assert_eq!(
            accepted.len(),
            parsed.contracts.len(),
            "one contract per line"
        );
        assert!(accepted.is_disjoint(&rejected));
        assert_eq!(accepted.len() + rejected.len(), 5_729);
        let all: BTreeSet<u64> = accepted.union(&rejected).copied().collect();
        assert_eq!(all, (2..=5_730).collect::<BTreeSet<u64>>());
        assert_eq!(parsed.rejected_lines().len(), rejected.len());
        assert!(parsed.rejected.iter().all(|e| !e.reason.trim().is_empty()));
        assert!(
            !all.contains(&5_731),
            "the trailing row of commas is skipped"
        );
    }

    #[test]
    fn rejects_exactly_the_missing_references_duplicates_and_negatives() {
        let parsed = parsed();
        let count =
            |pred: &dyn Fn(&RowError) -> bool| parsed.rejected.iter().filter(|e| pred(e)).count();
        let reference =
            |e: &RowError| e.column.as_deref() == Some("Contract Reference number / ID");
        assert_eq!(
            count(&|e| reference(e) && e.reason == "a contract needs a reference"),
            696
        );
        assert_eq!(
            count(&|e| reference(e) && e.reason.contains("already appears on line")),
            203,
            "later rows of 123 references repeated for frameworks"
        );
        assert_eq!(
            count(&|e| e.column.as_deref() == Some("Contract value")
                && e.reason.starts_with("a value cannot be negative")),
            6
        );
        assert_eq!(
            parsed.rejected.len(),
            696 + 203 + 6,
            "{:#?}",
            parsed.rejected
        );
        assert_eq!(
            errors_on(&parsed, 295),
            [r#"line 295, column "Contract value": a value cannot be negative: '(3728)'"#]
        );
        let dup = parsed
            .rejected
            .iter()
            .find(|e| e.reason.contains("already appears"))
            .unwrap();
        let first_line: u64 = dup.reason.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(first_line < dup.line);
    }

    #[test]
    fn decodes_text_and_tidies_fields() {
        let parsed = parsed();
        let contracts: Vec<&Contract> = parsed.contracts.iter().map(|(_, c)| c).collect();
        assert!(
            contracts.iter().any(|c| c.title.contains("King’s Lynn")),
            "0x92 is a right single quote"
        );
        assert!(contracts.iter().all(|c| c.title == c.title.trim()));
        assert!(contracts.iter().all(|c| !c.title.starts_with('"')));
        assert!(contracts.iter().any(|c| c.title
            == "Spot Purchased Day Care For Adults (Sense East(Dereham Resource Centre))"));
        assert!(
            contracts
                .iter()
                .any(|c| c.title.starts_with("NT&AS (National Teaching"))
        );
        assert!(
            contracts
                .iter()
                .all(|c| c.authority.as_str() == "GB-LAE-NFK")
        );
        assert!(contracts.iter().all(|c| c.cpv_codes.is_empty()));
        assert!(
            contracts
                .iter()
                .filter_map(|c| c.supplier_company_number.as_deref())
                .all(|n| !n.to_lowercase().starts_with("gb/"))
        );

        let first = contract(&parsed, "BAN12005");
        assert_eq!(
            first.total_value,
            Some(Pence(156_700)),
            "'1567 ' with a trailing space"
        );
        assert_eq!(first.supplier_company_number.as_deref(), Some("02165763"));
        assert_eq!(
            first.category.as_deref(),
            Some("Adult care - day care/community support/support into work")
        );
        assert_eq!(
            first.extra["Directorate / service responsible"],
            "COMMUNITY SERVICES"
        );
        assert!(
            !first.extra.contains_key("Open Contracting ID"),
            "empty values are omitted"
        );
        assert_eq!(
            first.source,
            Source::Csv {
                file: FILE.to_string(),
                line: 2
            }
        );

        let taxis = contract(&parsed, "AQN42658");
        assert_eq!(taxis.total_value, Some(Pence(2_981_022)));
        assert_eq!(taxis.start, Some(date(2014, 2, 3)));
        assert_eq!(taxis.end, Some(date(2016, 7, 31)));
        assert_eq!(taxis.extra["Last extension date"], "31/07/2016");

        let placeholder = parsed
            .contracts
            .iter()
            .filter(|(_, c)| c.start == Some(date(2000, 1, 1)))
            .count();
        assert!(
            placeholder > 100,
            "01-Jan-2000 start dates are kept as given"
        );
    }

    #[test]
    fn rows_without_an_organisation_take_the_authority_from_the_options() {
        let parsed = parsed();
        let late = parsed
            .contracts
            .iter()
            .filter(|(l, _)| *l >= 5_376)
            .collect::<Vec<_>>();
        assert!(!late.is_empty());
        assert!(
            late.iter()
                .all(|(_, c)| !c.extra.contains_key("Organisation name"))
        );
        let norwich = contract(&parsed, "AQN34166");
        assert_eq!(line_of(&parsed, "AQN34166"), 5_377);
        assert_eq!(norwich.authority.as_str(), "GB-LAE-NFK");
    }

    #[test]
    fn headers_are_understood() {
        let parsed = parsed();
        for (header, field) in [
            ("Contract Reference number / ID", Some(Field::Reference)),
            ("Title of the Agreement", Some(Field::Title)),
            (
                "Description of goods and services",
                Some(Field::Description),
            ),
            (
                "Procurement classification: Council's procurement category label",
                Some(Field::Category),
            ),
            ("Service Category label", None),
            (
                "Procurement classification: CPV code",
                Some(Field::CpvCodes),
            ),
            ("Procurement classification: CPV label", None),
            ("Contract start date", Some(Field::Start)),
            ("End date", Some(Field::End)),
            ("Review date", None),
            ("Last extension date", None),
            ("Contract value", Some(Field::TotalValue)),
            ("Supplier name", Some(Field::SupplierName)),
            (
                "Supplier registered company number",
                Some(Field::SupplierCompanyNumber),
            ),
            ("Other supplier ID", None),
            ("SME supplier", None),
            ("Nominated contact point: name", None),
            ("Service category URI", None),
        ] {
            assert_eq!(field_of(&parsed, header), field, "{header}");
        }
        let service = parsed.columns.iter().find(|c| c.column == 9).unwrap();
        assert!(service.note.contains("column 12"), "{}", service.note);
    }

    #[test]
    fn parses_quickly() {
        let bytes = fixture(FILE);
        let started = std::time::Instant::now();
        parse_register(&bytes, &options(FILE)).unwrap();
        // Well under a second in release; generous here for unoptimised test builds.
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }
}

// ---------------------------------------------------------------------------
// Made-up files
// ---------------------------------------------------------------------------

#[test]
fn utf8_with_bom_crlf_and_blank_rows() {
    let parsed = parse_fixture("utf8-bom-crlf.csv");
    assert_eq!(parsed.encoding, "UTF-8");
    assert!(parsed.rejected.is_empty(), "{:#?}", parsed.rejected);
    assert_eq!(parsed.contracts.len(), 5);
    assert_eq!(
        field_of(&parsed, "Contract Reference"),
        Some(Field::Reference)
    );
    assert_eq!(field_of(&parsed, "Ward"), None);

    let care = contract(&parsed, "CR-001");
    assert_eq!(line_of(&parsed, "CR-001"), 2);
    assert_eq!(care.title, "Adult social care framework");
    assert_eq!(care.description, "Home care across the borough");
    assert_eq!(care.supplier_name.as_deref(), Some("ACME CARE LTD"));
    assert_eq!(care.supplier_company_number.as_deref(), Some("07445476"));
    assert_eq!(
        care.cpv_codes
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>(),
        ["85000000", "85310000"]
    );
    assert_eq!(care.start, Some(date(2024, 4, 1)));
    assert_eq!(care.end, Some(date(2027, 3, 31)));
    assert_eq!(care.total_value, Some(Pence(123_456_789)));
    assert_eq!(care.annual_value, Some(Pence(40_000_000)));
    assert_eq!(care.extensions, [Span::Months(12), Span::Months(12)]);
    assert_eq!(care.notice_period, Some(Span::Months(3)));
    assert_eq!(care.break_date, Some(date(2026, 3, 31)));
    assert_eq!(care.status, ContractStatus::Active);
    assert_eq!(care.extra.get("Ward").map(String::as_str), Some("Holborn"));

    let gritting = contract(&parsed, "CR-002");
    assert_eq!(
        gritting.supplier_company_number.as_deref(),
        Some("07445476")
    );
    assert_eq!(gritting.start, Some(date(2024, 4, 1)));
    assert_eq!(gritting.end, Some(date(2026, 3, 31)));
    assert_eq!(gritting.total_value, Some(Pence(250_000_000)));
    assert_eq!(gritting.extensions, [Span::Months(12), Span::Months(12)]);
    assert_eq!(gritting.notice_period, Some(Span::Days(90)));
    assert!(gritting.extra.is_empty(), "empty values are omitted");

    let books = contract(&parsed, "CR-003");
    assert_eq!(books.title, "Library books");
    assert_eq!(books.supplier_company_number.as_deref(), Some("SC123456"));
    assert_eq!(books.start, Some(date(2024, 4, 1)));
    assert_eq!(books.end, Some(date(2025, 3, 31)));
    assert_eq!(books.total_value, Some(Pence(5_000_000)));
    assert!(books.extensions.is_empty());
    assert_eq!(books.notice_period, Some(Span::Days(42)));
    assert_eq!(books.status, ContractStatus::Ended);

    let parks = contract(&parsed, "CR-004");
    assert_eq!(line_of(&parsed, "CR-004"), 6, "after a row of only commas");
    assert_eq!(
        parks.description,
        "Grass cutting,\r\nhedges and\r\nplay areas"
    );
    assert_eq!(parks.cpv_codes.len(), 2);
    assert_eq!(parks.start, Some(date(2024, 3, 31)));
    assert_eq!(parks.end, Some(date(2026, 3, 30)));
    assert_eq!(parks.total_value, Some(Pence(25_000_000)));
    assert_eq!(parks.extensions, [Span::Months(24)]);
    assert_eq!(parks.status, ContractStatus::Terminated);

    let meals = contract(&parsed, "CR-005");
    assert_eq!(
        line_of(&parsed, "CR-005"),
        10,
        "three physical lines for CR-004, then a blank line"
    );
    assert_eq!(meals.end, None, "no end date is fine");
    assert_eq!(meals.total_value, Some(Pence(120_000_000)));
    assert_eq!(
        meals.status,
        ContractStatus::Active,
        "empty status is active"
    );
    assert_eq!(
        meals.source,
        Source::Csv {
            file: "utf8-bom-crlf.csv".to_string(),
            line: 10
        }
    );
}

#[test]
fn windows_1252_with_carriage_returns_only() {
    let parsed = parse_fixture("windows-1252-cr.csv");
    assert_eq!(parsed.encoding, "windows-1252");
    assert!(parsed.rejected.is_empty(), "{:#?}", parsed.rejected);
    assert_eq!(parsed.columns[3].header, "Value (£)");
    assert_eq!(parsed.columns[3].field, Some(Field::TotalValue));

    let library = contract(&parsed, "W1");
    assert_eq!(library.title, "King’s Lynn library refurbishment");
    assert_eq!(library.supplier_name.as_deref(), Some("O’Brien Builders"));
    assert_eq!(library.total_value, Some(Pence(1_250_000)));

    let cafe = contract(&parsed, "W2");
    assert_eq!(line_of(&parsed, "W2"), 3);
    assert_eq!(cafe.title, "Café concession");
    assert_eq!(
        cafe.supplier_name.as_deref(),
        Some("Le Café Ltd"),
        "no-break spaces trimmed"
    );
    assert_eq!(cafe.total_value, Some(Pence(99_900)));

    let bridge = contract(&parsed, "W3");
    assert_eq!(line_of(&parsed, "W3"), 4);
    assert_eq!(bridge.total_value, Some(Pence(125_000_000)));
    assert_eq!(bridge.end, Some(date(2027, 12, 31)));
}

#[test]
fn headers_flattened_from_merged_cells() {
    let parsed = parse_fixture("merged-headers.csv");
    for (header, field) in [
        ("Ref", Some(Field::Reference)),
        ("Title of the Agreement", Some(Field::Title)),
        ("Contract Dates Start", Some(Field::Start)),
        ("Contract Dates End", Some(Field::End)),
        ("Dates - Break date", Some(Field::BreakDate)),
        ("Value (£)", Some(Field::TotalValue)),
        ("Value (£) Annual", Some(Field::AnnualValue)),
        ("Supplier Details Name", Some(Field::SupplierName)),
        ("Contract Manager Name", None),
        (
            "Procurement classification: CPV code",
            Some(Field::CpvCodes),
        ),
        ("Option to extend", Some(Field::Extensions)),
        ("NOTICE_PERIOD", Some(Field::NoticePeriod)),
        ("Contract  Status", Some(Field::Status)),
    ] {
        assert_eq!(field_of(&parsed, header), field, "{header}");
    }
    let waste = contract(&parsed, "M1");
    assert_eq!(waste.start, Some(date(2020, 4, 1)));
    assert_eq!(waste.end, Some(date(2028, 3, 31)));
    assert_eq!(waste.break_date, Some(date(2026, 3, 31)));
    assert_eq!(waste.total_value, Some(Pence(1_200_000_000)));
    assert_eq!(waste.annual_value, Some(Pence(150_000_000)));
    assert_eq!(waste.supplier_name.as_deref(), Some("BINS LTD"));
    assert_eq!(waste.extra["Contract Manager Name"], "Jo Bloggs");
    assert_eq!(waste.extensions, [Span::Months(12), Span::Months(12)]);
    assert_eq!(waste.notice_period, Some(Span::Months(6)));
}

#[test]
fn ugly_rows_are_rejected_one_error_per_bad_field() {
    let parsed = parse_fixture("ugly-rows.csv");
    let accepted: Vec<&str> = parsed
        .contracts
        .iter()
        .map(|(_, c)| c.reference.as_str())
        .collect();
    assert_eq!(accepted, ["U1", "U9", "U11", "U12", "U13", "U14", "U15"]);
    assert_eq!(
        parsed.rejected_lines(),
        [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 19]
    );

    assert_eq!(
        errors_on(&parsed, 3),
        [r#"line 3, column "Contract Value": a value cannot be negative: '(3728)'"#]
    );
    assert_eq!(
        errors_on(&parsed, 4),
        [r#"line 4, column "Contract Value": a value cannot be negative: '-5'"#]
    );
    assert_eq!(
        errors_on(&parsed, 5),
        [
            r#"line 5, column "Start Date": '03/31/2026' is not a date: the month 31 is not valid (dates are read day first, as dd/mm/yyyy)"#
        ]
    );
    assert_eq!(
        errors_on(&parsed, 6),
        [
            r#"line 6, column "End Date": the end date 2025-01-01 is before the start date 2026-01-01"#
        ]
    );
    assert_eq!(
        errors_on(&parsed, 7),
        [r#"line 7, column "Reference": reference U1 already appears on line 2"#]
    );
    assert!(errors_on(&parsed, 8)[0].contains("serial number"));

    let many: Vec<&RowError> = parsed.rejected.iter().filter(|e| e.line == 9).collect();
    let columns: Vec<&str> = many.iter().filter_map(|e| e.column.as_deref()).collect();
    assert_eq!(
        columns,
        [
            "Start Date",
            "End Date",
            "Contract Value",
            "Annual Spend",
            "CPV",
            "Extensions",
            "Notice Period",
            "Status"
        ],
        "{many:#?}"
    );
    assert!(
        many[0]
            .reason
            .contains("there is no day 31 in February 2026")
    );
    assert!(many[1].reason.contains("'soon'"));
    assert!(many[2].reason.contains("'lots'"));
    assert!(many[3].reason.contains("cannot be negative"));
    assert!(many[4].reason.contains("'4800'"));
    assert!(many[5].reason.contains("'forever'"));
    assert!(many[6].reason.contains("'3'"));
    assert!(many[7].reason.contains("'pending?'"));

    assert_eq!(
        errors_on(&parsed, 10),
        [r#"line 10, column "Reference": a contract needs a reference"#]
    );
    assert_eq!(
        errors_on(&parsed, 11),
        [r#"line 11, column "Title": a contract needs a title"#]
    );
    assert!(errors_on(&parsed, 13)[0].starts_with("line 13: this row has 13 values"));
    assert_eq!(
        errors_on(&parsed, 19),
        ["line 19: this row repeats the header row"]
    );

    let quoted = contract(&parsed, "U9");
    assert_eq!(quoted.title, "Quoted title");
    assert_eq!(
        quoted.start,
        Some(date(2000, 1, 1)),
        "placeholder kept as given"
    );
    assert_eq!(quoted.total_value, Some(Pence(5_000_000)));
    assert_eq!(contract(&parsed, "U1").extra["Notes"], "kept note");
    assert_eq!(contract(&parsed, "U13").title, "Multi-line\ntitle");
    assert_eq!(line_of(&parsed, "U13"), 16);
    assert_eq!(line_of(&parsed, "U14"), 18);
    assert_eq!(contract(&parsed, "U15").title, "No-break spaces");
    assert_eq!(
        contract(&parsed, "U15").supplier_name.as_deref(),
        Some("ACME")
    );
}

#[test]
fn row_error_display_names_line_and_column() {
    let mut csv = String::from("Reference,Title,Start Date,End Date\n");
    for i in 2..14 {
        csv.push_str(&format!("R{i},Row {i},01/01/2026,01/01/2027\n"));
    }
    csv.push_str("R14,Backwards,01/01/2026,01/01/2025\n");
    let parsed = parse_text(&csv);
    assert_eq!(parsed.contracts.len(), 12);
    assert_eq!(
        parsed.rejected[0].to_string(),
        r#"line 14, column "End Date": the end date 2025-01-01 is before the start date 2026-01-01"#
    );
    let no_column = RowError {
        line: 3,
        column: None,
        reason: "why".into(),
    };
    assert_eq!(no_column.to_string(), "line 3: why");
}

// ---------------------------------------------------------------------------
// Whole-file errors
// ---------------------------------------------------------------------------

#[test]
fn a_pdf_is_not_a_csv_file() {
    let err = parse_register(&fixture("actually-a-pdf.csv"), &options("x.csv")).unwrap_err();
    assert!(matches!(err, FileError::NotText { .. }), "{err:?}");
    assert!(err.to_string().contains("PDF"), "{err}");
}

#[test]
fn binary_files_are_refused() {
    for (bytes, what) in [
        (&b"PK\x03\x04\x14\x00\x06\x00"[..], "xlsx"),
        (&b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00"[..], ".xls"),
        (&b"Reference,Title\nA,B\x00\x00\n"[..], "NUL"),
        (&b"\x89PNG\r\n\x1a\n"[..], "PNG"),
        (&b"  <!DOCTYPE html><html>"[..], "HTML"),
    ] {
        let err = parse_register(bytes, &options("x.csv")).unwrap_err();
        assert!(err.to_string().contains(what), "{what}: {err}");
    }
}

#[test]
fn files_with_no_header_row() {
    for text in ["", "\r\n\r\n", ",,,\n,,,\n", " \n"] {
        assert_eq!(
            parse_register(text.as_bytes(), &options("x.csv")).unwrap_err(),
            FileError::NoHeader,
            "{text:?}"
        );
    }
}

#[test]
fn a_header_with_no_contract_columns_names_what_was_found() {
    let err = parse_register(
        b"Body,Date,Transaction Number,Amount\nCamden,01/01/2026,1,5\n",
        &options("spend.csv"),
    )
    .unwrap_err();
    assert!(
        matches!(err, FileError::NoContractColumns { line: 1, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("\"Transaction Number\""), "{message}");
    assert!(
        message.contains("reference") && message.contains("title"),
        "{message}"
    );
}

#[test]
fn a_missing_required_column_is_named() {
    let err = parse_register(
        b"Contract Reference,Supplier,End Date\nA1,ACME,01/01/2026\n",
        &options("x.csv"),
    )
    .unwrap_err();
    match &err {
        FileError::MissingColumns { missing, found, .. } => {
            assert_eq!(missing, &[Field::Title]);
            assert_eq!(found, &["Contract Reference", "Supplier", "End Date"]);
        }
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("no title column"), "{message}");
    assert!(message.contains("\"Title\""), "{message}");
}

// ---------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------

#[test]
fn every_synonym_maps_to_its_field_however_it_is_written() {
    let table: &[(Field, &[&str])] = &[
        (
            Field::End,
            &[
                "Contract End Date",
                "End Date",
                "Expiry Date",
                "Contract Expiry",
            ],
        ),
        (
            Field::Start,
            &["Start Date", "Contract Start Date", "Commencement Date"],
        ),
        (
            Field::Reference,
            &[
                "Reference",
                "Contract Reference",
                "Contract Reference number / ID",
                "Ref",
                "Contract ID",
            ],
        ),
        (
            Field::Title,
            &[
                "Title",
                "Title of the Agreement",
                "Contract Title",
                "Contract Name",
            ],
        ),
        (
            Field::Description,
            &["Description", "Description of goods and services"],
        ),
        (
            Field::SupplierName,
            &["Supplier", "Supplier Name", "Contractor"],
        ),
        (
            Field::SupplierCompanyNumber,
            &[
                "Supplier registered company number",
                "Company Number",
                "Companies House Number",
            ],
        ),
        (
            Field::CpvCodes,
            &[
                "CPV",
                "CPV Code",
                "CPV Codes",
                "Procurement classification: CPV code",
            ],
        ),
        (
            Field::TotalValue,
            &[
                "Value",
                "Contract Value",
                "Total Contract Value",
                "Total Value",
                "Sum to be paid",
            ],
        ),
        (
            Field::AnnualValue,
            &[
                "Annual Value",
                "Estimated Annual Spend",
                "Annual Spend",
                "Estimated annual value",
            ],
        ),
        (
            Field::Extensions,
            &[
                "Extension Options",
                "Extension Period",
                "Extensions",
                "Option to extend",
            ],
        ),
        (
            Field::BreakDate,
            &["Break Date", "Break Clause Date", "Earliest Break"],
        ),
        (Field::NoticePeriod, &["Notice Period"]),
        (
            Field::Category,
            &[
                "Category",
                "Service Category label",
                "Procurement classification: Council's procurement category label",
            ],
        ),
        (Field::Status, &["Status"]),
    ];
    let spellings = |s: &str| {
        vec![
            s.to_string(),
            s.to_uppercase(),
            format!("  {} ", s.to_lowercase()),
            s.to_lowercase().replace(' ', "_"),
            s.replace(' ', "  "),
        ]
    };
    for (field, synonyms) in table {
        for synonym in *synonyms {
            for header in spellings(synonym) {
                let (first, second) = match field {
                    Field::Reference => ("Title".to_string(), header.clone()),
                    Field::Title => ("Reference".to_string(), header.clone()),
                    _ => ("Reference".to_string(), "Title".to_string()),
                };
                let third = if matches!(field, Field::Reference | Field::Title) {
                    "Notes".to_string()
                } else {
                    header.clone()
                };
                let csv = format!("\"{first}\",\"{second}\",\"{third}\"\nA,B,C\n");
                let parsed = parse_text(&csv);
                let column = parsed
                    .columns
                    .iter()
                    .find(|c| c.header == header.trim())
                    .unwrap();
                assert_eq!(column.field, Some(*field), "{header:?}: {}", column.note);
            }
        }
    }
}

#[test]
fn amount_headers_with_currency_and_vat_wording() {
    for (header, field) in [
        ("Value ex VAT", Some(Field::TotalValue)),
        ("Contract Value (£) exc VAT", Some(Field::TotalValue)),
        ("Total Contract Value £", Some(Field::TotalValue)),
        ("Annual Contract Value", Some(Field::AnnualValue)),
        ("Estimated Annual Value (inc VAT)", Some(Field::AnnualValue)),
        ("VAT Value", None),
        ("Irrecoverable VAT", None),
    ] {
        let parsed = parse_text(&format!("Ref,Title,{header}\nA,B,5\n"));
        assert_eq!(field_of(&parsed, header), field, "{header}");
    }
}

#[test]
fn literal_quotes_are_stripped_only_when_they_wrap_the_whole_value() {
    let parsed =
        parse_text("Ref,Title\nA1,\"\"\"Wrapped\"\"\"\nA2,\"\"\"Big\"\" job \"\"Two\"\"\"\n");
    assert_eq!(contract(&parsed, "A1").title, "Wrapped");
    assert_eq!(contract(&parsed, "A2").title, "\"Big\" job \"Two\"");
}

#[test]
fn the_first_of_two_columns_for_one_field_wins_and_the_other_is_kept() {
    let parsed =
        parse_text("Reference,Title,End Date,Expiry Date,Notes\nA1,Thing,31/03/2026,31/03/2027,\n");
    assert_eq!(field_of(&parsed, "End Date"), Some(Field::End));
    assert_eq!(field_of(&parsed, "Expiry Date"), None);
    let expiry = parsed
        .columns
        .iter()
        .find(|c| c.header == "Expiry Date")
        .unwrap();
    assert!(expiry.note.contains("column 3"), "{}", expiry.note);
    let a1 = contract(&parsed, "A1");
    assert_eq!(a1.end, Some(date(2026, 3, 31)));
    assert_eq!(a1.extra["Expiry Date"], "31/03/2027");
    assert!(!a1.extra.contains_key("Notes"));
}

#[test]
fn one_column_is_never_read_into_two_fields() {
    let parsed = parse_text("Contract Reference,Contract Title,Supplier Name\nA,B,C\n");
    let fields: Vec<Option<Field>> = parsed.columns.iter().map(|c| c.field).collect();
    assert_eq!(
        fields,
        [
            Some(Field::Reference),
            Some(Field::Title),
            Some(Field::SupplierName)
        ]
    );
}

#[test]
fn title_rows_above_the_header_are_passed_over() {
    let parsed = parse_text(
        "Camden Council contracts register,,\nPublished quarterly,,\n\nRef,Title,Value\nA1,Thing,£5\n",
    );
    assert_eq!(parsed.header_line, 4);
    assert_eq!(line_of(&parsed, "A1"), 5);
}

#[test]
fn unknown_and_blank_headers() {
    let parsed = parse_text("Ref,Title,,Notes,Notes\nA1,Thing,x,first,second\nA2,Other,,,\n");
    assert_eq!(parsed.columns[2].header, "Column 3");
    let a1 = contract(&parsed, "A1");
    assert_eq!(a1.extra["Column 3"], "x");
    assert_eq!(a1.extra["Notes"], "first");
    assert_eq!(a1.extra["Notes (column 5)"], "second");
    assert!(contract(&parsed, "A2").extra.is_empty());
}

#[test]
fn semicolon_and_tab_separated_files() {
    let parsed = parse_text("Ref;Title;Value\nA1;Thing;1234,00\n");
    assert_eq!(
        parsed.rejected.len(),
        1,
        "a decimal comma is not read as pence"
    );
    let parsed = parse_text("Ref\tTitle\tValue\nA1\tThing\t£1,234.00\n");
    assert_eq!(contract(&parsed, "A1").total_value, Some(Pence(123_400)));
}

#[test]
fn a_stray_quote_that_swallows_the_file_is_reported() {
    let parsed = parse_text("Ref,Title,Value\nA1,\"Open quote,5\nA2,Thing,6\nA3,Other,7\n");
    assert!(parsed.contracts.is_empty());
    assert_eq!(parsed.rejected.len(), 1);
    assert!(
        parsed.rejected[0].reason.contains("stray quote"),
        "{}",
        parsed.rejected[0]
    );
}

#[test]
fn utf16_with_a_bom_is_decoded() {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in "Ref,Title\r\nA1,Caf\u{e9}\r\n".encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    let parsed = parse_register(&bytes, &options("x.csv")).unwrap();
    assert_eq!(parsed.encoding, "UTF-16LE");
    assert_eq!(contract(&parsed, "A1").title, "Café");
}

// ---------------------------------------------------------------------------
// The small parsers
// ---------------------------------------------------------------------------

#[test]
fn dates_as_councils_write_them() {
    let expected = date(2026, 3, 31);
    for text in [
        "31/03/2026",
        "2026-03-31",
        "31-Mar-2026",
        "31 March 2026",
        "31 Mar 2026",
        "31/03/26",
        "31.03.2026",
        "  31/03/2026 ",
        "\u{a0}31/03/2026",
        "31/3/2026",
        "31st March 2026",
        "31-MAR-2026",
        "31/03/2026 00:00:00",
        "2026-03-31T00:00:00",
        "31 Sept 2026",
    ] {
        let want = if text.contains("Sept") {
            date(2026, 9, 30)
        } else {
            expected
        };
        let text = text.replace("31 Sept", "30 Sept");
        assert_eq!(parse_date(&text), Ok(want), "{text}");
    }
    assert_eq!(parse_date("01/01/69"), Ok(date(2069, 1, 1)));
    assert_eq!(parse_date("01/01/70"), Ok(date(1970, 1, 1)));
    assert_eq!(parse_date("01/01/00"), Ok(date(2000, 1, 1)));
    assert_eq!(parse_date("01-Jan-2000"), Ok(date(2000, 1, 1)));
    assert_eq!(parse_date("29/02/2024"), Ok(date(2024, 2, 29)));
}

#[test]
fn dates_that_are_refused() {
    let us = parse_date("03/31/2026").unwrap_err();
    assert!(us.contains("the month 31 is not valid"), "{us}");
    let serial = parse_date("45382").unwrap_err();
    assert!(serial.contains("serial number"), "{serial}");
    assert!(parse_date("45382.0").unwrap_err().contains("serial number"));
    assert!(
        parse_date("29/02/2025")
            .unwrap_err()
            .contains("no day 29 in February 2025")
    );
    assert!(
        parse_date("March 31 2026")
            .unwrap_err()
            .contains("day before the month")
    );
    for bad in [
        "",
        "soon",
        "31/03",
        "31/13/2026",
        "00/01/2026",
        "31/03/202",
        "TBC",
        "31/Foo/2026",
    ] {
        let err = parse_date(bad).unwrap_err();
        if !bad.is_empty() {
            assert!(err.contains(bad), "{bad}: {err}");
        }
    }
}

#[test]
fn amounts_to_the_penny() {
    for (text, pence) in [
        ("£1,234.56", 123_456),
        ("1234", 123_400),
        ("29,810.22", 2_981_022),
        ("50000 ", 5_000_000),
        ("£1.2m", 120_000_000),
        ("250k", 25_000_000),
        ("£2.5M", 250_000_000),
        ("1,000,000.00", 100_000_000),
        ("0.00", 0),
        ("£ 12,500", 1_250_000),
        ("12.5", 1_250),
        (".5", 50),
        ("£0.05", 5),
        ("1.234567m", 123_456_700),
        ("GBP 100", 10_000),
        ("100.10", 10_010),
        ("1.999k", 199_900),
    ] {
        assert_eq!(parse_pence(text), Ok(Some(Pence(pence))), "{text}");
    }
    for none in ["", "  ", "-", "n/a", "N/A"] {
        assert_eq!(parse_pence(none), Ok(None), "{none:?}");
    }
}

#[test]
fn amounts_that_are_refused() {
    for negative in ["(3728)", "-5", "£-5", "-£5", "(£1,234.00)", "5-"] {
        let err = parse_pence(negative).unwrap_err();
        assert!(
            err.contains("a value cannot be negative"),
            "{negative}: {err}"
        );
    }
    for bad in [
        "TBC",
        "lots",
        "1,00",
        "12,34,567",
        "1.2.3",
        "£",
        "1e6",
        "12.345",
        "1.234567891m",
        "45 pounds",
    ] {
        let err = parse_pence(bad).unwrap_err();
        assert!(err.contains(bad), "{bad}: {err}");
    }
    assert!(
        parse_pence("99999999999999999999")
            .unwrap_err()
            .contains("too large")
    );
}

#[test]
fn extension_options_as_written() {
    let m = Span::Months;
    for (text, spans) in [
        ("1+1", vec![m(12), m(12)]),
        ("1 + 1 years", vec![m(12), m(12)]),
        ("1+1+1", vec![m(12), m(12), m(12)]),
        ("2 x 12 months", vec![m(12), m(12)]),
        ("2x12 months", vec![m(12), m(12)]),
        ("12 months + 12 months", vec![m(12), m(12)]),
        ("up to 24 months", vec![m(24)]),
        ("Up to 24 Months", vec![m(24)]),
        ("24 months", vec![m(24)]),
        ("1 year", vec![m(12)]),
        ("2 years", vec![m(24)]),
        ("6+6 months", vec![m(6), m(6)]),
        ("none", vec![]),
        ("None", vec![]),
        ("n/a", vec![]),
        ("N/A", vec![]),
        ("", vec![]),
        ("12m", vec![m(12)]),
        ("option to extend for a further 2 years", vec![m(24)]),
        ("Option to extend for a further year", vec![m(12)]),
        ("2 x 1 year", vec![m(12), m(12)]),
        ("1 year + 6 months", vec![m(12), m(6)]),
        ("12 months x 2", vec![m(12), m(12)]),
        ("two periods of 12 months", vec![m(12), m(12)]),
        ("1.5 years", vec![m(18)]),
        ("24 months (2 x 12 months)", vec![m(12), m(12)]),
        ("2 years (1+1)", vec![m(12), m(12)]),
        ("6 weeks", vec![Span::Days(42)]),
    ] {
        assert_eq!(parse_extensions(text), Ok(spans), "{text}");
    }
    for bad in ["forever", "yes", "12+12", "until 31/03/2027", "1/1"] {
        let err = parse_extensions(bad).unwrap_err();
        assert!(err.contains(&format!("'{bad}'")), "{bad}: {err}");
    }
}

#[test]
fn notice_periods() {
    for (text, span) in [
        ("3 months", Some(Span::Months(3))),
        ("90 days", Some(Span::Days(90))),
        ("6 weeks", Some(Span::Days(42))),
        ("1 year", Some(Span::Months(12))),
        ("3 months' notice", Some(Span::Months(3))),
        ("one month", Some(Span::Months(1))),
        ("3 calendar months", Some(Span::Months(3))),
        ("", None),
        ("n/a", None),
    ] {
        assert_eq!(parse_span(text), Ok(span), "{text}");
    }
    assert!(
        parse_span("3")
            .unwrap_err()
            .contains("days, weeks, months or years")
    );
    assert!(
        parse_span("20 working days")
            .unwrap_err()
            .contains("working days")
    );
    assert!(parse_span("1+1").is_err());
    assert!(parse_span("soon").unwrap_err().contains("'soon'"));
}

#[test]
fn statuses() {
    for (text, status) in [
        ("Active", ContractStatus::Active),
        ("live", ContractStatus::Active),
        ("CURRENT", ContractStatus::Active),
        ("", ContractStatus::Active),
        ("Expired", ContractStatus::Ended),
        ("ended", ContractStatus::Ended),
        ("Closed", ContractStatus::Ended),
        ("Terminated", ContractStatus::Terminated),
        ("cancelled", ContractStatus::Terminated),
    ] {
        assert_eq!(parse_status(text), Ok(status), "{text}");
    }
    assert!(parse_status("maybe").unwrap_err().contains("'maybe'"));
}

#[test]
fn cpv_codes() {
    let codes = |s: &str| -> Result<Vec<String>, String> {
        parse_cpv_codes(s).map(|v| v.iter().map(|c| c.as_str().to_string()).collect())
    };
    assert_eq!(codes(""), Ok(vec![]));
    assert_eq!(codes("48000000-8"), Ok(vec!["48000000".into()]));
    assert_eq!(
        codes("48000000-8; 72000000,79000000|85000000 90000000"),
        Ok(vec![
            "48000000".into(),
            "72000000".into(),
            "79000000".into(),
            "85000000".into(),
            "90000000".into()
        ])
    );
    assert_eq!(codes("48000000 - 8"), Ok(vec!["48000000".into()]));
    assert_eq!(codes("48000000, 48000000-8"), Ok(vec!["48000000".into()]));
    assert_eq!(
        codes("3000000"),
        Ok(vec!["03000000".into()]),
        "a lost leading zero"
    );
    assert!(codes("4800").unwrap_err().contains("'4800'"));
    assert!(codes("48000000-xyz").is_err());
    assert!(
        codes("48000000 Software")
            .unwrap_err()
            .contains("'Software'")
    );
}

#[test]
fn company_numbers() {
    for (text, want) in [
        ("gb/07445476", Some("07445476")),
        ("GB/07445476", Some("07445476")),
        ("7445476", Some("07445476")),
        ("07445476", Some("07445476")),
        ("sc123456", Some("SC123456")),
        ("gb/SC123456", Some("SC123456")),
        (" IP29346R ", Some("IP29346R")),
        (
            "Registered charity 1234567890",
            Some("Registered charity 1234567890"),
        ),
        ("", None),
        ("n/a", None),
    ] {
        assert_eq!(normalise_company_number(text).as_deref(), want, "{text}");
    }
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn any_date(years: std::ops::RangeInclusive<i16>) -> impl Strategy<Value = Date> {
    (years, 1i8..=12, 1i8..=31).prop_map(|(y, m, d)| {
        let first = date(y, m, 1);
        date(y, m, d.min(first.days_in_month()))
    })
}

/// Pounds and pence as `£1,234,567.89`, grouping by hand.
fn money(pence: i64) -> String {
    let pounds = (pence / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in pounds.chars().enumerate() {
        if i > 0 && (pounds.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("£{grouped}.{:02}", pence % 100)
}

proptest! {
    #[test]
    fn dates_round_trip_through_every_format(d in any_date(1000..=9999), spaces in 0usize..3) {
        let (y, m, day) = (d.year(), d.month(), d.day());
        let name = MONTH_NAMES[m as usize - 1];
        let pad = " ".repeat(spaces);
        for text in [
            format!("{day:02}/{m:02}/{y}"),
            format!("{day}/{m}/{y}"),
            format!("{y}-{m:02}-{day:02}"),
            format!("{day:02}-{}-{y}", &name[..3]),
            format!("{day} {name} {y}"),
            format!("{day} {} {y}", &name[..3]),
            format!("{day:02}.{m:02}.{y}"),
        ] {
            prop_assert_eq!(parse_date(&format!("{pad}{text}{pad}")), Ok(d), "{}", text);
        }
    }

    #[test]
    fn two_digit_years_fall_in_1970_to_2069(d in any_date(1970..=2069)) {
        let text = format!("{:02}/{:02}/{:02}", d.day(), d.month(), d.year() % 100);
        prop_assert_eq!(parse_date(&text), Ok(d), "{}", text);
    }

    #[test]
    fn month_first_dates_are_never_read(day in 13i8..=31, month in 1i8..=12, y in 2000i16..2100) {
        let err = parse_date(&format!("{month:02}/{day:02}/{y}")).unwrap_err();
        let expected = format!("the month {day} is not valid");
        prop_assert!(err.contains(&expected), "{}", err);
    }

    #[test]
    fn amounts_round_trip_through_pounds_and_commas(pence in 0i64..=i64::MAX / 1000) {
        prop_assert_eq!(parse_pence(&money(pence)), Ok(Some(Pence(pence))));
        prop_assert_eq!(parse_pence(&Pence(pence).display()), Ok(Some(Pence(pence))));
        prop_assert_eq!(parse_pence(&format!("{}.{:02}", pence / 100, pence % 100)), Ok(Some(Pence(pence))));
        if pence > 0 {
            let bracketed = format!("({})", money(pence));
            prop_assert!(parse_pence(&bracketed).unwrap_err().contains("cannot be negative"));
        }
    }

    #[test]
    fn thousands_and_millions_are_exact(whole in 0i64..100_000, tenths in 0i64..10) {
        prop_assert_eq!(parse_pence(&format!("{whole}.{tenths}k")), Ok(Some(Pence(whole * 100_000 + tenths * 10_000))));
        prop_assert_eq!(parse_pence(&format!("£{whole}.{tenths}m")), Ok(Some(Pence(whole * 100_000_000 + tenths * 10_000_000))));
    }

    #[test]
    fn extension_lists_round_trip(options in proptest::collection::vec(1u32..=60, 1..5)) {
        let text = options.iter().map(|m| format!("{m} months")).collect::<Vec<_>>().join(" + ");
        let want: Vec<Span> = options.iter().map(|m| Span::Months(*m)).collect();
        prop_assert_eq!(parse_extensions(&text), Ok(want));
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,40}") {
        let _ = parse_date(&s);
        let _ = parse_pence(&s);
        let _ = parse_extensions(&s);
        let _ = parse_span(&s);
        let _ = parse_status(&s);
        let _ = parse_cpv_codes(&s);
        let _ = normalise_company_number(&s);
    }

    #[test]
    fn registers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_register(&bytes, &options("fuzz.csv"));
    }

    #[test]
    fn csv_like_registers_never_panic(body in "[A-Za-z0-9,\"\r\n £()./-]{0,300}") {
        let text = format!("Reference,Title,Start Date,End Date,Value,Extensions\n{body}");
        if let Ok(parsed) = parse_register(text.as_bytes(), &options("fuzz.csv")) {
            for (line, c) in &parsed.contracts {
                prop_assert!(c.check().is_ok());
                prop_assert!(*line >= 2);
            }
        }
    }
}
