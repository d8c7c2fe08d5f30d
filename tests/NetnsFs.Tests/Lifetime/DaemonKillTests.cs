using System.Globalization;
using NetnsFs.Tests.Support;
using NUnit.Framework;

namespace NetnsFs.Tests.Lifetime;

/// <summary>The daemon killed outright (SIGKILL): nobody stays blocked in the dead mount, the
/// namespace it created is freed, and umount removes what is left.</summary>
public sealed class DaemonKillTests
{
    private const string BlockedReadersPy = $$"""
        import errno, json, os, signal, sys, threading, time
        M, daemon = sys.argv[1], int(sys.argv[2])
        {{PyFunctions.Status}}
        results, fds = {}, {}
        def record(name, fn):
            try:
                fn()
                results[name] = ('returned', time.monotonic())
            except OSError as e:
                results[name] = (errno.errorcode.get(e.errno, str(e.errno)), time.monotonic())
        accepted = threading.Event()
        def accept_pair():
            fds['srv'] = os.open(M + '/tcp/listen/7101', os.O_RDWR)
            accepted.set()
        t = threading.Thread(target=accept_pair, daemon=True)
        t.start()
        await_status(M, 'the accept to wait in the daemon', lambda s: s['deferred_requests'] == '1')
        fds['cli'] = os.open(M + '/tcp/127.0.0.1/7101', os.O_RDWR)
        if not accepted.wait(20):
            print(json.dumps({'setup': 'no accept'}))
            os._exit(1)
        def accept_open():
            fds['acc'] = os.open(M + '/tcp/listen/7100', os.O_RDWR)
        def read_accepted():
            os.read(fds['srv'], 100)
        def read_dialled():
            os.read(fds['cli'], 100)
        threads = [threading.Thread(target=record, args=(n, f), daemon=True)
                   for n, f in (('accept', accept_open), ('read_accepted', read_accepted), ('read_dialled', read_dialled))]
        for th in threads:
            th.start()
        await_status(M, 'all three to wait in the daemon', lambda s: s['deferred_requests'] == '3')
        blocked = [th.is_alive() for th in threads]
        killed = time.monotonic()
        os.kill(daemon, signal.SIGKILL)
        for th in threads:
            th.join(5)
        out = {n: {'result': r[0], 'ms': (r[1] - killed) * 1000} for n, r in results.items()}
        out['blocked_before_kill'] = blocked
        out['stuck'] = [th.is_alive() for th in threads]
        print(json.dumps(out), flush=True)
        for fd in fds.values():
            try:
                os.close(fd)
            except OSError:
                pass
        os._exit(0)
        """;

    [Test]
    public void SIGKILL_of_the_daemon_frees_blocked_callers_within_a_second_and_the_namespace_and_umount_clears_the_dead_mount()
    {
        using var tmp = new TempDir("life");
        using var m = new NetnsfsMount("create");
        using var veth = new VethPair();
        try
        {
            Run.Checked(veth.MovePeerInto(m["ns"]));
            Assert.That(veth.HostExists, Is.True);

            var r = SocketKit.Json(SocketKit.Python(tmp, BlockedReadersPy, m.Dir, m.DaemonPid.ToString(CultureInfo.InvariantCulture)));
            Assert.That(r.GetProperty("blocked_before_kill").EnumerateArray().Select(e => e.GetBoolean()), Is.All.True, $"all three were waiting in the daemon: {r}");
            Assert.That(r.GetProperty("stuck").EnumerateArray().Select(e => e.GetBoolean()), Is.All.False, $"none stays blocked: {r}");
            foreach (var name in new[] { "accept", "read_accepted", "read_dialled" })
            {
                var one = r.GetProperty(name);
                Assert.That(one.GetProperty("result").GetString(), Is.AnyOf("ENOTCONN", "ECONNABORTED", "EIO"), $"{name}: {r}");
                Assert.That(one.GetProperty("ms").GetDouble(), Is.LessThan(1000), $"{name} returned within 1 s of the kill: {r}");
            }
            Assert.That(Processes.WaitGone(m.DaemonPid, TimeSpan.FromSeconds(5)), Is.True);
            Assert.That(Await.Eventually(() => !veth.HostExists, TimeSpan.FromSeconds(5)), Is.True,
                "the namespace died with its only holder (the veth in it is gone)");

            Assert.That(Mounts.IsMounted(m.Dir), Is.True, "a dead FUSE mount stays until unmounted");
            var umount = Run.Process("umount", [m.Dir], TimeSpan.FromSeconds(30));
            Assert.That(umount.ExitCode, Is.Zero, $"plain umount (not lazy) of the dead mount: {umount}");
            Assert.That(Mounts.IsMounted(m.Dir), Is.False);
        }
        finally
        {
            LifetimeKit.KillDaemon(m.DaemonPid);
        }
    }
}
