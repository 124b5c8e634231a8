using System.Text;
using DmaSim.Simulation.Pictures;
using static DmaSim.Reporting.Svg.SvgKinds;

namespace DmaSim.Reporting.Svg;

/// <summary>One wrong DMA's path as SVG: a box per stage (driver → DMA address → address lines → requester id → remapping → physical page → owner), the stages where it went wrong outlined in red.</summary>
internal static class DmaPathSvg
{
    private const int Width = 900, Row = 34, BoxH = 26, StageW = 130;

    public static string Render(WrongDma w, string id)
    {
        var height = (w.Path.Count * Row) + 10;
        var s = new StringBuilder();
        s.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dmapath\" id=\"").Append(E(id)).Append("\" width=\"").Append(Width).Append("\" height=\"").Append(height)
         .Append("\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(height).Append("\"><title>DMA path</title>").Append(Defs);
        for (var i = 0; i < w.Path.Count; i++)
        {
            var step = w.Path[i];
            var y = 4 + (i * Row);
            s.Append("<g class=\"step").Append(step.Wrong ? " wrong" : "").Append("\"><rect x=\"4\" y=\"").Append(y).Append("\" width=\"").Append(Width - 8).Append("\" height=\"").Append(BoxH)
             .Append("\" rx=\"4\" fill=\"").Append(step.Wrong ? "#fdecea" : "#f4f4f4").Append("\" stroke=\"").Append(step.Wrong ? "#c00" : "#999").Append("\" stroke-width=\"")
             .Append(step.Wrong ? 2 : 1).Append("\"/><text x=\"12\" y=\"").Append(y + 17).Append("\" font-size=\"11\" font-weight=\"bold\">").Append(E(step.Stage))
             .Append("</text><text x=\"").Append(StageW).Append("\" y=\"").Append(y + 17).Append("\" font-size=\"11\">").Append(E(step.Value)).Append("</text></g>");
            if (i + 1 < w.Path.Count)
                s.Append("<line x1=\"60\" y1=\"").Append(y + BoxH).Append("\" x2=\"60\" y2=\"").Append(y + Row).Append("\" stroke=\"#555\" marker-end=\"url(#step)\"/>");
        }
        s.Append("</svg>");
        return s.ToString();
    }
}
