//! An index, alias, data stream or pattern as a DataFusion table.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use serde_json::Value;

use super::client::EsClient;
use super::dsl::{combine, Translator};
use super::mapping::{fields_from_mapping, meta_fields, schema_of, EsField, Kind};
use super::scan::{EsScanExec, ScanSpec};

/// A table over one index (or alias, data stream, pattern) of a cluster.
#[derive(Debug, Clone)]
pub struct EsTable {
    client: EsClient,
    index: String,
    fields: Vec<EsField>,
    schema: SchemaRef,
    /// A query every scan adds (`es_search`'s query string and time range).
    base_query: Option<Value>,
}

impl EsTable {
    /// Reads the index's mapping (`GET /<index>/_mapping`).
    pub async fn open(client: EsClient, index: &str) -> Result<Self> {
        let answer = client
            .mapping(index)
            .await
            .map_err(|e| e.context(format!("reading the mapping of index '{index}'")))?;
        Self::from_mapping(client, index, &answer)
    }

    /// A table from a `_mapping` answer already fetched.
    pub fn from_mapping(client: EsClient, index: &str, answer: &Value) -> Result<Self> {
        if answer.as_object().is_some_and(|o| o.is_empty()) {
            return Err(DataFusionError::Plan(format!(
                "elasticsearch {}: '{index}' matches no index; check the name or pattern \
                 (GET /_cat/indices lists them)",
                client.config().display_url()
            )));
        }
        let mut fields = fields_from_mapping(answer)?;
        fields.retain(|f| f.name != "_id" && f.name != "_index");
        fields.extend(meta_fields());
        let schema = schema_of(&fields);
        Ok(Self {
            client,
            index: index.to_string(),
            fields,
            schema,
            base_query: None,
        })
    }

    /// Adds a query that every scan must match.
    pub fn with_base_query(mut self, query: Value) -> Self {
        self.base_query = Some(query);
        self
    }

    pub fn index(&self) -> &str {
        &self.index
    }

    pub fn fields(&self) -> &[EsField] {
        &self.fields
    }

    pub fn client(&self) -> &EsClient {
        &self.client
    }

    fn translator(&self) -> Translator<'_> {
        Translator::new(&self.fields, self.client.config().exact_pushdown)
    }
}

#[async_trait]
impl TableProvider for EsTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        let translator = self.translator();
        Ok(filters
            .iter()
            .map(|f| match translator.translate(f) {
                Some(p) if p.exact => TableProviderFilterPushDown::Exact,
                Some(_) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let translator = self.translator();
        let mut parts: Vec<Value> = self.base_query.iter().cloned().collect();
        parts.extend(
            filters
                .iter()
                .filter_map(|f| translator.translate(f))
                .map(|p| p.query),
        );
        let (fields, schema) = match projection {
            Some(indices) => (
                indices
                    .iter()
                    .map(|&i| self.fields[i].clone())
                    .collect::<Vec<_>>(),
                Arc::new(self.schema.project(indices)?),
            ),
            None => (self.fields.clone(), Arc::clone(&self.schema)),
        };
        fn document_fields(fields: &[EsField]) -> std::collections::BTreeSet<&str> {
            fields
                .iter()
                .filter(|f| f.kind != Kind::Meta)
                .map(|f| f.name.as_str())
                .collect()
        }
        let whole_source = document_fields(&fields) == document_fields(&self.fields);
        let spec = ScanSpec {
            index: self.index.clone(),
            query: combine(parts),
            whole_source,
            fields,
            schema,
            limit,
            page_size: self.client.config().page_size,
            slices: self.client.config().slices,
        };
        Ok(Arc::new(EsScanExec::new(self.client.clone(), spec)))
    }
}
