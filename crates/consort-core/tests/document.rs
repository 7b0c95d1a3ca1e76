//! Upload rules, safe file names, download headers and content hashes.

use consort_core::document::{
    CheckedUpload, ContentHash, DEFAULT_MAX_UPLOAD_BYTES, Disposition, DocumentError, DocumentType,
    FALLBACK_FILE_NAME, MAX_FILE_NAME_BYTES, UploadPolicy, check_upload, content_disposition,
    safe_file_name,
};
use proptest::prelude::*;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
const OLD_WORD: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0\0\0\0\0\0\0";
const PROGRAM: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";

/// The start of a ZIP package whose first entry is `name`, stored (method 0) with
/// `content`, as OpenDocument packages begin.
fn zip_starting_with(name: &str, content: &[u8]) -> Vec<u8> {
    let mut zip = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
    zip.extend((content.len() as u32).to_le_bytes());
    zip.extend((content.len() as u32).to_le_bytes());
    zip.extend((name.len() as u16).to_le_bytes());
    zip.extend(0u16.to_le_bytes());
    zip.extend(name.as_bytes());
    zip.extend(content);
    zip.extend(b"PK\x03\x04 and the rest of the package");
    zip
}

fn office_open_xml() -> Vec<u8> {
    zip_starting_with("[Content_Types].xml", b"<?xml version=\"1.0\"?><Types/>")
}

fn open_document(kind: &str) -> Vec<u8> {
    zip_starting_with(
        "mimetype",
        format!("application/vnd.oasis.opendocument.{kind}").as_bytes(),
    )
}

fn check(name: &str, bytes: &[u8]) -> Result<CheckedUpload, DocumentError> {
    check_upload(&UploadPolicy::default(), name, None, bytes)
}

fn refusal(name: &str, bytes: &[u8]) -> String {
    match check(name, bytes) {
        Ok(accepted) => panic!("{name} was accepted as {:?}", accepted.document_type),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_default_policy_is_25_mb_of_everyday_documents_without_archives() {
    let policy = UploadPolicy::default();
    assert_eq!(policy.max_bytes, 25 * 1024 * 1024);
    assert_eq!(DEFAULT_MAX_UPLOAD_BYTES, policy.max_bytes);
    for accepted in [
        DocumentType::Pdf,
        DocumentType::Docx,
        DocumentType::Xlsx,
        DocumentType::Odt,
        DocumentType::Ods,
        DocumentType::Csv,
        DocumentType::Text,
        DocumentType::Png,
        DocumentType::Jpeg,
    ] {
        assert!(policy.accepts(accepted), "{accepted:?}");
    }
    assert!(!policy.accepts(DocumentType::Zip));
    assert_eq!(
        policy.accept_attribute(),
        ".pdf,.docx,.xlsx,.odt,.ods,.csv,.txt,.png,.jpg,.jpeg"
    );
}

#[test]
fn each_accepted_type_passes_when_its_content_matches_its_name() {
    let docx = office_open_xml();
    let odt = open_document("text");
    let ods = open_document("spreadsheet");
    let cases: [(&str, &[u8], DocumentType); 12] = [
        ("Tender.pdf", PDF, DocumentType::Pdf),
        ("Method statement.docx", &docx, DocumentType::Docx),
        ("Pricing schedule.xlsx", &docx, DocumentType::Xlsx),
        ("Letter.odt", &odt, DocumentType::Odt),
        ("Prices.ods", &ods, DocumentType::Ods),
        // Without a `mimetype` entry the extension alone tells ZIP packages apart.
        ("Letter without mimetype.odt", &docx, DocumentType::Odt),
        (
            "Register.csv",
            "\u{feff}Title,Value\nMeals,£1,200\n".as_bytes(),
            DocumentType::Csv,
        ),
        (
            "Notes.txt",
            "Clarification: lot 2 — café".as_bytes(),
            DocumentType::Text,
        ),
        ("Site plan.png", PNG, DocumentType::Png),
        ("Photo.jpg", JPEG, DocumentType::Jpeg),
        ("Photo.jpeg", JPEG, DocumentType::Jpeg),
        ("SCAN.PDF", PDF, DocumentType::Pdf),
    ];
    for (name, bytes, expected) in cases {
        let checked = check(name, bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(checked.document_type, expected, "{name}");
        assert_eq!(checked.file_name, name);
        assert_eq!(checked.size, bytes.len() as u64);
        assert_eq!(checked.media_type(), expected.media_type());
    }
}

#[test]
fn text_is_text_whatever_it_starts_with() {
    for text in [
        "MZ Holdings Ltd: clarification",
        "GIF89a is an image format",
        "%PDF-1.4 notes",
    ] {
        let checked = check("notes.txt", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(checked.document_type, DocumentType::Text);
    }
    assert_eq!(
        refusal("bid.pdf", b"MZ Holdings Ltd"),
        "the file is named .pdf but is not a PDF: it is text"
    );
}

#[test]
fn the_declared_media_type_is_kept_but_never_decides() {
    let checked =
        check_upload(&UploadPolicy::default(), "bid.pdf", Some("image/png"), PDF).unwrap();
    assert_eq!(checked.document_type, DocumentType::Pdf);
    assert_eq!(checked.media_type(), "application/pdf");
    assert_eq!(checked.declared_media_type.as_deref(), Some("image/png"));

    let csv = check_upload(
        &UploadPolicy::default(),
        "r.csv",
        Some(" Application/VND.ms-excel; charset=UTF-8"),
        b"a,b\n",
    )
    .unwrap();
    assert_eq!(
        csv.declared_media_type.as_deref(),
        Some("application/vnd.ms-excel")
    );
    for junk in ["", "pdf", "text/", "text/plain\r\nX-Evil: 1", "a b/c"] {
        let checked = check_upload(&UploadPolicy::default(), "r.csv", Some(junk), b"a\n").unwrap();
        assert_eq!(checked.declared_media_type, None, "{junk:?}");
    }

    let refused = check_upload(
        &UploadPolicy::default(),
        "photo.png",
        Some("image/png"),
        PDF,
    );
    assert!(
        matches!(refused, Err(DocumentError::Mismatch { .. })),
        "{refused:?}"
    );
}

#[test]
fn the_name_is_cleaned_before_it_is_checked_and_kept() {
    let checked = check("C:\\fakepath\\Bid: lot 1.pdf", PDF).unwrap();
    assert_eq!(checked.file_name, "Bid_ lot 1.pdf");
    let checked = check("../../etc/.hidden.pdf", PDF).unwrap();
    assert_eq!(checked.file_name, "hidden.pdf");
}

#[test]
fn an_empty_file_is_refused() {
    assert_eq!(check("empty.pdf", b""), Err(DocumentError::Empty));
    assert_eq!(
        refusal("empty.pdf", b""),
        "the file is empty: choose a file that has something in it"
    );
}

#[test]
fn an_oversized_file_is_refused_with_both_sizes() {
    let policy = UploadPolicy::default();
    let err = policy.check_size(32_715_571).unwrap_err();
    assert_eq!(err.to_string(), "the file is 31.2 MB; the limit is 25 MB");

    // One byte over the limit is never shown as the limit itself.
    let mut just_over = PDF.to_vec();
    just_over.resize(25 * 1024 * 1024 + 1, b' ');
    assert_eq!(
        refusal("big.pdf", &just_over),
        "the file is 25.1 MB; the limit is 25 MB"
    );
    let mut at_limit = PDF.to_vec();
    at_limit.resize(25 * 1024 * 1024, b' ');
    assert!(check("big.pdf", &at_limit).is_ok());

    let small = UploadPolicy {
        max_bytes: 1000,
        ..UploadPolicy::default()
    };
    assert_eq!(
        small.check_size(1500).unwrap_err().to_string(),
        "the file is 1.5 KB; the limit is 1000 bytes"
    );
    let tiny = UploadPolicy {
        max_bytes: 1,
        ..UploadPolicy::default()
    };
    assert_eq!(
        tiny.check_size(2).unwrap_err().to_string(),
        "the file is 2 bytes; the limit is 1 byte"
    );
    assert_eq!(small.check_size(1000), Ok(()));
    assert_eq!(small.check_size(0), Err(DocumentError::Empty));
}

#[test]
fn types_the_policy_does_not_accept_are_refused_with_the_accepted_list() {
    assert_eq!(
        refusal("setup.exe", PROGRAM),
        "'.exe' files are not accepted: upload PDF, Word (.docx), Excel (.xlsx), \
         OpenDocument text (.odt), OpenDocument spreadsheet (.ods), CSV, plain text (.txt), \
         PNG or JPEG files"
    );
    // The extension is the claim: PDF content under another name is still refused.
    assert!(matches!(
        check("bid.pdf.EXE", PDF),
        Err(DocumentError::NotAccepted { ref extension, .. }) if extension == "exe"
    ));
    assert!(matches!(
        check("drawings.zip", &office_open_xml()),
        Err(DocumentError::NotAccepted { .. })
    ));

    let with_zip = UploadPolicy {
        allowed: vec![DocumentType::Pdf, DocumentType::Zip],
        ..UploadPolicy::default()
    };
    let checked = check_upload(&with_zip, "drawings.zip", None, &office_open_xml()).unwrap();
    assert_eq!(checked.document_type, DocumentType::Zip);
    assert_eq!(
        check_upload(&with_zip, "notes.txt", None, b"hello")
            .unwrap_err()
            .to_string(),
        "'.txt' files are not accepted: upload PDF or ZIP files"
    );
    let none = UploadPolicy {
        allowed: Vec::new(),
        ..UploadPolicy::default()
    };
    assert_eq!(
        check_upload(&none, "bid.pdf", None, PDF)
            .unwrap_err()
            .to_string(),
        "'.pdf' files are not accepted: no uploads are accepted here"
    );
}

#[test]
fn a_name_without_an_extension_is_refused() {
    for name in ["tender", "", ".pdf", "folder/"] {
        let err = check(name, PDF).unwrap_err();
        assert!(
            matches!(err, DocumentError::NoExtension { .. }),
            "{name:?}: {err:?}"
        );
    }
    assert_eq!(
        refusal("tender", PDF),
        "the file name 'tender' has no extension: name it with the extension of its type, \
         such as .pdf or .docx"
    );
}

#[test]
fn content_that_is_not_what_the_name_says_is_refused() {
    let cases: [(&str, &[u8], &str); 12] = [
        (
            "bid.pdf",
            PNG,
            "the file is named .pdf but is not a PDF: it is a PNG image",
        ),
        (
            "bid.pdf",
            b"just some text",
            "the file is named .pdf but is not a PDF: it is text",
        ),
        (
            "bid.pdf",
            b"\x00\x01\x02\x03 random bytes \xff",
            "the file is named .pdf but is not a PDF",
        ),
        (
            "photo.jpg",
            PNG,
            "the file is named .jpg but is not a JPEG image: it is a PNG image",
        ),
        (
            "photo.png",
            b"GIF89a\x01\0\x01\0",
            "the file is named .png but is not a PNG image: it is a GIF image; \
             save it as PNG and upload that",
        ),
        (
            "answer.docx",
            OLD_WORD,
            "the file is named .docx but is not a Word document: it is an older Word or \
             Excel file (.doc or .xls); save it as .docx or .xlsx and upload it again",
        ),
        (
            "answer.docx",
            &open_document("text"),
            "the file is named .docx but is not a Word document: it is an OpenDocument \
             text document",
        ),
        (
            "letter.odt",
            &open_document("spreadsheet"),
            "the file is named .odt but is not an OpenDocument text document: it is an \
             OpenDocument spreadsheet",
        ),
        (
            "prices.ods",
            &open_document("presentation"),
            "the file is named .ods but is not an OpenDocument spreadsheet: it is another \
             kind of OpenDocument file, such as a presentation; save it as a PDF and upload that",
        ),
        (
            "register.csv",
            b"Title,Value\nMeals,\xa31,200\n",
            "the file is named .csv but is not UTF-8 text: save it as UTF-8 \
             (in Excel, 'CSV UTF-8') and upload it again",
        ),
        (
            "notes.txt",
            b"\xff\xfeh\0i\0",
            "the file is named .txt but is not a text file: it contains NUL bytes, as UTF-16 \
             text does; save it as UTF-8 and upload it again",
        ),
        (
            "invoice.pdf",
            PROGRAM,
            "the file is named .pdf but is not a PDF: it is a program",
        ),
    ];
    for (name, bytes, message) in cases {
        let err = check(name, bytes).unwrap_err();
        assert!(
            matches!(err, DocumentError::Mismatch { .. }),
            "{name}: {err:?}"
        );
        assert_eq!(err.to_string(), message, "{name}");
    }
    // Text that only holds a NUL is not text, even though it is valid UTF-8.
    assert!(matches!(
        check("notes.txt", b"a\0b"),
        Err(DocumentError::Mismatch {
            expected: DocumentType::Text,
            ..
        })
    ));
    // A ZIP that starts with an empty archive's end record is no document.
    assert!(
        check(
            "answer.docx",
            b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
        )
        .is_err()
    );
}

#[test]
fn extensions_name_types_in_any_case() {
    assert_eq!(
        DocumentType::from_extension("JPEG"),
        Some(DocumentType::Jpeg)
    );
    assert_eq!(
        DocumentType::from_extension(".Docx"),
        Some(DocumentType::Docx)
    );
    assert_eq!(DocumentType::from_extension("doc"), None);
    for t in DocumentType::ALL {
        for e in t.extensions() {
            assert_eq!(DocumentType::from_extension(e), Some(t));
        }
    }
}

#[test]
fn safe_file_names_keep_what_is_readable() {
    let cases = [
        ("Tender pack v2.pdf", "Tender pack v2.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\Sam\\Desktop\\Bid.docx", "Bid.docx"),
        ("folder/", "folder"),
        (".htaccess", "htaccess"),
        ("...hidden . pdf", "hidden . pdf"),
        ("report.pdf. . ", "report.pdf"),
        ("a\0b\tc\nd.pdf", "ab c d.pdf"),
        ("  lots   of   space  .txt", "lots of space .txt"),
        ("What? Why*<now>|\"x\":.pdf", "What_ Why__now___x__.pdf"),
        ("invoice\u{202e}fdp.exe", "invoicefdp.exe"),
        ("zero\u{200b}width\u{feff}.txt", "zerowidth.txt"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("Lpt1.tar.gz", "_Lpt1.tar.gz"),
        ("COM¹.pdf", "_COM¹.pdf"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("Évaluation du marché.odt", "Évaluation du marché.odt"),
        ("", FALLBACK_FILE_NAME),
        ("...", FALLBACK_FILE_NAME),
        ("/", FALLBACK_FILE_NAME),
        ("a/..", FALLBACK_FILE_NAME),
        ("\u{202e}\u{0007}", FALLBACK_FILE_NAME),
    ];
    for (input, expected) in cases {
        assert_eq!(safe_file_name(input), expected, "{input:?}");
    }
}

#[test]
fn long_names_are_shortened_keeping_the_extension() {
    let long = format!("{}.pdf", "Appendix ".repeat(40));
    let short = safe_file_name(&long);
    assert!(short.len() <= MAX_FILE_NAME_BYTES);
    assert!(short.ends_with(".pdf"), "{short}");
    assert!(short.starts_with("Appendix Appendix"));

    let accented = format!("{}.docx", "é".repeat(200));
    let short = safe_file_name(&accented);
    assert!(short.len() <= MAX_FILE_NAME_BYTES);
    assert!(short.ends_with("é.docx"), "{short}");

    // A "extension" too long to be one is not kept whole.
    let odd = format!("notes.{}", "x".repeat(200));
    assert_eq!(safe_file_name(&odd).len(), MAX_FILE_NAME_BYTES);
}

#[test]
fn content_disposition_carries_an_ascii_name_and_the_utf8_name() {
    assert_eq!(
        content_disposition(Disposition::Attachment, "Bid – final £.pdf"),
        "attachment; filename=\"Bid _ final _.pdf\"; \
         filename*=UTF-8''Bid%20%E2%80%93%20final%20%C2%A3.pdf"
    );
    assert_eq!(
        content_disposition(Disposition::Inline, "../plan 100%.png"),
        "inline; filename=\"plan 100_.png\"; filename*=UTF-8''plan%20100%25.png"
    );
    assert_eq!(
        content_disposition(Disposition::Attachment, "say \"hi\"\r\n.txt"),
        "attachment; filename=\"say _hi_ .txt\"; filename*=UTF-8''say%20_hi_%20.txt"
    );
}

#[test]
fn content_hashes_are_sha256_in_lower_case_hex() {
    assert_eq!(
        ContentHash::of(b"").to_string(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let abc = ContentHash::of(b"abc");
    assert_eq!(
        abc.to_hex(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(abc.as_bytes()[0], 0xba);
    assert_eq!(ContentHash::parse(&abc.to_string()), Ok(abc));
    assert_eq!(abc.to_hex().parse::<ContentHash>(), Ok(abc));
    assert_eq!(format!("{abc:?}"), format!("ContentHash({})", abc.to_hex()));

    let json = serde_json::to_string(&abc).unwrap();
    assert_eq!(json, format!("\"{abc}\""));
    assert_eq!(serde_json::from_str::<ContentHash>(&json).unwrap(), abc);
    assert!(serde_json::from_str::<ContentHash>("\"abc\"").is_err());

    for bad in [
        "",
        "abc",
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015add",
        "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "../../../../etc/passwd",
    ] {
        let err = ContentHash::parse(bad).unwrap_err();
        assert_eq!(err.field, "hash", "{bad}");
        assert!(
            err.to_string()
                .contains("write it as 64 lower-case hexadecimal characters"),
            "{err}"
        );
    }
}

fn any_name() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop_oneof![
                Just("/".to_string()),
                Just("\\".to_string()),
                Just(".".to_string()),
                Just(" ".to_string()),
                Just("..".to_string()),
                Just("CON".to_string()),
                Just("lpt9".to_string()),
                Just("\u{202e}".to_string()),
                Just("\n".to_string()),
                Just("é".to_string()),
                Just("pdf".to_string()),
                "[a-zA-Z0-9 _-]{1,40}",
            ],
            0..40
        )
        .prop_map(|parts| parts.concat()),
    ]
}

/// Undoes the percent-encoding of a `filename*` value.
fn percent_decode(encoded: &str) -> Vec<u8> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn safe_file_names_are_always_safe_and_stable(name in any_name()) {
        let safe = safe_file_name(&name);
        prop_assert!(!safe.is_empty());
        prop_assert!(!safe.contains(['/', '\\']), "{safe:?}");
        prop_assert!(!safe.chars().any(char::is_control), "{safe:?}");
        prop_assert!(!safe.starts_with('.'), "{safe:?}");
        prop_assert!(!safe.starts_with(' ') && !safe.ends_with(' ') && !safe.ends_with('.'), "{safe:?}");
        prop_assert!(safe.len() <= MAX_FILE_NAME_BYTES, "{} bytes", safe.len());
        prop_assert_eq!(safe_file_name(&safe), safe.clone(), "not idempotent");
    }

    #[test]
    fn safe_file_names_keep_a_short_extension(stem in "[^/\\\\]{0,300}[a-zA-Z0-9][^/\\\\]{0,20}") {
        let safe = safe_file_name(&format!("{stem}.pdf"));
        prop_assert!(safe.ends_with(".pdf"), "{safe:?}");
    }

    #[test]
    fn content_disposition_is_ascii_and_carries_the_safe_name(name in any_name()) {
        let header = content_disposition(Disposition::Attachment, &name);
        prop_assert!(header.is_ascii(), "{header}");
        prop_assert!(!header.chars().any(|c| c.is_ascii_control()), "{header:?}");
        let (plain, extended) = header
            .strip_prefix("attachment; filename=\"")
            .and_then(|rest| rest.split_once("\"; filename*=UTF-8''"))
            .expect("the header has both parameters");
        prop_assert!(!plain.contains(['"', '\\', '%']), "{plain}");
        prop_assert_eq!(plain.len(), safe_file_name(&name).chars().count());
        prop_assert_eq!(
            String::from_utf8(percent_decode(extended)).unwrap(),
            safe_file_name(&name)
        );
    }

    #[test]
    fn only_content_that_starts_like_a_pdf_passes_as_one(bytes in proptest::collection::vec(any::<u8>(), 1..256)) {
        let result = check("bid.pdf", &bytes);
        if bytes.starts_with(b"%PDF-") {
            prop_assert!(result.is_ok());
        } else {
            let is_mismatch = matches!(
                result,
                Err(DocumentError::Mismatch { expected: DocumentType::Pdf, .. })
            );
            prop_assert!(is_mismatch, "{:?}", result);
        }
    }

    #[test]
    fn any_text_without_nul_passes_as_text(text in "[^\u{0}]{1,200}") {
        let checked = check("notes.txt", text.as_bytes()).unwrap();
        prop_assert_eq!(checked.document_type, DocumentType::Text);
    }

    #[test]
    fn a_content_hash_survives_its_text_form(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let hash = ContentHash::of(&bytes);
        let text = hash.to_string();
        prop_assert_eq!(text.len(), 64);
        prop_assert!(text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        prop_assert_eq!(ContentHash::parse(&text), Ok(hash));
    }
}
