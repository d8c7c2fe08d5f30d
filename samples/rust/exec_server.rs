// An echo server on a listening socket that netnsfs exec hands over as fd 3 (systemd-style
// socket activation: LISTEN_FDS, LISTEN_PID), made inside the mount's namespace; std only:
//
//   rustc --edition 2021 -O exec_server.rs
//   netnsfs exec MOUNT --socket tcp/listen/PORT -- ./exec_server [COUNT]
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::io::FromRawFd;
use std::process::exit;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Only when the fds are meant for this process: a stray fd 3 is not a listener.
    let ours = std::env::var("LISTEN_PID").ok() == Some(std::process::id().to_string());
    let nfds: u32 = std::env::var("LISTEN_FDS").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
    if !ours || nfds < 1 || args.len() > 2 {
        eprintln!("usage: netnsfs exec MOUNT --socket tcp/listen/PORT -- exec_server [COUNT]");
        exit(2);
    }
    let count: u64 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
    // Safety: fd 3 is ours (LISTEN_PID says so), a listening TCP socket, owned by nobody else here.
    let listener = unsafe { TcpListener::from_raw_fd(3) };
    let mut served = 0;
    while count == 0 || served < count {
        match listener.accept() {
            Ok((client, _peer)) => {
                if let Err(e) = echo(client) {
                    eprintln!("client: {e}");
                }
            }
            Err(e) => {
                eprintln!("accept: {e}");
                exit(1);
            }
        }
        served += 1;
    }
}

/// Sends back what the client writes until it closes or half-closes.
fn echo(mut client: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 65536];
    loop {
        match client.read(&mut buf)? {
            0 => return Ok(()),
            n => client.write_all(&buf[..n])?,
        }
    }
}
