//! What a tool's error message means, in one line a user can act on.

/// The hint for a tool error message, when the message is one ergosh
/// recognises: a node built without a build tag, or a pprof lookup of a
/// process that is parked.
pub fn for_tool_message(message: &str) -> Option<&'static str> {
    // checked first: this message also names the tag
    if message.contains("pprof IS enabled") {
        return Some("the process is sleeping: its goroutine is parked; poll with a sampler");
    }
    if message.contains("-tags=pprof") {
        return Some("node built without -tags=pprof");
    }
    if message.contains("-tags=latency") {
        return Some("node built without -tags=latency (latency fields read -1)");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_pprof_error_means_a_missing_tag() {
        let message = "looking up goroutine by process PID requires building with -tags=pprof. \
            Without this tag, actor goroutines are not labeled with PID. Use pprof_goroutines \
            without pid parameter to see all goroutines";
        assert_eq!(for_tool_message(message), Some("node built without -tags=pprof"));
    }

    #[test]
    fn a_not_found_with_pprof_enabled_means_a_sleeping_process() {
        let message = "goroutine for <9F35C982.0.1012> not found (pprof IS enabled, -tags=pprof): \
            the process may be sleeping";
        assert_eq!(
            for_tool_message(message),
            Some("the process is sleeping: its goroutine is parked; poll with a sampler")
        );
    }

    #[test]
    fn the_recorded_latency_error_means_a_missing_tag() {
        let message = "mailbox latency measurement is disabled. Rebuild the application with \
            -tags=latency to enable it";
        assert_eq!(
            for_tool_message(message),
            Some("node built without -tags=latency (latency fields read -1)")
        );
    }

    #[test]
    fn other_messages_have_no_hint() {
        assert_eq!(for_tool_message("process_info: unknown process"), None);
    }
}
