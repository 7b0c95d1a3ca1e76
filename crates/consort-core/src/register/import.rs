//! Reading an authority's contracts register from a CSV file, as councils publish
//! them under the Local Government Transparency Code 2015: in Windows-1252 or
//! UTF-8, with headers worded many ways, dates and sums written by hand.
//!
//! Pure: the input is the file's bytes, the output the contracts that could be
//! read and, for every row that could not, the line, the column and why. The
//! caller decides whether one bad row stops the whole import.
//!
//! The small parsers ([`parse_date`], [`parse_pence`], [`parse_extensions`],
//! [`parse_span`], [`parse_status`], [`parse_cpv_codes`],
//! [`normalise_company_number`]) are public so that forms can read what people
//! type the same way.

use super::{Contract, ContractStatus, CpvCode, Pence, Source, Span};
use crate::ids::OrgId;
use jiff::civil::Date;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// What the importer needs besides the file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// The authority whose register this is; every contract is recorded as its.
    pub authority: OrgId,
    /// The file's name as uploaded or given, recorded in each contract's source.
    pub file_name: String,
}

/// Why a file could not be read as a contracts register at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The bytes are not text: a PDF, a spreadsheet workbook, an image, …
    #[error(
        "this is not a CSV file: it looks like {what}. Save the register as CSV \
         (comma-separated values) and try again"
    )]
    NotText {
        /// What the file seems to be instead.
        what: String,
    },
    /// The file is empty, or every row in it is blank.
    #[error(
        "this file has no header row: it is empty or every row is blank. A contracts register \
         needs a header row naming its columns, then one row per contract"
    )]
    NoHeader,
    /// No header cell names a contract field Consort knows.
    #[error(
        "no recognisable contract columns in the header row (line {line}): found {}. \
         A contracts register needs at least a reference column (such as \"Contract Reference\") \
         and a title column (such as \"Title\")",
        quote_list(.found)
    )]
    NoContractColumns {
        /// The line the header was looked for on.
        line: u64,
        /// The header cells found there, as written.
        found: Vec<String>,
    },
    /// The header names some contract fields, but not the required ones.
    #[error("{}", missing_columns(.line, .missing, .found))]
    MissingColumns {
        /// The line of the header row.
        line: u64,
        /// The required fields with no column.
        missing: Vec<Field>,
        /// The header cells found, as written.
        found: Vec<String>,
    },
    /// The CSV structure itself could not be read.
    #[error("line {line}: {reason}")]
    Unreadable {
        /// Where reading stopped.
        line: u64,
        /// What went wrong.
        reason: String,
    },
}

fn missing_columns(line: &u64, missing: &[Field], found: &[String]) -> String {
    let labels: Vec<&str> = missing.iter().map(|f| f.label()).collect();
    let how: Vec<String> = missing
        .iter()
        .map(|f| {
            let examples: Vec<&str> = f.synonyms().iter().take(3).copied().collect();
            format!(
                "name the {} column like {}",
                f.label(),
                quote_list(&examples)
            )
        })
        .collect();
    format!(
        "the header row (line {line}) has no {} column: found {}. A contracts register needs \
         both a reference and a title column: {}",
        labels.join(" or "),
        quote_list(found),
        how.join("; ")
    )
}

fn quote_list<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return "nothing".to_string();
    }
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('"');
        out.push_str(item.as_ref());
        out.push('"');
    }
    out
}

/// A field of [`Contract`] that a column can be read into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// [`Contract::reference`] (required).
    Reference,
    /// [`Contract::title`] (required).
    Title,
    /// [`Contract::description`].
    Description,
    /// [`Contract::supplier_name`].
    SupplierName,
    /// [`Contract::supplier_company_number`].
    SupplierCompanyNumber,
    /// [`Contract::cpv_codes`].
    CpvCodes,
    /// [`Contract::category`] (a council's own label, as a suggestion).
    Category,
    /// [`Contract::total_value`].
    TotalValue,
    /// [`Contract::annual_value`].
    AnnualValue,
    /// [`Contract::start`].
    Start,
    /// [`Contract::end`].
    End,
    /// [`Contract::extensions`].
    Extensions,
    /// [`Contract::break_date`].
    BreakDate,
    /// [`Contract::notice_period`].
    NoticePeriod,
    /// [`Contract::status`].
    Status,
}

impl Field {
    /// Every field, in the order columns are matched when equally good.
    pub const ALL: [Field; 15] = [
        Field::Reference,
        Field::Title,
        Field::Description,
        Field::SupplierName,
        Field::SupplierCompanyNumber,
        Field::CpvCodes,
        Field::Category,
        Field::TotalValue,
        Field::AnnualValue,
        Field::Start,
        Field::End,
        Field::Extensions,
        Field::BreakDate,
        Field::NoticePeriod,
        Field::Status,
    ];

    /// The field's name as a person says it.
    pub fn label(self) -> &'static str {
        match self {
            Field::Reference => "reference",
            Field::Title => "title",
            Field::Description => "description",
            Field::SupplierName => "supplier name",
            Field::SupplierCompanyNumber => "supplier company number",
            Field::CpvCodes => "CPV codes",
            Field::Category => "category",
            Field::TotalValue => "total value",
            Field::AnnualValue => "annual value",
            Field::Start => "start date",
            Field::End => "end date",
            Field::Extensions => "extension options",
            Field::BreakDate => "break date",
            Field::NoticePeriod => "notice period",
            Field::Status => "status",
        }
    }

    /// Header wordings read as this field (compared ignoring case, spacing,
    /// punctuation and plurals); the first is the one to suggest.
    pub fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::Reference => &[
                "Contract Reference",
                "Reference",
                "Ref",
                "Contract Reference number / ID",
                "Contract ID",
                "Contract Reference Number",
                "Reference Number",
                "Contract Ref",
                "Contract Number",
            ],
            Field::Title => &[
                "Title",
                "Contract Title",
                "Title of the Agreement",
                "Contract Name",
                "Title of Agreement",
                "Agreement Title",
            ],
            Field::Description => &[
                "Description",
                "Description of goods and services",
                "Description of goods and/or services",
                "Contract Description",
            ],
            Field::SupplierName => &[
                "Supplier Name",
                "Supplier",
                "Contractor",
                "Contractor Name",
                "Provider",
                "Provider Name",
            ],
            Field::SupplierCompanyNumber => &[
                "Company Number",
                "Companies House Number",
                "Supplier registered company number",
                "Company Registration Number",
                "Registered Company Number",
                "Supplier Company Number",
            ],
            Field::CpvCodes => &[
                "CPV Code",
                "CPV",
                "CPV Codes",
                "Procurement classification: CPV code",
            ],
            Field::Category => &[
                "Category",
                "Service Category label",
                "Procurement classification: Council's procurement category label",
                "Procurement Category",
                "Service Category",
            ],
            Field::TotalValue => &[
                "Contract Value",
                "Total Value",
                "Value",
                "Total Contract Value",
                "Sum to be paid",
                "Sum to be paid over the length of the contract",
            ],
            Field::AnnualValue => &[
                "Annual Value",
                "Estimated Annual Spend",
                "Annual Spend",
                "Estimated annual value",
                "Annual Contract Value",
                "Estimated Annual Spending",
                "Value per annum",
            ],
            Field::Start => &[
                "Start Date",
                "Contract Start Date",
                "Commencement Date",
                "Contract Commencement Date",
                "Start",
            ],
            Field::End => &[
                "End Date",
                "Contract End Date",
                "Expiry Date",
                "Contract Expiry",
                "Contract Expiry Date",
                "End",
                "Expiry",
            ],
            Field::Extensions => &[
                "Extension Options",
                "Extension Period",
                "Extensions",
                "Option to extend",
            ],
            Field::BreakDate => &[
                "Break Date",
                "Break Clause Date",
                "Earliest Break",
                "Earliest Break Date",
            ],
            Field::NoticePeriod => &["Notice Period"],
            Field::Status => &["Status", "Contract Status"],
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The field named by [`Contract::check`]'s errors.
    fn from_check(name: &str) -> Option<Field> {
        Some(match name {
            "reference" => Field::Reference,
            "title" => Field::Title,
            "end_date" => Field::End,
            "break_date" => Field::BreakDate,
            "total_value" => Field::TotalValue,
            "annual_value" => Field::AnnualValue,
            _ => return None,
        })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How one header cell was understood, for showing the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    /// The column's position, counting from 1.
    pub column: usize,
    /// The header as written in the file (trimmed), or `Column N` when blank.
    pub header: String,
    /// The contract field read from it; `None` when it is kept in
    /// [`Contract::extra`] (or ignored, when it has no header and no values).
    pub field: Option<Field>,
    /// A short explanation, such as `read as the end date`.
    pub note: String,
}

/// One problem with one field of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The physical line the row starts on (the header is line 1 when it is
    /// the file's first line).
    pub line: u64,
    /// The header of the column at fault, as written in the file.
    pub column: Option<String>,
    /// What is wrong, naming the value.
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(
                f,
                "line {}, column \"{column}\": {}",
                self.line, self.reason
            ),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

impl std::error::Error for RowError {}

/// What a register file gave.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRegister {
    /// Each row read, with the line it starts on.
    pub contracts: Vec<(u64, Contract)>,
    /// One entry per bad field of each row that could not be read, in line order.
    pub rejected: Vec<RowError>,
    /// How each header cell was understood, in column order.
    pub columns: Vec<ColumnMapping>,
    /// The encoding the file was read in: `UTF-8`, `windows-1252`, `UTF-16LE`, `UTF-16BE`.
    pub encoding: &'static str,
    /// The line of the header row (1 unless title rows come first).
    pub header_line: u64,
}

impl ParsedRegister {
    /// The lines of the rejected rows, each once, in order.
    pub fn rejected_lines(&self) -> Vec<u64> {
        let mut lines: Vec<u64> = self.rejected.iter().map(|e| e.line).collect();
        lines.dedup();
        lines
    }
}

// ---------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------

/// Reads a contracts register from the bytes of a CSV file.
///
/// Fails only when the file as a whole cannot be a register; a row that cannot
/// be read becomes one [`RowError`] per bad field in [`ParsedRegister::rejected`].
pub fn parse_register(bytes: &[u8], options: &ImportOptions) -> Result<ParsedRegister, FileError> {
    let (text, encoding) = decode(bytes)?;
    let lines = LineIndex::new(&text);
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());

    let mut records: Vec<(u64, csv::StringRecord)> = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {
                let offset = record.position().map_or(0, |p| p.byte());
                let line = lines.line_of(offset);
                if record.iter().all(|f| clean(f).is_empty()) {
                    continue;
                }
                records.push((line, record.clone()));
            }
            Ok(false) => break,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| lines.line_of(p.byte()))
                    .max(records.last().map_or(1, |r| r.0));
                return Err(FileError::Unreadable {
                    line,
                    reason: e.to_string(),
                });
            }
        }
    }
    if records.is_empty() {
        return Err(FileError::NoHeader);
    }

    let header_at = find_header(&records)?;
    let (header_line, header) = (records[header_at].0, records[header_at].1.clone());
    let rows = &records[header_at + 1..];
    let width = header.len();
    let mut has_data = vec![false; width];
    for (_, row) in rows {
        for (i, value) in row.iter().enumerate().take(width) {
            if !has_data[i] && !clean(value).is_empty() {
                has_data[i] = true;
            }
        }
    }
    let mapping = map_columns(&header, Some(&has_data));
    let columns = mapping.describe(&header, &has_data);
    let names: Vec<String> = columns.iter().map(|c| c.header.clone()).collect();
    let extra_keys = extra_keys(&names, &mapping);
    let header_cells: Vec<&str> = header.iter().map(clean).collect();

    let mut contracts = Vec::new();
    let mut rejected = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, row) in rows {
        let line = *line;
        let reject = |column: Option<usize>, reason: String| RowError {
            line,
            column: column.map(|i| names[i].clone()),
            reason,
        };
        if row.len() > width && row.iter().skip(width).any(|f| !clean(f).is_empty()) {
            rejected.push(reject(
                None,
                format!(
                    "this row has {} values but the header has {width} columns: \
                     check for a stray comma or a missing quote mark",
                    row.len()
                ),
            ));
            continue;
        }
        if row.len() < width && row.iter().any(|f| f.contains(['\n', '\r'])) {
            rejected.push(reject(
                None,
                format!(
                    "this row has {} values but the header has {width} columns, and a quoted \
                     value runs over several lines: check for a stray quote mark",
                    row.len()
                ),
            ));
            continue;
        }
        if row.len() >= width
            && row
                .iter()
                .take(width)
                .map(clean)
                .eq(header_cells.iter().copied())
        {
            rejected.push(reject(None, "this row repeats the header row".to_string()));
            continue;
        }
        let mut errors: Vec<(Option<usize>, String)> = Vec::new();
        let contract = read_row(row, &mapping, &extra_keys, options, line, &mut errors);

        if !contract.reference.trim().is_empty() {
            let key = contract.reference.trim().to_uppercase();
            if let Some(first) = seen.get(&key) {
                errors.push((
                    mapping.column(Field::Reference),
                    format!(
                        "reference {} already appears on line {first}",
                        contract.reference
                    ),
                ));
            } else {
                seen.insert(key, line);
            }
        }

        // Every rule of `Contract::check`, not only the first broken: set each
        // field at fault aside and check again.
        let mut probe = contract.clone();
        for _ in 0..Field::ALL.len() {
            let Err(e) = probe.check() else { break };
            let Some(field) = Field::from_check(e.field) else {
                errors.push((None, e.reason));
                break;
            };
            let column = mapping.column(field);
            if !errors.iter().any(|(c, _)| *c == column && column.is_some()) {
                errors.push((column, e.reason));
            }
            match field {
                Field::Reference => probe.reference = "-".into(),
                Field::Title => probe.title = "-".into(),
                Field::End => probe.end = None,
                Field::BreakDate => probe.break_date = None,
                Field::TotalValue => probe.total_value = None,
                Field::AnnualValue => probe.annual_value = None,
                _ => break,
            }
        }

        if errors.is_empty() {
            contracts.push((line, contract));
        } else {
            errors.sort_by_key(|(c, _)| c.map_or(0, |c| c + 1));
            rejected.extend(errors.into_iter().map(|(c, r)| reject(c, r)));
        }
    }

    Ok(ParsedRegister {
        contracts,
        rejected,
        columns,
        encoding,
        header_line,
    })
}

fn read_row(
    row: &csv::StringRecord,
    mapping: &Mapping,
    extra_keys: &[Option<String>],
    options: &ImportOptions,
    line: u64,
    errors: &mut Vec<(Option<usize>, String)>,
) -> Contract {
    let get = |field: Field| -> &str {
        mapping
            .column(field)
            .and_then(|i| row.get(i))
            .map_or("", clean)
    };
    let text = |field: Field| -> Option<String> {
        let v = get(field);
        (!v.is_empty()).then(|| v.to_string())
    };

    let cpv_codes = take(
        errors,
        mapping.column(Field::CpvCodes),
        parse_cpv_codes(get(Field::CpvCodes)),
    );
    let total_value = take(
        errors,
        mapping.column(Field::TotalValue),
        parse_pence(get(Field::TotalValue)),
    );
    let annual_value = take(
        errors,
        mapping.column(Field::AnnualValue),
        parse_pence(get(Field::AnnualValue)),
    );
    let start = take(
        errors,
        mapping.column(Field::Start),
        optional_date(get(Field::Start)),
    );
    let end = take(
        errors,
        mapping.column(Field::End),
        optional_date(get(Field::End)),
    );
    let extensions = take(
        errors,
        mapping.column(Field::Extensions),
        parse_extensions(get(Field::Extensions)),
    );
    let break_date = take(
        errors,
        mapping.column(Field::BreakDate),
        optional_date(get(Field::BreakDate)),
    );
    let notice_period = take(
        errors,
        mapping.column(Field::NoticePeriod),
        parse_span(get(Field::NoticePeriod)),
    );
    let status = take(
        errors,
        mapping.column(Field::Status),
        parse_status(get(Field::Status)).map(Some),
    )
    .unwrap_or(ContractStatus::Active);

    let mut extra = BTreeMap::new();
    for (i, key) in extra_keys.iter().enumerate() {
        if let Some(key) = key {
            let value = row.get(i).map_or("", clean);
            if !value.is_empty() {
                extra.insert(key.clone(), value.to_string());
            }
        }
    }

    Contract {
        authority: options.authority.clone(),
        reference: get(Field::Reference).to_string(),
        title: get(Field::Title).to_string(),
        description: get(Field::Description).to_string(),
        supplier_name: text(Field::SupplierName),
        supplier_company_number: normalise_company_number(get(Field::SupplierCompanyNumber)),
        cpv_codes,
        category: text(Field::Category),
        total_value,
        annual_value,
        start,
        end,
        extensions,
        break_date,
        notice_period,
        status,
        source: Source::Csv {
            file: options.file_name.clone(),
            line,
        },
        extra,
    }
}

/// The value, or the default after recording why there is none.
fn take<T: Default>(
    errors: &mut Vec<(Option<usize>, String)>,
    column: Option<usize>,
    result: Result<T, String>,
) -> T {
    result.unwrap_or_else(|reason| {
        errors.push((column, reason));
        T::default()
    })
}

fn optional_date(input: &str) -> Result<Option<Date>, String> {
    if clean(input).is_empty() {
        Ok(None)
    } else {
        parse_date(input).map(Some)
    }
}

/// The keys under which unmapped columns are kept in `extra` (`None` for mapped
/// columns): the header, or `Header (column N)` when two headers read the same.
fn extra_keys(names: &[String], mapping: &Mapping) -> Vec<Option<String>> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if mapping.field_of[i].is_none() {
            *count.entry(name.as_str()).or_default() += 1;
        }
    }
    let mut used: HashMap<&str, usize> = HashMap::new();
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            if mapping.field_of[i].is_some() {
                return None;
            }
            let n = used.entry(name.as_str()).or_default();
            *n += 1;
            if *n > 1 && count[name.as_str()] > 1 {
                Some(format!("{name} (column {})", i + 1))
            } else {
                Some(name.clone())
            }
        })
        .collect()
}

/// Decodes the file, refusing what is plainly not text.
fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), FileError> {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(rest);
        return Ok((text, "UTF-16LE"));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        let (text, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(rest);
        return Ok((text, "UTF-16BE"));
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let signatures: [(&[u8], &str); 7] = [
        (b"%PDF", "a PDF document"),
        (
            b"PK\x03\x04",
            "a ZIP archive, such as an Excel .xlsx workbook (open it in Excel and use Save As, CSV)",
        ),
        (b"PK\x05\x06", "an empty ZIP archive"),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "an Excel .xls workbook or another Office document (open it and use Save As, CSV)",
        ),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"\x1F\x8B", "a gzip-compressed file"),
    ];
    for (signature, what) in signatures {
        if body.starts_with(signature) {
            return Err(FileError::NotText {
                what: what.to_string(),
            });
        }
    }
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head: Vec<u8> = body[start..body.len().min(start + 15)].to_ascii_lowercase();
    if head.starts_with(b"<!doctype html") || head.starts_with(b"<html") {
        return Err(FileError::NotText {
            what: "a web page (HTML), perhaps a sign-in or error page saved instead of the file"
                .to_string(),
        });
    }
    if body.contains(&0) {
        return Err(FileError::NotText {
            what: "binary data (it contains NUL bytes)".to_string(),
        });
    }
    match std::str::from_utf8(body) {
        Ok(text) => Ok((Cow::Borrowed(text), "UTF-8")),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(body);
            Ok((text, encoding_rs::WINDOWS_1252.name()))
        }
    }
}

/// Comma, unless the first line has none and has tabs or semicolons instead.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text
        .split(['\n', '\r'])
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let (mut commas, mut tabs, mut semicolons, mut quoted) = (0, 0, 0, false);
    for c in first.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            '\t' if !quoted => tabs += 1,
            ';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if commas > 0 || (tabs == 0 && semicolons == 0) {
        b','
    } else if tabs >= semicolons {
        b'\t'
    } else {
        b';'
    }
}

/// Physical line numbers of byte offsets, counting CRLF, LF and lone CR as one break.
struct LineIndex<'a> {
    text: &'a [u8],
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        Self {
            text: bytes,
            starts,
        }
    }

    /// The line of the first character at or after `offset` that is not a line
    /// break (the csv reader reports a record as starting at the break before it).
    fn line_of(&self, offset: u64) -> u64 {
        let mut at = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while at < self.text.len() && matches!(self.text[at], b'\n' | b'\r') {
            at += 1;
        }
        self.starts.partition_point(|&s| s <= at) as u64
    }
}

/// Trims spaces (including no-break spaces and stray byte-order marks) and
/// literal quote marks wrapped around the whole value (`"Title"` → `Title`, but
/// `"Big" job "Two"` is kept).
fn clean(value: &str) -> &str {
    fn trim(s: &str) -> &str {
        s.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{feff}' | '\u{200b}'))
    }
    let mut v = trim(value);
    loop {
        let inner = v
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .filter(|inner| !inner.contains('"'))
            .or_else(|| {
                v.strip_prefix('\u{201c}')
                    .and_then(|s| s.strip_suffix('\u{201d}'))
            });
        match inner {
            Some(inner) => v = trim(inner),
            None => return v,
        }
    }
}

// ---------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------

/// How well a header matches a field: higher is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    /// All the words of a synonym, in any order (flattened merged cells:
    /// "Contract Dates End").
    Words = 1,
    /// A synonym of two or more words inside the header.
    Phrase = 2,
    /// A synonym of two or more words ending the header ("Dates - End date").
    Suffix = 3,
    /// The header is a synonym, after dropping brackets, £ and VAT wording.
    Exact = 4,
}

struct Mapping {
    /// The field each column is read into.
    field_of: Vec<Option<Field>>,
    /// The column each field is read from.
    column_of: [Option<usize>; 15],
    /// How each mapped column matched, and for each unmapped column the field
    /// it would have matched had that field been free.
    tier_of: Vec<Option<(Field, Tier, &'static str)>>,
}

impl Mapping {
    fn column(&self, field: Field) -> Option<usize> {
        self.column_of[field.index()]
    }

    fn mapped(&self) -> usize {
        self.column_of.iter().flatten().count()
    }

    fn describe(&self, header: &csv::StringRecord, has_data: &[bool]) -> Vec<ColumnMapping> {
        header
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                let shown = display_header(raw, i);
                let blank = clean(raw).is_empty();
                let (field, note) = match (self.field_of[i], self.tier_of[i]) {
                    (Some(field), Some((_, tier, synonym))) => {
                        let note = match tier {
                            Tier::Exact => format!("read as the {}", field.label()),
                            Tier::Suffix | Tier::Phrase => format!(
                                "read as the {} (the header contains \"{synonym}\")",
                                field.label()
                            ),
                            Tier::Words => format!(
                                "read as the {} (the header has the words of \"{synonym}\")",
                                field.label()
                            ),
                        };
                        (Some(field), note)
                    }
                    (None, Some((field, _, _))) => {
                        let holder = self.column(field).unwrap_or(0);
                        let why = if has_data[holder] && !has_data[i] {
                            ", which has values where this one is empty throughout"
                        } else {
                            ", an earlier or closer match"
                        };
                        (
                            None,
                            format!(
                                "kept as an extra column: the {} is read from column {} \"{}\"{why}",
                                field.label(),
                                holder + 1,
                                display_header(header.get(holder).unwrap_or(""), holder),
                            ),
                        )
                    }
                    _ if blank && !has_data[i] => {
                        (None, "ignored: no header and no values".to_string())
                    }
                    _ => (
                        None,
                        "kept as an extra column (not a contract field Consort reads)".to_string(),
                    ),
                };
                ColumnMapping {
                    column: i + 1,
                    header: shown,
                    field,
                    note,
                }
            })
            .collect()
    }
}

/// The header as shown to people and used as the key in `extra`.
fn display_header(raw: &str, index: usize) -> String {
    let cleaned = clean(raw);
    if cleaned.is_empty() {
        format!("Column {}", index + 1)
    } else if cleaned.contains(['\n', '\r']) {
        cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        cleaned.to_string()
    }
}

/// Lower-case words with punctuation, apostrophes and plural `s` dropped and
/// camelCase split: "Council's Contract_EndDates" → `council contract end date`.
fn words(text: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(text.len() + 8);
    let mut prev_lower = false;
    for c in text.chars() {
        if c.is_uppercase() && prev_lower {
            spaced.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        match c {
            '\'' | '\u{2019}' | '\u{2018}' | '`' => {}
            '&' => spaced.push_str(" and "),
            c if c.is_alphanumeric() => spaced.extend(c.to_lowercase()),
            _ => spaced.push(' '),
        }
    }
    spaced.split_whitespace().map(singular).collect()
}

fn singular(word: &str) -> String {
    if word.len() > 3
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
    {
        word[..word.len() - 1].to_string()
    } else {
        word.to_string()
    }
}

/// Words that qualify an amount rather than name a field, dropped from the end
/// of a header for the exact comparison: "Contract Value £ ex VAT" is "Contract Value".
const QUALIFIERS: &[&str] = &[
    "gbp",
    "inc",
    "incl",
    "including",
    "exc",
    "excl",
    "excluding",
    "ex",
    "vat",
    "net",
    "gross",
    "pound",
    "sterling",
];

/// Headers with these words name something about a person, a link or a
/// label, never the field itself, unless they match a synonym exactly.
const NEVER_PARTLY: &[&str] = &[
    "manager",
    "officer",
    "contact",
    "owner",
    "lead",
    "email",
    "phone",
    "telephone",
    "tel",
    "url",
    "uri",
    "link",
    "website",
    "address",
    "postcode",
    "person",
];

/// The wordings of a header to compare with synonyms.
fn header_variants(raw: &str) -> Vec<Vec<String>> {
    let full = words(raw);
    let mut without_brackets = String::new();
    let mut depth = 0usize;
    for c in raw.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            c if depth == 0 => without_brackets.push(c),
            _ => {}
        }
    }
    let bare = words(&without_brackets);
    let mut variants = vec![full.clone()];
    if !bare.is_empty() && bare != full {
        variants.push(bare.clone());
    }
    for base in [&full, &bare] {
        // Currency words anywhere, VAT wording only at the end ("VAT Value" is not a value).
        let mut plain: Vec<String> = base
            .iter()
            .filter(|w| !matches!(w.as_str(), "gbp" | "pound" | "sterling"))
            .cloned()
            .collect();
        while plain.len() > 1
            && plain
                .last()
                .is_some_and(|w| QUALIFIERS.contains(&w.as_str()))
        {
            plain.pop();
        }
        if !plain.is_empty() && !variants.contains(&plain) {
            variants.push(plain.clone());
        }
        if plain.len() > 1 && plain[0] == "contract" {
            let rest = plain[1..].to_vec();
            if !variants.contains(&rest) {
                variants.push(rest);
            }
        }
    }
    variants
}

fn contains_phrase(haystack: &[String], needle: &[String]) -> bool {
    needle.len() <= haystack.len() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The best way `raw` matches `field`, with the synonym it matched.
fn match_header(
    variants: &[Vec<String>],
    field: Field,
    synonyms: &[(Field, &'static str, Vec<String>)],
) -> Option<(Tier, &'static str)> {
    let mut best: Option<(Tier, usize, &'static str)> = None;
    let full = &variants[0];
    let annual = full
        .iter()
        .any(|w| matches!(w.as_str(), "annual" | "annum" | "yearly" | "year" | "pa"));
    let partly_allowed = !full.iter().any(|w| NEVER_PARTLY.contains(&w.as_str()))
        && (field != Field::TotalValue || !annual);
    for (f, synonym, syn) in synonyms {
        if *f != field {
            continue;
        }
        let tier = if variants.iter().any(|v| v == syn) {
            Some(Tier::Exact)
        } else if syn.len() < 2 || !partly_allowed {
            None
        } else if variants.iter().any(|v| v.ends_with(syn)) {
            Some(Tier::Suffix)
        } else if variants.iter().any(|v| contains_phrase(v, syn)) {
            Some(Tier::Phrase)
        } else if variants
            .iter()
            .any(|v| syn.iter().all(|w| v.contains(w)) && v.len() <= syn.len() + 2)
        {
            Some(Tier::Words)
        } else {
            None
        };
        if let Some(tier) = tier {
            let candidate = (tier, syn.len(), *synonym);
            if best.is_none_or(|b| (candidate.0, candidate.1) > (b.0, b.1)) {
                best = Some(candidate);
            }
        }
    }
    best.map(|(tier, _, synonym)| (tier, synonym))
}

/// Maps header cells to fields: the best match first; between equally good
/// matches, a column with values before an empty one, then the leftmost.
/// A column is read into one field at most, and a field from one column.
fn map_columns(header: &csv::StringRecord, has_data: Option<&[bool]>) -> Mapping {
    let synonyms: Vec<(Field, &'static str, Vec<String>)> = Field::ALL
        .iter()
        .flat_map(|&f| f.synonyms().iter().map(move |s| (f, *s, words(s))))
        .collect();
    let mut candidates: Vec<(Tier, bool, usize, Field, &'static str)> = Vec::new();
    for (i, raw) in header.iter().enumerate() {
        if clean(raw).is_empty() {
            continue;
        }
        let variants = header_variants(raw);
        for field in Field::ALL {
            if let Some((tier, synonym)) = match_header(&variants, field, &synonyms) {
                let data = has_data.is_none_or(|d| d.get(i).copied().unwrap_or(false));
                candidates.push((tier, data, i, field, synonym));
            }
        }
    }
    candidates.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.cmp(&a.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    let mut field_of = vec![None; header.len()];
    let mut column_of = [None; 15];
    let mut tier_of = vec![None; header.len()];
    for &(tier, _, i, field, synonym) in &candidates {
        if field_of[i].is_none() && column_of[field.index()].is_none() {
            field_of[i] = Some(field);
            column_of[field.index()] = Some(i);
            tier_of[i] = Some((field, tier, synonym));
        }
    }
    for &(tier, _, i, field, synonym) in &candidates {
        if field_of[i].is_none() && tier_of[i].is_none() {
            tier_of[i] = Some((field, tier, synonym));
        }
    }
    Mapping {
        field_of,
        column_of,
        tier_of,
    }
}

/// The header row: the first of the first few non-blank rows that names both a
/// reference and a title column (title rows above the header are passed over).
fn find_header(records: &[(u64, csv::StringRecord)]) -> Result<usize, FileError> {
    let mut best: Option<(usize, usize)> = None;
    for (i, (_, record)) in records.iter().enumerate().take(10) {
        let mapping = map_columns(record, None);
        if mapping.column(Field::Reference).is_some() && mapping.column(Field::Title).is_some() {
            return Ok(i);
        }
        let mapped = mapping.mapped();
        if mapped > best.map_or(0, |b| b.1) {
            best = Some((i, mapped));
        }
    }
    let found = |i: usize| -> Vec<String> {
        records[i]
            .1
            .iter()
            .map(clean)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    match best {
        None => Err(FileError::NoContractColumns {
            line: records[0].0,
            found: found(0),
        }),
        Some((i, _)) => {
            let mapping = map_columns(&records[i].1, None);
            let missing = [Field::Reference, Field::Title]
                .into_iter()
                .filter(|f| mapping.column(*f).is_none())
                .collect();
            Err(FileError::MissingColumns {
                line: records[i].0,
                missing,
                found: found(i),
            })
        }
    }
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_number(name: &str) -> Option<i8> {
    let name = name.to_lowercase();
    if name == "sept" {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| name == *m || (name.len() == 3 && m.starts_with(name.as_str())))
        .map(|i| i as i8 + 1)
}

/// Reads a date as UK councils write them, always day before month:
/// `31/03/2026`, `2026-03-31`, `31-Mar-2026`, `31 March 2026`, `31 Mar 2026`,
/// `31.03.2026`, `31/03/26` (two-digit years 00–69 are 2000–2069, 70–99 are
/// 1970–1999). A time of day after the date is ignored. Spreadsheet serial
/// numbers such as `46112` are refused.
pub fn parse_date(input: &str) -> Result<Date, String> {
    let s = clean(input);
    if s.is_empty() {
        return Err("no date given: write it like 31/03/2026".to_string());
    }
    let bad = |why: &str| format!("'{s}' is not a date: {why}");
    let mut core = s;
    // A time after the date: "31/03/2026 00:00:00", "2026-03-31T00:00:00".
    if let Some(at) = core.find([' ', 'T']) {
        let (date, time) = core.split_at(at);
        let time = time[1..].trim();
        if time.contains(':')
            && time
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | 'Z' | '+' | '-'))
        {
            core = date.trim();
        }
    }
    if !core.is_empty() && core.chars().all(|c| c.is_ascii_digit() || c == '.') {
        if core
            .split('.')
            .next()
            .is_some_and(|n| (1..=6).contains(&n.len()))
            && core.matches('.').count() <= 1
        {
            return Err(format!(
                "'{s}' looks like a spreadsheet's serial number for a date, not a date: \
                 format the column as dates (dd/mm/yyyy) before saving the CSV"
            ));
        }
        if !core.contains('.') {
            return Err(bad("write it with separators, like 31/03/2026"));
        }
    }
    let parts: Vec<&str> = core
        .split(['/', '-', '.', ' ', ','])
        .filter(|p| !p.is_empty())
        .collect();
    let [a, b, c] = parts[..] else {
        return Err(bad("write it as day, month and year, like 31/03/2026"));
    };
    let is_digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    let (day, month, year) = if a.len() == 4 && is_digits(a) {
        (c, b, a)
    } else {
        (a, b, c)
    };
    let day = day
        .strip_suffix("st")
        .or_else(|| day.strip_suffix("nd"))
        .or_else(|| day.strip_suffix("rd"))
        .or_else(|| day.strip_suffix("th"))
        .unwrap_or(day);
    if !is_digits(day) || day.len() > 2 {
        if month_number(day).is_some() {
            return Err(bad("write the day before the month, like 31 March 2026"));
        }
        return Err(bad(&format!(
            "the day '{day}' is not a number (write it like 31/03/2026)"
        )));
    }
    let month: i8 = if is_digits(month) && month.len() <= 2 {
        let m: i8 = month.parse().map_err(|_| bad("the month is not valid"))?;
        if !(1..=12).contains(&m) {
            return Err(bad(&format!(
                "the month {m} is not valid (dates are read day first, as dd/mm/yyyy)"
            )));
        }
        m
    } else {
        month_number(month).ok_or_else(|| bad(&format!("'{month}' is not a month")))?
    };
    if !is_digits(year) {
        return Err(bad(&format!("the year '{year}' is not a number")));
    }
    let year: i16 = match year.len() {
        2 => {
            let y: i16 = year.parse().map_err(|_| bad("the year is not valid"))?;
            if y < 70 { 2000 + y } else { 1900 + y }
        }
        4 => year.parse().map_err(|_| bad("the year is not valid"))?,
        _ => {
            return Err(bad(&format!(
                "the year '{year}' is not valid: write four digits, like 2026"
            )));
        }
    };
    if year < 1000 {
        return Err(bad(&format!("the year {year} is not valid")));
    }
    let day: i8 = day.parse().map_err(|_| bad("the day is not valid"))?;
    let first = Date::new(year, month, 1).map_err(|e| bad(&e.to_string()))?;
    if day < 1 || day > first.days_in_month() {
        return Err(bad(&format!(
            "there is no day {day} in {} {year}",
            capitalised(MONTHS[month as usize - 1])
        )));
    }
    Date::new(year, month, day).map_err(|e| bad(&e.to_string()))
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Reads a sum of money to the penny, without floating point: `£1,234.56`,
/// `1234`, `29,810.22`, `£1.2m`, `250k`, `£2.5M`, `1,000,000.00`. Empty, `-`
/// and `n/a` mean no value. Negative sums (`-5`, accounting brackets `(3728)`),
/// fractions of a penny and anything that is not a number are errors.
pub fn parse_pence(input: &str) -> Result<Option<Pence>, String> {
    let s = clean(input);
    let lower = s.to_lowercase();
    if matches!(lower.as_str(), "" | "-" | "n/a" | "na") {
        return Ok(None);
    }
    let not_amount =
        || format!("'{s}' is not an amount of money: write it like 1234.56, £1,234.56 or £1.2m");
    let mut t: String = lower
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .collect();
    let mut negative = false;
    if let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        negative = true;
        t = inner.to_string();
    }
    for currency in ["£", "gbp"] {
        if let Some(rest) = t.strip_prefix(currency) {
            t = rest.to_string();
        }
    }
    for minus in ['-', '\u{2212}', '\u{2013}'] {
        if let Some(rest) = t.strip_prefix(minus).or_else(|| t.strip_suffix(minus)) {
            negative = true;
            t = rest.to_string();
        }
    }
    for currency in ["£", "gbp"] {
        if let Some(rest) = t
            .strip_prefix(currency)
            .or_else(|| t.strip_suffix(currency))
        {
            t = rest.to_string();
        }
    }
    let mut scale = 0u32;
    for (suffix, exp) in [("million", 6), ("mn", 6), ("bn", 9), ("m", 6), ("k", 3)] {
        if let Some(rest) = t.strip_suffix(suffix) {
            scale = exp;
            t = rest.to_string();
            break;
        }
    }
    let (whole, fraction) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t.as_str(), ""),
    };
    let groups: Vec<&str> = whole.split(',').collect();
    let grouped_ok = groups.len() == 1
        || (!groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3));
    let digits_ok = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty()
        || !grouped_ok
        || !groups.iter().all(|g| digits_ok(g))
        || !digits_ok(fraction)
        || (t.contains('.') && fraction.is_empty() && whole.is_empty())
    {
        return Err(not_amount());
    }
    if negative {
        return Err(format!("a value cannot be negative: '{s}'"));
    }
    let places = 2 + scale;
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() as u32 > places {
        return Err(format!(
            "'{s}' has fractions of a penny: write at most two decimal places"
        ));
    }
    let too_large = || format!("'{s}' is too large an amount");
    let mut pence: i64 = 0;
    for c in groups.concat().chars().chain(fraction.chars()) {
        pence = pence
            .checked_mul(10)
            .and_then(|p| p.checked_add(i64::from(c as u8 - b'0')))
            .ok_or_else(too_large)?;
    }
    let shift = places - fraction.len() as u32;
    pence = 10i64
        .checked_pow(shift)
        .and_then(|m| pence.checked_mul(m))
        .ok_or_else(too_large)?;
    Ok(Some(Pence(pence)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Years,
    Months,
    Weeks,
    Days,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A number, as numerator and power-of-ten denominator.
    Num(u64, u64),
    Unit(Unit),
    Times,
    Then,
    Of,
    A,
    Working,
    Other,
}

const FILLERS: &[&str] = &[
    "option",
    "to",
    "extend",
    "extended",
    "extension",
    "extention",
    "for",
    "further",
    "up",
    "upto",
    "by",
    "period",
    "additional",
    "optional",
    "with",
    "each",
    "the",
    "possible",
    "potential",
    "maximum",
    "max",
    "notice",
    "written",
    "calendar",
    "prior",
    "in",
    "advance",
    "minimum",
    "min",
    "at",
    "least",
    "s",
    "year's",
    "more",
    "another",
];

const NUMBER_WORDS: [&str; 12] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve",
];

fn tokens(text: &str) -> Vec<Token> {
    let lower = text.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let (mut n, mut d, mut point) = (0u64, 1u64, false);
            while i < chars.len() {
                let c = chars[i];
                if let Some(v) = c.to_digit(10) {
                    n = n.saturating_mul(10).saturating_add(u64::from(v));
                    if point {
                        d = d.saturating_mul(10);
                    }
                } else if c == '.' && !point && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit())
                {
                    point = true;
                } else {
                    break;
                }
                i += 1;
            }
            out.push(Token::Num(n, d));
            continue;
        }
        if c.is_alphabetic() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphabetic() || matches!(chars[i], '\'' | '\u{2019}'))
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect::<String>();
            let word = word
                .trim_end_matches(['\'', '\u{2019}'])
                .trim_end_matches("'s")
                .trim_end_matches("\u{2019}s")
                .to_string();
            let token = match word.as_str() {
                "year" | "years" | "yr" | "yrs" | "y" => Some(Token::Unit(Unit::Years)),
                "month" | "months" | "mth" | "mths" | "mnth" | "mnths" | "mo" | "mos" | "m" => {
                    Some(Token::Unit(Unit::Months))
                }
                "week" | "weeks" | "wk" | "wks" | "w" => Some(Token::Unit(Unit::Weeks)),
                "day" | "days" | "d" => Some(Token::Unit(Unit::Days)),
                "x" | "times" => Some(Token::Times),
                "and" | "plus" | "then" | "followed" => Some(Token::Then),
                "of" => Some(Token::Of),
                "a" | "an" => Some(Token::A),
                "working" | "business" => Some(Token::Working),
                w if FILLERS.contains(&w)
                    || w.strip_suffix('s').is_some_and(|s| FILLERS.contains(&s)) =>
                {
                    None
                }
                w => match NUMBER_WORDS.iter().position(|n| *n == w) {
                    Some(n) => Some(Token::Num(n as u64 + 1, 1)),
                    None => Some(Token::Other),
                },
            };
            out.extend(token);
            continue;
        }
        match c {
            '+' | ',' | ';' | '&' => out.push(Token::Then),
            '×' | '*' => out.push(Token::Times),
            c if c.is_whitespace() || matches!(c, '-' | '.' | ':' | '\u{2013}') => {}
            _ => out.push(Token::Other),
        }
        i += 1;
    }
    // "a year" is one year; "of" between numbers multiplies ("2 periods of 12 months").
    let mut resolved = Vec::with_capacity(out.len());
    for (i, t) in out.iter().enumerate() {
        match t {
            Token::A => {
                if matches!(out.get(i + 1), Some(Token::Unit(_))) {
                    resolved.push(Token::Num(1, 1));
                }
            }
            Token::Of => {
                if matches!(resolved.last(), Some(Token::Num(..)))
                    && matches!(out.get(i + 1), Some(Token::Num(..)))
                {
                    resolved.push(Token::Times);
                }
            }
            t => resolved.push(t.clone()),
        }
    }
    resolved
}

/// One term of an extension list: `count` options of `amount` `unit`.
struct Term {
    count: u64,
    amount: (u64, u64),
    unit: Option<Unit>,
}

/// Terms separated by `+`, `and`, commas; `Err(())` when the text does not read.
fn terms(text: &str) -> Result<Vec<Term>, TermError> {
    let tokens = tokens(text);
    if tokens.contains(&Token::Working) {
        return Err(TermError::Working);
    }
    let mut out = Vec::new();
    for part in tokens.split(|t| *t == Token::Then) {
        let term = match part {
            [] => continue,
            [Token::Num(n, d)] => (1, (*n, *d), None),
            [Token::Num(n, d), Token::Unit(u)] => (1, (*n, *d), Some(*u)),
            [Token::Num(c, 1), Token::Times, Token::Num(n, d)] => (*c, (*n, *d), None),
            [
                Token::Num(c, 1),
                Token::Times,
                Token::Num(n, d),
                Token::Unit(u),
            ] => (*c, (*n, *d), Some(*u)),
            [
                Token::Num(n, d),
                Token::Unit(u),
                Token::Times,
                Token::Num(c, 1),
            ] => (*c, (*n, *d), Some(*u)),
            _ => return Err(TermError::Unreadable),
        };
        out.push(Term {
            count: term.0,
            amount: term.1,
            unit: term.2,
        });
    }
    Ok(out)
}

enum TermError {
    Unreadable,
    Working,
}

fn to_span(amount: (u64, u64), unit: Unit) -> Option<Span> {
    let (n, d) = amount;
    let whole = |x: u64| {
        x.is_multiple_of(d)
            .then(|| u32::try_from(x / d).ok())
            .flatten()
    };
    match unit {
        Unit::Years => whole(n.checked_mul(12)?).map(Span::Months),
        Unit::Months => whole(n).map(Span::Months),
        Unit::Weeks => whole(n.checked_mul(7)?).map(Span::Days),
        Unit::Days => whole(n).map(Span::Days),
    }
}

fn is_none_word(lower: &str) -> bool {
    matches!(
        lower,
        "" | "-"
            | "none"
            | "n/a"
            | "na"
            | "n.a."
            | "no"
            | "nil"
            | "0"
            | "not applicable"
            | "no extension"
            | "no extensions"
            | "no option"
            | "no options"
            | "no option to extend"
            | "no extension options"
    )
}

/// Reads the extension options a contract still has, in order: `1+1` (years),
/// `1 + 1 years`, `2 x 12 months`, `12 months + 12 months`, `up to 24 months`
/// (one option of 24 months), `6+6 months`, `12m`, `option to extend for a
/// further 2 years`. Years become months. Empty, `none` and `n/a` are no options.
pub fn parse_extensions(input: &str) -> Result<Vec<Span>, String> {
    let s = clean(input);
    let lower = s.to_lowercase();
    if is_none_word(lower.trim_end_matches('.')) {
        return Ok(Vec::new());
    }
    let unreadable = || {
        format!(
            "'{s}' is not a list of extension options: write them like 1+1 (years), \
             2 x 12 months or 24 months, or none"
        )
    };
    // "24 months (2 x 12)": the bracket may spell out the same time in more detail.
    if let (Some(open), Some(close)) = (s.find('('), s.rfind(')'))
        && open < close
    {
        let outside = format!("{} {}", &s[..open], &s[close + 1..]);
        let inside = &s[open + 1..close];
        let total = |v: &[Span]| -> Option<u32> {
            v.iter()
                .map(|x| match x {
                    Span::Months(m) => Some(*m),
                    Span::Days(_) => None,
                })
                .sum()
        };
        return match (extensions_plain(&outside), extensions_plain(inside)) {
            (Ok(out), Ok(ins)) if !out.is_empty() => {
                if ins.len() > out.len() && total(&ins).is_some() && total(&ins) == total(&out) {
                    Ok(ins)
                } else {
                    Ok(out)
                }
            }
            (Ok(out), Err(_)) if !out.is_empty() => Ok(out),
            (Ok(_), Ok(ins)) => Ok(ins),
            _ => Err(unreadable()),
        };
    }
    extensions_plain(s).map_err(|e| match e {
        TermError::Working => format!(
            "'{s}' counts working days, which cannot be turned into calendar dates: \
             write calendar days, weeks or months"
        ),
        TermError::Unreadable => unreadable(),
    })
}

fn extensions_plain(s: &str) -> Result<Vec<Span>, TermError> {
    let lower = s.trim().to_lowercase();
    if is_none_word(lower.trim_end_matches('.')) {
        return Ok(Vec::new());
    }
    let mut terms = terms(s)?;
    if terms.is_empty() {
        return Err(TermError::Unreadable);
    }
    // A number with no unit takes the unit of the next term that has one
    // ("6+6 months"), else of the one before, else years ("1+1").
    for i in 0..terms.len() {
        if terms[i].unit.is_none() {
            terms[i].unit = terms[i + 1..]
                .iter()
                .find_map(|t| t.unit)
                .or_else(|| terms[..i].iter().rev().find_map(|t| t.unit));
        }
    }
    let mut spans = Vec::new();
    for term in &terms {
        let unit = match term.unit {
            Some(u) => u,
            // "12+12" is not years; ask rather than guess.
            None if term.amount.0 <= 5 * term.amount.1 => Unit::Years,
            None => return Err(TermError::Unreadable),
        };
        if term.count == 0 || term.count > 20 || term.amount.0 == 0 {
            if term.amount.0 == 0 {
                continue;
            }
            return Err(TermError::Unreadable);
        }
        let span = to_span(term.amount, unit).ok_or(TermError::Unreadable)?;
        if matches!(span, Span::Months(m) if m > 1200)
            || matches!(span, Span::Days(d) if d > 36_600)
        {
            return Err(TermError::Unreadable);
        }
        for _ in 0..term.count {
            spans.push(span);
        }
    }
    Ok(spans)
}

/// Reads a length of time such as a notice period: `3 months`, `90 days`,
/// `6 weeks` (42 days), `1 year` (12 months). Empty, `none` and `n/a` are no
/// period; a number with no unit is an error.
pub fn parse_span(input: &str) -> Result<Option<Span>, String> {
    let s = clean(input);
    let lower = s.to_lowercase();
    if is_none_word(lower.trim_end_matches('.')) && lower != "0" || lower == "no notice" {
        return Ok(None);
    }
    let unreadable =
        || format!("'{s}' is not a length of time: write it like 3 months, 90 days or 6 weeks");
    match terms(s) {
        Err(TermError::Working) => Err(format!(
            "'{s}' counts working days, which cannot be turned into calendar dates: \
             write calendar days, weeks or months"
        )),
        Err(TermError::Unreadable) => Err(unreadable()),
        Ok(terms) => match terms.as_slice() {
            [
                Term {
                    count: 1,
                    amount,
                    unit: Some(unit),
                },
            ] => to_span(*amount, *unit).map(Some).ok_or_else(unreadable),
            [
                Term {
                    count: 1,
                    amount: (n, 1),
                    unit: None,
                },
            ] => Err(format!(
                "'{s}' has no unit: say whether {n} is days, weeks, months or years"
            )),
            _ => Err(unreadable()),
        },
    }
}

/// Reads a contract's status: `active`, `live`, `current` (and empty) are
/// active; `expired`, `ended`, `closed` are ended; `terminated`, `cancelled`
/// are terminated.
pub fn parse_status(input: &str) -> Result<ContractStatus, String> {
    let s = clean(input);
    let lower = s.to_lowercase();
    match lower.as_str() {
        "" | "active" | "live" | "current" | "open" | "in force" | "ongoing" | "awarded"
        | "extended" | "in progress" | "not started" | "not yet started" => {
            Ok(ContractStatus::Active)
        }
        "expired" | "ended" | "closed" | "complete" | "completed" | "finished" | "inactive" => {
            Ok(ContractStatus::Ended)
        }
        "terminated" | "cancelled" | "canceled" | "terminated early" => {
            Ok(ContractStatus::Terminated)
        }
        _ => Err(format!(
            "'{s}' is not a contract status: write active, ended or terminated"
        )),
    }
}

/// Reads zero or more CPV codes separated by `;`, `,`, `|` or spaces, each
/// eight digits with an optional check digit (`48000000-8`); a seven-digit
/// code has lost its leading zero to a spreadsheet and gets it back.
pub fn parse_cpv_codes(input: &str) -> Result<Vec<CpvCode>, String> {
    let s = clean(input);
    // "48000000 - 8" is one code.
    let mut joined = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '-' {
            while joined.ends_with(char::is_whitespace) {
                joined.pop();
            }
            joined.push('-');
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
        } else {
            joined.push(c);
        }
    }
    let mut codes: Vec<CpvCode> = Vec::new();
    let mut bad = Vec::new();
    for token in joined
        .split(|c: char| matches!(c, ';' | ',' | '|') || c.is_whitespace())
        .filter(|t| !t.is_empty())
    {
        let (main, check) = match token.split_once('-') {
            Some((m, c)) => (m, Some(c)),
            None => (token, None),
        };
        let digits = main.chars().all(|c| c.is_ascii_digit());
        let check_ok = check.is_none_or(|c| c.len() == 1 && c.chars().all(|c| c.is_ascii_digit()));
        let main = match main.len() {
            8 => main.to_string(),
            7 => format!("0{main}"),
            _ => String::new(),
        };
        match CpvCode::parse(&main) {
            Ok(code) if digits && check_ok => {
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
            _ => bad.push(token.to_string()),
        }
    }
    match bad.as_slice() {
        [] => Ok(codes),
        [one] => Err(format!(
            "'{one}' is not a CPV code: write 8 digits, like 48000000 or 48000000-8"
        )),
        many => Err(format!(
            "{} are not CPV codes: write 8 digits, like 48000000 or 48000000-8",
            quote_list(many).replace('"', "'")
        )),
    }
}

/// Tidies a Companies House number: `gb/07445476` → `07445476`, `7445476` →
/// `07445476` (a leading zero lost to a spreadsheet), `sc123456` →
/// `SC123456`. Other text is kept as given (trimmed); empty or `n/a` is none.
pub fn normalise_company_number(input: &str) -> Option<String> {
    let s = clean(input);
    let lower = s.to_lowercase();
    if matches!(
        lower.as_str(),
        "" | "-" | "n/a" | "na" | "none" | "n/k" | "not known" | "unknown"
    ) {
        return None;
    }
    let mut rest = s;
    for prefix in ["gb-coh-", "gb/", "gb-", "gb "] {
        if s.len() > prefix.len()
            && s.get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        {
            rest = &s[prefix.len()..];
            break;
        }
    }
    let compact: String = rest.chars().filter(|c| !c.is_whitespace()).collect();
    if !compact.is_empty() && compact.chars().all(|c| c.is_ascii_digit()) {
        if compact.len() <= 8 {
            if compact.chars().all(|c| c == '0') {
                return None;
            }
            return Some(format!("{compact:0>8}"));
        }
        return Some(s.to_string());
    }
    if compact.len() == 8
        && compact.is_ascii()
        && compact[..2].chars().all(|c| c.is_ascii_alphabetic())
        && compact[2..].chars().all(|c| c.is_ascii_digit())
    {
        return Some(compact.to_ascii_uppercase());
    }
    if rest.len() != s.len() && compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Some(compact.to_ascii_uppercase());
    }
    Some(s.to_string())
}
