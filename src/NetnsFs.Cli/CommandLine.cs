namespace NetnsFs.Cli;

/// <summary>The mount-helper command line: <c>netnsfs SOURCE MOUNTPOINT [-o OPTS] [-f] [-d]</c>,
/// as mount(8) and mount.fuse3 call it (options may come before or after the positionals).</summary>
public sealed record CommandLine(string Source, string MountPoint, MountOptions Options, bool Foreground)
{
    public static CommandLine Parse(string[] args)
    {
        var positional = new List<string>();
        var optionLists = new List<string>();
        bool foreground = false;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "-o")
            {
                if (++i >= args.Length)
                    throw new UsageException("-o needs a value");
                optionLists.Add(args[i]);
            }
            else if (a.StartsWith("-o", StringComparison.Ordinal))
            {
                optionLists.Add(a[2..]);
            }
            else if (a == "-f")
            {
                foreground = true;
            }
            else if (a == "-d")
            {
                foreground = true;
                optionLists.Add("debug");
            }
            else if (a is "-n" or "-s" or "-v")
            {
                // mount(8) passes -n (no mtab), -s (sloppy), -v (verbose) to helpers
            }
            else if (a == "--")
            {
                positional.AddRange(args[(i + 1)..]);
            }
            else if (a.StartsWith('-') && a.Length > 1)
            {
                throw new UsageException($"unknown argument '{a}' (see netnsfs --help)");
            }
            else
            {
                positional.Add(a);
            }

            if (a == "--")
                break;
        }
        if (positional.Count != 2)
            throw new UsageException("usage: netnsfs SOURCE MOUNTPOINT [-o OPTIONS] [-f]");
        return new CommandLine(positional[0], Path.GetFullPath(positional[1]), MountOptions.Parse(optionLists), foreground);
    }
}
