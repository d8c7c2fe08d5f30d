// An HTTP GET through a netnsfs mount, std only: opening MOUNT/tcp/HOST/PORT read+write is a
// connect(2) made inside the mount's network namespace, and the File reads and writes it.
//
//   rustc --edition 2021 -O http_get.rs && ./http_get MOUNT HOST PORT [PATH]
use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::exit;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 && args.len() != 5 {
        eprintln!("usage: http_get MOUNT HOST PORT [PATH]");
        exit(2);
    }
    let (host, path) = (&args[2], args.get(4).map_or("/", String::as_str));
    if let Err(e) = get(&Path::new(&args[1]).join("tcp").join(host).join(&args[3]), host, path) {
        eprintln!("{e}");
        exit(1);
    }
}

fn get(file: &Path, host: &str, path: &str) -> io::Result<()> {
    // read+write is O_RDWR; the open returns once connected, or with the connect's errno.
    let mut conn = OpenOptions::new().read(true).write(true).open(file)?;
    // One write is one send: the request is formatted first (write! on a File would send it in
    // pieces), and a File is unbuffered, so nothing waits in a buffer.
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes())?;
    // read = recv: short reads as the socket gives them, 0 once the server closes. A plain loop,
    // not io::copy: between two fds that one uses sendfile(2), and sendfile from a socket file
    // returns 0 when no data is there yet, which io::copy takes for the end.
    let mut out = io::stdout().lock();
    let mut buf = [0u8; 65536];
    loop {
        match conn.read(&mut buf)? {
            0 => return out.flush(),
            n => out.write_all(&buf[..n])?,
        }
    }
}
