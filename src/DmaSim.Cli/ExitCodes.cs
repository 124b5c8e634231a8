namespace DmaSim.Cli;

/// <summary>The CLI contract's exit codes (DESIGN.md).</summary>
public static class ExitCodes
{
    /// <summary>Ran, and every expectation held.</summary>
    public const int Ok = 0;
    /// <summary>An expectation failed (or, for lint, an error-class finding; for replay, a mismatch).</summary>
    public const int ExpectationFailed = 1;
    /// <summary>Bad input: a message naming the file and line/column or byte offset.</summary>
    public const int BadInput = 2;
    /// <summary>An internal error (a bug in DmaSim).</summary>
    public const int InternalError = 70;
}
