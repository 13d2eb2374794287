//! Local files: every CSV, JSON/NDJSON and Parquet file in a directory, and
//! every sub-directory of such files, becomes a table.
//!
//! Shape shared by every connector: [`LocalTable`] is the configuration
//! (what to read and how), [`discover`] plays the client (it looks at the
//! file system), and [`LocalTable::table_provider`] hands DataFusion a
//! `ListingTable`, which does projection, filter and partition pruning itself.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::{DataFusionError, Result};

/// The file formats huntsql reads from disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Csv,
    /// One JSON object per line (`.ndjson`, `.jsonl`, and `.json` files that
    /// do not start with `[`).
    NdJson,
    /// A single JSON array of objects.
    JsonArray,
    Parquet,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Csv => "CSV",
            FileKind::NdJson => "NDJSON",
            FileKind::JsonArray => "JSON array",
            FileKind::Parquet => "Parquet",
        })
    }
}

/// What a file name says about its content: the format, the compression and
/// the extension DataFusion must list (e.g. `.csv.gz`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileType {
    pub(crate) kind: FileKind,
    pub(crate) compression: Option<&'static str>,
    pub(crate) extension: String,
}

/// Classifies a file by its extensions; `None` for files that are not data.
pub(crate) fn file_type(path: &Path) -> Option<FileType> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    // Hidden files and Spark/Hadoop markers (`_SUCCESS`, `.crc`) are not data.
    if name.starts_with('.') || name.starts_with('_') {
        return None;
    }
    let (stem, compression) = match name.rsplit_once('.') {
        Some((stem, "gz")) => (stem, Some("gz")),
        Some((stem, "bz2")) => (stem, Some("bz2")),
        Some((stem, "xz")) => (stem, Some("xz")),
        Some((stem, "zst")) => (stem, Some("zst")),
        _ => (name.as_str(), None),
    };
    let ext = stem.rsplit_once('.')?.1;
    let kind = match ext {
        "csv" => FileKind::Csv,
        "ndjson" | "jsonl" => FileKind::NdJson,
        "json" => FileKind::NdJson, // refined by `sniff_json` for plain files
        "parquet" | "parq" => FileKind::Parquet,
        _ => return None,
    };
    if kind == FileKind::Parquet && compression.is_some() {
        return None; // Parquet compresses inside the file.
    }
    let extension = match compression {
        Some(c) => format!(".{ext}.{c}"),
        None => format!(".{ext}"),
    };
    Some(FileType {
        kind,
        compression,
        extension,
    })
}

/// A `.json` file holding one array (`[{...}, ...]`) rather than one object
/// per line. Only uncompressed files are sniffed; compressed `.json.gz` is
/// taken as NDJSON, the common export format.
fn sniff_json(path: &Path, kind: FileKind) -> FileKind {
    use std::io::Read;
    if kind != FileKind::NdJson || path.extension().and_then(|e| e.to_str()) != Some("json") {
        return kind;
    }
    let mut head = [0u8; 256];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    match head[..n].iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => FileKind::JsonArray,
        _ => FileKind::NdJson,
    }
}

/// A table found on disk: a single data file or a directory of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTable {
    /// Table name: the file or directory name without extensions, with every
    /// character other than a letter, digit or `_` replaced by `_`.
    pub name: String,
    pub path: PathBuf,
    pub kind: FileKind,
    compression: Option<&'static str>,
    extension: String,
}

impl LocalTable {
    pub fn is_directory(&self) -> bool {
        self.path.is_dir()
    }

    fn format(&self) -> Result<Arc<dyn FileFormat>> {
        file_format(self.kind, self.compression)
    }

    /// A `ListingTable` over the file or directory, with hive-style
    /// partition directories (`date=2024-01-01/`) as `Utf8` columns.
    pub async fn table_provider(&self, state: &dyn Session) -> Result<Arc<dyn TableProvider>> {
        let location = self.path.to_str().ok_or_else(|| {
            DataFusionError::Plan(format!("path {} is not valid UTF-8", self.path.display()))
        })?;
        let location = if self.is_directory() && !location.ends_with('/') {
            format!("{location}/")
        } else {
            location.to_string()
        };
        listing_table(
            state,
            &location,
            self.is_directory(),
            self.format()?,
            &self.extension,
        )
        .await
        .map_err(|e| self.context(e))
    }

    /// Prefixes an error with the table and path it concerns.
    pub fn context(&self, error: DataFusionError) -> DataFusionError {
        let what = if self.is_directory() {
            "directory"
        } else {
            "file"
        };
        error.context(format!(
            "cannot read table '{}' from {what} {}",
            self.name,
            self.path.display()
        ))
    }
}

/// DataFusion's reader for `kind` with `compression` (`gz`, `bz2`, ...).
pub(crate) fn file_format(
    kind: FileKind,
    compression: Option<&'static str>,
) -> Result<Arc<dyn FileFormat>> {
    let compression = match compression {
        Some(c) => c.parse::<FileCompressionType>()?,
        None => FileCompressionType::UNCOMPRESSED,
    };
    Ok(match kind {
        FileKind::Csv => Arc::new(
            CsvFormat::default()
                .with_has_header(true)
                .with_file_compression_type(compression),
        ),
        FileKind::NdJson => Arc::new(JsonFormat::default().with_file_compression_type(compression)),
        FileKind::JsonArray => Arc::new(
            JsonFormat::default()
                .with_file_compression_type(compression)
                .with_newline_delimited(false),
        ),
        FileKind::Parquet => Arc::new(ParquetFormat::default()),
    })
}

/// A `ListingTable` over a file or directory URL (local or object store),
/// with hive-style partition directories (`date=2024-01-01/`) as `Utf8`
/// columns.
pub(crate) async fn listing_table(
    state: &dyn Session,
    location: &str,
    is_directory: bool,
    format: Arc<dyn FileFormat>,
    extension: &str,
) -> Result<Arc<dyn TableProvider>> {
    let url = ListingTableUrl::parse(location)?;
    let mut options = ListingOptions::new(format).with_file_extension(extension);
    if is_directory {
        let partitions = options.infer_partitions(state, &url).await?;
        options = options.with_table_partition_cols(
            partitions
                .into_iter()
                .map(|name| (name, DataType::Utf8))
                .collect(),
        );
    }
    let schema = options.infer_schema(state, &url).await?;
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(schema);
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// The table name for a file or directory name: everything before the first
/// `.`, with characters other than ASCII letters, digits and `_` as `_`.
pub fn table_name(file_name: &str) -> String {
    let stem = file_name.split('.').next().unwrap_or(file_name);
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Finds the tables in `dir`: its data files and its sub-directories that
/// hold data files (searched recursively, e.g. hive partitions). Two entries
/// with the same table name are an error naming both.
pub fn discover(dir: &Path) -> Result<Vec<LocalTable>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        DataFusionError::Plan(format!("cannot read data directory {}: {e}", dir.display()))
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();

    let mut tables: BTreeMap<String, LocalTable> = BTreeMap::new();
    for path in paths {
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if file_name.starts_with('.') {
            continue;
        }
        let found = if path.is_dir() {
            directory_table(&path)?
        } else {
            file_type(&path).map(|ft| LocalTable {
                name: table_name(file_name),
                kind: sniff_json(&path, ft.kind),
                path: path.clone(),
                compression: ft.compression,
                extension: ft.extension,
            })
        };
        let Some(table) = found else { continue };
        if let Some(other) = tables.get(&table.name) {
            return Err(DataFusionError::Plan(format!(
                "two entries in {} would both be table '{}': {} and {}; rename one of them",
                dir.display(),
                table.name,
                other.path.display(),
                table.path.display()
            )));
        }
        tables.insert(table.name.clone(), table);
    }
    Ok(tables.into_values().collect())
}

/// A directory is one table when every data file below it has the same
/// format; `None` when it holds no data files.
fn directory_table(dir: &Path) -> Result<Option<LocalTable>> {
    let mut types: BTreeMap<String, (FileType, PathBuf)> = BTreeMap::new();
    collect_file_types(dir, &mut types)?;
    let mut found = types.into_values();
    let Some((first, first_path)) = found.next() else {
        return Ok(None);
    };
    if let Some((other, other_path)) = found.next() {
        return Err(DataFusionError::Plan(format!(
            "directory {} mixes {} files ({}) and {} files ({}); a directory table needs one format",
            dir.display(),
            first.extension,
            first_path.display(),
            other.extension,
            other_path.display()
        )));
    }
    if first.kind == FileKind::Csv && first.compression.is_none() {
        check_csv_headers(dir)?;
    }
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("table");
    let kind = sniff_json(&first_path, first.kind);
    Ok(Some(LocalTable {
        name: table_name(name),
        path: dir.to_path_buf(),
        kind,
        compression: first.compression,
        extension: first.extension,
    }))
}

/// DataFusion reads a CSV directory with one merged schema, so files whose
/// headers differ fail only at query time, without naming the file. Compare
/// the headers up front instead.
fn check_csv_headers(dir: &Path) -> Result<()> {
    use std::io::BufRead;
    let mut files = Vec::new();
    collect_files(dir, &mut files);
    files.retain(|p| file_type(p).is_some_and(|ft| ft.kind == FileKind::Csv));
    files.sort();
    let mut first: Option<(String, &PathBuf)> = None;
    for path in &files {
        let mut header = String::new();
        let read = std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .and_then(|mut r| r.read_line(&mut header));
        if let Err(e) = read {
            return Err(DataFusionError::Plan(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
        let header = header.trim_end_matches(['\r', '\n']).to_string();
        match &first {
            None => first = Some((header, path)),
            Some((expected, first_path)) if *expected != header => {
                return Err(DataFusionError::Plan(format!(
                    "directory {} mixes CSV schemas: {} has columns '{}' but {} has '{}'; a directory table needs one schema",
                    dir.display(),
                    first_path.display(),
                    expected,
                    path.display(),
                    header
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_dir() {
            collect_files(&path, files);
        } else {
            files.push(path);
        }
    }
}

fn collect_file_types(dir: &Path, types: &mut BTreeMap<String, (FileType, PathBuf)>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        DataFusionError::Plan(format!("cannot read directory {}: {e}", dir.display()))
    })?;
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.') || n.starts_with('_'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_file_types(&path, types)?;
        } else if let Some(ft) = file_type(&path) {
            types.entry(ft.extension.clone()).or_insert((ft, path));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_drop_every_extension_and_odd_characters() {
        assert_eq!(
            table_name("process_events.heldout.parquet"),
            "process_events"
        );
        assert_eq!(table_name("my-logs 2024.csv.gz"), "my_logs_2024");
        assert_eq!(table_name("date=2024-01-01"), "date_2024_01_01");
    }

    #[test]
    fn file_types_follow_extensions() {
        let ft = file_type(Path::new("a/x.CSV.gz")).unwrap();
        assert_eq!(
            (ft.kind, ft.compression, ft.extension.as_str()),
            (FileKind::Csv, Some("gz"), ".csv.gz")
        );
        assert_eq!(
            file_type(Path::new("x.jsonl")).unwrap().kind,
            FileKind::NdJson
        );
        assert!(file_type(Path::new("notes.txt")).is_none());
        assert!(file_type(Path::new("_SUCCESS")).is_none());
        assert!(file_type(Path::new("x.parquet.gz")).is_none());
    }

    #[test]
    fn discover_finds_files_and_directories_and_reports_clashes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), "x\n1\n").unwrap();
        std::fs::write(dir.path().join("b.json"), "[{\"x\": 1}]").unwrap();
        std::fs::write(dir.path().join("README.md"), "not data").unwrap();
        let part = dir.path().join("c").join("date=2024-01-01");
        std::fs::create_dir_all(&part).unwrap();
        std::fs::write(part.join("p.ndjson"), "{\"x\": 1}\n").unwrap();
        std::fs::create_dir(dir.path().join("empty")).unwrap();

        let tables = discover(dir.path()).unwrap();
        let names: Vec<_> = tables.iter().map(|t| (t.name.as_str(), t.kind)).collect();
        assert_eq!(
            names,
            vec![
                ("a", FileKind::Csv),
                ("b", FileKind::JsonArray),
                ("c", FileKind::NdJson)
            ]
        );

        std::fs::write(dir.path().join("a.parquet"), "").unwrap();
        let err = discover(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("'a'") && err.contains("a.csv") && err.contains("a.parquet"),
            "{err}"
        );
    }

    #[test]
    fn a_directory_mixing_formats_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("t");
        std::fs::create_dir(&t).unwrap();
        std::fs::write(t.join("1.csv"), "x\n1\n").unwrap();
        std::fs::write(t.join("2.parquet"), "").unwrap();
        let err = discover(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("mixes") && err.contains(".csv") && err.contains(".parquet"),
            "{err}"
        );
    }

    #[test]
    fn a_csv_directory_with_two_headers_is_an_error_naming_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("t");
        std::fs::create_dir(&t).unwrap();
        std::fs::write(t.join("1.csv"), "a,b\n1,2\n").unwrap();
        std::fs::write(t.join("2.csv"), "a,c\n3,x\n").unwrap();
        let err = discover(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("1.csv") && err.contains("2.csv") && err.contains("a,c"),
            "{err}"
        );
        std::fs::write(t.join("2.csv"), "a,b\n3,4\n").unwrap();
        assert_eq!(discover(dir.path()).unwrap().len(), 1);
    }
}
