using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Kernel.Mm;

namespace DmaSim.Kernel.Tests.Mm;

/// <summary>A small simulated machine: e820 map, sparse memory, owners, events and a page allocator.</summary>
internal sealed class TestMachine
{
    public const ulong KiB = 1UL << 10, MiB = 1UL << 20, GiB = 1UL << 30;

    public required E820Map E820 { get; init; }
    public required PhysicalMemory Memory { get; init; }
    public required FrameOwners Owners { get; init; }
    public required EventStream Events { get; init; }
    public required PageAllocator Allocator { get; init; }

    public static E820Entry Usable(ulong start, ulong endInclusive) => new(new PhysRange(start, endInclusive), E820Type.Usable);
    public static E820Entry Reserved(ulong start, ulong endInclusive) => new(new PhysRange(start, endInclusive), E820Type.Reserved);

    public static TestMachine Create(IEnumerable<E820Entry> entries, int addressBits = 40, IEnumerable<PhysRange>? reserved = null,
        BuddyBootPlacement placement = BuddyBootPlacement.HighestFirst)
    {
        var e820 = new E820Map(entries);
        var memory = new PhysicalMemory(addressBits);
        var owners = new FrameOwners();
        var events = new EventStream(new SimClock());
        var allocator = new PageAllocator(e820, memory, owners, events, reserved, placement);
        return new TestMachine { E820 = e820, Memory = memory, Owners = owners, Events = events, Allocator = allocator };
    }

    /// <summary>The DESIGN.md example platform: 8 GiB with the PCI hole at 3–4 GiB; first page and a 16 MiB kernel image reserved.</summary>
    public static TestMachine Typical8G(BuddyBootPlacement placement = BuddyBootPlacement.HighestFirst) => Create(
        [
            Usable(0x0, 0x9ffff),
            Usable(0x100000, 0xbfffffff),
            Reserved(0xc0000000, 0xffffffff),
            Usable(0x100000000, 0x23fffffff),
        ],
        reserved: [new PhysRange(0x0, 0xfff), new PhysRange(0x1000000, 0x1ffffff)],
        placement: placement);
}
