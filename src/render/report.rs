//! Playbook reports: a map with `playbook` and `findings` read as a summary,
//! worst finding first, evidence as tables.

use std::io::{self, Write};

use rhai::{Array, Dynamic, ImmutableString, Map};

use crate::render::cell;
use crate::render::style::Paint;
use crate::render::table;

/// How bad a finding is; the order is the order of urgency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    /// Reads `critical`, `warning` (or `warn`), `info`, in any case.
    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "critical" | "crit" | "error" => Some(Severity::Critical),
            "warning" | "warn" => Some(Severity::Warning),
            "info" | "notice" => Some(Severity::Info),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Critical => "CRITICAL",
            Severity::Warning => "WARNING",
            Severity::Info => "INFO",
        }
    }
}

/// Whether `value` is a playbook report.
pub fn is_report(value: &Dynamic) -> bool {
    value
        .read_lock::<Map>()
        .is_some_and(|map| map.contains_key("playbook") && map.contains_key("findings"))
}

/// Whether `value` is a report, or a map or array whose values all are.
pub fn is_report_set(value: &Dynamic) -> bool {
    if is_report(value) {
        return true;
    }
    if let Some(array) = value.read_lock::<Array>() {
        return !array.is_empty() && array.iter().all(is_report);
    }
    if let Some(map) = value.read_lock::<Map>() {
        return !map.is_empty() && map.values().all(is_report);
    }
    false
}

/// The worst severity among the findings of a report or a set of reports;
/// `None` when there is no report or no finding.
pub fn worst_severity(value: &Dynamic) -> Option<Severity> {
    if is_report(value) {
        let map = value.read_lock::<Map>()?;
        return findings(&map).iter().filter_map(severity_of).max();
    }
    if let Some(array) = value.read_lock::<Array>() {
        return array.iter().filter(|item| is_report(item)).filter_map(worst_severity).max();
    }
    if let Some(map) = value.read_lock::<Map>() {
        return map.values().filter(|item| is_report(item)).filter_map(worst_severity).max();
    }
    None
}

fn findings(report: &Map) -> Array {
    report
        .get("findings")
        .and_then(|findings| findings.read_lock::<Array>().map(|array| array.clone()))
        .unwrap_or_default()
}

fn severity_of(finding: &Dynamic) -> Option<Severity> {
    let map = finding.read_lock::<Map>()?;
    let text = map.get("severity")?.read_lock::<ImmutableString>()?.to_string();
    Severity::parse(&text)
}

fn text_field(map: &Map, key: &str) -> Option<String> {
    let value = map.get(key)?;
    if value.is_unit() {
        return None;
    }
    let text = cell::compact(value);
    (!text.is_empty()).then_some(text)
}

/// Writes a report set: one report, or several under their keys.
pub fn write_report_set(
    value: &Dynamic,
    width: usize,
    out: &mut dyn Write,
    paint: Paint,
) -> io::Result<()> {
    if let Some(map) = value.read_lock::<Map>() {
        if !is_report(value) {
            for (index, (key, report)) in map.iter().enumerate() {
                if index > 0 {
                    writeln!(out)?;
                }
                writeln!(out, "{}", paint.bold(&format!("== {key} ==")))?;
                write_report(report, width, out, paint)?;
            }
            return Ok(());
        }
    }
    if let Some(array) = value.read_lock::<Array>() {
        for (index, report) in array.iter().enumerate() {
            if index > 0 {
                writeln!(out)?;
            }
            write_report(report, width, out, paint)?;
        }
        return Ok(());
    }
    write_report(value, width, out, paint)
}

/// Writes one report: a heading line, what was checked and skipped, then
/// each finding worst first.
pub fn write_report(
    value: &Dynamic,
    width: usize,
    out: &mut dyn Write,
    paint: Paint,
) -> io::Result<()> {
    let Some(report) = value.read_lock::<Map>() else {
        return Ok(());
    };
    let mut findings = findings(&report);
    findings.sort_by_key(|finding| std::cmp::Reverse(severity_of(finding)));

    let name = text_field(&report, "playbook").unwrap_or_default();
    let node = text_field(&report, "node").map(|node| format!(" on {node}")).unwrap_or_default();
    let summary = summary(&findings);
    writeln!(out, "{}", paint.bold(&format!("playbook {name}{node}: {summary}")))?;

    for key in ["checked", "skipped"] {
        if let Some(list) = report.get(key).map(list_text).filter(|text| !text.is_empty()) {
            writeln!(out, "{}", paint.dim(&format!("{key}: {list}")))?;
        }
    }

    for finding in &findings {
        writeln!(out)?;
        write_finding(finding, width, out, paint)?;
    }
    Ok(())
}

fn summary(findings: &Array) -> String {
    if findings.is_empty() {
        return "no findings".to_string();
    }
    let count = |severity: Severity| {
        findings.iter().filter(|finding| severity_of(finding) == Some(severity)).count()
    };
    let parts: Vec<String> = [Severity::Critical, Severity::Warning, Severity::Info]
        .into_iter()
        .map(|severity| (severity, count(severity)))
        .filter(|(_, count)| *count > 0)
        .map(|(severity, count)| format!("{count} {}", severity.label().to_lowercase()))
        .collect();
    let noun = if findings.len() == 1 { "finding" } else { "findings" };
    if parts.is_empty() {
        return format!("{} {noun}", findings.len());
    }
    format!("{} {noun} ({})", findings.len(), parts.join(", "))
}

/// `checked`/`skipped` as one line, whether a list, a map or a number.
fn list_text(value: &Dynamic) -> String {
    if let Some(array) = value.read_lock::<Array>() {
        return array.iter().map(cell::compact).collect::<Vec<_>>().join(", ");
    }
    if let Some(map) = value.read_lock::<Map>() {
        let parts: Vec<String> =
            map.iter().map(|(key, reason)| format!("{key} ({})", cell::compact(reason))).collect();
        return parts.join(", ");
    }
    cell::compact(value)
}

fn write_finding(
    finding: &Dynamic,
    width: usize,
    out: &mut dyn Write,
    paint: Paint,
) -> io::Result<()> {
    let Some(map) = finding.read_lock::<Map>() else {
        return writeln!(out, "{}", cell::compact(finding));
    };
    let severity = severity_of(finding);
    let label = severity.map_or("FINDING", Severity::label);
    let label = match severity {
        Some(Severity::Critical) => paint.red(label),
        Some(Severity::Warning) => paint.yellow(label),
        _ => paint.cyan(label),
    };
    let title = text_field(&map, "title").unwrap_or_default();
    writeln!(out, "{label}  {}", paint.bold(&title))?;

    if let Some(culprit) = text_field(&map, "culprit") {
        writeln!(out, "  culprit: {culprit}")?;
    }
    if let Some(evidence) = map.get("evidence").filter(|evidence| !evidence.is_unit()) {
        writeln!(out, "  evidence:")?;
        write_indented(evidence, width.saturating_sub(4), out, paint)?;
    }
    if let Some(recommendation) = text_field(&map, "recommendation") {
        writeln!(out, "  recommendation: {recommendation}")?;
    }
    Ok(())
}

/// Evidence as a table (array or map) or text, indented under its finding.
fn write_indented(
    evidence: &Dynamic,
    width: usize,
    out: &mut dyn Write,
    paint: Paint,
) -> io::Result<()> {
    let mut buffer = Vec::new();
    if let Some(rows) = evidence.read_lock::<Array>() {
        table::write_records(&rows, None, width, &mut buffer, paint)?;
    } else if let Some(map) = evidence.read_lock::<Map>() {
        table::write_map(&map, width, &mut buffer, paint)?;
    } else if let Some(text) = evidence.read_lock::<ImmutableString>() {
        writeln!(buffer, "{}", text.as_str())?;
    } else {
        writeln!(buffer, "{}", cell::compact(evidence))?;
    }
    for line in String::from_utf8_lossy(&buffer).lines() {
        writeln!(out, "    {line}")?;
    }
    Ok(())
}
