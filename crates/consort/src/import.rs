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
            "{} rows were rejected, so nothing was imported; fix them, or use --skip-invalid to import the {} valid rows",
            parsed.rejected.len(),
            contracts.len()
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
                Some(e) if e.contract.same_terms(c) || same_but_category(&e.contract, c) => {
                    same += 1
                }
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
            format!("; {} rows rejected and not imported", parsed.rejected.len())
        }
    );
    Ok(all_valid)
}

/// A stored contract whose coordinator-set category is all that differs.
fn same_but_category(stored: &Contract, incoming: &Contract) -> bool {
    let mut c = incoming.clone();
    c.category = stored.category.clone();
    stored.same_terms(&c)
}
