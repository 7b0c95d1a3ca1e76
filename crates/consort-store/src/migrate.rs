//! Schema migrations, one SQL file per dialect, applied in order at start-up.
//! Each applied migration is recorded with a checksum, so that an edited file or
//! a database from a newer Consort is reported instead of silently mixed.

use crate::{Backend, Result, Store, StoreError};
use sha2::{Digest, Sha256};
use sqlx::AssertSqlSafe;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/0001_foundation.sqlite.sql"),
        postgres: include_str!("../migrations/0001_foundation.postgres.sql"),
    },
    Migration {
        version: 2,
        name: "contracts register",
        sqlite: include_str!("../migrations/0002_contracts_register.sqlite.sql"),
        postgres: include_str!("../migrations/0002_contracts_register.postgres.sql"),
    },
    Migration {
        version: 3,
        name: "outbox",
        sqlite: include_str!("../migrations/0003_outbox.sqlite.sql"),
        postgres: include_str!("../migrations/0003_outbox.postgres.sql"),
    },
    Migration {
        version: 4,
        name: "competitions",
        sqlite: include_str!("../migrations/0004_competitions.sqlite.sql"),
        postgres: include_str!("../migrations/0004_competitions.postgres.sql"),
    },
];

pub(crate) async fn run(store: &Store) -> Result<()> {
    let pool = &store.pool;
    let mut conn = pool.acquire().await?;
    if store.backend == Backend::Postgres {
        // Several instances may start together: one migrates, the rest wait.
        sqlx::query("SELECT pg_advisory_lock(4721000)")
            .execute(&mut *conn)
            .await?;
    }
    let result = apply_pending(store, &mut conn).await;
    if store.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock(4721000)")
            .execute(&mut *conn)
            .await?;
    }
    result
}

async fn apply_pending(store: &Store, conn: &mut sqlx::AnyConnection) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    BIGINT PRIMARY KEY,
            name       TEXT NOT NULL,
            checksum   TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )
    .execute(&mut *conn)
    .await?;
    let applied: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await?;
    if let Some((v, name, _)) = applied
        .iter()
        .find(|(v, _, _)| !MIGRATIONS.iter().any(|m| m.version == *v))
    {
        return Err(StoreError::Migration(format!(
            "the database has migration {v} ({name}), which this version of Consort does not know: it was written by a newer Consort"
        )));
    }
    for m in MIGRATIONS {
        let sql = match store.backend {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
        if let Some((_, _, stored)) = applied.iter().find(|(v, _, _)| *v == m.version) {
            if *stored != checksum {
                return Err(StoreError::Migration(format!(
                    "migration {} ({}) has changed since it was applied to this database",
                    m.version, m.name
                )));
            }
            continue;
        }
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::Migration(format!("{} ({}): {e}", m.version, m.name)))?;
        sqlx::query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)")
            .bind(m.version)
            .bind(m.name)
            .bind(&checksum)
            .bind(consort_core::audit::format_time(store.clock.now()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
    }
    Ok(())
}
