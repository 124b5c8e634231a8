using System.Collections.Immutable;
using DmaSim.Core;

namespace DmaSim.Scenarios;

/// <summary>
/// One `schema: dmasim/v1` scenario, fully validated. Every node keeps the <see cref="SourceSpan"/> it came
/// from so the simulator can report semantic problems at the scenario's line and column.
/// </summary>
public sealed record Scenario(
    string Schema,
    string Name,
    string Description,
    ulong Seed,
    PlatformConfig Platform,
    KernelConfig Kernel,
    ImmutableArray<DriverConfig> Drivers,
    ImmutableArray<WorkloadStep> Workload,
    ImmutableArray<Expectation> Expect,
    string SourceFile,
    SourceSpan Span)
{
    /// <summary>The only schema this build reads.</summary>
    public const string SchemaV1 = "dmasim/v1";

    /// <summary>The device called <paramref name="name"/>; the loader guarantees references resolve.</summary>
    public DeviceConfig Device(string name) => Platform.Devices.First(d => d.Name == name);

    /// <summary>The driver entry of a device, or null when the driver keeps the PCI core's 32/32 masks.</summary>
    public DriverConfig? DriverFor(string device) => Drivers.FirstOrDefault(d => d.Device == device);
}

/// <summary>
/// `kernel:` — which policy profile runs, with which command line. <see cref="Version"/> (optional, e.g.
/// "5.11.22-4-pve") names the exact release: it selects the log wording inside the profile, never a policy.
/// </summary>
public sealed record KernelConfig(string Profile, string Cmdline, SourceSpan Span, string? Version = null)
{
    /// <summary>
    /// `config: { intel-iommu-default-on: false }`: CONFIG_INTEL_IOMMU_DEFAULT_ON of the kernel build (whether
    /// VT-d translates without intel_iommu=on). Null when not given: on, as the profiles always assumed.
    /// </summary>
    public bool? IntelIommuDefaultOn { get; init; }

    /// <summary>
    /// `config: { iommu-default-dma: lazy | strict | passthrough }`: the build's CONFIG_IOMMU_DEFAULT_DMA_LAZY /
    /// _DMA_STRICT / CONFIG_IOMMU_DEFAULT_PASSTHROUGH. Null when not given: lazy, the usual choice.
    /// </summary>
    public DefaultDmaChoice? IommuDefaultDma { get; init; }

    /// <summary>
    /// `config: { swiotlb-dynamic: true }`: CONFIG_SWIOTLB_DYNAMIC of the build (6.6+). Null when not given: off,
    /// the Kconfig default; kernels before 6.6 have no such option and ignore it.
    /// </summary>
    public bool? SwiotlbDynamic { get; init; }
}

/// <summary>
/// `drivers:` — what a device's driver asks for at probe. A null mask means the driver never sets it, so
/// the PCI core default (32 bits, drivers/pci/probe.c) stays.
/// </summary>
public sealed record DriverConfig(string Device, int? DmaMaskBits, int? CoherentDmaMaskBits, SourceSpan Span);
