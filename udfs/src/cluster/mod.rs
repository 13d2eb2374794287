//! Clustering: scikit-learn's DBSCAN, exactly (labels and their numbering),
//! as the `dbscan_cluster` window function and msticpy's
//! `dbcluster_events` table function.

use std::sync::Arc;

use datafusion::logical_expr::WindowUDF;
use datafusion::prelude::SessionContext;

mod args;
mod dbcluster_events;
pub mod dbscan;
mod dbscan_cluster;
mod normalize;

pub(crate) use dbcluster_events::documentation as dbcluster_events_documentation;
pub use dbcluster_events::DbclusterEvents;
pub use dbscan::dbscan;
pub use dbscan_cluster::{DbscanCluster, MemoryPoolSource};
pub use normalize::Normalize;

/// The clustering window functions. With a session they reserve their
/// working memory in its memory pool (the one in force when they run).
pub fn window_functions(session: Option<&SessionContext>) -> Vec<Arc<WindowUDF>> {
    let memory = match session {
        Some(ctx) => {
            let state = ctx.state_weak_ref();
            MemoryPoolSource::new(move || {
                state
                    .upgrade()
                    .map(|state| Arc::clone(&state.read().runtime_env().memory_pool))
            })
        }
        None => MemoryPoolSource::default(),
    };
    vec![Arc::new(WindowUDF::from(DbscanCluster::new(memory)))]
}
