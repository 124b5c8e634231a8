using System.Text;
using DmaSim.Core;
using DmaSim.Simulation.Pictures;
using static DmaSim.Reporting.Svg.SvgKinds;

namespace DmaSim.Reporting.Svg;

/// <summary>
/// The physical memory map of a run as SVG: e820 ranges top (address 0) to bottom, each drawn with a height that grows
/// with the logarithm of its size (a 16 TiB range and a 640 KiB one both stay readable), positions linear inside a range;
/// holes hatched; the 16 MiB and 4 GiB zone lines; every owned region (buffers, swiotlb pool, VT-d tables, RMRRs);
/// and each wrong DMA as a red arrow from the page intended to the page hit, labelled with the hit page's owner.
/// </summary>
internal static class MemoryMapSvg
{
    private const int BarX = 150, BarW = 170, OwnX = 250, LabelX = 330, Width = 900, Top = 24;
    private const ulong Mib = 1UL << 20;

    private sealed record Segment(ulong Start, ulong End, string Kind, string Label, double Y, double H)
    {
        public double At(ulong a) => Y + (H * ((double)(a - Start) / ((double)(End - Start) + 1)));
    }

    public static string Render(RunPicture p, string id)
    {
        var segments = Layout(p.E820);
        var height = segments.Count == 0 ? 60 : segments[^1].Y + segments[^1].H + 40;
        var s = new StringBuilder();
        s.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"memmap\" id=\"").Append(E(id)).Append("\" width=\"").Append(Width)
         .Append("\" height=\"").Append(N(height)).Append("\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(N(height)).Append("\">")
         .Append("<title>memory map</title>").Append(Defs);
        foreach (var g in segments)
        {
            s.Append("<rect class=\"region ").Append(g.Kind).Append("\" x=\"").Append(BarX).Append("\" y=\"").Append(N(g.Y)).Append("\" width=\"").Append(BarW)
             .Append("\" height=\"").Append(N(g.H)).Append("\" fill=\"").Append(Fill(g.Kind)).Append("\" stroke=\"#666\"><title>")
             .Append(E($"{Hex.Format(g.Start)}-{Hex.Format(g.End)} {g.Label}")).Append("</title></rect>");
            s.Append("<text x=\"").Append(BarX - 6).Append("\" y=\"").Append(N(g.Y + 10)).Append("\" font-size=\"10\" text-anchor=\"end\">").Append(Hex.Format(g.Start)).Append("</text>");
        }
        ZoneLines(s, segments);
        var labels = new LabelColumn();
        foreach (var r in p.Owned) Owned(s, segments, r, labels);
        foreach (var w in p.WrongDmas.Where(w => w.HitPhys is not null)) Arrow(s, segments, w, labels);
        s.Append("</svg>");
        return s.ToString();
    }

    /// <summary>Kinds drawn in this picture, for its legend.</summary>
    public static IEnumerable<string> KindsIn(RunPicture p) =>
        Layout(p.E820).Select(g => g.Kind).Concat(p.Owned.Select(r => r.Kind)).Distinct();

    private static List<Segment> Layout(IReadOnlyList<MemoryRegion> e820)
    {
        var list = new List<Segment>();
        var y = (double)Top;
        ulong next = 0;
        foreach (var r in e820.OrderBy(r => r.Start))
        {
            if (r.Start > next)
            {
                list.Add(new Segment(next, r.Start - 1, "hole", "hole", y, 10));
                y += 10;
            }
            var h = Height(r.End - r.Start + 1);
            list.Add(new Segment(r.Start, r.End, r.Kind, r.Label, y, h));
            y += h;
            next = r.End == ulong.MaxValue ? r.End : r.End + 1;
        }
        return list;
    }

    private static double Height(ulong size) => 16 + (7 * Math.Log2(Math.Max(1.0, (double)size / Mib)));

    private static double Y(List<Segment> segments, ulong a)
    {
        foreach (var g in segments)
            if (a >= g.Start && a <= g.End) return g.At(a);
        return segments.Count == 0 ? Top : segments[^1].Y + segments[^1].H;
    }

    private static void ZoneLines(StringBuilder s, List<Segment> segments)
    {
        foreach (var (at, text) in new[] { (16 * Mib, "16 MiB: ZONE_DMA ends"), (4096 * Mib, "4 GiB: ZONE_DMA32 ends, 32-bit DMA limit") })
        {
            if (segments.Count == 0 || at > segments[^1].End) continue;
            var y = Y(segments, at);
            s.Append("<line class=\"zone\" x1=\"").Append(BarX - 60).Append("\" x2=\"").Append(BarX + BarW + 10).Append("\" y1=\"").Append(N(y)).Append("\" y2=\"").Append(N(y))
             .Append("\" stroke=\"#000\" stroke-dasharray=\"5,3\"/><text x=\"").Append(BarX - 60).Append("\" y=\"").Append(N(y - 2)).Append("\" font-size=\"9\">").Append(E(text)).Append("</text>");
        }
    }

    private static void Owned(StringBuilder s, List<Segment> segments, MemoryRegion r, LabelColumn labels)
    {
        var y0 = Y(segments, r.Start);
        var h = Math.Max(2, Y(segments, r.End) - y0);
        s.Append("<rect class=\"owned ").Append(r.Kind).Append("\" x=\"").Append(OwnX).Append("\" y=\"").Append(N(y0)).Append("\" width=\"").Append(BarX + BarW - OwnX)
         .Append("\" height=\"").Append(N(h)).Append("\" fill=\"").Append(Fill(r.Kind)).Append("\"><title>")
         .Append(E($"{Hex.Format(r.Start)}-{Hex.Format(r.End)} {r.Label}")).Append("</title></rect>");
        if (r.Kind == "vtd-table") return; // many single pages: the legend names them, labels would bury the rest
        var ly = labels.Place(y0 + (h / 2));
        s.Append("<line x1=\"").Append(BarX + BarW).Append("\" y1=\"").Append(N(y0 + (h / 2))).Append("\" x2=\"").Append(LabelX - 4).Append("\" y2=\"").Append(N(ly - 3))
         .Append("\" stroke=\"#999\"/><text x=\"").Append(LabelX).Append("\" y=\"").Append(N(ly)).Append("\" font-size=\"10\">")
         .Append(E($"{r.Label} {Hex.Format(r.Start)}")).Append("</text>");
    }

    private static void Arrow(StringBuilder s, List<Segment> segments, WrongDma w, LabelColumn labels)
    {
        var from = Y(segments, w.IntendedPhys);
        var to = Y(segments, w.HitPhys!.Value);
        var bend = BarX + BarW + 60 + Math.Min(200, Math.Abs(to - from) / 3);
        s.Append("<path class=\"wrong-dma\" d=\"M ").Append(BarX + BarW).Append(' ').Append(N(from)).Append(" C ").Append(N(bend)).Append(' ').Append(N(from))
         .Append(", ").Append(N(bend)).Append(' ').Append(N(to)).Append(", ").Append(BarX + BarW + 2).Append(' ').Append(N(to))
         .Append("\" fill=\"none\" stroke=\"#c00\" stroke-width=\"2\" marker-end=\"url(#arrow)\"><title>")
         .Append(E($"{w.Device} {(w.IsWrite ? "wrote" : "read")} {w.Purpose}: meant {Hex.Format(w.IntendedPhys)}, hit {Hex.Format(w.HitPhys.Value)} ({w.HitOwner})")).Append("</title></path>");
        var ly = labels.Place(to);
        s.Append("<text class=\"wrong-dma-label\" x=\"").Append(N(bend + 8)).Append("\" y=\"").Append(N(ly)).Append("\" font-size=\"10\" fill=\"#c00\">")
         .Append(E($"{w.Device}: {w.Purpose} hit {Hex.Format(w.HitPhys.Value)}, {w.HitOwner}")).Append("</text>");
    }

    /// <summary>Keeps labels on the right from overlapping: each goes at its wanted y or just below the previous one.</summary>
    private sealed class LabelColumn
    {
        private double _last = double.NegativeInfinity;

        public double Place(double wanted)
        {
            var y = Math.Max(wanted + 3, _last + 12);
            _last = y;
            return y;
        }
    }
}
