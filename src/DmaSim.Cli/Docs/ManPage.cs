using System.Globalization;
using System.Text;

namespace DmaSim.Cli.Docs;

/// <summary>
/// dmasim(1) in troff man(7) form, generated from the command tree; docs/dmasim.1 is this output checked in
/// (a test keeps them equal). No date in the header, so the page changes only when the commands do.
/// </summary>
internal static class ManPage
{
    public static string Render(IReadOnlyList<CommandNode> tree, string version)
    {
        var s = new StringBuilder();
        s.Append(".TH DMASIM 1 \"\" \"dmasim ").Append(version).Append("\" \"User Commands\"\n");
        s.Append(".SH NAME\ndmasim \\- simulate the path of a DMA on Linux x86 with Intel VT\\-d and check where it lands\n");
        s.Append(".SH SYNOPSIS\n");
        foreach (var node in tree.Where(n => n.Subcommands.Count == 0))
            s.Append(".B ").Append(Esc(node.Path)).Append('\n').Append(".RI [ options ]").Append(Args(node)).Append("\n.br\n");
        s.Append(".SH DESCRIPTION\n").Append(Esc(tree[0].Description)).Append('\n');
        s.Append(".PP\nA scenario (YAML, schema dmasim/v1) describes a platform (e820 map, DMAR units and RMRRs, PCI devices and ")
         .Append("their address lines), a kernel profile and command line, drivers' DMA masks and a workload. dmasim boots the ")
         .Append("simulated kernel, runs the workload through the DMA API, the chosen dma ops, the device, the remapping hardware and ")
         .Append("physical memory, and reports per device the domain, dma ops and the worst outcome with the kernel's log lines.\n");
        s.Append(".SH COMMANDS\n");
        foreach (var node in tree.Skip(1))
        {
            s.Append(".SS ").Append(Esc(node.Path)).Append('\n').Append(Esc(node.Description)).Append('\n');
            foreach (var o in node.Options) AppendOption(s, o);
        }
        s.Append(".SH EXIT STATUS\n");
        foreach (var (code, meaning) in _exitMeanings)
            s.Append(".TP\n.B ").Append(code.ToString(CultureInfo.InvariantCulture)).Append('\n').Append(Esc(meaning)).Append('\n');
        s.Append(".SH EXAMPLES\n");
        foreach (var example in _examples) s.Append(".PP\n.nf\n").Append(Esc(example)).Append("\n.fi\n");
        s.Append(".SH SEE ALSO\n.BR iasl (1),\n.BR acpidump (1),\n.BR dmesg (1),\n.BR lspci (8)\n");
        s.Append(".PP\nThe documentation map is docs/index.md in the source repository.\n");
        return s.ToString();
    }

    private static readonly (int Code, string Meaning)[] _exitMeanings =
    [
        (ExitCodes.Ok, "Ran, and every expectation held."),
        (ExitCodes.ExpectationFailed, "An expectation failed (lint: an error-class finding; replay: a mismatch)."),
        (ExitCodes.BadInput, "Bad input or usage: the message names the file and line/column or byte offset, or the option."),
        (ExitCodes.InternalError, "Internal error in dmasim: please report it with the input."),
    ];

    private static readonly string[] _examples =
    [
        "dmasim run                                  # the seed suite, one column per kernel profile",
        "dmasim run scenarios/seed/smartarray-passthrough.yaml --profile all --format json",
        "dmasim import --dmesg samples/dmesg/hp-z400_FF7C21B8CB39_5.4.0-4-amd64-debian.dmesg.txt --dmar samples/dmar/hp-z400_FF7C21B8CB39.dat -o z400.yaml",
        "dmasim dmar decode samples/dmar/hp-z400_FF7C21B8CB39.dat",
        "source <(dmasim completion bash)",
    ];

    private static string Args(CommandNode node) =>
        string.Concat(node.Arguments.Select(a => " " + Esc(a.ToUpperInvariant())));

    private static void AppendOption(StringBuilder s, OptionNode o)
    {
        s.Append(".TP\n");
        s.Append(string.Join(", ", o.Names.Select(n => "\\fB" + Esc(n) + "\\fR")));
        if (o.TakesValue) s.Append(" \\fI").Append(Esc(o.HelpName ?? (o.Values.Count > 0 ? string.Join("|", o.Values) : "VALUE"))).Append("\\fR");
        s.Append('\n').Append(Esc(o.Description)).Append('\n');
    }

    /// <summary>troff escapes: backslash, leading dot/quote, and hyphens meant literally.</summary>
    private static string Esc(string text)
    {
        var t = text.Replace("\\", "\\e", StringComparison.Ordinal).Replace("-", "\\-", StringComparison.Ordinal).ReplaceLineEndings(" ");
        return t.StartsWith('.') || t.StartsWith('\'') ? "\\&" + t : t;
    }
}
