//! The other nodes' applications: the backend's pricing, the payments
//! ledger, and the small edge application of every further node.

use super::{app, chatter, configure, cron_job, plant, Plan};
use crate::sim::world::node::{GoroutineLeak, Node};
use crate::sim::world::process::{Flow, Role, State};
use crate::sim::world::Planted;

/// The backend's pricing application, with the goroutine leak.
pub fn pricing(node: &mut Node, plan: &Plan, planted: &mut Vec<Planted>) {
    const APP: &str = "pricing";
    node.apps.push(app(APP, "price quotes and rates", "1.8.0", "permanent", 5, node.born_ms + 400));

    node.add("rate_oracle", APP, "main.rateOracle", 1, Flow::calm(0.5, 0.3, 700_000.0));
    node.add("price_sync", APP, "main.priceSync", 1, Flow::calm(1.0, 1.0, 500_000.0));
    goroutine_leak(node, APP, plan, planted);
    let quotes =
        node.add("quote_engine", APP, "main.quoteEngine", 1, Flow::calm(4.0, 4.0, 600_000.0));
    node.add("tax_calc", APP, "main.taxCalc", 1, Flow::calm(2.0, 2.0, 200_000.0));
    chatter(node, quotes, "info", 10_000, &["quote batch {n} priced"]);
    node.cron = vec![cron_job("rates_refresh", "*/5 * * * *", "rate_oracle")];
}

/// A webhook dispatcher, leaking a goroutine every 2s when planted.
pub fn goroutine_leak(node: &mut Node, app: &str, plan: &Plan, planted: &mut Vec<Planted>) {
    let dispatcher = node.add(
        "webhook_dispatcher",
        app,
        "main.webhookDispatcher",
        1,
        Flow::calm(0.5, 0.5, 300_000.0),
    );
    if plan.has("goroutine_leak") {
        node.goroutine_leak = Some(GoroutineLeak {
            owner: dispatcher,
            every_ms: 2_000,
            next_ms: node.born_ms + 2_000,
            count: 0,
        });
        plant(
            planted,
            "goroutine_leak",
            node,
            "webhook_dispatcher",
            "a goroutine blocked in main.(*webhookDispatcher).deliver.func1 every 2s",
        );
    }
}

/// The payments node: calm, built with `-tags=pprof`.
pub fn ledger(node: &mut Node) {
    const APP: &str = "ledger";
    node.apps.push(app(APP, "payments ledger", "0.9.4", "permanent", 5, node.born_ms + 400));
    node.add("ledger_writer", APP, "main.ledgerWriter", 1, Flow::calm(3.0, 1.0, 900_000.0));
    node.add("fraud_check", APP, "main.fraudCheck", 1, Flow::calm(3.0, 3.0, 1_200_000.0));
    let supervisor = node.add("settlement_sup", APP, "main.settlementSup", 1, Flow::default());
    let role = Role::Supervisor { strategy: "one_for_all".to_string(), restarts: 0 };
    configure(node, supervisor, |process| process.role = role);
    let worker = node.add(
        "settlement_worker",
        APP,
        "main.settlementWorker",
        supervisor,
        Flow::calm(2.0, 2.0, 350_000_000.0),
    );
    configure(node, worker, |process| process.state = State::Running);
    node.add("payout_scheduler", APP, "main.payoutScheduler", 1, Flow::calm(0.1, 0.1, 100_000.0));
    node.cron = vec![cron_job("payout_batch", "*/10 * * * *", "payout_scheduler")];
}

/// Any further node: a small edge application.
pub fn edge(node: &mut Node) {
    const APP: &str = "edge";
    node.apps.push(app(APP, "edge router", "3.0.2", "permanent", 1, node.born_ms + 400));
    node.add("edge_router", APP, "main.edgeRouter", 1, Flow::calm(2.0, 2.0, 150_000.0));
    node.add("metrics_agent", APP, "main.metricsAgent", 1, Flow::calm(0.2, 0.2, 80_000.0));
    node.runtime.alloc_per_sec = 60_000.0;
}
