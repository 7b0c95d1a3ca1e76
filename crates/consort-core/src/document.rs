//! Documents: the rules an upload must pass before it is stored, the names it is
//! stored and served under, and the hash that addresses its content.
//!
//! The type of a file is decided by what it contains, and its name must agree: a
//! file called `.pdf` must start like a PDF. The name a browser sends is cleaned
//! with [`safe_file_name`] before it is shown, stored or put in a header, and the
//! media type a browser declares is never believed.

use crate::ids::ParseError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// The default size limit for one uploaded file: 25 MB (binary megabytes, as
/// file managers on Windows count them).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 25 * MEGABYTE;

/// The longest name, in bytes of UTF-8, that [`safe_file_name`] returns. Well
/// inside every file system's limit, and short enough to read in a list.
pub const MAX_FILE_NAME_BYTES: usize = 128;

/// The name [`safe_file_name`] gives a file when nothing usable is left of its own.
pub const FALLBACK_FILE_NAME: &str = "document";

const MEGABYTE: u64 = 1024 * 1024;
const KILOBYTE: u64 = 1024;

/// An extension longer than this is treated as part of the name, not kept whole
/// when a long name is shortened.
const MAX_EXTENSION_BYTES: usize = 16;

/// A kind of document Consort knows how to recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    /// Portable Document Format.
    Pdf,
    /// Word (Office Open XML) document.
    Docx,
    /// Excel (Office Open XML) workbook.
    Xlsx,
    /// OpenDocument text document.
    Odt,
    /// OpenDocument spreadsheet.
    Ods,
    /// Comma-separated values, UTF-8.
    Csv,
    /// Plain text, UTF-8.
    Text,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// ZIP archive.
    Zip,
}

impl DocumentType {
    /// Every type Consort recognises, in the order lists show them.
    pub const ALL: [DocumentType; 10] = [
        DocumentType::Pdf,
        DocumentType::Docx,
        DocumentType::Xlsx,
        DocumentType::Odt,
        DocumentType::Ods,
        DocumentType::Csv,
        DocumentType::Text,
        DocumentType::Png,
        DocumentType::Jpeg,
        DocumentType::Zip,
    ];

    /// The file-name extensions (lower case, without the dot) this type is named with.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            DocumentType::Pdf => &["pdf"],
            DocumentType::Docx => &["docx"],
            DocumentType::Xlsx => &["xlsx"],
            DocumentType::Odt => &["odt"],
            DocumentType::Ods => &["ods"],
            DocumentType::Csv => &["csv"],
            DocumentType::Text => &["txt"],
            DocumentType::Png => &["png"],
            DocumentType::Jpeg => &["jpg", "jpeg"],
            DocumentType::Zip => &["zip"],
        }
    }

    /// The type a file-name extension (with or without its dot, any case) names.
    pub fn from_extension(extension: &str) -> Option<Self> {
        let extension = extension.strip_prefix('.').unwrap_or(extension);
        Self::ALL.into_iter().find(|t| {
            t.extensions()
                .iter()
                .any(|e| e.eq_ignore_ascii_case(extension))
        })
    }

    /// The media type to serve this type with.
    pub fn media_type(self) -> &'static str {
        match self {
            DocumentType::Pdf => "application/pdf",
            DocumentType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            DocumentType::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            DocumentType::Odt => "application/vnd.oasis.opendocument.text",
            DocumentType::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            DocumentType::Csv => "text/csv; charset=utf-8",
            DocumentType::Text => "text/plain; charset=utf-8",
            DocumentType::Png => "image/png",
            DocumentType::Jpeg => "image/jpeg",
            DocumentType::Zip => "application/zip",
        }
    }

    /// The short name used in a list of accepted types: `Word (.docx)`.
    pub fn label(self) -> &'static str {
        match self {
            DocumentType::Pdf => "PDF",
            DocumentType::Docx => "Word (.docx)",
            DocumentType::Xlsx => "Excel (.xlsx)",
            DocumentType::Odt => "OpenDocument text (.odt)",
            DocumentType::Ods => "OpenDocument spreadsheet (.ods)",
            DocumentType::Csv => "CSV",
            DocumentType::Text => "plain text (.txt)",
            DocumentType::Png => "PNG",
            DocumentType::Jpeg => "JPEG",
            DocumentType::Zip => "ZIP",
        }
    }

    /// The type as a noun with its article, for sentences: `a Word document`.
    pub fn noun(self) -> &'static str {
        match self {
            DocumentType::Pdf => "a PDF",
            DocumentType::Docx => "a Word document",
            DocumentType::Xlsx => "an Excel workbook",
            DocumentType::Odt => "an OpenDocument text document",
            DocumentType::Ods => "an OpenDocument spreadsheet",
            DocumentType::Csv => "a CSV file",
            DocumentType::Text => "a text file",
            DocumentType::Png => "a PNG image",
            DocumentType::Jpeg => "a JPEG image",
            DocumentType::Zip => "a ZIP archive",
        }
    }
}

impl fmt::Display for DocumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What an upload may be: how large, and of which types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadPolicy {
    /// The largest file accepted, in bytes.
    pub max_bytes: u64,
    /// The types accepted, in the order messages list them.
    pub allowed: Vec<DocumentType>,
}

impl Default for UploadPolicy {
    /// The policy for procurement documents and bid attachments: 25 MB, and the
    /// formats buyers and suppliers write in and evaluators can open without
    /// special software — PDF, Word, Excel, their OpenDocument equivalents, CSV,
    /// plain text, and PNG or JPEG for scans, photographs and drawings.
    ///
    /// ZIP is recognised but not accepted by default: an archive hides what it
    /// holds from these checks (it may carry a program, or expand to many times
    /// the limit), it cannot be read in a browser, and evaluation is fairer when
    /// every answer is a document that can be opened on its own. A competition
    /// that needs bundles of drawings can add [`DocumentType::Zip`] to its policy.
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            allowed: vec![
                DocumentType::Pdf,
                DocumentType::Docx,
                DocumentType::Xlsx,
                DocumentType::Odt,
                DocumentType::Ods,
                DocumentType::Csv,
                DocumentType::Text,
                DocumentType::Png,
                DocumentType::Jpeg,
            ],
        }
    }
}

impl UploadPolicy {
    /// Whether files of `document_type` are accepted.
    pub fn accepts(&self, document_type: DocumentType) -> bool {
        self.allowed.contains(&document_type)
    }

    /// Refuses a file of `size` bytes before it is read in full, for callers that
    /// learn the size first (a `Content-Length`, a stream being counted).
    pub fn check_size(&self, size: u64) -> Result<(), DocumentError> {
        if size == 0 {
            Err(DocumentError::Empty)
        } else if size > self.max_bytes {
            Err(DocumentError::TooLarge {
                size,
                limit: self.max_bytes,
            })
        } else {
            Ok(())
        }
    }

    /// The accepted types as a phrase: `PDF, Word (.docx) or Excel (.xlsx)`.
    pub fn accepted_summary(&self) -> String {
        let labels: Vec<&str> = self.allowed.iter().map(|t| t.label()).collect();
        match labels.as_slice() {
            [] => String::new(),
            [only] => (*only).to_string(),
            [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        }
    }

    /// The value for an HTML file input's `accept` attribute: `.pdf,.docx,…`.
    pub fn accept_attribute(&self) -> String {
        self.allowed
            .iter()
            .flat_map(|t| t.extensions())
            .map(|e| format!(".{e}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Why an upload was refused. Every message is about the uploaded file and says
/// what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// The file has no content.
    #[error("the file is empty: choose a file that has something in it")]
    Empty,
    /// The file is larger than the policy allows.
    #[error(
        "the file is {}; the limit is {}",
        describe_size(*.size, Rounding::Up),
        describe_size(*.limit, Rounding::Down)
    )]
    TooLarge {
        /// The file's size in bytes.
        size: u64,
        /// The policy's limit in bytes.
        limit: u64,
    },
    /// The file name has no extension, so what the file claims to be is unknown.
    #[error(
        "the file name '{name}' has no extension: name it with the extension of its type, \
         such as .pdf or .docx"
    )]
    NoExtension {
        /// The cleaned file name.
        name: String,
    },
    /// The extension names a type the policy does not accept, or no known type.
    #[error("{}", not_accepted_message(.extension, .accepted))]
    NotAccepted {
        /// The extension, lower case, without the dot.
        extension: String,
        /// The accepted types as a phrase, empty when none are.
        accepted: String,
    },
    /// The content is not what the extension says it is.
    #[error("the file is named .{extension} but {problem}")]
    Mismatch {
        /// The extension, lower case, without the dot.
        extension: String,
        /// The type the extension names.
        expected: DocumentType,
        /// What is wrong with the content, as the end of a sentence.
        problem: String,
    },
}

fn not_accepted_message(extension: &str, accepted: &str) -> String {
    if accepted.is_empty() {
        format!("'.{extension}' files are not accepted: no uploads are accepted here")
    } else {
        format!("'.{extension}' files are not accepted: upload {accepted} files")
    }
}

#[derive(Clone, Copy)]
enum Rounding {
    Up,
    Down,
}

/// A size as people read it: `812 bytes`, `14.5 KB`, `31.2 MB`, to one decimal
/// place rounded the given way, so that a file over a limit is never shown as
/// the limit's own figure.
fn describe_size(bytes: u64, rounding: Rounding) -> String {
    if bytes < KILOBYTE {
        return if bytes == 1 {
            "1 byte".into()
        } else {
            format!("{bytes} bytes")
        };
    }
    let (unit, name) = if bytes < MEGABYTE {
        (KILOBYTE, "KB")
    } else {
        (MEGABYTE, "MB")
    };
    let scaled = u128::from(bytes) * 10;
    let unit = u128::from(unit);
    let tenths = match rounding {
        Rounding::Up => scaled.div_ceil(unit),
        Rounding::Down => scaled / unit,
    };
    if tenths % 10 == 0 {
        format!("{} {name}", tenths / 10)
    } else {
        format!("{}.{} {name}", tenths / 10, tenths % 10)
    }
}

/// An upload that passed [`check_upload`]: a safe name and a type its content proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUpload {
    /// The cleaned name to store and serve the file under.
    pub file_name: String,
    /// The type, decided by the content and agreeing with the name.
    pub document_type: DocumentType,
    /// The size in bytes.
    pub size: u64,
    /// The media type the browser declared, cleaned, kept only for the record:
    /// browsers send `application/octet-stream` for whatever they do not know and
    /// `application/vnd.ms-excel` for CSV on machines with Excel, so it never
    /// decides anything.
    pub declared_media_type: Option<String>,
}

impl CheckedUpload {
    /// The media type to serve the file with, from its proven type.
    pub fn media_type(&self) -> &'static str {
        self.document_type.media_type()
    }
}

/// Checks an uploaded file against `policy`: not empty, not too large, named with
/// an accepted extension, and with content that is what the extension says.
///
/// The content decides: PDF, PNG and JPEG by their signatures; Word, Excel and
/// OpenDocument files are ZIP packages, so once the ZIP signature matches the
/// extension tells them apart (and an OpenDocument package's own `mimetype`
/// entry, when present, must agree with it); CSV and text must be UTF-8 with no
/// NUL bytes.
pub fn check_upload(
    policy: &UploadPolicy,
    file_name: &str,
    declared_media_type: Option<&str>,
    bytes: &[u8],
) -> Result<CheckedUpload, DocumentError> {
    let size = bytes.len() as u64;
    policy.check_size(size)?;
    let name = safe_file_name(file_name);
    let Some(extension) = extension_of(&name) else {
        return Err(DocumentError::NoExtension { name });
    };
    let extension = extension.to_lowercase();
    let not_accepted = || DocumentError::NotAccepted {
        extension: extension.clone(),
        accepted: policy.accepted_summary(),
    };
    let expected = DocumentType::from_extension(&extension).ok_or_else(not_accepted)?;
    if !policy.accepts(expected) {
        return Err(not_accepted());
    }
    if let Some(problem) = content_problem(expected, bytes) {
        return Err(DocumentError::Mismatch {
            extension,
            expected,
            problem,
        });
    }
    Ok(CheckedUpload {
        file_name: name,
        document_type: expected,
        size,
        declared_media_type: declared_media_type.and_then(clean_media_type),
    })
}

/// The extension of a cleaned name: what follows its last dot, when there is a
/// name before the dot and the extension is not empty.
fn extension_of(name: &str) -> Option<&str> {
    let (stem, extension) = name.rsplit_once('.')?;
    (!stem.is_empty() && !extension.is_empty()).then_some(extension)
}

/// `text/csv; charset=utf-8` → `text/csv`; anything that is not a plain
/// `type/subtype` token pair is dropped.
fn clean_media_type(declared: &str) -> Option<String> {
    let essence = declared.split(';').next()?.trim().to_ascii_lowercase();
    let (kind, subtype) = essence.split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    (essence.len() <= 127 && token(kind) && token(subtype)).then_some(essence)
}

/// What a file's first bytes show it to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    Pdf,
    Png,
    Jpeg,
    Zip(Option<OpenDocumentKind>),
    Gif,
    OldOffice,
    Program,
    Text,
    Unknown,
}

/// What an OpenDocument package's `mimetype` entry says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpenDocumentKind {
    Text,
    Spreadsheet,
    Other,
}

fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(b"%PDF-") {
        Sniffed::Pdf
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Sniffed::Png
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Sniffed::Jpeg
    } else if bytes.starts_with(b"PK\x03\x04") {
        Sniffed::Zip(open_document_kind(bytes))
    } else if bytes.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        Sniffed::OldOffice
    } else if is_text(bytes) {
        // Before the signatures below, which are printable: a note that begins
        // "MZ Holdings" is text, not a program.
        Sniffed::Text
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Sniffed::Gif
    } else if bytes.starts_with(b"MZ") || bytes.starts_with(b"\x7fELF") {
        Sniffed::Program
    } else {
        Sniffed::Unknown
    }
}

/// UTF-8 with no NUL bytes: what CSV and text files must be.
fn is_text(bytes: &[u8]) -> bool {
    !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

/// Reads the first entry of a ZIP package: OpenDocument requires it to be an
/// uncompressed file named `mimetype` holding the document's media type.
fn open_document_kind(zip: &[u8]) -> Option<OpenDocumentKind> {
    let u16_at = |at: usize| Some(u16::from_le_bytes(zip.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(zip.get(at..at + 4)?.try_into().ok()?));
    let method = u16_at(8)?;
    let stored_size = usize::try_from(u32_at(18)?).ok()?;
    let name_len = usize::from(u16_at(26)?);
    let extra_len = usize::from(u16_at(28)?);
    if method != 0 || zip.get(30..30 + name_len)? != b"mimetype" {
        return None;
    }
    let start = 30 + name_len + extra_len;
    let mime = zip.get(start..start.checked_add(stored_size)?)?;
    Some(match mime {
        b"application/vnd.oasis.opendocument.text" => OpenDocumentKind::Text,
        b"application/vnd.oasis.opendocument.spreadsheet" => OpenDocumentKind::Spreadsheet,
        _ => OpenDocumentKind::Other,
    })
}

impl Sniffed {
    /// What the content is, when it is something people would recognise, and
    /// what to do about it when there is more to say than "upload the right file".
    fn describe(self) -> Option<(&'static str, Option<&'static str>)> {
        Some(match self {
            Sniffed::Pdf => (DocumentType::Pdf.noun(), None),
            Sniffed::Png => (DocumentType::Png.noun(), None),
            Sniffed::Jpeg => (DocumentType::Jpeg.noun(), None),
            Sniffed::Zip(Some(OpenDocumentKind::Text)) => (DocumentType::Odt.noun(), None),
            Sniffed::Zip(Some(OpenDocumentKind::Spreadsheet)) => (DocumentType::Ods.noun(), None),
            Sniffed::Zip(Some(OpenDocumentKind::Other)) => (
                "another kind of OpenDocument file, such as a presentation",
                Some("save it as a PDF and upload that"),
            ),
            Sniffed::Zip(None) => ("a ZIP package, such as a Word or Excel file", None),
            Sniffed::Gif => ("a GIF image", Some("save it as PNG and upload that")),
            Sniffed::OldOffice => (
                "an older Word or Excel file (.doc or .xls)",
                Some("save it as .docx or .xlsx and upload it again"),
            ),
            Sniffed::Program => ("a program", None),
            Sniffed::Text => ("text", None),
            Sniffed::Unknown => return None,
        })
    }
}

/// Why `bytes` are not a file of type `expected`, or `None` when they are.
fn content_problem(expected: DocumentType, bytes: &[u8]) -> Option<String> {
    let found = sniff(bytes);
    let matches = match expected {
        DocumentType::Pdf => found == Sniffed::Pdf,
        DocumentType::Png => found == Sniffed::Png,
        DocumentType::Jpeg => found == Sniffed::Jpeg,
        DocumentType::Docx | DocumentType::Xlsx => found == Sniffed::Zip(None),
        DocumentType::Odt => matches!(found, Sniffed::Zip(None | Some(OpenDocumentKind::Text))),
        DocumentType::Ods => matches!(
            found,
            Sniffed::Zip(None | Some(OpenDocumentKind::Spreadsheet))
        ),
        DocumentType::Zip => matches!(found, Sniffed::Zip(_)),
        // Text is text whatever it starts with: a PDF written in plain ASCII is
        // readable, and harmless, served as text.
        DocumentType::Csv | DocumentType::Text => is_text(bytes),
    };
    if matches {
        return None;
    }
    let expected_noun = expected.noun();
    let is_text = matches!(expected, DocumentType::Csv | DocumentType::Text);
    Some(match found.describe() {
        Some((what, Some(advice))) => format!("is not {expected_noun}: it is {what}; {advice}"),
        Some((what, None)) => format!("is not {expected_noun}: it is {what}"),
        None if is_text && bytes.contains(&0) => format!(
            "is not {expected_noun}: it contains NUL bytes, as UTF-16 text does; \
             save it as UTF-8 and upload it again"
        ),
        None if is_text => {
            "is not UTF-8 text: save it as UTF-8 (in Excel, 'CSV UTF-8') and upload it again"
                .to_string()
        }
        None => format!("is not {expected_noun}"),
    })
}

/// Characters Windows forbids in file names, replaced with `_`.
const WINDOWS_FORBIDDEN: [char; 7] = ['<', '>', ':', '"', '|', '?', '*'];

/// Names Windows reserves for devices, whatever extension follows them.
const WINDOWS_RESERVED: [&str; 32] = [
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4",
    "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3",
    "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// Invisible characters that can disguise a name: bidirectional overrides (which
/// make `invoice<U+202E>fdp.exe` display as `invoiceexe.pdf`), zero-width characters and
/// the byte-order mark.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{061c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

fn is_windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").trim_end_matches(' ');
    WINDOWS_RESERVED
        .iter()
        .any(|r| r.eq_ignore_ascii_case(stem))
}

/// A file name that is safe to store, show and send in a header, kept as close to
/// the original as that allows.
///
/// Any path is dropped (both `/` and `\` separate), control and invisible
/// characters are removed, runs of white space become one space, characters
/// Windows forbids become `_`, leading dots and spaces and trailing dots and
/// spaces go, a name Windows reserves (`CON`, `LPT1.txt`, …) gains a leading
/// `_`, and a name longer than [`MAX_FILE_NAME_BYTES`] is shortened keeping its
/// extension. The result is never empty ([`FALLBACK_FILE_NAME`] when nothing is
/// left) and cleaning it again changes nothing.
pub fn safe_file_name(name: &str) -> String {
    let last = name
        .rsplit(['/', '\\'])
        .find(|part| !part.is_empty())
        .unwrap_or("");
    let mut cleaned = String::with_capacity(last.len());
    let mut space_pending = false;
    for c in last.chars() {
        if c.is_whitespace() {
            space_pending = true;
            continue;
        }
        if c.is_control() || is_invisible(c) {
            continue;
        }
        if space_pending && !cleaned.is_empty() {
            cleaned.push(' ');
        }
        space_pending = false;
        cleaned.push(if WINDOWS_FORBIDDEN.contains(&c) {
            '_'
        } else {
            c
        });
    }
    let mut name = cleaned
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_string();
    if is_windows_reserved(&name) {
        name.insert(0, '_');
    }
    let name = shorten(&name);
    if name.is_empty() {
        FALLBACK_FILE_NAME.to_string()
    } else {
        name
    }
}

/// Cuts a cleaned name to [`MAX_FILE_NAME_BYTES`], keeping a short extension.
fn shorten(name: &str) -> String {
    if name.len() <= MAX_FILE_NAME_BYTES {
        return name.to_string();
    }
    match extension_of(name).filter(|e| e.len() <= MAX_EXTENSION_BYTES) {
        Some(extension) => {
            let stem = &name[..name.len() - extension.len() - 1];
            let stem = prefix_within(stem, MAX_FILE_NAME_BYTES - extension.len() - 1);
            format!("{stem}.{extension}")
        }
        None => prefix_within(name, MAX_FILE_NAME_BYTES)
            .trim_end_matches(['.', ' '])
            .to_string(),
    }
}

/// The longest prefix of `text` no longer than `max` bytes that ends on a
/// character boundary.
fn prefix_within(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// How a browser should treat a downloaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Save it as a file.
    Attachment,
    /// Show it in the browser where it can (PDFs and images).
    Inline,
}

/// A `Content-Disposition` header value for serving a document (RFC 6266): the
/// name cleaned by [`safe_file_name`], as an ASCII `filename` for old clients and
/// as UTF-8 in `filename*` (RFC 8187) for the rest.
pub fn content_disposition(disposition: Disposition, file_name: &str) -> String {
    let name = safe_file_name(file_name);
    let kind = match disposition {
        Disposition::Attachment => "attachment",
        Disposition::Inline => "inline",
    };
    // `%` is replaced too: some clients percent-decode the plain `filename`.
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && !matches!(c, '"' | '\\' | '%') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The SHA-256 of a document's content: the address it is stored under. Shown
/// and parsed as 64 lower-case hexadecimal characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContentHash([u8; 32]);

impl ContentHash {
    /// The hash of `content`.
    pub fn of(content: &[u8]) -> Self {
        Self(Sha256::digest(content).into())
    }

    /// Parses a hash written as 64 lower-case hexadecimal characters. Upper case
    /// is refused so that each hash has exactly one spelling in paths and links.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let well_formed =
            text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !well_formed {
            let shown: String = text.chars().take(80).collect();
            return Err(ParseError::new(
                "hash",
                format!(
                    "'{}' is not a content hash: write it as 64 lower-case hexadecimal characters",
                    shown.escape_debug()
                ),
            ));
        }
        let mut bytes = [0; 32];
        hex::decode_to_slice(text, &mut bytes).expect("64 hexadecimal characters checked above");
        Ok(Self(bytes))
    }

    /// The 32 bytes of the hash.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The hash as 64 lower-case hexadecimal characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

impl FromStr for ContentHash {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for ContentHash {
    type Error = ParseError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<ContentHash> for String {
    fn from(hash: ContentHash) -> Self {
        hash.to_hex()
    }
}

/// An upload checked against the policy and described by its hash: what a bid
/// attachment or a procurement document records about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedUpload {
    /// The cleaned name to store and serve the file under.
    pub file_name: String,
    /// The media type its content proves.
    pub media_type: &'static str,
    /// The size in bytes.
    pub size_bytes: u64,
    /// The SHA-256 of the bytes.
    pub hash: ContentHash,
}

impl DescribedUpload {
    /// The description as a bid records its attachments.
    pub fn attachment_meta(&self) -> crate::competition::AttachmentMeta {
        crate::competition::AttachmentMeta {
            file_name: self.file_name.clone(),
            media_type: self.media_type.to_string(),
            size_bytes: self.size_bytes,
            sha256_hex: self.hash.to_hex(),
        }
    }

    /// The description as a competition refers to its documents.
    pub fn document_ref(&self) -> crate::competition::DocumentRef {
        crate::competition::DocumentRef {
            sha256_hex: self.hash.to_hex(),
            file_name: self.file_name.clone(),
            media_type: self.media_type.to_string(),
            size_bytes: self.size_bytes,
        }
    }
}

/// Checks an upload with [`check_upload`] and hashes it. The error is a
/// sentence that starts with the file's (cleaned) name and says what is wrong.
pub fn describe_upload(
    policy: &UploadPolicy,
    file_name: &str,
    declared_media_type: Option<&str>,
    bytes: &[u8],
) -> Result<DescribedUpload, String> {
    let checked = check_upload(policy, file_name, declared_media_type, bytes)
        .map_err(|e| format!("{}: {e}", safe_file_name(file_name)))?;
    Ok(DescribedUpload {
        media_type: checked.media_type(),
        file_name: checked.file_name,
        size_bytes: checked.size,
        hash: ContentHash::of(bytes),
    })
}
