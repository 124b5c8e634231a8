namespace DmaSim.Core;

/// <summary>Where in an input a problem is: a text position (1-based line/column) or a byte offset.</summary>
public readonly record struct SourceSpan(string File, int Line, int Column, long ByteOffset = -1)
{
    public static SourceSpan AtByte(string file, long offset) => new(file, 0, 0, offset);

    /// <summary>A command-line option (e.g. "--profile") as the place of a problem: "dmasim: error: --profile: …".</summary>
    public static SourceSpan Option(string option) => new(option, 0, 0);

    /// <summary>True when the place is a command-line option rather than a file.</summary>
    public bool IsOption => File.StartsWith('-') && File.Length > 1 && Line == 0 && ByteOffset < 0;

    public override string ToString() =>
        ByteOffset >= 0 ? $"{File}: byte offset {ByteOffset} (0x{ByteOffset:x})"
        : Line > 0 ? $"{File}:{Line}:{Column}"
        : File;
}

/// <summary>
/// Bad input. Carries its position so the CLI prints "FILE:LINE:COL: error: ..." (exit 2) and never a
/// stack trace.
/// </summary>
public sealed class InputException : Exception
{
    public SourceSpan Where { get; }
    public string Problem { get; }

    public InputException(SourceSpan where, string problem) : base(Format(where, problem))
    {
        Where = where;
        Problem = problem;
    }

    public InputException() : this(new SourceSpan("<input>", 0, 0), "bad input") { }
    public InputException(string message) : this(new SourceSpan("<input>", 0, 0), message) { }
    public InputException(string message, Exception inner) : base(message, inner)
    {
        Where = new SourceSpan("<input>", 0, 0);
        Problem = message;
    }

    public static string Format(SourceSpan where, string problem) =>
        where.ByteOffset >= 0 ? $"{where.File}: error: at byte offset {where.ByteOffset} (0x{where.ByteOffset:x}): {problem}"
        : where.Line > 0 ? $"{where.File}:{where.Line}:{where.Column}: error: {problem}"
        : where.IsOption ? $"dmasim: error: {where.File}: {problem}"
        : $"{where.File}: error: {problem}";
}
