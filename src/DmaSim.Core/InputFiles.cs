using System.Text;

namespace DmaSim.Core;

/// <summary>
/// Reads input files with a size bound (docs/limits.md), so /dev/zero, a link to /dev/urandom or a
/// huge file is refused with "FILE: error: …" instead of exhausting memory. Unreadable files get a
/// plain reason (no such file, it is a directory, permission denied).
/// </summary>
public static class InputFiles
{
    /// <summary>Scenario YAML.</summary>
    public const long MaxScenarioBytes = 16L << 20;
    /// <summary>A kernel log (dmesg) or an e820 listing.</summary>
    public const long MaxLogBytes = 64L << 20;
    /// <summary>A DMAR table: raw bytes, or acpidump/iasl text of a whole machine.</summary>
    public const long MaxTableBytes = 16L << 20;
    /// <summary>An IOVA trace, counted after gzip decompression.</summary>
    public const long MaxTraceBytes = 256L << 20;
    /// <summary>One line of an IOVA trace.</summary>
    public const int MaxTraceLineChars = 4096;

    /// <exception cref="InputException">Unreadable, or larger than <paramref name="limit"/>.</exception>
    public static byte[] ReadBytes(string path, string what, long limit)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = Open(path, what);
        using var bounded = new BoundedStream(stream, limit, path, what);
        using var copy = new MemoryStream();
        try
        {
            bounded.CopyTo(copy);
        }
        catch (IOException e)
        {
            throw new InputException(new SourceSpan(path, 0, 0), $"cannot read {what}: {e.Message}");
        }
        return copy.ToArray();
    }

    /// <summary>Text with its byte-order mark honoured (UTF-8 without one), as File.ReadAllText reads it.</summary>
    public static string ReadText(string path, string what, long limit)
    {
        var bytes = ReadBytes(path, what, limit);
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>Opens a file for reading, or explains in a few words why it cannot be read.</summary>
    public static FileStream Open(string path, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        var where = new SourceSpan(path, 0, 0);
        if (Directory.Exists(path)) throw new InputException(where, $"cannot read {what}: it is a directory");
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InputException(where, $"cannot read {what}: {Reason(e)}");
        }
    }

    /// <summary>A short reason for an I/O failure, without the path the message already names.</summary>
    public static string Reason(Exception e) => e switch
    {
        FileNotFoundException => "no such file",
        DirectoryNotFoundException => "no such directory",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };
}

/// <summary>A read-only stream that refuses to deliver more than a limit: "larger than the N limit for WHAT".</summary>
public sealed class BoundedStream(Stream inner, long limit, string path, string what) : Stream
{
    private long _read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        _read += n;
        if (_read > limit)
            throw new InputException(new SourceSpan(path, 0, 0), $"{what} is larger than the {Sizes.Format((ulong)limit)} limit (docs/limits.md)");
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
