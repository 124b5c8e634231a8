using System.Globalization;
using System.Reflection;

namespace DmaSim.Kernel.Profiles;

/// <summary>One named rule of a profile as reports show it: its value and where it comes from.</summary>
public sealed record NamedRule(string Name, string Value, string Source);

/// <summary>
/// Profiles as sets of named rules that can be mixed: the rules where two profiles differ, and a profile
/// that takes some rules from another. `dmasim bisect` walks these as git bisect walks commits. Every
/// <see cref="Rule{T}"/> property of <see cref="KernelProfile"/> is a rule, so a new rule takes part
/// without any change here.
/// </summary>
public static class ProfileMix
{
    private static readonly PropertyInfo[] _rules = RuleProperties();

    public static IReadOnlyList<string> RuleNames { get; } = [.. _rules.Select(p => p.Name)];

    /// <summary>The rules whose values differ, in the order KernelProfile declares them.</summary>
    public static IReadOnlyList<string> Differing(KernelProfile a, KernelProfile b) =>
        [.. _rules.Where(p => !Equals(ValueOf(p, a), ValueOf(p, b))).Select(p => p.Name)];

    /// <summary><paramref name="baseProfile"/> with the named rules taken from <paramref name="donor"/>.</summary>
    public static KernelProfile Mix(KernelProfile baseProfile, KernelProfile donor, IEnumerable<string> rules)
    {
        ArgumentNullException.ThrowIfNull(baseProfile);
        ArgumentNullException.ThrowIfNull(rules);
        var names = rules.ToList();
        var mixed = baseProfile with { Name = names.Count == 0 ? baseProfile.Name : $"{baseProfile.Name}+{string.Join('+', names)}" };
        foreach (var name in names)
        {
            var p = _rules.FirstOrDefault(r => r.Name == name) ?? throw new ArgumentException($"no rule named {name}", nameof(rules));
            p.SetValue(mixed, p.GetValue(donor));
        }
        return mixed;
    }

    public static NamedRule Describe(KernelProfile profile, string rule)
    {
        var p = _rules.First(r => r.Name == rule);
        var value = RuleOf(p, profile);
        return new NamedRule(rule, Convert.ToString(value.BoxedValue, CultureInfo.InvariantCulture) ?? "", value.Source);
    }

    /// <summary>
    /// The rule properties in declaration order, which is the order of <see cref="KernelProfile.Rules"/> (a test
    /// checks both): Native AOT has no metadata tokens to sort by, and reflection does not promise an order.
    /// </summary>
    private static PropertyInfo[] RuleProperties()
    {
        var order = ProfileCatalog.Linux2631.Rules().Select(r => r.Name).ToList();
        return [.. typeof(KernelProfile).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => typeof(IRule).IsAssignableFrom(p.PropertyType))
            .OrderBy(p => order.IndexOf(p.Name))];
    }

    private static object? ValueOf(PropertyInfo p, KernelProfile profile) => RuleOf(p, profile).BoxedValue;

    private static IRule RuleOf(PropertyInfo p, KernelProfile profile) => (IRule)p.GetValue(profile)!;
}
