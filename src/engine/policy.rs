//! The action policy: tools that change a node are confirmed, allowed or
//! refused, and the user always sees the exact call.

use rhai::{Dynamic, Map};

use super::{ActionPolicy, Frontend};

/// What to do with one action call.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    Run,
    Refuse(String),
}

/// Decide an action call; `Confirm` asks the front end with `call_text`.
pub(crate) fn decide(
    policy: &ActionPolicy,
    tool: &str,
    call_text: &str,
    frontend: &dyn Frontend,
) -> Decision {
    match policy {
        ActionPolicy::Allow => Decision::Run,
        ActionPolicy::Refuse { reason } => {
            let reason = reason.strip_prefix("refused: ").unwrap_or(reason);
            Decision::Refuse(format!("refused: {tool} is an action tool; {reason}"))
        }
        ActionPolicy::Confirm if frontend.confirm(call_text) => Decision::Run,
        ActionPolicy::Confirm => {
            Decision::Refuse(format!("refused: {call_text} was not confirmed"))
        }
    }
}

/// The call as the user would type it, without `node`, then the node:
/// `process_kill(#{pid: "<ABC.0.1>"}) on node backend@host`.
pub(crate) fn call_text(tool: &str, args: &Map) -> String {
    let mut text = String::from(tool);
    let shown: Vec<(&str, &Dynamic)> =
        args.iter().filter(|(k, _)| k.as_str() != "node").map(|(k, v)| (k.as_str(), v)).collect();
    text.push('(');
    if !shown.is_empty() {
        text.push_str("#{");
        for (index, (key, value)) in shown.iter().enumerate() {
            if index > 0 {
                text.push_str(", ");
            }
            text.push_str(key);
            text.push_str(": ");
            write_value(&mut text, value);
        }
        text.push('}');
    }
    text.push(')');
    if let Some(node) = args.get("node").filter(|n| !n.is_unit()) {
        text.push_str(" on node ");
        text.push_str(&node.to_string());
    }
    text
}

/// A value in Rhai literal syntax.
pub(crate) fn write_value(out: &mut String, value: &Dynamic) {
    if value.is_string() {
        out.push_str(&format!("{:?}", value.to_string()));
    } else if let Ok(map) = value.as_map_ref() {
        out.push_str("#{");
        for (index, (key, item)) in map.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            out.push_str(key);
            out.push_str(": ");
            write_value(out, item);
        }
        out.push('}');
    } else if value.is_array() {
        let items = value.clone().into_array().unwrap_or_default();
        out.push('[');
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            write_value(out, item);
        }
        out.push(']');
    } else {
        out.push_str(&value.to_string());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    struct Answer {
        yes: bool,
        asked: Mutex<Vec<String>>,
    }

    impl Frontend for Answer {
        fn confirm(&self, call: &str) -> bool {
            self.asked.lock().unwrap().push(call.to_string());
            self.yes
        }
        fn warn(&self, _: &str) {}
        fn print(&self, _: &str) {}
        fn call_started(&self, _: &str) {}
        fn call_finished(&self) {}
        fn width(&self) -> usize {
            80
        }
    }

    fn kill_args() -> Map {
        let mut args = Map::new();
        args.insert("pid".into(), "<ABC.0.1>".into());
        args.insert("node".into(), "backend@host".into());
        args
    }

    #[test]
    fn call_text_is_what_the_user_would_type() {
        assert_eq!(
            call_text("process_kill", &kill_args()),
            "process_kill(#{pid: \"<ABC.0.1>\"}) on node backend@host"
        );
        assert_eq!(call_text("node_info", &Map::new()), "node_info()");

        let mut nested = Map::new();
        let mut message = Map::new();
        message.insert("Seq".into(), Dynamic::from_int(1));
        nested.insert("message".into(), Dynamic::from_map(message));
        nested.insert("levels".into(), Dynamic::from_array(vec!["error".into()]));
        assert_eq!(
            call_text("send_message", &nested),
            "send_message(#{levels: [\"error\"], message: #{Seq: 1}})"
        );
    }

    #[test]
    fn confirm_asks_with_the_exact_call() {
        let text = call_text("process_kill", &kill_args());
        let yes = Answer { yes: true, asked: Mutex::new(Vec::new()) };
        assert_eq!(decide(&ActionPolicy::Confirm, "process_kill", &text, &yes), Decision::Run);
        assert_eq!(*yes.asked.lock().unwrap(), vec![text.clone()]);

        let no = Answer { yes: false, asked: Mutex::new(Vec::new()) };
        let declined = decide(&ActionPolicy::Confirm, "process_kill", &text, &no);
        assert!(matches!(declined, Decision::Refuse(m) if m.contains("not confirmed")));
    }

    #[test]
    fn refuse_names_the_tool_and_the_way_out_without_asking() {
        let frontend = Answer { yes: true, asked: Mutex::new(Vec::new()) };
        let policy = ActionPolicy::Refuse { reason: "run with --allow-actions".into() };
        assert_eq!(
            decide(&policy, "process_kill", "x", &frontend),
            Decision::Refuse(
                "refused: process_kill is an action tool; run with --allow-actions".into()
            )
        );
        assert!(frontend.asked.lock().unwrap().is_empty());
        let prefixed = ActionPolicy::Refuse { reason: "refused: the session is read-only".into() };
        assert_eq!(
            decide(&prefixed, "send_exit", "x", &frontend),
            Decision::Refuse(
                "refused: send_exit is an action tool; the session is read-only".into()
            )
        );
        assert_eq!(decide(&ActionPolicy::Allow, "process_kill", "x", &frontend), Decision::Run);
    }
}
