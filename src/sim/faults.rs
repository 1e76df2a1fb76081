//! Fault modes for reliability tests: rules that make the simulator answer
//! a request the way a sick node, a proxy or a broken network would.

use std::sync::Mutex;
use std::time::Duration;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer normally, but only after this long (real time).
    Delay(Duration),
    /// Keep the connection open and never answer.
    NeverAnswer,
    /// Send the headers and part of the body, then close the connection.
    CloseMidBody,
    /// Close the connection without answering.
    DropConnection,
    /// Answer this HTTP status with an empty body.
    Status(u16),
    /// Answer 502 with an HTML page, as a reverse proxy does.
    HtmlPage,
    /// Answer 200 with an empty body.
    EmptyBody,
    /// Answer 200 with the first part of a valid body only.
    Truncated,
    /// Answer 200 with a body that is not JSON.
    Malformed,
    /// Stream a valid-looking tool result of about this many bytes.
    Huge(u64),
    /// A tool result with `isError: true` and this text.
    IsError(String),
    /// A tool result with an empty `content` list.
    NoContent,
    /// A tool result with the real text item and a second one.
    SeveralItems,
    /// A tool result whose only item is an image, not text.
    NonTextItem,
    /// A tool result whose text is not JSON.
    TextNotJson,
    /// The real answer under another request id.
    WrongId,
    /// Sessions: `initialize` issues an `Mcp-Session-Id`, every later
    /// request must carry it, and the first matching call finds it expired
    /// (404) so the client has to initialise again.
    SessionIds,
    /// After the next matching call, `tools/list` answers another list.
    ChangeTools,
}

/// When a fault applies: to calls of one tool (`tool: Some`) or to every
/// request with an id (`tool: None`); `times` matches, or forever.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    pub tool: Option<String>,
    pub times: Option<u32>,
    pub fault: Fault,
}

impl FaultRule {
    /// A rule for every request, forever.
    pub fn always(fault: Fault) -> FaultRule {
        FaultRule { tool: None, times: None, fault }
    }

    /// A rule for calls of one tool, forever.
    pub fn for_tool(tool: &str, fault: Fault) -> FaultRule {
        FaultRule { tool: Some(tool.to_string()), times: None, fault }
    }

    /// The same rule, for this many matches only.
    pub fn times(mut self, times: u32) -> FaultRule {
        self.times = Some(times);
        self
    }

    fn matches(&self, tool: Option<&str>) -> bool {
        match (&self.tool, tool) {
            (None, _) => true,
            (Some(wanted), Some(called)) => wanted == called,
            (Some(_), None) => false,
        }
    }
}

/// The rules in force, first match wins.
#[derive(Default)]
pub struct FaultTable {
    rules: Mutex<Vec<FaultRule>>,
}

impl FaultTable {
    pub fn add(&self, rule: FaultRule) {
        lock(&self.rules).push(rule);
    }

    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    /// The fault for a request (`tool` is the called tool for `tools/call`),
    /// counting the match against the rule's `times`. Session and tool-list
    /// rules are left to [`FaultTable::session_rule`] and friends.
    pub fn take(&self, tool: Option<&str>) -> Option<Fault> {
        let mut rules = lock(&self.rules);
        let index = rules.iter().position(|rule| !is_mode(&rule.fault) && rule.matches(tool))?;
        Some(consume(&mut rules, index))
    }

    /// Whether a session rule is in force (sessions are then required).
    pub fn sessions_required(&self) -> bool {
        lock(&self.rules).iter().any(|rule| rule.fault == Fault::SessionIds)
    }

    /// Takes one match of a session-expiry or tool-change rule for a call.
    pub fn take_mode(&self, fault: &Fault, tool: Option<&str>) -> bool {
        let mut rules = lock(&self.rules);
        let Some(index) = rules
            .iter()
            .position(|rule| &rule.fault == fault && rule.matches(tool) && rule.times != Some(0))
        else {
            return false;
        };
        if fault == &Fault::SessionIds {
            // The rule stays (sessions remain required); only its count of
            // expiries goes down, once by default.
            let left = rules[index].times.unwrap_or(1);
            rules[index].times = Some(left.saturating_sub(1));
            return true;
        }
        consume(&mut rules, index);
        true
    }
}

fn is_mode(fault: &Fault) -> bool {
    matches!(fault, Fault::SessionIds | Fault::ChangeTools)
}

fn consume(rules: &mut Vec<FaultRule>, index: usize) -> Fault {
    let fault = rules[index].fault.clone();
    match rules[index].times {
        Some(left) if left <= 1 => {
            rules.remove(index);
        }
        Some(left) => rules[index].times = Some(left - 1),
        None => {}
    }
    fault
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::{Fault, FaultRule, FaultTable};

    #[test]
    fn a_counted_rule_runs_out() {
        let table = FaultTable::default();
        table.add(FaultRule::for_tool("node_info", Fault::Malformed).times(2));
        assert_eq!(table.take(Some("process_list")), None);
        assert_eq!(table.take(Some("node_info")), Some(Fault::Malformed));
        assert_eq!(table.take(Some("node_info")), Some(Fault::Malformed));
        assert_eq!(table.take(Some("node_info")), None);
    }

    #[test]
    fn a_session_rule_expires_once_and_stays_required() {
        let table = FaultTable::default();
        table.add(FaultRule::always(Fault::SessionIds));
        assert!(table.sessions_required());
        assert!(table.take_mode(&Fault::SessionIds, Some("node_info")));
        assert!(!table.take_mode(&Fault::SessionIds, Some("node_info")));
        assert!(table.sessions_required());
        assert_eq!(table.take(Some("node_info")), None);
    }
}
