//! The entry node's shop application, where most trouble lives.

use super::{app, chatter, configure, cron_job, plant, Plan};
use crate::sim::world::journal::Event;
use crate::sim::world::node::{Node, RestartLoop, Sessions};
use crate::sim::world::process::{Flow, Role, State};
use crate::sim::world::Planted;

/// The entry node's shop, where most trouble lives. The spawn order puts
/// each part on the PID number the recorded node used for the same part
/// (see `RECORDED_NAMES`).
pub fn storefront(node: &mut Node, plan: &Plan, planted: &mut Vec<Planted>) {
    const APP: &str = "storefront";
    let mut storefront =
        app(APP, "online storefront", "2.3.1", "permanent", 10, node.born_ms + 400);
    storefront.env = vec![("region".to_string(), "eu-west".to_string())];
    node.apps.push(storefront);

    let named = [
        ("checkout_worker", "main.checkoutWorker", Flow::calm(20.0, 20.0, 300_000.0)),
        ("cart_service", "main.cartService", Flow::calm(6.0, 6.0, 250_000.0)),
        ("session_manager", "main.sessionManager", Flow::calm(0.5, 0.5, 90_000.0)),
        ("billing_sup", "main.billingSup", Flow::default()),
        ("billing_gw", "main.billingGateway", Flow::calm(1.0, 1.0, 800_000.0)),
        ("order_feed", "main.orderFeed", Flow::calm(1.0, 1.0, 120_000.0)),
        ("stock_feed", "main.stockFeed", Flow::calm(0.2, 0.0, 90_000.0)),
        ("catalog", "main.catalog", Flow::calm(3.0, 3.0, 400_000.0)),
        ("inventory_cache", "main.inventoryCache", Flow::calm(1.0, 1.0, 210_000.0)),
        ("audit_sink", "main.auditSink", Flow::calm(0.1, 0.0, 50_000.0)),
        ("price_sync", "main.priceSync", Flow::calm(1.0, 1.0, 500_000.0)),
        ("report_builder", "main.reportBuilder", Flow::calm(2.0, 2.0, 1_500_000.0)),
        ("thumbnail_pool", "main.thumbnailPool", Flow::calm(0.5, 0.5, 2_000_000.0)),
        ("order_desk", "main.orderDesk", Flow::calm(0.2, 0.2, 350_000.0)),
        ("throwaway_factory", "main.throwawayFactory", Flow::default()),
        ("order_archive", "main.orderArchive", Flow::default()),
        ("rate_oracle", "main.rateOracle", Flow::calm(0.5, 0.3, 700_000.0)),
    ];
    let mut ids = std::collections::HashMap::new();
    for (name, behavior, flow) in named {
        let parent = if name == "billing_gw" { ids["billing_sup"] } else { 1 };
        ids.insert(name, node.add(name, APP, behavior, parent, flow));
    }
    let id = |name: &str| ids[name];
    configure(node, id("billing_sup"), |process| {
        process.role = Role::Supervisor { strategy: "one_for_one".to_string(), restarts: 0 };
    });
    configure(node, id("order_desk"), |process| process.role = Role::OrderDesk { accepted: 0 });
    configure(node, id("audit_sink"), |process| process.role = Role::Blackhole);
    configure(node, id("throwaway_factory"), |process| process.role = Role::Factory);
    configure(node, id("checkout_worker"), |process| process.mailbox_size = 50_000);

    if plan.has("overload") {
        configure(node, id("checkout_worker"), |process| {
            process.state = State::Running;
            process.flow = Flow {
                in_per_sec: 200.0,
                out_per_sec: 0.0,
                handled_per_sec: 150.0,
                run_ns_per_message: 400_000.0,
                per_wakeup: 40.0,
                busy_ns_per_sec: 0.0,
            };
        });
        chatter(
            node,
            id("checkout_worker"),
            "warning",
            15_000,
            &["checkout backlog above high-water mark (check #{n})"],
        );
        plant(
            planted,
            "overload",
            node,
            "checkout_worker",
            "mailbox grows by 50 messages/s; ~40 messages per wakeup",
        );
    }
    if plan.has("slow_callback") {
        configure(node, id("report_builder"), |process| {
            process.state = State::Running;
            process.flow = Flow { handled_per_sec: 58.0, ..Flow::calm(75.0, 0.0, 16_500_000.0) };
        });
        plant(
            planted,
            "slow_callback",
            node,
            "report_builder",
            "16.5ms per message, one message per wakeup; mailbox grows by 17/s",
        );
    }

    let leaking = plan.has("process_leak");
    node.sessions.push(Sessions {
        parent: id("session_manager"),
        behavior: "main.sessionHandler".to_string(),
        every_ms: if leaking { 2_000 } else { 4_000 },
        next_ms: node.born_ms + 1_000,
        lifetime_ms: if leaking { None } else { Some(20_000) },
        live: Default::default(),
    });
    if leaking {
        plant(
            planted,
            "process_leak",
            node,
            "session_manager",
            "a nameless main.sessionHandler child every 2s, none ever terminates",
        );
    }

    if plan.has("restart_loop") {
        let (supervisor, child, born) = (id("billing_sup"), id("billing_gw"), node.born_ms);
        let template = node.processes[&child].clone();
        node.restarts.push(RestartLoop {
            supervisor,
            child,
            every_ms: 3_000,
            next_ms: born + 3_000,
            crashes: 0,
            template,
        });
        plant(
            planted,
            "restart_loop",
            node,
            "billing_gw",
            "crashes every 3s; billing_sup restarts it (restarts_count in process_inspect)",
        );
    }

    if plan.has("stuck_call") {
        let oracle = id("rate_oracle");
        configure(node, id("price_sync"), |process| {
            process.state = State::WaitResponse;
            process.flow = Flow::default();
            process.extra_in = 1;
            process.extra_running_ns = 19_242;
            process.links.push(oracle);
        });
        plant(
            planted,
            "stuck_call",
            node,
            "price_sync",
            "waits forever in a Call to rate_oracle (state 'wait response')",
        );
    }

    let pool = id("thumbnail_pool");
    if plan.has("zombies") {
        configure(node, pool, |process| {
            process.state = State::Running;
            process.flow =
                Flow { handled_per_sec: 0.0, busy_ns_per_sec: 1e9, ..Flow::calm(0.1, 0.0, 0.0) };
        });
        let frozen = node.born_ms + 20_000;
        for _ in 0..3 {
            let job =
                node.add("", APP, "main.thumbnailJob", pool, Flow::calm(0.2, 0.0, 5_000_000.0));
            configure(node, job, |process| {
                process.state = State::Zombee;
                process.frozen_ms = Some(frozen);
            });
        }
        plant(planted, "zombies", node, "thumbnail_pool", "three killed main.thumbnailJob children stay zombee; their parent is stuck running a callback");
    } else {
        for _ in 0..2 {
            node.add("", APP, "main.thumbnailJob", pool, Flow::calm(0.2, 0.0, 5_000_000.0));
        }
    }

    let growth = if plan.has("memory_growth") { 40_960 } else { 0 };
    configure(node, id("inventory_cache"), |process| {
        process.role = Role::Cache { base_bytes: 1_250_000, growth }
    });
    node.runtime.growth_per_sec = growth as f64;
    node.runtime.alloc_per_sec = 260_000.0;
    if growth > 0 {
        plant(
            planted,
            "memory_growth",
            node,
            "inventory_cache",
            "live heap grows 40KB/s in main.(*inventoryCache).HandleMessage; never evicts",
        );
    }

    let feeds = [
        id("order_feed"),
        id("stock_feed"),
        id("order_archive"),
        id("cart_service"),
        id("catalog"),
    ];
    events(node, plan, planted, feeds);
    chatter(node, id("order_desk"), "info", 5_000, &["order #{n} accepted", "order #{n} packed"]);
    chatter(node, id("catalog"), "info", 30_000, &["catalog refreshed ({n} changes)"]);
    node.cron = vec![
        cron_job("hourly_digest", "0 * * * *", "catalog"),
        cron_job("cache_sweep", "*/2 * * * *", "inventory_cache"),
    ];
}

fn events(node: &mut Node, plan: &Plan, planted: &mut Vec<Planted>, ids: [u64; 5]) {
    let [feed, stock, archive, cart, catalog] = ids;
    let mut orders = Event::new("orders", feed, 10);
    orders.every_ms = Some(1_000);
    orders.next_ms = node.born_ms + 1_000;
    if plan.has("event_no_subscribers") {
        plant(
            planted,
            "event_no_subscribers",
            node,
            "orders",
            "published every second by order_feed, nobody subscribed",
        );
    } else {
        orders.subscribers = 1;
        configure(node, archive, |process| process.flow = Flow::calm(1.0, 0.0, 60_000.0));
    }
    configure(node, feed, |process| process.events.push("orders".to_string()));

    let mut levels = Event::new("stock_levels", stock, 0);
    levels.subscribers = 2;
    if plan.has("event_no_publisher") {
        plant(
            planted,
            "event_no_publisher",
            node,
            "stock_levels",
            "cart_service and catalog subscribed; stock_feed never publishes",
        );
    } else {
        levels.every_ms = Some(5_000);
        levels.next_ms = node.born_ms + 5_000;
    }
    for id in [cart, catalog] {
        if let Some(process) = node.processes.get_mut(&id) {
            process.links.push(stock);
        }
    }
    node.events.push(orders);
    node.events.push(levels);
}
