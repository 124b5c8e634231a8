using DmaSim.Core;

namespace DmaSim.Kernel.Profiles;

/// <summary>rc5 plus David Woodhouse's counter-proposal.</summary>
[ProfileDefinition]
internal static class Linux2632Rc5Dwmw2Profile
{
    public static KernelProfile Profile { get; } = Linux2632Rc5Profile.Profile with
    {
        Name = ProfileNames.Linux2632Rc5Dwmw2,
        Summary = "rc5 plus the thread's counter-proposal: no-mapping devices use dma_generic_alloc_coherent",
        IdentityCoherentAlloc = new(IdentityCoherentAlloc.GenericAllocCoherent, "LKML 2009-10-22 David Woodhouse reply: iommu_no_mapping → dma_generic_alloc_coherent"),
    };
}
