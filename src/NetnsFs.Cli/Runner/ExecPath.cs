using System.Runtime.InteropServices;
using static NetnsFs.Interop.Libc;

namespace NetnsFs.Cli.Runner;

/// <summary>execvp's search and execve, for commands that replace this process (`exec`, `run`).</summary>
public static class ExecPath
{
    public static string Resolve(string command)
    {
        if (command.Contains('/', StringComparison.Ordinal))
            return command;
        foreach (var d in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string p = Path.Combine(d.Length == 0 ? "." : d, command);
            if (File.Exists(p))
                return p;
        }
        return command;
    }

    /// <summary>Returns only on failure (the errno in Marshal's last error).</summary>
    public static void Exec(string exe, string[] argv, string[]? envp = null)
    {
        envp ??= Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}").ToArray();
        execve(exe, ToCStrings(argv), ToCStrings(envp));
    }

    private static nint[] ToCStrings(string[] items)
    {
        var result = new nint[items.Length + 1];
        for (int i = 0; i < items.Length; i++)
            result[i] = Marshal.StringToCoTaskMemUTF8(items[i]);
        return result; // freed by execve's success; on failure the process exits
    }
}
