using System.Globalization;

namespace NetnsFs.FileSystem.Paths;

/// <summary>Which listener a listen path means: its transport, the address it binds ("*" for all
/// addresses, a literal as the path spells it, or "@NAME" for an abstract name) and its port.
/// <see cref="Text"/> ("tcp/*/8080", "tcp/127.0.0.1/8080", "unix/@name") is the registry's key,
/// what logs and conn/N/path show; it is made and read here only.</summary>
public readonly record struct ListenerKey
{
    /// <summary>The address of a listener on every address (dual-stack where IPv6 is up).</summary>
    public const string AllAddresses = "*";

    private ListenerKey(Transport transport, string address, int port)
    {
        Transport = transport;
        Address = address;
        Port = port;
        Text = transport.Address == AddressForm.AbstractName
            ? $"{transport.Name}/{address}"
            : string.Create(CultureInfo.InvariantCulture, $"{transport.Name}/{address}/{port}");
    }

    public Transport Transport { get; }

    public string Address { get; }

    /// <summary>The port (0: any free one, until <see cref="BoundTo"/>); 0 for an abstract name.</summary>
    public int Port { get; }

    public string Text { get; }

    /// <summary>A listener of a host-and-port transport on <paramref name="address"/> ("*" or a literal).</summary>
    public static ListenerKey OnPort(Transport transport, string address, int port) =>
        transport.Address == AddressForm.HostAndPort
            ? new(transport, address, port)
            : throw new ArgumentException($"{transport.Name} listens on names, not ports", nameof(transport));

    /// <summary>A listener of an abstract-name transport ("@NAME").</summary>
    public static ListenerKey Named(Transport transport, string name) =>
        transport.Address == AddressForm.AbstractName
            ? new(transport, name, 0)
            : throw new ArgumentException($"{transport.Name} listens on ports, not names", nameof(transport));

    /// <summary>Port 0 asks for any free port; the listener is filed under the one the kernel gave.</summary>
    public ListenerKey BoundTo(int port) =>
        Transport.Address == AddressForm.HostAndPort && Port == 0 ? new(Transport, Address, port) : this;

    /// <summary>Reads back a <see cref="Text"/>; false for anything this type does not make.</summary>
    public static bool TryParse(string text, out ListenerKey key)
    {
        key = default;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || TransportTable.Find(text.AsSpan(0, slash)) is not { } transport)
            return false;
        string rest = text[(slash + 1)..];
        if (transport.Address == AddressForm.AbstractName)
        {
            if (rest.Length < 2 || rest[0] != '@' || rest.Contains('/', StringComparison.Ordinal))
                return false;
            key = new(transport, rest, 0);
            return true;
        }
        int last = rest.LastIndexOf('/');
        if (last <= 0 || !int.TryParse(rest.AsSpan(last + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            return false;
        key = new(transport, rest[..last], port);
        return key.Text == text;
    }

    public override string ToString() => Text;
}
