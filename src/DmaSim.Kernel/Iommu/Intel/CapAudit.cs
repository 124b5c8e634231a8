namespace DmaSim.Kernel.Iommu.Intel;

/// <summary>
/// The boot-time capability audit of 5.12+ (drivers/iommu/intel/cap_audit.c cap_audit_static, from "iommu/vt-d:
/// Audit IOMMU Capabilities and add helper functions", v5.12; read in 5.17 and 6.1): the first unit in the kernel's
/// unit list is the reference, and every later unit is compared with it, feature by feature in a fixed order; each
/// feature that differs prints "IOMMU feature NAME inconsistent" (once per differing unit, no de-duplication). The
/// "minimal" fields (MAMV, NFR, SLLPS, FRO, MGAW, SAGAW, ND, PSS, MHMV, IRO) are lowered to the smallest silently,
/// and the IRQ-remapping pass (pi_support, eim_support) is not modelled with interrupt remapping. Only the lines are
/// modelled: the kernel then uses the reduced sanity values, which none of the modelled decisions read.
/// </summary>
public static class CapAudit
{
    private enum Reg { Cap, Ecap }

    /// <summary>The checks of check_dmar_capabilities in source order (register, bit); nwfs sits between slts and slads there.</summary>
    private static readonly (string Name, Reg Reg, int Bit)[] _dmarChecks =
    [
        ("5lp_support", Reg.Cap, 60), ("fl1gp_support", Reg.Cap, 56), ("read_drain", Reg.Cap, 55), ("write_drain", Reg.Cap, 54),
        ("pgsel_inv", Reg.Cap, 39), ("zlr", Reg.Cap, 22), ("caching_mode", Reg.Cap, 7), ("phmr", Reg.Cap, 6), ("plmr", Reg.Cap, 5),
        ("rwbf", Reg.Cap, 4), ("afl", Reg.Cap, 3),
        ("rps", Reg.Ecap, 49), ("smpwc", Reg.Ecap, 48), ("flts", Reg.Ecap, 47), ("slts", Reg.Ecap, 46), ("nwfs", Reg.Ecap, 33),
        ("slads", Reg.Ecap, 45), ("vcs", Reg.Ecap, 44), ("smts", Reg.Ecap, 43), ("pds", Reg.Ecap, 42), ("dit", Reg.Ecap, 41),
        ("pasid", Reg.Ecap, 40), ("eafs", Reg.Ecap, 34), ("srs", Reg.Ecap, 31), ("ers", Reg.Ecap, 30), ("prs", Reg.Ecap, 29),
        ("nest", Reg.Ecap, 26), ("mts", Reg.Ecap, 25), ("sc_support", Reg.Ecap, 7), ("pass_through", Reg.Ecap, 6),
        ("dev_iotlb_support", Reg.Ecap, 2), ("qis", Reg.Ecap, 1), ("coherent", Reg.Ecap, 0),
    ];

    /// <summary>
    /// The audit's lines for units given in the kernel's list order (dmar_register_drhd_unit: head-first, the
    /// include-all unit last). <paramref name="fl5lpName"/>: 6.1 renamed the first check's accessor
    /// ("iommu/vt-d: Rename cap_5lp_support to cap_fl5lp_support"), and the line prints the accessor's name.
    /// </summary>
    public static IEnumerable<string> Lines(IReadOnlyList<(ulong Cap, ulong Ecap)> unitsInListOrder, bool fl5lpName)
    {
        ArgumentNullException.ThrowIfNull(unitsInListOrder);
        if (unitsInListOrder.Count < 2) yield break;
        var reference = unitsInListOrder[0];
        foreach (var unit in unitsInListOrder.Skip(1))
            foreach (var (name, reg, bit) in _dmarChecks)
            {
                var mine = (reg == Reg.Cap ? unit.Cap : unit.Ecap) >> bit & 1;
                var theirs = (reg == Reg.Cap ? reference.Cap : reference.Ecap) >> bit & 1;
                if (mine != theirs) yield return $"DMAR: IOMMU feature {(fl5lpName && bit == 60 && reg == Reg.Cap ? "fl5lp_support" : name)} inconsistent";
            }
    }
}
