using DmaSim.Core;
using DmaSim.Hardware.Memory;
using DmaSim.Hardware.Pci;
using DmaSim.Kernel.Boot;
using DmaSim.Kernel.Dma;
using DmaSim.Kernel.Profiles;

namespace DmaSim.Kernel.Tests.Policy;

/// <summary>A small booted kernel without a DMAR table: e820 of the test's choice, one PCIe endpoint.</summary>
internal static class KernelRig
{
    public const ulong GiB = 1UL << 30;

    public static E820Entry Usable(ulong start, ulong endInclusive) => new(new PhysRange(start, endInclusive), E820Type.Usable);
    public static E820Entry Reserved(ulong start, ulong endInclusive) => new(new PhysRange(start, endInclusive), E820Type.Reserved);

    /// <summary>Low RAM to 3 GiB, PCI hole, then RAM from 4 GiB up to (exclusive) <paramref name="ramEnd"/>.</summary>
    public static E820Entry[] Layout(ulong ramEnd) =>
    [
        Usable(0x0, 0x9ffff),
        Usable(0x100000, 0xbfffffff),
        Reserved(0xc0000000, 0xffffffff),
        .. ramEnd > 4 * GiB ? new[] { Usable(4 * GiB, ramEnd - 1) } : [],
    ];

    public static LinuxKernel BootKernel(KernelProfile profile, string cmdline, E820Entry[] e820, int addressBits = 40)
    {
        var memory = new PhysicalMemory(addressBits);
        var map = new E820Map(e820);
        var owners = new FrameOwners();
        foreach (var e in map.Entries)
            owners.Assign(e.Range, e.Type == E820Type.Usable ? FrameOwner.Free : new FrameOwner(OwnerKind.Firmware, null, e.KernelName));
        var pci = new PciTopology();
        var f = new PciFunction(new Bdf(3, 0, 0), "dev", PciFunctionKind.Endpoint, true);
        pci.Add(f);
        var events = new EventStream(new SimClock());
        var ctx = new KernelContext(profile, KernelCmdline.Parse(cmdline), memory, owners, map, pci, events);
        var k = new LinuxKernel(ctx, new KernelPlatform(null, _ => null, new HashSet<string>()));
        k.Boot([("dev", f)]);
        return k;
    }

    public static KernelDevice Dev(this LinuxKernel k) => k.Device("dev");
}
