using System.Globalization;
using System.IO.Compression;
using DmaSim.Core;

namespace DmaSim.Kernel.Iommu.Iova;

/// <summary>The two trace layouts of data/iova-traces (see its README.md).</summary>
public enum IovaTraceKind
{
    /// <summary><c>op,id,size,limit_pfn,result_pfn_lo,result_pfn_hi</c>: alloc_iova / __free_iova / free_iova.</summary>
    Tree,

    /// <summary><c>op,size,limit_pfn,result_pfn</c>: alloc_iova_fast / free_iova_fast on one CPU.</summary>
    Fast,
}

/// <summary>The first answer of a replay that differs from the recorded one.</summary>
/// <param name="Line">1-based line of the trace.</param>
/// <param name="Expected">What Linux answered.</param>
/// <param name="Actual">What DmaSim answered.</param>
public sealed record IovaReplayMismatch(int Line, string Expected, string Actual);

/// <summary>Outcome of replaying one trace.</summary>
/// <param name="File">The trace replayed.</param>
/// <param name="Kind">Its layout.</param>
/// <param name="Lines">Lines read (to the end, or to the first mismatch).</param>
/// <param name="Allocations">Allocation calls compared.</param>
/// <param name="Frees">Free calls replayed.</param>
/// <param name="Failures">Allocations that failed, as recorded.</param>
/// <param name="FirstMismatch">Null when every answer equals the recorded one.</param>
public sealed record IovaReplayResult(string File, IovaTraceKind Kind, int Lines, int Allocations, int Frees,
    int Failures, IovaReplayMismatch? FirstMismatch)
{
    /// <summary>Every answer equalled the recorded one.</summary>
    public bool Ok => FirstMismatch is null;
}

/// <summary>
/// Replays a trace recorded from Linux 6.12's <c>drivers/iommu/iova.c</c> against a fresh
/// <see cref="IovaDomain"/> (granule 4096, start_pfn 1, size-aligned allocations, one CPU) and stops at the
/// first answer that differs. Malformed input raises <see cref="InputException"/> with file:line:col.
/// </summary>
public static class IovaTraceReplayer
{
    /// <summary>The second attempt of the fast trace: dma-iommu retries PCI devices with their full (here 36-bit) limit and flush_rcache.</summary>
    public const ulong FastFallbackLimitPfn = 0xffffff;

    /// <summary>Replays the trace at <paramref name="path"/> (.csv, or gzip by extension or magic bytes).</summary>
    public static IovaReplayResult Replay(string path)
    {
        Stream stream = InputFiles.Open(path, "trace");
        using (stream)
        {
            return Replay(path, OpenText(path, stream));
        }
    }

    private static StreamReader OpenText(string path, Stream stream)
    {
        var gzip = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        if (!gzip && stream.CanSeek && stream.Length >= 2)
        {
            var magic = new byte[2];
            stream.ReadExactly(magic);
            stream.Position = 0;
            gzip = magic[0] == 0x1f && magic[1] == 0x8b;
        }
        // Bounded after decompression: a small gzip file can hold gigabytes (docs/limits.md).
        var text = gzip ? new GZipStream(stream, CompressionMode.Decompress) : stream;
        return new StreamReader(new BoundedStream(text, InputFiles.MaxTraceBytes, path, "trace (decompressed)"));
    }

    /// <summary>Replays trace text; <paramref name="name"/> is used in diagnostics.</summary>
    public static IovaReplayResult Replay(string name, TextReader reader)
    {
        var run = new Run(name);
        try
        {
            string? line;
            while ((line = ReadLine(reader, name, run.LineNumber + 1)) is not null)
            {
                run.LineNumber++;
                if (!run.Step(line)) break;
            }
        }
        catch (InvalidDataException e)
        {
            throw new InputException(new SourceSpan(name, run.LineNumber + 1, 1), "corrupt gzip data: " + e.Message);
        }
        catch (IOException e)
        {
            throw new InputException(new SourceSpan(name, run.LineNumber + 1, 1), "cannot read trace: " + e.Message);
        }
        if (run.Kind is null) throw new InputException(new SourceSpan(name, run.LineNumber, 1), "no header line (op,...) found");
        return new IovaReplayResult(name, run.Kind.Value, run.LineNumber, run.Allocations, run.Frees, run.Failures, run.Mismatch);
    }

    /// <summary>One line, refused past <see cref="InputFiles.MaxTraceLineChars"/> so one endless line cannot fill memory.</summary>
    private static string? ReadLine(TextReader reader, string name, int lineNumber)
    {
        var line = new System.Text.StringBuilder();
        while (true)
        {
            var c = reader.Read();
            if (c < 0) return line.Length == 0 ? null : line.ToString();
            if (c == '\n') return line.ToString();
            if (line.Length == InputFiles.MaxTraceLineChars)
                throw new InputException(new SourceSpan(name, lineNumber, 1), $"line longer than {InputFiles.MaxTraceLineChars} characters; a trace line holds a few numbers (docs/limits.md)");
            line.Append((char)c);
        }
    }

    private sealed class Run(string name)
    {
        private const string TreeHeader = "op,id,size,limit_pfn,result_pfn_lo,result_pfn_hi";
        private const string FastHeader = "op,size,limit_pfn,result_pfn";
        private readonly Dictionary<ulong, Iova> _live = [];
        private IovaDomain? _domain;
        private string _line = "";
        private int[] _starts = [];

        public int LineNumber;
        public int Allocations;
        public int Frees;
        public int Failures;
        public IovaTraceKind? Kind;
        public IovaReplayMismatch? Mismatch;

        private IovaDomain Domain => _domain ??= new IovaDomain(4096, 1, cpuCount: 1);

        /// <summary>Handles one line; false once a mismatch is found.</summary>
        public bool Step(string line)
        {
            var trimmed = line.TrimEnd('\r');
            if (trimmed.Length == 0 || trimmed[0] == '#') return true;
            if (Kind is null)
            {
                Kind = trimmed switch
                {
                    TreeHeader => IovaTraceKind.Tree,
                    FastHeader => IovaTraceKind.Fast,
                    _ => throw Error(1, $"expected the header '{TreeHeader}' or '{FastHeader}'"),
                };
                return true;
            }
            _line = trimmed;
            _starts = FieldStarts(trimmed);
            return Kind == IovaTraceKind.Tree ? TreeStep() : FastStep();
        }

        private static int[] FieldStarts(string line)
        {
            var starts = new List<int> { 0 };
            for (var i = 0; i < line.Length; i++)
                if (line[i] == ',') starts.Add(i + 1);
            return [.. starts];
        }

        private int FieldCount => _starts.Length;

        private string Field(int index)
        {
            if (index >= _starts.Length) return "";
            var end = index + 1 < _starts.Length ? _starts[index + 1] - 1 : _line.Length;
            return _line[_starts[index]..end];
        }

        private int Column(int index) => index < _starts.Length ? _starts[index] + 1 : _line.Length + 1;

        private InputException Error(int column, string problem) =>
            new(new SourceSpan(name, LineNumber, column), problem);

        private ulong Number(int index, string what)
        {
            var text = Field(index);
            var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
            var ok = hex
                ? ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
                : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
            if (!ok) throw Error(Column(index), $"{what}: expected a decimal or 0x-hex number, got '{text}'");
            return value;
        }

        /// <summary>
        /// A size in pages: 1 … 2^63. alloc_iova's size-aligned mask (fls_long(size − 1)) has no meaning
        /// above that, and no kernel can ask for it (a DMA size_t shifted by the granule is below 2^52).
        /// </summary>
        private ulong Size(int index)
        {
            var size = Number(index, "size");
            if (size == 0) throw Error(Column(index), "size: must be at least one page");
            if (size > 1UL << 63) throw Error(Column(index), $"size: {size} pages is beyond 2^63, more than any IOVA space holds");
            return size;
        }

        private void ExpectFields(int count, string form)
        {
            if (FieldCount != count) throw Error(1, $"expected {count} fields ({form}), got {FieldCount}");
        }

        private bool Differ(string expected, string actual)
        {
            Mismatch = new IovaReplayMismatch(LineNumber, expected, actual);
            return false;
        }

        private static string Show(Iova? iova) => iova is { } i ? $"0x{i.PfnLo:x},0x{i.PfnHi:x}" : "fail";

        private bool TreeStep()
        {
            switch (Field(0))
            {
                case "alloc":
                    {
                        ExpectFields(6, "alloc,id,size,limit_pfn,result_pfn_lo,result_pfn_hi");
                        var id = Number(1, "id");
                        var size = Size(2);
                        var limit = Number(3, "limit_pfn");
                        Iova? expected = null;
                        if (Field(4) != "fail") expected = new Iova(Number(4, "result_pfn_lo"), Number(5, "result_pfn_hi"));
                        else if (Field(5).Length != 0) throw Error(Column(5), "a failed allocation has no result_pfn_hi");
                        var actual = Domain.AllocIova(size, limit, sizeAligned: true);
                        Allocations++;
                        if (expected is null) Failures++;
                        if (actual != expected) return Differ(Show(expected), Show(actual));
                        if (actual is { } got && !_live.TryAdd(id, got)) throw Error(Column(1), $"id {id} is already live");
                        return true;
                    }
                case "free":
                    {
                        if (FieldCount is < 2 or > 6) throw Error(1, "expected free,ID");
                        var id = Number(1, "id");
                        if (!_live.Remove(id, out var iova)) throw Error(Column(1), $"free of id {id}, which is not live");
                        Domain.Free(iova);
                        Frees++;
                        return true;
                    }
                case "freepfn":
                    {
                        if (FieldCount is < 5 or > 6) throw Error(1, "expected freepfn,,,,PFN_LO");
                        var pfn = Number(4, "result_pfn_lo");
                        var live = Domain.FindIova(pfn);
                        Frees++;
                        if (live is not { } range || range.PfnLo != pfn)
                            return Differ($"a live range starting at 0x{pfn:x}", live is { } r ? $"{r}" : "no live range there");
                        Domain.Free(range);
                        return true;
                    }
                default:
                    throw Error(1, $"unknown operation '{Field(0)}' (expected alloc, free or freepfn)");
            }
        }

        private bool FastStep()
        {
            switch (Field(0))
            {
                case "alloc":
                    {
                        ExpectFields(4, "alloc,size,limit_pfn,result_pfn");
                        var size = Size(1);
                        var limit = Number(2, "limit_pfn");
                        var expected = Field(3) == "fail" ? 0 : Number(3, "result_pfn");
                        // dma-iommu for a PCI device: 32-bit first without flushing, then the full limit with flush.
                        var actual = Domain.AllocIovaFast(size, limit, flushRcache: false);
                        if (actual == 0) actual = Domain.AllocIovaFast(size, FastFallbackLimitPfn, flushRcache: true);
                        Allocations++;
                        if (expected == 0) Failures++;
                        return actual == expected || Differ(expected == 0 ? "fail" : $"0x{expected:x}", actual == 0 ? "fail" : $"0x{actual:x}");
                    }
                case "free":
                    {
                        ExpectFields(4, "free,SIZE,,PFN");
                        var size = Size(1);
                        Domain.FreeIovaFast(Number(3, "pfn"), size);
                        Frees++;
                        return true;
                    }
                default:
                    throw Error(1, $"unknown operation '{Field(0)}' (expected alloc or free)");
            }
        }
    }
}
