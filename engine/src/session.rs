//! [`HuntSession`]: a DataFusion `SessionContext` set up for hunting.

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{DynamicFileCatalog, TableProvider, UrlTableFactory};
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::common::TableReference;
use datafusion::datasource::dynamic_file::DynamicListTableFactory;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::async_udf::AsyncScalarUDF;
use datafusion::logical_expr::{Documentation, LogicalPlan};
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParserBuilder, Statement};
use datafusion::sql::sqlparser::dialect::dialect_from_str;
use datafusion_session::SessionStore;
use huntsql_connectors::elasticsearch::{
    self as elastic, EsClient, EsConfig, EsSchemaProvider, EsSources,
};
use huntsql_connectors::local::{self, LocalTable};
use huntsql_connectors::log_analytics::{
    self, KqlFunction, LogAnalyticsSources, LogAnalyticsTableFactory,
};
use huntsql_connectors::object_store::{
    self as remote, HuntObjectStoreRegistry, ObjectStoreTableFactory, RemoteTable, StoreOptions,
};
use huntsql_connectors::threat_intel::{self, Clock, SystemClock, ThreatIntel};
use huntsql_udfs::DocumentedTableFunction;

use crate::config::{HuntConfig, SourceKind};
use crate::functions::{self, FunctionInfo};
use crate::sample;

/// A DataFusion session with information_schema on, every huntsql function
/// and connector registered and the configuration applied.
///
/// ```no_run
/// # async fn demo() -> datafusion::error::Result<()> {
/// let session = huntsql_engine::HuntSession::builder().with_sample(true).build()?;
/// let batches = session.sql("SELECT count(*) FROM process_events").await?.collect().await?;
/// # Ok(()) }
/// ```
pub struct HuntSession {
    ctx: SessionContext,
    table_function_docs: Vec<(String, Documentation)>,
    memory_limit: Option<usize>,
    stores: Arc<HuntObjectStoreRegistry>,
    /// Object-store tables are scanned in at least this many partitions.
    scan_partitions: usize,
    log_analytics: Arc<LogAnalyticsSources>,
    elastic: Arc<EsSources>,
    threat_intel: Arc<ThreatIntel>,
}

/// What `--data` registered: a local directory's tables or an object-store
/// prefix's.
#[derive(Debug, Clone)]
pub enum DataTables {
    Local(Vec<LocalTable>),
    Remote(Vec<RemoteTable>),
}

impl DataTables {
    /// The table names registered.
    pub fn names(&self) -> Vec<String> {
        match self {
            DataTables::Local(t) => t.iter().map(|t| t.name.clone()).collect(),
            DataTables::Remote(t) => t.iter().map(|t| t.name.clone()).collect(),
        }
    }
}

/// Builds a [`HuntSession`]; see [`HuntSession::builder`].
#[derive(Debug, Clone, Default)]
pub struct HuntSessionBuilder {
    config: HuntConfig,
    memory_limit: Option<usize>,
    sample: bool,
    clock: Option<Arc<dyn Clock>>,
}

impl HuntSessionBuilder {
    /// Uses settings from a configuration file (see [`HuntConfig`]).
    pub fn with_config(mut self, config: HuntConfig) -> Self {
        self.config = config;
        self
    }

    /// Bounds DataFusion's memory pool to `bytes`; overrides the config.
    pub fn with_memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Registers the embedded sample tables (see [`crate::sample`]).
    /// Off by default; the `huntsql` command turns it on when no data
    /// directory is given.
    pub fn with_sample(mut self, sample: bool) -> Self {
        self.sample = sample;
        self
    }

    /// The clock of vt_reputation's quota, waits and cache ages (tests use
    /// a [`threat_intel::ManualClock`]); the system clock by default.
    pub fn with_threat_intel_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Creates the session. Data directories from the configuration are
    /// registered by [`HuntSession::register_config_data`], which is async.
    pub fn build(self) -> Result<HuntSession> {
        let memory_limit = match self.memory_limit {
            Some(bytes) => Some(bytes),
            None => self.config.memory_limit_bytes()?,
        };
        let mut session_config = SessionConfig::new()
            .with_information_schema(true)
            .with_default_catalog_and_schema("huntsql", "public");
        // Sentinel and Elastic columns are PascalCase or dotted and KQL is
        // case-sensitive: keep identifiers as written, so `CommandLine`
        // needs no quotes. Function names stay case-insensitive.
        session_config
            .options_mut()
            .sql_parser
            .enable_ident_normalization = false;
        for (key, value) in &self.config.datafusion {
            session_config.options_mut().set(key, value).map_err(|e| {
                DataFusionError::Configuration(format!(
                    "config option [datafusion] \"{key}\" = \"{value}\": {e}"
                ))
            })?;
        }

        // S3 / GCS / Azure stores are built on first use from the URL, the
        // named sources and the environment.
        let stores = Arc::new(HuntObjectStoreRegistry::new());
        let mut runtime = RuntimeEnvBuilder::new().with_object_store_registry(stores.clone());
        if let Some(bytes) = memory_limit {
            // A fair pool lets spilling operators (sort, aggregate, join)
            // share the budget instead of the first one taking it all.
            let pool = TrackConsumersPool::new(
                FairSpillPool::new(bytes),
                NonZeroUsize::new(5).expect("non-zero"),
            );
            runtime = runtime.with_memory_pool(Arc::new(pool));
        }
        let runtime = runtime.build_arc()?;

        let scan_partitions = self
            .config
            .object_store_scan_partitions
            .unwrap_or(remote::DEFAULT_SCAN_PARTITIONS);
        let ctx = with_url_tables(
            SessionContext::new_with_config_rt(session_config, runtime),
            scan_partitions,
        );
        {
            // CREATE EXTERNAL TABLE ... OPTIONS ('aws.region' ...): the
            // object-store options build the bucket's store.
            let state = ctx.state_ref();
            let mut state = state.write();
            for factory in state.table_factories_mut().values_mut() {
                *factory = Arc::new(ObjectStoreTableFactory::new(
                    Arc::clone(factory),
                    Arc::clone(&stores),
                    scan_partitions,
                ));
            }
            // CREATE EXTERNAL TABLE ... STORED AS ELASTICSEARCH LOCATION 'https://host:9200/index'
            state.table_factories_mut().insert(
                "ELASTICSEARCH".to_string(),
                Arc::new(elastic::schema::EsTableFactory),
            );
        }
        huntsql_udfs::register_all(&ctx)?;
        // Sentinel / Log Analytics: kql() over the config's sources, and
        // CREATE EXTERNAL TABLE ... STORED AS LOG_ANALYTICS.
        let log_analytics = Arc::new(LogAnalyticsSources::new());
        ctx.register_udtf(
            "kql",
            Arc::new(KqlFunction::new(Arc::clone(&log_analytics))),
        );
        ctx.state_ref().write().table_factories_mut().insert(
            "LOG_ANALYTICS".to_string(),
            Arc::new(LogAnalyticsTableFactory),
        );
        let mut table_function_docs: Vec<(String, Documentation)> = huntsql_udfs::table_functions()
            .into_iter()
            .map(
                |DocumentedTableFunction {
                     name,
                     documentation,
                     ..
                 }| { (name.to_string(), documentation) },
            )
            .collect();
        table_function_docs.push(("kql".to_string(), log_analytics::kql_documentation()));
        // es_sql / es_search resolve the session's elasticsearch sources.
        let es_sources = Arc::new(EsSources::default());
        ctx.register_udtf(
            "es_sql",
            Arc::new(elastic::EsSql::new(Arc::clone(&es_sources))),
        );
        ctx.register_udtf(
            "es_search",
            Arc::new(elastic::EsSearch::new(Arc::clone(&es_sources))),
        );
        table_function_docs.push((
            "es_sql".to_string(),
            elastic::functions::es_sql_documentation(),
        ));
        table_function_docs.push((
            "es_search".to_string(),
            elastic::functions::es_search_documentation(),
        ));

        // vt_reputation / ti_lookup: async, batched, over one service that
        // caches answers and keeps to the quota.
        let clock = self
            .clock
            .unwrap_or_else(|| Arc::new(SystemClock::default()));
        let threat_intel = Arc::new(ThreatIntel::new(self.config.threat_intel.clone(), clock)?);
        for function in [
            threat_intel::VtReputation::new(Arc::clone(&threat_intel)),
            threat_intel::VtReputation::ti_lookup(Arc::clone(&threat_intel)),
        ] {
            use datafusion::logical_expr::ScalarUDFImpl;
            let name = function.name().to_string();
            let documentation = function.documentation().cloned();
            ctx.register_udf(AsyncScalarUDF::new(Arc::new(function)).into_scalar_udf());
            if let Some(documentation) = documentation {
                table_function_docs.push((name, documentation));
            }
        }

        let session = HuntSession {
            ctx,
            table_function_docs,
            memory_limit,
            stores,
            scan_partitions,
            log_analytics,
            elastic: es_sources,
            threat_intel,
        };
        if self.sample {
            session.register_sample()?;
        }
        Ok(session)
    }
}

/// `SELECT * FROM 'file.parquet'` and `'s3://bucket/key.parquet'`: as
/// DataFusion's `enable_url_table`, with object-store URLs scanned in at
/// least `scan_partitions` partitions ([`remote::WideScan`]).
fn with_url_tables(ctx: SessionContext, scan_partitions: usize) -> SessionContext {
    let catalogs = Arc::clone(ctx.state_ref().read().catalog_list());
    let factory = Arc::new(DynamicListTableFactory::new(SessionStore::new()));
    let wide = Arc::new(remote::WideUrlTables::new(
        Arc::clone(&factory) as Arc<dyn UrlTableFactory>,
        scan_partitions,
    ));
    let session_id = ctx.session_id();
    let ctx: SessionContext = ctx
        .into_state_builder()
        .with_session_id(session_id)
        .with_catalog_list(Arc::new(DynamicFileCatalog::new(catalogs, wide)))
        .build()
        .into();
    factory.session_store().with_state(ctx.state_weak_ref());
    ctx
}

impl HuntSession {
    /// A builder with default settings (no sample, no memory limit).
    pub fn builder() -> HuntSessionBuilder {
        HuntSessionBuilder::default()
    }

    /// A session with default settings and no tables.
    pub fn new() -> Result<Self> {
        Self::builder().build()
    }

    /// The underlying DataFusion context, for anything this type does not wrap.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The memory pool's limit in bytes, if bounded.
    pub fn memory_limit(&self) -> Option<usize> {
        self.memory_limit
    }

    /// Plans one SQL statement (DDL and DML run at once, as in DataFusion).
    pub async fn sql(&self, sql: &str) -> Result<DataFrame> {
        // vt_reputation's max_lookups guard counts per statement.
        self.threat_intel.start_statement();
        self.ctx.sql(sql).await.map_err(explain_async_misuse)
    }

    /// Runs one SQL statement and collects its result.
    pub async fn query(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        self.sql(sql)
            .await?
            .collect()
            .await
            .map_err(explain_async_misuse)
    }

    /// The threat-intelligence service behind vt_reputation (cache, offline
    /// mode, lookup limit).
    pub fn threat_intel(&self) -> &Arc<ThreatIntel> {
        &self.threat_intel
    }

    /// Splits SQL text into statements with DataFusion's parser.
    pub fn parse_statements(&self, sql: &str) -> Result<Vec<Statement>> {
        let state = self.ctx.state();
        let options = &state.config().options().sql_parser;
        let dialect = dialect_from_str(options.dialect).ok_or_else(|| {
            DataFusionError::Configuration(format!("unsupported SQL dialect {}", options.dialect))
        })?;
        let statements = DFParserBuilder::new(sql)
            .with_dialect(dialect.as_ref())
            .with_recursion_limit(options.recursion_limit.get())
            .build()?
            .parse_statements()?;
        Ok(statements.into())
    }

    /// Plans one parsed statement.
    pub async fn plan_statement(&self, statement: Statement) -> Result<LogicalPlan> {
        self.threat_intel.start_statement();
        self.ctx.state().statement_to_plan(statement).await
    }

    /// Registers `path` (a Parquet file or directory) as table `name`.
    pub async fn register_parquet(&self, name: &str, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref().to_str().ok_or_else(|| {
            DataFusionError::Plan(format!(
                "path {} is not valid UTF-8",
                path.as_ref().display()
            ))
        })?;
        self.ctx
            .register_parquet(TableReference::bare(name), path, Default::default())
            .await
    }

    /// Registers a table provider under `name`, case preserved.
    pub fn register_table(
        &self,
        name: &str,
        table: Arc<dyn TableProvider>,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        self.ctx.register_table(TableReference::bare(name), table)
    }

    /// Registers every CSV, JSON/NDJSON and Parquet file in `dir`, and each
    /// directory of such files, as a table named after it (see
    /// [`local::discover`]). Returns the tables registered.
    pub async fn register_data_dir(&self, dir: impl AsRef<Path>) -> Result<Vec<LocalTable>> {
        let dir = dir.as_ref();
        let tables = local::discover(dir)?;
        let state = self.ctx.state();
        for table in &tables {
            self.check_free(&table.name, &table.path.display().to_string())?;
            let provider = table.table_provider(&state).await?;
            self.register_table(&table.name, provider)?;
        }
        Ok(tables)
    }

    /// `--data`: a local directory, or an object-store prefix
    /// (`s3://bucket/prefix/`) whose tables are found the same way.
    pub async fn register_data(&self, location: &str) -> Result<DataTables> {
        if remote::is_object_store_url(location) {
            let tables = self.register_prefix(location, None).await?;
            Ok(DataTables::Remote(tables))
        } else {
            Ok(DataTables::Local(self.register_data_dir(location).await?))
        }
    }

    fn check_free(&self, name: &str, origin: &str) -> Result<()> {
        if self.ctx.table_exist(TableReference::bare(name))? {
            return Err(DataFusionError::Plan(format!(
                "table '{name}' from {origin} is already registered (from another --data directory?); rename one of them"
            )));
        }
        Ok(())
    }

    /// Registers the tables under an object-store prefix, in schema
    /// `schema` (created if needed) or the default one.
    pub async fn register_prefix(
        &self,
        location: &str,
        schema: Option<&str>,
    ) -> Result<Vec<RemoteTable>> {
        let location = if location.ends_with('/') {
            location.to_string()
        } else {
            format!("{location}/")
        };
        let url = url_of(&location)?;
        let store = self
            .ctx
            .runtime_env()
            .object_store_registry
            .get_store(&url)?;
        let tables = remote::discover(&store, &url).await?;
        let state = self.ctx.state();
        let target: Option<Arc<dyn SchemaProvider>> = match schema {
            None => None,
            Some(name) => {
                let catalog = self
                    .ctx
                    .catalog("huntsql")
                    .ok_or_else(|| DataFusionError::Internal("catalog huntsql missing".into()))?;
                Some(match catalog.schema(name) {
                    Some(s) => s,
                    None => {
                        let s: Arc<dyn SchemaProvider> = Arc::new(MemorySchemaProvider::new());
                        catalog.register_schema(name, Arc::clone(&s))?;
                        s
                    }
                })
            }
        };
        for table in &tables {
            let provider = table.table_provider(&state, self.scan_partitions).await?;
            match &target {
                Some(s) => {
                    if s.table_exist(&table.name) {
                        return Err(DataFusionError::Plan(format!(
                            "table '{}.{}' from {} is already registered",
                            schema.unwrap_or_default(),
                            table.name,
                            table.url
                        )));
                    }
                    s.register_table(table.name.clone(), provider)?;
                }
                None => {
                    self.check_free(&table.name, &table.url)?;
                    self.register_table(&table.name, provider)?;
                }
            }
        }
        Ok(tables)
    }

    /// Registers a named object-store source: its options serve every URL
    /// in its bucket, and its tables become `name.table`.
    pub async fn register_source(
        &self,
        name: &str,
        source: &crate::config::SourceConfig,
    ) -> Result<Vec<RemoteTable>> {
        let context =
            |e: DataFusionError| e.context(format!("source [sources.{name}] ({})", source.url));
        if source.url.is_empty() {
            return Err(DataFusionError::Configuration(format!(
                "config [sources.{name}]: url is required for an object-store source \
                 (e.g. url = \"s3://bucket/logs/\")"
            )));
        }
        let url = url_of(&source.url).map_err(context)?;
        let cloud = remote::Cloud::from_scheme(url.scheme()).ok_or_else(|| {
            context(DataFusionError::Configuration(format!(
                "url must be s3://, gs://, az:// or abfss://, not {}://",
                url.scheme()
            )))
        })?;
        let options = StoreOptions::from_unprefixed(cloud, source.string_options(name)?);
        self.stores.add_source(&url, options).map_err(context)?;
        self.register_prefix(&source.url, Some(name))
            .await
            .map_err(context)
    }

    /// Registers an Elasticsearch / OpenSearch source: its indices become
    /// tables `name.<index>` (any other index, alias or pattern resolves on
    /// use, e.g. `name."logs-*"`), and `es_sql` / `es_search` accept `name`.
    pub async fn register_elasticsearch(
        &self,
        name: &str,
        source: &crate::config::SourceConfig,
    ) -> Result<()> {
        let context = |e: DataFusionError| {
            e.context(format!(
                "source [sources.{name}] ({})",
                elastic::config::redact_url_text(&source.url)
            ))
        };
        let config =
            EsConfig::from_options(&source.url, source.string_options(name)?).map_err(context)?;
        let client = EsClient::new(Arc::new(config)).map_err(context)?;
        let schema = EsSchemaProvider::connect(client.clone())
            .await
            .map_err(context)?;
        let catalog = self
            .ctx
            .catalog("huntsql")
            .ok_or_else(|| DataFusionError::Internal("catalog huntsql missing".into()))?;
        if catalog.schema(name).is_some() {
            return Err(DataFusionError::Plan(format!(
                "config [sources.{name}]: a schema named '{name}' is already registered"
            )));
        }
        catalog.register_schema(name, Arc::new(schema))?;
        self.elastic.add(name, client);
        Ok(())
    }

    /// Registers a Log Analytics (Sentinel) source: `kql('name', ...)`
    /// can query it and its tables become `name.Table`.
    pub async fn register_log_analytics(
        &self,
        name: &str,
        source: &crate::config::SourceConfig,
    ) -> Result<Vec<String>> {
        let origin = format!("config [sources.{name}]");
        let tables = self
            .log_analytics
            .register(name, &origin, source.string_options(name)?)
            .await
            .map_err(|e| e.context(format!("Log Analytics source [sources.{name}]")))?;
        let catalog = self
            .ctx
            .catalog("huntsql")
            .ok_or_else(|| DataFusionError::Internal("catalog huntsql missing".into()))?;
        let schema: Arc<dyn SchemaProvider> = match catalog.schema(name) {
            Some(s) => s,
            None => {
                let s: Arc<dyn SchemaProvider> = Arc::new(MemorySchemaProvider::new());
                catalog.register_schema(name, Arc::clone(&s))?;
                s
            }
        };
        let mut names = Vec::with_capacity(tables.len());
        for (table, provider) in tables {
            schema.register_table(table.clone(), provider)?;
            names.push(table);
        }
        Ok(names)
    }

    /// Registers the data directories and sources named in the configuration.
    pub async fn register_config_data(&self, config: &HuntConfig) -> Result<()> {
        for (name, source) in &config.sources {
            match source.kind(name)? {
                SourceKind::ObjectStore => {
                    self.register_source(name, source).await?;
                }
                SourceKind::LogAnalytics => {
                    self.register_log_analytics(name, source).await?;
                }
                SourceKind::Elasticsearch => {
                    self.register_elasticsearch(name, source).await?;
                }
            }
        }
        for dir in &config.data {
            let location = dir.to_str().ok_or_else(|| {
                DataFusionError::Configuration(format!(
                    "data path {} is not valid UTF-8",
                    dir.display()
                ))
            })?;
            self.register_data(location)
                .await
                .map_err(|e| e.context(format!("config data entry {location}")))?;
        }
        Ok(())
    }

    /// Registers the embedded sample tables ([`sample::TABLES`]).
    pub fn register_sample(&self) -> Result<()> {
        for table in sample::TABLES {
            self.register_table(table.name, table.provider()?)?;
        }
        Ok(())
    }

    /// Every function the session knows (DataFusion's and huntsql's), with
    /// its documentation, sorted by name.
    pub fn functions(&self) -> Vec<FunctionInfo> {
        functions::list(&self.ctx.state(), &self.table_function_docs)
    }

    /// The names of the tables and views in the default schema and any
    /// other schema (remote sources included), as `name` or `schema.name`.
    pub fn table_names(&self) -> Vec<String> {
        let state = self.ctx.state();
        let default_schema = state.config().options().catalog.default_schema.clone();
        let mut names = Vec::new();
        for catalog_name in self.ctx.catalog_names() {
            let Some(catalog) = self.ctx.catalog(&catalog_name) else {
                continue;
            };
            for schema_name in catalog.schema_names() {
                if schema_name == "information_schema" {
                    continue;
                }
                let Some(schema) = catalog.schema(&schema_name) else {
                    continue;
                };
                for table in schema.table_names() {
                    if schema_name == default_schema {
                        names.push(table);
                    } else {
                        names.push(format!("{schema_name}.{table}"));
                    }
                }
            }
        }
        names.sort();
        names
    }
}

/// DataFusion runs async functions (vt_reputation) only in projections and
/// filters; elsewhere (GROUP BY, ORDER BY, join keys, aggregate arguments)
/// it fails with an internal error. This turns that into advice.
pub fn explain_async_misuse(error: DataFusionError) -> DataFusionError {
    match async_misuse_advice(&error) {
        Some(advice) => DataFusionError::Plan(advice),
        None => error,
    }
}

/// The advice [`explain_async_misuse`] gives, if `error` is that failure.
pub fn async_misuse_advice(error: &DataFusionError) -> Option<String> {
    let text = error.to_string();
    (text.contains("async functions should not be called directly")
        || text.contains("can only run in SELECT and WHERE"))
    .then(|| {
        "vt_reputation and ti_lookup run only in SELECT lists and WHERE clauses, not in GROUP BY, ORDER BY, joins or aggregate arguments; compute them in a subquery first, e.g. SELECT r.status, count(*) FROM (SELECT vt_reputation(ip) AS r FROM t) GROUP BY r.status"
            .to_string()
    })
}

fn url_of(location: &str) -> Result<url::Url> {
    url::Url::parse(location).map_err(|e| {
        DataFusionError::Configuration(format!(
            "'{location}' is not a valid URL ({e}); write e.g. s3://bucket/prefix/"
        ))
    })
}
