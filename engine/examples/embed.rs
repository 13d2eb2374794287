//! Another Rust program using huntsql: register a Parquet file, run SQL with
//! huntsql's functions, get Arrow record batches.
//!
//! `cargo run -p huntsql-engine --example embed -- path/to/events.parquet`

use huntsql_engine::datafusion::arrow::util::pretty::print_batches;
use huntsql_engine::HuntSession;

#[tokio::main]
async fn main() -> huntsql_engine::datafusion::error::Result<()> {
    let path = std::env::args().nth(1).expect("usage: embed FILE.parquet");
    let session = HuntSession::new()?;
    session.register_parquet("events", &path).await?;
    let batches = session
        .query("SELECT count(*) AS events FROM events")
        .await?;
    print_batches(&batches)?;
    Ok(())
}
