using System.Globalization;
using System.Net;

namespace DmaSim.Reporting.Svg;

/// <summary>Colours and legend words for every kind of region the pictures draw; one table so the legend and the drawing agree.</summary>
internal static class SvgKinds
{
    public static readonly IReadOnlyList<(string Kind, string Fill, string Legend)> All =
    [
        ("e820-usable", "#e8f4e8", "usable RAM (e820)"),
        ("e820-reserved", "#d9d9d9", "reserved (e820)"),
        ("e820-acpi", "#d0d8f0", "ACPI data (e820)"),
        ("e820-nvs", "#c8c0e8", "ACPI NVS (e820)"),
        ("e820-unusable", "#b0b0b0", "unusable (e820)"),
        ("hole", "url(#hatch)", "no RAM (hole between e820 ranges)"),
        ("kernel", "#8c8c8c", "kernel memory"),
        ("kernel-buffer", "#4a90d9", "kernel buffer (streaming DMA)"),
        ("coherent-buffer", "#f0a030", "coherent buffer (dma_alloc_coherent)"),
        ("swiotlb-pool", "#9b59b6", "swiotlb bounce pool"),
        ("vtd-table", "#2e8b57", "VT-d root/context/page tables"),
        ("rmrr", "#c0392b", "RMRR (firmware DMA range)"),
    ];

    public static string Fill(string kind) => All.FirstOrDefault(k => k.Kind == kind).Fill ?? "#cccccc";

    public static string E(string s) => WebUtility.HtmlEncode(s);

    public static string N(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>Shared definitions: the hole hatch and the arrow head.</summary>
    public const string Defs =
        "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">" +
        "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#999\" stroke-width=\"2\"/></pattern>" +
        "<marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">" +
        "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#c00\"/></marker>" +
        "<marker id=\"step\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\">" +
        "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker></defs>";
}
