//! The cluster at start: each node's applications and processes, the
//! connections between nodes, and the planted trouble.

use super::network::Link;
use super::node::{App, Chatter, CronJob, GoroutineLeak, Meta, Node, RestartLoop, Sessions};
use super::process::{Flow, Process, Role, State};
use super::Planted;

/// The nodes, their connections and what was planted.
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
    pub planted: Vec<Planted>,
}

/// What to build.
pub struct Plan<'a> {
    pub nodes: usize,
    pub scenarios: &'a [String],
    pub legacy: bool,
    pub epoch_s: i64,
}

impl Plan<'_> {
    fn has(&self, scenario: &str) -> bool {
        self.scenarios.iter().any(|name| name == scenario)
    }
}

pub fn node_name(index: usize) -> String {
    match index {
        0 => "shop@localhost".to_string(),
        1 => "backend@localhost".to_string(),
        2 => "payments@localhost".to_string(),
        n => format!("node{}@localhost", n + 1),
    }
}

/// Builds the whole cluster as it is at sim time 0.
pub fn cluster(plan: &Plan) -> Cluster {
    let count = plan.nodes.max(1);
    let mut planted = Vec::new();
    let mut nodes: Vec<Node> = (0..count).map(|index| base_node(plan, index)).collect();

    storefront(&mut nodes[0], plan, &mut planted);
    if count > 1 {
        pricing(&mut nodes[1], plan, &mut planted);
    } else {
        // A single node carries the backend's trouble itself.
        goroutine_leak(&mut nodes[0], "storefront", plan, &mut planted);
    }
    if count > 2 {
        ledger(&mut nodes[2]);
    }
    for node in nodes.iter_mut().skip(3) {
        edge(node);
    }
    let links = links(&nodes, plan, &mut planted);
    Cluster {
        nodes,
        links,
        planted,
    }
}

fn base_node(plan: &Plan, index: usize) -> Node {
    let born_ms = match index {
        0 => -60_000,
        1 => -72_000,
        2 => -66_000,
        n => -50_000 - (n as i64 % 40) * 1_000,
    };
    let mut node = Node::new(&node_name(index), index, born_ms, plan.legacy);
    node.epoch_s = plan.epoch_s;
    node.pprof_tag = index == 2;

    let system = node.add("system_sup", "system_app", "system.sup", 1, Flow::default());
    node.add(
        "system_metrics",
        "system_app",
        "system.metrics",
        system,
        Flow::calm(0.2, 0.0, 70_000.0),
    );
    node.add(
        "system_inspect",
        "system_app",
        "inspect.inspect",
        system,
        Flow::default(),
    );
    let mcp_sup = node.add("mcp_sup", "mcp_app", "mcp.mcpSup", 1, Flow::default());
    let pool = node.add(
        "mcp",
        "mcp_app",
        "mcp.MCPPool",
        mcp_sup,
        Flow::calm(0.4, 0.4, 15_000.0),
    );
    for _ in 0..5 {
        node.add(
            "",
            "mcp_app",
            "mcp.MCPWorker",
            pool,
            Flow::calm(0.08, 0.0, 200_000.0),
        );
    }
    if index == 0 {
        let web = node.add("mcp_web", "mcp_app", "mcp.MCPWeb", mcp_sup, Flow::default());
        let crc = node.crc.clone();
        let listener = serde_json::json!({"listener": "127.0.0.1:9922"});
        for (number, inspect) in [(195_416, serde_json::Value::Null), (195_417, listener)] {
            let alias = format!("Alias#<{crc}.{number}.25526.0>");
            node.metas.push(Meta {
                alias: alias.clone(),
                inspect,
                log_level: "info".to_string(),
            });
            if let Some(process) = node.processes.get_mut(&web) {
                process.metas.push(alias);
                process.links.push(mcp_sup);
            }
        }
    }

    node.apps.push(app(
        "system_app",
        "System Application",
        "",
        "permanent",
        0,
        born_ms,
    ));
    node.apps
        .push(app("mcp_app", "", "", "temporary", 0, born_ms + 200));
    node
}

fn app(name: &str, description: &str, release: &str, mode: &str, weight: i64, born_ms: i64) -> App {
    App {
        name: name.to_string(),
        description: description.to_string(),
        release: release.to_string(),
        mode: mode.to_string(),
        weight,
        env: Vec::new(),
        born_ms,
    }
}

fn plant(planted: &mut Vec<Planted>, scenario: &str, node: &Node, culprit: &str, detail: &str) {
    planted.push(Planted {
        scenario: scenario.to_string(),
        node: node.name.clone(),
        culprit: culprit.to_string(),
        detail: detail.to_string(),
    });
}

fn chatter(node: &mut Node, process: u64, level: &str, every_ms: i64, messages: &[&str]) {
    node.chatter.push(Chatter {
        process,
        level: level.to_string(),
        messages: messages.iter().map(|message| message.to_string()).collect(),
        every_ms,
        next_ms: node.born_ms + every_ms,
        count: 0,
    });
}

/// The entry node's shop, where most trouble lives. The spawn order puts
/// each part on the PID number the recorded node used for the same part
/// (see `RECORDED_NAMES`).
fn storefront(node: &mut Node, plan: &Plan, planted: &mut Vec<Planted>) {
    const APP: &str = "storefront";
    let mut storefront = app(
        APP,
        "online storefront",
        "2.3.1",
        "permanent",
        10,
        node.born_ms + 400,
    );
    storefront.env = vec![("region".to_string(), "eu-west".to_string())];
    node.apps.push(storefront);

    let named = [
        (
            "checkout_worker",
            "main.checkoutWorker",
            Flow::calm(20.0, 20.0, 300_000.0),
        ),
        (
            "cart_service",
            "main.cartService",
            Flow::calm(6.0, 6.0, 250_000.0),
        ),
        (
            "session_manager",
            "main.sessionManager",
            Flow::calm(0.5, 0.5, 90_000.0),
        ),
        ("billing_sup", "main.billingSup", Flow::default()),
        (
            "billing_gw",
            "main.billingGateway",
            Flow::calm(1.0, 1.0, 800_000.0),
        ),
        (
            "order_feed",
            "main.orderFeed",
            Flow::calm(1.0, 1.0, 120_000.0),
        ),
        (
            "stock_feed",
            "main.stockFeed",
            Flow::calm(0.2, 0.0, 90_000.0),
        ),
        ("catalog", "main.catalog", Flow::calm(3.0, 3.0, 400_000.0)),
        (
            "inventory_cache",
            "main.inventoryCache",
            Flow::calm(1.0, 1.0, 210_000.0),
        ),
        (
            "audit_sink",
            "main.auditSink",
            Flow::calm(0.1, 0.0, 50_000.0),
        ),
        (
            "price_sync",
            "main.priceSync",
            Flow::calm(1.0, 1.0, 500_000.0),
        ),
        (
            "report_builder",
            "main.reportBuilder",
            Flow::calm(2.0, 2.0, 1_500_000.0),
        ),
        (
            "thumbnail_pool",
            "main.thumbnailPool",
            Flow::calm(0.5, 0.5, 2_000_000.0),
        ),
        (
            "order_desk",
            "main.orderDesk",
            Flow::calm(0.2, 0.2, 350_000.0),
        ),
        (
            "throwaway_factory",
            "main.throwawayFactory",
            Flow::default(),
        ),
        ("order_archive", "main.orderArchive", Flow::default()),
        (
            "rate_oracle",
            "main.rateOracle",
            Flow::calm(0.5, 0.3, 700_000.0),
        ),
    ];
    let mut ids = std::collections::HashMap::new();
    for (name, behavior, flow) in named {
        let parent = if name == "billing_gw" {
            ids["billing_sup"]
        } else {
            1
        };
        ids.insert(name, node.add(name, APP, behavior, parent, flow));
    }
    let id = |name: &str| ids[name];
    configure(node, id("billing_sup"), |process| {
        process.role = Role::Supervisor {
            strategy: "one_for_one".to_string(),
            restarts: 0,
        };
    });
    configure(node, id("order_desk"), |process| {
        process.role = Role::OrderDesk { accepted: 0 }
    });
    configure(node, id("audit_sink"), |process| {
        process.role = Role::Blackhole
    });
    configure(node, id("throwaway_factory"), |process| {
        process.role = Role::Factory
    });
    configure(node, id("checkout_worker"), |process| {
        process.mailbox_size = 50_000
    });

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
            process.flow = Flow {
                handled_per_sec: 20.0,
                ..Flow::calm(25.0, 0.0, 48_000_000.0)
            };
        });
        plant(
            planted,
            "slow_callback",
            node,
            "report_builder",
            "48ms per message, one message per wakeup; mailbox grows by 5/s",
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
            process.flow = Flow {
                handled_per_sec: 0.0,
                busy_ns_per_sec: 1e9,
                ..Flow::calm(0.1, 0.0, 0.0)
            };
        });
        let frozen = node.born_ms + 20_000;
        for _ in 0..3 {
            let job = node.add(
                "",
                APP,
                "main.thumbnailJob",
                pool,
                Flow::calm(0.2, 0.0, 5_000_000.0),
            );
            configure(node, job, |process| {
                process.state = State::Zombee;
                process.frozen_ms = Some(frozen);
            });
        }
        plant(planted, "zombies", node, "thumbnail_pool", "three killed main.thumbnailJob children stay zombee; their parent is stuck running a callback");
    } else {
        for _ in 0..2 {
            node.add(
                "",
                APP,
                "main.thumbnailJob",
                pool,
                Flow::calm(0.2, 0.0, 5_000_000.0),
            );
        }
    }

    let growth = if plan.has("memory_growth") { 40_000 } else { 0 };
    configure(node, id("inventory_cache"), |process| {
        process.role = Role::Cache {
            base_bytes: 1_250_000,
            growth,
        }
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
    chatter(
        node,
        id("order_desk"),
        "info",
        5_000,
        &["order #{n} accepted", "order #{n} packed"],
    );
    chatter(
        node,
        id("catalog"),
        "info",
        30_000,
        &["catalog refreshed ({n} changes)"],
    );
    node.cron = vec![
        cron_job("hourly_digest", "0 * * * *", "catalog"),
        cron_job("cache_sweep", "*/2 * * * *", "inventory_cache"),
    ];
}

fn configure(node: &mut Node, id: u64, change: impl FnOnce(&mut Process)) {
    if let Some(process) = node.processes.get_mut(&id) {
        change(process);
    }
}

fn events(node: &mut Node, plan: &Plan, planted: &mut Vec<Planted>, ids: [u64; 5]) {
    let [feed, stock, archive, cart, catalog] = ids;
    let mut orders = super::journal::Event::new("orders", feed, 10);
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
        configure(node, archive, |process| {
            process.flow = Flow::calm(1.0, 0.0, 60_000.0)
        });
    }
    configure(node, feed, |process| {
        process.events.push("orders".to_string())
    });

    let mut levels = super::journal::Event::new("stock_levels", stock, 0);
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

fn cron_job(name: &str, spec: &str, target: &str) -> CronJob {
    CronJob {
        name: name.to_string(),
        spec: spec.to_string(),
        action: format!("send message to '{target}' with normal priority"),
        last_run_ms: None,
    }
}

/// The backend's pricing application, with the goroutine leak.
fn pricing(node: &mut Node, plan: &Plan, planted: &mut Vec<Planted>) {
    const APP: &str = "pricing";
    node.apps.push(app(
        APP,
        "price quotes and rates",
        "1.8.0",
        "permanent",
        5,
        node.born_ms + 400,
    ));

    node.add(
        "rate_oracle",
        APP,
        "main.rateOracle",
        1,
        Flow::calm(0.5, 0.3, 700_000.0),
    );
    node.add(
        "price_sync",
        APP,
        "main.priceSync",
        1,
        Flow::calm(1.0, 1.0, 500_000.0),
    );
    goroutine_leak(node, APP, plan, planted);
    let quotes = node.add(
        "quote_engine",
        APP,
        "main.quoteEngine",
        1,
        Flow::calm(4.0, 4.0, 600_000.0),
    );
    node.add(
        "tax_calc",
        APP,
        "main.taxCalc",
        1,
        Flow::calm(2.0, 2.0, 200_000.0),
    );
    chatter(node, quotes, "info", 10_000, &["quote batch {n} priced"]);
    node.cron = vec![cron_job("rates_refresh", "*/5 * * * *", "rate_oracle")];
}

/// A webhook dispatcher, leaking a goroutine every 2s when planted.
fn goroutine_leak(node: &mut Node, app: &str, plan: &Plan, planted: &mut Vec<Planted>) {
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
fn ledger(node: &mut Node) {
    const APP: &str = "ledger";
    node.apps.push(app(
        APP,
        "payments ledger",
        "0.9.4",
        "permanent",
        5,
        node.born_ms + 400,
    ));
    node.add(
        "ledger_writer",
        APP,
        "main.ledgerWriter",
        1,
        Flow::calm(3.0, 1.0, 900_000.0),
    );
    node.add(
        "fraud_check",
        APP,
        "main.fraudCheck",
        1,
        Flow::calm(3.0, 3.0, 1_200_000.0),
    );
    let supervisor = node.add(
        "settlement_sup",
        APP,
        "main.settlementSup",
        1,
        Flow::default(),
    );
    let role = Role::Supervisor {
        strategy: "one_for_all".to_string(),
        restarts: 0,
    };
    configure(node, supervisor, |process| process.role = role);
    let worker = node.add(
        "settlement_worker",
        APP,
        "main.settlementWorker",
        supervisor,
        Flow::calm(2.0, 2.0, 350_000_000.0),
    );
    configure(node, worker, |process| process.state = State::Running);
    node.add(
        "payout_scheduler",
        APP,
        "main.payoutScheduler",
        1,
        Flow::calm(0.1, 0.1, 100_000.0),
    );
    node.cron = vec![cron_job("payout_batch", "*/10 * * * *", "payout_scheduler")];
}

/// Any further node: a small edge application.
fn edge(node: &mut Node) {
    const APP: &str = "edge";
    node.apps.push(app(
        APP,
        "edge router",
        "3.0.2",
        "permanent",
        1,
        node.born_ms + 400,
    ));
    node.add(
        "edge_router",
        APP,
        "main.edgeRouter",
        1,
        Flow::calm(2.0, 2.0, 150_000.0),
    );
    node.add(
        "metrics_agent",
        APP,
        "main.metricsAgent",
        1,
        Flow::calm(0.2, 0.2, 80_000.0),
    );
    node.runtime.alloc_per_sec = 60_000.0;
}

/// Scale mode: nameless connection handlers up to `total` processes.
pub fn fill(node: &mut Node, total: usize) {
    let supervisor = node.add("conn_sup", "storefront", "main.connSup", 1, Flow::default());
    let born = node.born_ms + 500;
    while node.processes.len() < total {
        let mut process = Process::new(0, "", "storefront", "main.connHandler", supervisor);
        process.born_ms = born;
        process.flow = Flow::calm(0.3, 0.3, 120_000.0);
        node.spawn(process);
    }
    node.scale = true;
}

/// The mesh: the first four nodes all connected, later ones only to the
/// entry node. Plants the network troubles on the entry node's links.
fn links(nodes: &[Node], plan: &Plan, planted: &mut Vec<Planted>) -> Vec<Link> {
    let count = nodes.len();
    let mut links = Vec::new();
    for a in 0..count {
        for b in (a + 1)..count {
            if a == 0 || b < 4 {
                let established = nodes[a].born_ms.max(nodes[b].born_ms) + 1_000;
                links.push(Link::new(a, b, established));
            }
        }
    }
    if count < 2 {
        return links;
    }

    let flap_peer = if count > 2 { 2 } else { 1 };
    if plan.has("flapping_peer") {
        if let Some(link) = links.iter_mut().find(|link| link.joins(0, flap_peer)) {
            link.flap_every_ms = Some(15_000);
            link.next_flap_ms = 5_000;
            link.established_ms = -10_000;
        }
        let detail = "the connection drops and comes back every 15s: ConnectionUptime stays below 15 while Uptime grows";
        plant(
            planted,
            "flapping_peer",
            &nodes[0],
            &nodes[flap_peer].name,
            detail,
        );
    }
    if plan.has("message_loss") {
        if let Some(link) = links.iter_mut().find(|link| link.joins(0, 1)) {
            link.lost_ab = true;
            link.rate_ab = 5.0;
        }
        let detail = format!(
            "MessagesOut to {} grows on {}; MessagesIn from {} on {} does not",
            nodes[1].name, nodes[0].name, nodes[0].name, nodes[1].name
        );
        plant(planted, "message_loss", &nodes[0], &nodes[1].name, &detail);
    }
    links
}
