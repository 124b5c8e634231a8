using System.Globalization;

namespace DmaSim.Hardware.Pci;

/// <summary>
/// PCI bus/device/function in segment 0; also the 16-bit requester id (source-id) that tags a DMA and
/// indexes the VT-d root (bus) and context (devfn) tables.
/// </summary>
public readonly record struct Bdf(byte Bus, byte Device, byte Function) : IComparable<Bdf>
{
    public byte DevFn => (byte)((Device << 3) | Function);
    public ushort RequesterId => (ushort)((Bus << 8) | DevFn);

    public static Bdf FromRequesterId(ushort rid) => new((byte)(rid >> 8), (byte)((rid >> 3) & 0x1f), (byte)(rid & 7));

    /// <summary>Parses "bb:dd.f" (hex, as lspci prints), optionally with a "0000:" segment prefix.</summary>
    public static bool TryParse(string text, out Bdf bdf)
    {
        bdf = default;
        var s = text.Trim();
        if (s.Length == 12 && s.StartsWith("0000:", StringComparison.Ordinal)) s = s[5..];
        if (s.Length != 7 || s[2] != ':' || s[5] != '.') return false;
        if (!byte.TryParse(s.AsSpan(0, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var bus)) return false;
        if (!byte.TryParse(s.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var dev) || dev > 0x1f) return false;
        if (s[6] < '0' || s[6] > '7') return false;
        bdf = new Bdf(bus, dev, (byte)(s[6] - '0'));
        return true;
    }

    public static Bdf Parse(string text) =>
        TryParse(text, out var b) ? b : throw new FormatException($"'{text}' is not a PCI address (expected bb:dd.f)");

    public int CompareTo(Bdf other) => RequesterId.CompareTo(other.RequesterId);
    public override string ToString() => $"{Bus:x2}:{Device:x2}.{Function}";
}
