using DmaSim.Core;

namespace DmaSim.Kernel.Profiles;

/// <summary>rc5 plus the thread's first patch.</summary>
[ProfileDefinition]
internal static class Linux2632Rc5AlexProfile
{
    public static KernelProfile Profile { get; } = Linux2632Rc5Profile.Profile with
    {
        Name = ProfileNames.Linux2632Rc5Alex,
        Summary = "rc5 plus the thread's first patch: no-mapping devices get GFP_DMA and GFP_DMA32 OR'ed in",
        IdentityCoherentAlloc = new(IdentityCoherentAlloc.OrDmaAndDma32, "LKML 2009-10-22 Alex Williamson \"[PATCH] intel-iommu: Fix alloc_coherent for pass-through devices\""),
    };
}
