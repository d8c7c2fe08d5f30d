using NetnsFs.Interop;

namespace NetnsFs.Net;

/// <summary>A failed namespace or socket call: the errno to hand back and a message for the log.</summary>
public sealed class NetException(Errno errno, string message) : Exception(message)
{
    public Errno Errno { get; } = errno;

    internal static NetException FromLastError(string what)
    {
        var errno = (Errno)System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        return new NetException(errno, $"{what}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage((int)errno)}");
    }
}
