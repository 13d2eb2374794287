//! Every huntsql function is documented with a runnable example, and the
//! example's printed result is what the engine prints today.

use datafusion::arrow::util::pretty::pretty_format_batches;
use huntsql_engine::HuntSession;

/// `(sql, expected table)` pairs from a `sql_example` block:
/// lines starting with `> ` are SQL, the lines after them the result.
fn examples(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with("```")) {
        if let Some(sql) = line.strip_prefix("> ") {
            out.push((sql.to_string(), String::new()));
        } else if let Some((sql, expected)) = out.last_mut() {
            if expected.is_empty() && !line.starts_with('+') && !line.trim().is_empty() {
                // A statement continued on the next line.
                sql.push('\n');
                sql.push_str(line);
            } else if !line.trim().is_empty() {
                expected.push_str(line.trim_end());
                expected.push('\n');
            }
        }
    }
    out
}

fn huntsql_function_names() -> Vec<String> {
    let mut names: Vec<String> = huntsql_udfs::scalar_functions()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    names.extend(
        huntsql_udfs::window_functions()
            .iter()
            .map(|f| f.name().to_string()),
    );
    names.extend(
        huntsql_udfs::table_functions()
            .iter()
            .map(|f| f.name.to_string()),
    );
    names
}

#[tokio::test]
async fn every_documented_example_prints_what_it_shows() {
    let session = HuntSession::builder().with_sample(true).build().unwrap();
    let functions = session.functions();
    let mut failures = Vec::new();
    let mut checked = 0;
    for name in huntsql_function_names() {
        let Some(doc) = functions
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.documentation.clone())
        else {
            failures.push(format!("{name}: no documentation"));
            continue;
        };
        let Some(example) = doc.sql_example else {
            failures.push(format!("{name}: no example"));
            continue;
        };
        let cases = examples(&example);
        if cases.is_empty() {
            failures.push(format!("{name}: the example has no '> ' statement"));
        }
        for (sql, expected) in cases {
            let printed = match session.query(&sql).await {
                // Statements without a result (CREATE ...) print nothing.
                Ok(batches) if batches.iter().all(|b| b.num_columns() == 0) => String::new(),
                Ok(batches) => pretty_format_batches(&batches).unwrap().to_string(),
                Err(e) => format!("error: {e}"),
            };
            if printed.trim() != expected.trim() {
                failures.push(format!(
                    "{name}: `{sql}`\n  documented:\n{expected}\n  printed:\n{printed}"
                ));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("{checked} documented examples checked");
}

#[test]
fn examples_are_parsed_into_statements_and_tables() {
    let text = "```sql\n> SELECT 1 AS a;\n+---+\n| a |\n+---+\n| 1 |\n+---+\n> SELECT 2\n  AS b;\n+---+\n```";
    let cases = examples(text);
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[0].0, "SELECT 1 AS a;");
    assert_eq!(cases[0].1, "+---+\n| a |\n+---+\n| 1 |\n+---+\n");
    assert_eq!(cases[1].0, "SELECT 2\n  AS b;");
}
