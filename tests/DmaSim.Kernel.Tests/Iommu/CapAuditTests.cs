using DmaSim.Kernel.Iommu.Intel;

namespace DmaSim.Kernel.Tests;

/// <summary>
/// cap_audit_static's boot lines (5.12+): the first unit in list order is the reference; every later unit that
/// differs in a feature prints "IOMMU feature NAME inconsistent", in the check order, once per differing unit.
/// </summary>
public sealed class CapAuditTests
{
    // A ThinkPad X1 Carbon (5.17.3 log): dmar0, the graphics unit, and the three others.
    private const ulong GfxCap = 0x01c0000c40660462, GfxEcap = 0x0000029a00f0505e;
    private const ulong OtherCap = 0x00d2008c40660462, OtherEcap = 0x0000000000f050da;

    private static string[] Features(IEnumerable<string> lines) =>
        [.. lines.Select(l => l["DMAR: IOMMU feature ".Length..^" inconsistent".Length])];

    [Fact]
    public void The_x1_carbon_units_in_list_order_print_the_six_features_its_log_has()
    {
        // Table order dmar0..dmar3 (dmar3 include-all) is list order dmar2, dmar1, dmar0, dmar3: dmar2 is the reference.
        var lines = CapAudit.Lines([(OtherCap, OtherEcap), (OtherCap, OtherEcap), (GfxCap, GfxEcap), (OtherCap, OtherEcap)], fl5lpName: false);
        Assert.Equal(["fl1gp_support", "pgsel_inv", "nwfs", "dit", "sc_support", "dev_iotlb_support"], Features(lines));
    }

    [Fact]
    public void A_reference_that_is_the_odd_one_out_repeats_each_feature_per_unit()
    {
        var lines = CapAudit.Lines([(GfxCap, GfxEcap), (OtherCap, OtherEcap), (OtherCap, OtherEcap), (OtherCap, OtherEcap)], fl5lpName: false);
        Assert.Equal(18, lines.Count());
        Assert.Equal(Features(lines)[..6], Features(lines)[6..12]);
    }

    [Fact]
    public void Minimal_fields_differ_silently_and_identical_units_print_nothing()
    {
        // MAMV (CAP 53:48), NFR (47:40) and SAGAW (12:8) are lowered to the minimum without a line.
        const ulong minimal = (0x3fUL << 48) | (0xffUL << 40) | (0x1fUL << 8);
        Assert.Empty(CapAudit.Lines([(OtherCap, OtherEcap), (OtherCap ^ minimal, OtherEcap)], fl5lpName: false));
        Assert.Empty(CapAudit.Lines([(OtherCap, OtherEcap), (OtherCap, OtherEcap)], fl5lpName: false));
        Assert.Empty(CapAudit.Lines([(GfxCap, GfxEcap)], fl5lpName: false));
    }

    [Theory]
    [InlineData(false, "5lp_support")]
    [InlineData(true, "fl5lp_support")]
    public void The_five_level_check_takes_the_accessor_name_of_its_release(bool fl5lp, string name) =>
        Assert.Equal([name], Features(CapAudit.Lines([(0, 0), (1UL << 60, 0)], fl5lp)));

    [Fact]
    public void Nwfs_is_checked_between_slts_and_slads_as_the_source_orders_it()
    {
        const ulong slts = 1UL << 46, nwfs = 1UL << 33, slads = 1UL << 45;
        Assert.Equal(["slts", "nwfs", "slads"], Features(CapAudit.Lines([(0, 0), (0, slts | nwfs | slads)], fl5lpName: false)));
    }
}
