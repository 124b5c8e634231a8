using DmaSim.Core;

namespace DmaSim.Cli;

/// <summary>Writes a report or scenario to the file an option names; a path that cannot take it is a usage error.</summary>
internal static class OutputFile
{
    /// <exception cref="InputException">"dmasim: error: --html: cannot write 'x': it is a directory" and the like.</exception>
    public static void Write(string path, string text, string option)
    {
        if (Directory.Exists(path)) throw new InputException(SourceSpan.Option(option), $"cannot write '{path}': it is a directory");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null && !Directory.Exists(folder))
            throw new InputException(SourceSpan.Option(option), $"cannot write '{path}': no such directory '{folder}'");
        try
        {
            File.WriteAllText(path, text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new InputException(SourceSpan.Option(option), $"cannot write '{path}': {Reason(e)}");
        }
    }

    private static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        IOException io when io.Message.Contains("No space left", StringComparison.Ordinal) => "no space left on the device",
        _ => e.Message,
    };
}
