namespace DmaSim.Kernel.Profiles;

/// <summary>Source prefixes the profile files share.</summary>
internal static class Sources
{
    public const string Vtd2632 = "drivers/pci/intel-iommu.c (2.6.32)";
}

/// <summary>
/// Marks the static class that defines one kernel profile (a static <c>Profile</c> property). ProfileCatalog
/// lists every such class (a test checks none is missing) and orders them by <see cref="Core.ProfileNames.All"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
internal sealed class ProfileDefinitionAttribute : Attribute;
