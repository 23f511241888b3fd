//! `waddington view --serve`: a small HTTP/1.1 server on the loopback interface (127.0.0.1 only)
//! for runs too large for one file and for sweeps (each point's data built when first asked for).
//! One request per connection, handled in turn; Ctrl-C ends it.
//!
//! Routes, for a run: `/` (the page), `/data.json` (the metadata document), `/blob/N` (the N-th
//! compressed array, raw bytes). For a sweep: `/` (the overview), `/points/<id>/`,
//! `/points/<id>/data.json`, `/points/<id>/blob/N`.

use super::data::{GatherOptions, RunView, gather};
use super::{page, sweep};
use crate::error::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One run's responses, built once.
struct Loaded {
    page: String,
    meta: String,
    blobs: Vec<Vec<u8>>,
}

impl Loaded {
    fn of(view: RunView) -> Result<Loaded> {
        Ok(Loaded {
            page: page::served_page(&view.meta.title),
            meta: page::meta_json(&view.meta, &view.blobs)?,
            blobs: view.blobs.data,
        })
    }
}

/// What the server serves.
enum Site {
    Run(Loaded),
    Sweep {
        dir: PathBuf,
        overview: String,
        done: HashSet<String>,
        cache: HashMap<String, Loaded>,
        options: GatherOptions,
    },
}

/// A bound server (call [`Server::run`]).
pub struct Server {
    listener: TcpListener,
    site: Site,
}

/// A response: status line, content type, body.
struct Response {
    status: &'static str,
    kind: &'static str,
    body: Vec<u8>,
    /// A `Location` header (redirects).
    location: Option<String>,
}

impl Response {
    fn ok(kind: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: "200 OK",
            kind,
            body: body.into(),
            location: None,
        }
    }
    fn not_found(path: &str) -> Response {
        Response {
            status: "404 Not Found",
            kind: "text/plain; charset=utf-8",
            body: format!("not found: {path}\n").into_bytes(),
            location: None,
        }
    }
    fn text(status: &'static str, text: String) -> Response {
        Response {
            status,
            kind: "text/plain; charset=utf-8",
            body: text.into_bytes(),
            location: None,
        }
    }
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
const BYTES: &str = "application/octet-stream";

impl Server {
    /// Gather `dir` (a run folder, or a sweep's overview) and bind 127.0.0.1:`port` (0: any free
    /// port).
    pub fn bind(dir: &Path, port: u16, options: &GatherOptions) -> Result<Server> {
        let site = match sweep::manifest_of(dir)? {
            Some(m) => {
                let ov = sweep::overview(dir, &m, |id| format!("points/{id}/"))?;
                let done = ov
                    .points
                    .iter()
                    .filter(|p| p.page.is_some())
                    .map(|p| p.id.clone())
                    .collect();
                Site::Sweep {
                    dir: dir.to_path_buf(),
                    overview: page::overview_page(&format!("Sweep {}", ov.name), &ov)?,
                    done,
                    cache: HashMap::new(),
                    options: GatherOptions {
                        back: Some("../../".into()),
                        ..options.clone()
                    },
                }
            }
            None => Site::Run(Loaded::of(gather(dir, options)?)?),
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = TcpListener::bind(addr).map_err(|e| Error::io(format!("127.0.0.1:{port}"), e))?;
        Ok(Server { listener, site })
    }

    /// The bound address.
    pub fn addr(&self) -> Result<SocketAddr> {
        self.listener.local_addr().map_err(|e| Error::io("127.0.0.1", e))
    }

    /// Serve until the process is stopped (a failed connection is reported and skipped).
    pub fn run(mut self) -> Result<()> {
        for stream in self.listener.incoming() {
            match stream {
                Ok(s) => {
                    if let Err(e) = handle(s, &mut self.site) {
                        eprintln!("view: connection: {e}");
                    }
                }
                Err(e) => eprintln!("view: accept: {e}"),
            }
        }
        Ok(())
    }
}

/// Read one request, answer it, close.
fn handle(mut s: TcpStream, site: &mut Site) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16_384 {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    let mut words = text.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or("/"));
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let r = if method == "GET" || method == "HEAD" {
        route(site, path)
    } else {
        Response::text("405 Method Not Allowed", "only GET and HEAD\n".into())
    };
    let location = r
        .location
        .as_deref()
        .map(|l| format!("Location: {l}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{location}Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        r.status,
        r.kind,
        r.body.len()
    );
    s.write_all(head.as_bytes())?;
    if method != "HEAD" {
        s.write_all(&r.body)?;
    }
    s.flush()
}

/// The response of a run's own routes (`rest` is the path below the run's address).
fn run_route(l: &Loaded, rest: &str, path: &str) -> Response {
    match rest {
        "" | "index.html" => Response::ok(HTML, l.page.clone()),
        "data.json" => Response::ok(JSON, l.meta.clone()),
        _ => match rest.strip_prefix("blob/").and_then(|n| n.parse::<usize>().ok()) {
            Some(i) if i < l.blobs.len() => Response::ok(BYTES, l.blobs[i].clone()),
            _ => Response::not_found(path),
        },
    }
}

fn route(site: &mut Site, path: &str) -> Response {
    match site {
        Site::Run(l) => run_route(l, path.trim_start_matches('/'), path),
        Site::Sweep {
            dir,
            overview,
            done,
            cache,
            options,
        } => {
            let rest = path.trim_start_matches('/');
            if rest.is_empty() || rest == super::OVERVIEW {
                return Response::ok(HTML, overview.clone());
            }
            let Some(point) = rest.strip_prefix("points/") else {
                return Response::not_found(path);
            };
            let (id, below) = point.split_once('/').unwrap_or((point, ""));
            if !done.contains(id) {
                return Response::not_found(path);
            }
            if !point.contains('/') {
                return Response {
                    location: Some(format!("/points/{id}/")),
                    ..Response::text("301 Moved Permanently", String::new())
                };
            }
            if !cache.contains_key(id) {
                let built = gather(&dir.join("points").join(id), options).and_then(Loaded::of);
                match built {
                    Ok(l) => {
                        cache.insert(id.to_string(), l);
                    }
                    Err(e) => {
                        eprintln!("view: point {id}: {e}");
                        return Response::text("500 Internal Server Error", format!("point {id}: {e}\n"));
                    }
                }
            }
            match cache.get(id) {
                Some(l) => run_route(l, below, path),
                None => Response::not_found(path),
            }
        }
    }
}
