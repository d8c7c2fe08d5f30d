using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetnsFs.Fuse.Abi;
using NetnsFs.Fuse.Protocol;
using NetnsFs.Interop;

namespace NetnsFs.Fuse.Session;

/// <summary>Request decoding: opcode to filesystem call, with every body checked for length.</summary>
public sealed partial class FuseSession
{
    private void Dispatch(ReadOnlySpan<byte> message, FuseRequest req)
    {
        if (!RequestDecoder.TryReadHeader(message, out var header))
        {
            _log.Error("malformed request header ({Length} bytes)", message.Length);
            return;
        }
        req.Reset(in header);
        var body = message[RequestDecoder.InHeaderSize..];
        if (header.TotalExtLen != 0)
            body = body[..Math.Max(0, body.Length - header.TotalExtLen * 8)];
        if (_options.LogRequests)
            _log.Debug("{Request} ({Length} bytes)", req, header.Len);
        try
        {
            if (!DispatchOne(req, body))
            {
                _log.Error("{Request}: body too short ({Length} bytes)", req, body.Length);
                req.ReplyError(Errno.EINVAL);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.Error(e, "{Request} threw", req);
            req.ReplyError(Errno.EIO);
        }
    }

    /// <summary>False when the body is too short for its opcode.</summary>
    private bool DispatchOne(FuseRequest req, ReadOnlySpan<byte> body)
    {
        NodeId node = req.Node;
        switch (req.Opcode)
        {
            case FuseOpcode.Init:
                return HandleInit(req, body);
            case FuseOpcode.Interrupt:
                {
                    if (!RequestDecoder.TryRead(body, out FuseInterruptIn i))
                        return false;
                    if (_deferred.TryGetValue(i.Unique, out var target))
                    {
                        target.Interrupt();
                    }
                    else if (FindHandling(i.Unique) is { } running)
                    {
                        // Its handler runs now: no answer (EAGAIN would have the kernel send this
                        // INTERRUPT again at once, and the reader spin on it); if the handler defers
                        // the request, its reader interrupts it then (or, if it deferred meanwhile, this).
                        running.MarkInterrupted(i.Unique);
                        if (_deferred.TryGetValue(i.Unique, out target))
                            target.Interrupt();
                    }
                    else
                    {
                        req.ReplyError(Errno.EAGAIN); // not seen yet, or done: the kernel retries or drops it
                    }

                    return true;
                }
            case FuseOpcode.Forget:
                {
                    if (!RequestDecoder.TryRead(body, out FuseForgetIn f))
                        return true; // no reply to FORGET, even a broken one
                    _fs.Forget(node, f.NLookup);
                    return true;
                }
            case FuseOpcode.BatchForget:
                {
                    if (!RequestDecoder.TryRead(body, out FuseBatchForgetIn b))
                        return true;
                    var items = MemoryMarshal.Cast<byte, FuseForgetOne>(body[Unsafe.SizeOf<FuseBatchForgetIn>()..]);
                    int count = (int)Math.Min(b.Count, (uint)items.Length);
                    for (int k = 0; k < count; k++)
                        _fs.Forget(new NodeId(items[k].NodeId), items[k].NLookup);
                    return true;
                }
            case FuseOpcode.Destroy:
                req.ReplyEmpty();
                return true;
            case FuseOpcode.Lookup:
                {
                    if (!RequestDecoder.TryReadName(body, out var name, out _))
                        return false;
                    _fs.Lookup(req, node, name);
                    return true;
                }
            case FuseOpcode.GetAttr:
                {
                    var g = RequestDecoder.ReadPrefix<FuseGetAttrIn>(body);
                    _fs.GetAttr(req, node, (g.GetAttrFlags & 1) != 0 ? new FileHandle(g.Fh) : null);
                    return true;
                }
            case FuseOpcode.SetAttr:
                {
                    if (!RequestDecoder.TryRead(body, out FuseSetAttrIn s))
                        return false;
                    _fs.SetAttr(req, node, in s);
                    return true;
                }
            case FuseOpcode.ReadLink:
                _fs.ReadLink(req, node);
                return true;
            case FuseOpcode.Symlink:
                {
                    if (!RequestDecoder.TryReadName(body, out var name, out var rest) ||
                        !RequestDecoder.TryReadName(rest, out var target, out _))
                    {
                        return false;
                    }

                    _fs.Symlink(req, node, name, target);
                    return true;
                }
            case FuseOpcode.MkNod:
                {
                    if (!RequestDecoder.TryRead(body, out FuseMkNodIn m) ||
                        !RequestDecoder.TryReadName(body[Unsafe.SizeOf<FuseMkNodIn>()..], out var name, out _))
                    {
                        return false;
                    }

                    _fs.MkNod(req, node, name, m.Mode, m.RDev, m.Umask);
                    return true;
                }
            case FuseOpcode.MkDir:
                {
                    if (!RequestDecoder.TryRead(body, out FuseMkDirIn m) ||
                        !RequestDecoder.TryReadName(body[Unsafe.SizeOf<FuseMkDirIn>()..], out var name, out _))
                    {
                        return false;
                    }

                    _fs.MkDir(req, node, name, m.Mode, m.Umask);
                    return true;
                }
            case FuseOpcode.Unlink:
            case FuseOpcode.RmDir:
                {
                    if (!RequestDecoder.TryReadName(body, out var name, out _))
                        return false;
                    if (req.Opcode == FuseOpcode.Unlink)
                        _fs.Unlink(req, node, name);
                    else
                        _fs.RmDir(req, node, name);
                    return true;
                }
            case FuseOpcode.Open:
            case FuseOpcode.OpenDir:
                {
                    if (!RequestDecoder.TryRead(body, out FuseOpenIn o))
                        return false;
                    if (req.Opcode == FuseOpcode.Open)
                        _fs.Open(req, node, (int)o.Flags);
                    else
                        _fs.OpenDir(req, node, (int)o.Flags);
                    return true;
                }
            case FuseOpcode.Create:
                {
                    if (!RequestDecoder.TryRead(body, out FuseCreateIn c) ||
                        !RequestDecoder.TryReadName(body[Unsafe.SizeOf<FuseCreateIn>()..], out var name, out _))
                    {
                        return false;
                    }

                    _fs.Create(req, node, name, (int)c.Flags, c.Mode, c.Umask);
                    return true;
                }
            case FuseOpcode.Read:
            case FuseOpcode.ReadDir:
                {
                    if (!RequestDecoder.TryRead(body, out FuseReadIn r))
                        return false;
                    int size = (int)Math.Min(r.Size, (uint)ReplyScratch.MaxPayload);
                    if (req.Opcode == FuseOpcode.Read)
                        _fs.Read(req, node, new FileHandle(r.Fh), (long)r.Offset, size, (int)r.Flags);
                    else
                        _fs.ReadDir(req, node, new FileHandle(r.Fh), (long)r.Offset, size);
                    return true;
                }
            case FuseOpcode.Write:
                {
                    if (!RequestDecoder.TryRead(body, out FuseWriteIn w))
                        return false;
                    var data = body[Unsafe.SizeOf<FuseWriteIn>()..];
                    if ((uint)data.Length < w.Size)
                        return false;
                    _fs.Write(req, node, new FileHandle(w.Fh), (long)w.Offset, data[..(int)w.Size], (int)w.Flags);
                    return true;
                }
            case FuseOpcode.Flush:
                {
                    if (!RequestDecoder.TryRead(body, out FuseFlushIn f))
                        return false;
                    _fs.Flush(req, node, new FileHandle(f.Fh), f.LockOwner);
                    return true;
                }
            case FuseOpcode.Release:
            case FuseOpcode.ReleaseDir:
                {
                    if (!RequestDecoder.TryRead(body, out FuseReleaseIn r))
                        return false;
                    if (req.Opcode == FuseOpcode.Release)
                        _fs.Release(req, node, new FileHandle(r.Fh), (int)r.Flags);
                    else
                        _fs.ReleaseDir(req, node, new FileHandle(r.Fh));
                    return true;
                }
            case FuseOpcode.StatFs:
                _fs.StatFs(req, node);
                return true;
            case FuseOpcode.Access:
                {
                    if (!RequestDecoder.TryRead(body, out FuseAccessIn a))
                        return false;
                    _fs.Access(req, node, (int)a.Mask);
                    return true;
                }
            case FuseOpcode.Poll:
                {
                    if (!RequestDecoder.TryRead(body, out FusePollIn p))
                        return false;
                    _fs.Poll(req, node, new FileHandle(p.Fh), p.Kh, (PollFlags)p.Flags, p.Events);
                    return true;
                }
            default:
                req.ReplyError(Errno.ENOSYS);
                return true;
        }
    }

    private bool HandleInit(FuseRequest req, ReadOnlySpan<byte> body)
    {
        if (body.Length < 16)
            return false;
        var init = RequestDecoder.ReadPrefix<FuseInitIn>(body);
        if (init.Major > FuseConstants.KernelMajor)
        {
            // linux/fuse.h: answer with the major we speak; the kernel then sends a new INIT.
            _log.Debug("kernel offers FUSE {Major}.{Minor}; answering 7.{Ours}", init.Major, init.Minor, FuseConstants.KernelMinor);
            req.Reply(new FuseInitOut { Major = FuseConstants.KernelMajor, Minor = FuseConstants.KernelMinor });
            return true;
        }
        if (init.Major < FuseConstants.KernelMajor)
        {
            _log.Error("kernel speaks FUSE {Major}.{Minor}; we need 7.x", init.Major, init.Minor);
            req.ReplyError(Errno.EPROTO);
            return true;
        }
        var reply = InitNegotiation.Negotiate(in init, _options.MaxWrite, out var info);
        _log.Debug("INIT: kernel {Major}.{Minor} offers {Offered}; agreed {Agreed}, max_write {MaxWrite}, max_pages {MaxPages}, max_readahead {Readahead}",
            info.KernelMajor, info.KernelMinor, info.KernelFlags, info.AgreedFlags, info.MaxWrite, info.MaxPages, info.MaxReadahead);
        Connection = info;
        _fs.Initialized(this, info);
        req.Reply(in reply);
        _initialized.TrySetResult(info);
        return true;
    }
}
