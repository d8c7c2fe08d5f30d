using System.Net;
using NetnsFs.Interop;
using NetnsFs.Net.Namespaces;
using NetnsFs.Net.Readiness;
using NetnsFs.Net.Sockets;
using Serilog;

namespace NetnsFs.Net.Names;

/// <summary>One name lookup for a namespace: its hosts file, then its nameservers over a UDP socket
/// made inside it (never the daemon's own resolver). Asynchronous: answers arrive on the readiness
/// engine's thread, timeouts on a timer; nobody waits. The callback given to <c>Start</c> is called exactly
/// once (a <see cref="Completion{T}"/>): an address, or ENOENT (no such name, or the namespace was
/// removed meanwhile), ETIMEDOUT, or the socket's error. The timer's callback is guarded: whatever
/// goes wrong in it fails this lookup (EIO) and is logged, never reaching the thread pool (which
/// would end the daemon). Its lock orders the tries (socket, server, attempt, timer) of the
/// readiness thread, the timer and a cancel; the answer is given after it is let go.</summary>
public sealed class DnsLookup : IReadinessListener, IOperation
{
    private readonly NetNamespace _ns;
    private readonly ReadinessEngine _engine;
    private readonly ResolverConfig _config;
    private readonly string _name;
    private readonly Completion<(Errno Error, IPAddress? Address)> _end;
    private readonly ILogger? _log;
    private readonly Lock _lock = new();
    private readonly byte[] _buffer = new byte[1500];
    private NetSocket? _socket;
    private ulong _key;
    private Timer? _timer;
    private int _server;
    private int _attempt;
    private ushort _type = DnsMessage.TypeA;
    private ushort _id;
    private Errno _lastError = Errno.ETIMEDOUT;
    private (Errno Error, IPAddress? Address)? _result; // claimed under the lock, delivered after it

    private DnsLookup(NetNamespace ns, ReadinessEngine engine, ResolverConfig config, string name, Action<Errno, IPAddress?> done, ILogger? log)
    {
        _log = log;
        _ns = ns;
        _engine = engine;
        _config = config;
        _name = name;
        _end = new Completion<(Errno Error, IPAddress? Address)>(r => done(r.Error, r.Address));
    }

    public bool IsOver => _end.IsOver;

    /// <summary>Starts a lookup; the returned handle cancels it (the caller was interrupted).</summary>
    public static DnsLookup Start(NetNamespace ns, ReadinessEngine engine, ResolverConfig config, string name, Action<Errno, IPAddress?> done, ILogger? log = null)
    {
        var lookup = new DnsLookup(ns, engine, config, name, done, log);
        lookup.Begin();
        return lookup;
    }

    private void Begin()
    {
        var fromHosts = _config.FromHostsFile(_name);
        if (fromHosts is not null)
        {
            Finish(0, fromHosts);
            return;
        }
        if (_config.Nameservers.Count == 0)
        {
            Finish(Errno.ENOENT, null);
            return;
        }
        lock (_lock)
            SendNext();
        Deliver();
    }

    /// <summary>Sends the current question to the current server (lock held).</summary>
    private void SendNext()
    {
        while (!_end.IsOver)
        {
            if (_ns.IsDisposed)
            {
                // rmdir while we waited: nothing more may be made in it, and nobody waits for it.
                FinishLocked(Errno.ENOENT, null);
                return;
            }
            if (_server >= _config.Nameservers.Count)
            {
                _server = 0;
                if (++_attempt >= _config.Attempts)
                {
                    FinishLocked(_lastError, null);
                    return;
                }
            }
            var server = _config.Nameservers[_server];
            CloseSocket();
            try
            {
                _socket = NetSocket.Create(_ns, new SocketKind(server.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? SocketKind.AF_INET6 : SocketKind.AF_INET, SocketKind.SOCK_DGRAM, 17));
            }
            catch (NetException e)
            {
                _lastError = e.Errno;
                _server++;
                continue;
            }
            var target = SockAddr.FromIp(server, 53);
            var err = _socket.Connect(in target);
            _id = (ushort)Random.Shared.Next(1, 65535);
            int len = DnsMessage.WriteQuery(_buffer, _id, _name, _type);
            if (len == 0)
            {
                FinishLocked(Errno.ENOENT, null);
                return;
            }
            if (err == 0)
                err = Watch();
            if (err == 0)
            {
                int sent = _socket.Send(_buffer.AsSpan(0, len));
                if (sent >= 0)
                {
                    _timer ??= GuardedCallback.Timer(_log, $"name lookup of {_name}", OnTimeout, _ => Finish(Errno.EIO, null));
                    _timer.Change(_config.Timeout, Timeout.InfiniteTimeSpan);
                    return;
                }
                err = (Errno)(-sent);
            }
            _lastError = err;
            _server++;
        }
    }

    private void OnTimeout()
    {
        lock (_lock)
        {
            if (_end.IsOver)
                return;
            _lastError = Errno.ETIMEDOUT;
            _server++;
            SendNext();
        }
        Deliver();
    }

    public void OnReadiness(IoEvents events)
    {
        lock (_lock)
            ReadAnswers();
        Deliver();
    }

    /// <summary>Takes what came on the socket (lock held).</summary>
    private void ReadAnswers()
    {
        if (_end.IsOver || _socket is null)
            return;
        while (true)
        {
            int n = _socket.Receive(_buffer);
            if (n == -(int)Errno.EAGAIN)
                return;
            if (n < 0)
            {
                // ICMP unreachable and the like: try the next server
                _lastError = (Errno)(-n);
                _server++;
                SendNext();
                return;
            }
            var result = DnsMessage.ParseAnswer(_buffer.AsSpan(0, n), _id, _type, out var address);
            switch (result)
            {
                case DnsMessage.Result.Malformed:
                    continue; // not our answer: keep waiting
                case DnsMessage.Result.Address:
                    FinishLocked(0, address);
                    return;
                case DnsMessage.Result.NoSuchName:
                    FinishLocked(Errno.ENOENT, null);
                    return;
                case DnsMessage.Result.NoAddress when _type == DnsMessage.TypeA:
                    _type = DnsMessage.TypeAaaa; // no IPv4 address: ask for IPv6
                    SendNext();
                    return;
                case DnsMessage.Result.NoAddress:
                    FinishLocked(Errno.ENOENT, null);
                    return;
                default:
                    _lastError = Errno.EAGAIN;
                    _server++;
                    SendNext();
                    return;
            }
        }
    }

    private void Finish(Errno e, IPAddress? address)
    {
        lock (_lock)
            FinishLocked(e, address);
        Deliver();
    }

    /// <summary>Ends the lookup (lock held); <see cref="Deliver"/> then calls back, after the lock
    /// is released: the callback takes the caller's locks (the open's), and a cancel holds those
    /// while it takes ours (Dispose). Called under our lock, it would deadlock the readiness thread
    /// against an interrupted open, and with it every deferred request of the mount.</summary>
    private void FinishLocked(Errno e, IPAddress? address)
    {
        if (!_end.TryClaim())
            return;
        CloseSocket();
        _timer?.Dispose();
        _result = (e, address);
    }

    private void Deliver()
    {
        (Errno Error, IPAddress? Address)? result;
        lock (_lock)
        {
            result = _result;
            _result = null;
        }
        if (result is { } r)
            _end.Deliver(r);
    }

    /// <summary>Registers the new socket before its query goes out, so no answer comes unseen; the
    /// errno if it cannot be watched (max_user_watches): then the next server is tried, where a
    /// throw would leave the lookup to its timer, or, from the first try, unanswered.</summary>
    private Errno Watch()
    {
        try
        {
            _key = _engine.Register(_socket!.Fd, this);
            return 0;
        }
        catch (NetException e)
        {
            return e.Errno;
        }
    }

    private void CloseSocket()
    {
        if (_socket is null)
            return;
        if (_key != 0)
            _engine.Unregister(_socket.Fd, _key);
        _key = 0;
        _socket.Dispose();
        _socket = null;
    }

    /// <summary>Cancels: no callback after this returns (unless one was under way already).</summary>
    public void Dispose()
    {
        if (!_end.Cancel())
            return;
        lock (_lock)
        {
            CloseSocket();
            _timer?.Dispose();
        }
    }
}
