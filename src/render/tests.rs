//! Snapshots of what the user reads: tables, maps, reports.

use rhai::{Array, Dynamic, Map};

use super::*;

fn map(pairs: &[(&str, Dynamic)]) -> Dynamic {
    let mut map = Map::new();
    for (key, value) in pairs {
        map.insert((*key).into(), value.clone());
    }
    Dynamic::from_map(map)
}

fn process(pid: i64, name: &str, mailbox: i64, running_ns: i64) -> Dynamic {
    map(&[
        ("PID", Dynamic::from(format!("<9F35C982.0.{pid}>"))),
        ("Name", Dynamic::from(name.to_string())),
        ("Application", Dynamic::from("shop")),
        ("MessagesMailbox", Dynamic::from(mailbox)),
        ("RunningTime", Dynamic::from(running_ns)),
        ("Uptime", Dynamic::from(31_i64)),
    ])
}

fn table_options(width: usize) -> RenderOptions {
    RenderOptions { format: Format::Table, width, color: false }
}

fn processes() -> Dynamic {
    let rows: Array = vec![
        process(1012, "slow_worker", 4605, 3_277),
        process(1001, "system_sup", 0, 5_186_000),
        process(1002, "a_process_with_a_very_long_registered_name", 12, 15_401_000_000),
    ];
    Dynamic::from_array(rows)
}

#[test]
fn array_of_maps_is_a_table_with_identity_columns_first() {
    insta::assert_snapshot!(render_to_string(&processes(), &table_options(200)));
}

#[test]
fn narrow_terminal_truncates_long_cells_and_drops_constant_columns() {
    let text = render_to_string(&processes(), &table_options(60));
    assert!(text.lines().all(|line| line.chars().count() <= 60), "{text}");
    assert!(text.contains('…'), "{text}");
    assert!(text.contains("hidden to fit"), "{text}");
    assert!(text.contains("4605"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn map_is_a_key_value_table_with_nested_keys_dotted() {
    let value = map(&[
        ("Name", Dynamic::from("demo@localhost")),
        ("MemoryAlloc", Dynamic::from(5_722_400_i64)),
        ("Uptime", Dynamic::from(31_i64)),
        ("Version", map(&[("Release", Dynamic::from("3.2.0"))])),
    ]);
    insta::assert_snapshot!(render_to_string(&value, &table_options(80)));
}

#[test]
fn json_format_is_pretty_json() {
    let value = map(&[("count", Dynamic::from(2_i64))]);
    let options = RenderOptions { format: Format::Json, width: 80, color: false };
    assert_eq!(render_to_string(&value, &options), "{\n  \"count\": 2\n}\n");
}

#[test]
fn raw_format_is_rhai_to_string() {
    let options = RenderOptions { format: Format::Raw, width: 80, color: false };
    assert_eq!(render_to_string(&Dynamic::from(42_i64), &options), "42\n");
    assert_eq!(render_to_string(&Dynamic::UNIT, &options), "");
}

#[test]
fn strings_print_as_they_came() {
    let text = Dynamic::from("goroutine 1 [running]:\nmain.main()\n");
    assert_eq!(
        render_to_string(&text, &table_options(80)),
        "goroutine 1 [running]:\nmain.main()\n"
    );
}

#[test]
fn empty_array_says_so() {
    assert_eq!(render_to_string(&Dynamic::from_array(Array::new()), &table_options(80)), "[]\n");
}

fn report() -> Dynamic {
    let finding = |severity: &str, title: &str| {
        map(&[
            ("severity", Dynamic::from(severity.to_string())),
            ("title", Dynamic::from(title.to_string())),
            ("culprit", Dynamic::from("<9F35C982.0.1012> slow_worker")),
            (
                "evidence",
                Dynamic::from_array(vec![map(&[
                    ("MessagesMailbox", Dynamic::from(4605_i64)),
                    ("drain", Dynamic::from(12.5_f64)),
                ])]),
            ),
            ("recommendation", Dynamic::from("add workers or shed load")),
        ])
    };
    map(&[
        ("playbook", Dynamic::from("performance")),
        (
            "findings",
            Dynamic::from_array(vec![
                finding("info", "GC is quiet"),
                finding("critical", "overloaded actor"),
            ]),
        ),
        ("checked", Dynamic::from_array(vec![Dynamic::from("mailboxes"), Dynamic::from("drain")])),
        ("skipped", Dynamic::from_array(vec![Dynamic::from("latency")])),
    ])
}

#[test]
fn report_reads_as_a_summary_worst_first() {
    insta::assert_snapshot!(render_to_string(&report(), &table_options(80)));
}

#[test]
fn worst_severity_looks_into_sets_of_reports() {
    assert_eq!(report::worst_severity(&report()), Some(Severity::Critical));
    let set = map(&[("a@host", report())]);
    assert_eq!(report::worst_severity(&set), Some(Severity::Critical));
    assert_eq!(report::worst_severity(&Dynamic::from(1_i64)), None);
}

#[test]
fn colour_only_when_asked() {
    let plain = render_to_string(&report(), &table_options(80));
    assert!(!plain.contains('\x1b'));
    let options = RenderOptions { format: Format::Table, width: 80, color: true };
    assert!(render_to_string(&report(), &options).contains("\x1b[1;31mCRITICAL"));
}

#[test]
fn table_helper_takes_chosen_columns() {
    let rows = processes().into_array().unwrap_or_default();
    let columns = vec!["Name".to_string(), "MessagesMailbox".to_string()];
    let text = table(&rows, Some(&columns), 80);
    assert!(text.starts_with(" Name "), "{text}");
    assert!(!text.contains("PID"), "{text}");
}

#[test]
fn every_row_of_a_long_table_is_written_at_one_width() {
    let rows: Array =
        (0..10_000).map(|index| process(index, "worker", index, index * 1000)).collect();
    let text = render_to_string(&Dynamic::from_array(rows), &table_options(120));
    assert_eq!(text.lines().count(), 10_002);
    let widths: Vec<usize> = text.lines().map(|line| line.chars().count()).collect();
    assert!(widths.iter().all(|width| *width == widths[0]), "ragged rows");
}
