//! `consort import contracts`: an authority's published contracts register (the
//! Local Government Transparency Code CSV) into the store, all or nothing.

use anyhow::{Context, Result, anyhow, bail};
use consort_core::OrgId;
use consort_core::register::Contract;
use consort_core::register::import::{ImportOptions, parse_register};
use consort_store::{ContractFilter, Store};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;

/// What `consort import contracts` was asked.
pub struct ImportRequest<'a> {
    /// The CSV file.
    pub file: &'a Path,
    /// The authority whose register it is.
    pub authority: &'a str,
    /// Check and report only.
    pub dry_run: bool,
    /// Save the valid rows and report the rest, instead of saving nothing.
    pub skip_invalid: bool,
    /// Who acts, for the audit log.
    pub actor: &'a str,
}

/// Rows above which the command line shows a progress bar.
const PROGRESS_ABOVE: usize = 2_000;

/// Imports the file; returns whether every row was accepted.
pub async fn run(store: &Store, request: &ImportRequest<'_>) -> Result<bool> {
    let authority =
        OrgId::parse(request.authority).map_err(|e| anyhow!("--authority: {}", e.reason))?;
    let org = store.org(&authority).await?.ok_or_else(|| {
        anyhow!("--authority: no organisation has identifier {authority}: add it first with `consort org add`")
    })?;
    if org.kind != consort_core::org::OrgKind::Authority {
        bail!(
            "--authority: {authority} ({}) is not a contracting authority, so it has no contracts register",
            org.name
        );
    }
    let bytes = std::fs::read(request.file)
        .with_context(|| format!("cannot read {}", request.file.display()))?;
    let file_name = request
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| request.file.display().to_string());
    let parsed = parse_register(
        &bytes,
        &ImportOptions {
            authority: authority.clone(),
            file_name: file_name.clone(),
        },
    )
    .map_err(|e| anyhow!("{}: {e}", request.file.display()))?;
    eprintln!(
        "{}: read as {}, {} valid rows, {} rejected, for {} ({})",
        file_name,
        parsed.encoding,
        parsed.contracts.len(),
        parsed.rejected.len(),
        org.name,
        authority
    );
    for error in &parsed.rejected {
        eprintln!("  rejected: {error}");
    }
    let contracts: Vec<Contract> = parsed.contracts.into_iter().map(|(_, c)| c).collect();
    let all_valid = parsed.rejected.is_empty();
    if !all_valid && !request.skip_invalid {
        bail!(
            "{} rejected, so nothing was imported; fix them, or use --skip-invalid to import the {} valid {}",
            rows_were(parsed.rejected.len()),
            contracts.len(),
            if contracts.len() == 1 { "row" } else { "rows" }
        );
    }
    if request.dry_run {
        let existing = store
            .contracts(&ContractFilter {
                authorities: Some(vec![authority.clone()]),
                ..Default::default()
            })
            .await?;
        let (mut new, mut changed, mut same) = (0, 0, 0);
        for c in &contracts {
            match existing
                .iter()
                .find(|e| e.contract.reference == c.reference.trim())
            {
                None => new += 1,
                Some(e) if as_stored(&e.contract, c).same_terms(&e.contract) => same += 1,
                Some(_) => changed += 1,
            }
        }
        println!(
            "dry run: would add {new}, update {changed}, leave {same} unchanged; nothing was saved"
        );
        return Ok(all_valid);
    }
    let bar = (contracts.len() > PROGRESS_ABOVE && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(contracts.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} rows ({eta} left)")
                .expect("a valid template"),
        );
        bar.set_message("importing");
        bar
    });
    let summary = store
        .import_contracts_with_progress(request.actor, &authority, &file_name, &contracts, |done| {
            if let Some(bar) = &bar {
                bar.set_position(done as u64);
            }
        })
        .await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    println!(
        "imported {file_name} for {authority}: {} added, {} updated, {} unchanged{}",
        summary.inserted.len(),
        summary.updated.len(),
        summary.unchanged,
        if all_valid {
            String::new()
        } else {
            format!(
                "; {} rejected and not imported",
                rows(parsed.rejected.len())
            )
        }
    );
    Ok(all_valid)
}

/// The incoming record as an import would store it: a file with no category
/// keeps the category a coordinator set.
fn as_stored(stored: &Contract, incoming: &Contract) -> Contract {
    let mut c = incoming.clone();
    if c.category.is_none() {
        c.category = stored.category.clone();
    }
    c
}

/// "1 row" or "N rows".
fn rows(n: usize) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

/// "1 row was" or "N rows were".
fn rows_were(n: usize) -> String {
    format!("{} {}", rows(n), if n == 1 { "was" } else { "were" })
}
