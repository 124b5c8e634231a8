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
}
