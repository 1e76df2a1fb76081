//! Connections between simulated nodes: who is connected to whom, traffic
//! counters that agree on both ends (unless messages get lost), flapping,
//! and disconnects that heal.

use serde_json::{json, Value};

/// How long a dropped connection stays down before the peer dials back.
pub const RECONNECT_MS: i64 = 2_000;

/// Bytes per message on the wire, for the byte counters.
const BYTES_PER_MESSAGE: u64 = 187;

/// One connection between nodes `a` < `b`.
#[derive(Debug, Clone)]
pub struct Link {
    pub a: usize,
    pub b: usize,
    pub established_ms: i64,
    /// Down until this time after a disconnect.
    pub down_until_ms: Option<i64>,
    /// The node that dialed; the other side shows no `PoolDSN`.
    pub dialer: usize,
    /// Messages per second from `a` to `b` and back.
    pub rate_ab: f64,
    pub rate_ba: f64,
    /// Messages from `a` never reach `b` (one-way loss).
    pub lost_ab: bool,
    /// The connection drops and comes back every this many ms.
    pub flap_every_ms: Option<i64>,
    pub next_flap_ms: i64,
}

impl Link {
    pub fn new(a: usize, b: usize, established_ms: i64) -> Link {
        let seed = (a * 31 + b * 7) as f64;
        Link {
            a: a.min(b),
            b: a.max(b),
            established_ms,
            down_until_ms: None,
            dialer: a.min(b),
            rate_ab: 0.8 + (seed % 5.0) * 0.3,
            rate_ba: 0.6 + (seed % 3.0) * 0.4,
            lost_ab: false,
            flap_every_ms: None,
            next_flap_ms: 0,
        }
    }

    pub fn joins(&self, x: usize, y: usize) -> bool {
        (self.a == x && self.b == y) || (self.a == y && self.b == x)
    }

    pub fn other(&self, x: usize) -> usize {
        if self.a == x {
            self.b
        } else {
            self.a
        }
    }

    pub fn is_up(&self, now_ms: i64) -> bool {
        self.down_until_ms.is_none_or(|until| now_ms >= until)
    }

    /// Heals a finished disconnect: the connection starts anew.
    pub fn settle(&mut self, now_ms: i64) {
        if let Some(until) = self.down_until_ms {
            if now_ms >= until {
                self.established_ms = until;
                self.down_until_ms = None;
            }
        }
    }

    /// Drops the connection as seen from `by`; the peer dials back.
    pub fn disconnect(&mut self, by: usize, now_ms: i64) {
        self.down_until_ms = Some(now_ms + RECONNECT_MS);
        self.dialer = self.other(by);
    }

    /// (messages in, messages out) as node `x` counts them.
    pub fn messages(&self, x: usize, now_ms: i64) -> (u64, u64) {
        let age = ((now_ms - self.established_ms).max(0)) as f64 / 1000.0;
        let sent_ab = (self.rate_ab * age) as u64;
        let sent_ba = (self.rate_ba * age) as u64;
        let received_ab = if self.lost_ab { sent_ab.min(3) } else { sent_ab };
        if x == self.a {
            (sent_ba, sent_ab)
        } else {
            (received_ab, sent_ba)
        }
    }
}

/// Everything `RemoteNodeInfo` needs about the peer.
pub struct Peer<'a> {
    pub name: &'a str,
    pub uptime: i64,
    pub acceptor_port: u16,
}

fn version(name: &str, release: &str, license: &str) -> Value {
    json!({"Name": name, "Release": release, "Commit": "", "License": license})
}

pub fn flags() -> Value {
    json!({
        "Enable": true,
        "EnableRemoteSpawn": true,
        "EnableRemoteApplicationStart": true,
        "EnableFragmentation": false,
        "EnableProxyTransit": false,
        "EnableProxyAccept": true,
        "EnableImportantDelivery": true
    })
}

pub fn handshake_version() -> Value {
    version("EHS", "R1", "MIT")
}

pub fn proto_version() -> Value {
    version("ENP", "R1", "MIT")
}

pub fn registrar_version() -> Value {
    version("ESRD", "R1", "MIT")
}

pub fn node_version() -> Value {
    version("simnode", "(devel)", "")
}

/// `RemoteNodeInfo` of `peer` as node `x` sees the link.
pub fn remote_info(link: &Link, x: usize, peer: &Peer, now_ms: i64) -> Value {
    let (messages_in, messages_out) = link.messages(x, now_ms);
    let dsn = if link.dialer == x {
        json!([format!("127.0.0.1:{}", peer.acceptor_port)])
    } else {
        Value::Null
    };
    json!({
        "Node": peer.name,
        "Uptime": peer.uptime,
        "ConnectionUptime": ((now_ms - link.established_ms).max(0)) / 1000,
        "Version": node_version(),
        "HandshakeVersion": handshake_version(),
        "ProtoVersion": proto_version(),
        "NetworkFlags": flags(),
        "PoolSize": 3,
        "PoolDSN": dsn,
        "MaxMessageSize": 0,
        "MessagesIn": messages_in,
        "MessagesOut": messages_out,
        "BytesIn": messages_in * BYTES_PER_MESSAGE,
        "BytesOut": messages_out * BYTES_PER_MESSAGE,
        "TransitBytesIn": 0,
        "TransitBytesOut": 0
    })
}

/// `AcceptorInfo` of a node listening on `port`.
pub fn acceptor(port: u16) -> Value {
    json!({
        "Interface": format!("127.0.0.1:{port}"),
        "MaxMessageSize": 0,
        "Flags": flags(),
        "TLS": false,
        "CustomRegistrar": false,
        "RegistrarServer": "(embedded) 127.0.0.1:4499",
        "RegistrarVersion": registrar_version(),
        "HandshakeVersion": handshake_version(),
        "ProtoVersion": proto_version()
    })
}

/// `RegistrarInfo`; only the entry node embeds the server.
pub fn registrar(embedded: bool) -> Value {
    json!({
        "Server": "127.0.0.1:4499",
        "EmbeddedServer": embedded,
        "SupportRegisterProxy": false,
        "SupportRegisterApplication": false,
        "SupportConfig": false,
        "SupportEvent": false,
        "Version": registrar_version()
    })
}

#[cfg(test)]
mod tests {
    use super::Link;

    #[test]
    fn both_ends_agree_on_traffic() {
        let link = Link::new(0, 1, -60_000);
        let (a_in, a_out) = link.messages(0, 30_000);
        let (b_in, b_out) = link.messages(1, 30_000);
        assert_eq!(a_out, b_in);
        assert_eq!(b_out, a_in);
    }

    #[test]
    fn lost_messages_never_arrive() {
        let mut link = Link::new(0, 1, -60_000);
        link.lost_ab = true;
        let (_, sent_early) = link.messages(0, 0);
        let (_, sent_late) = link.messages(0, 600_000);
        let (received_early, _) = link.messages(1, 0);
        let (received_late, _) = link.messages(1, 600_000);
        assert!(sent_late > sent_early);
        assert_eq!(received_early, received_late);
    }

    #[test]
    fn a_disconnect_heals_with_a_new_connection() {
        let mut link = Link::new(0, 1, -60_000);
        link.disconnect(0, 10_000);
        assert!(!link.is_up(11_000));
        link.settle(12_500);
        assert!(link.is_up(12_500));
        assert_eq!(link.established_ms, 12_000);
        assert_eq!(link.dialer, 1);
    }
}
