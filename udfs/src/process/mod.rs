//! msticpy's process features (`msticpy.analysis.eventcluster`) and the
//! helpers behind them.

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

mod add_process_features;
mod cmdline_len;
mod cmdline_log_len;
mod cmdline_score;
mod cmdline_tokens;
mod cmdline_tokens_hash;
mod crc32;
mod delim_count;
pub(crate) mod features;
mod is_system_session;
mod path_hash;
mod path_log_score;
mod path_score;
mod process_name;
mod token_count;

pub(crate) use add_process_features::documentation as add_process_features_documentation;
pub use add_process_features::AddProcessFeatures;
pub use cmdline_len::CmdlineLen;
pub use cmdline_log_len::CmdlineLogLen;
pub use cmdline_score::CmdlineScore;
pub use cmdline_tokens::CmdlineTokens;
pub use cmdline_tokens_hash::CmdlineTokensHash;
pub use crc32::Crc32;
pub use delim_count::DelimCount;
pub use is_system_session::IsSystemSession;
pub use path_hash::PathHash;
pub use path_log_score::PathLogScore;
pub use path_score::PathScore;
pub use process_name::ProcessName;
pub use token_count::TokenCount;

pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(CmdlineTokens::default().into()),
        Arc::new(CmdlineTokensHash::default().into()),
        Arc::new(CmdlineScore::default().into()),
        Arc::new(CmdlineLen::default().into()),
        Arc::new(CmdlineLogLen::default().into()),
        Arc::new(PathScore::default().into()),
        Arc::new(PathLogScore::default().into()),
        Arc::new(PathHash::default().into()),
        Arc::new(ProcessName::default().into()),
        Arc::new(IsSystemSession::default().into()),
        Arc::new(TokenCount::default().into()),
        Arc::new(DelimCount::default().into()),
        Arc::new(Crc32::default().into()),
    ]
}
