namespace DmaSim.Kernel;

/// <summary>
/// The DMA- and IOMMU-related kernel command line options. Options the model does not act on are kept
/// and reported, never silently dropped.
/// </summary>
public sealed record KernelCmdline
{
    public string Text { get; init; } = "";

    /// <summary>intel_iommu=on / off; null = the build default (CONFIG_DMAR_DEFAULT_ON / INTEL_IOMMU_DEFAULT_ON).</summary>
    public bool? IntelIommuOn { get; init; }
    /// <summary>iommu=pt (x86 iommu_setup: iommu_pass_through), or iommu.passthrough=1.</summary>
    public bool PassThrough { get; init; }
    /// <summary>iommu=nopt / iommu.passthrough=0.</summary>
    public bool NoPassThrough { get; init; }
    /// <summary>iommu=soft: swiotlb only.</summary>
    public bool SwiotlbOnly { get; init; }
    /// <summary>iommu=off: no_iommu.</summary>
    public bool NoIommu { get; init; }
    /// <summary>intel_iommu=strict / iommu.strict=1.</summary>
    public bool Strict { get; init; }
    /// <summary>iommu.strict= appeared (IOMMU_CMD_LINE_STRICT): 6.x adds "(set via kernel command line)" to the policy line.</summary>
    public bool StrictSetViaIommuParam { get; init; }
    /// <summary>iommu.strict=0: lazy even where the era defaults to strict.</summary>
    public bool Lazy { get; init; }
    /// <summary>intel_iommu=forcedac / iommu.forcedac=1: no 32-bit-first IOVA attempt.</summary>
    public bool ForceDac { get; init; }
    /// <summary>intel_iommu=igfx_off (dmar_map_gfx = 0).</summary>
    public bool IgfxOff { get; init; }
    /// <summary>
    /// Every intel_iommu= option as intel_iommu_setup meets it, in command-line order: the option it was taken for ("on",
    /// "off", "igfx_off", "forcedac", "strict", "sp_off", "sm_on", "sm_off", "tboot_noforce"; null when none) and the rest of
    /// the parameter from there on, which is what the releases that notice an unknown option print.
    /// </summary>
    public IReadOnlyList<IntelIommuOption> IntelIommuOptions { get; init; } = [];
    /// <summary>swiotlb=force.</summary>
    public bool SwiotlbForce { get; init; }
    /// <summary>swiotlb=noforce: no pool at all.</summary>
    public bool SwiotlbNoForce { get; init; }
    /// <summary>swiotlb=&lt;nslabs&gt;: pool size in 2 KiB slots.</summary>
    public ulong? SwiotlbSlabs { get; init; }
    /// <summary>dmasim.omit_dma_alias=1: fault injection, the driver skips the bridge alias's context entry.</summary>
    public bool OmitDmaAlias { get; init; }

    /// <summary>intremap=off / intremap=no: disable_irq_remap (interrupt remapping not set up, so it does not parse the DMAR table early).</summary>
    public bool IntremapOff { get; init; }

    /// <summary>intremap=no_x2apic_optout: ignore the DMAR table's x2APIC opt-out flag (drivers/iommu/irq_remapping.c setup_irqremap).</summary>
    public bool NoX2ApicOptOut { get; init; }

    /// <summary>nox2apic: the x2APIC feature is cleared (arch/x86/kernel/apic/apic.c setup_nox2apic), so remapping stays in xAPIC mode.</summary>
    public bool NoX2Apic { get; init; }

    /// <summary>dma_debug=off: CONFIG_DMA_API_DEBUG stays silent (kernel/dma/debug.c dma_debug_cmdline).</summary>
    public bool DmaDebugOff { get; init; }

    public IReadOnlyList<string> Unrecognised { get; init; } = [];

    /// <summary>Parses the options the model understands (intel_iommu_setup, x86 iommu_setup, setup_io_tlb_npages).</summary>
    public static KernelCmdline Parse(string? text)
    {
        var c = new KernelCmdline { Text = text ?? "" };
        var unknown = new List<string>();
        foreach (var token in (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? token : token[..eq];
            var values = eq < 0 ? [] : token[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
            switch (key)
            {
                case "intel_iommu":
                    // __setup("intel_iommu=") takes the parameter only with its "=": a bare intel_iommu is not the driver's.
                    c = eq < 0 ? Note(c, unknown, token) : IntelIommu(c, token[(eq + 1)..], unknown, token);
                    break;
                case "intremap":
                    // drivers/iommu/irq_remapping.c setup_irqremap: "on" is the default; nosid, no_x2apic_optout and nopost tune it.
                    foreach (var v in values)
                    {
                        c = v switch
                        {
                            "off" or "no" => c with { IntremapOff = true },
                            "no_x2apic_optout" => c with { NoX2ApicOptOut = true },
                            "on" or "nosid" or "nopost" => c,
                            _ => Note(c, unknown, token),
                        };
                    }
                    break;
                case "iommu":
                    // arch/x86/kernel/pci-dma.c iommu_setup.
                    foreach (var v in values)
                    {
                        c = v switch
                        {
                            "pt" => c with { PassThrough = true, NoPassThrough = false },
                            "nopt" => c with { NoPassThrough = true, PassThrough = false },
                            "soft" => c with { SwiotlbOnly = true },
                            "off" => c with { NoIommu = true },
                            "force" or "noforce" or "merge" or "nomerge" or "nodac" or "usedac" or "allowdac" or "forcesac" or "panic" or "nopanic" => c,
                            _ => Note(c, unknown, token),
                        };
                    }
                    break;
                case "iommu.passthrough":
                    c = values is ["1"] or ["y"] or ["Y"] ? c with { PassThrough = true } : c with { NoPassThrough = true, PassThrough = false };
                    break;
                case "iommu.strict":
                    c = (values is ["1"] or ["y"] or ["Y"] ? c with { Strict = true } : c with { Lazy = true }) with { StrictSetViaIommuParam = true };
                    break;
                case "iommu.forcedac":
                    c = c with { ForceDac = values is ["1"] or ["y"] or ["Y"] };
                    break;
                case "swiotlb":
                    // kernel/dma/swiotlb.c setup_io_tlb_npages: <nslabs>[,<nareas>][,force|noforce].
                    foreach (var v in values)
                    {
                        if (v == "force") c = c with { SwiotlbForce = true };
                        else if (v == "noforce") c = c with { SwiotlbNoForce = true };
                        else if (ulong.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && c.SwiotlbSlabs is null) c = c with { SwiotlbSlabs = n };
                    }
                    break;
                case "dma_debug":
                    // dma_debug_cmdline compares only the first three characters with "off".
                    c = c with { DmaDebugOff = c.DmaDebugOff || token[(eq + 1)..].StartsWith("off", StringComparison.Ordinal) };
                    break;
                case "nox2apic":
                    c = c with { NoX2Apic = true };
                    break;
                case "dmasim.omit_dma_alias":
                    c = c with { OmitDmaAlias = values is ["1"] };
                    break;
                default:
                    unknown.Add(token);
                    break;
            }
        }
        return c with { Unrecognised = unknown };
    }

    // intel_iommu_setup (drivers/iommu/intel/iommu.c, 2.6.29 – 6.12 read): from the start of the value, each option is
    // matched by its prefix (strncmp with the option's length, in this order), then the parse skips to the next comma
    // and past every comma there.
    private static readonly string[] _intelIommuOptions = ["on", "off", "igfx_off", "forcedac", "strict", "sp_off", "sm_on", "sm_off", "tboot_noforce"];

    private static KernelCmdline IntelIommu(KernelCmdline c, string value, List<string> unknown, string token)
    {
        for (var at = 0; at < value.Length;)
        {
            var rest = value[at..];
            var name = Array.Find(_intelIommuOptions, o => rest.StartsWith(o, StringComparison.Ordinal));
            c = name switch
            {
                "on" => c with { IntelIommuOn = true },
                "off" => c with { IntelIommuOn = false },
                "strict" => c with { Strict = true },
                "forcedac" => c with { ForceDac = true },
                "igfx_off" => c with { IgfxOff = true },
                // intel_iommu_superpage = 0: the model maps no superpages in any era, so only the option's line is its own.
                "sp_off" => c,
                // intel_iommu_sm (5.0+ sm_on, 5.15+ sm_off); what a release makes of them is the boot's (LinuxKernel.ScalableMode).
                "sm_on" or "sm_off" => c,
                // intel_iommu_tboot_noforce: only a TXT (tboot) launch forces VT-d on, and the model has none; the line
                // is the dialect's (LogDialect.TbootNoforceLine).
                "tboot_noforce" => c,
                _ => Note(c, unknown, token),
            };
            c = c with { IntelIommuOptions = [.. c.IntelIommuOptions, new IntelIommuOption(name, rest)] };
            var comma = rest.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0) break;
            at += comma;
            while (at < value.Length && value[at] == ',') at++;
        }
        return c;
    }

    private static KernelCmdline Note(KernelCmdline c, List<string> unknown, string token)
    {
        unknown.Add(token);
        return c;
    }
}

/// <summary>One intel_iommu= option as intel_iommu_setup met it: the option it was taken for (null: none) and the rest of the parameter from it on.</summary>
public readonly record struct IntelIommuOption(string? Name, string Rest);
