#!/usr/bin/env python3
"""netnsfs benchmark orchestrator (stdlib only). Called by bench/run:

    bench.py run STATE_DIR       measure, write results
    bench.py cleanup STATE_DIR   undo whatever a run left behind (idempotent; bench/run's trap)

Everything a run creates (processes, mounts, named namespaces) is recorded in
STATE_DIR/resources.jsonl *before* it exists, so cleanup can undo it even after a crash or SIGKILL
of this script. Processes are only ever signalled by pid, and only if their start time still
matches the recorded one.
"""
import json
import os
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
REPO = os.path.dirname(BENCH)
BUILD = os.path.join(BENCH, "build")
sys.path.insert(0, os.path.join(REPO, "samples", "python"))
sys.path.insert(0, HERE)

from common import BULK, CONFIGS  # noqa: E402 — after the sys.path set-up above

PORT, HOLD_PORT = 5001, 5002


class Stop(BaseException):
    """A signal: not an Exception, so no measurement's error handling swallows it."""


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


def env_float(name, default):
    v = os.environ.get(name, "")
    return float(v) if v.strip() else default


def settings():
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    s = {
        "quick": quick,
        "runs": env_int("BENCH_RUNS", 1 if quick else 5),
        "bulk_seconds": env_float("BENCH_SECONDS", 0.3 if quick else 1.0),
        "ping_count": env_int("BENCH_PINGS", 1000 if quick else 5000),
        "conn_seconds": env_float("BENCH_CONN_SECONDS", 0.5 if quick else 1.5),
        "unshare_count": env_int("BENCH_UNSHARE", 20 if quick else 100),
        "ipnetns_count": env_int("BENCH_IPNETNS", 5 if quick else 20),
        "multi_count": env_int("BENCH_MULTI", 10 if quick else 50),
        "starts": env_int("BENCH_STARTS", 1 if quick else 2),
        "sockets": env_int("BENCH_SOCKETS", 10000),
        "namespaces": env_int("BENCH_NAMESPACES", 100 if quick else 1000),
        "budget_s": env_float("BENCH_BUDGET", 120 if quick else 540),
    }
    return s


# ---------------------------------------------------------------- resources and cleanup

def proc_start(pid):
    """Start time (clock ticks since boot) of pid, or None if it does not exist."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
        return int(s[s.rindex(")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


class Resources:
    def __init__(self, state):
        self.state = state
        self.path = os.path.join(state, "resources.jsonl")

    def add(self, **kw):
        with open(self.path, "a") as f:
            f.write(json.dumps(kw) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def add_pid(self, pid, kind="proc", **kw):
        self.add(kind=kind, pid=pid, start=proc_start(pid), **kw)

    def entries(self):
        try:
            with open(self.path) as f:
                return [json.loads(l) for l in f if l.strip()]
        except OSError:
            return []


def mounted(path):
    path = os.path.realpath(path)
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mp = line.split()[4].replace("\\040", " ")
                if mp == path:
                    return True
    except OSError:
        pass
    return False


def alive(pid, start):
    """pid exists, is the process we recorded (same start time), and is no zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        fields = st[st.rindex(")") + 2:].split()
        if fields[0] in ("Z", "X"):
            return False
        return start is None or int(fields[19]) == start
    except (OSError, ValueError, IndexError):
        return False


def signal_pid(pid, start, sig):
    if alive(pid, start):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def stop_pid(pid, start, grace=3.0, group=False):
    """SIGTERM (its process group if we made it a group leader), then SIGKILL."""
    if not alive(pid, start):
        return
    t0 = time.time()
    try:
        _stop_pid(pid, start, grace, group)
    finally:
        if time.time() - t0 > 1.0:
            print("bench: cleanup: pid %d took %.1f s to end" % (pid, time.time() - t0), file=sys.stderr)


def _stop_pid(pid, start, grace, group):
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
        if group:
            try:
                if os.getpgid(pid) == pid:
                    os.killpg(pid, sig)
            except OSError:
                pass
        signal_pid(pid, start, sig)
        end = time.time() + wait
        while time.time() < end:
            try:  # reap if it is our child
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            if not alive(pid, start):
                return
            time.sleep(0.05)


def umount(path):
    if not mounted(path):
        return
    t0 = time.time()
    subprocess.run(["umount", path], stderr=subprocess.DEVNULL)
    if mounted(path):
        subprocess.run(["umount", "-l", path], stderr=subprocess.DEVNULL)
    if time.time() - t0 > 1.0:
        print("bench: cleanup: umount %s took %.1f s" % (path, time.time() - t0), file=sys.stderr)


def daemons_of(mountpoint):
    """netnsfs daemons serving our (unique) mountpoint, found by their command line."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"--daemon" in argv and mountpoint.encode() in argv:
            out.append(int(d))
    return out


def cleanup(state):
    res = Resources(state)
    entries = res.entries()
    # 1. clients and helpers first (they hold files in the mounts)
    for e in reversed(entries):
        if e["kind"] == "proc":
            stop_pid(e["pid"], e.get("start"), grace=1.0, group=e.get("group", False))
    # 2. mounts: unmount, then make sure their servers are gone. Another process's mount
    #    namespace copied after our mount was made keeps it alive there, so umount alone does
    #    not end a FUSE server: stop it by pid.
    for e in reversed(entries):
        if e["kind"] == "mount":
            umount(e["path"])
            for pid in daemons_of(e["path"]):
                stop_pid(pid, None)
    for e in reversed(entries):
        if e["kind"] in ("daemon", "server"):
            stop_pid(e["pid"], e.get("start"), group=e.get("group", False))
    # 3. named namespaces
    for e in entries:
        if e["kind"] == "netns" and os.path.exists("/run/netns/" + e["name"]):
            subprocess.run(["ip", "netns", "del", e["name"]], stderr=subprocess.DEVNULL)
    # 4. the namespace holder last
    for e in entries:
        if e["kind"] == "holder":
            stop_pid(e["pid"], e.get("start"), group=True)
    # 5. the state directory, unless something is still mounted below it
    busy = []
    try:
        with open("/proc/self/mountinfo") as f:
            busy = [l.split()[4] for l in f if l.split()[4].startswith(os.path.realpath(state) + "/")]
    except OSError:
        pass
    if busy:
        print("bench: still mounted, left in place: %s" % " ".join(busy), file=sys.stderr)
    else:
        subprocess.run(["rm", "-rf", "--one-file-system", state])


# ---------------------------------------------------------------- helpers

def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for %d" % pid)


def read_status(mnt):
    with open(os.path.join(mnt, "status")) as f:
        return dict(l.rstrip("\n").split("=", 1) for l in f if "=" in l)


def raise_nofile():
    """`ulimit -n 65536`, or the hard limit when we may not raise it (no CAP_SYS_RESOURCE)."""
    import resource
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
    except (ValueError, OSError):
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def nofile_preexec():
    raise_nofile()


class Bench:
    def __init__(self, state, netnsfs):
        self.state = state
        self.netnsfs = netnsfs
        self.res = Resources(state)
        self.s = settings()
        self.errors = []
        self.notes = []
        self.ns = None
        self.mnt = os.path.join(state, "mnt")
        self.cpmnt = os.path.join(state, "cproxy")
        self.sock = os.path.join(state, "socat.sock")
        self.daemon_pid = None
        self.t0 = time.time()

    # --- processes
    def spawn(self, argv, kind="proc", group=True, **kw):
        p = subprocess.Popen(argv, start_new_session=group, **kw)
        self.res.add_pid(p.pid, kind=kind, group=group, argv=argv[:4])
        return p

    def client(self, argv, timeout, pass_fds=(), in_ns=False):
        """Runs a bclient command; returns its last JSON line as a dict (or raises)."""
        if in_ns:
            argv = ["nsenter", "--net=" + self.ns] + argv
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             pass_fds=pass_fds, preexec_fn=nofile_preexec)
        self.res.add_pid(p.pid, kind="proc")
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise RuntimeError("timed out after %ss" % timeout)
        lines = [l for l in out.splitlines() if l.startswith("{")]
        if not lines:
            raise RuntimeError("exit %s: %s" % (p.returncode, (err or out).strip()[-300:]))
        d = json.loads(lines[-1])
        if "error" in d:
            raise RuntimeError(d["error"])
        return d

    def bclient(self, config, cmd, args, timeout):
        """bclient CMD EP ARGS for a configuration."""
        exe = os.path.join(BUILD, "bclient")
        port = str(PORT)
        if config == "native":
            return self.client([exe, cmd, "tcp:127.0.0.1:" + port] + args, timeout, in_ns=True)
        if config == "socat":
            return self.client([exe, cmd, "unix:" + self.sock] + args, timeout)
        if config == "netnsfs":
            return self.client([exe, cmd, "file:%s/tcp/127.0.0.1/%s" % (self.mnt, port)] + args, timeout)
        if config == "cproxy":
            return self.client([exe, cmd, "file:%s/conn" % self.cpmnt] + args, timeout)
        if config == "handoff":
            if cmd == "connrate":  # each iteration asks the handoff socket (C client, netnsfs.h)
                return self.client([exe, cmd, "handoff:%s,tcp/127.0.0.1/%s" % (self.mnt, port)] + args, timeout)
            import netnsfs  # samples/python/netnsfs.py
            s = netnsfs.socket(self.mnt, "tcp/127.0.0.1/" + port)
            try:
                return self.client([exe, cmd, "fd:%d" % s.fileno()] + args, timeout, pass_fds=(s.fileno(),))
            finally:
                s.close()
        raise ValueError(config)

    def wait_for(self, what, pred, timeout=10.0):
        end = time.time() + timeout
        while time.time() < end:
            try:
                if pred():
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("%s: not ready after %ss" % (what, timeout))

    # --- setup
    def setup(self):
        # The test namespace: a holder process (unshare execs sleep inside the new namespace).
        holder = self.spawn(["unshare", "--net", "--", "sleep", "infinity"], kind="holder")
        self.holder = holder
        me = os.readlink("/proc/self/ns/net")
        self.ns = "/proc/%d/ns/net" % holder.pid
        self.wait_for("namespace", lambda: os.readlink(self.ns) != me)
        subprocess.run(["nsenter", "--net=" + self.ns, "ip", "link", "set", "lo", "up"], check=True)
        # Many short connections: every port, and TIME_WAIT reuse (per-namespace sysctls).
        subprocess.run(["nsenter", "--net=" + self.ns, "sysctl", "-q", "-w",
                        "net.ipv4.ip_local_port_range=1024 65535", "net.ipv4.tcp_tw_reuse=1"],
                       check=True)
        # The server, inside.
        srv = self.spawn(["nsenter", "--net=" + self.ns, os.path.join(BUILD, "bserver"), str(PORT), str(HOLD_PORT)],
                         kind="server", stdout=subprocess.PIPE, text=True, preexec_fn=nofile_preexec)
        line = srv.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError("bserver did not start")
        # socat, inside, listening on a unix socket in our state dir.
        self.spawn(["nsenter", "--net=" + self.ns, "socat", "-b", "131072",
                    "UNIX-LISTEN:%s,fork,mode=600" % self.sock, "TCP:127.0.0.1:%d,nodelay" % PORT],
                   kind="server", stderr=subprocess.DEVNULL)
        self.wait_for("socat", lambda: os.path.exists(self.sock))
        # netnsfs, attached to the namespace.
        os.makedirs(self.mnt, exist_ok=True)
        self.res.add(kind="mount", path=self.mnt)
        r = subprocess.run([self.netnsfs, "netnsfs", self.mnt, "-o", "netns=" + self.ns],
                           capture_output=True, text=True, timeout=60, preexec_fn=nofile_preexec)
        if r.returncode != 0:
            raise RuntimeError("netnsfs mount failed (%d): %s" % (r.returncode, r.stderr.strip()))
        self.daemon_pid = int(read_status(self.mnt)["pid"])
        self.res.add_pid(self.daemon_pid, kind="daemon")
        # The C libfuse proxy, inside (its mount is in our mount namespace).
        os.makedirs(self.cpmnt, exist_ok=True)
        self.res.add(kind="mount", path=self.cpmnt)
        cp = self.spawn(["nsenter", "--net=" + self.ns, os.path.join(BUILD, "cproxy"), self.cpmnt, "127.0.0.1", str(PORT)],
                        kind="server", stderr=open(os.path.join(self.state, "cproxy.log"), "w"))
        self.cproxy = cp
        self.wait_for("cproxy", lambda: os.path.exists(os.path.join(self.cpmnt, "conn")))
        # Preflight: every configuration answers.
        self.working = []
        for c in CONFIGS:
            try:
                self.bclient(c, "ping", ["64", "20"], timeout=20)
                self.working.append(c)
            except Exception as e:  # noqa: BLE001 — report and go on without it
                self.err("preflight %s: %s" % (c, e))
        log("ready: namespace %s, configurations: %s" % (os.readlink(self.ns), ", ".join(self.working)))

    def err(self, msg):
        log("ERROR " + msg)
        self.errors.append(msg)

    def over_budget(self):
        return time.time() - self.t0 > self.s["budget_s"]

    # --- measurements (each returns a dict of metric -> value for this run)
    def m_transport(self, run, out):
        s = self.s
        order = self.working[run % len(self.working):] + self.working[:run % len(self.working)]
        for direction, block in BULK:
            for c in order:
                key = "bulk.%s.%d.%s" % (direction, block, c)
                try:
                    d = self.bclient(c, "bulk", [direction, str(block), str(s["bulk_seconds"])],
                                     timeout=60 + 10 * s["bulk_seconds"])
                    out[key] = d["MiBps"]
                except Exception as e:  # noqa: BLE001
                    self.err("run %d %s: %s" % (run + 1, key, e))
        for c in order:
            try:
                d = self.bclient(c, "ping", ["64", str(s["ping_count"])], timeout=120)
                out["ping.%s.p50_us" % c] = d["p50_us"]
                out["ping.%s.p99_us" % c] = d["p99_us"]
            except Exception as e:  # noqa: BLE001
                self.err("run %d ping %s: %s" % (run + 1, c, e))
        for c in order:
            try:
                d = self.bclient(c, "connrate", [str(s["conn_seconds"])], timeout=60 + s["conn_seconds"])
                out["connrate.%s" % c] = d["per_sec"]
            except Exception as e:  # noqa: BLE001
                self.err("run %d connrate %s: %s" % (run + 1, c, e))

    def m_namespaces(self, run, out):
        s = self.s
        try:
            d = self.client([os.path.join(BUILD, "nsloop"), str(s["unshare_count"])], timeout=120)
            out["ns.unshare_us"] = d["per_ns_us"]
            d = self.client([os.path.join(BUILD, "nsloop"), str(s["unshare_count"]), "lo"], timeout=120)
            out["ns.unshare_lo_us"] = d["per_ns_us"]
        except Exception as e:  # noqa: BLE001
            self.err("run %d unshare loop: %s" % (run + 1, e))
        try:
            n = s["ipnetns_count"]
            names = ["nsb%dr%di%d" % (os.getpid(), run, i) for i in range(n)]
            for name in names:
                self.res.add(kind="netns", name=name)
            t0 = time.perf_counter()
            for name in names:
                subprocess.run(["ip", "netns", "add", name], check=True)
                subprocess.run(["ip", "netns", "del", name], check=True)
            out["ns.ipnetns_us"] = (time.perf_counter() - t0) / n * 1e6
        except Exception as e:  # noqa: BLE001
            self.err("run %d ip netns: %s" % (run + 1, e))
        if self.multi:
            self.m_multi(run, out)

    def multi_mount(self, tag):
        mnt = os.path.join(self.state, "multi-%s" % tag)
        os.makedirs(mnt, exist_ok=True)
        self.res.add(kind="mount", path=mnt)
        r = subprocess.run([self.netnsfs, "netnsfs", mnt, "-o", "multi"], capture_output=True, text=True,
                           timeout=60, preexec_fn=nofile_preexec)
        if r.returncode != 0:
            raise RuntimeError("mount -o multi failed (%d): %s" % (r.returncode, r.stderr.strip()))
        try:
            pid = int(read_status(mnt)["pid"])
        except (OSError, KeyError, ValueError):
            pids = daemons_of(mnt)
            if not pids:
                raise RuntimeError("multi mount: no daemon pid")
            pid = pids[0]
        self.res.add_pid(pid, kind="daemon")
        return mnt, pid

    def unmount_daemon(self, mnt, pid, start=None):
        """umount, then wait for the daemon to end; SIGTERM it if the mount was pinned."""
        umount(mnt)
        end = time.time() + 3.0
        while time.time() < end and alive(pid, start):
            time.sleep(0.02)
        self.unmounts += 1
        if alive(pid, start):
            self.lingering += 1
            stop_pid(pid, start)

    def m_multi(self, run, out):
        s = self.s
        try:
            mnt, pid = self.multi_mount("r%d" % run)
        except Exception as e:  # noqa: BLE001
            self.err("run %d multi: %s" % (run + 1, e))
            return
        try:
            n = s["multi_count"]
            t0 = time.perf_counter()
            for i in range(n):
                os.mkdir(os.path.join(mnt, "b%d" % i))
            out["ns.multi_mkdir_us"] = (time.perf_counter() - t0) / n * 1e6
            t0 = time.perf_counter()
            for i in range(n):
                os.rmdir(os.path.join(mnt, "b%d" % i))
            out["ns.multi_rmdir_us"] = (time.perf_counter() - t0) / n * 1e6
            if run == 0 or not s["quick"]:
                n = s["namespaces"]
                base = rss_kib(pid)
                t0 = time.perf_counter()
                for i in range(n):
                    os.mkdir(os.path.join(mnt, "m%d" % i))
                out["daemon.multi_create_per_sec"] = n / (time.perf_counter() - t0)
                time.sleep(0.5)
                out["daemon.rss_multi_kib"] = rss_kib(pid)
                out["daemon.rss_per_ns_kib"] = (out["daemon.rss_multi_kib"] - base) / n
                for i in range(n):
                    os.rmdir(os.path.join(mnt, "m%d" % i))
        except Exception as e:  # noqa: BLE001
            self.err("run %d multi: %s" % (run + 1, e))
        finally:
            self.unmount_daemon(mnt, pid)

    def m_daemon(self, run, out):
        s = self.s
        starts, rss = [], None
        for i in range(s["starts"]):
            mnt = os.path.join(self.state, "start-r%di%d" % (run, i))
            os.makedirs(mnt, exist_ok=True)
            self.res.add(kind="mount", path=mnt)
            try:
                t0 = time.perf_counter()
                p = subprocess.Popen([self.netnsfs, "netnsfs", mnt, "-o", "create"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                self.res.add_pid(p.pid)
                _, errtext = p.communicate(timeout=60)
                t = time.perf_counter() - t0
                if p.returncode != 0:
                    raise RuntimeError("exit %d: %s" % (p.returncode, errtext.strip()))
                st = read_status(mnt)  # the mount is live
                pid = int(st["pid"])
                start = proc_start(pid)
                self.res.add_pid(pid, kind="daemon")
                starts.append(t * 1000)
                if i == 0:
                    time.sleep(1.0)
                    rss = rss_kib(pid)
                self.unmount_daemon(mnt, pid, start)
            except Exception as e:  # noqa: BLE001
                self.err("run %d daemon start: %s" % (run + 1, e))
                umount(mnt)
                for d in daemons_of(mnt):
                    stop_pid(d, None)
        if starts:
            out["daemon.start_ms"] = statistics.median(starts)
        if rss is not None:
            out["daemon.rss_idle_kib"] = rss

    def m_sockets(self, run, out):
        """RSS of the main daemon after the traffic; then a fresh daemon (attached to the test
        namespace, nothing else done with it) idle, with N open socket files, and after closing them."""
        n = self.s["sockets"]
        try:
            out["daemon.rss_after_traffic_kib"] = rss_kib(self.daemon_pid)
        except Exception as e:  # noqa: BLE001
            self.err("run %d rss: %s" % (run + 1, e))
        mnt = os.path.join(self.state, "sockets-r%d" % run)
        os.makedirs(mnt, exist_ok=True)
        self.res.add(kind="mount", path=mnt)
        r = subprocess.run([self.netnsfs, "netnsfs", mnt, "-o", "netns=" + self.ns],
                           capture_output=True, text=True, timeout=60, preexec_fn=nofile_preexec)
        if r.returncode != 0:
            self.err("run %d sockets: mount failed (%d): %s" % (run + 1, r.returncode, r.stderr.strip()))
            return
        pid = int(read_status(mnt)["pid"])
        start = proc_start(pid)
        self.res.add_pid(pid, kind="daemon")
        exe = os.path.join(BUILD, "bclient")
        p = None
        try:
            time.sleep(1.0)
            base = rss_kib(pid)
            p = subprocess.Popen([exe, "hold", "file:%s/tcp/127.0.0.1/%d" % (mnt, HOLD_PORT), str(n)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 preexec_fn=nofile_preexec)
            self.res.add_pid(p.pid)
            line = self._readline(p, 300)
            d = json.loads(line) if line.startswith("{") else {"error": line or p.stderr.read().strip()}
            if "error" in d:
                raise RuntimeError(d["error"])
            out["daemon.open_per_sec"] = n / d["seconds"]
            time.sleep(0.5)
            out["daemon.rss_sockets_kib"] = rss_kib(pid)
            out["daemon.rss_per_socket_kib"] = (out["daemon.rss_sockets_kib"] - base) / n
            seen = int(read_status(mnt).get("sockets", "-1"))
            if seen < n:
                self.err("run %d: status shows %d sockets, expected >= %d" % (run + 1, seen, n))
            p.stdin.close()
            d = json.loads(self._readline(p, 120))
            out["daemon.close_per_sec"] = n / d["seconds"] if d["seconds"] > 0 else None
            p.wait(timeout=30)
            # after close: wait for the daemon to drop them, then its RSS
            self.wait_for("sockets closed", lambda: int(read_status(mnt).get("sockets", "0")) == 0, 30)
            out["daemon.rss_after_close_kib"] = rss_kib(pid)
        except Exception as e:  # noqa: BLE001
            self.err("run %d %d open sockets: %s" % (run + 1, n, e))
        finally:
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
            self.unmount_daemon(mnt, pid, start)

    @staticmethod
    def _readline(p, timeout):
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise RuntimeError("no answer in %ss" % timeout)
        return p.stdout.readline().strip()

    # --- the whole run
    def run(self):
        s = self.s
        help_text = subprocess.run([self.netnsfs, "--help"], capture_output=True, text=True).stdout
        self.multi = "multi" in help_text
        self.lingering = 0
        self.unmounts = 0
        info = machine_info(self.netnsfs)
        log("settings: %s" % json.dumps(s))
        self.setup()
        runs = []
        for r in range(s["runs"]):
            if r > 0 and self.over_budget():
                self.notes.append("time budget (%ss) reached: %d of %d runs done" % (s["budget_s"], r, s["runs"]))
                log(self.notes[-1])
                break
            out = {}
            t = time.time()
            log("run %d/%d: transports" % (r + 1, s["runs"]))
            self.m_transport(r, out)
            log("run %d/%d: namespaces, daemon" % (r + 1, s["runs"]))
            self.m_namespaces(r, out)
            self.m_daemon(r, out)
            log("run %d/%d: %d open sockets" % (r + 1, s["runs"], s["sockets"]))
            self.m_sockets(r, out)
            out["seconds"] = round(time.time() - t, 1)
            runs.append(out)
            log("run %d/%d done in %.0f s" % (r + 1, s["runs"], out["seconds"]))
        if self.lingering:
            self.notes.append(
                "%d of %d netnsfs daemons started for a measurement outlived `umount` (3 s) and needed SIGTERM: "
                "their mount was still held by a mount namespace copied while it existed (the daemon's own, "
                "when the copy races the mount; or another netnsfs daemon's started meanwhile, e.g. by a "
                "concurrent test run)." % (self.lingering, self.unmounts))
        info["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        info["elapsed_s"] = round(time.time() - self.t0, 1)
        return {"machine": info, "settings": s, "multi_available": self.multi, "working": self.working,
                "runs": runs, "errors": self.errors, "notes": self.notes}


def machine_info(netnsfs):
    def sh(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
        except Exception:  # noqa: BLE001
            return ""
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1048576)
    try:
        # Namespaces made later start with this: it sets how every TCP column here paces its sends.
        with open("/proc/sys/net/ipv4/tcp_congestion_control") as f:
            tcp_cc = f.read().strip()
    except OSError:
        tcp_cc = ""
    commit = sh(["git", "-C", REPO, "rev-parse", "--short", "HEAD"])
    if sh(["git", "-C", REPO, "status", "--porcelain", "--", "src"]):
        commit += "+dirty(src)"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "day": time.strftime("%Y-%m-%d"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": os.uname().release,
        "memory": mem,
        "dotnet": sh(["dotnet", "--version"]),
        "netnsfs": sh([netnsfs, "--version"]),
        "netnsfs_path": netnsfs,
        "commit": commit,
        "socat": sh(["socat", "-V"]).splitlines()[1:2],
        "libfuse": sh(["pkg-config", "--modversion", "fuse3"]),
        "tcp_congestion_control": tcp_cc,
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
    }


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("run", "cleanup"):
        print("usage: bench.py run|cleanup STATE_DIR", file=sys.stderr)
        return 2
    state = sys.argv[2]
    if sys.argv[1] == "cleanup":
        cleanup(state)
        return 0

    def on_signal(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise Stop("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    netnsfs = os.environ["NETNSFS"]
    b = Bench(state, netnsfs)
    try:
        data = b.run()
    except Stop as e:
        log("stopped (%s); cleaning up" % e)
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        log("cleaning up")
        cleanup(state)
    import report
    out_dir = os.environ.get("BENCH_OUT") or (os.path.join(BUILD, "quick-results") if data["settings"]["quick"]
                                             else os.path.join(BENCH, "results"))
    data["note"] = os.environ.get("BENCH_NOTE", "")
    paths = report.write(data, out_dir)
    for p in paths:
        log("wrote " + p)
    if not data["runs"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
