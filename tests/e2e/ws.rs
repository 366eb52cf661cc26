//! The live-update harness of the end-to-end tests: a raw graphql-transport-ws client that sees
//! every frame, a coordinator's setting with a meeting starting within the hour, mutations by name,
//! and a second server process of the built binary on the same database.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use entity::ProfessionalRole as R;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use server::cli::DemoRole;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{TestApp, AUDIENCE, ISSUER, SECRET};
use crate::scenarios::schedule_meeting;

/// Longest wait for any one message: long enough for a loaded CI machine, short enough that a
/// failure does not hang the suite.
pub const WAIT: Duration = Duration::from_secs(20);

pub const LIVE: &str = r#"subscription Live($id: ID!) {
    mdtMeetingChanges(meetingId: $id) {
        meetingId kind at
        meeting {
            id status
            quoracy { isQuorate present }
            invitations { practitioner { id } attendance }
            agenda { id position reason patient { id name } decisions { text } actions { id text status } }
        }
    }
}"#;

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw graphql-transport-ws client: every frame the server sends is seen.
pub struct Ws(pub Socket);

impl Ws {
    pub async fn connect(addr: std::net::SocketAddr) -> Ws {
        let mut request = format!("ws://{addr}/graphql").into_client_request().expect("request");
        request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().expect("header"));
        let (socket, response) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("connect in time")
            .expect("connect");
        assert_eq!(response.headers()["sec-websocket-protocol"], "graphql-transport-ws");
        Ws(socket)
    }

    /// Connected and acknowledged with `{"Authorization": "Bearer <token>"}`.
    pub async fn ready(addr: std::net::SocketAddr, token: &str) -> Ws {
        let mut ws = Ws::connect(addr).await;
        ws.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
        assert_eq!(ws.message().await, json!({ "type": "connection_ack" }));
        ws
    }

    pub async fn send(&mut self, message: Value) {
        self.0.send(Message::text(message.to_string())).await.expect("send");
    }

    /// Starts subscription `id` with any document and variables.
    pub async fn subscribe_with(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    pub async fn subscribe(&mut self, id: &str, meeting: &str) {
        self.send(
            json!({ "id": id, "type": "subscribe", "payload": { "query": LIVE, "variables": { "id": meeting } } }),
        )
        .await;
    }

    /// The next protocol message (WebSocket-level pings are not protocol messages).
    pub async fn message(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(WAIT, self.0.next()).await.expect("a message in time");
            match frame.expect("socket open").expect("frame") {
                Message::Text(text) => return serde_json::from_str(text.as_str()).expect("JSON"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a protocol message, got {other:?}"),
            }
        }
    }

    /// The next `next` of subscription `id`: its `mdtMeetingChanges`.
    pub async fn change(&mut self, id: &str) -> Value {
        let message = self.message().await;
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(message["id"], id, "{message}");
        assert!(message["payload"].get("errors").is_none(), "{message}");
        message["payload"]["data"]["mdtMeetingChanges"].clone()
    }

    /// The next change, which must be of `kind`.
    pub async fn expect(&mut self, id: &str, kind: &str) -> Value {
        let change = self.change(id).await;
        assert_eq!(change["kind"], kind, "{change}");
        change
    }

    /// The `extensions.code` of the `error` message that ends subscription `id`.
    pub async fn error_code(&mut self, id: &str) -> String {
        let message = self.message().await;
        assert_eq!(message["type"], "error", "{message}");
        assert_eq!(message["id"], id, "{message}");
        message["payload"][0]["extensions"]["code"].as_str().expect("a code").to_owned()
    }

    /// Nothing else is waiting: a ping is answered by the very next message.
    pub async fn nothing_pending(&mut self) {
        self.send(json!({ "type": "ping" })).await;
        let message = self.message().await;
        assert_eq!(message, json!({ "type": "pong" }), "expected nothing before the pong");
    }

    /// The close frame's code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            let frame = tokio::time::timeout(WAIT, self.0.next()).await.expect("closed in time");
            match frame {
                Some(Ok(Message::Close(Some(frame)))) => return (frame.code.into(), frame.reason.as_str().to_owned()),
                Some(Ok(Message::Close(None))) | None => panic!("closed without a close code"),
                Some(Ok(Message::Text(text))) => panic!("expected the connection to close, got {text}"),
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("expected a close frame, the socket failed: {e}"),
            }
        }
    }
}

/// A coordinator, their neighbourhood and a meeting starting within the hour.
pub struct Setting {
    pub coordinator: String,
    pub neighbourhood: uuid::Uuid,
    pub gp: entity::practitioner::Model,
    pub meeting: String,
    pub people: Vec<String>,
}

pub async fn setting(app: &TestApp) -> Setting {
    let coordinator = app.token(DemoRole::Coordinator).await;
    let me = app.gql(&coordinator, "{ me { neighbourhoods { id } } }", json!({})).await;
    let neighbourhood: uuid::Uuid = me.data()["me"]["neighbourhoods"][0]["id"].as_str().unwrap().parse().unwrap();
    let gp = app.practitioner_in(R::Gp, neighbourhood).await;
    let n = neighbourhood.to_string();
    let meeting =
        schedule_meeting(app, &coordinator, &n, &gp.id.to_string(), chrono::Duration::minutes(30), None).await;
    let meeting = meeting["id"].as_str().unwrap().to_owned();
    let page = app
        .gql(
            &coordinator,
            "query($n: ID) { patients(first: 3, filter: { neighbourhoodId: $n, ageMin: 70 }) { nodes { id } } }",
            json!({ "n": neighbourhood.to_string() }),
        )
        .await;
    let people = page.data()["patients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    Setting { coordinator, neighbourhood, gp, meeting, people }
}

/// `mutation($input: <Type>!) { <name>(input: $input) { __typename } }` with `input`, over HTTP.
pub async fn mutate(app: &TestApp, token: &str, name: &str, input: Value) -> Value {
    let input_type = match name {
        "inviteToMdtMeeting" | "removeMdtInvitation" => "MdtInvitationInput".to_owned(),
        other => format!("{}{}Input", other[..1].to_uppercase(), &other[1..]),
    };
    let reply = app
        .gql(
            token,
            &format!("mutation($input: {input_type}!) {{ {name}(input: $input) {{ __typename }} }}"),
            json!({ "input": input }),
        )
        .await;
    reply.data().clone()
}

/// A server process of the built binary on the test's database, stopped when dropped.
pub struct ServerProcess {
    pub child: Child,
    pub addr: std::net::SocketAddr,
}

impl ServerProcess {
    pub fn start(database_url: &str) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_neighbourhood"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("DATABASE_URL", database_url)
            .env("NEIGHBOURHOOD_DB_MAX_CONNECTIONS", "3")
            .env("NEIGHBOURHOOD_JWT_SECRET", SECRET)
            .env("NEIGHBOURHOOD_JWT_ISSUER", ISSUER)
            .env("NEIGHBOURHOOD_JWT_AUDIENCE", AUDIENCE)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server binary");
        let stdout = child.stdout.take().expect("stdout");
        // The server prints its address once it listens (and so once it LISTENs on PostgreSQL).
        let (found, addr) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("http://").nth(1) {
                    let _ = found.send(rest.trim_end_matches("/graphql").trim().to_owned());
                }
            }
        });
        let addr = addr.recv_timeout(WAIT).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("the server process did not report its address within {WAIT:?}")
        });
        ServerProcess { child, addr: addr.parse().expect("an address") }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
