using DmaSim.Core;
using DmaSim.Kernel.Iommu.Iova;
using DmaSim.Testing;

namespace DmaSim.Kernel.Tests.Iommu.Iova;

/// <summary>The acceptance test: every answer Linux 6.12 recorded is reproduced.</summary>
public sealed class IovaTraceReplayTests
{
    [Theory]
    [InlineData("tree-mixed.csv.gz", IovaTraceKind.Tree, 30_000)]
    [InlineData("tree-32full.csv.gz", IovaTraceKind.Tree, 93_947)]
    [InlineData("fast-window.csv.gz", IovaTraceKind.Fast, 30_000)]
    public void Shared_trace_replays_with_no_mismatch(string file, IovaTraceKind kind, int allocations)
    {
        var result = IovaTraceReplayer.Replay(SharedData.Path_("iova-traces", file));

        Assert.Null(result.FirstMismatch);
        Assert.Equal(kind, result.Kind);
        Assert.Equal(allocations, result.Allocations);
    }

    [Fact]
    public void The_32bit_fill_trace_contains_recorded_failures_and_they_are_reproduced()
    {
        var result = IovaTraceReplayer.Replay(SharedData.Path_("iova-traces", "tree-32full.csv.gz"));

        Assert.True(result.Ok);
        Assert.Equal(2_819, result.Failures);
    }

    [Fact]
    public void A_wrong_answer_is_reported_with_its_line_and_both_values()
    {
        const string trace = "# t\nop,id,size,limit_pfn,result_pfn_lo,result_pfn_hi\nalloc,0,1,0xfffff,0xfffff,0xfffff\nalloc,1,2,0xfffff,0xffffe,0xfffff\n";

        var result = IovaTraceReplayer.Replay("t.csv", new StringReader(trace));

        Assert.Equal(new IovaReplayMismatch(4, "0xffffe,0xfffff", "0xffffc,0xffffd"), result.FirstMismatch);
    }

    [Theory]
    [InlineData("op,id,size,limit_pfn,result_pfn_lo,result_pfn_hi\nalloc,0,zz,0xfffff,0x1,0x1\n", "t.csv:2:9: error")]
    [InlineData("op,id,size,limit_pfn,result_pfn_lo,result_pfn_hi\nfree,7,,,,\n", "t.csv:2:6: error")]
    [InlineData("op,size,limit_pfn,result_pfn\nmap,1,0xfffff,0x1\n", "t.csv:2:1: error")]
    [InlineData("alloc,0,1,0xfffff,0x1,0x1\n", "t.csv:1:1: error")]
    [InlineData("op,size,limit_pfn,result_pfn\nalloc,1,0xfffff\n", "t.csv:2:1: error")]
    public void Malformed_lines_raise_input_errors_with_file_line_and_column(string trace, string prefix)
    {
        var e = Assert.Throws<InputException>(() => IovaTraceReplayer.Replay("t.csv", new StringReader(trace)));

        Assert.StartsWith(prefix, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_an_input_error_naming_it()
    {
        var e = Assert.Throws<InputException>(() => IovaTraceReplayer.Replay("/nonexistent/x.csv.gz"));

        Assert.Contains("/nonexistent/x.csv.gz", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("op,id,size,limit_pfn,result_pfn_lo,result_pfn_hi\nalloc,1,18446744073709551615,4095,fail,\n", 9)]
    [InlineData("op,size,limit_pfn,result_pfn\nalloc,0xffffffffffffffff,4095,fail\n", 7)]
    public void A_size_beyond_2_63_pages_is_refused_at_its_field(string trace, int column)
    {
        var e = Assert.Throws<InputException>(() => IovaTraceReplayer.Replay("t.csv", new StringReader(trace)));
        Assert.Equal(new SourceSpan("t.csv", 2, column), e.Where);
        Assert.Contains("beyond 2^63", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void One_endless_line_in_a_small_gzip_file_is_refused_at_its_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"dmasim-long-line-{Environment.ProcessId}.csv.gz");
        try
        {
            using (var file = File.Create(path))
            using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest))
            {
                gzip.Write("op,size,limit_pfn,result_pfn\n"u8);
                var chunk = new byte[1 << 20];
                Array.Fill(chunk, (byte)'1');
                for (var i = 0; i < 16; i++) gzip.Write(chunk); // 16 MiB of one line, a few KiB on disk
            }
            var e = Assert.Throws<InputException>(() => IovaTraceReplayer.Replay(path));
            Assert.Equal(2, e.Where.Line);
            Assert.Contains("line longer than 4096 characters", e.Problem, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
