//! A fake Discord on 127.0.0.1 for the bot's end-to-end tests: the REST routes the bot uses
//! (gateway discovery, messages with multipart files, edits, deletes, threads from messages,
//! interaction callbacks and edits of the original response, command registration), a CDN route serving uploads, and a gateway
//! WebSocket (HELLO, heartbeat ACKs, READY, then the dispatches a test scripts). It records every
//! request, so tests assert on what the real serenity client sent.
//!
//! Its HTTP port is also an HTTP proxy: serenity's requests, addressed to `https://discord.com`,
//! arrive as CONNECT tunnels, whose TLS it ends with a throwaway self-signed certificate
//! (`test-cert.der`, `test-key.der`; tests only), so they pass through serenity's real rate
//! limiter. [`Fake::throttle`] makes it answer 429 with a Retry-After.

#![allow(dead_code)]

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Ws;

pub const GUILD: u64 = 900;
pub const APP: u64 = 901;
pub const BOT_USER: u64 = 902;

/// A message as the fake keeps it.
#[derive(Debug, Clone)]
pub struct Msg {
    pub id: u64,
    pub channel: u64,
    pub author: u64,
    pub content: String,
    /// Every content it had, oldest first (status messages are edited in place).
    pub history: Vec<String>,
    /// Attached files: (name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    pub components: Value,
    pub deleted: bool,
    pub reference: Option<u64>,
}

/// An interaction callback the bot sent.
#[derive(Debug, Clone)]
pub struct Callback {
    pub interaction: u64,
    pub body: Value,
    /// When it arrived.
    pub at: Instant,
}

#[derive(Default)]
pub struct State {
    next_id: u64,
    pub messages: Vec<Msg>,
    /// (parent channel, starter message, thread id).
    pub threads: Vec<(u64, u64, u64)>,
    pub callbacks: Vec<Callback>,
    pub commands: Vec<Value>,
    /// "METHOD path" of every REST/CDN request.
    pub requests: Vec<String>,
    /// Files the CDN serves, by path.
    pub cdn: HashMap<String, Vec<u8>>,
    pub identify: Option<Value>,
    /// Interaction token -> (channel, its original response message once there is one).
    pub interactions: HashMap<String, (u64, Option<u64>)>,
    /// Requests to answer with 429: ("METHOD path" prefix, how many more, Retry-After seconds).
    pub throttle: Vec<(String, usize, f64)>,
    /// Requests answered 429: ("METHOD path", when).
    pub throttled: Vec<(String, Instant)>,
    /// Every request: ("METHOD path", when).
    pub timeline: Vec<(String, Instant)>,
    /// The live gateway session's sender.
    session: Option<mpsc::UnboundedSender<Ws>>,
    seq: u64,
}

pub struct Fake {
    pub state: Mutex<State>,
    pub http_base: String,
    pub ws_url: String,
}

fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({"id": id.to_string(), "username": name, "discriminator": "0", "global_name": name,
           "avatar": null, "bot": bot})
}

fn timestamp() -> &'static str {
    "2026-12-05T09:00:00.000000+00:00"
}

impl Msg {
    pub fn json(&self, base: &str) -> Value {
        let attachments: Vec<Value> = self
            .files
            .iter()
            .enumerate()
            .map(|(i, (name, bytes))| {
                let url = format!("{base}/attachments/{}/{}/{name}", self.channel, self.id);
                json!({"id": (self.id * 10 + i as u64).to_string(), "filename": name,
                       "size": bytes.len(), "url": url, "proxy_url": url,
                       "content_type": "image/png"})
            })
            .collect();
        let author = if self.author == BOT_USER {
            user(BOT_USER, "talk-to-edit", true)
        } else {
            user(self.author, &format!("user{}", self.author), false)
        };
        json!({
            "id": self.id.to_string(), "channel_id": self.channel.to_string(),
            "guild_id": GUILD.to_string(), "author": author, "content": self.content,
            "timestamp": timestamp(), "edited_timestamp": null, "tts": false,
            "mention_everyone": false, "mentions": [], "mention_roles": [],
            "attachments": attachments, "embeds": [], "pinned": false, "type": 0,
            "components": self.components,
        })
    }

    /// The labels and ids of its buttons.
    pub fn buttons(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for row in self.components.as_array().into_iter().flatten() {
            for b in row["components"].as_array().into_iter().flatten() {
                out.push((
                    b["label"].as_str().unwrap_or("").to_string(),
                    b["custom_id"].as_str().unwrap_or("").to_string(),
                ));
            }
        }
        out
    }
}

/// Splits a multipart body into (field name, file name, bytes).
fn multipart(content_type: &str, body: &[u8]) -> Vec<(String, Option<String>, Vec<u8>)> {
    let Some(boundary) = content_type.split("boundary=").nth(1) else {
        return Vec::new();
    };
    let boundary = boundary.trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut starts = Vec::new();
    let mut i = 0;
    while i + delimiter.len() <= body.len() {
        if body[i..].starts_with(&delimiter) {
            starts.push(i);
            i += delimiter.len();
        } else {
            i += 1;
        }
    }
    for w in starts.windows(2) {
        let part = &body[w[0] + delimiter.len()..w[1]];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = part.windows(4).position(|x| x == b"\r\n\r\n") else {
            continue;
        };
        let headers = String::from_utf8_lossy(&part[..split]).to_string();
        let content = part[split + 4..].to_vec();
        let field = |key: &str| {
            headers
                .split(';')
                .find_map(|s| s.trim().strip_prefix(&format!("{key}=\"")))
                .map(|s| s.split('"').next().unwrap_or("").to_string())
        };
        parts.push((
            field("name").unwrap_or_default(),
            field("filename"),
            content,
        ));
    }
    parts
}

/// The JSON payload and files of a request body.
fn payload(headers: &HeaderMap, body: &[u8]) -> (Value, Vec<(String, Vec<u8>)>) {
    let kind = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if kind.starts_with("multipart/form-data") {
        let mut json = Value::Null;
        let mut files = Vec::new();
        for (name, filename, content) in multipart(kind, body) {
            if name == "payload_json" {
                json = serde_json::from_slice(&content).unwrap_or(Value::Null);
            } else if name.starts_with("files[") {
                files.push((filename.unwrap_or_else(|| "file".into()), content));
            }
        }
        (json, files)
    } else {
        (
            serde_json::from_slice(body).unwrap_or(Value::Null),
            Vec::new(),
        )
    }
}

fn json_response(status: StatusCode, value: Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        value.to_string(),
    )
        .into_response()
}

async fn rest(
    axum::extract::State(fake): axum::extract::State<Arc<Fake>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut state = fake.state.lock().unwrap();
    let request = format!("{method} {path}");
    state.requests.push(request.clone());
    state.timeline.push((request.clone(), Instant::now()));
    if let Some(rule) = state
        .throttle
        .iter_mut()
        .find(|(prefix, left, _)| *left > 0 && request.starts_with(prefix.as_str()))
    {
        rule.1 -= 1;
        let retry_after = rule.2;
        state.throttled.push((request, Instant::now()));
        // As Discord answers: the wait in the header (seconds) and in the body.
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [
                ("content-type", "application/json".to_string()),
                ("retry-after", format!("{retry_after}")),
                ("x-ratelimit-scope", "user".to_string()),
            ],
            json!({"message": "You are being rate limited.", "retry_after": retry_after,
                   "global": false})
            .to_string(),
        )
            .into_response();
    }
    let base = fake.http_base.clone();
    match (method.clone(), segments.as_slice()) {
        (Method::GET, ["api", "v10", "gateway"]) => {
            json_response(StatusCode::OK, json!({"url": fake.ws_url}))
        }
        (Method::GET, ["api", "v10", "gateway", "bot"]) => json_response(
            StatusCode::OK,
            json!({"url": fake.ws_url, "shards": 1, "session_start_limit":
                {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}),
        ),
        (Method::POST, ["api", "v10", "channels", channel, "messages"]) => {
            let (json, files) = payload(&headers, &body);
            let id = state.new_id();
            let msg = Msg {
                id,
                channel: channel.parse().unwrap_or(0),
                author: BOT_USER,
                content: json["content"].as_str().unwrap_or("").to_string(),
                history: vec![json["content"].as_str().unwrap_or("").to_string()],
                files,
                components: json.get("components").cloned().unwrap_or(json!([])),
                deleted: false,
                reference: json["message_reference"]["message_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok()),
            };
            state.store_cdn(&base, &msg);
            let out = msg.json(&base);
            state.messages.push(msg);
            json_response(StatusCode::OK, out)
        }
        (Method::PATCH, ["api", "v10", "channels", _, "messages", message]) => {
            let (json, files) = payload(&headers, &body);
            let id: u64 = message.parse().unwrap_or(0);
            let Some(index) = state.messages.iter().position(|m| m.id == id) else {
                return json_response(
                    StatusCode::NOT_FOUND,
                    json!({"message": "Unknown Message", "code": 10008}),
                );
            };
            {
                let msg = &mut state.messages[index];
                if let Some(content) = json["content"].as_str() {
                    msg.content = content.to_string();
                    msg.history.push(content.to_string());
                }
                if let Some(components) = json.get("components") {
                    msg.components = components.clone();
                }
                if !files.is_empty() {
                    msg.files = files;
                }
            }
            let msg = state.messages[index].clone();
            state.store_cdn(&base, &msg);
            json_response(StatusCode::OK, msg.json(&base))
        }
        (Method::DELETE, ["api", "v10", "channels", _, "messages", message]) => {
            let id: u64 = message.parse().unwrap_or(0);
            if let Some(m) = state.messages.iter_mut().find(|m| m.id == id) {
                m.deleted = true;
            }
            StatusCode::NO_CONTENT.into_response()
        }
        (Method::POST, ["api", "v10", "channels", channel, "messages", message, "threads"]) => {
            let (json, _) = payload(&headers, &body);
            let id = state.new_id();
            let parent: u64 = channel.parse().unwrap_or(0);
            state
                .threads
                .push((parent, message.parse().unwrap_or(0), id));
            json_response(
                StatusCode::CREATED,
                json!({"id": id.to_string(), "type": 11, "guild_id": GUILD.to_string(),
                       "parent_id": parent.to_string(), "owner_id": BOT_USER.to_string(),
                       "name": json["name"], "thread_metadata": {"archived": false,
                       "auto_archive_duration": 1440, "archive_timestamp": timestamp(),
                       "locked": false}}),
            )
        }
        (Method::POST, ["api", "v10", "interactions", id, _token, "callback"]) => {
            let (json, _) = payload(&headers, &body);
            state.callbacks.push(Callback {
                interaction: id.parse().unwrap_or(0),
                body: json,
                at: Instant::now(),
            });
            StatusCode::NO_CONTENT.into_response()
        }
        (Method::PATCH, ["api", "v10", "webhooks", _, token, "messages", "@original"]) => {
            // The (deferred) interaction response: a bot message in the interaction's channel.
            let (json, files) = payload(&headers, &body);
            let Some((channel, original)) = state.interactions.get(*token).copied() else {
                return json_response(
                    StatusCode::NOT_FOUND,
                    json!({"message": "Unknown Webhook", "code": 10015}),
                );
            };
            let content = json["content"].as_str().unwrap_or("").to_string();
            let index = match original.and_then(|id| state.messages.iter().position(|m| m.id == id))
            {
                Some(index) => {
                    let msg = &mut state.messages[index];
                    msg.content = content.clone();
                    msg.history.push(content);
                    if !files.is_empty() {
                        msg.files = files;
                    }
                    index
                }
                None => {
                    let id = state.new_id();
                    state.messages.push(Msg {
                        id,
                        channel,
                        author: BOT_USER,
                        content: content.clone(),
                        history: vec![content],
                        files,
                        components: json!([]),
                        deleted: false,
                        reference: None,
                    });
                    state
                        .interactions
                        .insert(token.to_string(), (channel, Some(id)));
                    state.messages.len() - 1
                }
            };
            let msg = state.messages[index].clone();
            state.store_cdn(&base, &msg);
            json_response(StatusCode::OK, msg.json(&base))
        }
        (Method::PUT, ["api", "v10", "applications", _, "commands"]) => {
            let (json, _) = payload(&headers, &body);
            state.commands = json.as_array().cloned().unwrap_or_default();
            json_response(StatusCode::OK, json!([]))
        }
        (Method::GET, ["attachments" | "ephemeral-attachments", ..]) => {
            match state.cdn.get(&path) {
                Some(bytes) => (
                    StatusCode::OK,
                    [("content-type", "application/octet-stream")],
                    bytes.clone(),
                )
                    .into_response(),
                None => StatusCode::NOT_FOUND.into_response(),
            }
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            json!({"message": format!("fake discord: no route {method} {path}"), "code": 0}),
        ),
    }
}

impl State {
    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        5_000_000 + self.next_id
    }

    fn store_cdn(&mut self, _base: &str, msg: &Msg) {
        for (name, bytes) in &msg.files {
            self.cdn.insert(
                format!("/attachments/{}/{}/{name}", msg.channel, msg.id),
                bytes.clone(),
            );
        }
    }
}

/// The TLS side of the proxy: a self-signed certificate for discord.com, made for these tests.
fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let cert = CertificateDer::from(include_bytes!("test-cert.der").to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        include_bytes!("test-key.der").to_vec(),
    ));
    // ring is what reqwest's rustls already builds; its lack of post-quantum key exchange (the
    // deprecation) does not matter for a local test tunnel.
    #[allow(deprecated)]
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// Serves one connection: plain HTTP (CDN downloads), or a CONNECT tunnel whose TLS is ended
/// here and whose requests go to the same routes.
async fn serve_connection(
    mut stream: tokio::net::TcpStream,
    router: axum::Router,
    tls: tokio_rustls::TlsAcceptor,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let service = hyper_util::service::TowerToHyperService::new(router);
    let http1 = hyper::server::conn::http1::Builder::new();
    let mut head = [0u8; 8];
    let is_connect = loop {
        match stream.peek(&mut head).await {
            Ok(0) | Err(_) => return,
            Ok(n) if n >= 8 || !b"CONNECT ".starts_with(&head[..n]) => {
                break head[..n].starts_with(b"CONNECT ");
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(2)).await,
        }
    };
    if !is_connect {
        let io = hyper_util::rt::TokioIo::new(stream);
        let _ = http1.serve_connection(io, service).await;
        return;
    }
    // The CONNECT request's head, then "established", then TLS.
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => request.push(byte[0]),
            _ => return,
        }
    }
    if stream
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    let Ok(tunnel) = tls.accept(stream).await else {
        return;
    };
    let _ = http1
        .serve_connection(hyper_util::rt::TokioIo::new(tunnel), service)
        .await;
}

async fn gateway_session(fake: Arc<Fake>, stream: tokio::net::TcpStream) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Ws>();
    let _ = tx.send(Ws::Text(
        json!({"op": 10, "d": {"heartbeat_interval": 41250}}).to_string(),
    ));
    let writer = tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            if sink.send(msg).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(frame)) = source.next().await {
        let Ws::Text(text) = frame else { continue };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        match v["op"].as_u64() {
            Some(1) => {
                let _ = tx.send(Ws::Text(json!({"op": 11}).to_string()));
            }
            Some(2) | Some(6) => {
                let mut state = fake.state.lock().unwrap();
                state.identify = Some(v.clone());
                state.seq += 1;
                let ready = json!({"op": 0, "t": "READY", "s": state.seq, "d": {
                    "v": 10, "user": user(BOT_USER, "talk-to-edit", true), "guilds": [],
                    "session_id": "fake-session", "resume_gateway_url": fake.ws_url,
                    "application": {"id": APP.to_string(), "flags": 0}}});
                let _ = tx.send(Ws::Text(ready.to_string()));
                state.session = Some(tx.clone());
            }
            _ => {}
        }
    }
    writer.abort();
}

impl Fake {
    /// Starts the fake on two free ports of 127.0.0.1.
    pub async fn start() -> Arc<Fake> {
        let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ws = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = Arc::new(Fake {
            state: Mutex::new(State::default()),
            http_base: format!("http://{}", http.local_addr().unwrap()),
            ws_url: format!("ws://{}", ws.local_addr().unwrap()),
        });
        let router = axum::Router::new().fallback(rest).with_state(fake.clone());
        let tls = tls_acceptor();
        tokio::spawn(async move {
            while let Ok((stream, _)) = http.accept().await {
                tokio::spawn(serve_connection(stream, router.clone(), tls.clone()));
            }
        });
        let gateway = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = ws.accept().await {
                tokio::spawn(gateway_session(gateway.clone(), stream));
            }
        });
        fake
    }

    /// Sends a dispatch on the live session; false when no bot is connected.
    pub fn dispatch(&self, event: &str, data: Value) -> bool {
        let mut state = self.state.lock().unwrap();
        state.seq += 1;
        let frame = json!({"op": 0, "t": event, "s": state.seq, "d": data});
        match &state.session {
            Some(tx) => tx.send(Ws::Text(frame.to_string())).is_ok(),
            None => false,
        }
    }

    /// Answers the next `count` requests whose "METHOD path" starts with `prefix` with 429 and
    /// a Retry-After of `seconds`.
    pub fn throttle(&self, prefix: &str, count: usize, seconds: f64) {
        self.state
            .lock()
            .unwrap()
            .throttle
            .push((prefix.to_string(), count, seconds));
    }

    /// Forgets the session (the bot was killed).
    pub fn drop_session(&self) {
        self.state.lock().unwrap().session = None;
    }

    /// A user's message: stored, its files put on the CDN (`attachments` = (name, content
    /// type, reported size, bytes)), and dispatched as MESSAGE_CREATE. Returns its id.
    pub fn user_message(
        &self,
        channel: u64,
        author: u64,
        content: &str,
        attachments: &[(&str, &str, usize, Vec<u8>)],
    ) -> u64 {
        let (id, mut json) = {
            let mut state = self.state.lock().unwrap();
            let id = state.new_id();
            let msg = Msg {
                id,
                channel,
                author,
                content: content.to_string(),
                history: vec![content.to_string()],
                files: Vec::new(),
                components: json!([]),
                deleted: false,
                reference: None,
            };
            let json = msg.json(&self.http_base);
            state.messages.push(msg);
            (id, json)
        };
        let mut list = Vec::new();
        for (i, (name, kind, size, bytes)) in attachments.iter().enumerate() {
            let path = format!("/attachments/{channel}/{id}/{name}");
            self.state
                .lock()
                .unwrap()
                .cdn
                .insert(path.clone(), bytes.clone());
            // As Discord sends it: the CDN's address (the bot rewrites it to --api-base).
            let url = format!("https://cdn.discordapp.com{path}");
            list.push(
                json!({"id": (id * 10 + i as u64).to_string(), "filename": name,
                             "size": size, "url": url, "proxy_url": url,
                             "content_type": kind}),
            );
        }
        json["attachments"] = Value::Array(list);
        assert!(self.dispatch("MESSAGE_CREATE", json), "no bot connected");
        id
    }

    /// A button press on `message` by `user`. Returns the interaction id.
    pub fn press(&self, message: &Msg, user_id: u64, custom_id: &str) -> u64 {
        let id = self.state.lock().unwrap().new_id();
        let data = json!({
            "id": id.to_string(), "application_id": APP.to_string(), "type": 3,
            "data": {"custom_id": custom_id, "component_type": 2},
            "guild_id": GUILD.to_string(), "channel_id": message.channel.to_string(),
            "user": user(user_id, &format!("user{user_id}"), false),
            "token": format!("interaction-token-{id}"), "version": 1,
            "message": message.json(&self.http_base), "locale": "en-US",
            "entitlements": [], "attachment_size_limit": 26214400,
        });
        assert!(
            self.dispatch("INTERACTION_CREATE", data),
            "no bot connected"
        );
        id
    }

    /// A `/name` slash command by `user`.
    pub fn command(&self, channel: u64, user_id: u64, name: &str) -> u64 {
        self.command_with(channel, user_id, name, None)
    }

    /// A `/name` slash command by `user` with an attachment option `photo` = (name, content
    /// type, reported size, bytes), its bytes put on the CDN as Discord does for uploads.
    pub fn command_with(
        &self,
        channel: u64,
        user_id: u64,
        name: &str,
        photo: Option<(&str, &str, usize, Vec<u8>)>,
    ) -> u64 {
        let id = self.state.lock().unwrap().new_id();
        let token = format!("interaction-token-{id}");
        let mut command = json!({"id": "77", "name": name, "type": 1});
        if let Some((file, kind, size, bytes)) = photo {
            let attachment = id * 10;
            let path = format!("/ephemeral-attachments/77/{attachment}/{file}");
            let url = format!("https://cdn.discordapp.com{path}");
            self.state.lock().unwrap().cdn.insert(path, bytes);
            command["options"] = json!([{"name": "photo", "type": 11,
                                          "value": attachment.to_string()}]);
            command["resolved"] = json!({"attachments": {attachment.to_string(): {
                "id": attachment.to_string(), "filename": file, "size": size, "url": url,
                "proxy_url": url, "content_type": kind, "ephemeral": true}}});
        }
        self.state
            .lock()
            .unwrap()
            .interactions
            .insert(token.clone(), (channel, None));
        let data = json!({
            "id": id.to_string(), "application_id": APP.to_string(), "type": 2,
            "data": command,
            "guild_id": GUILD.to_string(), "channel_id": channel.to_string(),
            "user": user(user_id, &format!("user{user_id}"), false),
            "token": token, "version": 1, "locale": "en-US",
            "entitlements": [], "attachment_size_limit": 26214400,
        });
        assert!(
            self.dispatch("INTERACTION_CREATE", data),
            "no bot connected"
        );
        id
    }

    /// Waits (polling, at most `timeout`) until `check` returns something.
    pub async fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&State) -> Option<T>,
    ) -> T {
        let started = Instant::now();
        loop {
            if let Some(found) = check(&self.state.lock().unwrap()) {
                return found;
            }
            if started.elapsed() > timeout {
                let state = self.state.lock().unwrap();
                let recent: Vec<String> = state
                    .messages
                    .iter()
                    .rev()
                    .take(8)
                    .map(|m| format!("{} in {}: {:?}", m.id, m.channel, m.history))
                    .collect();
                panic!(
                    "timed out after {timeout:?} waiting for {what}; last requests {:?}; recent messages {recent:#?}",
                    state.requests.iter().rev().take(10).collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The bot's messages in `channel`, oldest first.
    pub fn bot_messages(&self, channel: u64) -> Vec<Msg> {
        self.state
            .lock()
            .unwrap()
            .messages
            .iter()
            .filter(|m| m.channel == channel && m.author == BOT_USER)
            .cloned()
            .collect()
    }
}
